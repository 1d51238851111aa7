#!/usr/bin/env python3
"""Writes the fuzz seed corpora (Fuzz/Corpus/<Target>/): small valid inputs for every parser.

Plain Python (no torch, no numpy). The checkpoint seed needs a real model's tensor names, so it is
made by the built `latent` binary: `tools/make_fuzz_seeds.py [path/to/latent]` (default
.build/release/latent). Re-running rewrites the same bytes (the training run is deterministic).
"""
import gzip, json, os, struct, subprocess, sys, tempfile, zlib

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Fuzz", "Corpus")


def out(target, name, data):
    folder = os.path.join(ROOT, target)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data)


def safetensors(tensors, metadata=None):
    """tensors: name -> (dtype, shape, raw bytes), laid out in name order."""
    header, offset, body = {}, 0, b""
    if metadata is not None:
        header["__metadata__"] = metadata
    for name in sorted(tensors):
        dtype, shape, raw = tensors[name]
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + len(raw)]}
        offset += len(raw)
        body += raw
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    return struct.pack("<Q", len(text)) + text + body


def f32(*values):
    return struct.pack("<%df" % len(values), *values)


def png(width, height, color_type, bit_depth, rows, palette=None):
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    raw = b"".join(b"\x00" + row for row in rows)
    data = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, bit_depth, color_type, 0, 0, 0))
    if palette:
        data += chunk(b"PLTE", palette)
    return data + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


def idx(dims, payload):
    return bytes([0, 0, 8, len(dims)]) + b"".join(struct.pack(">I", d) for d in dims) + payload


def main():
    # SafeTensors: mixed dtypes with metadata, half floats, an empty file.
    out("SafeTensors", "mixed.safetensors", safetensors({
        "w": ("F32", [2, 2], f32(1, -2, 0.5, 3)), "b": ("F32", [], f32(7)),
        "labels": ("I32", [3], struct.pack("<3i", 0, 1, -5)), "mask": ("U8", [2], b"\x01\x00"),
    }, {"format": "pt", "note": "seed"}))
    out("SafeTensors", "halves.safetensors", safetensors({
        "h": ("F16", [2], struct.pack("<2H", 0x3C00, 0xC000)), "g": ("BF16", [1, 1], struct.pack("<H", 0x3F80)),
        "d": ("F64", [1], struct.pack("<d", 2.5)), "i": ("I64", [1], struct.pack("<q", -3)),
    }))
    out("SafeTensors", "empty.safetensors", safetensors({}))

    # Samples files: what `latent sample` writes.
    samples = f32(*[i / 8 for i in range(8)])
    out("SampleFile", "labelled.safetensors", safetensors({
        "samples": ("F32", [2, 1, 2, 2], samples), "labels": ("I32", [2], struct.pack("<2i", 3, 9)),
    }, {"format": "latent-samples", "value_min": "0.0", "value_max": "1.0", "model": "ddpm"}))
    out("SampleFile", "plain.safetensors", safetensors({
        "samples": ("F32", [1, 3, 1, 1], f32(-1, 0, 1)),
    }, {"format": "latent-samples", "value_min": "-1.0", "value_max": "1.0"}))

    # IDX: images and labels, plain and gzipped (the IDX target reads both; IDXGzip compresses itself).
    images = idx([2, 3, 3], bytes(range(18)))
    labels = idx([4], bytes([0, 3, 9, 1]))
    out("IDX", "images.idx", images)
    out("IDX", "labels.idx", labels)
    out("IDX", "images.idx.gz", gzip.compress(images, mtime=0))
    out("IDXGzip", "images.idx", images)
    out("IDXGzip", "labels.idx", labels)

    # PNG: gray, RGB, palette, 16-bit gray, gray+alpha, RGBA.
    out("PNGFolder", "gray.png", png(3, 2, 0, 8, [b"\x00\x80\xff", b"\x10\x20\x30"]))
    out("PNGFolder", "rgb.png", png(2, 2, 2, 8, [b"\xff\x00\x00\x00\xff\x00", b"\x00\x00\xff\x80\x80\x80"]))
    out("PNGFolder", "palette.png", png(2, 1, 3, 8, [b"\x00\x01"], palette=b"\x00\x00\x00\xff\xff\xff"))
    out("PNGFolder", "gray16.png", png(2, 1, 0, 16, [b"\x12\x34\xff\xff"]))
    out("PNGFolder", "gray_alpha.png", png(1, 2, 4, 8, [b"\x80\xff", b"\x40\x00"]))
    out("PNGFolder", "rgba.png", png(1, 1, 6, 8, [b"\x10\x20\x30\x80"]))

    # Model configs: selector byte (index into ModelRegistry.types: vae, vqvae, ddpm, classifier, autoencoder, dit, ldm), then JSON.
    configs = [
        (0, {"latent": 2}), (0, {"latent": 4, "decoder": "gaussian-learned", "sigma": 0.5, "beta": 2, "warmup": 3}),
        (1, {"K": 4, "D": 2}), (1, {"K": 3, "D": 2, "ema": True, "decay": 0.9, "kmeans_init": True}),
        (2, {"unet": {"ch": 8, "ch_mult": [1], "num_res_blocks": 1, "attn_resolutions": [], "norm_groups": 4}, "diffusion": {"T": 10}}),
        (3, {"channels": [1, 1], "features": 2, "classes": 2}),
        (4, {"preset": "tiny"}),
        (5, {"dit": {"hidden_size": 32, "depth": 1, "num_heads": 2}, "diffusion": {"T": 10}}),
        (6, {"autoencoder": {"preset": "tiny"}, "dit": {"hidden_size": 32, "depth": 1, "num_heads": 2}, "diffusion": {"T": 10}}),
    ]
    for i, (selector, config) in enumerate(configs):
        out("ModelConfig", "config%d.bin" % i, bytes([selector]) + json.dumps(config).encode())

    # Checkpoint: a one-step run of the smallest classifier, written by `latent train` itself.
    latent = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "..", "..", ".build", "release", "latent")
    with tempfile.TemporaryDirectory() as tmp:
        data = os.path.join(tmp, "data")
        os.makedirs(data)
        pixels = bytes((p * 7 + i * 13) % 256 for i in range(16) for p in range(784))
        for prefix in ("train", "t10k"):
            with open(os.path.join(data, prefix + "-images-idx3-ubyte"), "wb") as f:
                f.write(idx([16, 28, 28], pixels))
            with open(os.path.join(data, prefix + "-labels-idx1-ubyte"), "wb") as f:
                f.write(idx([16], bytes(i % 10 for i in range(16))))
        run = os.path.join(tmp, "run")
        config = json.dumps({"channels": [1, 1], "features": 2, "classes": 10})
        subprocess.run([latent, "train", "classifier", "--device", "cpu", "--data", data, "--out", run, "--steps", "1",
                        "--batch-size", "4", "--config", config], check=True, stdout=subprocess.DEVNULL)
        with open(os.path.join(run, "checkpoint.safetensors"), "rb") as f:
            out("Checkpoint", "classifier.safetensors", f.read())
    # A Gaussian mixture's checkpoint (its own loader): the shipped one, 43 KB.
    with open(os.path.join(ROOT, "..", "..", "models", "fmnist-gmm", "checkpoint.safetensors"), "rb") as f:
        out("Checkpoint", "gmm.safetensors", f.read())


if __name__ == "__main__":
    main()
