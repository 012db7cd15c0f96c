"""Roofline charts: a log-log text chart for the terminal (plain characters, no dependency) and an image
(PNG/SVG) through matplotlib when it is installed (``pip install 'llmwalls[plot]'``).

The roofline (Williams, Waterman & Patterson 2009): attainable FLOP/s = min(compute roof, intensity x
bandwidth). On log-log axes the bandwidth roof is a line of slope 1, the compute roof is flat, and they meet
at the ridge point (intensity = compute / bandwidth, FLOP/byte). Points left of the ridge are memory-bound.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Point:
    marker: str  # one character on the text chart
    label: str
    intensity_flops_per_byte: float
    flops_per_s: float


def _si(value: float) -> str:
    for prefix, size in (("P", 1e15), ("T", 1e12), ("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if value >= size:
            return f"{value / size:.3g}{prefix}"
    return f"{value:.3g}"


def text_roofline(
    peak_flops_per_s: float,
    bandwidth_bytes_per_s: float,
    points: Sequence[Point],
    *,
    width: int = 70,
    height: int = 20,
    title: str = "",
) -> str:
    """A log-log roofline in plain characters: '/' bandwidth roof, '-' compute roof, '+' ridge point,
    each point as its marker; a legend below. ``peak`` and ``bandwidth`` are the roofs to draw (pass the
    attainable ones)."""
    ridge = peak_flops_per_s / bandwidth_bytes_per_s
    xs = [p.intensity_flops_per_byte for p in points if p.intensity_flops_per_byte > 0] + [ridge]
    ys = [p.flops_per_s for p in points if p.flops_per_s > 0] + [peak_flops_per_s]
    x_lo = math.floor(math.log10(min(xs)) - 0.3)
    x_hi = math.ceil(math.log10(max(xs)) + 0.3)
    y_hi = math.ceil(math.log10(max(ys)) + 0.05)
    y_lo = min(math.floor(math.log10(min(ys)) - 0.3), y_hi - 2)
    plot_w = width - 8  # room for the y labels
    grid = [[" "] * plot_w for _ in range(height)]

    def col(x: float) -> int:
        return round((math.log10(x) - x_lo) / (x_hi - x_lo) * (plot_w - 1))

    def row(y: float) -> int:  # row 0 is the top
        return (height - 1) - round((math.log10(y) - y_lo) / (y_hi - y_lo) * (height - 1))

    # Roofs
    for c in range(plot_w):
        x = 10 ** (x_lo + c / (plot_w - 1) * (x_hi - x_lo))
        y = min(peak_flops_per_s, x * bandwidth_bytes_per_s)
        r = row(y)
        if 0 <= r < height:
            grid[r][c] = "-" if x >= ridge else "/"
    rc, rr = col(ridge), row(peak_flops_per_s)
    if 0 <= rc < plot_w and 0 <= rr < height:
        grid[rr][rc] = "+"
        for r in range(rr + 1, height):  # a dotted drop line under the ridge point
            if grid[r][rc] == " ":
                grid[r][rc] = ":"
    # Points; one that lands on another point's cell moves to the nearest free neighbour (the legend
    # gives the exact values).
    taken: set[tuple[int, int]] = set()
    for p in points:
        if p.intensity_flops_per_byte <= 0 or p.flops_per_s <= 0:
            continue
        c0, r0 = col(p.intensity_flops_per_byte), row(p.flops_per_s)
        for dc, dr in ((0, 0), (1, 0), (-1, 0), (0, -1), (0, 1), (2, 0), (-2, 0), (1, -1), (-1, 1)):
            c, r = c0 + dc, r0 + dr
            if 0 <= c < plot_w and 0 <= r < height and (r, c) not in taken:
                grid[r][c] = p.marker
                taken.add((r, c))
                break
    lines = []
    if title:
        lines.append(title)
    label_rows = {row(10.0**e): _si(10.0**e) for e in range(y_lo, y_hi + 1)}
    for r in range(height):
        label = label_rows.get(r, "")
        lines.append(f"{label:>6} |" + "".join(grid[r]).rstrip())
    lines.append(" " * 7 + "+" + "-" * plot_w)
    axis = [" "] * (plot_w + 12)
    for e in range(x_lo, x_hi + 1):
        text = _si(10.0**e)
        c = col(10.0**e) + 8 - len(text) // 2
        for i, ch in enumerate(text):
            if 0 <= c + i < len(axis):
                axis[c + i] = ch
    lines.append("".join(axis).rstrip())
    lines.append(" " * 8 + "arithmetic intensity (FLOP/byte, log) ->   y: FLOP/s (log)")
    lines.append(
        f"  / bandwidth roof {_si(bandwidth_bytes_per_s)}B/s   - compute roof {_si(peak_flops_per_s)}FLOP/s"
        f"   + ridge {ridge:,.0f} FLOP/byte"
    )
    for p in points:
        lines.append(
            f"  {p.marker} {p.label}: {p.intensity_flops_per_byte:,.3g} FLOP/byte, {_si(p.flops_per_s)}FLOP/s"
        )
    return "\n".join(lines)


class PlotUnavailableError(RuntimeError):
    """matplotlib is not installed."""


def save_roofline_plot(
    path: str,
    peak_flops_per_s: float,
    bandwidth_bytes_per_s: float,
    points: Sequence[Point],
    *,
    datasheet_peak_flops_per_s: float | None = None,
    datasheet_bandwidth_bytes_per_s: float | None = None,
    title: str = "",
) -> None:
    """The same chart as an image; the format follows the file suffix (.png, .svg)."""
    try:
        import matplotlib
    except ImportError:
        raise PlotUnavailableError("matplotlib is not installed: pip install 'llmwalls[plot]'") from None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ridge = peak_flops_per_s / bandwidth_bytes_per_s
    xs = [p.intensity_flops_per_byte for p in points if p.intensity_flops_per_byte > 0] + [ridge]
    x_lo, x_hi = 10 ** math.floor(math.log10(min(xs)) - 0.3), 10 ** math.ceil(math.log10(max(xs)) + 0.3)
    n = 200
    grid = [x_lo * (x_hi / x_lo) ** (i / (n - 1)) for i in range(n)]
    fig, ax = plt.subplots(figsize=(11, 5.5))
    try:
        ax.loglog(
            grid,
            [min(peak_flops_per_s, x * bandwidth_bytes_per_s) for x in grid],
            color="C0",
            label="attainable roof",
        )
        if datasheet_peak_flops_per_s and datasheet_bandwidth_bytes_per_s:
            ax.loglog(
                grid,
                [min(datasheet_peak_flops_per_s, x * datasheet_bandwidth_bytes_per_s) for x in grid],
                color="0.6",
                linestyle="--",
                label="datasheet roof",
            )
        ax.axvline(ridge, color="0.8", linestyle=":")
        ax.annotate(
            f"ridge {ridge:,.0f} FLOP/byte",
            (ridge, peak_flops_per_s),
            textcoords="offset points",
            xytext=(-40, -14),
            fontsize=7,
            color="0.4",
        )
        for i, p in enumerate(points):
            if p.intensity_flops_per_byte > 0 and p.flops_per_s > 0:
                ax.scatter(
                    [p.intensity_flops_per_byte],
                    [p.flops_per_s],
                    color=f"C{(i % 9) + 1}",
                    zorder=3,
                    label=f"{p.marker}  {p.label}",
                )
                ax.annotate(
                    p.marker,
                    (p.intensity_flops_per_byte, p.flops_per_s),
                    textcoords="offset points",
                    xytext=(3 + 6 * (i % 3), 4 + 6 * (i % 2)),
                    fontsize=8,
                )
        ax.set_xlabel("arithmetic intensity (FLOP/byte)")
        ax.set_ylabel("FLOP/s")
        if title:
            ax.set_title(title, fontsize=10)
        ax.grid(True, which="major", alpha=0.3)
        ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize=7, borderaxespad=0.0)
        fig.tight_layout()
        fig.savefig(path)
    finally:
        plt.close(fig)
