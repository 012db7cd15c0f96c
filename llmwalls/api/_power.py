"""`power`: GPU -> node -> network -> rack -> facility watts, the site-power and rack-power walls, energy and
carbon of a run (given GPU-hours, or a training run planned as `cluster` plans it), joules per token when
serving, and the share of a step's GPU energy spent moving bytes from HBM.

    >>> from llmwalls import api
    >>> report = api.power("h100", gpus=1024, site_w=1e6)
    >>> report.results.cluster.facility_w, report.walls[0].hit      # 2,193,292.8 W, True

The formulas are llmwalls.engine.power's; the site figures (node overhead, PUE, rack limit) come from
engine.power.site_for, the one place they are worked out for power, cost and walls.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from llmwalls import notices
from llmwalls.api._planning import MAX_GPUS, TrainingPlan
from llmwalls.api.types import TrainingPrecision, Wall, WeightFormat
from llmwalls.engine.power import DEFAULT, PowerAssumptions
from llmwalls.errors import InputError

if TYPE_CHECKING:
    from llmwalls.specs import ClusterSpec, GpuSpec, ModelSpec

# Serving without a given throughput: decode at this prompt length when none is given (tokens), and the
# tensor-parallel sizes tried for the fewest GPUs that hold weights and KV cache (one 8-GPU node at most).
DEFAULT_PROMPT_TOKENS = 2048
SERVING_TP_SIZES = (1, 2, 4, 8)
JOULES_PER_KWH = 3.6e6


@dataclass(frozen=True)
class PowerInputs:
    """The resolved scenario: profile names, the GPUs sized, and every default filled in."""

    gpu: str
    cluster: str | None
    gpus: int
    utilization: float
    power_cap_w: float | None
    pue: float
    pue_source: str
    site_w: float | None
    rack_limit_w: float
    rack_limit_source: str
    rack_limit_checked: bool
    gpu_hours: float | None
    model: str | None
    tokens: float | None
    grid: str | None
    grid_g_per_kwh: float | None
    grid_source: str | None
    tokens_per_s_per_gpu: float | None
    batch: int | None
    prompt_tokens: int
    weights: WeightFormat
    precision: TrainingPrecision | None = None  # the planned run's GEMM recipe (None: no run)


@dataclass(frozen=True)
class GpuPower:
    tdp_w: float
    idle_w: float
    idle_source: str
    power_w: float
    clock_fraction: float
    throughput_fraction_compute_bound: float
    throughput_fraction_memory_bound: float


@dataclass(frozen=True)
class ClusterPower:
    """engine.power.cluster_power of the GPUs sized (whole nodes): each level's watts and the racks."""

    gpus: int
    gpus_per_node: int
    nodes: int
    gpu_w: float
    gpu_total_w: float
    node_overhead_w: float
    node_overhead_total_w: float
    node_w: float
    node_total_w: float
    fabric_tiers: int
    switches: int
    switch_w: float
    switch_ports: int
    network_w: float
    it_w: float
    pue: float
    facility_w: float
    cooling_and_losses_w: float
    nodes_per_rack: int
    gpus_per_rack: int
    racks: int
    rack_w: float
    rack_limit_w: float
    rack_fits: bool


@dataclass(frozen=True)
class SiteCap:
    """The site cap against the facility: the largest cluster of whole nodes (whole racks for a rack-scale
    system) whose facility power fits under it; 0 when not even one fits."""

    site_w: float
    facility_w: float
    max_nodes: int
    max_gpus: int


@dataclass(frozen=True)
class EnergyLevel:
    per_gpu_w: float
    energy_j: float
    energy_kwh: float
    carbon_g: float | None


@dataclass(frozen=True)
class Energy:
    """A run of gpu_hours GPU-hours at the GPU board, IT (GPU + node + network) and facility (x PUE) watts
    per GPU; carbon where a grid intensity is known."""

    gpu_hours: float
    gpu: EnergyLevel
    it: EnergyLevel
    facility: EnergyLevel


@dataclass(frozen=True)
class ServingLevel:
    per_gpu_w: float
    joules_per_token: float
    w_per_user: float | None


@dataclass(frozen=True)
class ServingEnergy:
    tokens_per_s_per_gpu: float
    tokens_per_s_source: str
    users_per_gpu: float | None
    gpu: ServingLevel
    it: ServingLevel
    facility: ServingLevel


@dataclass(frozen=True)
class MovementStep:
    step: str
    bytes: float
    flops: float
    bytes_energy_j: float
    flops_energy_j: float
    total_energy_j: float
    bytes_share: float


@dataclass(frozen=True)
class DataMovement:
    model: str
    weights: WeightFormat
    pj_per_flop: float
    hbm_pj_per_bit: float
    steps: tuple[MovementStep, ...]


@dataclass(frozen=True)
class CappedRun:
    """A planned run slowed by the power cap (engine.plan.slowed_step_time_s)."""

    cap_w: float
    clock_fraction: float
    step_time_s: float
    time_to_train_s: float
    gpu_hours: float


@dataclass(frozen=True)
class TrainingEnergy:
    """A training run planned as `cluster` plans it, its energy at the power cap when one is given."""

    plan: TrainingPlan
    power_cap: CappedRun | None
    energy: Energy


@dataclass(frozen=True)
class PowerResults:
    gpu: GpuPower
    cluster: ClusterPower
    site: SiteCap | None
    energy: Energy | None
    training_plan: TrainingEnergy | None
    serving: ServingEnergy | None
    data_movement: DataMovement | None
    assumptions: PowerAssumptions


@dataclass(frozen=True)
class PowerReport:
    inputs: PowerInputs
    results: PowerResults
    walls: tuple[Wall, ...]
    warnings: tuple[str, ...]
    notes: tuple[str, ...]


def _check_assumptions(a: PowerAssumptions) -> None:
    if not 0 <= a.idle_fraction < 1:
        raise InputError(f"idle fraction of TDP must be in [0, 1), got {a.idle_fraction:g}")
    if not 0 <= a.static_fraction < 1:
        raise InputError(
            f"static (leakage) share of power must be in [0, 1): some power must scale with the clock, "
            f"got {a.static_fraction:g}"
        )
    if a.switch_ports < 4 or a.switch_ports % 2:
        raise InputError(f"switch ports must be an even number of at least 4, got {a.switch_ports}")
    for name in ("node_overhead_w", "switch_power_w"):
        if not (math.isfinite(getattr(a, name)) and getattr(a, name) >= 0):
            raise InputError(f"{name.replace('_', ' ')} must be a finite number >= 0")
    if not (math.isfinite(a.hbm_pj_per_bit) and a.hbm_pj_per_bit > 0):
        raise InputError(f"HBM energy per bit must be above 0, got {a.hbm_pj_per_bit:g} pJ")
    if a.pj_per_flop is not None and not (math.isfinite(a.pj_per_flop) and a.pj_per_flop > 0):
        raise InputError(f"energy per FLOP must be above 0, got {a.pj_per_flop:g} pJ")


def _positive(value: float | None, what: str) -> None:
    if value is not None and not (math.isfinite(value) and value > 0):
        raise InputError(f"{what} must be a finite number above 0, got {value!r}")


def power(
    gpu: str | GpuSpec | None = None,
    *,
    cluster: str | ClusterSpec | None = None,
    gpus: int | None = None,
    utilization: float = 1.0,
    power_cap_w: float | None = None,
    pue: float | None = None,
    site_w: float | None = None,
    rack_limit_w: float | None = None,
    node_overhead_w: float | None = None,
    gpu_hours: float | None = None,
    model: str | ModelSpec | None = None,
    train_tokens: float | None = None,
    precision: TrainingPrecision | str | None = None,
    grid: str | None = None,
    grid_g_per_kwh: float | None = None,
    tokens_per_s_per_gpu: float | None = None,
    batch: int | None = None,
    prompt_tokens: int | None = None,
    weights: WeightFormat | str = WeightFormat.bf16,
    assumptions: PowerAssumptions | None = None,
) -> PowerReport:
    """Power of `gpus` GPUs (default: the cluster's, else one node) of `gpu` (default: the cluster's) at a
    utilisation in [0, 1] (board power linear between idle and TDP), capped at power_cap_w per GPU; the
    site cap site_w (W) and rack limit checked as walls; energy of gpu_hours GPU-hours and of a training run
    of train_tokens tokens of `model` planned as `cluster` plans it (its GEMMs in ``precision``, default
    bf16); serving joules per token at
    tokens_per_s_per_gpu (else the roofline's decode rate for `model` at `batch` sequences); and the HBM
    bytes against FLOPs energy of a decode and a prefill step of `model`."""
    with notices.collecting() as bag:
        inputs, results, walls = _power(
            gpu,
            cluster=cluster,
            gpus=gpus,
            utilization=utilization,
            power_cap_w=power_cap_w,
            pue=pue,
            site_w=site_w,
            rack_limit_w=rack_limit_w,
            node_overhead_w=node_overhead_w,
            gpu_hours=gpu_hours,
            model=model,
            train_tokens=train_tokens,
            precision=precision,
            grid=grid,
            grid_g_per_kwh=grid_g_per_kwh,
            tokens_per_s_per_gpu=tokens_per_s_per_gpu,
            batch=batch,
            prompt_tokens=prompt_tokens,
            weights=WeightFormat(weights),
            a=assumptions if assumptions is not None else DEFAULT,
        )
    return PowerReport(inputs, results, walls, tuple(bag.warnings), tuple(bag.notes))


def _power(
    gpu: str | GpuSpec | None,
    *,
    cluster: str | ClusterSpec | None,
    gpus: int | None,
    utilization: float,
    power_cap_w: float | None,
    pue: float | None,
    site_w: float | None,
    rack_limit_w: float | None,
    node_overhead_w: float | None,
    gpu_hours: float | None,
    model: str | ModelSpec | None,
    train_tokens: float | None,
    precision: TrainingPrecision | str | None,
    grid: str | None,
    grid_g_per_kwh: float | None,
    tokens_per_s_per_gpu: float | None,
    batch: int | None,
    prompt_tokens: int | None,
    weights: WeightFormat,
    a: PowerAssumptions,
) -> tuple[PowerInputs, PowerResults, tuple[Wall, ...]]:
    from llmwalls import catalogue
    from llmwalls.engine import power as eng
    from llmwalls.render.numbers import si

    # ------------------------------------------------------------------ validate and resolve
    if cluster is None and gpu is None:
        raise InputError("give a cluster (e.g. dgx-h100) or a GPU (e.g. h100) to size the power of")
    _check_assumptions(a)
    if not (math.isfinite(utilization) and 0 <= utilization <= 1):
        raise InputError(f"GPU utilisation must be in [0, 1], got {utilization!r}")
    if pue is not None and not (math.isfinite(pue) and 1 <= pue <= 5):
        raise InputError(f"PUE must be between 1 and 5 (facility power / IT power), got {pue!r}")
    if node_overhead_w is not None and not (math.isfinite(node_overhead_w) and node_overhead_w >= 0):
        raise InputError(f"node overhead must be a finite number of watts >= 0, got {node_overhead_w!r}")
    for value, what in (
        (power_cap_w, "per-GPU power cap (W)"),
        (site_w, "site power cap (W)"),
        (rack_limit_w, "rack power limit (W)"),
        (gpu_hours, "GPU-hours"),
        (grid_g_per_kwh, "grid carbon intensity (gCO2e/kWh)"),
        (tokens_per_s_per_gpu, "serving tokens/s per GPU"),
        (train_tokens, "training tokens"),
    ):
        _positive(value, what)
    if gpus is not None and not 1 <= gpus <= MAX_GPUS:
        raise InputError(f"GPU count must be between 1 and {MAX_GPUS:,}, got {gpus:,}")
    if batch is not None and batch < 1:
        raise InputError(f"concurrent users per GPU must be at least 1, got {batch}")
    if prompt_tokens is not None and prompt_tokens < 1:
        raise InputError(f"prompt length must be at least 1 token, got {prompt_tokens}")
    if grid is not None and grid_g_per_kwh is not None:
        raise InputError("give a grid profile or a grid carbon intensity, not both")
    cl = catalogue.load_cluster(cluster) if isinstance(cluster, str) else cluster
    if gpu is None:
        assert cl is not None
        gpu = cl.gpu
    g = catalogue.load_gpu(gpu) if isinstance(gpu, str) else gpu
    spec_m = catalogue.load_model(model) if isinstance(model, str) else model
    if precision is not None and train_tokens is None:
        raise InputError("a training precision needs a planned run: give the training tokens")
    if train_tokens is not None and spec_m is None:
        raise InputError("a training run's tokens need the model trained on them")
    g.require_tdp_w()  # no public TDP: refused, never another chip's
    if cl is not None and node_overhead_w is None:
        cl.require_node_overhead_w()  # no public host power: refused unless the overhead is given
    site = eng.site_for(
        g, cl, pue=pue, rack_limit_w=rack_limit_w, node_overhead_w=node_overhead_w, assumptions=a
    )
    if cl is not None:
        for note in site.notes:  # e.g. no public host power for the cluster: accelerators only
            notices.warn(note)
    tdp_w, idle_w = site.tdp_w, site.idle_w
    if power_cap_w is not None:
        floor_w = a.static_fraction * tdp_w
        if power_cap_w <= floor_w:
            raise InputError(
                f"power cap {power_cap_w:g} W is at or below the static (leakage) floor of {g.name}: "
                f"{a.static_fraction:g} x {tdp_w:g} W = {floor_w:g} W; the GPU cannot run there"
            )
        if power_cap_w >= tdp_w:
            notices.warn(
                f"power cap {power_cap_w:g} W is at or above the TDP ({tdp_w:g} W): it changes nothing"
            )
    grid_g, grid_source = grid_g_per_kwh, ("given" if grid_g_per_kwh is not None else None)
    if grid is not None:
        grid_profile = catalogue.load("grid", grid)
        grid_g = float(grid_profile.grams_co2e_per_kwh)  # type: ignore[attr-defined]
        grid_source = f"grid {grid_profile.name}"

    planned: TrainingPlan | None = None
    if train_tokens is not None:
        # The run's GPU-hours from the layout `cluster` picks; the model is then the model trained: no
        # serving or data-movement sections for it.
        assert spec_m is not None
        from llmwalls.api._planning import plan_run

        planned = plan_run(spec_m, cl, g, gpus=gpus, train_tokens=train_tokens, precision=precision)

    if gpus is not None:
        n_gpus = gpus
    elif cl is not None:
        n_gpus = cl.total_gpus
    elif planned is not None:
        n_gpus = planned.gpus  # the GPUs the run was planned on
    else:
        n_gpus = site.gpus_per_node
    if n_gpus % site.gpus_per_node:
        whole = math.ceil(n_gpus / site.gpus_per_node) * site.gpus_per_node
        notices.warn(
            f"{n_gpus} GPUs is not a whole number of {site.gpus_per_node}-GPU nodes; sizing {whole} GPUs"
        )

    # ------------------------------------------------------------------ GPU, cluster, site
    gpu_w = float(eng.gpu_power_w(tdp_w, idle_w, utilization, power_cap_w))
    clock = (
        float(eng.dvfs_clock_fraction(power_cap_w, tdp_w, a.static_fraction))
        if power_cap_w is not None
        else 1.0
    )
    thr_compute = float(eng.capped_throughput_fraction(clock, False))
    thr_memory = float(
        eng.capped_throughput_fraction(
            clock, True, memory_saturation_clock_fraction=a.memory_saturation_clock_fraction
        )
    )
    p = eng.site_power(site, gpu_w, n_gpus, switch_w=a.switch_power_w, switch_ports=a.switch_ports)
    c = ClusterPower(
        gpus=int(p["gpus"]),
        gpus_per_node=site.gpus_per_node,
        nodes=int(p["nodes"]),
        gpu_w=float(p["gpu_w"]),
        gpu_total_w=float(p["gpu_total_w"]),
        node_overhead_w=site.node_overhead_w,
        node_overhead_total_w=float(p["node_overhead_total_w"]),
        node_w=float(p["node_w"]),
        node_total_w=float(p["node_total_w"]),
        fabric_tiers=int(p["fabric_tiers"]),
        switches=int(p["switches"]),
        switch_w=a.switch_power_w,
        switch_ports=a.switch_ports,
        network_w=float(p["network_w"]),
        it_w=float(p["it_w"]),
        pue=float(p["pue"]),
        facility_w=float(p["facility_w"]),
        cooling_and_losses_w=float(p["cooling_and_losses_w"]),
        nodes_per_rack=int(p["nodes_per_rack"]),
        gpus_per_rack=int(p["gpus_per_rack"]),
        racks=int(p["racks"]),
        rack_w=float(p["rack_w"]),
        rack_limit_w=float(p["rack_limit_w"]),
        rack_fits=bool(p["rack_fits"]),
    )
    walls: list[Wall] = []
    cap: SiteCap | None = None
    if site_w is not None:
        fit_nodes = eng.max_nodes_under_cap(
            site_w,
            node_w=c.node_w,
            pue=site.pue,
            gpus_per_node=site.gpus_per_node,
            switch_w=a.switch_power_w,
            switch_ports=a.switch_ports,
        )
        # A rack-scale system (NVL72) grows by whole racks: its scale-up domain cannot be split.
        unit_nodes = c.nodes_per_rack if site.fixed_rack else 1
        fit_nodes = fit_nodes // unit_nodes * unit_nodes
        if fit_nodes == 0:
            unit = (
                f"{unit_nodes * site.gpus_per_node}-GPU rack"
                if site.fixed_rack
                else f"{site.gpus_per_node}-GPU node"
            )
            notices.warn(
                f"the site cap of {si(site_w, 'W')} is smaller than one {unit} "
                f"({si(c.node_w * unit_nodes * site.pue, 'W')} at the facility with PUE {site.pue:g}): "
                "no GPUs fit under it"
            )
        cap = SiteCap(site_w, c.facility_w, fit_nodes, fit_nodes * site.gpus_per_node)
        walls.append(Wall.of("site_power", c.facility_w, site_w, "W"))
    if site.rack_limit_given:
        walls.append(Wall.of("rack_power", c.rack_w, site.rack_limit_w, "W"))

    per_gpu = {"gpu": gpu_w, "it": c.it_w / c.gpus, "facility": c.facility_w / c.gpus}

    def run_energy(hours: float) -> Energy:
        levels = {}
        for key, w in per_gpu.items():
            e_j = float(eng.run_energy_j(hours, w))
            levels[key] = EnergyLevel(
                per_gpu_w=w,
                energy_j=e_j,
                energy_kwh=e_j / JOULES_PER_KWH,
                carbon_g=float(eng.carbon_g(e_j, grid_g)) if grid_g is not None else None,
            )
        return Energy(hours, levels["gpu"], levels["it"], levels["facility"])

    # ------------------------------------------------------------------ energy of a run
    hours = gpu_hours
    if hours is None and grid_g is not None and planned is None:
        hours = float(c.gpus)  # a grid without GPU-hours: one hour of the whole cluster
    energy = run_energy(hours) if hours is not None else None
    training: TrainingEnergy | None = None
    if planned is not None:
        run_hours = planned.gpu_hours
        capped: CappedRun | None = None
        if power_cap_w is not None:
            # A cap slows the run: its GPU-hours grow as the step stretches (engine.plan.slowed_step_time_s).
            from llmwalls.engine.plan import slowed_step_time_s

            slowed = float(slowed_step_time_s(planned.step.times(), thr_compute, thr_memory))
            stretch = slowed / planned.step_time_s
            run_hours = planned.gpu_hours * stretch
            capped = CappedRun(power_cap_w, clock, slowed, planned.time_to_train_s * stretch, run_hours)
        training = TrainingEnergy(planned, capped, run_energy(run_hours))

    # ------------------------------------------------------------------ serving
    prompt = prompt_tokens if prompt_tokens is not None else DEFAULT_PROMPT_TOKENS
    tps, tps_source = tokens_per_s_per_gpu, "given"
    users_per_gpu = float(batch) if batch else None
    if tps is None and spec_m is not None and planned is None:
        # Decode at `batch` (default 1) sequences of `prompt` tokens on the fewest GPUs (TP 1, 2, 4, 8) whose
        # HBM holds the weights and KV cache (the roofline engine).
        from llmwalls.engine.roofline import roofline

        b_r = batch or 1
        for tp_r in SERVING_TP_SIZES:
            rr = roofline(
                spec_m, g, batch=b_r, prompt_tokens=prompt, context_tokens=prompt, tp=tp_r, weights=weights
            )
            if bool(rr["fits"]):
                tps = float(rr["decode_tokens_per_s_per_gpu"])
                tps_source = f"roofline decode: batch {b_r}, context {prompt:,}, TP {tp_r}"
                users_per_gpu = b_r / tp_r if batch else None
                break
        else:
            notices.warn(f"{spec_m.name} does not fit on 8 x {g.name} at batch {b_r}: no serving energy")
    serving: ServingEnergy | None = None
    if tps is not None:
        lv = {
            key: ServingLevel(
                w, float(eng.joules_per_token(w, tps)), w / users_per_gpu if users_per_gpu else None
            )
            for key, w in per_gpu.items()
        }
        serving = ServingEnergy(tps, tps_source, users_per_gpu, lv["gpu"], lv["it"], lv["facility"])

    # ------------------------------------------------------------------ data movement vs arithmetic
    movement: DataMovement | None = None
    if spec_m is not None and planned is None:
        from llmwalls.engine.model import (
            compute_dtype_for_weights,
            dense_flops_per_token,
            param_counts,
            weight_bytes_per_param,
        )

        weight_bytes = param_counts(spec_m).total * weight_bytes_per_param(weights.value)
        flops_per_token = dense_flops_per_token(spec_m)
        peak = (
            g.peak_flops_per_s.for_dtype(compute_dtype_for_weights(weights.value))
            or g.peak_flops_per_s.half_precision
        )
        pj_flop = (
            a.pj_per_flop
            if a.pj_per_flop is not None
            else float(eng.derived_pj_per_flop(tdp_w, idle_w, peak))
        )
        decode_batch = batch or 1
        steps = []
        for name, flops in (
            (f"decode (batch {decode_batch})", flops_per_token * decode_batch),
            (f"prefill ({prompt:,} tokens)", flops_per_token * prompt),
        ):
            r = eng.data_movement_energy(
                weight_bytes, flops, hbm_pj_per_bit=a.hbm_pj_per_bit, pj_per_flop=pj_flop
            )
            steps.append(MovementStep(name, **{k: float(v) for k, v in r.items()}))
        movement = DataMovement(spec_m.name, weights, pj_flop, a.hbm_pj_per_bit, tuple(steps))

    inputs = PowerInputs(
        gpu=g.name,
        cluster=cl.name if cl is not None else None,
        gpus=c.gpus,
        utilization=utilization,
        power_cap_w=power_cap_w,
        pue=site.pue,
        pue_source=site.pue_source,
        site_w=site_w,
        rack_limit_w=site.rack_limit_w,
        rack_limit_source=site.rack_limit_source,
        rack_limit_checked=site.rack_limit_given,
        gpu_hours=gpu_hours,
        model=spec_m.name if spec_m is not None else None,
        tokens=train_tokens,
        grid=grid,
        grid_g_per_kwh=grid_g,
        grid_source=grid_source,
        tokens_per_s_per_gpu=tokens_per_s_per_gpu,
        batch=batch,
        prompt_tokens=prompt,
        weights=weights,
        precision=None if planned is None else TrainingPrecision(planned.precision),
    )
    gpu_block = GpuPower(tdp_w, idle_w, site.idle_source, gpu_w, clock, thr_compute, thr_memory)
    results = PowerResults(gpu_block, c, cap, energy, training, serving, movement, a)
    return inputs, results, tuple(walls)
