"""The audit of a fleet: several pools live at once ([[pools]] of a roadmap), at sites with their own power
caps and budgets, and workloads pinned to a pool (moving with [[workloads.moves]]) or placed by the audit.

Placement rule, each quarter: pinned workloads take their GPUs first (file order); then the workloads placed
by the audit, by priority (highest first, then file order), each on the cheapest live pool (its $/GPU-hour)
with room for its GPUs where none of its walls is hit (every wall: memory, bandwidth, compute, interconnect,
its share of the site's power and budget, and its tokens/s and time-to-first-token targets). A workload stays
on last quarter's pool while that pool still meets its walls. When no pool meets them, it goes where its
highest utilisation is lowest (so the audit shows what starves it).

Shares: a workload's `share` is of its pool's GPUs; pinned workloads with neither `share` nor `gpus` split
what the others leave of their pool equally. A site's power cap is divided among the workloads on it in
proportion to their GPUs' TDP (the GPUs of every live pool at the site count, idle ones included: they are
provisioned), its monthly budget in proportion to their GPUs' $/GPU-hour. A recurring training run
(`every_months`) is evaluated in every quarter from its first, and must finish before the next run starts:
its deadline defaults to the period.

Each row is evaluated exactly as the single-fleet audit evaluates one (llmwalls.api._audit); this module
only decides which GPUs, site power and budget each workload has.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, cast

from llmwalls import notices
from llmwalls.engine import walls as eng
from llmwalls.errors import InputError
from llmwalls.roadmap import quarter_index, quarter_name

if TYPE_CHECKING:
    from collections.abc import Mapping

    from llmwalls.api._audit import Fix, QuarterRow, Remedy, WorkloadSummary, _Quarter
    from llmwalls.api._walls import RangedWall
    from llmwalls.engine import serving as sv
    from llmwalls.roadmap import Pool, RoadmapSpec, Workload
    from llmwalls.specs import ClusterSpec, GpuSpec

DAYS_PER_MONTH = 365.25 / 12  # a recurring run's period in days (mean Gregorian month)


@dataclass(frozen=True)
class _Live:
    """One pool entry live in a quarter, resolved."""

    index: int  # in the roadmap's pools list
    pool: Pool
    gpu: GpuSpec
    cluster: ClusterSpec
    price: float  # $/GPU-hour


def _live_pools(spec: RoadmapSpec, qi: int, cache: dict[int, _Live]) -> list[_Live]:
    from llmwalls import catalogue
    from llmwalls.api._audit import DEFAULT_CLUSTER
    from llmwalls.api._walls import site_and_price

    out = []
    for i, p in enumerate(spec.pools):
        start = quarter_index(p.start.upper())
        end = quarter_index(p.until.upper()) if p.until else None
        if not (start <= qi and (end is None or qi < end)):
            continue
        if i not in cache:
            gpu = cast("GpuSpec", catalogue.load("gpu", p.gpu, announce=False))
            cl = eng.cluster_for_gpu(
                cast("ClusterSpec", catalogue.load("cluster", p.cluster or DEFAULT_CLUSTER, announce=False)),
                gpu,
            )
            if p.cluster is None:
                notices.note(
                    f"pools[{i}] ({p.name}) names no cluster: {DEFAULT_CLUSTER}'s node, fabric and facility "
                    "figures are used with the GPU's own scale-up bandwidth"
                )
            _, price, _ = site_and_price(
                gpu, cl, site_w=None, budget_usd=None, usd_per_gpu_hour=p.usd_per_gpu_hour
            )
            cache[i] = _Live(i, p, gpu, cl, price)
        out.append(cache[i])
    return out


def _site_caps(spec: RoadmapSpec, name: str | None, qi: int) -> tuple[float | None, float | None]:
    """(site power cap in W, monthly budget in $) of a site in quarter qi; None where not given."""
    from llmwalls.units import MEGA

    site = next((s for s in spec.sites if s.name == name), None)
    if site is None:
        return None, None
    mw, budget = site.site_mw, site.budget_usd_per_month
    for c in sorted(site.changes, key=lambda c: quarter_index(c.quarter.upper())):
        if quarter_index(c.quarter.upper()) <= qi:
            mw = c.site_mw if c.site_mw is not None else mw
            budget = c.budget_usd_per_month if c.budget_usd_per_month is not None else budget
    return (mw * MEGA if mw is not None else None), budget


def _runs(w: Workload, qi: int) -> bool:
    if w.kind == "serving":
        return True
    first = quarter_index((w.quarter or "").upper())
    return qi == first or (w.every_months is not None and qi > first)


def _pinned_pool(w: Workload, qi: int) -> str | None:
    name = w.pool
    for m in sorted(w.moves, key=lambda m: quarter_index(m.quarter.upper())):
        if quarter_index(m.quarter.upper()) <= qi:
            name = m.pool
    return name


def _request(w: Workload, live: _Live) -> int | None:
    """GPUs a workload asks of a pool: fixed, a share of it, or None (an equal split of what is left)."""
    if w.gpus is not None:
        return w.gpus
    if w.share is not None:
        return int(math.floor(w.share * live.pool.gpus))
    return None


def fleet_audit(  # noqa: C901, PLR0912, PLR0915
    spec: RoadmapSpec, quarters: list[int], ranges: Mapping[str, Any], wa: eng.WallsAssumptions
) -> tuple[list[QuarterRow], list[WorkloadSummary], list[str]]:
    """Rows, per-workload summaries and problems, as llmwalls.api._audit._audit returns them."""
    from llmwalls import catalogue
    from llmwalls.api._audit import (
        Remedy,
        WorkloadSummary,
        _fix,
        _model_at,
        _Quarter,
        _serving_row,
        _training_row,
    )
    from llmwalls.api._walls import site_and_price
    from llmwalls.specs import ModelSpec

    problems: list[str] = []
    cache: dict[int, _Live] = {}
    rows: dict[str, list[QuarterRow]] = {w.name: [] for w in spec.workloads}
    starve: dict[str, tuple[_Quarter, QuarterRow]] = {}
    starve_pess: dict[str, tuple[int, str]] = {}
    last_pool: dict[str, int] = {}
    first_q = quarters[0]
    for wi, w in enumerate(spec.workloads):
        if (
            w.kind == "training"
            and w.every_months is None
            and quarter_index((w.quarter or "").upper()) not in quarters
        ):
            notices.note(
                f"{w.name} starts in {w.quarter}, outside the {quarter_name(quarters[0])}.."
                f"{quarter_name(quarters[-1])} horizon: not audited (see --months)"
            )
        del wi

    def evaluate(
        wi: int, w: Workload, live: _Live, gpus: int, qi: int, pools: list[_Live], quiet: bool = False
    ) -> tuple[_Quarter, QuarterRow] | None:
        cap_w, budget_month = _site_caps(spec, live.pool.site, qi)
        at_site = [x for x in pools if x.pool.site is not None and x.pool.site == live.pool.site]
        site_w = None
        if cap_w is not None and live.gpu.tdp_w is not None:
            total = sum(x.pool.gpus * (x.gpu.tdp_w or 0.0) for x in at_site)
            site_w = cap_w * gpus * live.gpu.tdp_w / total if total > 0 else None
        if w.kind == "serving":
            spend = sum(x.pool.gpus * x.price for x in at_site)
            budget = (
                budget_month * gpus * live.price / spend if budget_month is not None and spend > 0 else None
            )
        else:
            budget = w.budget_usd
        site, _, _ = site_and_price(
            live.gpu, live.cluster, site_w=site_w, budget_usd=budget, usd_per_gpu_hour=live.price
        )
        q = _Quarter(
            index=qi - first_q,
            qi=qi,
            gpu=live.gpu,
            cluster=live.cluster,
            gpus=gpus,
            site=site,
            model=cast("ModelSpec", catalogue.load("model", _model_at(w, qi), announce=False)),
            corners=eng.corners(eng.resolve_ranges(dict(ranges), live.gpu, w.weights)),
        )
        run = w
        if w.every_months is not None and w.deadline_days is None:
            run = w.model_copy(update={"deadline_days": w.every_months * DAYS_PER_MONTH})
        row: QuarterRow | None
        try:
            if w.requests_per_s is not None:
                row = request_row(run, q, wa)
            else:
                row = _serving_row(run, q, wa) if w.kind == "serving" else _training_row(run, q, wa)
        except InputError as exc:
            if not quiet:
                problems.append(f"workloads[{wi}] ({w.name}) in {quarter_name(qi)}: {exc}")
            return None
        if row is None:
            return None
        return q, replace(row, pool=live.pool.name)

    for qi in quarters:
        pools = _live_pools(spec, qi, cache)
        free = {x.index: x.pool.gpus for x in pools}
        chosen: dict[int, tuple[_Live, int]] = {}  # workload index -> (pool, GPUs)
        done: dict[int, tuple[_Quarter, QuarterRow]] = {}
        active = [(wi, w) for wi, w in enumerate(spec.workloads) if _runs(w, qi)]
        # 1. pinned workloads with a fixed request, then those splitting what is left of their pool
        split: dict[int, list[int]] = {}
        for wi, w in active:
            if w.pool is None:
                continue
            name = _pinned_pool(w, qi)
            live = next((x for x in pools if x.pool.name == name), None)
            if live is None:  # checked on load for roadmap files; a spec built in code may not be
                problems.append(
                    f"workloads[{wi}] ({w.name}): pool {name!r} is not live in {quarter_name(qi)}"
                )
                continue
            req = _request(w, live)
            if req is None:
                split.setdefault(live.index, []).append(wi)
                continue
            chosen[wi] = (live, req)
            free[live.index] -= req
        # 2. placed by the audit: priority order, cheapest pool that meets every wall
        placed = sorted((x for x in active if x[1].pool is None), key=lambda x: (-x[1].priority, x[0]))
        for wi, w in placed:
            order = sorted(pools, key=lambda x: (x.index != last_pool.get(w.name), x.price, x.index))
            best: tuple[float, _Live, int, tuple[_Quarter, QuarterRow]] | None = None
            for live in order:
                req = _request(w, live)
                if req is None or req < 1 or req > free[live.index]:
                    continue
                got = evaluate(wi, w, live, req, qi, pools)
                if got is None:
                    continue
                peak = max((x.utilization for x in got[1].walls if x.utilization is not None), default=0.0)
                if not got[1].hit:
                    best = (peak, live, req, got)
                    break
                if best is None or peak < best[0]:
                    best = (peak, live, req, got)
            if best is None:
                cheapest = min(pools, key=lambda x: (x.price, x.index))
                req = _request(w, cheapest) or 0
                if req < 1:
                    problems.append(f"workloads[{wi}] ({w.name}): no live pool in {quarter_name(qi)}")
                    continue
                notices.warn(
                    f"{w.name} in {quarter_name(qi)}: no live pool has {req:,} GPUs free; placed on "
                    f"{cheapest.pool.name}, over its {cheapest.pool.gpus:,} GPUs"
                )
                got = evaluate(wi, w, cheapest, req, qi, pools)
                if got is None:
                    continue
                best = (0.0, cheapest, req, got)
            _, live, req, got = best
            chosen[wi] = (live, req)
            done[wi] = got
            free[live.index] -= req
            last_pool[w.name] = live.index
        for index, members in split.items():
            live = next(x for x in pools if x.index == index)
            each = max(0, free[index]) // len(members)
            for wi in members:
                if each < 1:
                    problems.append(
                        f"workloads[{wi}] ({spec.workloads[wi].name}): what is left of pool "
                        f"{live.pool.name!r} in {quarter_name(qi)} is less than one GPU"
                    )
                    continue
                chosen[wi] = (live, each)
        for x in pools:
            if free[x.index] < 0:
                notices.warn(
                    f"pool {x.pool.name} in {quarter_name(qi)}: its workloads ask for "
                    f"{x.pool.gpus - free[x.index]:,} GPUs, more than its {x.pool.gpus:,}"
                )
        # 3. every workload's walls on the GPUs it has
        for wi, w in active:
            if wi not in chosen:
                continue
            got = done.get(wi) or evaluate(wi, w, chosen[wi][0], chosen[wi][1], qi, pools)
            if got is None:
                continue
            q, row = got
            rows[w.name].append(row)
            if row.hit and w.name not in starve:
                starve[w.name] = (q, row)
            pess = [x for x in row.walls if x.utilization_range is not None and x.utilization_range[1] > 1]
            if pess and w.name not in starve_pess:
                worst = max(pess, key=lambda x: x.utilization_range[1] if x.utilization_range else 0.0)
                starve_pess[w.name] = (qi, worst.wall)

    def holds(wi: int, variant: Workload, since: int, pool_at: Any, gpus_at: Any) -> tuple[bool, str | None]:
        """Whether a variant clears the quarter ``since`` and the last quarter through which it keeps every
        wall under 1, on the pool and GPUs ``pool_at(qi, row)`` / ``gpus_at(row, live)`` give."""
        held: str | None = None
        for r in rows[variant.name]:
            qi = quarter_index(r.quarter)
            if qi < since:
                continue
            live = pool_at(qi, r)
            if live is None:
                break
            got = evaluate(wi, variant, live, gpus_at(r, live), qi, _live_pools(spec, qi, cache), quiet=True)
            if got is None or got[1].hit:
                break
            held = r.quarter
        return held is not None, held

    def remedies(wi: int, w: Workload, q: _Quarter, row: QuarterRow, fix: Any) -> tuple[Remedy, ...]:
        from llmwalls.api.types import KvFormat, WeightFormat

        qs = q.qi
        here = _live_pools(spec, qs, cache)
        cur = next(x for x in here if x.pool.name == row.pool)

        def same_pool(qi: int, r: QuarterRow) -> _Live | None:
            return next((x for x in _live_pools(spec, qi, cache) if x.pool.name == r.pool), None)

        def power(gpus: float, quarter: _Quarter) -> float | None:
            watts = float(eng.facility_w(gpus, quarter.site, wa))
            return watts if math.isfinite(watts) else None

        out: list[Remedy] = []
        hours = eng.HOURS_PER_MONTH
        extra = int(math.ceil(fix.gpus_plan - row.gpus)) if fix is not None and fix.gpus_needed else 0
        if extra > 0:
            # the extra GPUs join cur's pool: after a move to another pool they no longer help
            ok, until = holds(
                wi, w, qs, same_pool, lambda r, live: r.gpus + (extra if r.pool == cur.pool.name else 0)
            )
            p0, p1 = power(row.gpus, q), power(row.gpus + extra, q)
            out.append(
                Remedy(
                    "more_gpus",
                    f"+{extra:,} {cur.gpu.name} on {cur.pool.name} (to {row.gpus + extra:,})",
                    ok,
                    until,
                    extra,
                    extra * cur.price * hours,
                    p1 - p0 if p0 is not None and p1 is not None else None,
                )
            )
        for other in here:
            if other.pool.name == cur.pool.name:
                continue
            want = _request(w, other) or row.gpus

            def on_other(qi: int, r: QuarterRow, name: str = other.pool.name) -> _Live | None:
                return next((x for x in _live_pools(spec, qi, cache) if x.pool.name == name), None)

            ok, until = holds(wi, w, qs, on_other, lambda r, live, n=want: n)
            moved = evaluate(wi, w, other, want, qs, here, quiet=True)
            p0 = power(row.gpus, q)
            p1 = power(want, moved[0]) if moved is not None else None
            out.append(
                Remedy(
                    "move_pool",
                    f"move to {other.pool.name} ({want:,} x {other.gpu.name})",
                    ok,
                    until,
                    0,
                    (want * other.price - row.gpus * cur.price) * hours,
                    p1 - p0 if p0 is not None and p1 is not None else None,
                )
            )
        variants: list[tuple[Any, str, Workload]] = []
        if w.weights in (WeightFormat.fp32, WeightFormat.bf16, WeightFormat.fp16):
            variants.append(
                (
                    "fp8_weights",
                    "fp8 weights (check accuracy)",
                    w.model_copy(update={"weights": WeightFormat.fp8}),
                )
            )
        if w.kind == "serving" and w.kv_dtype in (KvFormat.bf16, KvFormat.fp16):
            variants.append(
                ("fp8_kv", "fp8 KV cache (check accuracy)", w.model_copy(update={"kv_dtype": KvFormat.fp8}))
            )
        if w.kind == "serving" and w.context_growth_per_quarter > 0:
            first = rows[w.name][0].context_tokens if rows[w.name] else 0
            variants.append(
                (
                    "context_cap",
                    f"cap the context at {first:,} tokens (its {rows[w.name][0].quarter} length)",
                    w.model_copy(update={"context_growth_per_quarter": 0.0}),
                )
            )
        for kind, text, variant in variants:
            ok, until = holds(wi, variant, qs, same_pool, lambda r, live: r.gpus)
            out.append(Remedy(kind, text, ok, until, 0, 0.0, 0.0))
        last = quarter_name(quarters[-1])

        def rank(r: Remedy) -> tuple[bool, int, float, float]:
            reach = quarter_index(r.holds_until) if r.holds_until else -1
            cost = r.extra_usd_per_month if r.extra_usd_per_month is not None else math.inf
            watts = r.extra_w if r.extra_w is not None else math.inf
            return (r.holds_until != last, -reach, cost, watts)

        return tuple(sorted(out, key=rank))

    summary = []
    for wi, w in enumerate(spec.workloads):
        s = starve.get(w.name)
        sp = starve_pess.get(w.name)
        fix = (
            (request_fix(s[0], s[1], wa) if w.requests_per_s is not None else _fix(w, *s, wa)) if s else None
        )
        summary.append(
            WorkloadSummary(
                workload=w.name,
                kind=w.kind,
                starves=s is not None,
                quarter=s[1].quarter if s else None,
                wall=s[1].first_wall if s else None,
                quarter_pessimistic=quarter_name(sp[0]) if sp else None,
                wall_pessimistic=sp[1] if sp else None,
                fix=fix,
                remedies=remedies(wi, w, s[0], s[1], fix) if s else (),
            )
        )
    ordered = [r for w in spec.workloads for r in rows[w.name]]
    return ordered, summary, problems


# ------------------------------------------------------------------------------- request-level serving

# The serving model's wall names (llmwalls.engine.serving.WALLS) as wall identifiers.
SERVING_WALL_IDS = {
    "memory capacity (KV)": "memory_capacity",
    "memory bandwidth": "memory_bandwidth",
    "compute": "compute",
    "interconnect": "interconnect",
}


def _ranged(wall: str, demand: float, limit: float | None, unit: str, near: float) -> RangedWall:
    from llmwalls.api._walls import RangedWall
    from llmwalls.api.types import Wall

    base = Wall.of(wall, demand, limit, unit)
    u = base.utilization
    finite = u is not None and math.isfinite(u)
    status = "n/a" if u is None else ("hit" if u > 1.0 else ("near" if u >= near else "ok"))
    return RangedWall(
        **{k: getattr(base, k) for k in base.__dataclass_fields__},
        status=status,  # type: ignore[arg-type]
        utilization_range=(u, u) if finite and u is not None else None,
        headroom=1.0 - u if finite and u is not None else None,
    )


def request_row(w: Workload, q: _Quarter, wa: eng.WallsAssumptions) -> QuarterRow:
    """A request-rate workload in one quarter: the serving model's cheapest deployment meeting its SLOs at
    the quarter's rate on this pool's GPU (llmwalls.api.serve), against the GPUs it has. Walls: the GPUs the
    SLO needs over the GPUs it has (named by the wall that binds the deployment's pool), each latency SLO
    (predicted p99 over the target), and the site power and cost of the GPUs it has."""
    from llmwalls.api._audit import QuarterRow, _tokens_of
    from llmwalls.api._serve import serve

    rate = float(w.requests_per_s or 0.0) * (1.0 + w.requests_growth_per_quarter) ** q.index
    prompt = _tokens_of(w.prompt or 0, "prompt")
    out = _tokens_of(w.output_tokens or 0, "output_tokens")
    kw: dict[str, Any] = {
        "model": q.model,
        "gpus": (q.gpu,),
        "requests_per_s": rate,
        "prompt_tokens": float(prompt),
        "output_tokens": float(out),
        "usd_per_gpu_hour": q.site.usd_per_gpu_hour,
        "weight_dtypes": (str(w.weights),),
        "kv_dtypes": (str(w.kv_dtype),),
    }
    report = serve(ttft_p99_s=w.ttft_p99_s, tpot_p99_s=w.tpot_p99_s, **kw)
    best = report.results.best
    near = wa.near_threshold
    walls: list[RangedWall] = []
    achieved: sv.Deployment | None = best
    if best is not None:
        bound = max(best.pools, key=lambda p: p.gpus)
        walls.append(_ranged(SERVING_WALL_IDS.get(bound.wall, "compute"), best.gpus, q.gpus, "GPUs", near))
    else:  # no deployment of this GPU meets the SLOs at any size: the latency it reaches without them
        achieved = serve(**kw).results.best
    if achieved is not None:
        if w.ttft_p99_s is not None:
            walls.append(_ranged("latency", achieved.ttft_p99_s, w.ttft_p99_s, "s", near))
        if w.tpot_p99_s is not None:
            walls.append(_ranged("latency", achieved.tpot_p99_s, w.tpot_p99_s, "s", near))
    pc = eng._power_and_cost(q.gpus, q.site, wa)
    for wall, key in (("site_power", "power"), ("cost", "cost")):
        d = pc[key]
        limit = float(d["limit"])
        walls.append(
            _ranged(wall, float(d["demand"]), limit if math.isfinite(limit) else None, d["unit"], near)
        )
    known = [x for x in walls if x.utilization is not None]
    top = max(known, key=lambda x: x.utilization or 0.0) if known else None
    walls = [replace(x, binding=x is top) for x in walls]
    hit = [x for x in walls if x.hit]
    return QuarterRow(
        workload=w.name,
        kind=w.kind,
        quarter=quarter_name(q.qi),
        gpu=q.gpu.name,
        gpus=q.gpus,
        model=q.model.name,
        site_w=q.site.site_w,
        budget_usd=q.site.budget_usd,
        users=None,
        context_tokens=prompt + out,
        tp=max(p.config.tp for p in best.pools) if best is not None else None,
        tokens=None,
        layout=None,
        time_to_train_s=None,
        walls=tuple(walls),
        binding=top.wall if top is not None else None,
        hit=tuple(x.wall for x in hit),
        first_wall=max(hit, key=lambda x: x.utilization or 0.0).wall if hit else None,
        requests_per_s=rate,
    )


def request_fix(q: _Quarter, row: QuarterRow, wa: eng.WallsAssumptions) -> Fix:
    """The GPUs the serving model's deployment needs, then the power and money those GPUs need."""
    from llmwalls.api._audit import Fix

    gpu_wall = next((x for x in row.walls if x.unit == "GPUs"), None)
    needed = float(gpu_wall.demand) if gpu_wall is not None else None
    plan = max(float(row.gpus), needed or 0.0)
    facility = float(eng.facility_w(plan, q.site, wa))
    usd = (
        plan * eng.HOURS_PER_MONTH * q.site.usd_per_gpu_hour if q.site.usd_per_gpu_hour is not None else None
    )
    return Fix(
        quarter=row.quarter,
        gpus_now=row.gpus,
        gpus_needed=needed,
        tp=row.tp,
        extra_gpus=max(0.0, plan - row.gpus),
        gpus_plan=plan,
        facility_w_needed=facility,
        extra_w=max(0.0, facility - q.site.site_w) if q.site.site_w is not None else None,
        usd_needed=usd,
        extra_usd=max(0.0, usd - q.site.budget_usd) if usd is not None and q.site.budget_usd else None,
        usd_unit="USD/month",
        note=None
        if needed is not None
        else f"no deployment on {q.gpu.name} meets the latency SLOs at any size: a faster GPU or looser SLOs",
    )
