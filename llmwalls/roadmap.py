"""Roadmap files for `llmwalls audit` (the format is documented in docs/roadmap.md) and the --assumptions file
of `llmwalls walls`: frozen pydantic schemas (unknown keys rejected) plus the checks a schema cannot make
(profile names, quarter order), with EVERY problem reported at its place in the file, e.g.
``roadmap.toml: workloads[1].model: unknown model 'lama-70b'; did you mean llama-2-70b?``.

This module reads files and resolves profiles; the arithmetic is llmwalls.engine.walls.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

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


class Workload(_Strict):
    name: Annotated[str, Field(min_length=1, max_length=80)]
    kind: Literal["serving", "training"] = "serving"
    model: str
    share: Share | None = None  # fraction of the fleet's GPUs, site power and monthly budget
    gpus: Count | None = None  # or a fixed GPU count
    # serving
    users: NonNegative | None = None
    users_growth_per_quarter: Growth = 0.0
    context: Tokens | None = None
    context_growth_per_quarter: Growth = 0.0
    prompt: Tokens | None = None
    tokens_per_s_per_user: Positive | None = None
    ttft_s: Positive | None = None
    weights: str = "bf16"
    kv_dtype: str = "bf16"
    upgrades: list[Upgrade] = []
    # training
    quarter: Quarter | None = None  # the quarter the run starts
    tokens: Amount | None = None
    deadline_days: Positive | None = None
    budget_usd: Positive | None = None

    @model_validator(mode="after")
    def _check(self) -> Workload:
        if self.share is not None and self.gpus is not None:
            raise ValueError("give share or gpus, not both")
        if self.kind == "serving" and self.users is None:
            raise ValueError("a serving workload needs users (concurrent users in the first quarter)")
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
    hardware: Annotated[list[Hardware], Field(min_length=1)]
    workloads: Annotated[list[Workload], Field(min_length=1)]
    uncertainty: Uncertainty | None = None
    walls: WallsTable | None = None


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
    hw = data.get("hardware") if isinstance(data.get("hardware"), list) else []
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
    wl = data.get("workloads") if isinstance(data.get("workloads"), list) else []
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
        for key in ("context", "prompt"):
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
        ups = w.get("upgrades") if isinstance(w.get("upgrades"), list) else []
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


# -------------------------------------------------------------------------------------------------- audit

DEFAULT_CLUSTER = "dgx-h100"  # node, fabric and facility figures when a hardware entry names no cluster


def _hardware_at(spec: RoadmapSpec, qi: int) -> tuple[int, Hardware]:
    chosen = None
    for i, h in enumerate(spec.hardware):
        if quarter_index(h.quarter.upper()) <= qi:
            chosen = (i, h)
    assert chosen is not None  # the first entry covers the start (checked on load)
    return chosen


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


def audit(
    spec: RoadmapSpec,
    *,
    months: int = 18,
    ranges: dict | None = None,
    assumptions=None,  # noqa: ANN001, C901, PLR0912, PLR0915
    where: str = "roadmap",
) -> dict:
    """Every workload x quarter of the horizon against every wall (llmwalls.engine.walls), the first quarter
    and wall each workload starves on, and what would fix it. Returns plain dicts and floats."""
    import math

    from llmwalls import catalogue
    from llmwalls.engine import walls as eng
    from llmwalls.engine.model import param_counts
    from llmwalls.engine.plan import default_global_batch, default_seq_len
    from llmwalls.errors import InputError
    from llmwalls.units import MEGA, SECONDS_PER_DAY, parse_count, parse_tokens

    a = assumptions or eng.DEFAULT_ASSUMPTIONS
    start = quarter_index(spec.start.upper())
    n_q = max(1, math.ceil(months / 3))
    quarters = [start + k for k in range(n_q)]
    shares = _shares(spec)
    problems: list[str] = []
    notes: list[str] = []
    rows: list[dict] = []
    summary: list[dict] = []
    base_ranges = dict(eng.DEFAULT_RANGES if ranges is None else ranges)

    def tokens_of(value, what: str) -> int:  # noqa: ANN001
        return parse_tokens(value, what) if isinstance(value, str) else int(value)

    for wi, w in enumerate(spec.workloads):
        if (
            w.kind == "training"
            and w.quarter is not None
            and quarter_index(w.quarter.upper()) not in quarters
        ):
            notes.append(
                f"{w.name} starts in {w.quarter}, outside the {quarter_name(quarters[0])}.."
                f"{quarter_name(quarters[-1])} horizon: not audited (see --months)"
            )
        starve = None
        starve_pess = None
        for k, qi in enumerate(quarters):
            hi_idx, hw = _hardware_at(spec, qi)
            gpu = catalogue.load("gpu", hw.gpu, announce=False)
            cl_name = hw.cluster or DEFAULT_CLUSTER
            cl = eng.cluster_for_gpu(catalogue.load("cluster", cl_name, announce=False), gpu)
            if hw.cluster is None and f"hardware[{hi_idx}]" not in " ".join(notes):
                notes.append(
                    f"hardware[{hi_idx}] ({hw.gpu}) names no cluster: {DEFAULT_CLUSTER}'s node, fabric and "
                    "facility figures are used with the GPU's own scale-up bandwidth"
                )
            gpus = w.gpus if w.gpus is not None else int(math.floor(shares[wi] * hw.gpus))  # type: ignore[operator]
            frac = gpus / hw.gpus
            if gpus < 1:
                problems.append(
                    f"workloads[{wi}] ({w.name}): its share of hardware[{hi_idx}]'s {hw.gpus} GPUs is "
                    "less than one GPU"
                )
                continue
            if w.gpus is not None and gpus > hw.gpus:
                notes.append(
                    f"{w.name} asks for {gpus:,} GPUs in {quarter_name(qi)}, more than the fleet's "
                    f"{hw.gpus:,}"
                )
            from llmwalls.engine.cost import CostAssumptions

            price, _ = catalogue.rental_price(
                gpu.name, hw.usd_per_gpu_hour, CostAssumptions().rent_usd_per_gpu_hour
            )
            site_w = hw.site_mw * MEGA * frac if hw.site_mw is not None else None
            model = catalogue.load("model", _model_at(w, qi), announce=False)
            if w.kind == "serving":
                budget = hw.budget_usd_per_month * frac if hw.budget_usd_per_month is not None else None
            else:
                budget = w.budget_usd
            site = eng.site_for(gpu, cl, site_w=site_w, usd_per_gpu_hour=price, budget_usd=budget)
            corners = eng.corners(eng.resolve_ranges(base_ranges, gpu, w.weights))
            row: dict = {
                "workload": w.name,
                "kind": w.kind,
                "quarter": quarter_name(qi),
                "gpu": gpu.name,
                "gpus": gpus,
                "model": model.name,
                "site_w": site_w,
                "budget_usd": budget,
            }
            if w.kind == "serving":
                users = float(w.users) * (1.0 + w.users_growth_per_quarter) ** k  # type: ignore[arg-type]
                users = max(1.0, math.ceil(users - 1e-9))
                ctx0 = tokens_of(w.context, "context") if w.context is not None else 4096
                ctx = int(round(ctx0 * (1.0 + w.context_growth_per_quarter) ** k))
                prompt = tokens_of(w.prompt, "prompt") if w.prompt is not None else None
                if ctx > model.max_context_tokens:
                    notes.append(
                        f"{w.name} in {quarter_name(qi)}: context {ctx:,} is above {model.name}'s "
                        f"maximum of {model.max_context_tokens:,}"
                    )
                tp = eng.best_tp(
                    model,
                    gpu,
                    site,
                    gpus=gpus,
                    users=users,
                    context_tokens=ctx,
                    prompt_tokens=prompt,
                    tokens_per_s_per_user=w.tokens_per_s_per_user,
                    ttft_s=w.ttft_s,
                    weights=w.weights,
                    kv_dtype=w.kv_dtype,
                    assumptions=a,
                )
                kw = {
                    "gpus": gpus,
                    "tp": tp,
                    "users": users,
                    "context_tokens": ctx,
                    "prompt_tokens": prompt,
                    "tokens_per_s_per_user": w.tokens_per_s_per_user,
                    "ttft_s": w.ttft_s,
                    "weights": w.weights,
                    "kv_dtype": w.kv_dtype,
                    "assumptions": a,
                }
                try:
                    res = {c: eng.serving_walls(model, gpu, site, eff=e, **kw) for c, e in corners.items()}
                except InputError as exc:
                    problems.append(f"workloads[{wi}] ({w.name}) in {quarter_name(qi)}: {exc}")
                    continue
                row.update({"users": users, "context_tokens": ctx, "tp": tp})
            else:
                if qi != quarter_index(w.quarter.upper()):  # type: ignore[union-attr]
                    continue
                seq = tokens_of(w.context, "context") if w.context is not None else default_seq_len(model)
                tokens = parse_count(w.tokens, "tokens") if isinstance(w.tokens, str) else float(w.tokens)  # type: ignore[arg-type]
                deadline = w.deadline_days * SECONDS_PER_DAY if w.deadline_days is not None else None
                try:
                    res = {
                        c: eng.training_walls(
                            model,
                            gpu,
                            cl,
                            site,
                            gpus=gpus,
                            seq_len=seq,
                            global_batch=default_global_batch(seq),
                            tokens=tokens,
                            deadline_s=deadline,
                            eff=e,
                            assumptions=a,
                        )
                        for c, e in corners.items()
                    }
                except InputError as exc:
                    problems.append(f"workloads[{wi}] ({w.name}) in {quarter_name(qi)}: {exc}")
                    continue
                row.update(
                    {
                        "tokens": tokens,
                        "context_tokens": seq,
                        "layout": res["central"]["layout"],
                        "time_to_train_s": float(res["central"]["time_to_train_s"]),
                    }
                )
                if tokens < 1 or param_counts(model).total <= 0:
                    continue
            c, lo, hi = res["central"], res["pessimistic"], res["optimistic"]
            walls = {}
            for name, wall in c["walls"].items():
                u = float(wall["utilization"])
                vals = [
                    v
                    for v in (
                        u,
                        float(lo["walls"][name]["utilization"]),
                        float(hi["walls"][name]["utilization"]),
                    )
                    if not math.isnan(v)
                ]
                walls[name] = {
                    "demand": float(wall["demand"]),
                    "limit": float(wall["limit"]),
                    "unit": wall["unit"],
                    "utilization": u,
                    "headroom": (1.0 - u) if not math.isnan(u) else None,
                    "range": [min(vals), max(vals)] if vals else [None, None],
                    "status": str(eng.status(u, a.near_threshold)),
                }
            row["walls"] = walls
            row["binding"] = str(c["binding"])
            hit = [n for n, v in walls.items() if v["status"] == "hit"]
            hit_pess = [n for n, v in walls.items() if v["range"][1] is not None and v["range"][1] > 1]
            row["hit"] = hit
            row["first_wall"] = max(hit, key=lambda n: walls[n]["utilization"]) if hit else None
            rows.append(row)
            if hit and starve is None:
                starve = (qi, row, gpu, site, model, res["central"], w)
            if hit_pess and starve_pess is None:
                starve_pess = (qi, max(hit_pess, key=lambda n: walls[n]["range"][1]))
        entry: dict = {
            "workload": w.name,
            "kind": w.kind,
            "starves": starve is not None,
            "quarter": quarter_name(starve[0]) if starve else None,
            "wall": starve[1]["first_wall"] if starve else None,
            "quarter_pessimistic": quarter_name(starve_pess[0]) if starve_pess else None,
            "wall_pessimistic": starve_pess[1] if starve_pess else None,
        }
        if starve is not None:
            entry["fix"] = _fix(starve, a)
        summary.append(entry)
    if problems:
        raise RoadmapError(where, problems)
    order = sorted(
        summary, key=lambda s: (not s["starves"], quarter_index(s["quarter"]) if s["quarter"] else 0)
    )
    return {
        "quarters": [quarter_name(q) for q in quarters],
        "rows": rows,
        "summary": order,
        "notes": notes,
        "starves": any(s["starves"] for s in summary),
    }


def _fix(starve: tuple, a) -> dict:  # noqa: ANN001, C901
    """What extra hardware, power or money would bring every wall of the starving quarter under 1."""
    import math

    import numpy as np

    from llmwalls.engine import walls as eng
    from llmwalls.units import MEGA

    qi, row, gpu, site, model, res, w = starve
    walls = row["walls"]
    out: dict = {"quarter": row["quarter"], "gpus_now": row["gpus"]}
    if w.kind == "serving":
        need = eng.serving_gpus_needed(
            model,
            gpu,
            site,
            users=row["users"],
            context_tokens=row["context_tokens"],
            prompt_tokens=res["prompt_tokens"].item(),
            tokens_per_s_per_user=w.tokens_per_s_per_user,
            ttft_s=w.ttft_s,
            weights=w.weights,
            kv_dtype=w.kv_dtype,
            assumptions=a,
        )
        if need["found"]:
            gpus_needed = float(need["gpus"])
            out.update(
                {
                    "gpus_needed": gpus_needed,
                    "tp": need["tp"],
                    "extra_gpus": max(0.0, gpus_needed - row["gpus"]),
                }
            )
        else:
            gpus_needed = float(row["gpus"])
            out["gpus_needed"] = None
            out["note"] = (
                f"no GPU count fixes it: even one replica at the largest TP in the {site.domain_gpus}-GPU "
                f"scale-up domain misses the per-user targets on {gpu.name}; a faster GPU, a smaller model "
                "or a lower target is needed"
            )
    else:
        gpus_needed = float(row["gpus"])
        comp = walls["compute"]["utilization"]
        if not math.isnan(comp) and comp > 1:
            # time to train ~ 1 / GPUs at a fixed layout efficiency: a first-order estimate (MFU falls with
            # scale)
            gpus_needed = math.ceil(row["gpus"] * comp / site.gpus_per_node) * site.gpus_per_node
            out["note"] = (
                "GPUs for the deadline assume time scales as 1/GPUs (MFU falls with scale: check with "
                "`llmwalls cluster --gpus N`)"
            )
        if walls["memory capacity"]["utilization"] > 1:
            out["note"] = (
                "no layout of this model fits these GPUs' memory; more GPUs (deeper PP/ZeRO sharding) or "
                "GPUs with more HBM: `llmwalls cluster --search`"
            )
        out.update({"gpus_needed": gpus_needed, "extra_gpus": max(0.0, gpus_needed - row["gpus"])})
    # Keep the GPUs there are and add what the GPU-bound walls need; power and money are then priced on that.
    gpus_plan = max(float(row["gpus"]), gpus_needed)
    out["gpus_plan"] = gpus_plan
    power_needed = float(np.asarray(eng.facility_w(gpus_plan, site, a)))
    out["facility_w_needed"] = power_needed
    if site.site_w is not None:
        out["extra_mw"] = max(0.0, power_needed - site.site_w) / MEGA
    if site.budget_usd is not None and site.usd_per_gpu_hour is not None:
        if w.kind == "serving":
            usd = gpus_plan * eng.HOURS_PER_MONTH * site.usd_per_gpu_hour
        else:  # GPU-hours stay about the same when the run is spread over more GPUs (first order)
            usd = float(walls["cost"]["demand"])
        out["usd_needed"] = usd
        out["extra_usd"] = max(0.0, usd - site.budget_usd)
    return out
