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


def _fractions(o: dict):  # noqa: ANN202
    import dataclasses

    from llmwalls.engine.collectives import LinkEfficiency
    from llmwalls.engine.training import TrainingAssumptions
    from llmwalls.units import parse_fraction

    a = TrainingAssumptions(dp_overlap=o["dp_overlap"], nvls=o["nvls"])
    if o["matmul_efficiency"] is not None:
        a = dataclasses.replace(
            a, matmul_fraction_of_mamf=parse_fraction(o["matmul_efficiency"], "--matmul-efficiency")
        )
    if o["attention_efficiency"] is not None:
        a = dataclasses.replace(
            a, attention_efficiency=parse_fraction(o["attention_efficiency"], "--attention-efficiency")
        )
    if o["tp_exposed"] is not None:
        a = dataclasses.replace(
            a, tp_exposed_fraction=parse_fraction(o["tp_exposed"], "--tp-exposed", allow_zero=True)
        )
    if o["dp_exposed"] is not None:
        a = dataclasses.replace(
            a, dp_min_exposed_fraction=parse_fraction(o["dp_exposed"], "--dp-exposed", allow_zero=True)
        )
    if o["interleave"] is not None:
        a = dataclasses.replace(a, virtual_stages=o["interleave"])
    link = LinkEfficiency()
    return a, link


def _tiers(spec_cluster, link, o: dict):  # noqa: ANN001, ANN202
    import dataclasses

    from llmwalls.engine.collectives import Tiers
    from llmwalls.units import parse_fraction

    tiers = Tiers.from_cluster(spec_cluster, link, nvls=o["nvls"])
    if o["nvlink_efficiency"] is not None:
        tiers = dataclasses.replace(
            tiers, up_efficiency=parse_fraction(o["nvlink_efficiency"], "--nvlink-efficiency")
        )
    if o["network_efficiency"] is not None:
        tiers = dataclasses.replace(
            tiers, out_efficiency=parse_fraction(o["network_efficiency"], "--network-efficiency")
        )
    return tiers


def _validate_explicit(
    spec,
    gpus: int,
    fixed: dict,
    global_batch: int,
    seq: int,
    tiers,  # noqa: ANN001
    allow_uneven: bool = False,
) -> list[str]:
    """One-line errors for impossible user-given degrees; returns warnings for allowed-but-flagged ones."""
    from llmwalls.errors import InputError

    warnings = []
    tp, pp, dp, cp, ep = (fixed.get(k) for k in ("tp", "pp", "dp", "cp", "ep"))
    given = [v for v in (tp, pp, dp, cp) if v is not None]
    prod = 1
    for v in given:
        prod *= v
    if tp is not None and pp is not None and dp is not None and prod != gpus:
        c = cp or 1
        raise InputError(
            f"--tp x --pp x --dp x --cp = {tp} x {pp} x {dp} x {c} = {prod:,}, not the {gpus:,} GPUs "
            "of --gpus"
        )
    if gpus % prod:
        raise InputError(f"the given degrees multiply to {prod:,}, which does not divide the {gpus:,} GPUs")
    if tp is not None:
        if spec.attention_heads % tp:
            raise InputError(
                f"--tp {tp} does not divide {spec.name}'s {spec.attention_heads} attention heads"
            )
        if spec.kv_heads % tp and tp % spec.kv_heads:
            raise InputError(
                f"--tp {tp} neither divides nor is a multiple of {spec.name}'s {spec.kv_heads} KV heads"
            )
        if tp > tiers.domain_gpus:
            warnings.append(
                f"--tp {tp} is larger than the {tiers.domain_gpus}-GPU scale-up domain: TP traffic is "
                "charged at the scale-out rate"
            )
    if pp is not None:
        if pp > spec.layers:
            raise InputError(f"--pp {pp} is more than {spec.name}'s {spec.layers} layers")
        if spec.layers % pp and not allow_uneven:
            raise InputError(
                f"--pp {pp} does not divide {spec.name}'s {spec.layers} layers; add --uneven-pp to "
                "put ceil(layers/pp) on the slowest stage (Llama 3 runs 126 layers on 16 stages)"
            )
    if cp is not None and cp > 1 and seq % (2 * cp):
        raise InputError(f"--context {seq} is not divisible into 2 x --cp = {2 * cp} load-balanced chunks")
    if ep is not None and ep > 1:
        if spec.moe is None:
            raise InputError(f"--ep {ep}: {spec.name} is not a mixture-of-experts model")
        if spec.moe.experts % ep:
            raise InputError(f"--ep {ep} does not divide {spec.name}'s {spec.moe.experts} experts")
    if dp is not None:
        mb = fixed.get("micro_batch") or 1
        if global_batch % (dp * mb):
            raise InputError(
                f"--global-batch {global_batch} is not divisible by --dp x --micro-batch = {dp * mb}"
            )
        if ep is not None and dp % ep:
            raise InputError(
                f"--ep {ep} does not divide --dp {dp} (experts are sharded inside data parallelism)"
            )
    return warnings


def training_inputs(
    spec,
    cl,
    *,
    gpus: str | None = None,
    tokens: str | None = None,
    contexts: list[str] | str | None = None,
    global_batch: str | None = None,
    what: str = "cluster",
) -> dict:  # noqa: ANN001
    """--gpus, --tokens, --context and --global-batch of a training run, parsed and checked, with the
    defaults of llmwalls.engine.plan (the cluster's GPUs, 8,192 context, 16Mi-token batches, 20 tokens per
    parameter). Returns gpus, seq_len, global_batch, train_tokens and notes. Shared by cluster, power and
    cost."""
    from llmwalls import render
    from llmwalls.engine.plan import default_global_batch, default_seq_len, default_train_tokens
    from llmwalls.errors import InputError
    from llmwalls.units import parse_count, parse_int_count, parse_tokens

    n = parse_int_count(gpus, "--gpus") if gpus is not None else cl.total_gpus
    if n > 10_000_000:
        raise InputError(f"--gpus {n:,} is absurd (more than 10 million GPUs)")
    notes: list[str] = []
    if n > cl.total_gpus:
        notes.append(
            f"{cl.name} describes {cl.total_gpus:,} GPUs ({cl.nodes} nodes x {cl.gpus_per_node}); its node "
            f"type and fabric are extrapolated to {n:,} GPUs"
        )
    contexts = [contexts] if isinstance(contexts, str) else (contexts or [])
    if len(contexts) > 1:
        raise InputError(f"{what} takes one --context (sequence length)")
    seq = parse_tokens(contexts[0], "--context") if contexts else default_seq_len(spec)
    if seq > spec.max_context_tokens:
        render.warn(
            f"context {seq:,} tokens is above {spec.name}'s maximum of {spec.max_context_tokens:,}; "
            "computed anyway"
        )
    gb = (
        parse_int_count(global_batch, "--global-batch")
        if global_batch is not None
        else default_global_batch(seq)
    )
    if gb > 100_000_000:
        raise InputError(f"--global-batch {gb:,} is absurd")
    train_tokens = parse_count(tokens, "--tokens") if tokens is not None else default_train_tokens(spec)
    return {"gpus": n, "seq_len": seq, "global_batch": gb, "train_tokens": train_tokens, "notes": notes}


def plan_run(spec, cl, gpu, *, gpus: str | None = None, tokens: str | None = None, what: str) -> dict:  # noqa: ANN001
    """The training plan `llmwalls cluster` picks for these inputs with its defaults (default efficiencies,
    no degree pinned), for `power` and `cost`. cl None: dgx-h100's nodes and fabric; a GPU other than the
    cluster's: that GPU in the cluster's nodes with its own scale-up bandwidth (walls.cluster_for_gpu). Both
    are warned. Returns llmwalls.engine.plan.plan_training's dict plus 'cluster' (the profile used), 'gpu',
    'model', 'notes' and 'summary' (the JSON-ready figures)."""
    from llmwalls import catalogue, render
    from llmwalls.engine.collectives import Tiers
    from llmwalls.engine.memory import usable_bytes
    from llmwalls.engine.plan import plan_training
    from llmwalls.engine.walls import cluster_for_gpu
    from llmwalls.errors import InputError

    if cl is None:
        cl = catalogue.load_cluster("dgx-h100")
        render.warn(f"{what} --tokens without --cluster: the run is planned on dgx-h100's nodes and fabric")
    if catalogue.resolve("gpu", cl.gpu, announce=False).name != gpu.name:
        render.warn(
            f"{gpu.name} in {cl.name}'s nodes: node, fabric and racks are kept, the scale-up bandwidth is "
            f"the {gpu.name}'s own"
        )
        cl = cluster_for_gpu(cl, gpu)
    run = training_inputs(spec, cl, gpus=gpus, tokens=tokens, what=what)
    p = plan_training(
        spec,
        gpu,
        Tiers.from_cluster(cl),
        gpus=run["gpus"],
        train_tokens=run["train_tokens"],
        seq_len=run["seq_len"],
        global_batch=run["global_batch"],
        usable_bytes=usable_bytes(gpu.memory_capacity_bytes),
    )
    if not p["found"]:
        raise InputError(
            f"no valid layout of {spec.name} on {run['gpus']:,} GPUs (global batch {run['global_batch']}, "
            f"context {run['seq_len']}); change --gpus (see `llmwalls cluster`)"
        )
    if not p["fits"]:
        render.warn(
            f"{spec.name} does not fit in {gpu.name} memory on {run['gpus']:,} GPUs in any layout: the plan "
            "uses the layout needing the least memory"
        )
    lay = p["layout"]
    summary = {
        "model": spec.name,
        "cluster": cl.name,
        "gpu": gpu.name,
        "layout": {
            **lay,
            "recompute": _RECOMPUTE[lay["recompute"]],
            "sequence_parallel": bool(lay["sequence_parallel"]),
        },
        **{
            k: p[k]
            for k in (
                "gpus",
                "seq_len",
                "global_batch",
                "train_tokens",
                "fits",
                "step_time_s",
                "mfu",
                "tokens_per_s",
                "model_flops_per_s_per_gpu",
                "memory_bytes",
                "time_to_train_s",
                "gpu_hours",
                "largest_overhead",
            )
        },
        "notes": run["notes"],
    }
    return {**p, "cluster": cl, "gpu": gpu, "model": spec, "notes": run["notes"], "summary": summary}


def tokens_text(tokens: float) -> str:
    """1.56e13 -> '15.6T' (SI prefixes, as --tokens takes them)."""
    from llmwalls.units import fmt_si

    return fmt_si(tokens, "").replace(" ", "")


def plan_line(summary: dict) -> str:
    """One line naming a plan's layout and time, for power and cost."""
    from llmwalls.units import fmt_duration

    L = summary["layout"]
    return (
        f"planned as `llmwalls cluster`: {summary['model']} on {summary['gpus']:,} x {summary['gpu']} "
        f"({summary['cluster']}), TP {L['tp']} PP {L['pp']} DP {L['dp']} CP {L['cp']}"
        + (f" EP {L['ep']}" if L["ep"] > 1 else "")
        + f", context {summary['seq_len']:,}, batch {summary['global_batch']:,}: step "
        f"{fmt_duration(summary['step_time_s'])}, MFU {summary['mfu']:.1%}, "
        f"{tokens_text(summary['train_tokens'])} tokens in {fmt_duration(summary['time_to_train_s'])} = "
        f"{summary['gpu_hours']:,.0f} GPU-hours" + ("" if summary["fits"] else " (does NOT fit in memory)")
    )


def _run(**o) -> int:  # noqa: ANN003, C901, PLR0912, PLR0915
    import time

    import numpy as np

    from llmwalls import catalogue, render
    from llmwalls.engine.memory import usable_bytes
    from llmwalls.engine.model import param_counts
    from llmwalls.engine.plan import SUMMARY_KEYS, dominant_at, layout_at, plan_training
    from llmwalls.errors import InputError
    from llmwalls.render import Column, Table
    from llmwalls.units import fmt_duration, fmt_si

    spec = catalogue.load_model(o["model"])
    cl = catalogue.load_cluster(o["cluster"])
    gpu = catalogue.load_gpu(cl.gpu)
    run = training_inputs(
        spec,
        cl,
        gpus=o["gpus"],
        tokens=o["tokens"],
        contexts=o["context"],
        global_batch=o["global_batch"],
        what="cluster",
    )
    gpus, seq, gb, train_tokens = run["gpus"], run["seq_len"], run["global_batch"], run["train_tokens"]
    notes: list[str] = run["notes"]
    if o["scaling"] not in ("fixed-global", "fixed-per-gpu", "off"):
        raise InputError(f"unknown --scaling {o['scaling']!r}; use fixed-global, fixed-per-gpu or off")
    counts = param_counts(spec)
    rc = o["recompute"]
    if rc is not None:
        rc = rc.lower()
        if rc not in _RECOMPUTE:
            raise InputError(f"unknown --recompute {o['recompute']!r}; use none, selective or full")
    a, link = _fractions(o)
    tiers = _tiers(cl, link, o)
    usable = usable_bytes(gpu.memory_capacity_bytes)

    fixed = {
        "tp": o["tp"],
        "pp": o["pp"],
        "dp": o["dp"],
        "cp": o["cp"],
        "ep": o["ep"],
        "micro_batch": o["micro_batch"],
        "zero_stage": o["zero"],
        "recompute": None if rc is None else _RECOMPUTE.index(rc),
        "sequence_parallel": None if o["sequence_parallel"] is None else int(o["sequence_parallel"]),
    }
    for w in _validate_explicit(spec, gpus, fixed, gb, seq, tiers, o["uneven_pp"]):
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
