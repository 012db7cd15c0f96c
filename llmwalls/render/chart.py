"""Roofline charts: a log-log text chart for the terminal (plain characters, no dependency) and an image
(PNG/SVG) through matplotlib when it is installed (``pip install 'llmwalls[plot]'``).

The roofline (Williams, Waterman & Patterson 2009): attainable FLOP/s = min(compute roof, intensity x
bandwidth). On log-log axes the bandwidth roof is a line of slope 1, the compute roof is flat, and they meet
at the ridge point (intensity = compute / bandwidth, FLOP/byte). Points left of the ridge are memory-bound.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any


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


def save_figure(fig: Any, path: str, force: bool) -> None:
    """Render the figure in memory, then write the bytes atomically (llmwalls.files.atomic_write_bytes:
    a temporary file renamed over the target, so a crash never leaves a partial image in place of the
    user's file; never through a symbolic link; an existing file only with ``force``)."""
    import io

    from llmwalls.files import atomic_write_bytes

    buffer = io.BytesIO()
    fig.savefig(buffer, format=path.rsplit(".", 1)[-1].lower())
    atomic_write_bytes(path, buffer.getvalue(), force=force, what="--plot file")


def save_roofline_plot(
    path: str,
    peak_flops_per_s: float,
    bandwidth_bytes_per_s: float,
    points: Sequence[Point],
    *,
    datasheet_peak_flops_per_s: float | None = None,
    datasheet_bandwidth_bytes_per_s: float | None = None,
    title: str = "",
    force: bool = False,
) -> None:
    """The same chart as an image; the format follows the file suffix (.png, .svg). An existing file is
    replaced only with ``force`` (see save_figure)."""
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
        save_figure(fig, path, force)
    finally:
        plt.close(fig)


# ------------------------------------------------------------------------------ walls against a swept axis
# (added for `llmwalls walls --sweep`: utilisation of each wall against the swept value, log-log, with the
# line utilisation = 1 where a wall is hit.)


@dataclass(frozen=True)
class Series:
    marker: str  # one character on the text chart
    label: str
    values: Sequence[float]  # one per x; NaN/None = not drawn


def _fmt_axis(value: float) -> str:
    return _si(value)


def text_lines(
    xs: Sequence[float],
    series: Sequence[Series],
    *,
    width: int = 70,
    height: int = 16,
    title: str = "",
    x_label: str = "",
    y_label: str = "utilisation",
    y_floor: float = 0.01,
    threshold: float = 1.0,
    x_fmt: Callable[[float], str] | None = None,  # x labels (default SI prefixes)
) -> str:
    """Each series against xs on log-log axes in plain characters; a '=' line at ``threshold`` (the wall), and
    a legend. Values below ``y_floor`` sit on the bottom row; later series overwrite earlier ones where they
    share a cell ('*' marks a shared cell)."""
    pts = [
        (x, y)
        for s in series
        for x, y in zip(xs, s.values, strict=True)
        if y is not None and y == y and y > 0
    ]
    ys = [max(y, y_floor) for _, y in pts] + [threshold]
    x_lo, x_hi = math.log10(min(xs)), math.log10(max(xs))
    if x_hi - x_lo < 1e-9:
        x_lo, x_hi = x_lo - 0.5, x_hi + 0.5
    y_lo = math.floor(math.log10(min(ys)))
    y_hi = math.ceil(math.log10(max(ys)) + 1e-9)
    if y_hi <= y_lo:
        y_hi = y_lo + 1
    plot_w = width - 8
    grid = [[" "] * plot_w for _ in range(height)]

    def col(x: float) -> int:
        return round((math.log10(x) - x_lo) / (x_hi - x_lo) * (plot_w - 1))

    def row(y: float) -> int:
        y = max(y, 10.0**y_lo)
        return (height - 1) - round((math.log10(y) - y_lo) / (y_hi - y_lo) * (height - 1))

    tr = row(threshold)
    for c in range(plot_w):
        grid[tr][c] = "="
    for s in series:
        prev = None
        for x, y in zip(xs, s.values, strict=True):
            if y is None or y != y or y <= 0:
                prev = None
                continue
            c, r = col(x), row(max(y, y_floor))
            if prev is not None:  # a dotted path between neighbouring points
                (c0, r0) = prev
                steps = max(abs(c - c0), 1)
                for k in range(1, steps):
                    cc = c0 + (c - c0) * k // steps
                    rr = r0 + round((r - r0) * k / steps)
                    if grid[rr][cc] in (" ", "="):
                        grid[rr][cc] = "."
            grid[r][c] = "*" if grid[r][c] not in (" ", "=", ".", s.marker) else s.marker
            prev = (c, r)
    lines = [title] if title else []
    label_rows = {row(10.0**e): f"{10.0**e:g}" for e in range(y_lo, y_hi + 1)}
    label_rows.setdefault(tr, f"{threshold:g}")
    for r in range(height):
        lines.append(f"{label_rows.get(r, ''):>6} |" + "".join(grid[r]).rstrip())
    lines.append(" " * 7 + "+" + "-" * plot_w)
    axis = [" "] * (plot_w + 12)
    for x in xs:
        text = (x_fmt or _fmt_axis)(x)
        c = col(x) + 8 - len(text) // 2
        if all(axis[c + i] == " " for i in range(-1, len(text) + 1) if 0 <= c + i < len(axis)):
            for i, ch in enumerate(text):
                if 0 <= c + i < len(axis):
                    axis[c + i] = ch
    lines.append("".join(axis).rstrip())
    lines.append(" " * 8 + f"{x_label} (log) ->   y: {y_label} (log); '=' at {threshold:g}: the wall")
    lines.append("  " + "   ".join(f"{s.marker} {s.label}" for s in series) + "   * several")
    return "\n".join(lines)


def save_lines_plot(
    path: str,
    xs: Sequence[float],
    series: Sequence[Series],
    *,
    title: str = "",
    x_label: str = "",
    y_label: str = "utilisation (demand / limit)",
    threshold: float = 1.0,
    bands: dict[str, tuple[Sequence[float], Sequence[float]]] | None = None,
    force: bool = False,
) -> None:
    """The same chart as an image (.png or .svg by suffix); ``bands`` maps a series label to (low, high)
    values drawn as a shaded range (the uncertainty of that wall)."""
    try:
        import matplotlib
    except ImportError:
        raise PlotUnavailableError("matplotlib is not installed: pip install 'llmwalls[plot]'") from None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(10, 5))
    try:
        for i, s in enumerate(series):
            ys = [float("nan") if v is None else v for v in s.values]
            if all(y != y for y in ys):
                continue
            ax.plot(xs, ys, marker="o", markersize=3, color=f"C{i}", label=f"{s.marker}  {s.label}")
            if bands and s.label in bands:
                lo, hi = bands[s.label]
                ax.fill_between(xs, lo, hi, color=f"C{i}", alpha=0.15, linewidth=0)
        ax.axhline(threshold, color="0.3", linestyle="--", linewidth=1)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel(x_label)
        ax.set_ylabel(y_label)
        if title:
            ax.set_title(title, fontsize=10)
        ax.grid(True, which="major", alpha=0.3)
        ax.legend(fontsize=8)
        fig.tight_layout()
        save_figure(fig, path, force)
    finally:
        plt.close(fig)
