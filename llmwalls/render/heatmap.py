"""The audit's main picture: workloads (rows) x quarters (columns), each cell the utilisation of the wall
that binds (or of one chosen wall, ``wall="memory_bandwidth"``) - as shaded glyphs and a letter in the
terminal, as SVG written here in plain Python (for the HTML report; no plotting library needed), and as PNG or
SVG through matplotlib when the plot extra is installed.

Utilisation = demand / limit of the wall (llmwalls.api.types.Wall); shading bands: below 50%, up to the
near threshold (80% unless the audit says otherwise), up to 100%, and above 100% (hit).
"""

from __future__ import annotations

import io
import math
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING

from llmwalls.render.audit_view import WALL_LETTERS, AuditView, Cell, wall_label

if TYPE_CHECKING:
    from rich.console import Console

# Below this utilisation a wall is far from binding (the lightest shade).
LOW_BAND = 0.5
GLYPH_NA = "·"
GLYPHS = ("░", "▒", "▓", "█")  # < LOW_BAND, < near, <= 1, > 1 (hit)
BAND_NAMES = ("low", "ok", "near", "hit")
BAND_STYLES = ("green", "green", "yellow", "bold red")
# Fill colours (ColorBrewer RdYlGn, Brewer and Harrower 2003, https://colorbrewer2.org, a scheme chosen to
# stay readable for the common colour-vision deficiencies when paired with the glyph or text of each cell).
BAND_FILLS = ("#d9ef8b", "#a6d96a", "#fee08b", "#d73027")
NA_FILL = "#f0f0f0"
NAME_WIDTH_MAX = 24  # characters of the workload column in the terminal before a name gets its own line


def band(utilization: float | None, near: float) -> int | None:
    """0 low, 1 ok, 2 near, 3 hit (exactly above 1, as every wall), None for no limit."""
    if utilization is None or math.isnan(utilization):
        return None
    if utilization > 1.0:
        return 3
    if utilization >= near:
        return 2
    return 0 if utilization < LOW_BAND else 1


def value_text(utilization: float | None) -> str:
    """Utilisation in a few characters without cutting it: '84%', '120%', '12x', '3.4e+03x'; '-' for none."""
    if utilization is None or math.isnan(utilization):
        return "-"
    if math.isinf(utilization):
        return "inf"
    if utilization < 10:
        return f"{utilization * 100:.0f}%"
    if utilization < 1000:
        return f"{utilization:.0f}x"
    return f"{utilization:.1e}x"


@dataclass(frozen=True)
class Shown:
    """What one cell shows: the wall, its utilisation and band."""

    wall: str | None
    utilization: float | None
    band: int | None


def shown(cell: Cell | None, wall: str | None, near: float) -> Shown:
    if cell is None:
        return Shown(None, None, None)
    if wall is not None:
        u = cell.use(wall)
        return Shown(wall, u, band(u, near))
    b = cell.binding
    if b is None:
        return Shown(None, None, None)
    return Shown(b.wall, b.utilization, band(b.utilization, near))


def _cell_text(s: Shown, near: float) -> str:
    if s.utilization is None:
        return (
            f"{GLYPH_NA} {'-':>4}" if s.wall is None else f"{GLYPH_NA}{WALL_LETTERS.get(s.wall, '?')}{'-':>4}"
        )
    del near
    glyph = GLYPHS[s.band] if s.band is not None else GLYPH_NA
    return f"{glyph}{WALL_LETTERS.get(s.wall or '', '?')}{value_text(s.utilization):>5}"


def title(view: AuditView, wall: str | None) -> str:
    if wall is None:
        return "Binding wall per workload and quarter (shade: utilisation of the wall; letter: which wall)"
    return f"{wall_label(wall).capitalize()} utilisation per workload and quarter"


def legend(view: AuditView, wall: str | None) -> list[str]:
    near = f"{view.near_threshold * 100:.0f}%"
    bands = (
        f"{GLYPHS[0]} below {LOW_BAND * 100:.0f}%  {GLYPHS[1]} below {near}  {GLYPHS[2]} near (from {near})  "
        f"{GLYPHS[3]} hit (above 100%)  {GLYPH_NA} no limit or not running"
    )
    used = (
        [wall]
        if wall is not None
        else sorted(
            {
                s.wall
                for w in view.workloads
                for q in view.quarters
                if (s := shown(view.cell(w, q), None, 0.8)).wall
            },
            key=lambda x: list(WALL_LETTERS).index(x) if x in WALL_LETTERS else 99,
        )
    )
    letters = ", ".join(f"{WALL_LETTERS.get(w, '?')} {wall_label(w)}" for w in used if w)
    return [bands, f"letters: {letters}" if letters else ""]


def terminal_rows(
    view: AuditView, *, wall: str | None = None, width: int = 100
) -> list[list[tuple[str, str]]]:
    """The terminal heat map as lines of (text, style) pieces, at most ``width`` characters each: quarters
    beyond what fits go to a further block below, a name longer than the name column gets its own line."""
    near = view.near_threshold
    names = list(view.workloads)
    name_w = min(NAME_WIDTH_MAX, max([len("workload")] + [len(n) for n in names]))
    texts = {
        (w, q): (_cell_text(s := shown(view.cell(w, q), wall, near), near), s.band)
        for w in names
        for q in view.quarters
    }
    col_w = max([len(q) for q in view.quarters] + [len(t) for t, _ in texts.values()] + [6])
    per_block = max(1, (width - name_w - 1) // (col_w + 1))
    lines: list[list[tuple[str, str]]] = [[(t, "bold")] for t in textwrap.wrap(title(view, wall), width)]
    quarters = list(view.quarters)
    for start in range(0, len(quarters), per_block):
        block = quarters[start : start + per_block]
        lines.append([(f"{'workload':<{name_w}} " + " ".join(f"{q:>{col_w}}" for q in block), "bold")])
        for w in names:
            pieces: list[tuple[str, str]] = []
            if len(w) > name_w:
                lines.append([(w, "")])
                pieces.append((" " * (name_w + 1), ""))
            else:
                pieces.append((f"{w:<{name_w}} ", ""))
            for i, q in enumerate(block):
                text, b = texts[(w, q)]
                pieces.append((f"{text:>{col_w}}", BAND_STYLES[b] if b is not None else "dim"))
                if i < len(block) - 1:
                    pieces.append((" ", ""))
            lines.append(pieces)
    for line in legend(view, wall):
        lines += [[(t, "dim")] for t in textwrap.wrap(line, width, break_on_hyphens=False)]
    if wall is not None:
        lines += [[(t, "")] for t in textwrap.wrap(ranking_text(view, wall), width, break_on_hyphens=False)]
    return lines


def ranking_text(view: AuditView, wall: str) -> str:
    """'Closest to the memory bandwidth wall: chat (hit in 2026Q4, peak 112% in 2026Q4), ...'."""
    from llmwalls.render.audit_view import wall_ranking

    parts = []
    for r in wall_ranking(view, wall):
        if r.peak is None:
            parts.append(f"{r.workload} (no limit)")
            continue
        hit = f"hit in {r.first_hit}, " if r.first_hit else ""
        parts.append(f"{r.workload} ({hit}peak {value_text(r.peak)} in {r.peak_quarter})")
    return f"Closest to the {wall_label(wall)} wall: " + ", ".join(parts) + "."


def terminal_text(view: AuditView, *, wall: str | None = None, width: int = 100) -> str:
    """The terminal heat map without colour (pipes, Markdown, tests)."""
    return "\n".join(
        "".join(t for t, _ in line).rstrip() for line in terminal_rows(view, wall=wall, width=width)
    )


def print_to(console: Console, view: AuditView, *, wall: str | None = None, width: int = 100) -> None:
    """Print the heat map on a Rich console (colour on a terminal), at most ``width`` columns."""
    from rich.text import Text

    for line in terminal_rows(view, wall=wall, width=width):
        text = Text()
        for piece, style in line:
            text.append(piece, style=style or None)
        console.print(text, no_wrap=True, overflow="ignore", crop=False)


def show(view: AuditView, *, wall: str | None = None, width: int | None = None) -> None:
    """Print the heat map on stdout, at most ``width`` columns (default: the terminal's, capped at 100)."""
    from llmwalls import render

    console = render._console()
    with console.capture() as captured:
        print_to(console, view, wall=wall, width=width or min(100, console.width))
    render.emit(captured.get())


# ------------------------------------------------------------------------------------------------ SVG

_FONT = "font-family:DejaVu Sans Mono,Menlo,Consolas,monospace"
_CHAR_PX = 7.3  # width of one character at 12 px in a monospace font (DejaVu Sans Mono: 0.602 em)


def _tooltip(cell: Cell | None) -> str:
    if cell is None:
        return "not running"
    parts = [f"{cell.workload}, {cell.quarter} on {cell.pool} ({cell.gpus:,} GPUs, {cell.model})"]
    for w in cell.walls:
        rng = ""
        if w.low is not None and w.high is not None and w.utilization is not None:
            rng = f" ({value_text(w.low)}..{value_text(w.high)})"
        parts.append(f"{wall_label(w.wall)}: {value_text(w.utilization)}{rng}")
    return "\n".join(parts)


def svg(view: AuditView, *, wall: str | None = None, cell_w: int = 76, cell_h: int = 30) -> str:
    """The heat map as one standalone SVG element (inline in HTML or saved as a file); each cell has a
    tooltip with every wall of that workload and quarter."""
    near = view.near_threshold
    label_w = int(max([8] + [len(w) for w in view.workloads]) * _CHAR_PX) + 16
    top = 26
    width = label_w + cell_w * len(view.quarters) + 8
    height = top + cell_h * len(view.workloads) + 8
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" style="{_FONT};font-size:12px">',
        f"<title>{escape(title(view, wall))}</title>",
    ]
    for j, q in enumerate(view.quarters):
        x = label_w + j * cell_w + cell_w / 2
        out.append(
            f'<text x="{x:.0f}" y="{top - 9}" text-anchor="middle" font-weight="bold">{escape(q)}</text>'
        )
    for i, w in enumerate(view.workloads):
        y = top + i * cell_h
        out.append(
            f'<text x="{label_w - 8}" y="{y + cell_h / 2 + 4:.0f}" text-anchor="end">{escape(w)}</text>'
        )
        for j, q in enumerate(view.quarters):
            cell = view.cell(w, q)
            s = shown(cell, wall, near)
            fill = BAND_FILLS[s.band] if s.band is not None else NA_FILL
            ink = "#ffffff" if s.band == 3 else "#222222"
            x = label_w + j * cell_w
            label = (
                f"{WALL_LETTERS.get(s.wall or '', '')} {value_text(s.utilization)}"
                if s.utilization is not None
                else GLYPH_NA
            )
            bold = ' font-weight="bold"' if s.band == 3 else ""
            out.append(
                f'<g><title>{escape(_tooltip(cell))}</title><rect x="{x + 1}" y="{y + 1}" '
                f'width="{cell_w - 2}" height="{cell_h - 2}" rx="3" fill="{fill}"/>'
                f'<text x="{x + cell_w / 2:.0f}" y="{y + cell_h / 2 + 4:.0f}" text-anchor="middle" '
                f'fill="{ink}"{bold}>{escape(label)}</text></g>'
            )
    out.append("</svg>")
    return "".join(out)


# Workload colours in the pool charts (ColorBrewer Set2, https://colorbrewer2.org), cycled.
PALETTE = ("#66c2a5", "#fc8d62", "#8da0cb", "#e78ac3", "#a6d854", "#ffd92f", "#e5c494", "#b3b3b3")


def pool_svg(view: AuditView, pool: str, *, bar_w: int = 56, height_px: int = 160) -> str:
    """GPUs of one pool each workload holds per quarter (stacked), against the pool's size (dashed line)."""
    gpus_total = next((p.gpus for p in view.pools if p.name == pool), 0)
    stacks = [
        [(w, c.gpus) for w in view.workloads if (c := view.cell(w, q)) and c.pool == pool]
        for q in view.quarters
    ]
    peak = max([gpus_total] + [sum(g for _, g in s) for s in stacks] + [1])
    left, top, bottom = 64, 12, 40
    width = left + bar_w * len(view.quarters) + 16
    total_h = top + height_px + bottom
    scale = height_px / peak
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{total_h}" '
        f'viewBox="0 0 {width} {total_h}" role="img" style="{_FONT};font-size:11px">',
        f"<title>GPUs per workload on {escape(pool)}</title>",
        f'<line x1="{left}" y1="{top + height_px}" x2="{width - 8}" y2="{top + height_px}" stroke="#888"/>',
        f'<text x="{left - 6}" y="{top + 4}" text-anchor="end">{peak:,}</text>',
        f'<text x="{left - 6}" y="{top + height_px}" text-anchor="end">0</text>',
    ]
    colours = {w: PALETTE[i % len(PALETTE)] for i, w in enumerate(view.workloads)}
    for j, (q, stack) in enumerate(zip(view.quarters, stacks, strict=True)):
        x = left + j * bar_w + 6
        y = float(top + height_px)
        for w, g in stack:
            h = g * scale
            y -= h
            out.append(
                f'<rect x="{x}" y="{y:.1f}" width="{bar_w - 12}" height="{h:.1f}" fill="{colours[w]}">'
                f"<title>{escape(w)}: {g:,} GPUs in {escape(q)}</title></rect>"
            )
        out.append(
            f'<text x="{x + (bar_w - 12) / 2:.0f}" y="{top + height_px + 14}" text-anchor="middle">'
            f"{escape(q)}</text>"
        )
    if gpus_total:
        line_y = top + height_px - gpus_total * scale
        out.append(
            f'<line x1="{left}" y1="{line_y:.1f}" x2="{width - 8}" y2="{line_y:.1f}" stroke="#333" '
            'stroke-dasharray="4 3">'
            f"<title>{escape(pool)}: {gpus_total:,} GPUs</title></line>"
        )
    x = left
    for w in view.workloads:
        if any(c.pool == pool for c in view.cells if c.workload == w):
            out.append(
                f'<rect x="{x}" y="{total_h - 14}" width="10" height="10" fill="{colours[w]}"/>'
                f'<text x="{x + 14}" y="{total_h - 5}">{escape(w)}</text>'
            )
            x += int(len(w) * 6.7) + 30
    out.append("</svg>")
    return "".join(out)


# ----------------------------------------------------------------------------------------- matplotlib


def figure_bytes(view: AuditView, fmt: str, *, wall: str | None = None) -> bytes:
    """The heat map as PNG or SVG bytes through matplotlib (the plot extra)."""
    from llmwalls.errors import InputError

    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        from matplotlib.colors import BoundaryNorm, ListedColormap
    except ImportError:
        raise InputError(
            "PNG and SVG heat maps need matplotlib: pip install 'llmwalls[plot]' (the HTML report does not)"
        ) from None
    near = view.near_threshold
    grid = [[shown(view.cell(w, q), wall, near) for q in view.quarters] for w in view.workloads]
    codes = [[(s.band + 1) if s.band is not None else 0 for s in row] for row in grid]
    cmap = ListedColormap([NA_FILL, *BAND_FILLS])
    norm = BoundaryNorm([-0.5, 0.5, 1.5, 2.5, 3.5, 4.5], cmap.N)
    fig, ax = plt.subplots(
        figsize=(1.6 + 0.95 * len(view.quarters), 1.0 + 0.45 * len(view.workloads)), layout="constrained"
    )
    ax.imshow(codes, cmap=cmap, norm=norm, aspect="auto")
    for i, row in enumerate(grid):
        for j, s in enumerate(row):
            text = (
                f"{WALL_LETTERS.get(s.wall or '', '')} {value_text(s.utilization)}"
                if s.utilization is not None
                else ""
            )
            ax.text(
                j, i, text, ha="center", va="center", fontsize=9, color="white" if s.band == 3 else "#222"
            )
    ax.set_xticks(range(len(view.quarters)), labels=list(view.quarters))
    ax.set_yticks(range(len(view.workloads)), labels=list(view.workloads))
    ax.xaxis.tick_top()
    ax.set_title(title(view, wall), fontsize=10, loc="left")
    buf = io.BytesIO()
    fig.savefig(buf, format=fmt, dpi=120, metadata={"Date": None} if fmt == "svg" else None)
    plt.close(fig)
    return buf.getvalue()


def save(view: AuditView, path: str, *, wall: str | None = None, force: bool = False) -> str:
    """Write the heat map to FILE.svg (plain Python) or FILE.png (matplotlib), atomically; refuses an
    existing file unless ``force``. Returns the path written."""
    from llmwalls.errors import InputError
    from llmwalls.render.output import write_bytes

    fmt = Path(path).suffix.lower().lstrip(".")
    if fmt not in ("png", "svg"):
        raise InputError(f"the heat map is written as .png or .svg, not {Path(path).name!r}")
    # SVG is written here in plain Python (no matplotlib needed); PNG is rasterised by matplotlib.
    data = svg(view, wall=wall).encode("utf-8") if fmt == "svg" else figure_bytes(view, fmt, wall=wall)
    write_bytes(path, data, force=force, what="heat map")
    return path


def pools_in(view: AuditView) -> Sequence[str]:
    """Pools with at least one workload on them, in the roadmap's order."""
    used = {c.pool for c in view.cells}
    return [p.name for p in view.pools if p.name in used] + sorted(used - {p.name for p in view.pools})
