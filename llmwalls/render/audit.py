"""The human view of `llmwalls audit`: one table per workload (a row per quarter: its GPUs, model and load,
the utilisation of its walls and the wall it starves on), a summary of which workload starves first, when, on
which wall and what fixes it, and the verdict sentence.

Tables fit the terminal without cutting a figure or a name: from FULL columns on every wall has its own
column; below, each quarter shows its binding wall only and the caption says where to see the others."""

from __future__ import annotations

from typing import TYPE_CHECKING

from llmwalls.render import numbers
from llmwalls.render.walls import count, percent

if TYPE_CHECKING:
    from rich.table import Table

    from llmwalls.api._audit import AuditReport, Fix, QuarterRow, Remedy, WorkloadSummary

FULL = 120  # terminal columns from which every wall gets its own column
WALL_ORDER = ("memory_capacity", "memory_bandwidth", "compute", "interconnect", "site_power", "cost")


def _table(heading: str, caption: str | None = None, *, gap: int = 1) -> Table:
    from rich import box
    from rich.table import Table

    return Table(
        title=heading,
        caption=caption,
        box=box.SIMPLE_HEAD,
        title_justify="left",
        caption_justify="left",
        padding=(0, gap, 0, 0),  # plus the one-space column separator of the box
        pad_edge=False,
        show_edge=False,
    )


def load_text(row: QuarterRow) -> str:
    from llmwalls.api._walls import tokens_text

    if row.kind == "serving" and row.requests_per_s is not None:
        return (
            f"{numbers.sig(row.requests_per_s)} req/s\n{tokens_text(row.context_tokens)} tok/req, TP {row.tp}"
        )
    if row.kind == "serving":
        return f"{count(row.users or 0)} users\n{tokens_text(row.context_tokens)} ctx, TP {row.tp}"
    return f"{numbers.si(row.tokens or 0.0)} tokens\n{tokens_text(row.context_tokens)} seq"


def starves_on(row: QuarterRow) -> str:
    from llmwalls.api._walls import label

    if row.first_wall:
        return label(row.first_wall)
    bind = next((w for w in row.walls if w.binding), None)
    return f"near: {bind.label}" if bind is not None and bind.status == "near" else ""


def workload_table(s: WorkloadSummary, rows: list[QuarterRow], width: int) -> Table:
    from llmwalls.api._walls import label

    full = width >= FULL
    caption = "utilisation = demand / limit (headroom = 100% minus it); '!' hit"
    if not full:
        caption += f"; every wall's utilisation: --json, or a terminal of {FULL}+ columns"
    t = _table(f"{s.workload} ({s.kind})", caption, gap=0 if full else 1)
    t.add_column("quarter", no_wrap=True)
    t.add_column("GPUs", justify="right", no_wrap=True)
    t.add_column("model", no_wrap=True)
    t.add_column("load", no_wrap=True)
    if full:
        for ident in WALL_ORDER:
            t.add_column(label(ident).replace(" ", "\n"), justify="right", no_wrap=True)
    else:
        t.add_column("binding wall")
    t.add_column("starves on")
    for r in rows:
        walls = {w.wall: w for w in r.walls}
        if full:
            cells = [percent(walls[i].utilization) if i in walls else "-" for i in WALL_ORDER]
        else:
            bind = next((w for w in r.walls if w.binding), None)
            cells = [f"{bind.label} {percent(bind.utilization)}" if bind is not None else "-"]
        style = ("bold red" if r.quarter == s.quarter else "red") if r.hit else None
        t.add_row(
            r.quarter,
            f"{count(r.gpus)} x\n{r.gpu}",
            r.model,
            load_text(r),
            *cells,
            starves_on(r),
            style=style,
        )
    return t


def fix_text(s: WorkloadSummary, fix: Fix | None) -> str:
    if fix is None:
        return "-"
    parts = []
    if fix.extra_gpus:
        tp = f", TP {fix.tp}" if fix.tp else ""
        parts.append(f"+{count(fix.extra_gpus)} GPUs (to {count(fix.gpus_plan)}{tp})")
    if fix.extra_w:
        parts.append(f"+{numbers.si(fix.extra_w, 'W')} site power")
    if fix.extra_usd:
        parts.append(f"+{numbers.usd(fix.extra_usd)}{'/month' if fix.usd_unit == 'USD/month' else ''}")
    if fix.note:
        parts.append(fix.note)
    if s.starves and not parts:
        parts.append("within the GPUs it has: rebalance the shares" if fix.gpus_needed else "see the walls")
    return "; ".join(parts) if parts else "-"


def summary_table(report: AuditReport) -> Table:
    from llmwalls.api._walls import label

    q = report.inputs.quarters
    t = _table(
        f"Which workload starves first ({q[0]}..{q[-1]})",
        "pessimistic: with the low end of every efficiency range; fix: GPUs for the GPU-bound walls, then "
        "the power and money those GPUs need",
    )
    t.add_column("workload", no_wrap=True)
    t.add_column("starves in")
    t.add_column("first wall")
    t.add_column("pessimistic")
    t.add_column("what fixes it (in that quarter)")
    for s in report.results.summary:
        pess = "-"
        if s.quarter_pessimistic and (s.quarter_pessimistic != s.quarter or not s.starves):
            pess = f"{s.quarter_pessimistic} ({label(s.wall_pessimistic or '')})"
        elif s.starves:
            pess = "same"
        t.add_row(
            s.workload,
            s.quarter or "not within the horizon",
            label(s.wall) if s.wall else "-",
            pess,
            fix_text(s, s.fix),
            style="bold" if s.starves else None,
        )
    return t


def remedy_cost(r: Remedy) -> str:
    if r.extra_usd_per_month is None:
        return "unknown"
    if r.extra_usd_per_month == 0:
        return "none"
    sign = "+" if r.extra_usd_per_month > 0 else "-"
    return f"{sign}{numbers.usd(abs(r.extra_usd_per_month))}/month"


def remedy_power(r: Remedy) -> str:
    if r.extra_w is None:
        return "unknown"
    if r.extra_w == 0:
        return "none"
    return ("+" if r.extra_w > 0 else "-") + numbers.si(abs(r.extra_w), "W")


def remedy_reach(r: Remedy, last: str) -> str:
    if not r.clears:
        return "does not clear"
    return "the horizon" if r.holds_until == last else str(r.holds_until)


def remedies_table(s: WorkloadSummary, last: str) -> Table:
    """The remedies tried for one starving workload, the cheapest that holds longest first."""
    from llmwalls.api._walls import label

    t = _table(
        f"Fixes for {s.workload} ({label(s.wall or '')}, {s.quarter}), cheapest first",
        "cheapest among those holding longest; holds through: the last quarter every wall stays under 100% "
        "with it; cost at the pool's $/GPU-hour; power: the facility power of the GPUs added or moved",
    )
    t.add_column("fix")
    t.add_column("holds through")
    t.add_column("cost", justify="right")
    t.add_column("power", justify="right")
    for r in s.remedies:
        t.add_row(r.description, remedy_reach(r, last), remedy_cost(r), remedy_power(r))
    return t


def show(report: AuditReport, *, wall: str | None = None) -> None:
    """Print the workload tables, the heat map (of the binding wall, or of ``wall``), the summary and the
    verdict on stdout (notices: render.show_notices). The heat map, summary and verdict end the output, so
    the answer is the last screen."""
    from llmwalls.render import _console, audit_view, emit, heatmap

    console = _console()
    with console.capture() as captured:
        rows = list(report.results.rows)
        for s in report.results.summary:
            mine = [r for r in rows if r.workload == s.workload]
            if mine:
                console.print(workload_table(s, mine, console.width))
                console.print()
        heatmap.print_to(console, audit_view.from_audit(report), wall=wall, width=min(100, console.width))
        console.print()
        console.print(summary_table(report))
        first = next((s for s in report.results.summary if s.starves and s.remedies), None)
        if first is not None:
            console.print()
            console.print(remedies_table(first, report.inputs.quarters[-1]))
        console.print()
        console.print(
            report.results.verdict, style="bold red" if report.results.starves else "bold", markup=False
        )
        if first is not None:
            best = first.remedies[0]
            console.print(
                f"Cheapest fix for {first.workload}: {best.description}, cost {remedy_cost(best)}, holds "
                f"through {remedy_reach(best, report.inputs.quarters[-1])}.",
                style="bold",
                markup=False,
            )
    emit(captured.get())
