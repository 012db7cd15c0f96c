"""Memory per GPU, and whether it fits: serving (weights, KV cache, activation workspace, runtime reserve) or
training (weights, gradients, optimizer state, activations, reserve), the capacity wall, and the derived
answers (fewest GPUs, largest batch, longest context, largest model on one GPU).

    >>> from llmwalls import api
    >>> r = api.memory(model="70b", gpu="h100")
    >>> r.results.fits, r.results.derived.fewest_gpus.gpus, r.walls[0].utilization
    (False, 2, 1.88...)

The formulas live in llmwalls.engine.memory (vectorised over every batch x context point); this module
validates the scenario, resolves profiles, calls the engine once over the grid and builds the report.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from llmwalls import bounds, notices
from llmwalls.api._planning import training_precision
from llmwalls.api._profiles import choice, gpu_count, hardware, model_spec
from llmwalls.api.types import KvFormat, Layout, Optimizer, Recompute, TrainingPrecision, Wall, WeightFormat
from llmwalls.engine import memory as mem
from llmwalls.engine.model import cached_tokens, param_counts
from llmwalls.errors import InputError
from llmwalls.specs import ClusterSpec, GpuSpec, ModelSpec

DEFAULT_CONTEXT_TOKENS = 4096  # a typical chat request with history; capped at the model's maximum
DEFAULT_RECOMPUTE = Recompute.selective  # Megatron-LM's recommended setting (Korthikanti et al. 2022, sec 5)
MAX_BATCH = bounds.MAX_SEQUENCES.limit  # concurrent sequences beyond this are a typo (llmwalls.bounds)


@dataclass(frozen=True)
class MemoryInputs:
    """The resolved scenario: profile names, the layout, every default filled in. Training-only settings
    are None when serving."""

    model: str
    gpu: str
    cluster: str | None
    mode: str  # "serving" or "training"
    tp: int
    pp: int
    ep: int
    dp: int
    cp: int
    gpus: int  # GPUs of the deployment (serving: replicas x gpus_per_replica; training: tp x pp x dp x cp)
    gpus_per_replica: int  # one model copy: serving pp x max(tp, ep); training tp x pp x cp
    batch: tuple[int, ...]  # concurrent sequences (serving) or the micro-batch (training)
    context_tokens: tuple[int, ...]
    weights: WeightFormat
    expert_weights: str | None  # the model's published format of its routed experts (gpt-oss: mxfp4)
    kv_dtype: KvFormat
    model_max_context_tokens: int
    context_above_max: bool
    usable_fraction: float
    runtime_reserve_bytes: float
    zero_stage: int | None
    optimizer: Optimizer | None
    recompute: Recompute | None
    sequence_parallel: bool | None
    flash_attention: bool | None
    interleave: int | None
    first_stage_layers: int | None
    microbatches: int | None
    precision: TrainingPrecision | None = None  # training: the linear GEMMs' recipe (None: serving)


@dataclass(frozen=True)
class MemoryRow:
    """Bytes per GPU (the most loaded one) at one batch x context point. Fields of the other mode are None:
    serving has kv_cache, activation_workspace and runtime_reserve; training has gradients, optimizer and
    activations. reserve_bytes is everything outside weights and the per-sequence state (serving: activation
    workspace + runtime reserve; training: the runtime reserve)."""

    batch: int
    context_tokens: int
    cached_tokens: int | None
    weights_bytes: float
    kv_cache_bytes: float | None  # includes linear_state_bytes
    linear_state_bytes: float | None  # the constant state of linear-attention layers (serving)
    kv_bytes_per_token: float | None
    activation_workspace_bytes: float | None
    runtime_reserve_bytes: float | None
    gradients_bytes: float | None
    optimizer_bytes: float | None
    activations_bytes: float | None
    reserve_bytes: float
    total_bytes: float
    fits: bool
    headroom_bytes: float


@dataclass(frozen=True)
class FewestGpus:
    """Smallest layout that fits (serving: TP in 1, 2, 4, 8 dividing the heads, then TP 8 x PP; training: the
    fewest TP x PP with the DP, ZeRO stage and micro-batch given). fits False: not even the largest does."""

    tp: int
    pp: int
    ep: int
    gpus: int
    fits: bool


@dataclass(frozen=True)
class BatchAtContext:
    context_tokens: int
    max_batch: int  # 0 when the weights and reserve alone do not fit


@dataclass(frozen=True)
class ContextAtBatch:
    batch: int
    max_context_tokens: int  # capped at the model's maximum


@dataclass(frozen=True)
class LargestParams:
    """Largest parameter count of this architecture on one GPU: raw = all HBM / bytes per parameter;
    planned = what leaves room for the reserve, the activation workspace and one kv_budget_tokens sequence."""

    raw_params: float
    planned_params: float


@dataclass(frozen=True)
class FamilyModel:
    model: str
    params: int
    total_bytes: float


@dataclass(frozen=True)
class MemoryDerived:
    fewest_gpus: FewestGpus
    max_batch_at_context: tuple[BatchAtContext, ...]  # serving only (empty when training)
    max_context_at_batch: tuple[ContextAtBatch, ...]  # serving only
    largest_params_one_gpu: LargestParams | None  # serving only
    largest_family_model_one_gpu: FamilyModel | None  # None: no family member fits (or training)


@dataclass(frozen=True)
class MemoryResults:
    fits: bool  # every row fits
    params: int  # the model's parameters
    hbm_bytes: float  # datasheet HBM
    memory_capacity_bytes: float  # device memory the driver reports, where the profile cites it
    usable_bytes: float  # memory_capacity_bytes x usable_fraction
    worst_total_bytes: float  # the largest row total: what the capacity wall compares
    rows: tuple[MemoryRow, ...]
    derived: MemoryDerived
    verdict: str
    assumptions: mem.MemoryAssumptions


@dataclass(frozen=True)
class MemoryReport:
    inputs: MemoryInputs
    results: MemoryResults
    walls: tuple[Wall, ...]
    warnings: tuple[str, ...]
    notes: tuple[str, ...]


def memory(
    model: str | ModelSpec,
    gpu: str | GpuSpec | None = None,
    *,
    cluster: str | ClusterSpec | None = None,
    gpus: int | None = None,
    layout: Layout | None = None,
    batch: int | Sequence[int] = 1,
    context_tokens: int | Sequence[int] | None = None,
    weights: WeightFormat | str = WeightFormat.bf16,
    kv_dtype: KvFormat | str = KvFormat.bf16,
    train: bool = False,
    optimizer: Optimizer | str = Optimizer.adam,
    sequence_parallel: bool = True,
    flash_attention: bool = True,
    first_stage_layers: int | None = None,
    microbatches: int | None = None,
    runtime_reserve_bytes: float | None = None,
    usable_fraction: float | None = None,
    assumptions: mem.MemoryAssumptions | None = None,
    precision: TrainingPrecision | str | None = None,
) -> MemoryReport:
    """Memory per GPU of serving (default) or training (``train=True``) a model, and the capacity wall.

    ``gpu`` / ``cluster``: the hardware (a cluster implies its GPU; default h100). ``gpus``: GPUs of the
    deployment (serving: a whole number of replicas; training: sets the data-parallel degree when the layout
    leaves it at 1). ``layout``: tp, pp, ep (serving and training), dp, cp, zero, micro_batch, recompute,
    interleave (training). ``batch`` and ``context_tokens`` may be sequences: one row per combination
    (context default: 4,096 tokens or the model's maximum if smaller). ``runtime_reserve_bytes`` and
    ``usable_fraction`` override the MemoryAssumptions defaults (1 GiB; 0.9, vLLM's). ``precision``
    (training): the linear GEMMs' recipe (TrainingPrecision, default bf16: fp8 copies of the weights, saved
    inputs in fp8; engine.precision), refused on a GPU without the format."""
    with notices.collecting() as bag:
        spec = model_spec(model)
        g, cl = hardware(gpu, cluster)
        lay = layout if layout is not None else Layout()
        inputs, a = _inputs(
            spec,
            g,
            cl,
            gpus,
            lay,
            batch,
            context_tokens,
            weights,
            kv_dtype,
            train,
            optimizer,
            sequence_parallel,
            flash_attention,
            first_stage_layers,
            microbatches,
            runtime_reserve_bytes,
            usable_fraction,
            assumptions,
            precision,
        )
        results, wall = _results(spec, g, inputs, a)
    return MemoryReport(inputs, results, (wall,), tuple(bag.warnings), tuple(bag.notes))


# ---------------------------------------------------------------------------------------------- inputs


def _counts(values: int | Sequence[int], what: str, cap: float) -> tuple[int, ...]:
    seq = (values,) if isinstance(values, int) else tuple(values)
    if not seq:
        raise InputError(f"{what}: give at least one value")
    for v in seq:
        if isinstance(v, bool) or int(v) != v or v < 1:
            raise InputError(f"{what} must be a whole number of at least 1, got {v!r}")
        if v > cap:
            raise InputError(f"{what} {v:,} is absurd (more than {cap:,.0f})")
    return tuple(int(v) for v in seq)


def _check_layout(spec: ModelSpec, lay: Layout, train: bool) -> None:
    degrees = {
        "tensor-parallel degree": lay.tp,
        "pipeline-parallel degree": lay.pp,
        "expert-parallel degree": lay.ep,
        "data-parallel degree": lay.dp,
        "context-parallel degree": lay.cp,
        "model chunks per pipeline rank": lay.interleave,
    }
    for name, value in degrees.items():
        if int(value) != value or value < 1:
            raise InputError(f"{name} must be a whole number of at least 1, got {value!r}")
    if spec.attention_heads % lay.tp:
        divisors = [d for d in range(1, spec.attention_heads + 1) if spec.attention_heads % d == 0]
        raise InputError(
            f"tensor-parallel degree {lay.tp} does not divide {spec.name}'s {spec.attention_heads} attention "
            f"heads; use one of {', '.join(str(d) for d in divisors[:8])}"
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
    if not 0 <= lay.zero <= 3:
        raise InputError(f"ZeRO stage must be 0, 1, 2 or 3, got {lay.zero}")
    if train:
        if lay.ep > 1 and lay.dp % lay.ep:
            raise InputError(
                f"expert-parallel degree {lay.ep} must divide the data-parallel degree {lay.dp} in training "
                "(expert-parallel groups are drawn from data-parallel ranks, Megatron-core)"
            )
        return
    training_only = [
        name
        for name, given in (
            ("data parallelism", lay.dp > 1),
            ("context parallelism", lay.cp > 1),
            ("ZeRO", lay.zero > 0),
            ("interleaving", lay.interleave > 1),
            ("a micro-batch", lay.micro_batch is not None),
            ("recomputation", lay.recompute is not None),
        )
        if given
    ]
    if training_only:
        raise InputError(f"{', '.join(training_only)}: training settings; this is a serving question")


def _inputs(
    spec: ModelSpec,
    g: GpuSpec,
    cl: ClusterSpec | None,
    gpus: int | None,
    lay: Layout,
    batch: int | Sequence[int],
    context_tokens: int | Sequence[int] | None,
    weights: WeightFormat | str,
    kv_dtype: KvFormat | str,
    train: bool,
    optimizer: Optimizer | str,
    sequence_parallel: bool,
    flash_attention: bool,
    first_stage_layers: int | None,
    microbatches: int | None,
    runtime_reserve_bytes: float | None,
    usable_fraction: float | None,
    assumptions: mem.MemoryAssumptions | None,
    precision: TrainingPrecision | str | None = None,
) -> tuple[MemoryInputs, mem.MemoryAssumptions]:
    w = choice(WeightFormat, weights, "weight format")
    kv = choice(KvFormat, kv_dtype, "KV-cache format")
    opt = choice(Optimizer, optimizer, "optimizer")  # checked when serving too: a typo is never ignored
    rc = choice(Recompute, lay.recompute, "recomputation") if lay.recompute is not None else None
    _check_layout(spec, lay, train)
    if not train and precision is not None:
        raise InputError("a training precision is a training setting; this is a serving question")
    prec = training_precision(precision, g) if train else None
    if not train and (first_stage_layers is not None or microbatches is not None):
        raise InputError("first-stage layers and micro-batches per step are training settings")
    if first_stage_layers is not None and (lay.pp < 2 or not 0 <= first_stage_layers <= spec.layers):
        raise InputError(
            f"first-stage layers {first_stage_layers} need pipeline parallelism (>= 2 stages) and at most "
            f"{spec.layers} layers"
        )
    if microbatches is not None and microbatches < 1:
        raise InputError(f"micro-batches per step must be at least 1, got {microbatches}")
    batches = _counts(batch, "batch", MAX_BATCH)
    if train and lay.micro_batch is not None:
        batches = _counts(lay.micro_batch, "micro-batch", MAX_BATCH)
    default_context = min(DEFAULT_CONTEXT_TOKENS, spec.max_context_tokens)
    contexts = _counts(context_tokens if context_tokens is not None else default_context, "context", 2**40)
    if train and lay.cp > 1:
        for c in contexts:
            if c % lay.cp:
                raise InputError(f"context {c:,} is not divisible by the context-parallel degree {lay.cp}")
    over_max = [c for c in contexts if c > spec.max_context_tokens]
    if over_max:
        notices.warn(
            f"context {max(over_max):,} tokens is above {spec.name}'s maximum of "
            f"{spec.max_context_tokens:,}; computed anyway"
        )
    a = assumptions if assumptions is not None else mem.MemoryAssumptions()
    if runtime_reserve_bytes is not None:
        if not runtime_reserve_bytes >= 0:
            raise InputError(f"runtime reserve must be zero or more bytes, got {runtime_reserve_bytes!r}")
        a = dataclasses.replace(a, runtime_reserve_bytes=float(runtime_reserve_bytes))
    if usable_fraction is not None:
        if not 0 < usable_fraction <= 1:
            raise InputError(f"usable fraction must be in (0, 1], got {usable_fraction!r}")
        a = dataclasses.replace(a, usable_fraction=float(usable_fraction))

    total = gpu_count(gpus, cl)
    dp = lay.dp
    if train:
        per_replica = lay.tp * lay.pp * lay.cp
        if total is not None and dp == 1:  # the GPU count sets the data-parallel degree
            if total % per_replica:
                raise InputError(f"{total:,} GPUs is not a multiple of TP x PP x CP = {per_replica}")
            dp = total // per_replica
            if lay.ep > 1 and dp % lay.ep:
                raise InputError(f"expert-parallel degree {lay.ep} does not divide the data-parallel {dp}")
        n = per_replica * dp
        if total is not None and total != n:
            raise InputError(f"{total:,} GPUs differ from TP x PP x DP x CP = {n:,}")
    else:
        per_replica = lay.pp * max(lay.tp, lay.ep)
        if total is not None and total % per_replica:
            raise InputError(f"{total:,} GPUs is not a whole number of {per_replica}-GPU replicas")
        n = total if total is not None else per_replica
    inputs = MemoryInputs(
        model=spec.name,
        gpu=g.name,
        cluster=cl.name if cl is not None else None,
        mode="training" if train else "serving",
        tp=lay.tp,
        pp=lay.pp,
        ep=lay.ep,
        dp=dp,
        cp=lay.cp,
        gpus=n,
        gpus_per_replica=per_replica,
        batch=batches,
        context_tokens=contexts,
        weights=w,
        expert_weights=spec.expert_weight_format,
        kv_dtype=kv,
        model_max_context_tokens=spec.max_context_tokens,
        context_above_max=bool(over_max),
        usable_fraction=a.usable_fraction,
        runtime_reserve_bytes=a.runtime_reserve_bytes,
        zero_stage=lay.zero if train else None,
        optimizer=opt if train else None,
        recompute=(rc or DEFAULT_RECOMPUTE) if train else None,
        sequence_parallel=sequence_parallel if train else None,
        flash_attention=flash_attention if train else None,
        precision=prec,
        interleave=lay.interleave if train else None,
        first_stage_layers=first_stage_layers,
        microbatches=microbatches,
    )
    return inputs, a


# --------------------------------------------------------------------------------------------- results


def _opt_float(r: dict[str, Any], key: str, i: int) -> float | None:
    return float(r[key][i]) if key in r else None


def _results(
    spec: ModelSpec, g: GpuSpec, x: MemoryInputs, a: mem.MemoryAssumptions
) -> tuple[MemoryResults, Wall]:
    import numpy as np

    usable = mem.usable_bytes(g.memory_capacity_bytes, a)
    grid = list(itertools.product(x.batch, x.context_tokens))
    b_arr = np.array([p[0] for p in grid], dtype=float)
    c_arr = np.array([p[1] for p in grid], dtype=float)
    train = x.mode == "training"
    if train:
        r = mem.training_memory_per_gpu(spec, micro_batch=b_arr, seq_len=c_arr, **_training_kwargs(x, a))
    else:
        r = mem.serving_memory_per_gpu(
            spec,
            batch=b_arr,
            context_tokens=c_arr,
            tp=x.tp,
            pp=x.pp,
            ep=x.ep,
            weights=x.weights.value,
            kv_dtype=x.kv_dtype.value,
            assumptions=a,
        )
    totals = np.asarray(r["total"], dtype=float)
    rows = tuple(
        MemoryRow(
            batch=b,
            context_tokens=c,
            cached_tokens=None if train else int(cached_tokens(spec, c)),
            weights_bytes=float(r["weights"][i]),
            kv_cache_bytes=_opt_float(r, "kv_cache", i),
            linear_state_bytes=_opt_float(r, "linear_state", i),
            kv_bytes_per_token=_opt_float(r, "kv_bytes_per_token", i),
            activation_workspace_bytes=_opt_float(r, "activation_workspace", i),
            runtime_reserve_bytes=_opt_float(r, "runtime_reserve", i),
            gradients_bytes=_opt_float(r, "gradients", i),
            optimizer_bytes=_opt_float(r, "optimizer", i),
            activations_bytes=_opt_float(r, "activations", i),
            reserve_bytes=float(r["reserve"][i]),
            total_bytes=float(totals[i]),
            fits=bool(totals[i] <= usable),
            headroom_bytes=float(usable - totals[i]),
        )
        for i, (b, c) in enumerate(grid)
    )
    worst = float(totals.max())
    derived = _training_derived(spec, x, a, usable) if train else _serving_derived(spec, g, x, a, usable)
    verdict = _verdict(worst <= usable, train, derived.fewest_gpus)
    results = MemoryResults(
        fits=bool((totals <= usable).all()),
        params=param_counts(spec).total,
        hbm_bytes=g.hbm_bytes,
        memory_capacity_bytes=g.memory_capacity_bytes,
        usable_bytes=usable,
        worst_total_bytes=worst,
        rows=rows,
        derived=derived,
        verdict=verdict,
        assumptions=a,
    )
    # The capacity wall: the most loaded GPU at the largest point of the grid against the usable capacity.
    return results, Wall.of("memory_capacity", worst, usable, "bytes")


def _training_kwargs(x: MemoryInputs, a: mem.MemoryAssumptions) -> dict[str, Any]:
    uneven = x.first_stage_layers is not None and (x.interleave or 1) > 1
    return {
        "tp": x.tp,
        "pp": x.pp,
        "dp": x.dp,
        "ep": x.ep,
        "cp": x.cp,
        "zero_stage": x.zero_stage or 0,
        "recompute": (x.recompute or DEFAULT_RECOMPUTE).value,
        "sequence_parallel": bool(x.sequence_parallel),
        "flash_attention": bool(x.flash_attention),
        "optimizer": (x.optimizer or Optimizer.adam).value,
        "interleave": x.interleave or 1,
        "first_stage_layers": x.first_stage_layers,
        # an uneven first stage is Llama 3's layout: its first model chunk holds only the embedding
        # (Dubey et al. 2024, sec 3.3.2)
        "first_chunk_layers": 0 if uneven else None,
        "microbatches": x.microbatches,
        "assumptions": a,
        "precision": (x.precision or TrainingPrecision.bf16).value,
    }


def _serving_derived(
    spec: ModelSpec, g: GpuSpec, x: MemoryInputs, a: mem.MemoryAssumptions, usable: float
) -> MemoryDerived:
    w, kv = x.weights.value, x.kv_dtype.value
    common: dict[str, Any] = {"usable": usable, "ep": x.ep, "weights": w, "kv_dtype": kv, "assumptions": a}
    at_context = tuple(
        BatchAtContext(c, int(mem.max_batch(spec, context_tokens=c, tp=x.tp, pp=x.pp, **common)))
        for c in x.context_tokens
    )
    at_batch = tuple(
        ContextAtBatch(b, int(mem.max_context(spec, batch=b, tp=x.tp, pp=x.pp, **common))) for b in x.batch
    )
    few = mem.fewest_gpus(spec, batch=max(x.batch), context_tokens=max(x.context_tokens), **common)
    act1 = float(mem.serving_activation_bytes(spec, tp=1, assumptions=a))
    largest = mem.largest_params_one_gpu(
        hbm_bytes=g.memory_capacity_bytes,
        weights=w,
        kv_bytes_per_token_value=float(mem.kv_bytes_per_token(spec, kv)),
        assumptions=a,
        activation_bytes=act1,
    )
    return MemoryDerived(
        fewest_gpus=FewestGpus(
            int(few["tp"]), int(few["pp"]), int(few["ep"]), int(few["gpus"]), bool(few["fits"])
        ),
        max_batch_at_context=at_context,
        max_context_at_batch=at_batch,
        largest_params_one_gpu=LargestParams(largest["raw_params"], largest["planned_params"]),
        largest_family_model_one_gpu=_largest_family_member(spec, usable, w, kv, a),
    )


def _largest_family_member(
    spec: ModelSpec, usable: float, weights: str, kv_dtype: str, a: mem.MemoryAssumptions
) -> FamilyModel | None:
    """Largest catalogue model of the same family whose serving memory (batch 1, kv_budget_tokens) fits one
    GPU at TP 1; None when none does (or the family is unnamed)."""
    from llmwalls import catalogue
    from llmwalls.errors import LlmwallsError

    if not spec.family:
        return None
    best: FamilyModel | None = None
    for entry in catalogue.entries("model"):
        try:
            other = catalogue.load_model(entry.name)
        except LlmwallsError:  # a broken user profile must not break this answer
            continue
        if other.family != spec.family:
            continue
        ctx = min(a.kv_budget_tokens, other.max_context_tokens)
        total = float(
            mem.serving_memory_per_gpu(
                other, batch=1, context_tokens=ctx, weights=weights, kv_dtype=kv_dtype, assumptions=a
            )["total"]
        )
        params = param_counts(other).total
        if total <= usable and (best is None or params > best.params):
            best = FamilyModel(other.name, params, total)
    return best


def _training_derived(
    spec: ModelSpec, x: MemoryInputs, a: mem.MemoryAssumptions, usable: float
) -> MemoryDerived:
    """Fewest TP x PP (TP a power of two up to 8 dividing the heads, any PP up to the layers) that fits with
    the given DP, ZeRO stage, micro-batch and recomputation: one vectorised call over the grid."""
    import numpy as np

    tps = np.array(mem.tp_candidates(spec), dtype=float)
    pps = np.arange(1, spec.layers + 1, dtype=float)
    t_grid, p_grid = np.meshgrid(tps, pps)
    kw = _training_kwargs(x, a)
    # the layout search uses the plain 1F1B schedule with even stages
    for key in ("tp", "pp", "interleave", "first_stage_layers", "first_chunk_layers", "microbatches"):
        kw.pop(key)
    r = mem.training_memory_per_gpu(
        spec,
        tp=t_grid.ravel(),
        pp=p_grid.ravel(),
        micro_batch=max(x.batch),
        seq_len=max(x.context_tokens),
        **kw,
    )
    ok = np.asarray(r["total"]) <= usable
    if not ok.any():
        t_max = int(tps[-1])
        few = FewestGpus(t_max, spec.layers, x.ep, t_max * spec.layers * x.dp * x.cp, False)
    else:
        n = np.where(ok, t_grid.ravel() * p_grid.ravel(), np.inf)
        i = int(np.argmin(n))  # ties: the first in (pp, tp) order, i.e. the smallest PP
        t, p = int(t_grid.ravel()[i]), int(p_grid.ravel()[i])
        few = FewestGpus(t, p, x.ep, t * p * x.dp * x.cp, True)
    return MemoryDerived(few, (), (), None, None)


def _verdict(ok: bool, train: bool, few: FewestGpus) -> str:
    if ok:
        return "fits"
    if not few.fits:
        return f"does not fit even on TP {few.tp} x PP {few.pp} ({few.gpus:,} GPUs)"
    extra = " with ZeRO/DP as given" if train else ""
    if few.pp == 1:
        return f"does not fit; needs TP >= {few.tp} ({few.gpus:,} GPUs{extra})"
    return f"does not fit; needs TP {few.tp} x PP >= {few.pp} ({few.gpus:,} GPUs{extra})"
