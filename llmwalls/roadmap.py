"""Roadmap files for `llmwalls audit` (the format is documented in docs/roadmap.md) and the --assumptions file
of `llmwalls walls`: frozen pydantic schemas (unknown keys rejected) plus the checks a schema cannot make
(profile names, quarter order), with EVERY problem reported at its place in the file, e.g.
``roadmap.toml: workloads[1].model: unknown model 'lama-70b'; did you mean llama-2-70b?``.

This module reads and checks files; the audit itself is llmwalls.api.audit (the arithmetic
llmwalls.engine.walls).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from llmwalls.api.types import KvFormat, WeightFormat
from llmwalls.errors import LlmwallsError

QUARTER_RE = r"^[0-9]{4}[Qq][1-4]$"
Quarter = Annotated[str, Field(pattern=QUARTER_RE)]
NonNegative = Annotated[float, Field(ge=0, le=1e24, allow_inf_nan=False)]
Positive = Annotated[float, Field(gt=0, le=1e24, allow_inf_nan=False)]
Growth = Annotated[float, Field(ge=0, le=100, allow_inf_nan=False)]  # fraction per quarter: 0.25 = +25%
Share = Annotated[float, Field(gt=0, le=1, allow_inf_nan=False)]
Count = Annotated[int, Field(gt=0, le=10_000_000)]
Tokens = int | str  # 8192 or "8k" (binary k, as --context)
Amount = float | str  # 15e12 or "15T"


class RoadmapError(LlmwallsError, ValueError):
    """A roadmap (or assumptions) file with problems: every problem with its place, on one line."""

    def __init__(self, where: str, problems: list[str]):
        self.where, self.problems = where, problems
        super().__init__("; ".join(f"{where}: {p}" for p in problems))


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


def quarter_index(q: str) -> int:
    """'2026Q3' -> 2026 * 4 + 2 (quarters since year 0, so differences count quarters)."""
    return int(q[:4]) * 4 + int(q[5]) - 1


def quarter_name(i: int) -> str:
    return f"{i // 4}Q{i % 4 + 1}"


class Hardware(_Strict):
    """The fleet from ``quarter`` on (until the next entry)."""

    quarter: Quarter
    gpu: str
    gpus: Count
    cluster: str | None = None  # node, fabric, PUE and rack figures; default: dgx-h100's, adapted to the GPU
    site_mw: Positive | None = None
    usd_per_gpu_hour: Positive | None = None  # default: the GPU's price profile
    budget_usd_per_month: Positive | None = None


class Upgrade(_Strict):
    quarter: Quarter
    model: str


class SiteChange(_Strict):
    """A site's power cap or budget from a quarter on."""

    quarter: Quarter
    site_mw: Positive | None = None
    budget_usd_per_month: Positive | None = None


class Site(_Strict):
    """[[sites]]: a data centre with a power cap (MW, facility power) and a monthly budget, both optional,
    changing from a quarter on with [[sites.changes]]."""

    name: Annotated[str, Field(min_length=1, max_length=80)]
    site_mw: Positive | None = None
    budget_usd_per_month: Positive | None = None
    changes: list[SiteChange] = []


class Pool(_Strict):
    """[[pools]]: GPUs of one kind at a site from a quarter until another (exclusive; none: to the end),
    owned or rented. Several pools live at once; entries of the same name follow each other in time (a pool
    that grows is a new entry from the quarter it grows)."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    name: Annotated[str, Field(min_length=1, max_length=80)]
    gpu: str
    gpus: Count
    cluster: str | None = None
    site: str | None = None
    start: Quarter = Field(alias="from")
    until: Quarter | None = None
    owned: bool = False
    # rented: the rent; owned: the cost of ownership per GPU-hour if known. Default: the GPU's price profile.
    usd_per_gpu_hour: Positive | None = None


class Move(_Strict):
    """A workload moved to another pool from a quarter on."""

    quarter: Quarter
    pool: str


class Workload(_Strict):
    name: Annotated[str, Field(min_length=1, max_length=80)]
    kind: Literal["serving", "training"] = "serving"
    model: str
    share: Share | None = None  # fraction of the fleet's GPUs, site power and monthly budget
    gpus: Count | None = None  # or a fixed GPU count
    # serving: concurrent users each at a decode rate, or a request rate with latency SLOs (fleets; planned
    # by the request-level serving model, llmwalls.engine.serving)
    requests_per_s: Positive | None = None
    requests_growth_per_quarter: Growth = 0.0
    output_tokens: Tokens | None = None
    ttft_p99_s: Positive | None = None
    tpot_p99_s: Positive | None = None
    users: NonNegative | None = None
    users_growth_per_quarter: Growth = 0.0
    context: Tokens | None = None
    context_growth_per_quarter: Growth = 0.0
    prompt: Tokens | None = None
    tokens_per_s_per_user: Positive | None = None
    ttft_s: Positive | None = None
    weights: WeightFormat = WeightFormat.bf16
    kv_dtype: KvFormat = KvFormat.bf16
    upgrades: list[Upgrade] = []
    # training
    quarter: Quarter | None = None  # the quarter the run starts
    tokens: Amount | None = None
    deadline_days: Positive | None = None
    budget_usd: Positive | None = None
    every_months: Annotated[int, Field(ge=1, le=120)] | None = None  # a recurring run (1 = monthly)
    # fleets ([[pools]]): the pool it runs on (none: placed by the audit), later moves, placement priority
    pool: str | None = None
    moves: list[Move] = []
    priority: Annotated[int, Field(ge=-1000, le=1000)] = 0

    @model_validator(mode="after")
    def _check(self) -> Workload:
        if self.share is not None and self.gpus is not None:
            raise ValueError("give share or gpus, not both")
        if self.every_months is not None and self.kind != "training":
            raise ValueError("every_months: only a training workload recurs")
        if self.moves and self.pool is None:
            raise ValueError("moves: a workload placed by the audit has no pool to move from; give pool")
        if self.kind == "serving" and (self.users is None) == (self.requests_per_s is None):
            raise ValueError(
                "a serving workload needs users (concurrent users in the first quarter) or requests_per_s "
                "(a request rate with its SLOs), not both"
            )
        if self.requests_per_s is not None:
            missing = [k for k in ("prompt", "output_tokens") if getattr(self, k) is None]
            if missing:
                raise ValueError(
                    f"a request-rate workload needs {' and '.join(missing)} (tokens per request)"
                )
            if self.users_growth_per_quarter or self.context is not None or self.tokens_per_s_per_user:
                raise ValueError(
                    "users_growth_per_quarter, context, tokens_per_s_per_user: a request-rate workload gives "
                    "requests_growth_per_quarter, prompt and output_tokens, and its SLOs (ttft_p99_s, "
                    "tpot_p99_s)"
                )
        if self.kind == "training":
            missing = [k for k in ("quarter", "tokens") if getattr(self, k) is None]
            if missing:
                raise ValueError(f"a training workload needs {' and '.join(missing)}")
            extra = [k for k in ("users", "tokens_per_s_per_user", "ttft_s") if getattr(self, k) is not None]
            if extra or self.upgrades:
                raise ValueError(f"{', '.join(extra or ['upgrades'])}: serving keys in a training workload")
        return self


class Uncertainty(_Strict):
    """[uncertainty]: each judgement-call efficiency as [low, high] or one number."""

    bandwidth_efficiency: list[float] | float | None = None
    flops_efficiency: list[float] | float | None = None
    matmul_efficiency: list[float] | float | None = None
    usable_fraction: list[float] | float | None = None
    network_efficiency: list[float] | float | None = None


class WallsTable(_Strict):
    """[walls]: the walls view's own assumptions (llmwalls.engine.walls.WallsAssumptions)."""

    near_threshold: Share | None = None
    power_utilization: Share | None = None
    tokens_per_s_per_user: Positive | None = None
    ttft_s: Positive | None = None


class RoadmapSpec(_Strict):
    kind: Literal["roadmap"] = "roadmap"
    name: str = "roadmap"
    description: str = ""
    start: Quarter
    hardware: list[Hardware] = []  # one GPU type per period ...
    pools: list[Pool] = []  # ... or a fleet of pools live at once
    sites: list[Site] = []
    workloads: Annotated[list[Workload], Field(min_length=1)]
    uncertainty: Uncertainty | None = None
    walls: WallsTable | None = None

    @model_validator(mode="after")
    def _fleet(self) -> RoadmapSpec:
        if bool(self.hardware) == bool(self.pools):
            raise ValueError(
                "give [[hardware]] (one GPU type per period) or [[pools]] (several live at once), not both "
                "or neither"
            )
        return self


class AssumptionsFile(_Strict):
    uncertainty: Uncertainty | None = None
    walls: WallsTable | None = None


# ------------------------------------------------------------------------------------------------ loading


def _loc(loc: tuple) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "file"


def _is_union_tag(part: Any) -> bool:
    """pydantic puts the union member tried into the location ('float', 'list[float]', 'function-...')."""
    return isinstance(part, str) and (
        part in ("float", "int", "str", "list[float]") or part.startswith(("function-", "literal["))
    )


def _pydantic_problems(exc: ValidationError) -> list[str]:
    problems = []
    for err in exc.errors():
        loc = tuple(p for p in err["loc"] if not _is_union_tag(p))
        msg = err["msg"]
        if err["type"] == "extra_forbidden":
            msg = "unknown key (see docs/roadmap.md)"
        elif err["type"] == "missing":
            msg = "missing required key"
        elif err["type"] == "string_pattern_mismatch" and "Q" in QUARTER_RE:
            msg = f"not a quarter like 2026Q3 (got {err.get('input')!r})"
        elif msg.startswith("Value error, "):
            msg = msg[len("Value error, ") :]
        elif err["type"] not in ("value_error",) and not isinstance(err.get("input"), (dict, list)):
            msg += f" (got {err.get('input')!r})"
        problems.append(f"{_loc(loc)}: {msg}")
    # one problem per place: union members produce one error each
    seen, out = set(), []
    for p in problems:
        key = p.split(":")[0]
        if key not in seen:
            seen.add(key)
            out.append(p)
    return out


def _read(path: str, what: str = "roadmap") -> dict[str, Any]:
    from llmwalls.catalogue import MAX_DATA_FILE_BYTES, read_toml
    from llmwalls.errors import ProfileError
    from llmwalls.files import show_path

    try:
        return read_toml(Path(path).expanduser(), what=what, max_bytes=MAX_DATA_FILE_BYTES)
    except (ProfileError, RuntimeError) as exc:  # RuntimeError: expanduser of an unknown ~user
        raise RoadmapError(show_path(path), getattr(exc, "problems", ["no such file"])) from None


def _name_problem(kind: str, text: Any, where: str) -> str | None:
    from llmwalls import catalogue
    from llmwalls.errors import LlmwallsError as _Err

    if not isinstance(text, str):
        return None  # the schema reports the type
    try:
        catalogue.resolve(kind, text, announce=False)
    except _Err as exc:
        msg = str(exc)
        msg = re.sub(r" \(see `llmwalls profiles list[^)]*\)$", "", msg)
        return f"{where}: {msg}"
    return None


def _semantic_problems(data: dict[str, Any]) -> list[str]:
    """Checks on the raw data that a schema cannot make: profile names, quarter order, parseable sizes. Run
    even when the schema fails, so every problem is reported at once."""
    from llmwalls.errors import LlmwallsError as _Err
    from llmwalls.units import parse_count, parse_tokens

    problems: list[str] = []
    start = data.get("start")
    hw: list[Any] = data["hardware"] if isinstance(data.get("hardware"), list) else []
    prev = None
    for i, h in enumerate(hw):
        if not isinstance(h, dict):
            continue
        for key, kind in (("gpu", "gpu"), ("cluster", "cluster")):
            if key in h:
                p = _name_problem(kind, h[key], f"hardware[{i}].{key}")
                if p:
                    problems.append(p)
        q = h.get("quarter")
        if isinstance(q, str) and re.match(QUARTER_RE, q):
            qi = quarter_index(q.upper())
            if prev is not None and qi <= prev:
                problems.append(
                    f"hardware[{i}].quarter: {q} is not after the previous entry's quarter; list the "
                    "hardware in ascending quarter order"
                )
            if (
                i == 0
                and isinstance(start, str)
                and re.match(QUARTER_RE, start)
                and qi > quarter_index(start.upper())
            ):
                problems.append(
                    f"hardware[0].quarter: {q} is after start = {start}; the first hardware entry must "
                    "cover the first quarter"
                )
            prev = qi
    wl: list[Any] = data["workloads"] if isinstance(data.get("workloads"), list) else []
    names = set()
    for i, w in enumerate(wl):
        if not isinstance(w, dict):
            continue
        if w.get("name") in names:
            problems.append(f"workloads[{i}].name: {w.get('name')!r} is used twice")
        names.add(w.get("name"))
        p = _name_problem("model", w.get("model"), f"workloads[{i}].model")
        if p:
            problems.append(p)
        for key in ("context", "prompt", "output_tokens"):
            if isinstance(w.get(key), str):
                try:
                    parse_tokens(w[key], key)
                except _Err as exc:
                    problems.append(f"workloads[{i}].{key}: {exc}")
        if isinstance(w.get("tokens"), str):
            try:
                parse_count(w["tokens"], "tokens")
            except _Err as exc:
                problems.append(f"workloads[{i}].tokens: {exc}")
        ups: list[Any] = w["upgrades"] if isinstance(w.get("upgrades"), list) else []
        prev_u = None
        for j, u in enumerate(ups):
            if not isinstance(u, dict):
                continue
            p = _name_problem("model", u.get("model"), f"workloads[{i}].upgrades[{j}].model")
            if p:
                problems.append(p)
            q = u.get("quarter")
            if isinstance(q, str) and re.match(QUARTER_RE, q):
                qi = quarter_index(q.upper())
                if prev_u is not None and qi <= prev_u:
                    problems.append(
                        f"workloads[{i}].upgrades[{j}].quarter: {q} is not after the previous upgrade"
                    )
                prev_u = qi
    return problems


def _span(entry: dict[str, Any]) -> tuple[int, int | None] | None:
    """[from, until) of a pool entry in quarter indices; None when 'from' is not a quarter."""
    start, until = entry.get("from"), entry.get("until")
    if not (isinstance(start, str) and re.match(QUARTER_RE, start)):
        return None
    end = quarter_index(until.upper()) if isinstance(until, str) and re.match(QUARTER_RE, until) else None
    return quarter_index(start.upper()), end


def _fleet_problems(data: dict[str, Any]) -> list[str]:  # noqa: C901, PLR0912
    """A fleet's checks: profile and site names, pool periods (entries of one pool must not overlap), and
    every pinned workload on a pool live whenever it runs (not before the pool arrives, not after it
    retires)."""
    problems: list[str] = []
    pools = (
        [p for p in data.get("pools") or [] if isinstance(p, dict)]
        if isinstance(data.get("pools"), list)
        else []
    )

    def listed(key: str) -> list[Any]:
        value = data.get(key)
        return value if isinstance(value, list) else []

    site_names = {s.get("name") for s in listed("sites") if isinstance(s, dict)}
    workloads = listed("workloads")
    hardware = data.get("hardware")
    if isinstance(hardware, list) and hardware and pools:
        problems.append("pools: give [[hardware]] (one GPU type per period) or [[pools]], not both")
    if not pools and not hardware and "pools" not in data:
        problems.append("hardware: List should have at least 1 item, or give [[pools]] (a fleet)")
    if not pools:
        for i, w in enumerate(workloads):
            if isinstance(w, dict):
                for key in ("pool", "moves", "requests_per_s"):
                    if key in w:
                        problems.append(
                            f"workloads[{i}].{key}: needs a fleet roadmap ([[pools]]); this one has "
                            "[[hardware]]"
                        )
        return problems
    spans: dict[str, list[tuple[int, tuple[int, int | None]]]] = {}
    for i, p in enumerate(data["pools"]):
        if not isinstance(p, dict):
            continue
        for key, kind in (("gpu", "gpu"), ("cluster", "cluster")):
            if key in p:
                problem = _name_problem(kind, p[key], f"pools[{i}].{key}")
                if problem:
                    problems.append(problem)
        if "site" in p and p["site"] not in site_names:
            known = ", ".join(sorted(str(n) for n in site_names)) or "none"
            problems.append(f"pools[{i}].site: no [[sites]] entry named {p['site']!r} (sites: {known})")
        span = _span(p)
        if span is None:
            continue
        if span[1] is not None and span[1] <= span[0]:
            problems.append(f"pools[{i}].until: {p.get('until')} is not after from = {p.get('from')}")
            continue
        for j, other in spans.get(str(p.get("name")), []):
            if (other[1] is None or span[0] < other[1]) and (span[1] is None or other[0] < span[1]):
                problems.append(
                    f"pools[{i}]: pool {p.get('name')!r} overlaps pools[{j}] in time; entries of one pool "
                    "follow each other (end one with until where the next starts)"
                )
        spans.setdefault(str(p.get("name")), []).append((i, span))
    start = data.get("start")
    first = quarter_index(start.upper()) if isinstance(start, str) and re.match(QUARTER_RE, start) else None

    def live(name: str, qi: int) -> bool:
        return any(a <= qi and (b is None or qi < b) for _, (a, b) in spans.get(name, []))

    def life(name: str) -> str:
        return ", ".join(
            f"{quarter_name(a)}..{quarter_name(b - 1) if b is not None else ''}" for _, (a, b) in spans[name]
        )

    for i, w in enumerate(workloads):
        if isinstance(w, dict) and w.get("pool") is None and w.get("gpus") is None and w.get("share") is None:
            problems.append(
                f"workloads[{i}]: a workload placed by the audit needs gpus or share (or pin it with pool)"
            )
        if not isinstance(w, dict) or w.get("pool") is None:
            continue
        legs: list[tuple[str, str, int | None]] = [(f"workloads[{i}].pool", str(w["pool"]), None)]
        moves: list[Any] = w["moves"] if isinstance(w.get("moves"), list) else []
        for j, m in enumerate(moves):
            if (
                isinstance(m, dict)
                and isinstance(m.get("quarter"), str)
                and re.match(QUARTER_RE, m["quarter"])
            ):
                legs.append(
                    (
                        f"workloads[{i}].moves[{j}].pool",
                        str(m.get("pool")),
                        quarter_index(m["quarter"].upper()),
                    )
                )
        for place, name, _ in legs:
            if name not in spans:
                problems.append(f"{place}: no pool named {name!r} (pools: {', '.join(sorted(spans))})")
        if any(name not in spans for _, name, _ in legs) or first is None:
            continue
        # the quarters the workload runs: serving from the start on; training from its quarter (every quarter
        # after it when it recurs); each leg holds from its quarter until the next leg's
        run_q = w.get("quarter")
        if w.get("kind") == "training":
            if not (isinstance(run_q, str) and re.match(QUARTER_RE, run_q)):
                continue
            begin = quarter_index(run_q.upper())
            end = None if w.get("every_months") else begin + 1
        else:
            begin, end = first, None
        for k, (place, name, at) in enumerate(legs):
            leg_start = max(begin, at if at is not None else begin)
            leg_end = legs[k + 1][2] if k + 1 < len(legs) else end
            if leg_end is not None and leg_end <= leg_start:
                continue
            if not live(name, leg_start):
                problems.append(
                    f"{place}: pool {name!r} is not live in {quarter_name(leg_start)}, when "
                    f"{w.get('name')} runs on it (live {life(name)})"
                )
                continue
            # the first quarter within the leg where the pool is gone (retired and not renewed)
            last = max((b for _, (a, b) in spans[name]), key=lambda b: b if b is not None else 10**9)
            if last is not None and (leg_end is None or leg_end > last):
                problems.append(
                    f"{place}: pool {name!r} retires in {quarter_name(last)} but {w.get('name')} still runs "
                    "on it then; move it with [[workloads.moves]] or pin it to a pool live that long"
                )
    return problems


def load_roadmap(path: str) -> RoadmapSpec:
    """Read and validate a roadmap; RoadmapError (exit 2) listing every problem with its place."""
    data = _read(path)
    problems: list[str] = []
    spec = None
    try:
        spec = RoadmapSpec.model_validate(data)
    except ValidationError as exc:
        problems.extend(_pydantic_problems(exc))
    problems.extend(_semantic_problems(data))
    fleet = _fleet_problems(data)
    if any(p.startswith(("hardware: List", "pools: give")) for p in fleet):  # said at its place already
        problems = [p for p in problems if not p.startswith("file: give [[hardware]]")]
    problems.extend(fleet)
    if problems or spec is None:
        raise RoadmapError(path, problems or ["not a roadmap"])
    return spec


def ranges_from(table: Uncertainty | None, where: str) -> dict:
    """[uncertainty] -> {name: Range | float} for llmwalls.engine.walls.corners."""
    from llmwalls.engine import walls as eng

    out: dict = {}
    problems = []
    if table is None:
        return out
    for name in eng.UNCERTAIN:
        value = getattr(table, name)
        if value is None:
            continue
        values = value if isinstance(value, list) else [value]
        if len(values) not in (1, 2) or not all(0 < v <= 1 for v in values):
            problems.append(
                f"uncertainty.{name}: give [low, high] or one number, each in (0, 1] (got {value!r})"
            )
            continue
        if len(values) == 2 and values[0] >= values[1]:
            problems.append(
                f"uncertainty.{name}: the range {value!r} is empty or descending; write [low, high]"
            )
            continue
        out[name] = (
            values[0] if len(values) == 1 else eng.Range(values[0], values[1], f"{where} [uncertainty]")
        )
    if problems:
        raise RoadmapError(where, problems)
    return out


def load_assumptions_file(path: str) -> tuple[dict, dict]:
    """--assumptions FILE for `llmwalls walls`: ([uncertainty] ranges, [walls] overrides)."""
    data = _read(path, "assumptions file")
    try:
        spec = AssumptionsFile.model_validate(data)
    except ValidationError as exc:
        raise RoadmapError(path, _pydantic_problems(exc)) from None
    walls = {k: v for k, v in (spec.walls.model_dump() if spec.walls else {}).items() if v is not None}
    return ranges_from(spec.uncertainty, path), walls
