"""`llmwalls roofline`: prefill and decode against the GPU's roofline -- per-operator FLOPs, bytes, arithmetic
intensity and the roof that binds; TTFT, time per output token, tokens/s, MFU, bandwidth utilisation, the
critical decode batch; a terminal roofline chart and --plot FILE.png|svg. Numbers come from
llmwalls.engine.roofline; this module parses, resolves profiles and renders. Heavy imports stay inside."""

from __future__ import annotations

from typing import Annotated

import typer

from llmwalls.cli.options import (
    Batch,
    Check,
    Context,
    Ep,
    Force,
    Json,
    KvDtype,
    Model,
    OptCluster,
    OptGpu,
    OutputTokens,
    Pp,
    Prompt,
    Tp,
    Weights,
)

DEFAULT_PROMPT_TOKENS = 2048
DEFAULT_OUTPUT_TOKENS = 512
MAX_BATCH = 1_000_000

OP_LABELS = {
    "qkv": "QKV projections",
    "attention": "attention (scores+context, KV)",
    "attn_out": "attention output proj.",
    "mlp": "MLP (dense/shared)",
    "experts": "MoE routed experts",
    "lm_head": "LM head",
}
OP_MARKERS = {"qkv": "q", "attention": "a", "attn_out": "o", "mlp": "m", "experts": "e", "lm_head": "h"}


def roofline(
    model: Model,
    gpu: OptGpu = None,
    tp: Tp = 1,
    pp: Pp = 1,
    ep: Ep = 1,
    cluster: OptCluster = None,
    batch: Batch = None,
    prompt: Prompt = None,
    context: Context = None,
    output_tokens: OutputTokens = None,
    weights: Weights = "bf16",
    kv_dtype: KvDtype = "bf16",
    bandwidth_efficiency: Annotated[
        str | None,
        typer.Option(
            "--bandwidth-efficiency",
            help="Fraction of datasheet HBM bandwidth reached (default 0.65, calibrated; "
            "see docs/calibration-roofline.md).",
        ),
    ] = None,
    flops_efficiency: Annotated[
        str | None,
        typer.Option(
            "--flops-efficiency",
            help="Fraction of peak FLOP/s a large GEMM reaches (default: the GPU's measured "
            "matmul / peak, else 0.75).",
        ),
    ] = None,
    allreduce_latency: Annotated[
        str | None,
        typer.Option(
            "--allreduce-latency-us",
            help="Fixed cost of one tensor-parallel all-reduce, in µs (default 25, calibrated on published "
            "TP decode rates).",
        ),
    ] = None,
    allreduce_link_efficiency: Annotated[
        str | None,
        typer.Option(
            "--allreduce-link-efficiency",
            help="Fraction of the scale-up link's bandwidth an all-reduce reaches (default per fabric, "
            "NVLink 0.80 as measured by nccl-tests).",
        ),
    ] = None,
    min_tokens_per_s: Annotated[
        str | None,
        typer.Option(
            "--min-tokens-per-s", help="Decode tokens/s per replica wanted; with --check exit 1 below it."
        ),
    ] = None,
    plot: Annotated[
        str | None,
        typer.Option(
            "--plot",
            help="Save the roofline chart to FILE.png or FILE.svg "
            "(needs matplotlib: pip install 'llmwalls[plot]').",
        ),
    ] = None,
    force: Force = False,
    no_chart: Annotated[bool, typer.Option("--no-chart", help="Do not draw the terminal chart.")] = False,
    json_: Json = False,
    check: Check = False,
) -> None:
    """Prefill and decode on the roofline: FLOPs, bytes, bound, TTFT, tokens/s, critical batch, a chart.

    Decode is evaluated at --context (default: prompt + output-tokens/2, the mean context over the
    generation); the memory check holds prompt + output-tokens per sequence. --pp splits the layers into
    pipeline stages, --ep spreads MoE experts over GPUs (all-to-all per MoE layer); --cluster takes the
    scale-up domain and link bandwidths from a cluster profile (default GPU: the cluster's; default
    --gpu h100)."""
    code = _run(**locals())
    if code:
        raise typer.Exit(code)


def _run(
    *,
    model,
    gpu,
    tp,
    pp,
    ep,
    cluster,
    batch,
    prompt,
    context,
    output_tokens,
    weights,
    kv_dtype,
    bandwidth_efficiency,  # noqa: ANN001, C901, PLR0912, PLR0915
    flops_efficiency,
    allreduce_latency,
    allreduce_link_efficiency,
    min_tokens_per_s,
    plot,
    force,
    no_chart,
    json_,
    check,
) -> int:
    import dataclasses

    import numpy as np

    from llmwalls import render
    from llmwalls.catalogue import load_cluster, load_gpu, load_model
    from llmwalls.engine import roofline as rf
    from llmwalls.errors import InputError
    from llmwalls.units import (
        parse_count,
        parse_fraction,
        parse_int_count,
        parse_positive_float,
        parse_tokens,
    )

    spec = load_model(model)
    cl = load_cluster(cluster) if cluster is not None else None
    g = load_gpu(gpu if gpu is not None else (cl.gpu if cl is not None else "h100"))
    _check_layout(spec, g, cl, tp, pp, ep, InputError, render)
    links = rf.Links.from_cluster(cl) if cl is not None else None
    batches = [parse_int_count(b, "--batch") for b in (batch or ["1"])]
    if any(b > MAX_BATCH for b in batches):
        raise InputError(f"--batch above {MAX_BATCH:,} concurrent sequences is not a plan; check the value")
    p = parse_tokens(prompt, "--prompt") if prompt is not None else DEFAULT_PROMPT_TOKENS
    o = parse_tokens(output_tokens, "--output-tokens") if output_tokens is not None else DEFAULT_OUTPUT_TOKENS
    contexts = [parse_tokens(c, "--context") for c in context] if context else [p + o // 2]
    peak_context = max(p + o, *contexts)
    if peak_context > spec.max_context_tokens:
        render.warn(
            f"{spec.name} supports {spec.max_context_tokens:,} tokens; prompt + output = {peak_context:,}"
        )
    assumptions = rf.RooflineAssumptions(
        bandwidth_efficiency=parse_fraction(bandwidth_efficiency, "--bandwidth-efficiency")
        if bandwidth_efficiency is not None
        else None,
        flops_efficiency=parse_fraction(flops_efficiency, "--flops-efficiency")
        if flops_efficiency is not None
        else None,
    )
    if allreduce_latency is not None:
        us = parse_positive_float(allreduce_latency, "--allreduce-latency-us", allow_zero=True)
        if us > 10_000:
            raise InputError(f"--allreduce-latency-us {allreduce_latency} is over 10 ms; the unit is µs")
        assumptions = dataclasses.replace(assumptions, allreduce_latency_s=us * 1e-6)
    if allreduce_link_efficiency is not None:
        assumptions = dataclasses.replace(
            assumptions,
            allreduce_link_efficiency=parse_fraction(
                allreduce_link_efficiency, "--allreduce-link-efficiency"
            ),
        )
    if tp > 1 and g.scale_up_bandwidth_bytes_per_s is None and cl is None:
        render.warn(
            f"{g.name} has no NVLink-class link in its profile: the --tp {tp} all-reduces go over PCIe "
            f"({assumptions.pcie_link_bytes_per_s / 1e9:.1f} GB/s per direction assumed)"
        )
    target = parse_count(min_tokens_per_s, "--min-tokens-per-s") if min_tokens_per_s is not None else None
    if plot is not None and not plot.lower().endswith((".png", ".svg")):
        raise InputError(f"--plot {plot!r}: the file name must end in .png or .svg")
    if plot is not None:
        from llmwalls.files import check_target

        check_target(plot, force=force, what="--plot file")  # refused before the work, not after

    bb, cc = np.meshgrid(np.asarray(batches, dtype=float), np.asarray(contexts, dtype=float), indexing="ij")
    bb, cc = bb.ravel(), cc.ravel()
    r = rf.roofline(
        spec,
        g,
        batch=bb,
        prompt_tokens=p,
        context_tokens=cc,
        tp=tp,
        pp=pp,
        ep=ep,
        weights=weights,
        kv_dtype=kv_dtype,
        assumptions=assumptions,
        memory_context_tokens=np.maximum(cc, p + o),
        links=links,
    )

    # Memory verdict: the memory engine's serving total (weights + KV + activations + reserve) against its
    # usable fraction of HBM when that engine is present; else weights + KV <= HBM.
    needed, limit, how = r["memory_needed_bytes_per_gpu"], g.memory_capacity_bytes, "weights + KV cache"
    try:
        from llmwalls.engine.memory import DEFAULT_ASSUMPTIONS as _mem_a
        from llmwalls.engine.memory import serving_memory_per_gpu
    except ImportError:
        pass
    else:
        # with ep > tp attention runs data-parallel: each attention group caches ceil(batch / (ep/tp))
        local = np.ceil(bb / (max(tp, ep) / tp))
        mem = serving_memory_per_gpu(
            spec,
            batch=local,
            context_tokens=np.maximum(cc, p + o),
            tp=tp,
            pp=pp,
            ep=ep,
            weights=weights,
            kv_dtype=kv_dtype,
        )
        needed = mem["total"]
        limit = g.memory_capacity_bytes * _mem_a.usable_fraction
        how = (
            f"llmwalls memory: weights + KV + activations + reserve, {_mem_a.usable_fraction:.0%} "
            "of HBM usable"
        )
    fits = np.asarray(needed <= limit)

    crit = {}
    for c in contexts:
        crit[c] = rf.critical_batch(
            spec,
            g,
            context_tokens=c,
            tp=tp,
            weights=weights,
            kv_dtype=kv_dtype,
            assumptions=assumptions,
            pp=pp,
            ep=ep,
            links=links,
        )
    crit_weights_only = rf.critical_batch(
        spec,
        g,
        context_tokens=1,
        tp=tp,
        weights=weights,
        kv_dtype=kv_dtype,
        assumptions=assumptions,
        pp=pp,
        ep=ep,
        links=links,
    )

    n = bb.size

    def pick(value, i):  # noqa: ANN001, ANN202
        if isinstance(value, dict):
            return {k: pick(v, i) for k, v in value.items()}
        arr = np.asarray(value)
        if arr.ndim == 0:
            return arr.item()
        return np.broadcast_to(arr, (n,))[i].item()

    rows = []
    for i in range(n):
        ri = {k: pick(r[k], i) for k in r}
        ri["memory_needed_bytes_per_gpu"] = float(np.broadcast_to(needed, (n,))[i])
        ri["memory_limit_bytes_per_gpu"] = float(limit)
        ri["fits"] = bool(fits[i])
        ri["critical_batch"] = crit[contexts[0] if len(contexts) == 1 else int(cc[i])]
        # JSON has no infinity: critical_batch is null when no batch is compute-bound; say so explicitly.
        ri["decode_can_be_compute_bound"] = bool(np.isfinite(ri["critical_batch"]))
        rows.append(ri)
    for ri in rows:
        if not ri["fits"]:
            render.warn(
                f"batch {int(ri['batch']):,} at {int(max(ri['context_tokens'], p + o)):,} tokens "
                "does not fit "
                f"{g.name}: needs {ri['memory_needed_bytes_per_gpu'] / 2**30:,.1f} GiB per GPU of "
                f"{limit / 2**30:,.1f} GiB ({how}); use more --tp, a smaller --batch or --kv-dtype fp8"
            )

    first = rows[0]
    walls = []
    for ri in rows:
        tag = {"batch": ri["batch"], "context_tokens": ri["context_tokens"]}
        walls.append(
            render.wall(
                "memory_bandwidth",
                ri["decode"]["achieved_bytes_per_s"],
                g.hbm_bandwidth_bytes_per_s,
                "bytes/s",
                phase="decode",
                binding=not ri["decode"]["compute_bound"],
                **tag,
            )
        )
        walls.append(
            render.wall(
                "compute",
                ri["prefill"]["achieved_flops_per_s"],
                ri["peak_flops_per_s"],
                "FLOP/s",
                phase="prefill",
                binding=bool(ri["prefill"]["compute_bound"]),
                **tag,
            )
        )
        walls.append(render.wall("memory_capacity", ri["memory_needed_bytes_per_gpu"], limit, "bytes", **tag))
        if target is not None:
            walls.append(
                render.wall(
                    "decode_tokens_per_s",
                    ri["decode_tokens_per_s_per_replica"],
                    target,
                    "tokens/s",
                    higher_is_worse=False,
                    **tag,
                )
            )
    hit = any(w["hit"] for w in walls)

    image_note = None
    if plot is not None:
        from llmwalls.render import chart

        try:
            chart.save_roofline_plot(
                plot,
                first["attainable_peak_flops_per_s"],
                first["attainable_bandwidth_bytes_per_s"],
                _points(chart, rows),
                datasheet_peak_flops_per_s=first["peak_flops_per_s"],
                datasheet_bandwidth_bytes_per_s=g.hbm_bandwidth_bytes_per_s,
                title=_title(spec, g, tp, weights, pp, ep),
                force=force,
            )
        except chart.PlotUnavailableError as exc:
            raise InputError(str(exc)) from None
        image_note = f"chart saved to {plot}"

    inputs = {
        "model": spec.name,
        "gpu": g.name,
        "cluster": cl.name if cl is not None else None,
        "tp": tp,
        "pp": pp,
        "ep": ep,
        "gpus_per_replica": pp * max(tp, ep),
        "links": dataclasses.asdict(links) if links is not None else "one node on the GPU's scale-up link",
        "batch": batches,
        "prompt_tokens": p,
        "output_tokens": o,
        "context_tokens": contexts,
        "weights": weights,
        "kv_dtype": kv_dtype,
        "compute_dtype": first["compute_dtype"],
        "bandwidth_efficiency": first["bandwidth_efficiency"],
        "flops_efficiency": first["flops_efficiency"],
        "efficiency_source": first["efficiency_source"],
        "min_tokens_per_s": target,
        "memory_check": how,
        "assumptions": assumptions,
        "time_model": "sum over operators of max(compute, memory) + all-reduces"
        + (" + EP all-to-alls" if ep > 1 else "")
        + (" ; pipeline: max(sum of stages, micro-batches x worst stage)" if pp > 1 else ""),
    }
    if json_:
        results = {"rows": rows, "critical_batch_weights_only": crit_weights_only}
        render.emit_json("roofline", inputs, results, walls)
    else:
        _print_human(
            spec, g, (tp, pp, ep), weights, first, rows, crit_weights_only, target, no_chart, image_note
        )
    return 1 if (check and hit) else 0


def _title(spec, g, tp, weights, pp=1, ep=1) -> str:  # noqa: ANN001
    par = [f"TP{tp}"] if tp > 1 else []
    par += [f"PP{pp}"] if pp > 1 else []
    par += [f"EP{ep}"] if ep > 1 else []
    if par == [f"TP{tp}"]:
        return f"{spec.name} on {g.name} x{tp} (TP), {weights} weights"
    gpus = pp * max(tp, ep)
    return (
        f"{spec.name} on {g.name}" + (f" x{gpus} ({' '.join(par)})" if par else "") + f", {weights} weights"
    )


def _check_layout(spec, g, cl, tp, pp, ep, InputError, render) -> None:  # noqa: ANN001, N803
    """Bad layouts are errors; layouts past the scale-up domain are allowed, warned and charged at the
    scale-out rate (issue 5)."""
    if pp > spec.layers:
        raise InputError(f"--pp {pp} is more than {spec.name}'s {spec.layers} layers")
    if ep > 1:
        if spec.moe is None:
            raise InputError(f"--ep {ep}: {spec.name} is not a mixture-of-experts model")
        if spec.moe.experts % ep:
            raise InputError(f"--ep {ep} does not divide {spec.name}'s {spec.moe.experts} experts")
        if max(tp, ep) % min(tp, ep):
            raise InputError(
                f"--ep {ep} and --tp {tp}: one must divide the other (experts share the TP GPUs)"
            )
    width = max(tp, ep)
    if cl is not None:
        dom = cl.scale_up_domain_gpus
        if width > dom:
            render.warn(
                f"TP/EP group of {width} GPUs is larger than {cl.name}'s scale-up domain of {dom}: its "
                "collectives cross the scale-out network and are charged at the inter-node rate"
            )
        if cl.gpu != g.name:
            render.warn(f"--gpu {g.name} differs from {cl.name}'s {cl.gpu}; the cluster's links are used")
    elif pp * width > 8:
        render.warn(
            f"{pp * width} GPUs per replica without --cluster: every link is taken at {g.name}'s scale-up "
            "rate; give --cluster for the scale-up domain and the scale-out network"
        )


def _points(chart, rows) -> list:  # noqa: ANN001
    first = rows[0]
    pts = []
    for phase, upper in (("prefill", True), ("decode", False)):
        for name, op in first[phase]["operators"].items():
            if op["flops"] <= 0:
                continue
            marker = OP_MARKERS[name].upper() if upper else OP_MARKERS[name]
            pts.append(
                chart.Point(
                    marker,
                    f"{phase} {OP_LABELS[name]}",
                    op["intensity_flops_per_byte"],
                    op["flops"] / op["time_s"],
                )
            )
    if len(rows) == 1:
        pts.append(
            chart.Point(
                "P",
                "PREFILL (whole phase)",
                first["prefill"]["intensity_flops_per_byte"],
                first["prefill"]["achieved_flops_per_s"],
            )
        )
        pts.append(
            chart.Point(
                "D",
                "DECODE (whole phase)",
                first["decode"]["intensity_flops_per_byte"],
                first["decode"]["achieved_flops_per_s"],
            )
        )
    else:
        pts.append(
            chart.Point(
                "P",
                f"PREFILL batch {int(first['batch'])}",
                first["prefill"]["intensity_flops_per_byte"],
                first["prefill"]["achieved_flops_per_s"],
            )
        )
        for i, ri in enumerate(rows[:9]):
            pts.append(
                chart.Point(
                    str(i + 1),
                    f"DECODE batch {int(ri['batch']):,}, context {int(ri['context_tokens']):,}",
                    ri["decode"]["intensity_flops_per_byte"],
                    ri["decode"]["achieved_flops_per_s"],
                )
            )
    return pts


def _print_human(
    spec, g, layout, weights, first, rows, crit_weights_only, target, no_chart, image_note
) -> None:  # noqa: ANN001, PLR0913
    import math

    from llmwalls import render
    from llmwalls.units import fmt_bytes_iec, fmt_duration, fmt_si

    tp, pp, ep = layout
    gpus = pp * max(tp, ep)

    def bound(op) -> str:  # noqa: ANN001
        return "compute" if op["compute_bound"] else "memory"

    op_cols = [
        render.Column("operator", "label", justify="left"),
        render.Column("FLOPs", "flops", lambda v: fmt_si(v, "FLOP")),
        render.Column("bytes", "bytes", lambda v: fmt_si(v, "B")),
        render.Column("FLOP/byte", "intensity_flops_per_byte", lambda v: f"{v:,.3g}"),
        render.Column("attainable", "attainable_flops_per_s", lambda v: fmt_si(v, "FLOP/s")),
        render.Column("time", "time_s", fmt_duration),
        render.Column("bound", bound, justify="left"),
    ]
    tables = []
    for phase, what in (
        ("prefill", f"prompt {int(first['prompt_tokens']):,} tokens x batch {int(first['batch']):,}"),
        ("decode", f"1 token x batch {int(first['batch']):,} at context {int(first['context_tokens']):,}"),
    ):
        ph = first[phase]
        op_rows = [
            {"label": OP_LABELS[k], **v}
            for k, v in ph["operators"].items()
            if v["flops"] > 0 or v["bytes"] > 0
        ]
        for key, label in (
            ("tp_comm_time_s", f"TP all-reduces (2/layer, tp={tp})"),
            ("ep_comm_time_s", f"EP all-to-alls (dispatch+combine/MoE layer, ep={ep})"),
            ("pp_p2p_time_s", f"PP sends ({pp - 1} hops, sum)"),
        ):
            if ph[key] > 0:
                op_rows.append({"label": label, "time_s": ph[key], "compute_bound": False, "_comm": True})
        op_rows.append(
            {
                "label": "total",
                **{
                    k: ph[k]
                    for k in (
                        "flops",
                        "bytes",
                        "intensity_flops_per_byte",
                        "attainable_flops_per_s",
                        "time_s",
                        "compute_bound",
                    )
                },
                "_style": "bold",
            }
        )
        for row in op_rows:
            if row.get("_comm"):
                row["bound"] = "interconnect"
        cols = [
            c
            if c.header != "bound"
            else render.Column("bound", lambda r: r.get("bound") or bound(r), justify="left")
            for c in op_cols
        ]
        where = "per GPU" if pp == 1 else f"per GPU of the worst of {pp} stages, per micro-batch"
        tables.append(render.Table(f"{phase} {where}: {what}", cols, op_rows))

    def crit_text(v: float) -> str:
        return "never" if not math.isfinite(v) else f"{v:,.0f}"

    sum_rows = []
    for ri in rows:
        sum_rows.append(
            {
                "batch": ri["batch"],
                "context": ri["context_tokens"],
                "ttft": ri["ttft_s"],
                "tpot": ri["time_per_output_token_s"],
                "tps_rep": ri["decode_tokens_per_s_per_replica"],
                "tps_gpu": ri["decode_tokens_per_s_per_gpu"],
                "mfu_p": ri["prefill"]["mfu"],
                "mfu_d": ri["decode"]["mfu"],
                "bwu": ri["decode"]["bandwidth_utilization"],
                "crit": ri["critical_batch"],
                "mem": ri["memory_needed_bytes_per_gpu"],
                "fits": ri["fits"],
                "_style": None if ri["fits"] else "bold red",
            }
        )
    pct = lambda v: f"{v:.0%}"  # noqa: E731
    summary = render.Table(
        "summary" + (f" (replica = {gpus} GPUs)" if gpus > 1 else ""),
        [
            render.Column("batch", "batch", lambda v: f"{v:,.0f}"),
            render.Column("ctx", "context", lambda v: f"{v:,.0f}"),
            render.Column("TTFT", "ttft", fmt_duration),
            render.Column("per token", "tpot", fmt_duration),
            render.Column("tok/s", "tps_rep", lambda v: f"{v:,.1f}"),
            render.Column("/GPU", "tps_gpu", lambda v: f"{v:,.1f}"),
            render.Column("MFU pre", "mfu_p", pct),
            render.Column("MFU dec", "mfu_d", pct),
            render.Column("BW dec", "bwu", pct),
            render.Column("crit. batch", "crit", crit_text),
            render.Column("mem/GPU", "mem", fmt_bytes_iec),
            render.Column("fits", "fits", lambda v: "yes" if v else "NO", justify="left"),
        ],
        sum_rows,
    )
    tables.append(summary)
    render.print_tables(
        tables,
        [
            f"roofs: {first['compute_dtype']} peak {fmt_si(first['peak_flops_per_s'], 'FLOP/s')} x "
            f"{first['flops_efficiency']:.2f}, HBM {fmt_si(first['hbm_bandwidth_bytes_per_s'], 'B/s')} x "
            f"{first['bandwidth_efficiency']:.2f} ({first['efficiency_source']})",
            f"machine balance {first['machine_balance_flops_per_byte']:,.0f} FLOP/byte (datasheet), "
            f"{first['attainable_ridge_flops_per_byte']:,.0f} attainable; critical decode batch "
            f"(compute-bound from): {crit_text(crit_weights_only)} with weights only, "
            "'never' = KV-cache reads keep decode memory-bound",
            "tok/s = decode tokens/s per replica (/GPU: per GPU); "
            "BW dec = decode bytes/s / datasheet HBM bandwidth; "
            "MFU = FLOP/s / datasheet peak",
        ],
    )

    if not no_chart:
        from llmwalls.render import chart

        render.print_text(
            "\n"
            + chart.text_roofline(
                first["attainable_peak_flops_per_s"],
                first["attainable_bandwidth_bytes_per_s"],
                _points(chart, rows),
                title=f"roofline (attainable roofs): {_title(spec, g, tp, weights, pp, ep)}",
            )
        )
        render.print_text("")

    d, pf = first["decode"], first["prefill"]
    bw = g.hbm_bandwidth_bytes_per_s
    dec = (
        f"bandwidth: decode is {'compute' if d['compute_bound'] else 'memory'}-bound at "
        f"{d['achieved_bytes_per_s'] / 1e9:,.0f} GB/s of {bw / 1e9:,.0f} GB/s "
        f"({first['decode_tokens_per_s_per_replica']:,.0f} tokens/s per replica)"
    )
    pre = (
        f"compute: prefill is {'compute' if pf['compute_bound'] else 'memory'}-bound at "
        f"{pf['achieved_flops_per_s'] / 1e12:,.0f} TFLOP/s of "
        f"{first['peak_flops_per_s'] / 1e12:,.0f} TFLOP/s "
        f"(TTFT {fmt_duration(first['ttft_s'])})"
    )
    lines, styles = [f"{dec}; {pre}"], ["bold"]
    if not all(ri["fits"] for ri in rows):
        lines.append("memory capacity: some rows do NOT fit (see warnings); their speeds are not reachable")
        styles.append("bold red")
    if target is not None:
        worst = min(ri["decode_tokens_per_s_per_replica"] for ri in rows)
        ok = worst >= target
        lines.append(
            f"target: {worst:,.0f} tokens/s per replica {'>=' if ok else '<'} {target:,.0f} wanted"
            + ("" if ok else " (wall hit)")
        )
        styles.append("bold" if ok else "bold red")
    if image_note:
        lines.append(image_note)
        styles.append("")
    render.print_tables([], lines, styles)
