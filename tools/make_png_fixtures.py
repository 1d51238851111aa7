#!/usr/bin/env python3
"""Writes small PNG fixtures in Tests/LatentTests/Fixtures/ that exercise libpng's conversions:
a palette image, a 16-bit gray image, gray+alpha and RGBA images (alpha only 0 or 255, so the
expected 8-bit result is exact). Standard library only (zlib + struct); the pixel formulas are
repeated in Tests/LatentTests/PNGTests.swift.

Usage: python3 tools/make_png_fixtures.py [output-folder]
"""
import struct
import sys
import zlib
from pathlib import Path

out = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).resolve().parent.parent / "Tests/LatentTests/Fixtures")
W, H = 4, 3


def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png(path, color_type, depth, rows, palette=None):
    raw = b"".join(b"\x00" + bytes(r) for r in rows)  # filter type 0 on every row
    data = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", W, H, depth, color_type, 0, 0, 0))
    if palette:
        data += chunk(b"PLTE", bytes(c for rgb in palette for c in rgb))
    data += chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")
    (out / path).write_bytes(data)


# Palette: 4 colours, pixel (x, y) uses entry (x + y) % 4.
PALETTE = [(255, 0, 0), (0, 255, 0), (0, 0, 255), (10, 20, 30)]
png("palette.png", 3, 8, [[(x + y) % 4 for x in range(W)] for y in range(H)], PALETTE)

# 16-bit gray: value v8 * 257 with v8 = 20 * (y * W + x) + 5, so the 8-bit result is v8 exactly.
png("gray16.png", 0, 16, [[b for x in range(W) for b in struct.pack(">H", (20 * (y * W + x) + 5) * 257)] for y in range(H)])

# Gray + alpha: gray 10 * (y * W + x) + 100, alpha 255 except at x == 0 (alpha 0).
png("gray_alpha.png", 4, 8, [[c for x in range(W) for c in (10 * (y * W + x) + 100, 0 if x == 0 else 255)] for y in range(H)])

# RGBA: (x * 60, y * 100, 200, alpha 255 except at y == 1 (alpha 0)).
png("rgba.png", 6, 8, [[c for x in range(W) for c in (x * 60, y * 100, 200, 0 if y == 1 else 255)] for y in range(H)])
print("wrote palette.png gray16.png gray_alpha.png rgba.png to", out)
