"""The human view of a roofline report: an operator table per phase, the summary per batch x context point,
the roofs, a terminal roofline chart and the wall lines; and the chart as an image (--plot)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from llmwalls.render import fit
from llmwalls.render.numbers import duration, iec_bytes, percent, si, sig

if TYPE_CHECKING:
    from llmwalls.api._roofline import OperatorFigures, PhaseFigures, RooflineReport, RooflineRow
    from llmwalls.render.chart import Point

OPERATOR_LABELS = {
    "qkv": "QKV projections",
    "attention": "attention (scores, context, KV)",
    "attn_out": "attention output projection",
    "mlp": "MLP (dense, shared)",
    "experts": "MoE routed experts",
    "lm_head": "LM head",
}
OPERATOR_MARKERS = {"qkv": "q", "attention": "a", "attn_out": "o", "mlp": "m", "experts": "e", "lm_head": "h"}


def title(report: RooflineReport) -> str:
    x = report.inputs
    par = [f"TP{x.tp}"] if x.tp > 1 else []
    par += [f"PP{x.pp}"] if x.pp > 1 else []
    par += [f"EP{x.ep}"] if x.ep > 1 else []
    layout = f" x{x.gpus_per_replica} ({' '.join(par)})" if par else ""
    return f"{x.model} on {x.gpu}{layout}, {x.weights.value} weights"


def _bound(compute_bound: bool) -> str:
    return "compute" if compute_bound else "memory"


def _phase_table(console: Any, report: RooflineReport, phase: str) -> tuple[Any, list[str]]:
    x, row = report.inputs, report.results.rows[0]
    ph: PhaseFigures = getattr(row, phase)
    ops: list[tuple[str, OperatorFigures]] = [
        (OPERATOR_LABELS[k], getattr(ph.operators, k)) for k in OPERATOR_LABELS
    ]
    ops = [(label, op) for label, op in ops if op.flops > 0 or op.bytes > 0]
    names, flops, moved, intensity, attainable, times, bound = [], [], [], [], [], [], []
    for label, op in ops:
        names.append(label)
        flops.append(si(op.flops, "FLOP"))
        moved.append(si(op.bytes, "B"))
        intensity.append(sig(op.intensity_flops_per_byte))
        attainable.append(si(op.attainable_flops_per_s, "FLOP/s"))
        times.append(duration(op.time_s))
        bound.append(_bound(op.compute_bound))
    comm = (
        (ph.tp_comm_time_s, f"TP all-reduces (2 per layer, tp={x.tp})"),
        (ph.ep_comm_time_s, f"EP all-to-alls (dispatch and combine per MoE layer, ep={x.ep})"),
        (ph.pp_p2p_time_s, f"PP sends ({x.pp - 1} hop{'s' if x.pp > 2 else ''}, sum)"),
    )
    for seconds, label in comm:
        if seconds > 0:
            names.append(label)
            for cells in (flops, moved, intensity, attainable):
                cells.append("")
            times.append(duration(seconds))
            bound.append("link")
    names.append("total")
    flops.append(si(ph.flops, "FLOP"))
    moved.append(si(ph.bytes, "B"))
    intensity.append(sig(ph.intensity_flops_per_byte))
    attainable.append(si(ph.attainable_flops_per_s, "FLOP/s"))
    times.append(duration(ph.time_s))
    bound.append(_bound(ph.compute_bound))
    cols = [
        fit.Col("operator", names, justify="left", text=True),
        fit.Col("FLOPs", flops),
        fit.Col("bytes", moved),
        fit.Col("FLOP/byte", intensity, drop=1),
        fit.Col("attainable", attainable, drop=2),
        fit.Col("time", times),
        fit.Col("bound", bound, justify="left"),
    ]
    what = (
        f"prompt {row.prompt_tokens:,} tokens x batch {row.batch:,}"
        if phase == "prefill"
        else f"1 token x batch {row.batch:,} at context {row.context_tokens:,}"
    )
    where = "per GPU" if x.pp == 1 else f"per GPU of the worst of {x.pp} stages, per micro-batch"
    styles: list[str | None] = [None for _ in names[:-1]]
    styles.append("bold")
    return fit.table(console, f"{phase} {where}: {what}", cols, styles=styles)


def _crit(value: float | None) -> str:
    return "never" if value is None else f"{value:,.0f}"


def _summary_table(console: Any, report: RooflineReport) -> tuple[Any, list[str]]:
    x, rows = report.inputs, report.results.rows
    cols = [
        fit.Col("batch", [f"{r.batch:,}" for r in rows]),
        fit.Col("ctx", [f"{r.context_tokens:,}" for r in rows]),
        fit.Col("TTFT", [duration(r.ttft_s) for r in rows]),
        fit.Col("per token", [duration(r.time_per_output_token_s) for r in rows]),
        fit.Col("tok/s", [sig(r.decode_tokens_per_s_per_replica) for r in rows]),
        fit.Col("/GPU", [sig(r.decode_tokens_per_s_per_gpu) for r in rows], drop=2),
        fit.Col("MFU pre", [percent(r.prefill.mfu) for r in rows], drop=3),
        fit.Col("MFU dec", [percent(r.decode.mfu) for r in rows], drop=4),
        fit.Col("BW dec", [percent(r.decode.bandwidth_utilization) for r in rows], drop=1),
        fit.Col("crit. batch", [_crit(r.critical_batch) for r in rows]),
        fit.Col("mem/GPU", [iec_bytes(r.memory_needed_bytes_per_gpu) for r in rows]),
        fit.Col("fits", ["yes" if r.fits else "NO" for r in rows], justify="left"),
    ]
    heading = "summary" + (f" (replica = {x.gpus_per_replica} GPUs)" if x.gpus_per_replica > 1 else "")
    styles = [None if r.fits else "bold red" for r in rows]
    return fit.table(console, heading, cols, styles=styles)


def points(report: RooflineReport) -> list[Point]:
    """The chart's points: every operator of both phases of the first row, then the phases (or, for a
    sweep, prefill and decode at each of the first nine points)."""
    from llmwalls.render.chart import Point

    rows = report.results.rows
    first = rows[0]
    pts: list[Point] = []
    for phase, upper in (("prefill", True), ("decode", False)):
        ph: PhaseFigures = getattr(first, phase)
        for key, label in OPERATOR_LABELS.items():
            op: OperatorFigures = getattr(ph.operators, key)
            if op.flops <= 0:
                continue
            marker = OPERATOR_MARKERS[key].upper() if upper else OPERATOR_MARKERS[key]
            pts.append(Point(marker, f"{phase} {label}", op.intensity_flops_per_byte, op.flops / op.time_s))

    def whole(marker: str, label: str, ph: PhaseFigures) -> Point:
        return Point(marker, label, ph.intensity_flops_per_byte, ph.achieved_flops_per_s)

    if len(rows) == 1:
        pts.append(whole("P", "PREFILL (whole phase)", first.prefill))
        pts.append(whole("D", "DECODE (whole phase)", first.decode))
    else:
        pts.append(whole("P", f"PREFILL batch {first.batch:,}", first.prefill))
        for i, r in enumerate(rows[:9]):
            pts.append(whole(str(i + 1), f"DECODE batch {r.batch:,}, context {r.context_tokens:,}", r.decode))
    return pts


def save_plot(report: RooflineReport, path: str, *, force: bool = False) -> None:
    """The roofline chart as PNG or SVG (matplotlib), with the datasheet roofs beside the attainable ones."""
    from llmwalls.render import chart

    roofs = report.results.roofs
    chart.save_roofline_plot(
        path,
        roofs.attainable_peak_flops_per_s,
        roofs.attainable_bandwidth_bytes_per_s,
        points(report),
        datasheet_peak_flops_per_s=roofs.peak_flops_per_s,
        datasheet_bandwidth_bytes_per_s=roofs.hbm_bandwidth_bytes_per_s,
        title=title(report),
        force=force,
    )


def _roof_lines(report: RooflineReport) -> list[str]:
    roofs = report.results.roofs
    return [
        f"roofs: {roofs.compute_dtype} peak {si(roofs.peak_flops_per_s, 'FLOP/s')} x "
        f"{roofs.flops_efficiency:.2f}, HBM {si(roofs.hbm_bandwidth_bytes_per_s, 'B/s')} x "
        f"{roofs.bandwidth_efficiency:.2f} ({roofs.efficiency_source})",
        f"machine balance {sig(roofs.machine_balance_flops_per_byte)} FLOP/byte (datasheet), "
        f"{sig(roofs.attainable_ridge_flops_per_byte)} attainable; critical decode batch (compute-bound "
        f"from): {_crit(report.results.critical_batch_weights_only)} with weights only, 'never' = KV-cache "
        "reads keep decode memory-bound",
        "tok/s = decode tokens/s per replica (/GPU: per GPU); BW dec = decode bytes/s / datasheet HBM "
        "bandwidth; MFU = FLOP/s / datasheet peak",
    ]


def _verdict_lines(report: RooflineReport) -> list[tuple[str, str]]:
    x, res = report.inputs, report.results
    first: RooflineRow = res.rows[0]
    d, pf = first.decode, first.prefill
    lines = [
        (
            f"bandwidth: decode is {_bound(d.compute_bound)}-bound at {si(d.achieved_bytes_per_s, 'B/s')} of "
            f"{si(res.roofs.hbm_bandwidth_bytes_per_s, 'B/s')} ({sig(first.decode_tokens_per_s_per_replica)} "
            f"tokens/s per replica); compute: prefill is {_bound(pf.compute_bound)}-bound at "
            f"{si(pf.achieved_flops_per_s, 'FLOP/s')} of {si(res.roofs.peak_flops_per_s, 'FLOP/s')} "
            f"(TTFT {duration(first.ttft_s)})",
            "bold",
        )
    ]
    if not res.fits:
        lines.append(
            (
                "memory capacity: some rows do NOT fit (see warnings); their speeds are not reachable",
                "bold red",
            )
        )
    target = x.min_tokens_per_s
    if target is not None:
        worst = min(r.decode_tokens_per_s_per_replica for r in res.rows)
        ok = worst >= target
        lines.append(
            (
                f"target: {sig(worst)} tokens/s per replica {'>=' if ok else '<'} {sig(target)} wanted"
                + ("" if ok else " (wall hit)"),
                "bold" if ok else "bold red",
            )
        )
        for w in report.walls:
            if w.wall == "memory_bandwidth" and w.limit is not None and w.utilization is not None:
                lines.append(
                    (
                        f"bandwidth for the target: {si(w.demand, 'B/s')} needed of {si(w.limit, 'B/s')} "
                        f"attainable ({percent(w.utilization)})" + (" (wall hit)" if w.hit else ""),
                        "bold red" if w.hit else "bold",
                    )
                )
    return lines


def show(report: RooflineReport, *, chart: bool = True, image: str | None = None) -> None:
    """Print the report for people; notices on stderr."""
    from llmwalls import render
    from llmwalls.render import chart as charts

    console = render._console()
    with console.capture() as captured:
        x = report.inputs
        where = f" in a {x.cluster} cluster" if x.cluster else ""
        console.print(f"{title(report)}{where}", style="bold", markup=False)
        dropped: list[str] = []
        for make in (
            lambda: _phase_table(console, report, "prefill"),
            lambda: _phase_table(console, report, "decode"),
            lambda: _summary_table(console, report),
        ):
            t, gone = make()
            console.print(t)
            dropped += [h for h in gone if h not in dropped]
        note = fit.dropped_note(dropped, console.width)
        for line in _roof_lines(report) + ([f"({note})"] if note else []):
            console.print(line, markup=False)
        if chart:
            roofs = report.results.roofs
            text = charts.text_roofline(
                roofs.attainable_peak_flops_per_s,
                roofs.attainable_bandwidth_bytes_per_s,
                points(report),
                width=min(70, console.width - 2),
                title=f"roofline (attainable roofs): {title(report)}",
            )
            console.print()
            console.print(text, markup=False)
            console.print()
        for line, style in _verdict_lines(report):
            console.print(line, style=style, markup=False)
        if image:
            console.print(f"chart saved to {image}", markup=False)
    render.emit(captured.get())
    render.show_notices(report)
