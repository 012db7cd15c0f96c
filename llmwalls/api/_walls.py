"""Every wall of one workload side by side: memory capacity, memory bandwidth, compute, interconnect, site
power and cost, the binding one named, with the utilisation range the efficiency assumptions allow; or a sweep
of one axis (context, users, GPUs, model size) with the value at which each wall is first hit.

    >>> from llmwalls import api
    >>> report = api.walls("70b", "h100", tp=1)
    >>> report.results.binding, report.results.verdict

The arithmetic is llmwalls.engine.walls (which composes the memory, roofline, training, power and cost
engines); this module resolves the scenario (profiles, site, price, assumption ranges), evaluates the central,
pessimistic and optimistic corners of the ranges, and builds the typed report. Nothing here prints.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Literal, TypeVar

import numpy as np

from llmwalls import bounds, notices
from llmwalls.api._profiles import profile as _profile
from llmwalls.api._profiles import rental_price
from llmwalls.api.types import WALL_LABELS, KvFormat, Recompute, TrainingPrecision, Wall, WeightFormat
from llmwalls.engine import walls as eng
from llmwalls.errors import InputError
from llmwalls.render import numbers

if TYPE_CHECKING:
    from llmwalls.specs import ClusterSpec, GpuSpec, ModelSpec

E = TypeVar("E", bound=StrEnum)
Mode = Literal["serving", "training"]
Status = Literal["ok", "near", "hit", "n/a"]
SweepAxis = Literal["context", "users", "gpus", "params"]

# The engine's wall names -> the one identifier vocabulary of llmwalls.api.types.WALL_LABELS.
WALL_IDS: dict[str, str] = {
    "memory capacity": "memory_capacity",
    "memory bandwidth": "memory_bandwidth",
    "compute": "compute",
    "interconnect": "interconnect",
    "power": "site_power",
    "cost": "cost",
}
ENGINE_NAMES = {ident: name for name, ident in WALL_IDS.items()}

DEFAULT_CONTEXT_TOKENS = 4096  # serving context when none is given (capped at the model's maximum)
MAX_GPUS = bounds.MAX_GPUS.limit  # more is a typo (1e12 for 1e6): the bound every command shares
MAX_USERS = 1e9
MAX_TOKENS_PER_S_PER_USER = 1e6


# ------------------------------------------------------------------------------------------------ types


@dataclass(frozen=True)
class RangedWall(Wall):
    """A wall with its status (ok / near / hit / n/a; hit exactly when utilization > 1), the utilisation range
    over the efficiency assumptions [optimistic, pessimistic], the headroom 1 - utilization, whether it binds,
    and (in a sweep) the swept value it is reported at."""

    status: Status = "n/a"
    utilization_range: tuple[float, float] | None = None
    headroom: float | None = None
    binding: bool = False
    at: float | None = None


@dataclass(frozen=True)
class EfficiencyRange:
    """One efficiency's range [low, high] and where it comes from; ``relative``: the bounds multiply the
    engine's per-GPU default (the FLOP/s efficiency: x0.70..x1.0 of the GPU's MAMF / peak)."""

    low: float
    high: float
    source: str
    relative: bool = False


@dataclass(frozen=True)
class Uncertainty:
    """The judgement-call efficiencies the walls depend on: a range, one pinned number, or None (the engine's
    own default). See llmwalls.engine.walls.Efficiencies and DEFAULT_RANGES."""

    bandwidth_efficiency: EfficiencyRange | float | None = None
    flops_efficiency: EfficiencyRange | float | None = None
    matmul_efficiency: EfficiencyRange | float | None = None
    usable_fraction: EfficiencyRange | float | None = None
    network_efficiency: EfficiencyRange | float | None = None


@dataclass(frozen=True)
class Sweep:
    """One swept axis and its ascending values (tokens, users, GPUs or parameters)."""

    axis: SweepAxis
    values: tuple[float, ...]


@dataclass(frozen=True)
class WallsInputs:
    model: str
    gpu: str
    cluster: str | None
    mode: Mode
    weights: WeightFormat
    kv_dtype: KvFormat
    gpus: int
    tp: int | None
    users: int | None
    context_tokens: int
    prompt_tokens: int | None
    tokens_per_s_per_user: float | None
    ttft_s: float | None
    global_batch: int | None  # training; None: 16Mi tokens / context at each point
    tokens: float | None  # training; None: 20 per parameter at each point
    deadline_s: float | None
    site_w: float | None
    budget_usd: float | None  # per month when serving, for the run when training
    usd_per_gpu_hour: float
    price_source: str
    sweep: Sweep | None
    near_threshold: float
    ranges: Uncertainty
    assumptions: eng.WallsAssumptions
    precision: TrainingPrecision | None = None  # training: the linear GEMMs' recipe (None: serving)
    flash_attention: bool | None = None  # training: FlashAttention (None: serving)


@dataclass(frozen=True)
class ServingPlan:
    """The serving plan at one point: users spread evenly over replicas of TP GPUs each."""

    gpus: int
    gpus_used: int
    tp: int
    replicas: int
    users: int
    batch_per_replica: int
    context_tokens: int
    prompt_tokens: int
    tokens_per_s_per_user_target: float
    ttft_s_target: float
    decode_time_per_token_s: float
    tokens_per_s_per_user: float
    ttft_s: float
    latency_utilization: float  # the decode step's parts added up, over one token's time budget
    usable_bytes_per_gpu: float
    max_utilization: float | None


@dataclass(frozen=True)
class TrainingLayout:
    tp: int
    pp: int
    dp: int
    cp: int
    ep: int
    micro_batch: int
    zero_stage: int
    recompute: Recompute
    sequence_parallel: bool


@dataclass(frozen=True)
class TrainingPlan:
    """The training run at one point: the fastest layout that fits (llmwalls.engine.plan.plan_training)."""

    gpus: int
    layout: TrainingLayout
    fits: bool
    step_time_s: float
    mfu: float
    tokens_per_s: float
    time_to_train_s: float
    gpu_hours: float
    tokens: float
    seq_len: int
    global_batch: int
    usable_bytes_per_gpu: float
    max_utilization: float | None


@dataclass(frozen=True)
class PointWall:
    """One wall's utilisation at one swept value, at the three corners of the efficiency ranges."""

    wall: str
    utilization: float | None
    utilization_pessimistic: float | None
    utilization_optimistic: float | None


@dataclass(frozen=True)
class SweepPoint:
    value: float
    binding: str | None
    walls: tuple[PointWall, ...]
    plan: ServingPlan | TrainingPlan


@dataclass(frozen=True)
class WallSweep:
    """Where one wall is first hit along the sweep (central, pessimistic and optimistic efficiencies), and for
    a wall hit from the start, the value from which it clears (walls more GPUs relieve)."""

    wall: str
    first_hit: float | None
    first_hit_pessimistic: float | None
    first_hit_optimistic: float | None
    clear_from: float | None


@dataclass(frozen=True)
class SweepResults:
    axis: SweepAxis
    values: tuple[float, ...]
    points: tuple[SweepPoint, ...]
    walls: tuple[WallSweep, ...]
    first_wall: str | None
    first_value: float | None
    first_wall_pessimistic: str | None
    first_value_pessimistic: float | None
    first_wall_optimistic: str | None
    first_value_optimistic: float | None
    no_wall_hit: tuple[float, float] | None  # first and last swept value with no wall hit


@dataclass(frozen=True)
class WallsResults:
    mode: Mode
    verdict: str  # one sentence: the binding wall and why (a sweep: the wall hit first and where)
    findings: tuple[str, ...]  # further sentences (latency sum over budget; a sweep's clear span)
    depends_on_assumptions: bool
    assumption_note: str | None  # what in the verdict changes across the efficiency ranges
    binding: str | None
    binding_pessimistic: str | None
    binding_optimistic: str | None
    plan: ServingPlan | TrainingPlan  # at the point (a sweep: its last value)
    sweep: SweepResults | None


@dataclass(frozen=True)
class WallsReport:
    """``walls``: every wall at the point; in a sweep, each wall at the swept value where it is highest (so a
    wall hit anywhere in the sweep is hit here, and ``at`` says where)."""

    inputs: WallsInputs
    results: WallsResults
    walls: tuple[RangedWall, ...]
    warnings: tuple[str, ...]
    notes: tuple[str, ...]


# --------------------------------------------------------------------------------------- small helpers


def tokens_text(n: float) -> str:
    """Token counts as the CLI takes them: binary k and M (4096 -> '4k', 131072 -> '128k', 3000 ->
    '3,000')."""
    n = float(n)
    if n >= 2**20 and n % 2**20 == 0:
        return f"{n / 2**20:g}M"
    if n >= 1024 and n % 1024 == 0:
        return f"{n / 1024:g}k"
    if n >= 10240:
        return f"{numbers.sig(n / 1024)}k"
    return f"{n:,.0f}"


def axis_value_text(axis: str, value: float) -> str:
    """A swept value: context in tokens (4k), params in B (70.6B), users and GPUs as counts."""
    if axis == "context":
        return tokens_text(value)
    if axis == "params":
        return numbers.si(value, "").replace("G", "B")
    return f"{value:,.0f}"


def figure(value: float | None, unit: str) -> str:
    """A wall's demand or limit for people, in the unit it is measured in."""
    if value is None or not math.isfinite(value):
        return "-"
    if unit == "bytes":
        return numbers.iec_bytes(value)
    if unit == "s":
        return numbers.duration(value)
    if unit == "USD/month":
        return numbers.usd(value) + "/month"
    if unit == "USD":
        return numbers.usd(value)
    return numbers.si(value, {"bytes/s": "B/s"}.get(unit, unit))


def label(wall: str) -> str:
    return WALL_LABELS.get(wall, wall.replace("_", " "))


def _f(x: Any, index: tuple[int, ...] | int = ()) -> float:
    a = np.asarray(x, dtype=float)
    if a.ndim and index != ():
        a = a[index]
    return float(a.reshape(-1)[0]) if a.size else math.nan


def _opt(x: float) -> float | None:
    return x if math.isfinite(x) else None


def _status(u: float | None, near: float) -> Status:
    if u is None or math.isnan(u):
        return "n/a"
    return "hit" if u > 1.0 else "near" if u >= near else "ok"


def _choice(kind: type[E], value: E | str, what: str) -> E:
    try:
        return kind(value)
    except ValueError:
        raise InputError(f"unknown {what} {value!r}; one of {', '.join(m.value for m in kind)}") from None


# ----------------------------------------------------------------------------------------- assumptions


def parse_efficiency(text: str | float | None, what: str) -> EfficiencyRange | float | None:
    """'0.6..0.85' -> a range; '0.7' -> 0.7 (each in (0, 1], ascending); None -> None (the default range);
    ``what`` names the value in errors."""
    if text is None:
        return None
    value = eng.parse_range(text, what)
    if isinstance(value, eng.Range):
        return EfficiencyRange(value.low, value.high, value.source)
    return value


def parse_sweep(text: str) -> Sweep:
    """'context=4k..1M' (doubling; ':N' for N log-spaced points), 'users=1k,10k,100k', 'gpus=8..1024',
    'params=8b..405b' -> a Sweep (ascending values)."""
    axis, values = eng.parse_sweep(text)
    return Sweep(axis, tuple(float(v) for v in values))  # type: ignore[arg-type]


def _engine_range(value: EfficiencyRange | float | None) -> eng.Range | float | None:
    if isinstance(value, EfficiencyRange):
        return eng.Range(value.low, value.high, value.source, value.relative)
    return value


def _uncertainty(ranges: Mapping[str, eng.Range | float | None]) -> Uncertainty:
    def one(name: str) -> EfficiencyRange | float | None:
        v = ranges.get(name)
        if isinstance(v, eng.Range):
            return EfficiencyRange(v.low, v.high, v.source, v.relative)
        return v

    return Uncertainty(**{name: one(name) for name in eng.UNCERTAIN})


def resolve_assumptions(
    *,
    assumptions_file: str | None = None,
    uncertainty: Uncertainty | None = None,
    walls_assumptions: eng.WallsAssumptions | None = None,
    near_threshold: float | None = None,
    base_ranges: Mapping[str, eng.Range | float | None] | None = None,
    base_walls: Mapping[str, float] | None = None,
) -> tuple[dict[str, eng.Range | float | None], eng.WallsAssumptions]:
    """The efficiency ranges and the walls view's own assumptions, each layer overriding the one before: the
    engine defaults (DEFAULT_RANGES, WallsAssumptions()), ``base_*`` (a roadmap's own tables), an assumptions
    file's [uncertainty] and [walls] tables, then the explicit arguments."""
    ranges: dict[str, eng.Range | float | None] = dict(eng.DEFAULT_RANGES)
    wa = walls_assumptions or eng.DEFAULT_ASSUMPTIONS
    ranges.update(base_ranges or {})
    if base_walls:
        wa = dataclasses.replace(wa, **base_walls)
    if assumptions_file is not None:
        from llmwalls.roadmap import load_assumptions_file

        file_ranges, walls_table = load_assumptions_file(assumptions_file)
        ranges.update(file_ranges)
        if walls_table:
            wa = dataclasses.replace(wa, **walls_table)
    if uncertainty is not None:
        for name in eng.UNCERTAIN:
            value = getattr(uncertainty, name)
            if value is not None:
                ranges[name] = _engine_range(value)
    if near_threshold is not None:
        if not 0 < near_threshold <= 1:
            raise InputError(f"the 'near' threshold must be in (0, 1], got {near_threshold!r}")
        wa = dataclasses.replace(wa, near_threshold=near_threshold)
    return ranges, wa


def site_and_price(
    gpu: GpuSpec,
    cluster: ClusterSpec | None,
    *,
    site_w: float | None,
    budget_usd: float | None,
    usd_per_gpu_hour: float | None,
) -> tuple[eng.Site, float, str]:
    """The facility figures the power and cost walls need (engine.walls.site_for: the cluster's, else the
    power engine's defaults) and the $/GPU-hour with where it came from (api._profiles.rental_price: the
    argument, the GPU's price profile, else the cost engine's fallback rent)."""
    price, source = rental_price(gpu.name, usd_per_gpu_hour, fallback=True)
    site = eng.site_for(gpu, cluster, site_w=site_w, usd_per_gpu_hour=price, budget_usd=budget_usd)
    return site, price, source


def ranged_walls(
    central: Mapping[str, Any],
    low: Mapping[str, Any],
    high: Mapping[str, Any],
    near: float,
    index: tuple[int, ...] | int = (),
    *,
    at: float | None = None,
) -> tuple[RangedWall, ...]:
    """The walls of one point of the three corner results (engine dicts): each as a RangedWall with its
    identifier, status, the range over the corners and whether it binds. Walls without a demand (training's
    memory bandwidth: inside the step time) are left out."""
    bind = str(np.asarray(central["binding"], dtype=object)[index])
    out = []
    for name, w in central["walls"].items():
        demand = _f(w["demand"], index)
        if not math.isfinite(demand):
            continue
        base = Wall.of(WALL_IDS[name], demand, _f(w["limit"], index), w["unit"])
        u = base.utilization
        rng = None
        if u is not None and math.isfinite(u):
            # Serving: every utilisation is monotone in every efficiency, so the corners bound it. Training
            # re-runs the layout search at each corner and may pick another layout: the range is the spread
            # of the three evaluations.
            us = [
                u,
                _f(low["walls"][name]["utilization"], index),
                _f(high["walls"][name]["utilization"], index),
            ]
            finite = [x for x in us if math.isfinite(x)]
            rng = (min(finite), max(finite)) if len(finite) == len(us) else None
        out.append(
            RangedWall(
                **{f.name: getattr(base, f.name) for f in dataclasses.fields(Wall)},
                status=_status(u, near),
                utilization_range=rng,
                headroom=None if u is None or not math.isfinite(u) else 1.0 - u,
                binding=name == bind and u is not None,
                at=at,
            )
        )
    return tuple(out)


def _binding_id(result: Mapping[str, Any], index: tuple[int, ...] | int = ()) -> str | None:
    top = _f(result["max_utilization"], index)
    if not math.isfinite(top) and top != math.inf:
        return None
    return WALL_IDS[str(np.asarray(result["binding"], dtype=object)[index])]


def serving_plan(r: Mapping[str, Any], index: tuple[int, ...] | int = ()) -> ServingPlan:
    def f(key: str) -> float:
        return _f(r[key], index)

    return ServingPlan(
        gpus=int(f("gpus")),
        gpus_used=int(f("gpus_used")),
        tp=int(f("tp")),
        replicas=int(f("replicas")),
        users=int(f("users")),
        batch_per_replica=int(f("batch_per_replica")),
        context_tokens=int(f("context_tokens")),
        prompt_tokens=int(f("prompt_tokens")),
        tokens_per_s_per_user_target=f("tokens_per_s_per_user_target"),
        ttft_s_target=f("ttft_s_target"),
        decode_time_per_token_s=f("decode_time_per_token_s"),
        tokens_per_s_per_user=f("tokens_per_s_per_user"),
        ttft_s=f("ttft_s"),
        latency_utilization=f("latency_utilization"),
        usable_bytes_per_gpu=f("usable_bytes_per_gpu"),
        max_utilization=_opt(f("max_utilization")),
    )


def training_plan(r: Mapping[str, Any]) -> TrainingPlan:
    lay = r["layout"]
    return TrainingPlan(
        gpus=int(_f(r["gpus"])),
        layout=TrainingLayout(
            tp=int(lay["tp"]),
            pp=int(lay["pp"]),
            dp=int(lay["dp"]),
            cp=int(lay["cp"]),
            ep=int(lay["ep"]),
            micro_batch=int(lay["micro_batch"]),
            zero_stage=int(lay["zero_stage"]),
            recompute=(Recompute.none, Recompute.selective, Recompute.full)[int(lay["recompute"])],
            sequence_parallel=bool(lay["sequence_parallel"]),
        ),
        fits=bool(r["fits"]),
        step_time_s=_f(r["step_time_s"]),
        mfu=_f(r["mfu"]),
        tokens_per_s=_f(r["tokens_per_s"]),
        time_to_train_s=_f(r["time_to_train_s"]),
        gpu_hours=_f(r["gpu_hours"]),
        tokens=_f(r["tokens"]),
        seq_len=int(_f(r["seq_len"])),
        global_batch=int(_f(r["global_batch"])),
        usable_bytes_per_gpu=_f(r["usable_bytes_per_gpu"]),
        max_utilization=_opt(_f(r["max_utilization"])),
    )


# ------------------------------------------------------------------------------------------- sentences


def verdict(walls: Sequence[RangedWall], plan: ServingPlan | TrainingPlan, gpu_name: str) -> str:
    """One sentence naming the binding wall and why."""
    bind = next((w for w in walls if w.binding), None)
    if bind is None or bind.utilization is None:
        return "No wall has a limit to check."
    d, lim = figure(bind.demand, bind.unit), figure(bind.limit, bind.unit)
    serving = isinstance(plan, ServingPlan)
    if bind.wall == "memory_capacity":
        what = "weights + KV cache + reserve need" if serving else "the best layout needs"
        why = f"{what} {d} per GPU, the {gpu_name} has {lim} usable"
    elif bind.wall == "memory_bandwidth" and isinstance(plan, ServingPlan):
        why = (
            f"decode needs {d} per GPU for {numbers.sig(plan.tokens_per_s_per_user_target)} tokens/s per "
            f"user, the {gpu_name} gives {lim} achievable"
        )
    elif bind.wall == "compute":
        if isinstance(plan, ServingPlan):
            why = (
                f"prefilling a {tokens_text(plan.prompt_tokens)}-token prompt in "
                f"{numbers.duration(plan.ttft_s_target)} alongside decode needs {d} per GPU, the {gpu_name} "
                f"gives {lim} achievable"
            )
        else:
            why = f"training takes {d} against a deadline of {lim}"
    elif bind.wall == "interconnect":
        if serving:
            why = f"tensor-parallel all-reduces take {d} of each token's {lim} budget"
        else:
            why = f"exposed communication takes {d} per step against {lim} of compute"
    elif bind.wall == "site_power":
        why = f"the facility draws {d} against a site cap of {lim}"
    else:
        why = f"the plan costs {d} against a budget of {lim}"
    pct = numbers.percent(bind.utilization)
    head = (
        f"{bind.label} is hit first ({pct})"
        if bind.hit
        else f"no wall is hit; {bind.label} binds first at {pct}"
    )
    line = f"{head}: {why}."
    return line[0].upper() + line[1:]


def latency_finding(walls: Sequence[RangedWall], plan: ServingPlan | TrainingPlan) -> str | None:
    """When no single wall is hit but the decode step's parts add up to more than one token's time budget."""
    if not isinstance(plan, ServingPlan) or any(w.hit for w in walls) or not plan.latency_utilization > 1:
        return None
    return (
        f"But the decode step's parts add up to {numbers.duration(plan.decode_time_per_token_s)} per token, "
        f"over the {numbers.duration(1 / plan.tokens_per_s_per_user_target)} budget."
    )


def assumption_note(walls: Sequence[RangedWall], bind_low: str | None, bind_high: str | None) -> str | None:
    """What in the verdict depends on the assumptions: a wall hit at one end of the efficiency ranges and not
    at the other, or a different binding wall at the two ends."""
    parts = []
    for w in walls:
        if w.utilization_range is None or w.utilization is None:
            continue
        lo, hi = w.utilization_range
        if (lo > 1) == (hi > 1):
            continue
        if w.hit:
            parts.append(
                f"{w.label} is hit ({numbers.percent(w.utilization)}) but not with the optimistic "
                f"efficiencies ({numbers.percent(lo)})"
            )
        else:
            parts.append(
                f"{w.label} is not hit ({numbers.percent(w.utilization)}) but is with the pessimistic "
                f"efficiencies ({numbers.percent(hi)})"
            )
    if bind_low != bind_high:
        parts.append(
            f"the binding wall is {label(bind_low or '') or 'none'} with the pessimistic efficiencies and "
            f"{label(bind_high or '') or 'none'} with the optimistic ones"
        )
    return "The verdict depends on the assumptions: " + "; ".join(parts) + "." if parts else None


# ------------------------------------------------------------------------------------------------ walls


@dataclass(frozen=True)
class _Scenario:
    """What one evaluation needs beyond the efficiencies: built by walls(), used by its corner runs."""

    run: Callable[[eng.Efficiencies], dict[str, Any]]
    inputs: WallsInputs


def walls(
    model: str | ModelSpec,
    gpu: str | GpuSpec | None = None,
    *,
    cluster: str | ClusterSpec | None = None,
    gpus: int | None = None,
    train: bool = False,
    tp: int | None = None,
    users: int | None = None,
    context_tokens: int | None = None,
    prompt_tokens: int | None = None,
    tokens_per_s_per_user: float | None = None,
    ttft_s: float | None = None,
    weights: WeightFormat | str = WeightFormat.bf16,
    kv_dtype: KvFormat | str = KvFormat.bf16,
    tokens: float | None = None,
    deadline_s: float | None = None,
    global_batch: int | None = None,
    site_w: float | None = None,
    budget_usd: float | None = None,
    usd_per_gpu_hour: float | None = None,
    sweep: Sweep | None = None,
    uncertainty: Uncertainty | None = None,
    assumptions: eng.WallsAssumptions | None = None,
    assumptions_file: str | None = None,
    near_threshold: float | None = None,
    precision: TrainingPrecision | str | None = None,
    flash_attention: bool = True,
) -> WallsReport:
    """Every wall of one serving or training workload (``train=True``) side by side, the binding one named,
    with the utilisation range the efficiency assumptions allow; with ``sweep``, each wall along one axis.

    Serving: ``users`` concurrent sequences (default 1) of ``context_tokens`` (default 4k) spread over
    ``gpus // tp`` replicas; ``gpus`` defaults to the cluster's, else one replica; ``tp`` to the smallest that
    fits (one replica) or the one with the most headroom. Training: the fastest layout that fits ``gpus``
    (default the cluster's), ``tokens`` (default 20 per parameter) against ``deadline_s``. Site power cap
    ``site_w`` in W and ``budget_usd`` (per month when serving, per run when training) give the power and cost
    walls their limits. Efficiencies: ``uncertainty`` (ranges or pinned values) over an ``assumptions_file``
    over the defaults. Training only: ``precision``, the linear GEMMs' recipe (TrainingPrecision, default
    bf16; refused on a GPU without the format), and ``flash_attention`` (False for runs without it)."""
    with notices.collecting() as bag:
        weights, kv_dtype = (
            _choice(WeightFormat, weights, "weight format"),
            _choice(KvFormat, kv_dtype, "KV format"),
        )
        scenario = _scenario(
            model,
            gpu,
            cluster=cluster,
            gpus=gpus,
            train=train,
            tp=tp,
            users=users,
            context_tokens=context_tokens,
            prompt_tokens=prompt_tokens,
            tokens_per_s_per_user=tokens_per_s_per_user,
            ttft_s=ttft_s,
            weights=weights,
            kv_dtype=kv_dtype,
            tokens=tokens,
            deadline_s=deadline_s,
            global_batch=global_batch,
            site_w=site_w,
            budget_usd=budget_usd,
            usd_per_gpu_hour=usd_per_gpu_hour,
            sweep=sweep,
            uncertainty=uncertainty,
            assumptions=assumptions,
            assumptions_file=assumptions_file,
            near_threshold=near_threshold,
            precision=precision,
            flash_attention=flash_attention,
        )
        inputs = scenario.inputs
        corners = eng.corners({n: _engine_range(getattr(inputs.ranges, n)) for n in eng.UNCERTAIN})
        central = scenario.run(corners["central"])
        low = scenario.run(corners["pessimistic"])
        high = scenario.run(corners["optimistic"])
        if inputs.sweep is None:
            results, wall_list = _point_results(inputs, central, low, high)
        else:
            results, wall_list = _sweep_results(inputs, central, low, high)
    return WallsReport(inputs, results, wall_list, tuple(bag.warnings), tuple(bag.notes))


def _point_results(
    inputs: WallsInputs, central: dict[str, Any], low: dict[str, Any], high: dict[str, Any]
) -> tuple[WallsResults, tuple[RangedWall, ...]]:
    wl = ranged_walls(central, low, high, inputs.near_threshold)
    plan: ServingPlan | TrainingPlan = (
        serving_plan(central) if inputs.mode == "serving" else training_plan(central)
    )
    b_low, b_high = _binding_id(low), _binding_id(high)
    note = assumption_note(wl, b_low, b_high)
    latency = latency_finding(wl, plan)
    results = WallsResults(
        mode=inputs.mode,
        verdict=verdict(wl, plan, inputs.gpu),
        findings=(latency,) if latency else (),
        depends_on_assumptions=note is not None,
        assumption_note=note,
        binding=_binding_id(central),
        binding_pessimistic=b_low,
        binding_optimistic=b_high,
        plan=plan,
        sweep=None,
    )
    return results, wl


def _sweep_results(
    inputs: WallsInputs, central: dict[str, Any], low: dict[str, Any], high: dict[str, Any]
) -> tuple[WallsResults, tuple[RangedWall, ...]]:
    assert inputs.sweep is not None
    axis, values = inputs.sweep.axis, np.asarray(inputs.sweep.values, dtype=float)
    ans = {k: eng.sweep_answers(values, r) for k, r in (("c", central), ("lo", low), ("hi", high))}
    names = list(central["walls"])
    points = []
    for i, v in enumerate(values):
        plan_i: ServingPlan | TrainingPlan = (
            serving_plan(central, i) if inputs.mode == "serving" else training_plan(_point(central, i))
        )
        pw = tuple(
            PointWall(
                WALL_IDS[n],
                _opt(_f(central["walls"][n]["utilization"], i)),
                _opt(_f(low["walls"][n]["utilization"], i)),
                _opt(_f(high["walls"][n]["utilization"], i)),
            )
            for n in names
        )
        points.append(SweepPoint(float(v), _binding_id(central, i), pw, plan_i))
    per_wall = tuple(
        WallSweep(
            WALL_IDS[n],
            ans["c"]["first_hit"][n],
            ans["lo"]["first_hit"][n],
            ans["hi"]["first_hit"][n],
            ans["c"]["clear_from"][n],
        )
        for n in names
    )

    def ident(name: str | None) -> str | None:
        return WALL_IDS[name] if name else None

    feasible = ans["c"]["no_wall_hit"]
    sweep = SweepResults(
        axis=axis,
        values=tuple(float(v) for v in values),
        points=tuple(points),
        walls=per_wall,
        first_wall=ident(ans["c"]["first_wall"]),
        first_value=ans["c"]["first_value"],
        first_wall_pessimistic=ident(ans["lo"]["first_wall"]),
        first_value_pessimistic=ans["lo"]["first_value"],
        first_wall_optimistic=ident(ans["hi"]["first_wall"]),
        first_value_optimistic=ans["hi"]["first_value"],
        no_wall_hit=(feasible[0], feasible[1]) if feasible is not None else None,
    )
    # Each wall at its highest point of the sweep, so --check-style gates see a wall hit anywhere.
    worst: list[RangedWall] = []
    for n in names:
        u = np.asarray(central["walls"][n]["utilization"], dtype=float)
        i = len(values) - 1 if np.all(np.isnan(u)) else int(np.nanargmax(u))
        worst.extend(
            w
            for w in ranged_walls(central, low, high, inputs.near_threshold, i, at=float(values[i]))
            if w.wall == WALL_IDS[n]
        )
    last = len(values) - 1
    plan = points[last].plan
    note = None
    if sweep.first_wall_pessimistic != sweep.first_wall or sweep.first_wall_optimistic != sweep.first_wall:
        note = (
            "The first wall depends on the assumptions: "
            f"{label(sweep.first_wall_pessimistic or '') or 'none'} with pessimistic, "
            f"{label(sweep.first_wall_optimistic or '') or 'none'} with optimistic efficiencies."
        )
    results = WallsResults(
        mode=inputs.mode,
        verdict=_sweep_verdict(sweep),
        findings=_sweep_findings(sweep),
        depends_on_assumptions=note is not None,
        assumption_note=note,
        binding=points[last].binding,
        binding_pessimistic=_binding_id(low, last),
        binding_optimistic=_binding_id(high, last),
        plan=plan,
        sweep=sweep,
    )
    return results, tuple(worst)


def _point(result: Mapping[str, Any], i: int) -> dict[str, Any]:
    """Point i of a stacked training result (engine.walls.stack_points) as a scalar result."""
    out: dict[str, Any] = {}
    for k, v in result.items():
        if k == "walls":
            continue
        out[k] = v[i] if isinstance(v, list) else np.asarray(v)[i] if np.ndim(v) else v
    return out


def _sweep_verdict(s: SweepResults) -> str:
    how = {
        "context": "context grows",
        "users": "users grow",
        "gpus": "GPUs grow",
        "params": "the model grows (layers scaled)",
    }[s.axis]

    def val(v: float | None, none: str) -> str:
        return axis_value_text(s.axis, v) if v is not None else none

    if s.first_wall is None or s.first_value is None:
        return f"No wall is hit for {s.axis} {val(s.values[0], '-')}..{val(s.values[-1], '-')}."
    fw = s.first_wall
    lo = next(w.first_hit_pessimistic for w in s.walls if w.wall == fw)
    hi = next(w.first_hit_optimistic for w in s.walls if w.wall == fw)
    rng = f" ({val(lo, '-')} with pessimistic, {val(hi, 'not in range')} with optimistic efficiencies)"
    return f"As {how}, {label(fw)} is hit first, at {s.axis} {val(s.first_value, '-')}{rng}."


def _sweep_findings(s: SweepResults) -> tuple[str, ...]:
    if s.first_wall is None:
        return ()
    if s.no_wall_hit is None:
        return (f"Some wall is hit at every {s.axis} in the sweep.",)
    a, b = (axis_value_text(s.axis, v) for v in s.no_wall_hit)
    span = f"at {s.axis} {a}" if a == b else f"for {s.axis} {a}..{b}"
    return (f"No wall is hit {span} (central assumptions).",)


def _scenario(
    model: str | ModelSpec,
    gpu: str | GpuSpec | None,
    *,
    cluster: str | ClusterSpec | None,
    gpus: int | None,
    train: bool,
    tp: int | None,
    users: int | None,
    context_tokens: int | None,
    prompt_tokens: int | None,
    tokens_per_s_per_user: float | None,
    ttft_s: float | None,
    weights: WeightFormat,
    kv_dtype: KvFormat,
    tokens: float | None,
    deadline_s: float | None,
    global_batch: int | None,
    site_w: float | None,
    budget_usd: float | None,
    usd_per_gpu_hour: float | None,
    sweep: Sweep | None,
    uncertainty: Uncertainty | None,
    assumptions: eng.WallsAssumptions | None,
    assumptions_file: str | None,
    near_threshold: float | None,
    precision: TrainingPrecision | str | None = None,
    flash_attention: bool = True,
) -> _Scenario:
    """Validate and resolve everything one evaluation needs, and the function that runs it at a corner."""
    axis = sweep.axis if sweep is not None else None
    values = np.asarray(sweep.values, dtype=float) if sweep is not None else np.zeros(0)
    if sweep is not None and (not values.size or np.any(np.diff(values) <= 0) or np.any(values <= 0)):
        raise InputError("a sweep needs positive values in ascending order without repeats")
    if train and axis == "users":
        raise InputError("a users sweep is for serving; training sweeps context, gpus or params")
    if train and tp is not None:
        raise InputError("a tensor-parallel degree is for serving; training searches the layout")
    if not train:
        given = [
            n
            for n, v in (("tokens", tokens), ("deadline", deadline_s), ("global batch", global_batch))
            if v is not None
        ]
        if given:
            raise InputError(f"training {', '.join(given)} given for a serving workload; ask for training")
        if precision is not None or not flash_attention:
            raise InputError("training precision and FlashAttention are training settings; ask for training")
    for what, v in (
        ("site power cap", site_w),
        ("budget", budget_usd),
        ("price per GPU-hour", usd_per_gpu_hour),
        ("deadline", deadline_s),
        ("training tokens", tokens),
        ("tokens/s per user", tokens_per_s_per_user),
        ("time to first token", ttft_s),
    ):
        if v is not None and not (math.isfinite(v) and v > 0):
            raise InputError(f"the {what} must be a positive number, got {v!r}")
    for what, n in (
        ("GPU count", gpus),
        ("users", users),
        ("context", context_tokens),
        ("prompt", prompt_tokens),
    ):
        if n is not None and n < 1:
            raise InputError(f"the {what} must be at least 1, got {n!r}")
    if gpus is not None and gpus > MAX_GPUS:
        raise InputError(f"{gpus:,} GPUs is absurd (more than 10 million GPUs)")

    ranges, wa = resolve_assumptions(
        assumptions_file=assumptions_file,
        uncertainty=uncertainty,
        walls_assumptions=assumptions,
        near_threshold=near_threshold,
    )
    spec: ModelSpec = _profile("model", model)
    cl: ClusterSpec | None = _profile("cluster", cluster) if cluster is not None else None
    g: GpuSpec | None = _profile("gpu", gpu) if gpu is not None else None
    if train:
        from llmwalls.api._planning import training_hardware, training_precision

        cl, g = training_hardware(cl, g)  # no cluster: the default training cluster's nodes, warned
        prec = training_precision(precision, g)
    elif g is None:
        if cl is None:
            raise InputError("give a GPU (e.g. h100) or a cluster (e.g. dgx-h100)")
        g = _profile("gpu", cl.gpu)
    elif cl is not None and _profile("gpu", cl.gpu).name != g.name:
        notices.warn(
            f"{g.name} in {cl.name}'s nodes: its node power, PUE, racks and network are kept, the scale-up "
            f"bandwidth is the {g.name}'s own"
        )
        cl = eng.cluster_for_gpu(cl, g)
    assert g is not None
    ranges = eng.resolve_ranges(ranges, g, weights.value)
    site, price, price_source = site_and_price(
        g, cl, site_w=site_w, budget_usd=budget_usd, usd_per_gpu_hour=usd_per_gpu_hour
    )
    if site_w is not None:
        for text in site.notes:
            notices.warn(text)

    def specs_for(vals: np.ndarray) -> list[ModelSpec]:
        return [eng.scaled_model(spec, float(v)) for v in vals]

    common = dict(
        model=spec.name,
        gpu=g.name,
        cluster=cl.name if cl else None,
        weights=weights,
        kv_dtype=kv_dtype,
        site_w=site_w,
        budget_usd=budget_usd,
        usd_per_gpu_hour=price,
        price_source=price_source,
        sweep=sweep,
        near_threshold=wa.near_threshold,
        ranges=_uncertainty(ranges),
        assumptions=wa,
    )
    run: Callable[[eng.Efficiencies], dict[str, Any]]
    if not train:
        n_users = 1 if users is None else int(users)
        ctx = (
            int(context_tokens)
            if context_tokens is not None
            else min(DEFAULT_CONTEXT_TOKENS, spec.max_context_tokens)
        )
        tps = wa.tokens_per_s_per_user if tokens_per_s_per_user is None else tokens_per_s_per_user
        ttft = wa.ttft_s if ttft_s is None else ttft_s
        if n_users > MAX_USERS or tps > MAX_TOKENS_PER_S_PER_USER:
            raise InputError("the users or the tokens/s per user are absurd")
        n_gpus = gpus if gpus is not None else (cl.total_gpus if cl else None)
        if tp is not None:
            if tp < 1 or spec.attention_heads % tp:
                raise InputError(
                    f"tensor-parallel degree {tp} does not divide {spec.name}'s {spec.attention_heads} "
                    "attention heads"
                )
            if tp > 1 and not g.scale_up_bandwidth_bytes_per_s:
                raise InputError(
                    f"{g.name} has no scale-up link in its profile: tensor parallelism needs one"
                )
            chosen_tp = tp
        else:
            chosen_tp = eng.best_tp(
                spec,
                g,
                site,
                gpus=n_gpus if n_gpus is not None else site.domain_gpus,
                users=n_users,
                context_tokens=ctx,
                prompt_tokens=prompt_tokens,
                tokens_per_s_per_user=tps,
                ttft_s=ttft,
                weights=weights.value,
                kv_dtype=kv_dtype.value,
                assumptions=wa,
            )
            if n_gpus is None:  # one replica: the smallest TP that fits (memory) is the one-replica answer
                chosen_tp = eng.choose_tp(
                    spec,
                    g,
                    users=n_users,
                    context_tokens=ctx,
                    gpus=None,
                    domain_gpus=site.domain_gpus,
                    weights=weights.value,
                    kv_dtype=kv_dtype.value,
                )
        if n_gpus is None:
            n_gpus = chosen_tp
        if n_gpus < chosen_tp:
            raise InputError(
                f"{n_gpus:,} GPUs are fewer than one replica's tensor-parallel degree {chosen_tp}"
            )
        if ctx > spec.max_context_tokens:
            notices.warn(
                f"context {ctx:,} is above {spec.name}'s maximum of {spec.max_context_tokens:,}; "
                "computed anyway"
            )
        point: dict[str, Any] = {"gpus": n_gpus, "users": n_users, "context_tokens": ctx}
        if axis is not None and axis != "params":
            point[{"context": "context_tokens"}.get(axis, axis)] = values
            if axis == "context" and values.max() > spec.max_context_tokens:
                notices.warn(
                    f"the sweep goes past {spec.name}'s maximum context of {spec.max_context_tokens:,}"
                )
            if axis == "gpus" and values.min() < chosen_tp:
                raise InputError(
                    f"the GPU sweep starts below one replica's tensor-parallel degree {chosen_tp}"
                )
        kw: dict[str, Any] = {
            "tp": chosen_tp,
            "prompt_tokens": prompt_tokens,
            "tokens_per_s_per_user": tps,
            "ttft_s": ttft,
            "weights": weights.value,
            "kv_dtype": kv_dtype.value,
            "assumptions": wa,
        }

        def run_serving(eff: eng.Efficiencies) -> dict[str, Any]:
            if axis == "params":
                pts = [eng.serving_walls(s, g, site, eff=eff, **point, **kw) for s in specs_for(values)]
                return eng.stack_points(pts)
            return eng.serving_walls(spec, g, site, eff=eff, **point, **kw)

        run = run_serving
        inputs = WallsInputs(
            mode="serving",
            gpus=int(n_gpus),
            tp=int(chosen_tp),
            users=n_users,
            context_tokens=ctx,
            prompt_tokens=min(prompt_tokens, ctx) if prompt_tokens is not None else ctx,
            tokens_per_s_per_user=tps,
            ttft_s=ttft,
            global_batch=None,
            tokens=None,
            deadline_s=None,
            **common,  # type: ignore[arg-type]
        )
    else:
        from llmwalls.api._planning import training_run

        assert cl is not None
        train_cl, train_gpu = cl, g
        if (
            users is not None
            or prompt_tokens is not None
            or tokens_per_s_per_user is not None
            or ttft_s is not None
        ):
            raise InputError("users, prompt, tokens/s per user and TTFT are serving targets, not training's")
        # The run's inputs with the defaults of a planned run (api._planning.training_run): the cluster's
        # GPUs, 8k context capped at the model's maximum, 16Mi-token batches, 20 tokens per parameter.
        base = training_run(
            spec, cl, gpus=gpus, train_tokens=tokens, seq_len=context_tokens, global_batch=global_batch
        )

        def one(s: ModelSpec, n: float, q: float, eff: eng.Efficiencies) -> dict[str, Any]:
            r = training_run(
                s, train_cl, gpus=int(n), train_tokens=tokens, seq_len=int(q), global_batch=global_batch
            )
            return eng.training_walls(
                s,
                train_gpu,
                train_cl,
                site,
                gpus=r.gpus,
                seq_len=r.seq_len,
                global_batch=r.global_batch,
                tokens=r.train_tokens,
                deadline_s=deadline_s,
                eff=eff,
                assumptions=wa,
                precision=prec.value,
                flash_attention=flash_attention,
            )

        n_gpus, seq = base.gpus, base.seq_len

        def run_training(eff: eng.Efficiencies) -> dict[str, Any]:
            if axis is None:
                return one(spec, n_gpus, seq, eff)
            if axis == "context":
                return eng.stack_points([one(spec, n_gpus, v, eff) for v in values])
            if axis == "gpus":
                return eng.stack_points([one(spec, v, seq, eff) for v in values])
            return eng.stack_points([one(s, n_gpus, seq, eff) for s in specs_for(values)])

        run = run_training
        inputs = WallsInputs(
            mode="training",
            gpus=n_gpus,
            tp=None,
            users=None,
            context_tokens=seq,
            prompt_tokens=None,
            tokens_per_s_per_user=None,
            ttft_s=None,
            global_batch=global_batch if axis == "context" else base.global_batch,
            tokens=tokens if axis == "params" else base.train_tokens,
            deadline_s=deadline_s,
            precision=prec,
            flash_attention=flash_attention,
            **common,  # type: ignore[arg-type]
        )
    return _Scenario(run, inputs)
