"""The human view of `llmwalls walls`: the walls of one point side by side (demand, limit, utilisation, its
range over the efficiency assumptions, status), the verdict sentences; for a sweep, the utilisation of every
wall per swept value, where each wall is first hit, and a terminal chart (and an image with ``plot``).

Tables fit the terminal without cutting a figure or a name: names wrap, and the utilisation bars appear only
from WIDE columns on (the percentage beside them is the same figure)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from llmwalls.render import numbers

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

    from llmwalls.api._walls import RangedWall, SweepResults, WallsReport

WIDE = 100  # terminal columns from which the utilisation bars are drawn
BAR_WIDTH = 10
MARKERS = {
    "memory_capacity": "M",
    "memory_bandwidth": "B",
    "compute": "C",
    "interconnect": "I",
    "site_power": "P",
    "cost": "$",
}


def percent(u: float | None) -> str:
    """A utilisation: '188%', '-' without a limit, '!' appended when the wall is hit."""
    if u is None:
        return "-"
    return numbers.percent(u) + ("!" if u > 1 else "")


def count(n: float) -> str:
    """A whole count with thousands separators: 16384 -> '16,384' (every digit: it is exact)."""
    return f"{round(n):,}"


def bar(u: float | None, width: int = BAR_WIDTH) -> str:
    if u is None:
        return ""
    filled = min(width, int(round(min(u, 1.0) * width)))
    return "#" * filled + "-" * (width - filled)


def title(report: WallsReport) -> str:
    from llmwalls.api._walls import ServingPlan, tokens_text

    i, plan = report.inputs, report.results.plan
    axis = i.sweep.axis if i.sweep else None
    hardware = f"{i.gpu}, GPUs swept" if axis == "gpus" else f"{count(i.gpus)} x {i.gpu}"
    ctx = "context swept" if axis == "context" else f"{tokens_text(i.context_tokens)} context"
    if isinstance(plan, ServingPlan):
        users = (
            "users swept" if axis == "users" else f"{count(i.users or 1)} user{'' if i.users == 1 else 's'}"
        )
        return (
            f"{i.model} serving on {hardware} (TP {plan.tp}, {users}, {ctx}, "
            f"{numbers.sig(plan.tokens_per_s_per_user_target)} tok/s/user, TTFT "
            f"{numbers.duration(plan.ttft_s_target)})"
        )
    model = f"{i.model} (size swept)" if axis == "params" else i.model
    return f"{model} training on {hardware} ({i.cluster}), {ctx}"


def caption(report: WallsReport) -> str:
    from llmwalls.api._walls import ServingPlan

    i, p = report.inputs, report.results.plan
    price = f"{numbers.usd(i.usd_per_gpu_hour)}/GPU-hour ({i.price_source})"
    if isinstance(p, ServingPlan):
        replicas = f"{count(p.replicas)} replica{'' if p.replicas == 1 else 's'}"
        seqs = f"{count(p.batch_per_replica)} sequence{'' if p.batch_per_replica == 1 else 's'}"
        return (
            f"{replicas} x TP {p.tp}, {seqs} each; decode {numbers.sig(p.tokens_per_s_per_user)} tokens/s "
            f"per user, TTFT {numbers.duration(p.ttft_s)}; {price}"
        )
    lay = p.layout
    text = (
        f"layout TP {lay.tp} PP {lay.pp} DP {lay.dp} CP {lay.cp} EP {lay.ep}, micro-batch {lay.micro_batch}, "
        f"ZeRO {lay.zero_stage}; MFU {numbers.percent(p.mfu)}; {numbers.si(p.gpu_hours)} GPU-hours at {price}"
    )
    if not any(w.wall == "memory_bandwidth" for w in report.walls):
        text += "; memory bandwidth: inside the step time in training"
    return text


def _table(heading: str, caption_text: str | None = None) -> Table:
    from rich import box
    from rich.table import Table

    return Table(
        title=heading,
        caption=caption_text,
        box=box.SIMPLE_HEAD,
        title_justify="left",
        caption_justify="left",
        padding=(0, 1, 0, 0),  # plus the one-space column separator of the box
        pad_edge=False,
        show_edge=False,
    )


def walls_table(heading: str, walls: tuple[RangedWall, ...], width: int, caption_text: str | None) -> Table:
    """One row per wall: demand, limit, utilisation (with a bar from WIDE columns), range, status."""
    from llmwalls.api._walls import figure

    t = _table(heading, caption_text)
    t.add_column("wall", overflow="fold", min_width=len("interconnect"))
    t.add_column("demand", justify="right", no_wrap=True)
    t.add_column("limit", justify="right", no_wrap=True)
    wide = width >= WIDE
    t.add_column("utilisation", justify="left" if wide else "right", no_wrap=True)
    t.add_column("range", justify="right", no_wrap=True)
    t.add_column("status", overflow="fold")
    for w in walls:
        u = (
            "n/a"
            if w.utilization is None
            else (f"{bar(w.utilization)} " if wide else "") + percent(w.utilization)
        )
        rng = (
            "-" if w.utilization_range is None else "..".join(numbers.percent(x) for x in w.utilization_range)
        )
        status = w.status + (", binds" if w.binding else "")
        style = ("bold red" if w.hit else "bold") if w.binding else None
        t.add_row(w.label, figure(w.demand, w.unit), figure(w.limit, w.unit), u, rng, status, style=style)
    return t


def sweep_tables(report: WallsReport, sweep: SweepResults) -> list[Table]:
    from llmwalls.api._walls import axis_value_text, label

    axis = sweep.axis
    t = _table(f"Walls vs {axis}: {title(report)}", "utilisation = demand / limit; '!' hit")
    t.add_column(axis, justify="right", no_wrap=True)
    ids = [w.wall for w in sweep.points[0].walls]
    for ident in ids:
        t.add_column(label(ident).replace(" ", "\n"), justify="right", no_wrap=True)
    t.add_column("binds", overflow="fold", min_width=len("bandwidth"))
    for p in sweep.points:
        cells = [percent(pw.utilization) for pw in p.walls]
        t.add_row(axis_value_text(axis, p.value), *cells, label(p.binding) if p.binding else "-")

    def val(v: float | None, none: str) -> str:
        return axis_value_text(axis, v) if v is not None else none

    first = _table("Where each wall is hit")
    first.add_column("wall", overflow="fold")
    first.add_column(f"first hit\nat {axis}", justify="right", no_wrap=True)
    first.add_column("pessimistic..\noptimistic", justify="right", no_wrap=True)
    first.add_column(f"clears\nfrom {axis}", justify="right", no_wrap=True)
    for w in sweep.walls:
        first.add_row(
            label(w.wall),
            val(w.first_hit, "not in range"),
            f"{val(w.first_hit_pessimistic, '-')}..{val(w.first_hit_optimistic, '-')}",
            val(w.clear_from, ""),
            style="bold" if w.wall == sweep.first_wall else None,
        )
    return [t, first]


def chart_text(sweep: SweepResults) -> str:
    from llmwalls.api._walls import axis_value_text
    from llmwalls.render import chart

    return chart.text_lines(
        list(sweep.values),
        _series(sweep),
        x_label=sweep.axis,
        x_fmt=lambda v: axis_value_text(sweep.axis, v),
        title=f"utilisation of each wall vs {sweep.axis}",
    )


def _series(sweep: SweepResults) -> list[Any]:
    from llmwalls.api._walls import label
    from llmwalls.render import chart

    out = []
    for k, ident in enumerate(w.wall for w in sweep.points[0].walls):
        values = [p.walls[k].utilization for p in sweep.points]
        if all(v is None for v in values):
            continue
        out.append(chart.Series(MARKERS.get(ident, "?"), label(ident), [_nan(v) for v in values]))
    return out


def _nan(v: float | None) -> float:
    return float("nan") if v is None else v


def save_plot(report: WallsReport, path: str, *, force: bool = False) -> None:
    """The sweep chart as an image (.png or .svg), with each wall's efficiency range shaded. Raises
    chart.PlotUnavailableError without matplotlib, OSError when the file cannot be written."""
    from llmwalls.api._walls import label
    from llmwalls.render import chart

    sweep = report.results.sweep
    assert sweep is not None
    bands: dict[str, tuple[Sequence[float], Sequence[float]]] = {}
    for k, ident in enumerate(w.wall for w in sweep.points[0].walls):
        lo = [_nan(p.walls[k].utilization_optimistic) for p in sweep.points]
        hi = [_nan(p.walls[k].utilization_pessimistic) for p in sweep.points]
        bands[label(ident)] = (lo, hi)
    chart.save_lines_plot(
        path,
        list(sweep.values),
        _series(sweep),
        title=title(report),
        x_label=sweep.axis,
        bands=bands,
        force=force,
    )


def show(report: WallsReport, *, plot_saved: str | None = None) -> None:
    """Print the report's tables and sentences on stdout (its warnings and notes: render.show_notices)."""
    from llmwalls.render import _console, emit

    console: Console = _console()
    with console.capture() as captured:
        r = report.results
        if r.sweep is None:
            console.print(
                walls_table(f"Walls: {title(report)}", report.walls, console.width, caption(report))
            )
            console.print()
        else:
            for t in sweep_tables(report, r.sweep):
                console.print(t)
                console.print()
            console.print(chart_text(r.sweep), markup=False, highlight=False)
        console.print(r.verdict, style="bold", markup=False)
        for line in r.findings:
            console.print(line, markup=False)
        if r.assumption_note:
            console.print(r.assumption_note, style="yellow", markup=False)
        elif r.sweep is None:
            console.print(
                "The verdict holds across the assumption ranges (see --json inputs.ranges).", markup=False
            )
        if plot_saved is not None:
            console.print(f"chart saved to {plot_saved}", markup=False)
    emit(captured.get())
