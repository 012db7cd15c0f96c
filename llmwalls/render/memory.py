"""The human view of a memory report: the per-GPU breakdown (one point) or one row per batch x context point
(a sweep), the capacity wall line and the derived answers. Capacities in IEC units, 3 significant figures."""

from __future__ import annotations

from typing import TYPE_CHECKING

from llmwalls.render import fit
from llmwalls.render.numbers import iec_bytes, percent, sig

if TYPE_CHECKING:
    from llmwalls.api._memory import MemoryInputs, MemoryReport, MemoryResults, MemoryRow


def _count(n: int) -> str:
    return f"{n:,}"


def _plural(n: int, word: str) -> str:
    if n == 1:
        return f"{n:,} {word}"
    return f"{n:,} {word}es" if word.endswith(("ch", "sh", "s", "x")) else f"{n:,} {word}s"


def _layout_text(x: MemoryInputs) -> str:
    parts = [f"TP {x.tp}", f"PP {x.pp}"]
    if x.ep > 1:
        parts.append(f"EP {x.ep}")
    if x.mode == "training":
        parts.append(f"DP {x.dp}")
        if x.cp > 1:
            parts.append(f"CP {x.cp}")
    return " x ".join(parts)


def _weights_how(x: MemoryInputs, z: int) -> str:
    """How training weights are counted: bf16, plus the low-precision copies a recipe caches."""
    recipe = x.precision.value if x.precision is not None else "bf16"
    kept = "bf16" if recipe == "bf16" else f"bf16 + {recipe} copies"
    return kept + ", / TP x PP" + (" / DP (ZeRO-3)" if z >= 3 else "")


def _components(x: MemoryInputs, res: MemoryResults, row: MemoryRow) -> list[tuple[str, float, str]]:
    """(label, bytes per GPU, how it is counted) for the breakdown of one point."""
    if x.mode == "training":
        z = x.zero_stage or 0
        opt = x.optimizer.value if x.optimizer is not None else ""
        schedule = f"{_plural(x.pp, 'micro-batch')} in flight" if x.pp > 1 else "one micro-batch"
        if (x.interleave or 1) > 1:
            schedule += f", interleaved v={x.interleave}"
        return [
            ("weights", row.weights_bytes, _weights_how(x, z)),
            ("gradients", row.gradients_bytes or 0.0, "bf16" + (" / DP (ZeRO-2)" if z >= 2 else "")),
            (
                "optimizer state",
                row.optimizer_bytes or 0.0,
                f"{opt}: fp32 master + moments" + (" / DP (ZeRO-1)" if z >= 1 else ""),
            ),
            (
                "activations",
                row.activations_bytes or 0.0,
                f"Korthikanti 2022 re-summed for this architecture, recompute "
                f"{x.recompute.value if x.recompute else ''}, {schedule}",
            ),
            ("runtime reserve", row.reserve_bytes, "CUDA context, workspaces, NCCL"),
        ]
    a = res.assumptions
    return [
        (
            "weights",
            row.weights_bytes,
            f"{x.weights.value}, {sig(res.params / 1e9)}B params / TP {x.tp} x PP {x.pp}"
            + (f", experts / EP {x.ep}" if x.ep > 1 else "")
            + (f", experts {x.expert_weights}" if x.expert_weights else ""),
        ),
        (
            "KV cache",
            row.kv_cache_bytes or 0.0,
            f"{x.kv_dtype.value}, {sig(row.kv_bytes_per_token or 0.0)} B/token per GPU x tokens x batch",
        ),
        (
            "activation workspace",
            row.activation_workspace_bytes or 0.0,
            f"one {a.serving_activation_tokens:,}-token forward pass",
        ),
        ("runtime reserve", row.runtime_reserve_bytes or 0.0, "CUDA context, workspaces, NCCL"),
    ]


def _point_table(console: object, report: MemoryReport) -> tuple[object, list[str]]:
    x, res = report.inputs, report.results
    row = res.rows[0]
    comps = _components(x, res, row)
    names = [c[0] for c in comps] + ["total", "usable capacity"]
    per_gpu = [c[1] for c in comps] + [row.total_bytes, res.usable_bytes]
    device = iec_bytes(res.memory_capacity_bytes)
    notes = [c[2] for c in comps] + ["", f"{x.usable_fraction:g} x {device} device memory"]
    cols = [
        fit.Col("component", names, justify="left", text=True),
        fit.Col("per GPU", [iec_bytes(v) for v in per_gpu]),
    ]
    if x.gpus > 1:
        cols.append(fit.Col(f"all {x.gpus:,} GPUs", [iec_bytes(v * x.gpus) for v in per_gpu], drop=1))
    cols.append(fit.Col("how", notes, justify="left", text=True))
    where = "micro-batch" if x.mode == "training" else "batch"
    title = (
        f"{x.model} on {x.gpu} ({x.mode}, {_layout_text(x)}, {_plural(x.gpus, 'GPU')}): "
        f"{where} {row.batch:,}, context {_plural(row.context_tokens, 'token')}"
    )
    styles: list[str | None] = [None for _ in comps]
    styles += ["bold", None]
    return fit.table(console, title, cols, styles=styles)


def _sweep_table(console: object, report: MemoryReport) -> tuple[object, list[str]]:
    x, res = report.inputs, report.results
    rows = res.rows
    training = x.mode == "training"

    def col(header: str, values: list[float | None], drop: int = 0) -> fit.Col:
        return fit.Col(header, [iec_bytes(v) if v is not None else "" for v in values], drop=drop)

    cols = [
        fit.Col("micro-batch" if training else "batch", [_count(r.batch) for r in rows]),
        fit.Col("context", [_count(r.context_tokens) for r in rows]),
        col("weights", [r.weights_bytes for r in rows]),
    ]
    if training:
        cols += [
            col("gradients", [r.gradients_bytes for r in rows], drop=1),
            col("optimizer", [r.optimizer_bytes for r in rows], drop=1),
            col("activations", [r.activations_bytes for r in rows]),
        ]
    else:
        cols.append(col("KV cache", [r.kv_cache_bytes for r in rows]))
    cols += [
        col("reserve", [r.reserve_bytes for r in rows], drop=2),
        col("total", [r.total_bytes for r in rows]),
        fit.Col("fits", ["yes" if r.fits else "NO" for r in rows], justify="left"),
    ]
    title = f"{x.model} on {x.gpu} ({x.mode}, {_layout_text(x)}), per GPU"
    styles = [None if r.fits else "bold red" for r in rows]
    return fit.table(console, title, cols, styles=styles)


def derived_lines(report: MemoryReport) -> list[str]:
    x, d = report.inputs, report.results.derived
    lines: list[str] = []
    if x.mode == "training":
        few = d.fewest_gpus
        if few.fits:
            lines.append(
                f"fewest GPUs with DP {x.dp} as given: {few.gpus:,} x {x.gpu} (TP {few.tp} x PP {few.pp})"
            )
        return lines
    for bc in d.max_batch_at_context:
        why = " (the weights and reserve alone do not fit this layout)" if bc.max_batch == 0 else ""
        at = _plural(bc.context_tokens, "token")
        lines.append(f"largest batch at {at}: {_plural(bc.max_batch, 'sequence')}{why}")
    for cb in d.max_context_at_batch:
        capped = " (the model's maximum)" if cb.max_context_tokens >= x.model_max_context_tokens else ""
        longest = _plural(cb.max_context_tokens, "token")
        lines.append(f"longest context at batch {cb.batch:,}: {longest}{capped}")
    few = d.fewest_gpus
    if few.fits:
        layout = f"TP {few.tp}" + (f" x PP {few.pp}" if few.pp > 1 else "")
        layout += f", EP {few.ep}" if few.ep > 1 else ""
        lines.append(f"fewest GPUs: {few.gpus:,} x {x.gpu} ({layout})")
    fam = d.largest_family_model_one_gpu
    fam_text = f"{fam.model} ({sig(fam.params / 1e9)}B)" if fam else "none in the catalogue"
    lines.append(f"largest same-family model on one {x.gpu} ({x.weights.value}): {fam_text}")
    lp = d.largest_params_one_gpu
    if lp is not None:
        lines.append(
            f"largest model of this architecture on one {x.gpu} ({x.weights.value}): "
            f"{sig(lp.planned_params / 1e9)}B params with room for one sequence "
            f"({sig(lp.raw_params / 1e9)}B if the weights filled all of its memory)"
        )
    return lines


def show(report: MemoryReport) -> None:
    """Print the report for people: the table, the capacity line, the derived answers; notices on stderr."""
    from llmwalls import render

    console = render._console()
    res = report.results
    wall = report.walls[0]
    with console.capture() as captured:
        if len(res.rows) == 1:
            t, dropped = _point_table(console, report)
        else:
            t, dropped = _sweep_table(console, report)
        console.print(t)
        note = fit.dropped_note(dropped, console.width)
        if note:
            console.print(f"({note})", markup=False)
        used = percent(wall.utilization) if wall.utilization is not None else "n/a"
        capacity = (
            f"capacity: {iec_bytes(res.worst_total_bytes)} of {iec_bytes(res.usable_bytes)} per GPU ({used}) "
            f"— {res.verdict}"
        )
        console.print(capacity, style="bold red" if wall.hit else "bold green", markup=False)
        for line in derived_lines(report):
            console.print(line, markup=False)
    render.emit(captured.get())
    render.show_notices(report)
