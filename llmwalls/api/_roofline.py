"""Prefill and decode against the GPU's roofline: per-operator FLOPs, bytes, arithmetic intensity and the roof
that binds; TTFT, time per output token, tokens/s, MFU, bandwidth use, the critical decode batch, whether
the serving memory fits, and the walls.

    >>> from llmwalls import api
    >>> r = api.roofline(model="8b", gpu="h100", min_tokens_per_s=150)
    >>> r.results.rows[0].decode_tokens_per_s_per_replica, r.walls

The formulas live in llmwalls.engine.roofline (vectorised over the batch x context grid) and, for the memory
check, llmwalls.engine.memory; this module validates the scenario, resolves profiles, calls them and builds
the report.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from llmwalls import notices
from llmwalls.api._profiles import choice, gpu_count, hardware, model_spec
from llmwalls.api.types import KvFormat, Layout, Wall, WeightFormat
from llmwalls.engine import roofline as rf
from llmwalls.errors import InputError
from llmwalls.specs import ClusterSpec, GpuSpec, ModelSpec

DEFAULT_PROMPT_TOKENS = 2048  # a chat prompt with some history
DEFAULT_OUTPUT_TOKENS = 512  # a long-ish answer
MAX_BATCH = 1_000_000  # concurrent sequences on one replica beyond this are a typo
MAX_ALLREDUCE_LATENCY_S = 10e-3  # a fixed cost above 10 ms is a unit mistake (the option is in µs)
OPERATOR_LABELS = {
    "qkv": "QKV projections",
    "attention": "attention (scores+context, KV)",
    "attn_out": "attention output proj.",
    "mlp": "MLP (dense/shared)",
    "experts": "MoE routed experts",
    "lm_head": "LM head",
}


@dataclass(frozen=True)
class RooflineLinks:
    """Where the serving collectives run, from a cluster profile (engine.roofline.Links.from_cluster)."""

    domain_gpus: float | None  # GPUs sharing the scale-up fabric (None: unbounded)
    up_bytes_per_s: float | None
    up_efficiency: float | None
    out_bytes_per_s: float
    out_efficiency: float
    out_latency_s: float


@dataclass(frozen=True)
class RooflineInputs:
    model: str
    gpu: str
    cluster: str | None
    tp: int
    pp: int
    ep: int
    gpus_per_replica: int  # pp x max(tp, ep)
    gpus: int  # GPUs of the deployment: a whole number of replicas
    replicas: int
    links: RooflineLinks | None  # None: one node on the GPU's own scale-up link
    batch: tuple[int, ...]
    prompt_tokens: int
    output_tokens: int
    context_tokens: tuple[int, ...]  # where decode is evaluated (default prompt + output / 2)
    memory_context_tokens: int  # the longest context the KV cache must hold: prompt + output
    weights: WeightFormat
    kv_dtype: KvFormat
    min_tokens_per_s: float | None  # decode tokens/s per replica wanted
    memory_check: str
    time_model: str
    assumptions: rf.RooflineAssumptions


@dataclass(frozen=True)
class Roofs:
    """The GPU's two roofs for this weight format: datasheet and attainable (x the efficiencies)."""

    compute_dtype: str
    peak_flops_per_s: float
    hbm_bandwidth_bytes_per_s: float
    flops_efficiency: float
    bandwidth_efficiency: float
    efficiency_source: str
    attainable_peak_flops_per_s: float
    attainable_bandwidth_bytes_per_s: float
    machine_balance_flops_per_byte: float  # the datasheet ridge
    attainable_ridge_flops_per_byte: float
    # pace of the weight stream relative to bf16: RooflineAssumptions.int8/int4_weight_only_bandwidth_factor
    # for weight-only int8/int4 weights (dequantisation), 1.0 for formats computed in their own precision
    weight_stream_factor: float


@dataclass(frozen=True)
class OperatorFigures:
    flops: float
    bytes: float
    intensity_flops_per_byte: float
    attainable_flops_per_s: float
    time_s: float
    compute_bound: bool


@dataclass(frozen=True)
class Operators:
    qkv: OperatorFigures
    attention: OperatorFigures
    attn_out: OperatorFigures
    mlp: OperatorFigures
    experts: OperatorFigures
    lm_head: OperatorFigures


@dataclass(frozen=True)
class PhaseFigures:
    """One phase on the worst GPU (of the worst pipeline stage, per micro-batch where the name says stage);
    time_s is the phase's time with the pipeline (TTFT for prefill, the decode cycle for decode)."""

    operators: Operators
    flops: float
    bytes: float
    intensity_flops_per_byte: float
    attainable_flops_per_s: float
    compute_bound_time_s: float
    memory_bound_time_s: float
    comm_time_s: float
    tp_comm_time_s: float
    ep_comm_time_s: float
    pp_p2p_time_s: float
    stage_time_s: float
    sum_of_stages_s: float
    microbatches_in_flight: float
    pipeline_idle_fraction: float
    sequences_per_gpu: float
    time_s: float
    achieved_flops_per_s: float
    achieved_bytes_per_s: float
    mfu: float
    bandwidth_utilization: float
    compute_bound: bool


@dataclass(frozen=True)
class RooflineRow:
    batch: int
    prompt_tokens: int
    context_tokens: int
    attention_data_parallel: float
    prefill: PhaseFigures
    decode: PhaseFigures
    ttft_s: float
    time_per_output_token_s: float
    decode_tokens_per_s_per_sequence: float
    decode_tokens_per_s_per_replica: float
    decode_tokens_per_s_per_gpu: float
    prefill_tokens_per_s_per_replica: float
    weights_bytes_per_gpu: float
    kv_bytes_per_gpu: float
    memory_needed_bytes_per_gpu: float  # llmwalls memory's serving total at memory_context_tokens
    memory_limit_bytes_per_gpu: float
    fits: bool
    critical_batch: float | None  # None: no batch makes decode compute-bound at this context
    decode_can_be_compute_bound: bool


@dataclass(frozen=True)
class RooflineResults:
    roofs: Roofs
    rows: tuple[RooflineRow, ...]
    critical_batch_weights_only: float | None
    fits: bool  # every row fits the GPU's memory


@dataclass(frozen=True)
class RooflineReport:
    inputs: RooflineInputs
    results: RooflineResults
    walls: tuple[Wall, ...]
    warnings: tuple[str, ...]
    notes: tuple[str, ...]


def roofline(
    model: str | ModelSpec,
    gpu: str | GpuSpec | None = None,
    *,
    cluster: str | ClusterSpec | None = None,
    gpus: int | None = None,
    layout: Layout | None = None,
    batch: int | Sequence[int] = 1,
    prompt_tokens: int | None = None,
    output_tokens: int | None = None,
    context_tokens: int | Sequence[int] | None = None,
    weights: WeightFormat | str = WeightFormat.bf16,
    kv_dtype: KvFormat | str = KvFormat.bf16,
    min_tokens_per_s: float | None = None,
    bandwidth_efficiency: float | None = None,
    flops_efficiency: float | None = None,
    allreduce_latency_s: float | None = None,
    allreduce_link_efficiency: float | None = None,
    assumptions: rf.RooflineAssumptions | None = None,
) -> RooflineReport:
    """Both phases of serving on the roofline, for every batch x context point.

    ``layout``: tp, pp, ep of one replica (pp x max(tp, ep) GPUs). ``cluster``: the scale-up domain and the
    link bandwidths (and, by default, the GPU). ``gpus``: GPUs of the deployment, a whole number of replicas
    (default one replica). ``prompt_tokens`` default 2,048; ``output_tokens`` default 512.
    ``context_tokens``: where decode is evaluated (default prompt + output / 2, the mean over the
    generation); the memory check holds prompt + output tokens per sequence. ``min_tokens_per_s``: decode
    tokens/s per replica wanted, checked at every point (the decode_tokens_per_s wall) and turned into the
    bandwidth it needs (the memory_bandwidth wall)."""
    with notices.collecting() as bag:
        spec = model_spec(model)
        g, cl = hardware(gpu, cluster)
        inputs = _inputs(
            spec,
            g,
            cl,
            gpus,
            layout or Layout(),
            batch,
            prompt_tokens,
            output_tokens,
            context_tokens,
            weights,
            kv_dtype,
            min_tokens_per_s,
            bandwidth_efficiency,
            flops_efficiency,
            allreduce_latency_s,
            allreduce_link_efficiency,
            assumptions,
        )
        results = _results(spec, g, cl, inputs)
        walls = _walls(inputs, results)
    return RooflineReport(inputs, results, walls, tuple(bag.warnings), tuple(bag.notes))


# ---------------------------------------------------------------------------------------------- inputs


def _positive_ints(values: int | Sequence[int], what: str, cap: float) -> tuple[int, ...]:
    seq = (values,) if isinstance(values, int) else tuple(values)
    if not seq:
        raise InputError(f"{what}: give at least one value")
    for v in seq:
        if isinstance(v, bool) or int(v) != v or v < 1:
            raise InputError(f"{what} must be a whole number of at least 1, got {v!r}")
        if v > cap:
            raise InputError(f"{what} above {cap:,.0f} is not a plan; check the value")
    return tuple(int(v) for v in seq)


def _fraction(value: float | None, what: str) -> float | None:
    if value is not None and not 0 < value <= 1:
        raise InputError(f"{what} must be in (0, 1], got {value!r}")
    return value


def _check_layout(spec: ModelSpec, g: GpuSpec, cl: ClusterSpec | None, lay: Layout) -> None:
    """Bad layouts are errors; layouts past the scale-up domain are allowed, warned about and charged at the
    scale-out rate."""
    for name, value in (("tensor", lay.tp), ("pipeline", lay.pp), ("expert", lay.ep)):
        if int(value) != value or value < 1:
            raise InputError(f"{name}-parallel degree must be a whole number of at least 1, got {value!r}")
    if (lay.dp, lay.cp, lay.zero, lay.micro_batch, lay.recompute, lay.interleave) != (1, 1, 0, None, None, 1):
        raise InputError(
            "data/context parallelism, ZeRO, micro-batches and recomputation are training settings"
        )
    if lay.pp > spec.layers:
        raise InputError(f"pipeline-parallel degree {lay.pp} is more than {spec.name}'s {spec.layers} layers")
    if lay.ep > 1:
        if spec.moe is None:
            raise InputError(f"expert parallelism {lay.ep}: {spec.name} is not a mixture-of-experts model")
        if spec.moe.experts % lay.ep:
            raise InputError(
                f"expert-parallel degree {lay.ep} does not divide {spec.name}'s {spec.moe.experts} experts"
            )
        if max(lay.tp, lay.ep) % min(lay.tp, lay.ep):
            raise InputError(
                f"expert-parallel degree {lay.ep} and tensor-parallel degree {lay.tp}: one must divide the "
                "other (experts share the TP GPUs)"
            )
    width = max(lay.tp, lay.ep)
    if cl is not None:
        if width > cl.scale_up_domain_gpus:
            notices.warn(
                f"TP/EP group of {width} GPUs is larger than {cl.name}'s scale-up domain of "
                f"{cl.scale_up_domain_gpus}: its collectives cross the scale-out network and are charged at "
                "the inter-node rate"
            )
    elif lay.pp * width > 8:
        notices.warn(
            f"{lay.pp * width} GPUs per replica without a cluster: every link is taken at {g.name}'s "
            "scale-up rate; give a cluster for the scale-up domain and the scale-out network"
        )


def _inputs(
    spec: ModelSpec,
    g: GpuSpec,
    cl: ClusterSpec | None,
    gpus: int | None,
    lay: Layout,
    batch: int | Sequence[int],
    prompt_tokens: int | None,
    output_tokens: int | None,
    context_tokens: int | Sequence[int] | None,
    weights: WeightFormat | str,
    kv_dtype: KvFormat | str,
    min_tokens_per_s: float | None,
    bandwidth_efficiency: float | None,
    flops_efficiency: float | None,
    allreduce_latency_s: float | None,
    allreduce_link_efficiency: float | None,
    assumptions: rf.RooflineAssumptions | None,
) -> RooflineInputs:
    w = choice(WeightFormat, weights, "weight format")
    kv = choice(KvFormat, kv_dtype, "KV-cache format")
    _check_layout(spec, g, cl, lay)
    batches = _positive_ints(batch, "batch", MAX_BATCH)
    (p,) = _positive_ints(DEFAULT_PROMPT_TOKENS if prompt_tokens is None else prompt_tokens, "prompt", 2**40)
    (o,) = _positive_ints(DEFAULT_OUTPUT_TOKENS if output_tokens is None else output_tokens, "output", 2**40)
    contexts = _positive_ints(context_tokens if context_tokens is not None else p + o // 2, "context", 2**40)
    peak_context = max(p + o, *contexts)
    if peak_context > spec.max_context_tokens:
        notices.warn(
            f"{spec.name} supports {spec.max_context_tokens:,} tokens; prompt + output = {peak_context:,}"
        )
    if min_tokens_per_s is not None and not (math.isfinite(min_tokens_per_s) and min_tokens_per_s > 0):
        raise InputError(f"the decode tokens/s target must be a positive number, got {min_tokens_per_s!r}")
    a = assumptions if assumptions is not None else rf.RooflineAssumptions()
    a = dataclasses.replace(
        a,
        bandwidth_efficiency=_fraction(bandwidth_efficiency, "bandwidth efficiency")
        or a.bandwidth_efficiency,
        flops_efficiency=_fraction(flops_efficiency, "FLOP/s efficiency") or a.flops_efficiency,
        allreduce_link_efficiency=_fraction(allreduce_link_efficiency, "all-reduce link efficiency")
        or a.allreduce_link_efficiency,
    )
    if allreduce_latency_s is not None:
        if not 0 <= allreduce_latency_s <= MAX_ALLREDUCE_LATENCY_S:
            raise InputError(
                f"all-reduce latency {allreduce_latency_s!r} s is outside [0, 10 ms]; the value is in seconds"
            )
        a = dataclasses.replace(a, allreduce_latency_s=float(allreduce_latency_s))
    if lay.tp > 1 and g.scale_up_bandwidth_bytes_per_s is None and cl is None:
        notices.warn(
            f"{g.name} has no NVLink-class link in its profile: the TP {lay.tp} all-reduces go over PCIe "
            f"({a.pcie_link_bytes_per_s / 1e9:.1f} GB/s per direction assumed)"
        )
    per_replica = lay.pp * max(lay.tp, lay.ep)
    total = gpu_count(gpus, cl)
    if total is not None and total % per_replica:
        raise InputError(f"{total:,} GPUs is not a whole number of {per_replica}-GPU replicas")
    total = total if total is not None else per_replica
    links = None
    if cl is not None:
        lk = rf.Links.from_cluster(cl)
        links = RooflineLinks(
            None if math.isinf(lk.domain_gpus) else lk.domain_gpus,
            lk.up_bytes_per_s,
            lk.up_efficiency,
            lk.out_bytes_per_s,
            lk.out_efficiency,
            lk.out_latency_s,
        )
    from llmwalls.engine.memory import DEFAULT_ASSUMPTIONS

    time_model = "sum over operators of max(compute, memory) + all-reduces"
    time_model += " + EP all-to-alls" if lay.ep > 1 else ""
    time_model += "; pipeline: max(sum of stages, micro-batches x worst stage)" if lay.pp > 1 else ""
    return RooflineInputs(
        model=spec.name,
        gpu=g.name,
        cluster=cl.name if cl is not None else None,
        tp=lay.tp,
        pp=lay.pp,
        ep=lay.ep,
        gpus_per_replica=per_replica,
        gpus=total,
        replicas=total // per_replica,
        links=links,
        batch=batches,
        prompt_tokens=p,
        output_tokens=o,
        context_tokens=contexts,
        memory_context_tokens=p + o,
        weights=w,
        kv_dtype=kv,
        min_tokens_per_s=float(min_tokens_per_s) if min_tokens_per_s is not None else None,
        memory_check=(
            "llmwalls memory: weights + KV + activations + reserve, "
            f"{DEFAULT_ASSUMPTIONS.usable_fraction:.0%} of device memory usable"
        ),
        time_model=time_model,
        assumptions=a,
    )


# --------------------------------------------------------------------------------------------- results


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None


def _pick(cls: Any, d: dict[str, Any], i: int, n: int, **given: Any) -> Any:
    """An instance of the flat dataclass ``cls`` from point ``i`` of the engine's broadcast arrays."""
    import numpy as np

    values = dict(given)
    for f in dataclasses.fields(cls):
        if f.name in values:
            continue
        v = np.broadcast_to(np.asarray(d[f.name]), (n,))[i].item()
        values[f.name] = bool(v) if f.type == "bool" else int(v) if f.type == "int" else float(v)
    return cls(**values)


def _phase(ph: dict[str, Any], i: int, n: int) -> PhaseFigures:
    ops = Operators(**{k: _pick(OperatorFigures, ph["operators"][k], i, n) for k in rf.OPERATORS})
    phase: PhaseFigures = _pick(PhaseFigures, ph, i, n, operators=ops)
    return phase


def _results(spec: ModelSpec, g: GpuSpec, cl: ClusterSpec | None, x: RooflineInputs) -> RooflineResults:
    import numpy as np

    from llmwalls.engine.memory import DEFAULT_ASSUMPTIONS, serving_memory_per_gpu

    links = rf.Links.from_cluster(cl) if cl is not None else None
    w, kv = x.weights.value, x.kv_dtype.value
    bb, cc = np.meshgrid(
        np.asarray(x.batch, dtype=float), np.asarray(x.context_tokens, dtype=float), indexing="ij"
    )
    bb, cc = bb.ravel(), cc.ravel()
    mem_c = np.maximum(cc, x.memory_context_tokens)
    r = rf.roofline(
        spec,
        g,
        batch=bb,
        prompt_tokens=x.prompt_tokens,
        context_tokens=cc,
        weights=w,
        kv_dtype=kv,
        assumptions=x.assumptions,
        memory_context_tokens=mem_c,
        links=links,
        tp=x.tp,
        pp=x.pp,
        ep=x.ep,
    )
    # Memory: the memory engine's serving total (weights + KV + activations + reserve) against its usable
    # fraction of device memory. With ep > tp attention runs data-parallel: each attention group caches
    # ceil(batch / (ep / tp)) sequences.
    local = np.ceil(bb / (max(x.tp, x.ep) / x.tp))
    needed = serving_memory_per_gpu(
        spec, batch=local, context_tokens=mem_c, tp=x.tp, pp=x.pp, ep=x.ep, weights=w, kv_dtype=kv
    )["total"]
    limit = g.memory_capacity_bytes * DEFAULT_ASSUMPTIONS.usable_fraction
    crit = {
        c: rf.critical_batch(
            spec,
            g,
            context_tokens=c,
            weights=w,
            kv_dtype=kv,
            assumptions=x.assumptions,
            links=links,
            tp=x.tp,
            pp=x.pp,
            ep=x.ep,
        )
        for c in x.context_tokens
    }
    crit_weights_only = rf.critical_batch(
        spec,
        g,
        context_tokens=1,
        weights=w,
        kv_dtype=kv,
        assumptions=x.assumptions,
        links=links,
        tp=x.tp,
        pp=x.pp,
        ep=x.ep,
    )
    n = bb.size
    rows = []
    for i in range(n):
        fits = bool(needed[i] <= limit)
        cb = crit[int(cc[i])]
        rows.append(
            _pick(
                RooflineRow,
                r,
                i,
                n,
                prefill=_phase(r["prefill"], i, n),
                decode=_phase(r["decode"], i, n),
                memory_needed_bytes_per_gpu=float(needed[i]),
                memory_limit_bytes_per_gpu=float(limit),
                fits=fits,
                critical_batch=_finite(cb),
                decode_can_be_compute_bound=math.isfinite(cb),
            )
        )
        if not fits:
            notices.warn(
                f"batch {int(bb[i]):,} at {int(mem_c[i]):,} tokens does not fit {g.name}: needs "
                f"{needed[i] / 2**30:,.1f} GiB per GPU of {limit / 2**30:,.1f} GiB ({x.memory_check}); use "
                "more tensor parallelism, a smaller batch or an fp8 KV cache"
            )
    roofs = Roofs(**{f.name: r[f.name] for f in dataclasses.fields(Roofs)})
    return RooflineResults(roofs, tuple(rows), _finite(crit_weights_only), all(row.fits for row in rows))


def _walls(x: RooflineInputs, res: RooflineResults) -> tuple[Wall, ...]:
    """One wall per limit, at the grid point where it is closest to (or furthest past) its limit.

    memory_capacity: llmwalls memory's serving total per GPU vs the usable device memory.
    compute: the FLOP/s prefill draws vs the attainable compute roof (peak x FLOP/s efficiency); 1 means
        every prefill operator is compute-bound, so it is never above 1: it says how close prefill runs to
        the compute wall.
    memory_bandwidth: with a tokens/s target, the HBM bandwidth decode needs to reach it -- the bytes a
        decode step moves per GPU x the steps per second the target asks for (target / batch) -- vs the
        attainable bandwidth roof (datasheet x bandwidth efficiency): above 1 no kernel could stream the
        weights and KV cache fast enough, whatever else is improved. Without a target, the bandwidth decode
        draws at the modelled rate vs that roof (1 = bandwidth-bound throughout; never above 1).
    decode_tokens_per_s: a minimum target, so demand = the target and limit = the tokens/s achievable per
        replica; hit when the target is above what is achievable."""
    roofs, rows = res.roofs, res.rows
    target = x.min_tokens_per_s

    def worst(walls: list[Wall]) -> Wall:
        return max(walls, key=lambda w: w.utilization if w.utilization is not None else -1.0)

    capacity, compute, bandwidth, tokens = [], [], [], []
    for r in rows:
        capacity.append(
            Wall.of("memory_capacity", r.memory_needed_bytes_per_gpu, r.memory_limit_bytes_per_gpu, "bytes")
        )
        # The model never runs above a roof (each operator's time is at least FLOPs / compute roof and
        # bytes / bandwidth roof); min() only absorbs floating-point rounding at exactly 1.
        peak = roofs.attainable_peak_flops_per_s
        compute.append(Wall.of("compute", min(r.prefill.achieved_flops_per_s, peak), peak, "FLOP/s"))
        roof = roofs.attainable_bandwidth_bytes_per_s
        drawn = min(r.decode.achieved_bytes_per_s, roof)
        if target is not None:
            # bytes one decode cycle moves per GPU x the cycles per second the target needs
            needed = r.decode.achieved_bytes_per_s * target / r.decode_tokens_per_s_per_replica
            bandwidth.append(Wall.of("memory_bandwidth", needed, roof, "bytes/s"))
            tokens.append(
                Wall.of("decode_tokens_per_s", target, r.decode_tokens_per_s_per_replica, "tokens/s")
            )
        else:
            bandwidth.append(Wall.of("memory_bandwidth", drawn, roof, "bytes/s"))
    walls = [worst(capacity), worst(compute), worst(bandwidth)]
    return tuple(walls + ([worst(tokens)] if tokens else []))
