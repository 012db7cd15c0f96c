"""Planned training runs: the one place a run's inputs are resolved and its layout planned, for `cluster`,
`power`, `cost` and `walls`, so a run's GPU-hours are the same number in every command.

- :func:`training_hardware`: the cluster and GPU a run is planned on (a GPU other than the cluster's keeps the
  cluster's nodes and fabric with the GPU's own scale-up bandwidth: engine.walls.cluster_for_gpu).
- :func:`training_run`: GPUs, sequence length, global batch and training tokens with the defaults of
  llmwalls.engine.plan (the cluster's GPUs, 8,192 context, 16Mi-token batches, 20 tokens per parameter).
- :func:`training_assumptions`, :func:`fabric_tiers`: the step model's judgement calls and the two network
  tiers, with any overrides.
- :func:`check_layout`: impossible given degrees refused with a one-line error naming the concept.
- :func:`plan_layouts`: engine.plan.plan_training (every valid layout evaluated, the fastest that fits
  chosen), as a typed, frozen :class:`TrainingPlan`.
- :func:`plan_run`: all of the above with the defaults, the plan `power`, `cost` and `walls` cost and power.

Warnings and notes go through llmwalls.notices (and are kept on the plan); nothing here prints.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from llmwalls import bounds, notices
from llmwalls.api.types import Recompute, TrainingPrecision
from llmwalls.errors import InputError

if TYPE_CHECKING:
    from llmwalls.engine.collectives import Tiers
    from llmwalls.engine.goodput import GoodputAssumptions
    from llmwalls.engine.training import TrainingAssumptions
    from llmwalls.specs import ClusterSpec, GpuSpec, ModelSpec

# The cluster a run is planned on when only a GPU (or nothing) is given: an 8-GPU HGX H100 node type on
# InfiniBand, the most published training fabric (profiles/clusters/dgx-h100.toml).
DEFAULT_TRAINING_CLUSTER = "dgx-h100"
# Sanity ceilings: inputs above these are typos (1e12 for 1e6), refused instead of computed for minutes.
MAX_GPUS = bounds.MAX_GPUS.limit  # the bound every command shares (llmwalls.bounds)
MAX_GLOBAL_BATCH = 100_000_000

# engine.training encodes recomputation as 0/1/2 in this order
_RECOMPUTE = (Recompute.none, Recompute.selective, Recompute.full)


# ------------------------------------------------------------------------------------------ profiles


def resolve_model(model: str | ModelSpec) -> ModelSpec:
    """A model profile from its name, alias or TOML path, or the spec itself."""
    if isinstance(model, str):
        from llmwalls import catalogue

        return catalogue.load_model(model)
    return model


def resolve_gpu(gpu: str | GpuSpec) -> GpuSpec:
    if isinstance(gpu, str):
        from llmwalls import catalogue

        return catalogue.load_gpu(gpu)
    return gpu


def resolve_cluster(cluster: str | ClusterSpec) -> ClusterSpec:
    if isinstance(cluster, str):
        from llmwalls import catalogue

        return catalogue.load_cluster(cluster)
    return cluster


def training_hardware(
    cluster: str | ClusterSpec | None,
    gpu: str | GpuSpec | None,
    *,
    warn_default_cluster: bool = True,
) -> tuple[ClusterSpec, GpuSpec]:
    """The cluster and GPU a training run is planned on. No cluster: DEFAULT_TRAINING_CLUSTER's nodes and
    fabric (warned when ``warn_default_cluster``); no GPU: the cluster's; a GPU other than the cluster's: that
    GPU in the cluster's nodes with its own scale-up bandwidth (engine.walls.cluster_for_gpu, warned)."""
    from llmwalls import catalogue
    from llmwalls.engine.walls import cluster_for_gpu

    if cluster is None:
        cl = resolve_cluster(DEFAULT_TRAINING_CLUSTER)
        if warn_default_cluster:
            notices.warn(f"no cluster given: the training run is planned on {cl.name}'s nodes and fabric")
    else:
        cl = resolve_cluster(cluster)
    own = catalogue.load("gpu", cl.gpu, announce=False)
    if gpu is None:
        return cl, own  # type: ignore[return-value]
    g = resolve_gpu(gpu)
    if own.name != g.name:
        notices.warn(
            f"{g.name} in {cl.name}'s nodes: node, fabric and racks are kept, the scale-up bandwidth is "
            f"the {g.name}'s own"
        )
        cl = cluster_for_gpu(cl, g)
    return cl, g


# ------------------------------------------------------------------------------------------ run inputs


@dataclass(frozen=True)
class TrainingRun:
    """A training run's size: GPUs, sequence length (tokens), sequences per optimizer step, tokens trained."""

    gpus: int
    seq_len: int
    global_batch: int
    train_tokens: float


def training_run(
    model: ModelSpec,
    cluster: ClusterSpec,
    *,
    gpus: int | None = None,
    train_tokens: float | None = None,
    seq_len: int | None = None,
    global_batch: int | None = None,
) -> TrainingRun:
    """A run's inputs checked, with the defaults of llmwalls.engine.plan for what is not given (the
    cluster's GPUs; TRAIN_CONTEXT_TOKENS capped at the model's maximum; TRAIN_BATCH_TOKENS of sequences;
    TOKENS_PER_PARAM x parameters). More GPUs than the cluster describes are a note (its node type and
    fabric extrapolated); a sequence above the model's maximum context a warning."""
    from llmwalls.engine.plan import default_global_batch, default_seq_len, default_train_tokens

    n = cluster.total_gpus if gpus is None else int(gpus)
    if n < 1:
        raise InputError(f"a training run needs at least 1 GPU, got {n:,}")
    bounds.MAX_GPUS.check(n, "GPU count")
    if n > cluster.total_gpus:
        notices.note(
            f"{cluster.name} describes {cluster.total_gpus:,} GPUs ({cluster.nodes} nodes x "
            f"{cluster.gpus_per_node}); its node type and fabric are extrapolated to {n:,} GPUs"
        )
    seq = default_seq_len(model) if seq_len is None else int(seq_len)
    if seq < 1:
        raise InputError(f"a training sequence needs at least 1 token, got {seq:,}")
    if seq > model.max_context_tokens:
        notices.warn(
            f"context {seq:,} tokens is above {model.name}'s maximum of {model.max_context_tokens:,}; "
            "computed anyway"
        )
    gb = default_global_batch(seq) if global_batch is None else int(global_batch)
    if gb < 1:
        raise InputError(f"a global batch needs at least 1 sequence, got {gb:,}")
    if gb > MAX_GLOBAL_BATCH:
        raise InputError(f"a global batch of {gb:,} sequences is absurd")
    tokens = default_train_tokens(model) if train_tokens is None else float(train_tokens)
    if not (math.isfinite(tokens) and tokens > 0):
        raise InputError(f"training tokens must be a positive number, got {tokens!r}")
    return TrainingRun(gpus=n, seq_len=seq, global_batch=gb, train_tokens=tokens)


# ------------------------------------------------------------------------------------------ assumptions


def training_assumptions(
    *,
    matmul_efficiency: float | None = None,
    attention_efficiency: float | None = None,
    tp_exposed: float | None = None,
    dp_exposed: float | None = None,
    interleave: int | None = None,
    dp_overlap: bool = True,
    nvls: bool = False,
    flash_attention: bool = True,
    ep_exposed: float | None = None,
    moe_layer_overhead_s: float | None = None,
) -> TrainingAssumptions:
    """engine.training.TrainingAssumptions with the given overrides (None: the documented default).
    Fractions: matmul_efficiency (of measured MAMF) and attention_efficiency (of the 16-bit peak) in (0, 1];
    tp_exposed, dp_exposed and ep_exposed in [0, 1]; interleave: pipeline chunks per GPU, 0 = auto;
    flash_attention False for runs without it (before 2023: the s x s scores in HBM, the attention GEMMs
    at the matmul rate); moe_layer_overhead_s: fixed seconds per MoE layer per micro-batch (>= 0)."""
    from llmwalls.engine.training import TrainingAssumptions

    _fraction(matmul_efficiency, "matmul efficiency (fraction of measured MAMF)")
    _fraction(attention_efficiency, "attention efficiency (fraction of the 16-bit peak)")
    _fraction(tp_exposed, "exposed share of tensor-parallel communication", allow_zero=True)
    _fraction(dp_exposed, "minimum exposed share of data-parallel communication", allow_zero=True)
    _fraction(ep_exposed, "exposed share of expert-parallel all-to-all", allow_zero=True)
    if moe_layer_overhead_s is not None and not (0.0 <= moe_layer_overhead_s < 1.0):
        raise InputError(f"MoE per-layer overhead must be 0 to 1 s, got {moe_layer_overhead_s}")
    if interleave is not None and interleave < 0:
        raise InputError(f"interleaved pipeline chunks per GPU must be 0 (auto) or more, got {interleave}")
    a = TrainingAssumptions(dp_overlap=dp_overlap, nvls=nvls, flash_attention=flash_attention)
    overrides: dict[str, Any] = {
        "matmul_fraction_of_mamf": matmul_efficiency,
        "attention_efficiency": attention_efficiency,
        "tp_exposed_fraction": tp_exposed,
        "dp_min_exposed_fraction": dp_exposed,
        "virtual_stages": interleave,
        "ep_exposed_fraction": ep_exposed,
        "moe_layer_overhead_s": moe_layer_overhead_s,
    }
    return dataclasses.replace(a, **{k: v for k, v in overrides.items() if v is not None})


def training_precision(precision: TrainingPrecision | str | None, gpu: GpuSpec) -> TrainingPrecision:
    """The training recipe of the linear GEMMs (None: bf16), checked against the GPU: InputError naming the
    GPU and the recipe when its tensor cores lack the format (engine.precision.training_precision)."""
    from llmwalls.engine.precision import training_precision as engine_precision

    if precision is None:
        return TrainingPrecision.bf16
    try:
        p = TrainingPrecision(precision.lower() if isinstance(precision, str) else precision)
    except ValueError:
        names = ", ".join(m.value for m in TrainingPrecision)
        raise InputError(f"unknown training precision {precision!r}; use {names}") from None
    try:
        engine_precision(p.value, gpu)
    except InputError:
        recipe = engine_precision(p.value)
        lacks = (
            f"it has no {recipe.gemm_dtype} tensor-core rate"
            if gpu.peak_flops_per_s.for_dtype(recipe.gemm_dtype) is None
            else "it has no block-scaled (MX/NVFP4) tensor cores, which came with Blackwell"
        )
        raise InputError(f"{gpu.name} cannot train in {p.value}: {lacks}") from None
    return p


def goodput_assumptions(
    *,
    failures_per_gpu_hour: float | None = None,
    restart_s: float | None = None,
    storage_bandwidth_bytes_per_s: float | None = None,
    checkpoint_interval_s: float | None = None,
    warmup_share: float | None = None,
    evaluation_share: float | None = None,
) -> GoodputAssumptions:
    """engine.goodput.GoodputAssumptions with the given overrides (None: the documented default). Rates,
    seconds and bandwidth >= 0 (a checkpoint interval of 0 = Young's optimum; bandwidth > 0); the warm-up and
    evaluation shares are fractions of wall time in [0, 1) whose sum stays below 1."""
    from llmwalls.engine.goodput import DEFAULT_GOODPUT

    for what, v, positive in (
        ("GPU failures per GPU-hour", failures_per_gpu_hour, False),
        ("restart time", restart_s, False),
        ("checkpoint storage bandwidth", storage_bandwidth_bytes_per_s, True),
        ("checkpoint interval", checkpoint_interval_s, False),
    ):
        if v is not None and not (math.isfinite(v) and (v > 0 if positive else v >= 0)):
            bound = "positive" if positive else "zero or more"
            raise InputError(f"{what} must be {bound}, got {v!r}")
    for what, v in (("warm-up share", warmup_share), ("evaluation share", evaluation_share)):
        if v is not None and not (math.isfinite(v) and 0 <= v < 1):
            raise InputError(f"{what} must be a fraction of wall time in [0, 1), got {v!r}")
    overrides: dict[str, Any] = {
        "gpu_failures_per_hour": failures_per_gpu_hour,
        "restart_s": restart_s,
        "storage_bandwidth_bytes_per_s": storage_bandwidth_bytes_per_s,
        "checkpoint_interval_s": checkpoint_interval_s,
        "warmup_fraction": warmup_share,
        "evaluation_fraction": evaluation_share,
    }
    g = dataclasses.replace(DEFAULT_GOODPUT, **{k: v for k, v in overrides.items() if v is not None})
    if g.warmup_fraction + g.evaluation_fraction >= 1:
        raise InputError(
            f"warm-up share {g.warmup_fraction} + evaluation share {g.evaluation_fraction} leave no time to "
            "train"
        )
    return g


def fabric_tiers(
    cluster: ClusterSpec,
    *,
    nvlink_efficiency: float | None = None,
    network_efficiency: float | None = None,
    nvls: bool = False,
) -> Tiers:
    """The cluster's scale-up and scale-out tiers (engine.collectives.Tiers) at the default achievable link
    efficiencies (engine.collectives.LinkEfficiency), or the given fractions."""
    from llmwalls.engine.collectives import LinkEfficiency, Tiers

    _fraction(nvlink_efficiency, "scale-up link efficiency")
    _fraction(network_efficiency, "scale-out network efficiency")
    tiers = Tiers.from_cluster(cluster, LinkEfficiency(), nvls=nvls)
    if nvlink_efficiency is not None:
        tiers = dataclasses.replace(tiers, up_efficiency=float(nvlink_efficiency))
    if network_efficiency is not None:
        tiers = dataclasses.replace(tiers, out_efficiency=float(network_efficiency))
    return tiers


def _fraction(value: float | None, what: str, *, allow_zero: bool = False) -> None:
    if value is None:
        return
    low_ok = value >= 0 if allow_zero else value > 0
    if not (math.isfinite(value) and low_ok and value <= 1):
        bound = "[0, 1]" if allow_zero else "(0, 1]"
        raise InputError(f"{what} must be a fraction in {bound}, got {value!r}")


# ------------------------------------------------------------------------------------------ layouts


@dataclass(frozen=True)
class LayoutPins:
    """Layout fields fixed by the caller; None = searched. zero_stage 0-3 (3 = FSDP)."""

    tp: int | None = None
    pp: int | None = None
    dp: int | None = None
    cp: int | None = None
    ep: int | None = None
    micro_batch: int | None = None
    zero_stage: int | None = None
    recompute: Recompute | None = None
    sequence_parallel: bool | None = None

    @property
    def explicit(self) -> bool:
        """Every degree that sets the GPU count given: the layout is evaluated, not searched."""
        return self.tp is not None and self.pp is not None and self.dp is not None

    def engine_fixed(self) -> dict[str, int | None]:
        """The `fixed` mapping engine.plan.plan_training takes (recompute 0/1/2, sequence_parallel 0/1)."""
        return {
            "tp": self.tp,
            "pp": self.pp,
            "dp": self.dp,
            "cp": self.cp,
            "ep": self.ep,
            "micro_batch": self.micro_batch,
            "zero_stage": self.zero_stage,
            "recompute": None if self.recompute is None else _RECOMPUTE.index(Recompute(self.recompute)),
            "sequence_parallel": None if self.sequence_parallel is None else int(self.sequence_parallel),
        }


def check_layout(
    model: ModelSpec,
    run: TrainingRun,
    pins: LayoutPins,
    tiers: Tiers,
    *,
    uneven_pp: bool = False,
) -> None:
    """InputError for given degrees no framework accepts (the checks of engine.training.layout_valid, worded
    for one layout); a warning for allowed-but-costly ones (TP wider than the scale-up domain)."""
    tp, pp, dp, cp, ep = pins.tp, pins.pp, pins.dp, pins.cp, pins.ep
    for name, value in (
        ("tensor-parallel", tp),
        ("pipeline-parallel", pp),
        ("data-parallel", dp),
        ("context-parallel", cp),
        ("expert-parallel", ep),
        ("micro-batch", pins.micro_batch),
    ):
        if value is not None and value < 1:
            raise InputError(f"{name} degree must be at least 1, got {value}")
    if pins.zero_stage is not None and pins.zero_stage not in (0, 1, 2, 3):
        raise InputError(f"ZeRO stage must be 0, 1, 2 or 3, got {pins.zero_stage}")
    gpus, name = run.gpus, model.name
    prod = math.prod(v for v in (tp, pp, dp, cp) if v is not None)
    if tp is not None and pp is not None and dp is not None and prod != gpus:
        raise InputError(
            f"tensor x pipeline x data x context parallel = {tp} x {pp} x {dp} x {cp or 1} = {prod:,}, "
            f"not the {gpus:,} GPUs of the run"
        )
    if gpus % prod:
        raise InputError(f"the given degrees multiply to {prod:,}, which does not divide the {gpus:,} GPUs")
    if tp is not None:
        if model.attention_heads % tp:
            raise InputError(
                f"tensor-parallel degree {tp} does not divide {name}'s {model.attention_heads} attention "
                "heads"
            )
        if model.kv_heads % tp and tp % model.kv_heads:
            raise InputError(
                f"tensor-parallel degree {tp} neither divides nor is a multiple of {name}'s "
                f"{model.kv_heads} KV heads"
            )
        if tp > tiers.domain_gpus:
            notices.warn(
                f"tensor-parallel degree {tp} is larger than the {tiers.domain_gpus}-GPU scale-up domain: TP "
                "traffic is charged at the scale-out rate"
            )
    if pp is not None:
        if pp > model.layers:
            raise InputError(f"pipeline-parallel degree {pp} is more than {name}'s {model.layers} layers")
        if model.layers % pp and not uneven_pp:
            raise InputError(
                f"pipeline-parallel degree {pp} does not divide {name}'s {model.layers} layers; allow an "
                "uneven pipeline to put ceil(layers/pp) on the slowest stage (Llama 3 runs 126 layers on "
                "16 stages)"
            )
    if cp is not None and cp > 1 and run.seq_len % (2 * cp):
        raise InputError(
            f"context {run.seq_len} is not divisible into 2 x context-parallel degree = {2 * cp} "
            "load-balanced chunks"
        )
    if ep is not None and ep > 1:
        if model.moe is None:
            raise InputError(f"expert-parallel degree {ep}: {name} is not a mixture-of-experts model")
        if model.moe.experts % ep:
            raise InputError(
                f"expert-parallel degree {ep} does not divide {name}'s {model.moe.experts} experts"
            )
    if dp is not None:
        mb = pins.micro_batch or 1
        if run.global_batch % (dp * mb):
            raise InputError(
                f"global batch {run.global_batch} is not divisible by data-parallel degree x micro-batch "
                f"= {dp * mb}"
            )
        if ep is not None and dp % ep:
            raise InputError(
                f"expert-parallel degree {ep} does not divide data-parallel degree {dp} (experts are sharded "
                "inside data parallelism)"
            )


# ------------------------------------------------------------------------------------------ the plan


@dataclass(frozen=True)
class PlanLayout:
    """A training layout as planned: every degree, the micro-batch, ZeRO stage, recomputation, sequence
    parallelism and the interleaved pipeline chunks per GPU (v)."""

    tp: int
    pp: int
    dp: int
    cp: int
    ep: int
    micro_batch: int
    zero_stage: int
    recompute: Recompute
    sequence_parallel: bool
    virtual_stages: int

    def text(self, *, moe: bool) -> str:
        """'8/16/128/1' (TP/PP/DP/CP, '/EP' for mixture-of-experts models)."""
        return f"{self.tp}/{self.pp}/{self.dp}/{self.cp}" + (f"/{self.ep}" if moe else "")


@dataclass(frozen=True)
class TrainingStep:
    """One optimizer step of a layout (engine.training.evaluate_layouts): its parts in seconds (exposed
    communication per parallel dimension), throughput, FLOPs and memory per GPU."""

    step_time_s: float
    compute_time_s: float
    matmul_time_s: float
    attention_time_s: float
    elementwise_time_s: float
    optimizer_time_s: float
    bubble_time_s: float
    bubble_fraction: float
    tp_comm_time_s: float
    pp_comm_time_s: float
    dp_comm_time_s: float
    cp_comm_time_s: float
    ep_comm_time_s: float
    dp_comm_total_time_s: float
    exposed_comm_time_s: float
    microbatches: int
    virtual_stages: int
    tokens_per_step: float
    model_flops_per_step: float
    hardware_flops_per_step: float
    tokens_per_s: float
    model_flops_per_s_per_gpu: float
    hardware_flops_per_s_per_gpu: float
    mfu: float
    hfu: float
    memory_bytes: float
    fits: bool
    uneven_pipeline: bool
    tp_beyond_scale_up: bool

    @classmethod
    def from_engine(cls, step: Mapping[str, Any]) -> TrainingStep:
        values: dict[str, Any] = {}
        for f in dataclasses.fields(cls):
            v = step[f.name]
            values[f.name] = (
                bool(v) if f.type == "bool" else int(round(float(v))) if f.type == "int" else float(v)
            )
        return cls(**values)

    def times(self) -> dict[str, float]:
        """The figures engine.plan.slowed_step_time_s reads, as a mapping."""
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class RankedLayout:
    """One of the best layouts a search found, with its figures and its largest overhead."""

    layout: PlanLayout
    step_time_s: float
    mfu: float
    tokens_per_s: float
    memory_bytes: float
    largest_overhead: str
    largest_overhead_share: float


@dataclass(frozen=True)
class RunGoodput:
    """Whole-run goodput (engine.goodput.run_goodput): the shares of wall time lost to checkpoint stalls,
    rework
    after failures, restarts, warm-up and evaluation; time to train = steady-state time / goodput."""

    steady_time_s: float
    goodput: float
    checkpoint_fraction: float
    rework_fraction: float
    restart_fraction: float
    warmup_fraction: float
    evaluation_fraction: float
    job_mtbf_s: float
    checkpoint_write_s: float
    checkpoint_interval_s: float

    @classmethod
    def from_engine(cls, good: dict[str, float]) -> RunGoodput:
        return cls(**{f: float(good[f]) for f in cls.__dataclass_fields__})


@dataclass(frozen=True)
class TrainingPlan:
    """The layout a training run uses (the fastest that fits; the one given; or, when none fits, the one
    needing the least memory, fits = False) and what it gives: step time, MFU, tokens/s, time and GPU-hours
    to train."""

    model: str
    cluster: str
    gpu: str
    gpus: int
    seq_len: int
    global_batch: int
    train_tokens: float
    layout: PlanLayout
    step: TrainingStep
    explicit: bool  # the layout was given, not searched
    fits: bool
    usable_bytes: float | None  # per-GPU memory budget the fit was checked against
    step_time_s: float
    compute_time_s: float
    exposed_comm_time_s: float
    mfu: float
    tokens_per_s: float
    model_flops_per_s_per_gpu: float
    memory_bytes: float
    time_to_train_s: float
    gpu_hours: float
    largest_overhead: str
    largest_overhead_share: float
    candidates: int  # layouts evaluated
    fitting: int  # of those, how many fit
    ranked: tuple[RankedLayout, ...]  # the best layouts, fastest first (the chosen one alone when given)
    goodput: RunGoodput  # what turns the steady-state time into time_to_train_s
    precision: str = "bf16"  # the GEMM recipe (engine.precision)
    notes: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()

    def summary(self) -> dict[str, Any]:
        """The plan's JSON-ready figures as a fresh dict (as `power` and `cost` report a training plan)."""
        lay = self.layout
        return {
            "model": self.model,
            "cluster": self.cluster,
            "gpu": self.gpu,
            "layout": {
                "tp": lay.tp,
                "pp": lay.pp,
                "cp": lay.cp,
                "ep": lay.ep,
                "micro_batch": lay.micro_batch,
                "zero_stage": lay.zero_stage,
                "recompute": lay.recompute.value,
                "sequence_parallel": lay.sequence_parallel,
                "dp": lay.dp,
            },
            "gpus": self.gpus,
            "seq_len": self.seq_len,
            "global_batch": self.global_batch,
            "train_tokens": self.train_tokens,
            "fits": self.fits,
            "step_time_s": self.step_time_s,
            "mfu": self.mfu,
            "tokens_per_s": self.tokens_per_s,
            "model_flops_per_s_per_gpu": self.model_flops_per_s_per_gpu,
            "memory_bytes": self.memory_bytes,
            "time_to_train_s": self.time_to_train_s,
            "gpu_hours": self.gpu_hours,
            "largest_overhead": self.largest_overhead,
            "notes": list(self.notes),
        }


def _layout(layout: Mapping[str, Any], virtual_stages: float) -> PlanLayout:
    return PlanLayout(
        tp=int(layout["tp"]),
        pp=int(layout["pp"]),
        dp=int(layout["dp"]),
        cp=int(layout["cp"]),
        ep=int(layout["ep"]),
        micro_batch=int(layout["micro_batch"]),
        zero_stage=int(layout["zero_stage"]),
        recompute=_RECOMPUTE[int(layout["recompute"])],
        sequence_parallel=bool(layout["sequence_parallel"]),
        virtual_stages=int(round(float(virtual_stages))),
    )


def plan_layouts(
    model: ModelSpec,
    gpu: GpuSpec,
    cluster: ClusterSpec,
    tiers: Tiers,
    run: TrainingRun,
    *,
    pins: LayoutPins | None = None,
    assumptions: TrainingAssumptions | None = None,
    usable_bytes: float | None = None,
    top: int = 1,
    progress: Callable[[int, int], None] | None = None,
    precision: str = "bf16",
    first_stage_layers: int | None = None,
    goodput: GoodputAssumptions | None = None,
) -> TrainingPlan | None:
    """engine.plan.plan_training for one run, typed: the given layout evaluated (pins.explicit) or every valid
    layout with the pins held searched, the fastest that fits chosen. None when no layout is valid at all
    (e.g. a global batch no data-parallel degree divides): the caller words it. precision: the training
    recipe (engine.precision: bf16, fp8, fp8-current, fp8-blockwise, mxfp8, nvfp4); first_stage_layers: the
    first stage of an uneven pipeline (memory); goodput: the whole-run assumptions (engine.goodput), whose
    result divides the steady-state time into time_to_train_s and gpu_hours."""
    from llmwalls.engine.plan import dominant_at, layout_at, plan_training
    from llmwalls.engine.training import DEFAULT_ASSUMPTIONS

    p = plan_training(
        model,
        gpu,
        tiers,
        gpus=run.gpus,
        train_tokens=run.train_tokens,
        seq_len=run.seq_len,
        global_batch=run.global_batch,
        fixed=(pins or LayoutPins()).engine_fixed(),
        assumptions=assumptions or DEFAULT_ASSUMPTIONS,
        usable_bytes=usable_bytes,
        top=top,
        progress=progress,
        precision=precision,
        first_stage_layers=first_stage_layers,
        goodput=goodput,
    )
    if not p["found"]:
        return None
    results = p["results"]
    ranked = []
    for i in (int(j) for j in p["ranked"]):
        why, share = dominant_at(p, i)
        ranked.append(
            RankedLayout(
                layout=_layout(layout_at(p, i), float(results["virtual_stages"][i])),
                step_time_s=float(results["step_time_s"][i]),
                mfu=float(results["mfu"][i]),
                tokens_per_s=float(results["tokens_per_s"][i]),
                memory_bytes=float(results["memory_bytes"][i]),
                largest_overhead=why,
                largest_overhead_share=share,
            )
        )
    step = TrainingStep.from_engine(p["step"])
    return TrainingPlan(
        model=model.name,
        cluster=cluster.name,
        gpu=gpu.name,
        gpus=run.gpus,
        seq_len=run.seq_len,
        global_batch=run.global_batch,
        train_tokens=run.train_tokens,
        layout=_layout(p["layout"], step.virtual_stages),
        step=step,
        explicit=bool(p["explicit"]),
        fits=bool(p["fits"]),
        usable_bytes=None if usable_bytes is None else float(usable_bytes),
        step_time_s=float(p["step_time_s"]),
        compute_time_s=float(p["compute_time_s"]),
        exposed_comm_time_s=float(p["exposed_comm_time_s"]),
        mfu=float(p["mfu"]),
        tokens_per_s=float(p["tokens_per_s"]),
        model_flops_per_s_per_gpu=float(p["model_flops_per_s_per_gpu"]),
        memory_bytes=float(p["memory_bytes"]),
        time_to_train_s=float(p["time_to_train_s"]),
        gpu_hours=float(p["gpu_hours"]),
        largest_overhead=str(p["largest_overhead"]),
        largest_overhead_share=float(p["largest_overhead_share"]),
        candidates=int(p["candidates"]),
        fitting=int(p["fitting"]),
        ranked=tuple(ranked),
        goodput=RunGoodput.from_engine(p["goodput"]),
        precision=precision,
    )


def plan_run(
    model: str | ModelSpec,
    cluster: str | ClusterSpec | None,
    gpu: str | GpuSpec | None,
    *,
    gpus: int | None = None,
    train_tokens: float | None = None,
    precision: TrainingPrecision | str | None = None,
) -> TrainingPlan:
    """The training plan `llmwalls cluster` picks for a run with its defaults (default efficiencies, no
    degree pinned), for `power`, `cost` and `walls`; ``precision``: the GEMM recipe (default bf16). No
    cluster: DEFAULT_TRAINING_CLUSTER's nodes and fabric;
    a GPU other than the cluster's: that GPU in the cluster's nodes (both warned, see training_hardware).
    InputError when no layout is valid; a plan that fits nowhere is the least-memory layout, warned."""
    from llmwalls.engine.memory import training_usable_bytes

    with notices.collecting() as bag:
        spec = resolve_model(model)
        cl, g = training_hardware(cluster, gpu)
        prec = training_precision(precision, g)
        run = training_run(spec, cl, gpus=gpus, train_tokens=train_tokens)
        usable = training_usable_bytes(g.memory_capacity_bytes)  # device less the training reserve
        plan = plan_layouts(spec, g, cl, fabric_tiers(cl), run, usable_bytes=usable, precision=prec.value)
        if plan is None:
            raise InputError(
                f"no valid layout of {spec.name} on {run.gpus:,} GPUs (global batch {run.global_batch}, "
                f"context {run.seq_len}); change the number of GPUs (see `llmwalls cluster`)"
            )
        if not plan.fits:
            notices.warn(
                f"{spec.name} does not fit in {g.name} memory on {run.gpus:,} GPUs in any layout: the plan "
                "uses the layout needing the least memory"
            )
    return dataclasses.replace(plan, notes=tuple(bag.notes), warnings=tuple(bag.warnings))


__all__ = [
    "DEFAULT_TRAINING_CLUSTER",
    "LayoutPins",
    "PlanLayout",
    "RankedLayout",
    "TrainingPlan",
    "TrainingRun",
    "TrainingStep",
    "check_layout",
    "fabric_tiers",
    "goodput_assumptions",
    "plan_layouts",
    "plan_run",
    "resolve_cluster",
    "resolve_gpu",
    "resolve_model",
    "training_assumptions",
    "training_hardware",
    "training_precision",
    "training_run",
]
