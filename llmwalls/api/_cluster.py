"""`cluster`: distributed training of one model on a cluster. The layout (given, or the fastest that fits
found by searching every valid one), its step time broken into compute, pipeline bubble and the exposed
communication of each parallel dimension, MFU, tokens/s, time and GPU-hours to train, a scaling table over
cluster sizes showing where communication overtakes compute (the interconnect wall), failures and
checkpoints, and the compute-optimal model for the same budget.

Numbers come from llmwalls.engine.training / collectives (through llmwalls.api._planning, shared with
`power`, `cost` and `walls`; the whole-run goodput of engine.goodput) and engine.scaling_laws. Walls:
memory capacity (the chosen
layout's bytes per GPU against the usable HBM) and interconnect (exposed communication per step against
compute per step: communication longer than the compute it should hide behind).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any

from llmwalls import notices
from llmwalls.api._planning import (
    DEFAULT_TRAINING_CLUSTER,
    LayoutPins,
    PlanLayout,
    RankedLayout,
    RunGoodput,
    TrainingPlan,
    TrainingRun,
    check_layout,
    fabric_tiers,
    goodput_assumptions,
    plan_layouts,
    resolve_model,
    training_assumptions,
    training_hardware,
    training_precision,
    training_run,
)
from llmwalls.api._scaling import ScalingLawRow, pick, scaling_rows
from llmwalls.api.types import Layout, Recompute, ScalingMode, TrainingPrecision, Wall
from llmwalls.engine.goodput import GoodputAssumptions
from llmwalls.engine.training import TrainingAssumptions
from llmwalls.errors import InputError

if TYPE_CHECKING:
    from llmwalls.engine.collectives import Tiers
    from llmwalls.specs import ClusterSpec, GpuSpec, ModelSpec

# Smallest cluster of the scaling table: one 8-GPU node (runs below 8 GPUs start at 1).
SCALING_START_GPUS = 8


@dataclass(frozen=True)
class Fabric:
    """The two network tiers the collectives are charged on, per GPU and one direction (engine.collectives
    .Tiers): the scale-up domain (NVLink, or a TPU/Trainium torus) and the scale-out network, with their
    achievable efficiencies."""

    domain_gpus: int
    up_bandwidth_bytes_per_s: float
    up_latency_s: float
    up_efficiency: float
    out_bandwidth_bytes_per_s: float
    out_latency_s: float
    out_efficiency: float
    nvls: bool
    torus_dims: tuple[int, ...]  # a direct-connect torus scale-up fabric (TPU ICI, NeuronLink); () otherwise

    @classmethod
    def of(cls, tiers: Tiers) -> Fabric:
        return cls(**{f.name: getattr(tiers, f.name) for f in fields(cls)})


@dataclass(frozen=True)
class ClusterInputs:
    """The resolved scenario: profiles by name, the run's size with its defaults filled in, the degrees the
    caller pinned (None: searched), the step model's assumptions and the network tiers."""

    model: str
    experts: int | None  # the model's routed experts (None: a dense model)
    cluster: str
    gpu: str
    gpus: int
    global_batch: int
    seq_len: int
    train_tokens: float
    pinned: LayoutPins
    uneven_pp: bool
    usable_bytes: float
    assumptions: TrainingAssumptions
    fabric: Fabric
    scaling: ScalingMode
    top: int
    precision: TrainingPrecision = TrainingPrecision.bf16  # the linear GEMMs' recipe (engine.precision)
    first_stage_layers: int | None = None  # layers of an uneven pipeline's first stage (None: even)
    goodput_assumptions: GoodputAssumptions | None = None  # the whole run's parts (engine.goodput)


@dataclass(frozen=True)
class StepTime:
    """One optimizer step of the chosen layout in seconds: its parts (communication: the exposed share), the
    step, and the largest non-compute part."""

    matmul_time_s: float
    elementwise_time_s: float
    optimizer_time_s: float
    bubble_time_s: float
    tp_comm_time_s: float
    pp_comm_time_s: float
    dp_comm_time_s: float
    cp_comm_time_s: float
    ep_comm_time_s: float
    step_time_s: float
    compute_time_s: float
    exposed_comm_time_s: float
    bubble_fraction: float
    microbatches: int
    dp_comm_total_time_s: float
    largest_overhead: str
    largest_overhead_share: float


@dataclass(frozen=True)
class Throughput:
    """MFU counts model FLOPs (6N + attention, PaLM appendix B); HFU adds the recomputed ones."""

    mfu: float
    hfu: float
    model_flops_per_s_per_gpu: float
    hardware_flops_per_s_per_gpu: float
    tokens_per_s: float
    tokens_per_step: float
    model_flops_per_step: float
    hardware_flops_per_step: float


@dataclass(frozen=True)
class MemoryFit:
    per_gpu_bytes: float
    usable_bytes: float
    fits: bool


@dataclass(frozen=True)
class TrainingTime:
    tokens: float
    time_s: float
    gpu_hours: float


@dataclass(frozen=True)
class LayoutSearch:
    """The search, when any degree was left out: layouts evaluated, how many fit, the best ones."""

    candidates: int
    fitting: int
    elapsed_s: float
    top: tuple[RankedLayout, ...]


@dataclass(frozen=True)
class ScalingRow:
    """The best layout at one cluster size; figures are None when no layout fits (the capacity wall)."""

    gpus: int
    global_batch: int
    fits: bool
    layout: PlanLayout | None = None
    step_time_s: float | None = None
    compute_time_s: float | None = None
    exposed_comm_time_s: float | None = None
    bubble_time_s: float | None = None
    mfu: float | None = None
    tokens_per_s: float | None = None
    model_flops_per_s_per_gpu: float | None = None
    memory_bytes: float | None = None
    comm_over_compute: bool | None = None  # exposed communication above compute: the interconnect wall


@dataclass(frozen=True)
class ComputeOptimal:
    """The compute-optimal model for the run's training FLOPs by ``method`` (default "chinchilla-refit":
    Hoffmann et al. 2022's closed form with Besiroglu et al. 2024's corrected fit), the Chinchilla-fit loss of
    the planned model and tokens and of that optimum, and every method's row side by side (``by_method``:
    the corrected and the printed Chinchilla fit, 20 tokens per parameter, Kaplan 2020, Llama 3)."""

    compute_flops: float
    params: float
    tokens: float
    loss_at_plan: float
    method: str = "chinchilla-refit"
    tokens_per_param: float = 0.0
    loss_at_optimum: float = 0.0
    by_method: tuple[ScalingLawRow, ...] = ()


@dataclass(frozen=True)
class ClusterResults:
    layout: PlanLayout
    explicit: bool  # the layout was given (tp, pp and dp), not searched
    step: StepTime
    throughput: Throughput
    memory: MemoryFit
    training: TrainingTime
    search: LayoutSearch | None
    scaling: tuple[ScalingRow, ...]
    interconnect_wall_gpus: int | None  # smallest size in the scaling table where communication > compute
    goodput: RunGoodput  # whole run: failures, restarts, checkpoints, warm-up, evaluation
    compute_optimal: ComputeOptimal


@dataclass(frozen=True)
class ClusterReport:
    inputs: ClusterInputs
    results: ClusterResults
    walls: tuple[Wall, ...]
    warnings: tuple[str, ...]
    notes: tuple[str, ...]


def cluster(
    model: str | ModelSpec,
    *,
    cluster: str | ClusterSpec | None = None,
    gpu: str | GpuSpec | None = None,
    gpus: int | None = None,
    layout: Layout | None = None,
    tp: int | None = None,
    pp: int | None = None,
    dp: int | None = None,
    cp: int | None = None,
    ep: int | None = None,
    micro_batch: int | None = None,
    zero: int | None = None,
    recompute: Recompute | str | None = None,
    sequence_parallel: bool | None = None,
    uneven_pp: bool = False,
    seq_len: int | None = None,
    global_batch: int | None = None,
    train_tokens: float | None = None,
    matmul_efficiency: float | None = None,
    attention_efficiency: float | None = None,
    nvlink_efficiency: float | None = None,
    network_efficiency: float | None = None,
    tp_exposed: float | None = None,
    dp_exposed: float | None = None,
    dp_overlap: bool = True,
    interleave: int | None = None,
    nvls: bool = False,
    top: int = 5,
    scaling: ScalingMode | str = ScalingMode.fixed_global,
    progress: Callable[[int, int], None] | None = None,
    scaling_law: str | None = None,
    precision: TrainingPrecision | str | None = None,
    flash_attention: bool = True,
    ep_exposed: float | None = None,
    moe_layer_overhead_s: float | None = None,
    first_stage_layers: int | None = None,
    failures_per_gpu_hour: float | None = None,
    restart_s: float | None = None,
    storage_bandwidth_bytes_per_s: float | None = None,
    checkpoint_interval_s: float | None = None,
    warmup_share: float | None = None,
    evaluation_share: float | None = None,
) -> ClusterReport:
    """Train `model` on `gpus` GPUs of `cluster` (default DEFAULT_TRAINING_CLUSTER, dgx-h100; `gpu`: that
    GPU in the cluster's nodes, warned when it is not the cluster's own).

    The layout: a whole ``layout`` (every degree as given), or single degrees (tp, pp, dp, cp, ep,
    micro_batch, zero, recompute, sequence_parallel) pinned with the rest searched; nothing given: the
    fastest layout that fits. seq_len, global_batch (sequences) and train_tokens default as
    llmwalls.engine.plan says (8,192; 16Mi tokens; 20 per parameter). Efficiencies are fractions overriding
    engine.training.TrainingAssumptions and engine.collectives.LinkEfficiency. ``top``: layouts kept from the
    search; ``scaling``: the scaling table's mode; ``scaling_law``: the compute-optimal method of
    engine.scaling_laws.METHODS (default "chinchilla-refit"). ``precision``: the linear GEMMs' recipe
    (TrainingPrecision, default bf16; refused on a GPU without the format); ``flash_attention`` False for runs
    without it; ``ep_exposed`` (share of the MoE all-to-all exposed) and
    ``moe_layer_overhead_s`` (fixed seconds per MoE layer per micro-batch) override
    engine.training.TrainingAssumptions; ``first_stage_layers``: the first stage of an uneven pipeline (e.g.
    Llama 3 405B's 126 layers on 16 stages). The whole-run goodput parts (engine.goodput.GoodputAssumptions;
    None: its default): ``failures_per_gpu_hour``, ``restart_s``, ``storage_bandwidth_bytes_per_s``,
    ``checkpoint_interval_s`` (0: Young's optimum), ``warmup_share`` and ``evaluation_share`` of wall time.
    ``progress(done, total)`` is called while a large search runs. Raises InputError for an impossible
    layout or run."""
    from llmwalls.engine.memory import training_usable_bytes

    with notices.collecting() as bag:
        spec = resolve_model(model)
        cl, g = training_hardware(cluster, gpu, warn_default_cluster=False)
        if cluster is None:  # a default is a choice made for the user: say which
            notices.note(
                f"no cluster given: assuming {DEFAULT_TRAINING_CLUSTER} "
                f"({g.name} GPUs in its nodes and fabric)"
            )
        mode = _choice(ScalingMode, scaling, "scaling mode")
        _check_scaling_law(scaling_law)
        if top < 1:
            raise InputError(f"the search keeps at least 1 layout, got {top}")
        pins, interleave = _pins(
            layout, tp, pp, dp, cp, ep, micro_batch, zero, recompute, sequence_parallel, interleave
        )
        run = training_run(
            spec, cl, gpus=gpus, train_tokens=train_tokens, seq_len=seq_len, global_batch=global_batch
        )
        a = training_assumptions(
            matmul_efficiency=matmul_efficiency,
            attention_efficiency=attention_efficiency,
            tp_exposed=tp_exposed,
            dp_exposed=dp_exposed,
            interleave=interleave,
            dp_overlap=dp_overlap,
            nvls=nvls,
            flash_attention=flash_attention,
            ep_exposed=ep_exposed,
            moe_layer_overhead_s=moe_layer_overhead_s,
        )
        prec = training_precision(precision, g)
        good = goodput_assumptions(
            failures_per_gpu_hour=failures_per_gpu_hour,
            restart_s=restart_s,
            storage_bandwidth_bytes_per_s=storage_bandwidth_bytes_per_s,
            checkpoint_interval_s=checkpoint_interval_s,
            warmup_share=warmup_share,
            evaluation_share=evaluation_share,
        )
        tiers = fabric_tiers(
            cl, nvlink_efficiency=nvlink_efficiency, network_efficiency=network_efficiency, nvls=nvls
        )
        check_layout(spec, run, pins, tiers, uneven_pp=uneven_pp or first_stage_layers is not None)
        _check_first_stage(spec, pins, first_stage_layers)
        # training budget: the device's memory less the training reserve (engine.memory), not a serving
        # engine's utilisation fraction
        usable = float(training_usable_bytes(g.memory_capacity_bytes))

        t0 = time.perf_counter()
        plan = plan_layouts(
            spec,
            g,
            cl,
            tiers,
            run,
            pins=pins,
            assumptions=a,
            usable_bytes=usable,
            top=top,
            progress=progress,
            precision=prec.value,
            first_stage_layers=first_stage_layers,
            goodput=good,
        )
        elapsed = time.perf_counter() - t0
        if plan is None:
            raise InputError(
                f"no valid layout of {spec.name} on {run.gpus:,} GPUs with these constraints (global batch "
                f"{run.global_batch}, context {run.seq_len}); pin fewer degrees or change the number of GPUs"
            )
        lay, st = plan.layout, plan.step
        if st.tp_beyond_scale_up and not plan.explicit:  # (given: check_layout warned)
            notices.note(
                f"TP {lay.tp} spans more than the {tiers.domain_gpus}-GPU scale-up domain: charged at the "
                "scale-out rate"
            )
        if st.uneven_pipeline:
            notices.note(
                f"{spec.layers} layers on {lay.pp} stages is uneven: the stage with "
                f"{-(-spec.layers // lay.pp)} layers sets the pace"
            )
        rows = _scaling_rows(spec, g, cl, tiers, run, pins, a, usable, mode, prec.value)
        wall_size = next((r.gpus for r in rows if r.comm_over_compute), None)
        results = ClusterResults(
            layout=lay,
            explicit=plan.explicit,
            step=_step(plan),
            throughput=Throughput(
                **{f.name: float(getattr(st, f.name)) for f in fields(Throughput)},
            ),
            memory=MemoryFit(per_gpu_bytes=plan.memory_bytes, usable_bytes=usable, fits=plan.fits),
            training=TrainingTime(
                tokens=run.train_tokens, time_s=plan.time_to_train_s, gpu_hours=plan.gpu_hours
            ),
            search=None
            if plan.explicit
            else LayoutSearch(
                candidates=plan.candidates, fitting=plan.fitting, elapsed_s=elapsed, top=plan.ranked
            ),
            scaling=rows,
            interconnect_wall_gpus=wall_size,
            goodput=plan.goodput,
            compute_optimal=_compute_optimal(spec, run, plan, scaling_law),
        )
        walls = (
            Wall.of("memory_capacity", plan.memory_bytes, usable, "bytes"),
            Wall.of("interconnect", plan.exposed_comm_time_s, plan.compute_time_s, "s"),
        )
        inputs = ClusterInputs(
            model=spec.name,
            experts=None if spec.moe is None else spec.moe.experts,
            cluster=cl.name,
            gpu=g.name,
            gpus=run.gpus,
            global_batch=run.global_batch,
            seq_len=run.seq_len,
            train_tokens=run.train_tokens,
            pinned=pins,
            uneven_pp=uneven_pp,
            usable_bytes=usable,
            assumptions=a,
            fabric=Fabric.of(tiers),
            scaling=mode,
            top=top,
            precision=prec,
            first_stage_layers=first_stage_layers,
            goodput_assumptions=good,
        )
    return ClusterReport(inputs, results, walls, tuple(bag.warnings), tuple(bag.notes))


# ------------------------------------------------------------------------------------------ helpers


def _choice(enum: Any, value: Any, what: str) -> Any:
    try:
        return enum(value.lower() if isinstance(value, str) else value)
    except ValueError:
        names = ", ".join(m.value for m in enum)
        raise InputError(f"unknown {what} {value!r}; use {names}") from None


def _pins(
    layout: Layout | None,
    tp: int | None,
    pp: int | None,
    dp: int | None,
    cp: int | None,
    ep: int | None,
    micro_batch: int | None,
    zero: int | None,
    recompute: Recompute | str | None,
    sequence_parallel: bool | None,
    interleave: int | None,
) -> tuple[LayoutPins, int | None]:
    """The pinned layout fields, from a whole Layout or from single degrees (not both)."""
    rc = None if recompute is None else _choice(Recompute, recompute, "recomputation")
    singles = (tp, pp, dp, cp, ep, micro_batch, zero, recompute)
    if layout is None:
        return LayoutPins(tp, pp, dp, cp, ep, micro_batch, zero, rc, sequence_parallel), interleave
    if any(v is not None for v in singles):
        raise InputError("give a whole layout or single parallel degrees, not both")
    pins = LayoutPins(
        tp=layout.tp,
        pp=layout.pp,
        dp=layout.dp,
        cp=layout.cp,
        ep=layout.ep,
        micro_batch=layout.micro_batch,
        zero_stage=layout.zero,
        recompute=layout.recompute,
        sequence_parallel=sequence_parallel,
    )
    return pins, layout.interleave if interleave is None else interleave


def _check_first_stage(spec: ModelSpec, pins: LayoutPins, first_stage_layers: int | None) -> None:
    """An uneven first pipeline stage needs a given pipeline degree of at least 2 and at most the model's
    layers on that stage."""
    if first_stage_layers is None:
        return
    if pins.pp is None or pins.pp < 2:
        raise InputError("first-stage layers need a given pipeline-parallel degree of at least 2")
    if not 0 <= first_stage_layers <= spec.layers:
        raise InputError(
            f"first-stage layers must be 0 to {spec.name}'s {spec.layers} layers, got {first_stage_layers}"
        )


def _step(plan: TrainingPlan) -> StepTime:
    st = plan.step
    names = {f.name for f in fields(StepTime)} - {"largest_overhead", "largest_overhead_share"}
    values: dict[str, Any] = {n: getattr(st, n) for n in names}
    return StepTime(
        **values, largest_overhead=plan.largest_overhead, largest_overhead_share=plan.largest_overhead_share
    )


def _scaling_sizes(gpus: int) -> list[int]:
    """Powers of two from one node (SCALING_START_GPUS) up to, and ending at, the run's size."""
    sizes, s = [], SCALING_START_GPUS if gpus >= SCALING_START_GPUS else 1
    while s < gpus:
        sizes.append(s)
        s *= 2
    return [*sizes, gpus]


def _scaling_rows(
    spec: ModelSpec,
    gpu: GpuSpec,
    cl: ClusterSpec,
    tiers: Tiers,
    run: TrainingRun,
    pins: LayoutPins,
    a: TrainingAssumptions,
    usable: float,
    mode: ScalingMode,
    precision: str = "bf16",
) -> tuple[ScalingRow, ...]:
    """The best layout at each size (the run's recomputation, sequence parallelism and EP kept): fixed-global
    keeps the global batch (strong scaling), fixed-per-gpu its sequences per GPU (weak scaling)."""
    if mode is ScalingMode.off:
        return ()
    per_gpu = run.global_batch / run.gpus
    keep = LayoutPins(ep=pins.ep, recompute=pins.recompute, sequence_parallel=pins.sequence_parallel)
    rows = []
    for size in _scaling_sizes(run.gpus):
        batch = run.global_batch if mode is ScalingMode.fixed_global else max(1, round(per_gpu * size))
        sized = TrainingRun(gpus=size, seq_len=run.seq_len, global_batch=batch, train_tokens=run.train_tokens)
        q = plan_layouts(
            spec, gpu, cl, tiers, sized, pins=keep, assumptions=a, usable_bytes=usable, precision=precision
        )
        if q is None or not q.fits:
            rows.append(ScalingRow(gpus=size, global_batch=batch, fits=False))
            continue
        rows.append(
            ScalingRow(
                gpus=size,
                global_batch=batch,
                fits=True,
                layout=q.layout,
                step_time_s=q.step_time_s,
                compute_time_s=q.compute_time_s,
                exposed_comm_time_s=q.exposed_comm_time_s,
                bubble_time_s=q.step.bubble_time_s,
                mfu=q.mfu,
                tokens_per_s=q.tokens_per_s,
                model_flops_per_s_per_gpu=q.model_flops_per_s_per_gpu,
                memory_bytes=q.memory_bytes,
                comm_over_compute=q.exposed_comm_time_s > q.compute_time_s,
            )
        )
    return tuple(rows)


def _finite(x: Any) -> float | None:
    v = float(x)
    return v if math.isfinite(v) else None


def _check_scaling_law(method: str | None) -> None:
    from llmwalls.engine.scaling_laws import METHODS

    if method is not None and method not in METHODS:
        raise InputError(f"unknown scaling law {method!r}; use one of {', '.join(METHODS)}")


def _compute_optimal(
    spec: ModelSpec, run: TrainingRun, plan: TrainingPlan, method: str | None = None
) -> ComputeOptimal:
    """The run's model FLOPs (per token x tokens) through every compute-optimal method (api._scaling), the
    chosen one (default: Chinchilla's closed form with Besiroglu et al. 2024's corrected fit) first, and the
    loss that fit predicts for the planned model and tokens (Hoffmann et al. 2022 eq. 2)."""
    from llmwalls.engine.model import param_counts
    from llmwalls.engine.scaling_laws import DEFAULT_METHOD, chinchilla_loss

    flops = plan.step.model_flops_per_step / plan.step.tokens_per_step * run.train_tokens
    rows = scaling_rows(flops)
    opt = pick(rows, DEFAULT_METHOD if method is None else method)
    return ComputeOptimal(
        compute_flops=flops,
        params=opt.params,
        tokens=opt.tokens,
        loss_at_plan=float(chinchilla_loss(float(param_counts(spec).total), run.train_tokens)),
        method=opt.method,
        tokens_per_param=opt.tokens_per_param,
        loss_at_optimum=opt.loss,
        by_method=rows,
    )


__all__ = [
    "ClusterInputs",
    "ClusterReport",
    "ClusterResults",
    "ComputeOptimal",
    "Fabric",
    "LayoutSearch",
    "MemoryFit",
    "ScalingRow",
    "StepTime",
    "Throughput",
    "TrainingTime",
    "cluster",
]
