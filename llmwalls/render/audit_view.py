"""What the audit's pictures and shareable reports need, and nothing more: quarter x workload x wall
utilisation, the binding wall of each cell, the pools the workloads run on, the answer (who starves first, on
which wall, when, and what fixes it) and the assumptions with their sources.

The heat map (llmwalls.render.heatmap) and the HTML / Markdown reports (llmwalls.render.report) draw an
:class:`AuditView`; :func:`from_audit` builds one from the typed audit report (llmwalls.api.audit). Keeping
the pictures on this small shape means they do not change when the audit grows new row kinds or fleets.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from llmwalls.api.types import WALL_LABELS

# One letter per wall for cells too small for a name (the heat map's legend spells out the letters used).
WALL_LETTERS: dict[str, str] = {
    "memory_capacity": "M",
    "memory_bandwidth": "B",
    "compute": "C",
    "interconnect": "I",
    "site_power": "P",
    "rack_power": "R",
    "cost": "$",
    "decode_tokens_per_s": "T",
    "latency": "L",
    "calibration": "K",
}

# Utilisation from which a wall is shown as "near" when the audit gives no threshold (the walls view's
# WallsAssumptions.near_threshold default: 20% headroom, the usual capacity-planning margin).
DEFAULT_NEAR_THRESHOLD = 0.8


def wall_id(text: str) -> str:
    """'memory bandwidth' or 'memory_bandwidth' -> 'memory_bandwidth' (the identifier vocabulary of
    llmwalls.api.types.WALL_LABELS; 'power' is the site power cap)."""
    ident = text.strip().lower().replace(" ", "_").replace("-", "_")
    return "site_power" if ident == "power" else ident


def wall_label(ident: str) -> str:
    return WALL_LABELS.get(ident, ident.replace("_", " "))


@dataclass(frozen=True)
class WallUse:
    """One wall of one workload in one quarter: utilisation = demand / limit (None: no limit, e.g. no site
    cap), with its range over the efficiency assumptions when the audit evaluated one."""

    wall: str
    utilization: float | None
    low: float | None = None
    high: float | None = None


@dataclass(frozen=True)
class Cell:
    """One workload in one quarter on one pool."""

    workload: str
    quarter: str
    pool: str
    gpu: str
    gpus: int
    model: str
    walls: tuple[WallUse, ...]

    def use(self, wall: str) -> float | None:
        for w in self.walls:
            if w.wall == wall:
                return w.utilization
        return None

    @property
    def binding(self) -> WallUse | None:
        """The wall with the highest utilisation (the one that binds first as the load grows)."""
        known = [w for w in self.walls if w.utilization is not None and math.isfinite(w.utilization)]
        return max(known, key=lambda w: w.utilization or 0.0) if known else None


@dataclass(frozen=True)
class Pool:
    """GPUs of one kind the workloads run on, from a quarter until another (None: to the horizon's end)."""

    name: str
    gpu: str
    gpus: int
    start: str
    until: str | None = None
    site: str | None = None
    usd_per_gpu_hour: float | None = None
    owned: bool | None = None


@dataclass(frozen=True)
class RemedyView:
    """One remedy tried for a starving workload, in words: what, how long it holds, its cost and power."""

    description: str
    holds: str
    cost: str
    power: str


@dataclass(frozen=True)
class Finding:
    """A workload's answer: the first quarter and wall it starves on (None: not within the horizon), the
    same with the pessimistic efficiencies, and the fix in words."""

    workload: str
    kind: str
    quarter: str | None
    wall: str | None
    quarter_pessimistic: str | None = None
    wall_pessimistic: str | None = None
    fix: str = ""
    remedies: tuple[RemedyView, ...] = ()


@dataclass(frozen=True)
class Assumption:
    name: str
    value: str
    source: str


@dataclass(frozen=True)
class AuditView:
    title: str
    roadmap: str
    quarters: tuple[str, ...]
    workloads: tuple[str, ...]  # in the order the report lists them (starving first)
    cells: tuple[Cell, ...]
    pools: tuple[Pool, ...] = ()
    findings: tuple[Finding, ...] = ()
    assumptions: tuple[Assumption, ...] = ()
    verdict: str = ""
    near_threshold: float = DEFAULT_NEAR_THRESHOLD
    warnings: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    def cell(self, workload: str, quarter: str) -> Cell | None:
        for c in self.cells:
            if c.workload == workload and c.quarter == quarter:
                return c
        return None

    def walls_present(self) -> tuple[str, ...]:
        """Wall identifiers with a utilisation somewhere, in the vocabulary's order."""
        seen = {w.wall for c in self.cells for w in c.walls if w.utilization is not None}
        ordered = [w for w in WALL_LABELS if w in seen]
        return tuple(ordered + sorted(seen - set(ordered)))

    def starving(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.quarter is not None)


# ------------------------------------------------------------------------------- from the audit report


def _get(obj: Any, name: str, default: Any = None) -> Any:
    if isinstance(obj, dict):
        return obj.get(name, default)
    return getattr(obj, name, default)


def _float(value: Any) -> float | None:
    if value is None:
        return None
    try:
        out = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(out) else out


def _wall_uses(walls: Any) -> tuple[WallUse, ...]:
    # plain dicts {label: {"utilization": ..., "range": [lo, hi]}}, or typed walls with .wall (identifier)
    items: Iterable[tuple[str, Any]] = (
        walls.items() if isinstance(walls, dict) else ((_get(w, "wall"), w) for w in walls)
    )
    out = []
    for name, w in items:
        rng = _get(w, "utilization_range") or _get(w, "range") or (None, None)
        use = _float(_get(w, "utilization"))
        out.append(WallUse(wall_id(str(name)), use, _float(rng[0]), _float(rng[1])))
    return tuple(out)


def fix_text(fix: Any, kind: str = "serving") -> str:
    """The audit's fix in words: GPUs for the GPU-bound walls, then the power and money those GPUs need."""
    from llmwalls.render import numbers

    if fix is None:
        return ""
    parts = []
    extra = _float(_get(fix, "extra_gpus")) or 0.0
    if extra > 0:
        plan = _float(_get(fix, "gpus_plan"))
        tp = _get(fix, "tp")
        inner = f"to {plan:,.0f}" if plan is not None else ""
        if tp:
            inner += f", TP {int(tp)}"
        parts.append(f"+{extra:,.0f} GPUs" + (f" ({inner})" if inner else ""))
    extra_w = _float(_get(fix, "extra_w"))
    if extra_w is None and _float(_get(fix, "extra_mw")) is not None:
        extra_w = (_float(_get(fix, "extra_mw")) or 0.0) * 1e6
    if extra_w:
        parts.append(f"+{numbers.si(extra_w, 'W')} site power")
    extra_usd = _float(_get(fix, "extra_usd"))
    if extra_usd:
        unit = _get(fix, "usd_unit") or ("USD/month" if kind == "serving" else "USD")
        parts.append(f"+{numbers.usd(extra_usd)}" + ("/month" if unit == "USD/month" else ""))
    note = _get(fix, "note")
    if note:
        parts.append(str(note))
    if not parts:
        parts.append("within the GPUs it has: rebalance the shares")
    return "; ".join(parts)


def _pools_of(spec: Any) -> tuple[Pool, ...]:
    """A fleet's [[pools]], or one [[hardware]] entry per period, each live until the next entry's quarter."""
    pools = list(_get(spec, "pools") or ())
    if pools:
        return tuple(
            Pool(
                name=str(_get(p, "name")),
                gpu=str(_get(p, "gpu")),
                gpus=int(_get(p, "gpus")),
                start=str(_get(p, "start")).upper(),
                until=str(_get(p, "until")).upper() if _get(p, "until") else None,
                site=_get(p, "site"),
                usd_per_gpu_hour=_float(_get(p, "usd_per_gpu_hour")),
                owned=bool(_get(p, "owned")),
            )
            for p in pools
        )
    hardware = list(_get(spec, "hardware") or ())
    out = []
    for i, h in enumerate(hardware):
        until = _get(hardware[i + 1], "quarter") if i + 1 < len(hardware) else None
        out.append(
            Pool(
                name=f"{_get(h, 'gpus')} x {_get(h, 'gpu')} from {str(_get(h, 'quarter')).upper()}",
                gpu=str(_get(h, "gpu")),
                gpus=int(_get(h, "gpus")),
                start=str(_get(h, "quarter")).upper(),
                until=str(until).upper() if until else None,
                site=_get(h, "cluster"),
                usd_per_gpu_hour=_float(_get(h, "usd_per_gpu_hour")),
            )
        )
    return tuple(out)


def _pools_from_cells(cells: Sequence[Cell], quarters: Sequence[str]) -> tuple[Pool, ...]:
    """Without the roadmap: one pool per GPU type, live from the first quarter a workload uses it."""
    out: dict[str, Pool] = {}
    for q in quarters:
        for c in cells:
            if c.quarter == q and c.pool not in out:
                out[c.pool] = Pool(name=c.pool, gpu=c.gpu, gpus=0, start=q)
    return tuple(out.values())


def _pool_at(pools: Sequence[Pool], quarter: str, gpu: str) -> str:
    """The pool live in ``quarter`` (pools of today's roadmap follow each other in time)."""
    from llmwalls.roadmap import quarter_index

    qi = quarter_index(quarter)
    live = [
        p for p in pools if quarter_index(p.start) <= qi and (p.until is None or qi < quarter_index(p.until))
    ]
    return live[-1].name if live else gpu


# The walls view's own judgement calls (llmwalls.engine.walls.WallsAssumptions), with where each comes from.
WALLS_ASSUMPTION_SOURCES: dict[str, str] = {
    "near_threshold": "planning margin of 20% headroom (judgement; vLLM's 0.9 memory fraction is spent "
    "already)",
    "power_utilization": "every GPU at TDP: a site cap must hold the peak (judgement)",
    "tokens_per_s_per_user": "faster than people read, about 4-5 words/s (judgement)",
    "ttft_s": "the bound of MLPerf Inference's Llama-2-70B server scenario (MLCommons, 2024, "
    "https://mlcommons.org/benchmarks/inference-datacenter/)",
}


def _assumptions(report: Any) -> tuple[Assumption, ...]:
    from llmwalls.render import numbers

    inputs = _get(report, "inputs")
    out: list[Assumption] = []
    ranges = _get(inputs, "ranges")
    if ranges is not None:
        fields = ranges.items() if isinstance(ranges, dict) else vars(ranges).items()
        for name, r in fields:
            if r is None:
                continue
            if isinstance(r, (int, float)):
                out.append(Assumption(name, numbers.sig(float(r)), "pinned by the roadmap or its options"))
                continue
            low, high = _get(r, "low"), _get(r, "high")
            rel = "x" if _get(r, "relative") else ""
            out.append(
                Assumption(
                    name,
                    f"{rel}{numbers.sig(float(low))}..{rel}{numbers.sig(float(high))}",
                    str(_get(r, "source", "")),
                )
            )
    wa = _get(inputs, "assumptions")
    if wa is not None:
        fields = wa.items() if isinstance(wa, dict) else vars(wa).items()
        for name, value in fields:
            out.append(
                Assumption(name, numbers.sig(float(value)), WALLS_ASSUMPTION_SOURCES.get(name, "judgement"))
            )
    return tuple(out)


def _profile_sources(spec: Any, cells: Sequence[Cell]) -> tuple[Assumption, ...]:
    """The GPU and model profiles the audit used, with each profile's own source."""
    from llmwalls import catalogue
    from llmwalls.errors import LlmwallsError

    out = []
    names = [("gpu", c.gpu) for c in cells] + [("model", c.model) for c in cells]
    if spec is not None:
        names = [("gpu", str(_get(h, "gpu"))) for h in _get(spec, "hardware") or ()] + names
    seen: set[tuple[str, str]] = set()
    for kind, name in dict.fromkeys(names):
        try:
            profile = catalogue.load(kind, name, announce=False)
        except LlmwallsError:
            continue
        if (kind, profile.name) in seen:
            continue
        seen.add((kind, profile.name))
        out.append(Assumption(f"{kind} {profile.name}", "profile", str(profile.source)))
    return tuple(out)


def _roadmap_of(inputs: Any) -> Any:
    """The roadmap the report names, when it is a readable roadmap file (for its pools), else None."""
    from pathlib import Path

    from llmwalls.api._roadmaps import shipped_roadmap
    from llmwalls.errors import LlmwallsError
    from llmwalls.roadmap import load_roadmap

    path = _get(inputs, "roadmap")
    if not isinstance(path, str):
        return None
    try:
        path = shipped_roadmap(path)  # a shipped roadmap is named by its name ("fleet-example")
    except LlmwallsError:
        return None
    if not Path(path).is_file():
        return None
    try:
        return load_roadmap(path)
    except LlmwallsError:
        return None


def _fix_words(s: Any) -> str:
    """The cheapest remedy that holds longest (fleets), else the extra GPUs, power and money."""
    remedies = _get(s, "remedies") or ()
    if remedies:
        best = remedies[0]
        reach = _get(best, "holds_until")
        cost = _float(_get(best, "extra_usd_per_month"))
        from llmwalls.render import numbers

        money = "no extra cost" if cost == 0 else (f"{numbers.usd(cost)}/month" if cost is not None else "")
        return f"{_get(best, 'description')}: {money}" + (f", holds through {reach}" if reach else "")
    return fix_text(_get(s, "fix"), str(_get(s, "kind") or "serving"))


def _remedy_views(s: Any, last: str) -> tuple[RemedyView, ...]:
    from llmwalls.render import numbers

    out = []
    for r in _get(s, "remedies") or ():
        usd, watts = _float(_get(r, "extra_usd_per_month")), _float(_get(r, "extra_w"))
        reach = _get(r, "holds_until")
        out.append(
            RemedyView(
                description=str(_get(r, "description")),
                holds=("the horizon" if reach == last else str(reach))
                if _get(r, "clears")
                else "does not clear",
                cost="unknown"
                if usd is None
                else ("none" if usd == 0 else f"{'+' if usd > 0 else '-'}{numbers.usd(abs(usd))}/month"),
                power="unknown"
                if watts is None
                else ("none" if watts == 0 else f"{'+' if watts > 0 else '-'}{numbers.si(abs(watts), 'W')}"),
            )
        )
    return tuple(out)


def _opt_wall(text: Any) -> str | None:
    return wall_id(str(text)) if text else None


def from_audit(report: Any, spec: Any = None, *, title: str | None = None) -> AuditView:
    """The view of an audit report (llmwalls.api.audit's typed report, or the plain-dict result of
    llmwalls.roadmap.audit); ``spec``, the roadmap, adds its pools and their hardware profiles."""
    inputs = _get(report, "inputs")
    results = _get(report, "results", report)
    rows = list(_get(results, "rows") or ())
    quarters = tuple(_get(inputs, "quarters") or _get(results, "quarters") or ())
    if not quarters:
        quarters = tuple(dict.fromkeys(str(_get(r, "quarter")) for r in rows))
    cells = tuple(
        Cell(
            workload=str(_get(r, "workload")),
            quarter=str(_get(r, "quarter")),
            pool=str(_get(r, "pool") or _get(r, "gpu")),
            gpu=str(_get(r, "gpu")),
            gpus=int(_get(r, "gpus") or 0),
            model=str(_get(r, "model") or ""),
            walls=_wall_uses(_get(r, "walls") or ()),
        )
        for r in rows
    )
    summary = list(_get(results, "summary") or ())
    findings = tuple(
        Finding(
            workload=str(_get(s, "workload")),
            kind=str(_get(s, "kind") or "serving"),
            quarter=_get(s, "quarter") if _get(s, "starves") else None,
            wall=_opt_wall(_get(s, "wall")) if _get(s, "starves") else None,
            quarter_pessimistic=_get(s, "quarter_pessimistic"),
            wall_pessimistic=_opt_wall(_get(s, "wall_pessimistic")),
            fix=_fix_words(s) if _get(s, "starves") else "",
            remedies=_remedy_views(s, quarters[-1] if quarters else ""),
        )
        for s in summary
    )
    workloads = tuple(dict.fromkeys([f.workload for f in findings] + [c.workload for c in cells]))
    if spec is None:
        spec = _roadmap_of(inputs)
    if spec is not None:
        pools = _pools_of(spec)
        if not _get(spec, "pools"):  # [[hardware]] periods: the pool is the entry of the quarter
            cells = tuple(replace(c, pool=_pool_at(pools, c.quarter, c.pool)) for c in cells)
    else:
        pools = _pools_from_cells(cells, quarters)
    verdict = _get(results, "verdict") or _verdict(findings, quarters)
    near = _float(_get(inputs, "near_threshold")) or DEFAULT_NEAR_THRESHOLD
    name = _get(inputs, "name") or _get(spec, "name") or "roadmap"
    return AuditView(
        title=title or f"Roadmap audit: {name}",
        roadmap=str(_get(inputs, "roadmap") or name),
        quarters=quarters,
        workloads=workloads,
        cells=cells,
        pools=pools,
        findings=findings,
        assumptions=_assumptions(report) + _profile_sources(spec, cells),
        verdict=str(verdict),
        near_threshold=near,
        warnings=tuple(_get(report, "warnings") or ()),
        notes=tuple(_get(report, "notes") or _get(results, "notes") or ()),
    )


def _verdict(findings: Sequence[Finding], quarters: Sequence[str]) -> str:
    starving = [f for f in findings if f.quarter is not None]
    if not starving:
        span = f"{quarters[0]}..{quarters[-1]}" if quarters else "the horizon"
        return f"No workload starves within {span}."
    first = starving[0]
    then = ", ".join(f"{f.workload} ({wall_label(f.wall or '')}, {f.quarter})" for f in starving[1:])
    return (
        f"{first.workload} starves first: {wall_label(first.wall or '')} in {first.quarter}"
        + (f"; then {then}" if then else "")
        + "."
    )


@dataclass(frozen=True)
class WallRank:
    """How close one workload comes to one wall over the horizon."""

    workload: str
    peak: float | None  # highest utilisation of the wall (None: the wall has no limit for it)
    peak_quarter: str | None
    first_hit: str | None  # first quarter above 100%


def wall_ranking(view: AuditView, wall: str) -> tuple[WallRank, ...]:
    """Workloads by how soon they hit ``wall`` (earliest first), then by their peak utilisation of it."""
    out = []
    for w in view.workloads:
        uses = [(q, c.use(wall)) for q in view.quarters if (c := view.cell(w, q)) is not None]
        known = [(q, u) for q, u in uses if u is not None and not math.isnan(u)]
        peak = max(known, key=lambda x: x[1]) if known else None
        hit = next((q for q, u in known if u > 1.0), None)
        out.append(WallRank(w, peak[1] if peak else None, peak[0] if peak else None, hit))
    order = {q: i for i, q in enumerate(view.quarters)}
    return tuple(
        sorted(
            out,
            key=lambda r: (order.get(r.first_hit or "", len(order)), -(r.peak if r.peak is not None else -1)),
        )
    )
