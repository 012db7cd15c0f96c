"""Reports of an audit people can share: a self-contained HTML page (inline CSS and SVG: it opens offline,
loads nothing from the network and has no external assets) and a Markdown summary for a pull request or a
wiki. Both draw an llmwalls.render.audit_view.AuditView.

The HTML holds: the answer (who starves first, on which wall, when, and the fix), the heat map of the binding
wall and of memory bandwidth (or of the wall asked for), every wall of every workload per quarter, the pools
with a chart of the GPUs each workload holds, and the assumptions with their sources. Its size is a few tens
of kB for an 18-month roadmap (the tests bound it).
"""

from __future__ import annotations

import re
from html import escape
from typing import Any

from llmwalls import __version__
from llmwalls.render import heatmap
from llmwalls.render.audit_view import AuditView, Cell, wall_label

# The wall the audit's question is usually about, given its own heat map in the report when no other is asked
# for: decode reads every weight and KV byte per token, so memory bandwidth is the first wall of serving.
DEFAULT_FOCUS_WALL = "memory_bandwidth"

_CSS = """
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:2em auto;max-width:70em;
padding:0 1em;color:#222;background:#fff}
h1{font-size:1.5em;margin-bottom:.2em}h2{font-size:1.2em;margin-top:1.8em;border-bottom:1px solid #ddd}
h3{font-size:1em}
.meta{color:#666;margin-top:0}.verdict{font-size:1.1em;font-weight:600;padding:.6em .8em;border-radius:4px}
.verdict.hit{background:#fde0dc;border-left:4px solid #d73027}.verdict.ok{background:#e5f5e0;
border-left:4px solid #1a9850}
table{border-collapse:collapse;margin:.6em 0 1em}th,td{padding:.25em .6em;border-bottom:1px solid #e4e4e4;
text-align:left;vertical-align:top}th{background:#f6f6f6}td.n{text-align:right;font-variant-numeric:tabular-nums}
td.b0{background:#d9ef8b}td.b1{background:#a6d96a}td.b2{background:#fee08b}td.b3{background:#d73027;color:#fff;
font-weight:600}td.na{color:#999}td.when{color:#b2182b;font-weight:600}
.fig{overflow-x:auto;margin:.5em 0}.legend{color:#555;font-size:.9em}.src{font-size:.9em;color:#444}
ul.notes li{margin:.2em 0}code{background:#f3f3f3;padding:0 .2em}
"""

_URL = re.compile(r"https?://[^\s),;]+")


def _linked(text: str) -> str:
    """Escape ``text`` and make its URLs links (a link loads nothing until followed)."""
    out, last = [], 0
    for m in _URL.finditer(text):
        url = m.group(0).rstrip(".")
        out.append(escape(text[last : m.start()]))
        out.append(f'<a href="{escape(url)}">{escape(url)}</a>')
        last = m.start() + len(url)
    out.append(escape(text[last:]))
    return "".join(out)


def _table(headers: list[str], rows: list[list[tuple[str, str]]]) -> str:
    """rows of (html, css class) cells; the html is already escaped."""
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join(
        "<tr>"
        + "".join(f'<td class="{cls}">{html}</td>' if cls else f"<td>{html}</td>" for html, cls in row)
        + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _findings_rows(view: AuditView) -> list[list[tuple[str, str]]]:
    rows = []
    for f in view.findings:
        pess = ""
        if f.quarter_pessimistic and (f.quarter_pessimistic != f.quarter or f.quarter is None):
            pess = f"{f.quarter_pessimistic} ({wall_label(f.wall_pessimistic or '')})"
        elif f.quarter is not None:
            pess = "same"
        rows.append(
            [
                (escape(f.workload), ""),
                (escape(f.kind), ""),
                (escape(f.quarter or "not within the horizon"), "when" if f.quarter else ""),
                (escape(wall_label(f.wall)) if f.wall else "-", ""),
                (escape(pess or "-"), ""),
                (escape(f.fix or "-"), ""),
            ]
        )
    return rows


def _remedy_tables(view: AuditView) -> list[str]:
    out = []
    for f in view.findings:
        if not f.remedies:
            continue
        where = f"{wall_label(f.wall or '')}, {f.quarter or ''}"
        out.append(f"<h3>Fixes for {escape(f.workload)} ({escape(where)})</h3>")
        out.append(
            _table(
                ["fix", "holds through", "cost", "power"],
                [
                    [
                        (escape(r.description), ""),
                        (escape(r.holds), ""),
                        (escape(r.cost), "n"),
                        (escape(r.power), "n"),
                    ]
                    for r in f.remedies
                ],
            )
        )
    if out:
        out.append(
            '<p class="legend">Cheapest first among the fixes that hold longest; holds through: the last '
            "quarter every wall stays under 100% with it.</p>"
        )
    return out


def _wall_rows(view: AuditView, workload: str, walls: tuple[str, ...]) -> list[list[tuple[str, str]]]:
    rows = []
    for q in view.quarters:
        c: Cell | None = view.cell(workload, q)
        if c is None:
            continue
        row = [(escape(q), ""), (escape(c.pool), ""), (f"{c.gpus:,}", "n"), (escape(c.model), "")]
        for w in walls:
            u = c.use(w)
            b = heatmap.band(u, view.near_threshold)
            row.append((escape(heatmap.value_text(u)), f"n b{b}" if b is not None else "n na"))
        binding = c.binding
        row.append((escape(wall_label(binding.wall)) if binding else "-", ""))
        rows.append(row)
    return rows


def html(view: AuditView, *, wall: str | None = None) -> str:
    """The self-contained HTML report (a str of UTF-8 text)."""
    focus = wall or DEFAULT_FOCUS_WALL
    walls = view.walls_present()
    starving = bool(view.starving())
    span = f"{view.quarters[0]}..{view.quarters[-1]}" if view.quarters else ""
    parts = [
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width,initial-scale=1">',
        f"<title>{escape(view.title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{escape(view.title)}</h1>",
        f'<p class="meta">{escape(view.roadmap)} &middot; {escape(span)} &middot; '
        f"llmwalls {escape(__version__)} &middot; utilisation = demand / limit of each wall; "
        "a wall is hit above 100%</p>",
        f'<p class="verdict {"hit" if starving else "ok"}">{escape(view.verdict)}</p>',
        "<h2>Which workload starves first</h2>",
        _table(
            [
                "workload",
                "kind",
                "starves in",
                "first wall",
                "pessimistic",
                "what fixes it (in that quarter)",
            ],
            _findings_rows(view),
        ),
        '<p class="legend">pessimistic: with the low end of every efficiency range.</p>',
        *_remedy_tables(view),
        "<h2>Heat map: the binding wall</h2>",
        f'<div class="fig">{heatmap.svg(view)}</div>',
        f'<p class="legend">{escape(". ".join(heatmap.legend(view, None)))}. '
        "Hover a cell for every wall.</p>",
    ]
    if focus in walls or wall is not None:
        parts += [
            f"<h2>Heat map: {escape(wall_label(focus))}</h2>",
            f'<div class="fig">{heatmap.svg(view, wall=focus)}</div>',
            f'<p class="legend">{escape(heatmap.ranking_text(view, focus))}</p>',
        ]
    parts.append("<h2>Every wall, per workload and quarter</h2>")
    headers = ["quarter", "pool", "GPUs", "model"] + [wall_label(w) for w in walls] + ["binding"]
    for w in view.workloads:
        rows = _wall_rows(view, w, walls)
        if rows:
            parts += [f"<h3>{escape(w)}</h3>", _table(headers, rows)]
    if view.pools:
        parts.append("<h2>Pools</h2>")
        pool_rows = [
            [
                (escape(p.name), ""),
                (escape(p.gpu), ""),
                (f"{p.gpus:,}" if p.gpus else "-", "n"),
                (escape(p.start), ""),
                (escape(p.until or "-"), ""),
                (escape(p.site or "-"), ""),
                (f"${p.usd_per_gpu_hour:,.2f}" if p.usd_per_gpu_hour is not None else "profile", "n"),
                ("owned" if p.owned else ("rented" if p.owned is not None else "-"), ""),
            ]
            for p in view.pools
        ]
        headers = ["pool", "GPU", "GPUs", "from", "until", "site", "$/GPU-hour", "owned"]
        parts.append(_table(headers, pool_rows))
        for name in heatmap.pools_in(view):
            parts += [
                f"<h3>GPUs per workload on {escape(name)}</h3>",
                f'<div class="fig">{heatmap.pool_svg(view, name)}</div>',
            ]
    if view.assumptions:
        parts.append("<h2>Assumptions and their sources</h2>")
        parts.append(
            _table(
                ["assumption", "value", "source"],
                [
                    [(escape(a.name), ""), (escape(a.value), "n"), (_linked(a.source), "src")]
                    for a in view.assumptions
                ],
            )
        )
    if view.warnings or view.notes:
        parts.append('<h2>Warnings and notes</h2><ul class="notes">')
        parts += [f"<li><b>warning:</b> {escape(m)}</li>" for m in view.warnings]
        parts += [f"<li>{escape(m)}</li>" for m in view.notes]
        parts.append("</ul>")
    parts.append("</body></html>\n")
    return "".join(parts)


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def markdown(view: AuditView, *, wall: str | None = None, width: int = 100) -> str:
    """A Markdown summary: the answer, the findings table, the heat map (as text, within ``width``
    columns) and the assumptions with their sources."""
    span = f"{view.quarters[0]}..{view.quarters[-1]}" if view.quarters else ""
    lines = [
        f"## {_md_cell(view.title)}",
        "",
        f"`{_md_cell(view.roadmap)}`, {span}, llmwalls {__version__}.",
        "",
        f"**{_md_cell(view.verdict)}**",
        "",
        "| workload | starves in | first wall | pessimistic | what fixes it (in that quarter) |",
        "|---|---|---|---|---|",
    ]
    for f in view.findings:
        pess = (
            f"{f.quarter_pessimistic} ({wall_label(f.wall_pessimistic or '')})"
            if f.quarter_pessimistic
            else "-"
        )
        lines.append(
            f"| {_md_cell(f.workload)} | {f.quarter or 'not within the horizon'} | "
            f"{wall_label(f.wall) if f.wall else '-'} | {_md_cell(pess)} | {_md_cell(f.fix or '-')} |"
        )
    for f in view.findings:
        if f.remedies:
            where = f"{wall_label(f.wall or '')}, {f.quarter}"
            lines += ["", f"Fixes for {_md_cell(f.workload)} ({where}), cheapest first:", ""]
            lines += ["| fix | holds through | cost | power |", "|---|---|---|---|"]
            lines += [f"| {_md_cell(r.description)} | {r.holds} | {r.cost} | {r.power} |" for r in f.remedies]
    lines += ["", "```text", heatmap.terminal_text(view, width=width)]
    focus = wall or DEFAULT_FOCUS_WALL
    if focus in view.walls_present() or wall is not None:
        lines += ["", heatmap.terminal_text(view, wall=focus, width=width)]
    lines += ["```", ""]
    if view.assumptions:
        lines += ["<details><summary>Assumptions and their sources</summary>", ""]
        lines += [
            f"- **{_md_cell(a.name)}** = {_md_cell(a.value)}: {_md_cell(a.source)}" for a in view.assumptions
        ]
        lines += ["", "</details>", ""]
    if view.warnings:
        lines += [f"> warning: {_md_cell(m)}" for m in view.warnings] + [""]
    return "\n".join(lines)


def write_html(view: AuditView, path: str, *, wall: str | None = None, force: bool = False) -> int:
    """Write the HTML report atomically (refusing an existing file without ``force``); returns its size in
    bytes."""
    from llmwalls.render.output import write_bytes

    data = html(view, wall=wall).encode("utf-8")
    write_bytes(path, data, force=force, what="HTML report")
    return len(data)


def write_markdown(view: AuditView, path: str, *, wall: str | None = None, force: bool = False) -> int:
    from llmwalls.render.output import write_bytes

    data = markdown(view, wall=wall).encode("utf-8")
    write_bytes(path, data, force=force, what="Markdown summary")
    return len(data)


def write_all(
    report: Any,
    *,
    html: str | None = None,
    markdown: str | None = None,
    heatmap: str | None = None,
    wall: str | None = None,
    force: bool = False,
) -> list[str]:
    """Write the reports asked for from an audit report; returns one line per file written."""
    from llmwalls.render import audit_view
    from llmwalls.render import heatmap as heat

    view = audit_view.from_audit(report)
    done = []
    if html is not None:
        size = write_html(view, html, wall=wall, force=force)
        done.append(f"wrote {html} ({size / 1024:.0f} KiB, self-contained)")
    if markdown is not None:
        write_markdown(view, markdown, wall=wall, force=force)
        done.append(f"wrote {markdown}")
    if heatmap is not None:
        heat.save(view, heatmap, wall=wall, force=force)
        done.append(f"wrote {heatmap}")
    return done
