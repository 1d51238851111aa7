"""The sampler table of tools/sampler_table.sh: `latent fid --json` lines to a Markdown table and an SVG
plot of FID against sampling wall time (one polyline per sampler, each point labelled with its steps).
Standard library only.

Usage: python tools/sampler_plot.py LINES.jsonl TABLE.md PLOT.svg TITLE
"""
import json
import math
import sys

COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"]


def load(path):
    rows = [json.loads(line) for line in open(path) if line.strip()]
    samplers = []
    for row in rows:
        if row["sampler"] not in samplers:
            samplers.append(row["sampler"])
    return rows, samplers


def table(rows, floor):
    out = [
        "| sampler | steps | network evaluations | FID-FMNIST | sampling wall time (s) |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for r in rows:
        out.append(
            f"| {r['sampler']} | {r['steps']} | {r['model_evaluations']} | {r['fid_fmnist']:.2f} | {r['sampling_seconds']:.0f} |"
        )
    out.append("")
    out.append(f"Train-vs-test floor for {rows[0]['samples']} images: {floor:.2f}.")
    return "\n".join(out) + "\n"


def svg(rows, samplers, title, width=640, height=400):
    left, right, top, bottom = 70.0, width - 130.0, 40.0, height - 50.0
    times = [r["sampling_seconds"] for r in rows]
    fids = [r["fid_fmnist"] for r in rows]
    # Log time axis: the step counts 10, 20, 50 spread evenly.
    t0, t1 = math.log10(min(times) / 1.2), math.log10(max(times) * 1.2)
    f0, f1 = 0.0, max(fids) * 1.1

    def x(t):
        return left + (math.log10(t) - t0) / (t1 - t0) * (right - left)

    def y(f):
        return bottom - (f - f0) / (f1 - f0) * (bottom - top)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif">',
        '<rect width="100%" height="100%" fill="white"/>',
        f'<text x="{width / 2:.0f}" y="20" font-size="13" text-anchor="middle">FID-FMNIST against sampling time, {title}</text>',
        f'<line x1="{left:.0f}" y1="{bottom:.0f}" x2="{right:.0f}" y2="{bottom:.0f}" stroke="#888"/>',
        f'<line x1="{left:.0f}" y1="{top:.0f}" x2="{left:.0f}" y2="{bottom:.0f}" stroke="#888"/>',
        f'<text x="{(left + right) / 2:.0f}" y="{height - 12}" font-size="11" text-anchor="middle">sampling wall time (s, log scale)</text>',
        f'<text x="16" y="{(top + bottom) / 2:.0f}" font-size="11" text-anchor="middle" transform="rotate(-90 16 {(top + bottom) / 2:.0f})">FID-FMNIST</text>',
    ]
    for tick in nice_ticks(f0, f1):
        parts.append(f'<line x1="{left - 4:.0f}" y1="{y(tick):.1f}" x2="{left:.0f}" y2="{y(tick):.1f}" stroke="#888"/>')
        parts.append(f'<text x="{left - 6:.0f}" y="{y(tick) + 4:.1f}" font-size="11" text-anchor="end">{tick:g}</text>')
    for exponent in range(math.floor(t0), math.ceil(t1) + 1):
        for m in (1, 2, 5):
            t = m * 10**exponent
            if t0 <= math.log10(t) <= t1:
                parts.append(f'<line x1="{x(t):.1f}" y1="{bottom:.0f}" x2="{x(t):.1f}" y2="{bottom + 4:.0f}" stroke="#888"/>')
                parts.append(f'<text x="{x(t):.1f}" y="{bottom + 16:.0f}" font-size="11" text-anchor="middle">{t:g}</text>')
    for i, sampler in enumerate(samplers):
        colour = COLOURS[i % len(COLOURS)]
        points = sorted((r for r in rows if r["sampler"] == sampler), key=lambda r: r["sampling_seconds"])
        path = " ".join(f"{x(r['sampling_seconds']):.1f},{y(r['fid_fmnist']):.1f}" for r in points)
        parts.append(f'<polyline fill="none" stroke="{colour}" stroke-width="1.5" points="{path}"/>')
        for r in points:
            px, py = x(r["sampling_seconds"]), y(r["fid_fmnist"])
            parts.append(f'<circle cx="{px:.1f}" cy="{py:.1f}" r="3" fill="{colour}"/>')
            parts.append(f'<text x="{px + 5:.1f}" y="{py - 5:.1f}" font-size="10" fill="{colour}">{r["steps"]}</text>')
        ly = top + 16 * i
        parts.append(f'<line x1="{right + 15:.0f}" y1="{ly:.0f}" x2="{right + 35:.0f}" y2="{ly:.0f}" stroke="{colour}" stroke-width="2"/>')
        parts.append(f'<text x="{right + 40:.0f}" y="{ly + 4:.0f}" font-size="11">{sampler}</text>')
    parts.append(f'<text x="{right + 15:.0f}" y="{top + 16 * len(samplers) + 8:.0f}" font-size="10" fill="#666">labels: steps</text>')
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def nice_ticks(low, high, count=5):
    raw = (high - low) / count
    step = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 5, 10):
        if m * step >= raw:
            step *= m
            break
    first = math.ceil(low / step) * step
    return [first + k * step for k in range(int((high - first) / step) + 1)]


def main():
    lines, table_path, svg_path, title = sys.argv[1:5]
    rows, samplers = load(lines)
    with open(table_path, "w") as f:
        f.write(table(rows, rows[0]["floor_fid_fmnist"]))
    with open(svg_path, "w") as f:
        f.write(svg(rows, samplers, title))


if __name__ == "__main__":
    main()
