"""A hardware roadmap audited quarter by quarter: every workload against every wall over the horizon (18
months by default), the first quarter and wall each workload starves on (also with the pessimistic
efficiencies), and what extra GPUs, power and money would fix it.

    >>> from llmwalls import api
    >>> report = api.audit("profiles/roadmaps/example.toml")
    >>> report.results.verdict

The roadmap format and its checks (every problem reported at its place in the file) are llmwalls.roadmap; the
walls of each workload and quarter are llmwalls.engine.walls, evaluated at the three corners of the efficiency
ranges as `walls` does. Nothing here prints.

Extending the audit (more row kinds, fleets): a row is a :class:`QuarterRow` (one workload in one quarter),
a workload's answer a :class:`WorkloadSummary` and its remedy a :class:`Fix`; each is evaluated by one
function (_serving_row, _training_row, _fix) so a new kind adds one function and leaves the report's shape
alone.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, cast

import numpy as np

from llmwalls import notices
from llmwalls.api._walls import (
    RangedWall,
    TrainingLayout,
    Uncertainty,
    _uncertainty,
    label,
    ranged_walls,
    resolve_assumptions,
    site_and_price,
    training_plan,
)
from llmwalls.engine import walls as eng
from llmwalls.errors import InputError
from llmwalls.roadmap import RoadmapError, RoadmapSpec, Workload, load_roadmap, quarter_index, quarter_name

if TYPE_CHECKING:
    from llmwalls.roadmap import Hardware
    from llmwalls.specs import ClusterSpec, GpuSpec, ModelSpec

# Node, fabric and facility figures when a hardware entry names no cluster (adapted to the entry's GPU).
DEFAULT_CLUSTER = "dgx-h100"
# Serving context when a workload gives none (tokens).
DEFAULT_CONTEXT_TOKENS = 4096


@dataclass(frozen=True)
class AuditWall(RangedWall):
    """The wall a starving workload hits first, in the quarter it first starves."""

    workload: str = ""
    quarter: str = ""


@dataclass(frozen=True)
class AuditInputs:
    roadmap: str
    name: str
    months: int
    quarters: tuple[str, ...]
    near_threshold: float
    assumptions: eng.WallsAssumptions
    ranges: Uncertainty


@dataclass(frozen=True)
class QuarterRow:
    """One workload in one quarter: its share of the fleet, its model, its load and every wall."""

    workload: str
    kind: Literal["serving", "training"]
    quarter: str
    gpu: str
    gpus: int
    model: str
    site_w: float | None  # this workload's share of the site cap
    budget_usd: float | None  # per month (serving) or for the run (training)
    users: int | None
    context_tokens: int
    tp: int | None
    tokens: float | None
    layout: TrainingLayout | None
    time_to_train_s: float | None
    walls: tuple[RangedWall, ...]
    binding: str | None
    hit: tuple[str, ...]
    first_wall: str | None  # the hit wall with the highest utilisation
    pool: str | None = None  # the [[pools]] entry it runs on (None: the [[hardware]] of the quarter)
    requests_per_s: float | None = None  # a request-rate workload's rate this quarter (users is None then)


@dataclass(frozen=True)
class Fix:
    """What brings every wall of the starving quarter under 1: GPUs for the GPU-bound walls (memory,
    bandwidth, compute, interconnect) at the best TP, then the facility power and money those GPUs need."""

    quarter: str
    gpus_now: int
    gpus_needed: float | None  # None: no GPU count fixes it (see note)
    tp: int | None
    extra_gpus: float
    gpus_plan: float
    facility_w_needed: float
    extra_w: float | None  # above the site cap; None without a cap
    usd_needed: float | None
    extra_usd: float | None  # above the budget; None without a budget
    usd_unit: Literal["USD/month", "USD"]
    note: str | None


@dataclass(frozen=True)
class Remedy:
    """One way to keep a starving workload within its walls, evaluated by the engines from the quarter it
    starves to the end of the horizon (fleet roadmaps: llmwalls.api._fleet)."""

    remedy: Literal["more_gpus", "move_pool", "fp8_weights", "fp8_kv", "context_cap"]
    description: str
    clears: bool  # every wall under 1 in the quarter the workload starves
    holds_until: str | None  # the last quarter through which every wall stays under 1 (None: does not clear)
    extra_gpus: int
    extra_usd_per_month: float | None  # at the GPUs' $/GPU-hour; None when unknown
    extra_w: float | None  # facility power; None when unknown (no TDP)


@dataclass(frozen=True)
class WorkloadSummary:
    workload: str
    kind: Literal["serving", "training"]
    starves: bool
    quarter: str | None
    wall: str | None
    quarter_pessimistic: str | None
    wall_pessimistic: str | None
    fix: Fix | None
    remedies: tuple[Remedy, ...] = ()  # fleets: every remedy tried, the cheapest that holds longest first


@dataclass(frozen=True)
class AuditResults:
    verdict: str
    starves: bool
    rows: tuple[QuarterRow, ...]
    summary: tuple[WorkloadSummary, ...]  # starving workloads first, earliest quarter first


@dataclass(frozen=True)
class AuditReport:
    inputs: AuditInputs
    results: AuditResults
    walls: tuple[AuditWall, ...]
    warnings: tuple[str, ...]
    notes: tuple[str, ...]


# ------------------------------------------------------------------------------------------------ audit


def audit(
    roadmap: str | RoadmapSpec,
    *,
    months: int = 18,
    uncertainty: Uncertainty | None = None,
    assumptions: eng.WallsAssumptions | None = None,
    assumptions_file: str | None = None,
    where: str | None = None,
) -> AuditReport:
    """Every workload x quarter of a roadmap (a TOML file or a validated RoadmapSpec) over ``months`` against
    every wall. Efficiencies: the roadmap's [uncertainty] and [walls] tables, replaced by an
    ``assumptions_file``'s, then by ``uncertainty`` / ``assumptions``. Problems are a RoadmapError listing
    each at its place (``where`` names the roadmap in them)."""
    if isinstance(months, bool) or not 1 <= int(months) <= 120:
        raise InputError(f"the horizon must be 1 to 120 months, got {months!r}")
    with notices.collecting() as bag:
        if isinstance(roadmap, str):
            where = where or roadmap
            spec = load_roadmap(roadmap)
        else:
            spec, where = roadmap, where or "roadmap"
        from llmwalls.roadmap import ranges_from

        base_walls = {
            k: v for k, v in (spec.walls.model_dump() if spec.walls else {}).items() if v is not None
        }
        ranges, wa = resolve_assumptions(
            assumptions_file=assumptions_file,
            uncertainty=uncertainty,
            walls_assumptions=assumptions,
            base_ranges=ranges_from(spec.uncertainty, where),
            base_walls=base_walls,
        )
        start = quarter_index(spec.start.upper())
        quarters = [start + k for k in range(max(1, math.ceil(int(months) / 3)))]
        rows, summary, problems = _audit(spec, quarters, ranges, wa)
        if problems:
            raise RoadmapError(where, problems)
        order = sorted(summary, key=lambda s: (not s.starves, quarter_index(s.quarter) if s.quarter else 0))
        walls = tuple(_starving_wall(s, rows) for s in order if s.starves)
        inputs = AuditInputs(
            roadmap=where,
            name=spec.name,
            months=int(months),
            quarters=tuple(quarter_name(q) for q in quarters),
            near_threshold=wa.near_threshold,
            assumptions=wa,
            ranges=_uncertainty(ranges),
        )
        results = AuditResults(
            verdict=_verdict(order, int(months)),
            starves=any(s.starves for s in order),
            rows=tuple(rows),
            summary=tuple(order),
        )
    return AuditReport(inputs, results, walls, tuple(bag.warnings), tuple(bag.notes))


def _verdict(summary: list[WorkloadSummary], months: int) -> str:
    starving = [s for s in summary if s.starves]
    if not starving:
        return f"No workload starves within {months} months."
    first = starving[0]
    then = ", ".join(f"{s.workload} ({label(s.wall or '')}, {s.quarter})" for s in starving[1:])
    return f"{first.workload} starves first: {label(first.wall or '')} in {first.quarter}" + (
        f"; then {then}." if then else "."
    )


def _starving_wall(s: WorkloadSummary, rows: list[QuarterRow]) -> AuditWall:
    row = next(r for r in rows if r.workload == s.workload and r.quarter == s.quarter)
    w = next(w for w in row.walls if w.wall == s.wall)
    fields = {k: getattr(w, k) for k in w.__dataclass_fields__}
    return AuditWall(**fields, workload=s.workload, quarter=row.quarter)


def _hardware_at(spec: RoadmapSpec, qi: int) -> tuple[int, Hardware]:
    """The hardware entry in force in quarter qi (the last one starting at or before it)."""
    chosen = [(i, h) for i, h in enumerate(spec.hardware) if quarter_index(h.quarter.upper()) <= qi]
    if not chosen:  # the first entry covers the start (checked on load); a spec built in code may not
        raise InputError(f"no hardware entry covers {quarter_name(qi)}")
    return chosen[-1]


def _model_at(w: Workload, qi: int) -> str:
    name = w.model
    for u in w.upgrades:
        if quarter_index(u.quarter.upper()) <= qi:
            name = u.model
    return name


def _shares(spec: RoadmapSpec) -> list[float | None]:
    """Workloads without share or gpus split what the others leave of the fleet equally."""
    given = sum(w.share for w in spec.workloads if w.share is not None)
    free = [w for w in spec.workloads if w.share is None and w.gpus is None]
    rest = max(0.0, 1.0 - given) / len(free) if free else 0.0
    return [
        w.share if w.share is not None else (None if w.gpus is not None else rest) for w in spec.workloads
    ]


def _tokens_of(value: int | str, what: str) -> int:
    from llmwalls.units import parse_tokens

    return parse_tokens(value, what) if isinstance(value, str) else int(value)


@dataclass(frozen=True)
class _Quarter:
    """What one workload has in one quarter: hardware, site, model and the corner efficiencies."""

    index: int  # quarters since the start
    qi: int
    gpu: GpuSpec
    cluster: ClusterSpec
    gpus: int
    site: eng.Site
    model: ModelSpec
    corners: Mapping[str, eng.Efficiencies]


def _audit(
    spec: RoadmapSpec, quarters: list[int], ranges: Mapping[str, Any], wa: eng.WallsAssumptions
) -> tuple[list[QuarterRow], list[WorkloadSummary], list[str]]:
    from llmwalls import catalogue
    from llmwalls.units import MEGA

    if spec.pools:  # a fleet: several pools at once, workloads pinned or placed (llmwalls.api._fleet)
        from llmwalls.api._fleet import fleet_audit

        return fleet_audit(spec, quarters, ranges, wa)
    shares = _shares(spec)
    problems: list[str] = []
    rows: list[QuarterRow] = []
    summary: list[WorkloadSummary] = []
    for wi, w in enumerate(spec.workloads):
        if (
            w.kind == "training"
            and w.quarter is not None
            and quarter_index(w.quarter.upper()) not in quarters
        ):
            notices.note(
                f"{w.name} starts in {w.quarter}, outside the {quarter_name(quarters[0])}.."
                f"{quarter_name(quarters[-1])} horizon: not audited (see --months)"
            )
        starve: tuple[_Quarter, QuarterRow] | None = None
        starve_pess: tuple[int, str] | None = None
        for k, qi in enumerate(quarters):
            if w.kind == "training" and qi != quarter_index((w.quarter or "").upper()):
                continue
            hi_idx, hw = _hardware_at(spec, qi)
            gpu = cast("GpuSpec", catalogue.load("gpu", hw.gpu, announce=False))
            cl = eng.cluster_for_gpu(
                cast("ClusterSpec", catalogue.load("cluster", hw.cluster or DEFAULT_CLUSTER, announce=False)),
                gpu,
            )
            if hw.cluster is None:
                notices.note(
                    f"hardware[{hi_idx}] ({hw.gpu}) names no cluster: {DEFAULT_CLUSTER}'s node, fabric and "
                    "facility figures are used with the GPU's own scale-up bandwidth"
                )
            share = shares[wi]
            gpus = w.gpus if w.gpus is not None else int(math.floor((share or 0.0) * hw.gpus))
            if gpus < 1:
                problems.append(
                    f"workloads[{wi}] ({w.name}): its share of hardware[{hi_idx}]'s {hw.gpus} GPUs is less "
                    "than one GPU"
                )
                continue
            if w.gpus is not None and gpus > hw.gpus:
                notices.warn(
                    f"{w.name} asks for {gpus:,} GPUs in {quarter_name(qi)}, more than the fleet's "
                    f"{hw.gpus:,}"
                )
            frac = gpus / hw.gpus
            site_w = hw.site_mw * MEGA * frac if hw.site_mw is not None else None
            if w.kind == "serving":
                budget = hw.budget_usd_per_month * frac if hw.budget_usd_per_month is not None else None
            else:
                budget = w.budget_usd
            site, _, _ = site_and_price(
                gpu, cl, site_w=site_w, budget_usd=budget, usd_per_gpu_hour=hw.usd_per_gpu_hour
            )
            q = _Quarter(
                index=k,
                qi=qi,
                gpu=gpu,
                cluster=cl,
                gpus=gpus,
                site=site,
                model=cast("ModelSpec", catalogue.load("model", _model_at(w, qi), announce=False)),
                corners=eng.corners(eng.resolve_ranges(dict(ranges), gpu, w.weights)),
            )
            try:
                row = _serving_row(w, q, wa) if w.kind == "serving" else _training_row(w, q, wa)
            except InputError as exc:
                problems.append(f"workloads[{wi}] ({w.name}) in {quarter_name(qi)}: {exc}")
                continue
            if row is None:
                continue
            rows.append(row)
            if row.hit and starve is None:
                starve = (q, row)
            pess = [x for x in row.walls if x.utilization_range is not None and x.utilization_range[1] > 1]
            if pess and starve_pess is None:
                worst = max(pess, key=lambda x: x.utilization_range[1] if x.utilization_range else 0.0)
                starve_pess = (qi, worst.wall)
        summary.append(
            WorkloadSummary(
                workload=w.name,
                kind=w.kind,
                starves=starve is not None,
                quarter=starve[1].quarter if starve else None,
                wall=starve[1].first_wall if starve else None,
                quarter_pessimistic=quarter_name(starve_pess[0]) if starve_pess else None,
                wall_pessimistic=starve_pess[1] if starve_pess else None,
                fix=_fix(w, *starve, wa) if starve else None,
            )
        )
    return rows, summary, problems


def _row(
    w: Workload, q: _Quarter, res: Mapping[str, Any], wa: eng.WallsAssumptions, **load: Any
) -> QuarterRow:
    walls = ranged_walls(res["central"], res["pessimistic"], res["optimistic"], wa.near_threshold)
    hit = [x for x in walls if x.hit]
    binding = next((x.wall for x in walls if x.binding), None)
    return QuarterRow(
        workload=w.name,
        kind=w.kind,
        quarter=quarter_name(q.qi),
        gpu=q.gpu.name,
        gpus=q.gpus,
        model=q.model.name,
        site_w=q.site.site_w,
        budget_usd=q.site.budget_usd,
        walls=walls,
        binding=binding,
        hit=tuple(x.wall for x in hit),
        first_wall=max(hit, key=lambda x: x.utilization or 0.0).wall if hit else None,
        **load,
    )


def _serving_row(w: Workload, q: _Quarter, wa: eng.WallsAssumptions) -> QuarterRow:
    users = float(w.users or 0.0) * (1.0 + w.users_growth_per_quarter) ** q.index
    users = max(1.0, math.ceil(users - 1e-9))
    ctx0 = _tokens_of(w.context, "context") if w.context is not None else DEFAULT_CONTEXT_TOKENS
    ctx = int(round(ctx0 * (1.0 + w.context_growth_per_quarter) ** q.index))
    prompt = _tokens_of(w.prompt, "prompt") if w.prompt is not None else None
    if ctx > q.model.max_context_tokens:
        notices.warn(
            f"{w.name} in {quarter_name(q.qi)}: context {ctx:,} is above {q.model.name}'s maximum of "
            f"{q.model.max_context_tokens:,}"
        )
    kw: dict[str, Any] = {
        "users": users,
        "context_tokens": ctx,
        "prompt_tokens": prompt,
        "tokens_per_s_per_user": w.tokens_per_s_per_user,
        "ttft_s": w.ttft_s,
        "weights": w.weights,
        "kv_dtype": w.kv_dtype,
        "assumptions": wa,
    }
    tp = eng.best_tp(q.model, q.gpu, q.site, gpus=q.gpus, **kw)
    res = {
        c: eng.serving_walls(q.model, q.gpu, q.site, gpus=q.gpus, tp=tp, eff=e, **kw)
        for c, e in q.corners.items()
    }
    return _row(
        w,
        q,
        res,
        wa,
        users=int(users),
        context_tokens=ctx,
        tp=tp,
        tokens=None,
        layout=None,
        time_to_train_s=None,
    )


def _training_row(w: Workload, q: _Quarter, wa: eng.WallsAssumptions) -> QuarterRow | None:
    from llmwalls.engine.model import param_counts
    from llmwalls.engine.plan import default_global_batch, default_seq_len
    from llmwalls.units import SECONDS_PER_DAY, parse_count

    seq = _tokens_of(w.context, "context") if w.context is not None else default_seq_len(q.model)
    tokens = parse_count(w.tokens, "tokens") if isinstance(w.tokens, str) else float(w.tokens or 0.0)
    if tokens < 1 or param_counts(q.model).total <= 0:
        return None
    deadline = w.deadline_days * SECONDS_PER_DAY if w.deadline_days is not None else None
    res = {
        c: eng.training_walls(
            q.model,
            q.gpu,
            q.cluster,
            q.site,
            gpus=q.gpus,
            seq_len=seq,
            global_batch=default_global_batch(seq),
            tokens=tokens,
            deadline_s=deadline,
            eff=e,
            assumptions=wa,
        )
        for c, e in q.corners.items()
    }
    plan = training_plan(res["central"])
    return _row(
        w,
        q,
        res,
        wa,
        users=None,
        context_tokens=seq,
        tp=None,
        tokens=tokens,
        layout=plan.layout,
        time_to_train_s=plan.time_to_train_s,
    )


def _fix(w: Workload, q: _Quarter, row: QuarterRow, wa: eng.WallsAssumptions) -> Fix:
    """What extra hardware, power or money would bring every wall of the starving quarter under 1."""
    walls = {x.wall: x for x in row.walls}
    site = q.site
    note: str | None = None
    tp: int | None = None
    if w.kind == "serving":
        need = eng.serving_gpus_needed(
            q.model,
            q.gpu,
            site,
            users=float(row.users or 1),
            context_tokens=row.context_tokens,
            prompt_tokens=_tokens_of(w.prompt, "prompt") if w.prompt is not None else None,
            tokens_per_s_per_user=w.tokens_per_s_per_user,
            ttft_s=w.ttft_s,
            weights=w.weights,
            kv_dtype=w.kv_dtype,
            assumptions=wa,
        )
        if need["found"]:
            gpus_needed: float | None = float(need["gpus"])
            tp = int(need["tp"])
        else:
            gpus_needed = None
            note = (
                f"no GPU count fixes it: even one replica at the largest TP in the {site.domain_gpus}-GPU "
                f"scale-up domain misses the per-user targets on {q.gpu.name}; a faster GPU, a smaller model "
                "or a lower target is needed"
            )
    else:
        gpus_needed = float(row.gpus)
        comp = walls["compute"].utilization if "compute" in walls else None
        if comp is not None and comp > 1:
            # time to train ~ 1 / GPUs at a fixed layout efficiency: a first-order estimate (MFU falls with
            # scale), rounded up to whole nodes
            gpus_needed = float(math.ceil(row.gpus * comp / site.gpus_per_node) * site.gpus_per_node)
            note = (
                "GPUs for the deadline assume time scales as 1/GPUs (MFU falls with scale: check with "
                "`llmwalls cluster --gpus N`)"
            )
        cap = walls.get("memory_capacity")
        if cap is not None and cap.hit:
            note = (
                "no layout of this model fits these GPUs' memory; more GPUs (deeper PP/ZeRO sharding) or "
                "GPUs with more HBM: `llmwalls cluster --search`"
            )
    # Keep the GPUs there are and add what the GPU-bound walls need; power and money are priced on that.
    gpus_plan = max(float(row.gpus), gpus_needed if gpus_needed is not None else float(row.gpus))
    power_needed = float(np.asarray(eng.facility_w(gpus_plan, site, wa)))
    usd_needed = extra_usd = None
    if site.budget_usd is not None and site.usd_per_gpu_hour is not None:
        if w.kind == "serving":
            usd_needed = gpus_plan * eng.HOURS_PER_MONTH * site.usd_per_gpu_hour
        else:  # GPU-hours stay about the same when the run is spread over more GPUs (first order)
            usd_needed = walls["cost"].demand if "cost" in walls else None
        extra_usd = max(0.0, usd_needed - site.budget_usd) if usd_needed is not None else None
    return Fix(
        quarter=row.quarter,
        gpus_now=row.gpus,
        gpus_needed=gpus_needed,
        tp=tp,
        extra_gpus=max(0.0, (gpus_needed or 0.0) - row.gpus),
        gpus_plan=gpus_plan,
        facility_w_needed=power_needed,
        extra_w=max(0.0, power_needed - site.site_w) if site.site_w is not None else None,
        usd_needed=usd_needed,
        extra_usd=extra_usd,
        usd_unit="USD/month" if w.kind == "serving" else "USD",
        note=note,
    )
