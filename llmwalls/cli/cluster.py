"""`llmwalls cluster`: distributed training on a cluster. Step time broken into compute, pipeline bubble
and the exposed communication of each parallel dimension; MFU, TFLOP/s per GPU, tokens/s, time and GPU-hours
to train; the best layouts (--search); a scaling table over cluster sizes showing where communication
overtakes compute (the interconnect wall); failures and checkpoints; the compute-optimal token count.

Numbers come from llmwalls.engine.training / collectives (and reliability, scaling_laws, memory); this module
parses, resolves profiles and renders. Heavy imports happen inside the command.

--check exits 1 when the chosen layout does not fit in GPU memory, or when its exposed communication is larger
than its compute time (the interconnect wall).
"""

from __future__ import annotations

from typing import Annotated

import typer

from llmwalls.cli.options import Check, Cluster, Context, Gpus, Json, Model

_OptStr = str | None
_OptInt = int | None

# The defaults of a run (context 8,192, 16Mi tokens per step, 20 tokens per parameter) live in
# llmwalls.engine.plan, shared with walls, power and cost.


def cluster(  # noqa: PLR0913
    model: Model,
    cluster: Cluster = "dgx-h100",
    gpus: Gpus = None,
    tp: Annotated[
        _OptInt,
        typer.Option("--tp", min=1, max=1_000_000, help="Tensor-parallel degree (default: searched)."),
    ] = None,
    pp: Annotated[
        _OptInt,
        typer.Option("--pp", min=1, max=1_000_000, help="Pipeline-parallel degree (default: searched)."),
    ] = None,
    dp: Annotated[
        _OptInt, typer.Option("--dp", min=1, max=10_000_000, help="Data-parallel degree (default: searched).")
    ] = None,
    cp: Annotated[
        _OptInt,
        typer.Option("--cp", min=1, max=1_000_000, help="Context-parallel degree (default: searched)."),
    ] = None,
    ep: Annotated[
        _OptInt,
        typer.Option("--ep", min=1, max=1_000_000, help="Expert-parallel degree, MoE (default: searched)."),
    ] = None,
    global_batch: Annotated[
        _OptStr,
        typer.Option("--global-batch", help="Sequences per optimizer step (default: 16Mi tokens / context)."),
    ] = None,
    micro_batch: Annotated[
        _OptInt,
        typer.Option(
            "--micro-batch", min=1, max=1_000_000, help="Sequences per micro-batch (default: searched)."
        ),
    ] = None,
    context: Context = None,
    recompute: Annotated[
        _OptStr,
        typer.Option(
            "--recompute", help="Activation recomputation: none, selective, full (default: searched)."
        ),
    ] = None,
    sequence_parallel: Annotated[
        bool | None,
        typer.Option(
            "--sequence-parallel/--no-sequence-parallel",
            help="Megatron sequence parallelism with TP (default: on).",
        ),
    ] = None,
    zero: Annotated[
        _OptInt, typer.Option("--zero", min=0, max=3, help="ZeRO stage 0-3 (3 = FSDP) (default: searched).")
    ] = None,
    tokens: Annotated[
        _OptStr,
        typer.Option(
            "--tokens", help="Training tokens, e.g. 15e12 or 15T (default: 20 per parameter, Chinchilla)."
        ),
    ] = None,
    uneven_pp: Annotated[
        bool,
        typer.Option(
            "--uneven-pp",
            help="Accept a --pp that does not divide the layers (the slowest stage sets the pace).",
        ),
    ] = False,
    search: Annotated[
        bool, typer.Option("--search", help="Rank every valid layout and show the best ones.")
    ] = False,
    top: Annotated[int, typer.Option("--top", min=1, max=1000, help="Layouts shown by --search.")] = 5,
    scaling: Annotated[
        str, typer.Option("--scaling", help="Scaling table: fixed-global (batch), fixed-per-gpu, or off.")
    ] = "fixed-global",
    matmul_efficiency: Annotated[
        _OptStr,
        typer.Option(
            "--matmul-efficiency",
            help="Fraction of measured MAMF a training step's GEMMs reach (default 0.70).",
        ),
    ] = None,
    attention_efficiency: Annotated[
        _OptStr,
        typer.Option(
            "--attention-efficiency",
            help="Fraction of the 16-bit peak FlashAttention reaches on attention FLOPs (default 0.30).",
        ),
    ] = None,
    nvlink_efficiency: Annotated[
        _OptStr,
        typer.Option(
            "--nvlink-efficiency",
            help="Achievable fraction of scale-up link bandwidth (default per fabric, NVLink 0.80).",
        ),
    ] = None,
    network_efficiency: Annotated[
        _OptStr,
        typer.Option(
            "--network-efficiency",
            help="Achievable fraction of scale-out NIC bandwidth (default IB 0.85, RoCE 0.75).",
        ),
    ] = None,
    tp_exposed: Annotated[
        _OptStr, typer.Option("--tp-exposed", help="Share of TP communication not overlapped (default 1.0).")
    ] = None,
    dp_exposed: Annotated[
        _OptStr,
        typer.Option(
            "--dp-exposed", help="Minimum share of DP gradient traffic left exposed (default 0.10)."
        ),
    ] = None,
    dp_overlap: Annotated[
        bool, typer.Option("--dp-overlap/--no-dp-overlap", help="Overlap gradient reduction with backward.")
    ] = True,
    interleave: Annotated[
        _OptInt,
        typer.Option(
            "--interleave",
            min=0,
            max=1024,
            help="Interleaved pipeline chunks per GPU (v); 0 = auto, 1 = plain 1F1B.",
        ),
    ] = None,
    nvls: Annotated[
        bool, typer.Option("--nvls", help="NVLink SHARP (in-switch) all-reduce inside the scale-up domain.")
    ] = False,
    json_: Json = False,
    check: Check = False,
) -> None:
    """Training step time, MFU, time to train, best layouts and the interconnect wall on a cluster."""
    code = _run(**locals())
    if code:
        raise typer.Exit(code)


# ------------------------------------------------------------------------------------------------- work

_RECOMPUTE = ("none", "selective", "full")


def _run(**o) -> int:  # noqa: ANN003, C901, PLR0912, PLR0915
    import time

    import numpy as np

    from llmwalls import catalogue, notices, render
    from llmwalls.api import _planning as planning
    from llmwalls.engine.memory import usable_bytes
    from llmwalls.engine.model import param_counts
    from llmwalls.engine.plan import SUMMARY_KEYS, dominant_at, layout_at, plan_training
    from llmwalls.errors import InputError
    from llmwalls.render import Column, Table
    from llmwalls.units import (
        fmt_duration,
        fmt_si,
        parse_count,
        parse_fraction,
        parse_int_count,
        parse_tokens,
    )

    spec = catalogue.load_model(o["model"])
    cl = catalogue.load_cluster(o["cluster"])
    gpu = catalogue.load_gpu(cl.gpu)
    contexts = o["context"] or []
    if len(contexts) > 1:
        raise InputError("cluster takes one --context (sequence length)")

    def frac(key: str, flag: str, allow_zero: bool = False) -> float | None:
        return None if o[key] is None else parse_fraction(o[key], flag, allow_zero=allow_zero)

    with notices.collecting() as bag:
        run = planning.training_run(
            spec,
            cl,
            gpus=parse_int_count(o["gpus"], "--gpus") if o["gpus"] is not None else None,
            train_tokens=parse_count(o["tokens"], "--tokens") if o["tokens"] is not None else None,
            seq_len=parse_tokens(contexts[0], "--context") if contexts else None,
            global_batch=None
            if o["global_batch"] is None
            else parse_int_count(o["global_batch"], "--global-batch"),
        )
        gpus, seq, gb, train_tokens = run.gpus, run.seq_len, run.global_batch, run.train_tokens
        if o["scaling"] not in ("fixed-global", "fixed-per-gpu", "off"):
            raise InputError(f"unknown --scaling {o['scaling']!r}; use fixed-global, fixed-per-gpu or off")
        counts = param_counts(spec)
        rc = o["recompute"]
        if rc is not None:
            rc = rc.lower()
            if rc not in _RECOMPUTE:
                raise InputError(f"unknown --recompute {o['recompute']!r}; use none, selective or full")
        a = planning.training_assumptions(
            matmul_efficiency=frac("matmul_efficiency", "--matmul-efficiency"),
            attention_efficiency=frac("attention_efficiency", "--attention-efficiency"),
            tp_exposed=frac("tp_exposed", "--tp-exposed", True),
            dp_exposed=frac("dp_exposed", "--dp-exposed", True),
            interleave=o["interleave"],
            dp_overlap=o["dp_overlap"],
            nvls=o["nvls"],
        )
        tiers = planning.fabric_tiers(
            cl,
            nvlink_efficiency=frac("nvlink_efficiency", "--nvlink-efficiency"),
            network_efficiency=frac("network_efficiency", "--network-efficiency"),
            nvls=o["nvls"],
        )
        usable = usable_bytes(gpu.memory_capacity_bytes)
        pins = planning.LayoutPins(
            tp=o["tp"],
            pp=o["pp"],
            dp=o["dp"],
            cp=o["cp"],
            ep=o["ep"],
            micro_batch=o["micro_batch"],
            zero_stage=o["zero"],
            recompute=None if rc is None else planning.Recompute(rc),
            sequence_parallel=o["sequence_parallel"],
        )
        fixed = pins.engine_fixed()
        planning.check_layout(spec, run, pins, tiers, uneven_pp=o["uneven_pp"])
    notes: list[str] = list(bag.notes)
    for w in bag.warnings:
        render.warn(w)
    bar = render.ProgressBar(enabled=not o["json_"])
    t0 = time.perf_counter()
    try:
        p = plan_training(
            spec,
            gpu,
            tiers,
            gpus=gpus,
            train_tokens=train_tokens,
            seq_len=seq,
            global_batch=gb,
            fixed=fixed,
            assumptions=a,
            usable_bytes=usable,
            top=o["top"],
            progress=bar,
        )
    finally:
        bar.stop()
    elapsed = time.perf_counter() - t0
    if not p["found"]:
        raise InputError(
            f"no valid layout of {spec.name} on {gpus:,} GPUs with these constraints "
            f"(global batch {gb}, context {seq}); relax --tp/--pp/--dp/--cp or change --gpus"
        )
    explicit, fixed = p["explicit"], p["fixed"]
    n_candidates, ranked, result_all = p["candidates"], p["ranked"], p["results"]
    lay, r = p["layout"], p["step"]
    step, seconds, gpu_hours = p["step_time_s"], p["time_to_train_s"], p["gpu_hours"]
    exposed, compute, fits = p["exposed_comm_time_s"], p["compute_time_s"], p["fits"]
    if r["tp_beyond_scale_up"] and not explicit:  # (explicit: already warned)
        notes.append(
            f"TP {lay['tp']} spans more than the {tiers.domain_gpus}-GPU scale-up domain: charged at the "
            "scale-out rate"
        )
    if r["uneven_pipeline"]:
        notes.append(
            f"{spec.layers} layers on {lay['pp']} stages is uneven: the stage with "
            f"{-(-spec.layers // lay['pp'])} layers sets the pace"
        )

    # ---- reliability and compute-optimal sizing (sibling engines)
    reliability = None
    try:
        from llmwalls.engine.reliability import reliability as _rel

        rel = _rel(float(counts.total), float(gpus), train_time_s=seconds)
        reliability = {k: (np.asarray(v).item() if np.ndim(v) == 0 else v) for k, v in rel.items()}
    except ImportError:  # pragma: no cover - engine absent
        pass
    optimal = None
    try:
        from llmwalls.engine.scaling_laws import chinchilla_loss, compute_optimal

        flops = float(r["model_flops_per_step"]) / float(r["tokens_per_step"]) * train_tokens
        opt = compute_optimal(flops)
        optimal = {
            "compute_flops": flops,
            "params": float(np.asarray(opt["params"])),
            "tokens": float(np.asarray(opt["tokens"])),
            "loss_at_plan": float(chinchilla_loss(float(counts.total), train_tokens)),
        }
    except ImportError:  # pragma: no cover
        pass

    # ---- scaling table
    scaling_rows = []
    if o["scaling"] != "off":
        sizes = []
        s = 8 if gpus >= 8 else 1
        while s < gpus:
            sizes.append(s)
            s *= 2
        sizes.append(gpus)
        per_gpu_seqs = gb / gpus
        for size in sizes:
            size_gb = gb if o["scaling"] == "fixed-global" else max(1, int(round(per_gpu_seqs * size)))
            f = {
                k: v
                for k, v in fixed.items()
                if k in ("recompute", "sequence_parallel", "ep") and v is not None
            }
            q = plan_training(
                spec,
                gpu,
                tiers,
                gpus=size,
                train_tokens=train_tokens,
                seq_len=seq,
                global_batch=size_gb,
                fixed=f,
                assumptions=a,
                usable_bytes=usable,
            )
            row = {"gpus": size, "global_batch": size_gb}
            if not q["found"] or not q["fits"]:
                row.update({"fits": False})
                scaling_rows.append(row)
                continue
            figures = {k: q[k] for k in SUMMARY_KEYS if k != "memory_bytes"}
            row.update({"fits": True, "layout": q["layout"], **figures})
            row["comm_over_compute"] = row["exposed_comm_time_s"] > row["compute_time_s"]
            scaling_rows.append(row)
    wall_size = next((row["gpus"] for row in scaling_rows if row.get("comm_over_compute")), None)

    # ---- walls
    walls = [
        render.wall("memory_capacity", float(r["memory_bytes"]), float(usable), "bytes"),
        render.wall("interconnect", float(exposed), float(compute), "s", exposed_share=float(exposed / step)),
    ]
    hit = (not fits) or exposed > compute
    if not fits:
        wall_line = (
            f"capacity wall: {r['memory_bytes'] / 2**30:,.1f} GiB per GPU needed, {usable / 2**30:,.1f} GiB "
            f"usable on {gpu.name} — this layout does not fit"
        )
    elif exposed > compute:
        wall_line = (
            f"interconnect wall: exposed communication {fmt_duration(exposed)} exceeds compute "
            f"{fmt_duration(compute)} per step on {gpus:,} GPUs"
        )
    else:
        where = (
            f"; communication overtakes compute at {wall_size:,} GPUs"
            if wall_size
            else "; communication stays below compute at every size in the scaling table"
            if scaling_rows
            else ""
        )
        wall_line = (
            f"compute-bound: exposed communication {fmt_duration(exposed)} is {exposed / compute:.0%} of "
            f"compute {fmt_duration(compute)} per step, MFU {r['mfu']:.1%}{where}"
        )

    inputs = {
        "model": spec.name,
        "cluster": cl.name,
        "gpu": gpu.name,
        "gpus": gpus,
        "global_batch": gb,
        "seq_len": seq,
        "train_tokens": train_tokens,
        "fixed": {k: v for k, v in fixed.items() if v is not None},
        "assumptions": a,
        "tiers": tiers,
        "scaling": o["scaling"],
    }
    step_parts = [
        ("matmul", "matmul_time_s"),
        ("elementwise (HBM)", "elementwise_time_s"),
        ("optimizer step", "optimizer_time_s"),
        ("pipeline bubble", "bubble_time_s"),
        ("TP comm (exposed)", "tp_comm_time_s"),
        ("PP p2p (exposed)", "pp_comm_time_s"),
        ("DP comm (exposed)", "dp_comm_time_s"),
        ("CP comm (exposed)", "cp_comm_time_s"),
        ("EP all-to-all (exposed)", "ep_comm_time_s"),
    ]
    top_rows = []
    for i in ranked:
        i = int(i)
        why, why_share = dominant_at(p, i)
        top_rows.append(
            {
                "layout": layout_at(p, i),
                "step_time_s": float(result_all["step_time_s"][i]),
                "mfu": float(result_all["mfu"][i]),
                "tokens_per_s": float(result_all["tokens_per_s"][i]),
                "memory_bytes": float(result_all["memory_bytes"][i]),
                "virtual_stages": float(result_all["virtual_stages"][i]),
                "largest_overhead": why,
                "largest_overhead_share": why_share,
            }
        )
    results = {
        "layout": {
            **lay,
            "virtual_stages": r["virtual_stages"],
            "recompute": _RECOMPUTE[lay["recompute"]],
            "sequence_parallel": bool(lay["sequence_parallel"]),
        },
        "step": {k: r[k] for _, k in step_parts}
        | {
            "step_time_s": step,
            "compute_time_s": compute,
            "exposed_comm_time_s": exposed,
            "bubble_fraction": r["bubble_fraction"],
            "microbatches": r["microbatches"],
            "dp_comm_total_time_s": r["dp_comm_total_time_s"],
            "largest_overhead": p["largest_overhead"],
        },
        "throughput": {
            k: r[k]
            for k in (
                "mfu",
                "hfu",
                "model_flops_per_s_per_gpu",
                "hardware_flops_per_s_per_gpu",
                "tokens_per_s",
                "tokens_per_step",
                "model_flops_per_step",
                "hardware_flops_per_step",
            )
        },
        "memory": {"per_gpu_bytes": r["memory_bytes"], "usable_bytes": usable, "fits": fits},
        "training": {"tokens": train_tokens, "time_s": seconds, "gpu_hours": gpu_hours},
        "search": {
            "candidates": n_candidates,
            "fitting": int(np.sum(result_all["fits"])),
            "elapsed_s": elapsed,
            "top": top_rows,
        }
        if not explicit
        else None,
        "scaling": scaling_rows,
        "interconnect_wall_gpus": wall_size,
        "reliability": reliability,
        "compute_optimal": optimal,
        "notes": notes,
    }
    if o["json_"]:
        render.emit_json("cluster", inputs, results, walls)
        return 1 if (o["check"] and hit) else 0

    # ---- tables
    t_lay = Table(
        f"{spec.name} on {gpus:,} x {gpu.name} ({cl.name}): {'given' if explicit else 'best'} layout",
        [
            Column(h, k)
            for h, k in (
                ("TP", "tp"),
                ("PP", "pp"),
                ("DP", "dp"),
                ("CP", "cp"),
                ("EP", "ep"),
                ("micro-batch", "micro_batch"),
                ("micro-batches", "m"),
                ("v", "v"),
                ("ZeRO", "zero_stage"),
                ("recompute", "rc"),
                ("SP", "sp"),
                ("global batch", "gb"),
                ("context", "seq"),
            )
        ],
    )
    t_lay.rows.append(
        {
            **lay,
            "m": f"{r['microbatches']:,.0f}",
            "v": int(r["virtual_stages"]),
            "rc": _RECOMPUTE[lay["recompute"]],
            "sp": "on" if lay["sequence_parallel"] else "off",
            "gb": f"{gb:,}",
            "seq": f"{seq:,}",
        }
    )
    t_step = Table(
        "Step time",
        [
            Column("part", "part", justify="left"),
            Column("time", "t", fmt_duration),
            Column("share of step", "share", lambda x: f"{x:.1%}"),
        ],
    )
    for label, key in step_parts:
        if r[key] > 0:
            t_step.rows.append({"part": label, "t": r[key], "share": r[key] / step})
    t_step.rows.append({"part": "step", "t": step, "share": 1.0, "_style": "bold"})
    t_tp = Table(
        "Throughput and time to train", [Column("figure", "k", justify="left"), Column("value", "v")]
    )
    t_tp.rows += [
        {"k": "MFU (model FLOPs 6N + attention, PaLM)", "v": f"{r['mfu']:.1%}"},
        {"k": "HFU (with recomputation)", "v": f"{r['hfu']:.1%}"},
        {"k": "model TFLOP/s per GPU", "v": f"{r['model_flops_per_s_per_gpu'] / 1e12:,.0f}"},
        {"k": "tokens/s (cluster)", "v": fmt_si(r["tokens_per_s"], "tok/s")},
        {
            "k": "memory per GPU",
            "v": f"{r['memory_bytes'] / 2**30:,.1f} of {usable / 2**30:,.1f} GiB usable"
            + ("" if fits else " — does NOT fit"),
        },
        {"k": f"time to train {train_tokens:.3g} tokens", "v": fmt_duration(seconds)},
        {"k": "GPU-hours", "v": f"{gpu_hours:,.3g}"},
    ]
    if reliability is not None:
        t_tp.rows += [
            {"k": "job MTBF (failures)", "v": fmt_duration(reliability["job_mtbf_s"])},
            {"k": "checkpoint interval (Young)", "v": fmt_duration(reliability["young_interval_s"])},
            {"k": "goodput", "v": f"{reliability['goodput_exact']:.1%}"},
            {"k": "wall time incl. failures", "v": fmt_duration(reliability.get("wall_time_s", seconds))},
        ]
    if optimal is not None:
        t_tp.rows.append(
            {
                "k": "compute-optimal at this budget (Chinchilla)",
                "v": f"{optimal['params'] / 1e9:,.0f}B params on {optimal['tokens']:.3g} tokens",
            }
        )
    tables = [t_lay, t_step, t_tp]
    if o["search"] and not explicit:
        t_top = Table(
            f"Best layouts ({n_candidates:,} candidates, {int(np.sum(result_all['fits'])):,} fit, "
            f"{elapsed:.2f} s)",
            [
                Column("#", "i"),
                Column("TP", "tp"),
                Column("PP", "pp"),
                Column("DP", "dp"),
                Column("CP", "cp"),
                Column("EP", "ep"),
                Column("mb", "mb"),
                Column("ZeRO", "zero"),
                Column("recompute", "rc"),
                Column("v", "v"),
                Column("step", "step", fmt_duration),
                Column("MFU", "mfu", lambda x: f"{x:.1%}"),
                Column("GiB/GPU", "mem", lambda x: f"{x / 2**30:,.1f}"),
                Column("why (largest overhead)", "why", justify="left"),
            ],
        )
        for n_, row in enumerate(top_rows, 1):
            L = row["layout"]
            t_top.rows.append(
                {
                    "i": n_,
                    "tp": L["tp"],
                    "pp": L["pp"],
                    "dp": L["dp"],
                    "cp": L["cp"],
                    "ep": L["ep"],
                    "mb": L["micro_batch"],
                    "zero": L["zero_stage"],
                    "rc": _RECOMPUTE[L["recompute"]],
                    "v": int(row["virtual_stages"]),
                    "step": row["step_time_s"],
                    "mfu": row["mfu"],
                    "mem": row["memory_bytes"],
                    "why": f"{row['largest_overhead']} {row['largest_overhead_share']:.0%}",
                }
            )
        tables.append(t_top)
    if scaling_rows:
        moe = spec.moe is not None
        t_sc = Table(
            f"Scaling ({o['scaling']} batch): best layout at each size",
            [
                Column("GPUs", "gpus", lambda x: f"{x:,}"),
                Column("batch", "global_batch", lambda x: f"{x:,}"),
                Column("layout", "lay", justify="left"),
                Column("step", "step_time_s", fmt_duration),
                Column("compute", "compute_time_s", fmt_duration),
                Column("exposed comm", "exposed_comm_time_s", fmt_duration),
                Column("bubble", "bubble_time_s", fmt_duration),
                Column("MFU", "mfu", lambda x: f"{x:.1%}"),
                Column("tokens/s", "tokens_per_s", lambda x: fmt_si(x, "")),
                Column("wall", "w", justify="left"),
            ],
        )
        for row in scaling_rows:
            if not row.get("fits"):
                t_sc.rows.append(
                    {
                        "gpus": row["gpus"],
                        "global_batch": row["global_batch"],
                        "lay": "nothing fits",
                        "w": "capacity",
                    }
                )
                continue
            L = row["layout"]
            t_sc.rows.append(
                {
                    **row,
                    "lay": f"{L['tp']}/{L['pp']}/{L['dp']}/{L['cp']}" + (f"/{L['ep']}" if moe else ""),
                    "w": "interconnect" if row["comm_over_compute"] else "",
                    "_style": "red" if row["comm_over_compute"] else None,
                }
            )
        t_sc.caption = (
            f"layout = TP/PP/DP/CP{'/EP' if moe else ''}; interconnect = exposed communication above compute"
        )
        tables.append(t_sc)
    lines = [f"note: {n}" for n in notes] + [wall_line]
    styles = ["dim"] * len(notes) + ["bold red" if hit else "bold green"]
    render.print_tables(tables, lines, styles)
    return 1 if (o["check"] and hit) else 0
