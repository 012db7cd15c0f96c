"""`cost`: capex and opex of a GPU fleet, a training run's cost (given GPU-hours, or planned as `cluster`
plans it), $ per million tokens, the GPUs N users need, buy against rent, and the cost wall against a budget.

    >>> from llmwalls import api
    >>> report = api.cost(gpu="h800", gpu_hours=2.788e6)
    >>> report.results.run.rent_usd      # 2,788,000 H800-hours x $2 = $5,576,000 (DeepSeek-V3, Table 1)

The formulas are llmwalls.engine.cost's; facility watts per GPU come from engine.power.site_for and
site_power, the same site figures `power` and `walls` use.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from llmwalls import notices
from llmwalls.api._planning import MAX_GPUS, TrainingPlan
from llmwalls.api._profiles import rental_price
from llmwalls.api.types import KvFormat, Plan, TrainingPrecision, Wall, WeightFormat
from llmwalls.engine.cost import CostAssumptions
from llmwalls.errors import InputError

if TYPE_CHECKING:
    from llmwalls.specs import ClusterSpec, GpuSpec, ModelSpec

# Serving defaults when none is given: the tokens each user's KV cache holds, the decode speed each user
# must get (faster than people read, ~4-5 words/s, with margin), the TCO horizon in months, and the GPUs of
# the scale-up domain TP may span without a cluster profile (one 8-GPU node; over PCIe for GPUs without a
# scale-up link, which the roofline engine charges as slower all-reduces).
DEFAULT_CONTEXT_TOKENS = 4096
DEFAULT_TOKENS_PER_S_PER_USER = 20.0
DEFAULT_MONTHS = 36.0
DEFAULT_SCALE_UP_GPUS = 8
POWER_SOURCE = "llmwalls.engine.power (GPU linear in utilisation, node overhead, fat-tree switches, PUE)"


@dataclass(frozen=True)
class CostInputs:
    model: str | None
    gpu: str
    cluster: str | None
    gpus: int | None
    gpu_hours: float | None
    tokens: float | None
    rent_usd_per_gpu_hour: float | None
    gpu_price_usd: float | None
    users: int | None
    tokens_per_s_per_user: float
    tokens_per_s: float | None
    context_tokens: int
    weights: WeightFormat
    kv_dtype: KvFormat
    months: float
    budget_usd: float | None
    budget_per_month: bool
    plan: Plan
    utilization: float
    liquid_cooling: bool
    precision: TrainingPrecision | None = None  # the planned run's GEMM recipe (None: no run)


@dataclass(frozen=True)
class PriceSource:
    """A price and where it came from; ``known`` is False when neither a profile nor the caller gives one
    (``usd`` is then NaN in Python, null in the JSON)."""

    usd: float | None
    source: str
    known: bool


@dataclass(frozen=True)
class Capex:
    """Capital cost per GPU, itemised (engine.cost.capex_per_gpu)."""

    gpu_usd: float
    server_usd: float
    compute_usd: float
    network_usd: float
    storage_usd: float
    liquid_cooling_usd: float
    facility_usd: float
    infrastructure_usd: float
    infrastructure_top_down_usd: float
    infra_itemised_exceeds_share: bool
    total_usd: float
    infrastructure_share_of_total: float


@dataclass(frozen=True)
class Fleet:
    """Own `gpus` GPUs against renting them around the clock (engine.cost.fleet_costs). break_even_month is
    None when buying never pays back (or the purchase price is unknown)."""

    gpus: float
    capex_usd: float
    capital_recovery_factor: float
    amortised_capex_usd_per_year: float
    energy_kwh_per_year: float
    electricity_usd_per_year: float
    maintenance_usd_per_year: float
    staff_usd_per_year: float
    opex_usd_per_year: float
    opex_usd_per_month: float
    owned_usd_per_year: float
    owned_usd_per_month: float
    owned_usd_per_gpu_hour: float
    rent_usd_per_month: float
    months: float
    tco_buy_usd: float
    tco_rent_usd: float
    break_even_month: float | None
    pays_back_within_life: bool


@dataclass(frozen=True)
class RunCost:
    gpu_hours: float
    rent_usd: float
    owned_usd: float


@dataclass(frozen=True)
class TrainingCost:
    """A training run planned as `cluster` plans it, rented and on owned GPUs."""

    plan: TrainingPlan
    rent_usd: float
    owned_usd: float


@dataclass(frozen=True)
class TokenCost:
    tokens_per_s_per_gpu: float
    utilization: float
    rent_usd_per_million_tokens: float
    owned_usd_per_million_tokens: float


@dataclass(frozen=True)
class ServingCapacity:
    """Users one replica serves, from the roofline engine (engine.cost.serving_capacity); feasible False
    when no TP up to largest_tp_tried holds even one user at the per-user speed."""

    source: str
    feasible: bool
    largest_tp_tried: int
    tp: int | None
    batch_per_replica: int | None
    tokens_per_s_per_user_at_batch: float | None
    max_batch_that_fits_per_replica: float | None
    kv_bytes_per_user: float | None
    weights_bytes_per_gpu: float | None


@dataclass(frozen=True)
class ServingFleet:
    """GPUs for `users` concurrent users (engine.cost.serving_fleet), whole replicas, and what they cost."""

    users_per_gpu: float
    users_per_gpu_by_speed: float
    users_per_gpu_by_memory: float | None
    memory_bound: bool
    replicas: float
    gpus: float
    capex_usd: float
    rent_usd_per_month: float


@dataclass(frozen=True)
class RentOption:
    name: str
    provider: str
    commitment: str
    usd_per_gpu_hour: float
    price_date: str
    source: str
    break_even_month: float | None
    tco_rent_usd: float


@dataclass(frozen=True)
class BudgetCheck:
    """What the budget is compared with: the plan, a description, per month or in total."""

    plan: Plan
    what: str
    per_month: bool
    demand_usd: float
    budget_usd: float


@dataclass(frozen=True)
class Assumption:
    value: float | bool | None
    source: str
    date: str


@dataclass(frozen=True)
class CostResults:
    gpu: str
    cluster: str | None
    model: str | None
    gpu_unit_price: PriceSource
    rent: PriceSource
    power_source: str
    fleet_gpus: int | None
    fleet_from: str | None
    capex_per_gpu: Capex
    facility_w_per_gpu: float
    fleet: Fleet
    run: RunCost | None
    training_plan: TrainingCost | None
    tokens: TokenCost | None
    serving: ServingCapacity | None
    serving_fleet: ServingFleet | None
    budget: BudgetCheck | None
    rent_options: tuple[RentOption, ...]
    assumptions: dict[str, Assumption]


@dataclass(frozen=True)
class CostReport:
    inputs: CostInputs
    results: CostResults
    walls: tuple[Wall, ...]
    warnings: tuple[str, ...]
    notes: tuple[str, ...]


def _f(x: Any) -> float:
    return float(x)


def _finite(x: Any) -> float | None:
    v = float(x)
    return v if math.isfinite(v) else None


def gpu_purchase_price(g: GpuSpec, given_usd: float | None) -> PriceSource:
    """One GPU's purchase price: the one given, else the profile's dated unit_price_usd, else unknown (NaN,
    warned): never another GPU's price. NaN propagates through the cost engine, so every buy-side figure
    comes out unknown (None in the JSON)."""
    if given_usd is not None:
        return PriceSource(given_usd, "given", True)
    if g.unit_price_usd is not None:
        return PriceSource(g.unit_price_usd, f"{g.name} profile ({g.price_date})", True)
    source = f"no public purchase price for {g.name}; give one for the buy-side figures"
    notices.warn(source)
    return PriceSource(math.nan, source, False)


def cost(
    model: str | ModelSpec | None = None,
    *,
    gpu: str | GpuSpec | None = None,
    cluster: str | ClusterSpec | None = None,
    gpus: int | None = None,
    gpu_hours: float | None = None,
    train_tokens: float | None = None,
    precision: TrainingPrecision | str | None = None,
    rent_usd_per_gpu_hour: float | None = None,
    gpu_price_usd: float | None = None,
    users: int | None = None,
    tokens_per_s_per_user: float = DEFAULT_TOKENS_PER_S_PER_USER,
    tokens_per_s: float | None = None,
    context_tokens: int = DEFAULT_CONTEXT_TOKENS,
    weights: WeightFormat | str = WeightFormat.bf16,
    kv_dtype: KvFormat | str = KvFormat.bf16,
    months: float = DEFAULT_MONTHS,
    budget_usd: float | None = None,
    budget_per_month: bool = False,
    plan: Plan | str | None = None,
    liquid_cooling: bool = False,
    assumptions: CostAssumptions | None = None,
) -> CostReport:
    """What `gpus` GPUs of `gpu` (default: the cluster's) cost to buy and run over `months`, against renting
    them; a run of gpu_hours GPU-hours, or of train_tokens tokens of `model` planned as `cluster` plans it
    (its GEMMs in ``precision``, default bf16);
    $ per million tokens at tokens_per_s per GPU (else the roofline's, with `model`); the GPUs `users`
    concurrent users at tokens_per_s_per_user each need; and the budget (total, or per month) against the
    plan bought or rented. Every price and judgement call is a field of ``assumptions``
    (engine.cost.CostAssumptions) with its source."""
    with notices.collecting() as bag:
        inputs, results, walls = _cost(
            model,
            gpu=gpu,
            cluster=cluster,
            gpus=gpus,
            gpu_hours=gpu_hours,
            train_tokens=train_tokens,
            precision=precision,
            rent_given=rent_usd_per_gpu_hour,
            gpu_price_given=gpu_price_usd,
            users=users,
            per_user=tokens_per_s_per_user,
            tps_given=tokens_per_s,
            context_tokens=context_tokens,
            weights=WeightFormat(weights),
            kv_dtype=KvFormat(kv_dtype),
            months=months,
            budget_usd=budget_usd,
            budget_per_month=budget_per_month,
            plan=Plan(plan) if plan is not None else None,
            liquid_cooling=liquid_cooling,
            a=assumptions if assumptions is not None else CostAssumptions(),
        )
    return CostReport(inputs, results, walls, tuple(bag.warnings), tuple(bag.notes))


def _check(a: CostAssumptions, **given: float | None) -> None:
    for name, value in given.items():
        if value is not None and not (math.isfinite(value) and value > 0):
            raise InputError(f"{name.replace('_', ' ')} must be a finite number above 0, got {value!r}")
    if not 0 <= a.infra_share < 1:
        raise InputError(
            f"infrastructure share must be below 1 (a share of the total), got {a.infra_share:g}"
        )
    if not 0 < a.utilization <= 1:
        raise InputError(f"utilisation must be in (0, 1], got {a.utilization:g}")
    if a.pue is not None and not (math.isfinite(a.pue) and 1 <= a.pue <= 5):
        raise InputError(f"PUE must be between 1 and 5 (facility power / IT power), got {a.pue:g}")
    if not (math.isfinite(a.years) and a.years > 0):
        raise InputError(f"years to amortise over must be above 0, got {a.years:g}")
    if not (0 <= a.cost_of_capital < 1):
        raise InputError(f"cost of capital must be a yearly fraction in [0, 1), got {a.cost_of_capital:g}")


def _cost(
    model: str | ModelSpec | None,
    *,
    gpu: str | GpuSpec | None,
    cluster: str | ClusterSpec | None,
    gpus: int | None,
    gpu_hours: float | None,
    train_tokens: float | None,
    precision: TrainingPrecision | str | None,
    rent_given: float | None,
    gpu_price_given: float | None,
    users: int | None,
    per_user: float,
    tps_given: float | None,
    context_tokens: int,
    weights: WeightFormat,
    kv_dtype: KvFormat,
    months: float,
    budget_usd: float | None,
    budget_per_month: bool,
    plan: Plan | None,
    liquid_cooling: bool,
    a: CostAssumptions,
) -> tuple[CostInputs, CostResults, tuple[Wall, ...]]:
    import numpy as np

    from llmwalls import catalogue
    from llmwalls.engine import cost as eng
    from llmwalls.engine import power as pw

    # ------------------------------------------------------------------ validate and resolve
    _check(
        a,
        gpu_hours=gpu_hours,
        training_tokens=train_tokens,
        rental_price=rent_given,
        GPU_purchase_price=gpu_price_given,
        tokens_per_s_per_user=per_user,
        tokens_per_s_per_GPU=tps_given,
        months=months,
        budget=budget_usd,
    )
    if gpus is not None and not 1 <= gpus <= MAX_GPUS:
        raise InputError(f"GPU count must be between 1 and {MAX_GPUS:,}, got {gpus:,}")
    if users is not None and users < 1:
        raise InputError(f"concurrent users must be at least 1, got {users}")
    if context_tokens < 1:
        raise InputError(f"context must be at least 1 token, got {context_tokens}")
    if budget_per_month and budget_usd is None:
        raise InputError("a monthly budget check needs the budget")
    if precision is not None and train_tokens is None:
        raise InputError("a training precision needs a planned run: give the training tokens")
    if train_tokens is not None and model is None:
        raise InputError("a training run's tokens need the model trained on them")
    if users is not None and tps_given is None and model is None:
        raise InputError("serving users needs tokens/s per GPU or a model to estimate it")
    cl = catalogue.load_cluster(cluster) if isinstance(cluster, str) else cluster
    if gpu is None:
        if cl is None:
            raise InputError("give a GPU (e.g. h100) or a cluster")
        gpu = cl.gpu
    g = catalogue.load_gpu(gpu) if isinstance(gpu, str) else gpu
    spec = catalogue.load_model(model) if isinstance(model, str) else model

    # Site figures (node overhead, PUE, rack limit, idle power): engine.power.site_for, as power and walls.
    g.require_tdp_w()  # no public TDP: refused (a cost without power figures would borrow another chip's)
    site = pw.site_for(g, cl, pue=a.pue, liquid=True if liquid_cooling else None)
    if cl is not None:
        for note in site.notes:  # e.g. no public host power for the cluster: accelerators only
            notices.warn(note)
    a = a.replace(
        pue=site.pue,
        node_overhead_w_per_gpu=site.node_overhead_w / site.gpus_per_node,
        gpus_per_cabinet=float(cl.gpus_per_rack) if cl is not None and cl.gpus_per_rack else None,
        liquid_cooled=site.cooling == "liquid",
        idle_power_fraction=site.idle_w / site.tdp_w if g.idle_power_w is not None else None,
    )
    gpu_price = gpu_purchase_price(g, gpu_price_given)
    options = tuple(
        RentOption(
            p.name,
            p.provider,  # type: ignore[attr-defined]
            p.commitment,  # type: ignore[attr-defined]
            p.usd_per_gpu_hour,  # type: ignore[attr-defined]
            p.price_date,  # type: ignore[attr-defined]
            p.source,
            None,
            math.nan,
        )
        for p in catalogue.prices_for_gpu(g.name)
    )
    rent = PriceSource(*rental_price(g.name, rent_given), True)
    assert gpu_price.usd is not None and rent.usd is not None
    a = a.replace(gpu_unit_price_usd=gpu_price.usd, rent_usd_per_gpu_hour=rent.usd)

    # ------------------------------------------------------------------ training plan
    planned: TrainingPlan | None = None
    if train_tokens is not None:
        assert spec is not None
        from llmwalls.api._planning import plan_run

        planned = plan_run(spec, cl, g, gpus=gpus, train_tokens=train_tokens, precision=precision)

    # ------------------------------------------------------------------ serving capacity
    serving: ServingCapacity | None = None
    tps_gpu = tps_given
    replica_gpus = 1
    if tps_given is None and spec is not None and (planned is None or users is not None):
        domain = cl.scale_up_domain_gpus if cl is not None else DEFAULT_SCALE_UP_GPUS
        largest_tp = max(t for t in eng.SERVING_TP_SIZES if t <= max(domain, 1))
        cap = eng.serving_capacity(
            spec,
            g,
            context_tokens=context_tokens,
            tokens_per_s_per_user=per_user,
            scale_up_domain_gpus=domain,
            weights=weights.value,
            kv_dtype=kv_dtype.value,
        )
        source = "llmwalls.engine.roofline (decode, memory-bound roofline with its efficiencies)"
        if cap["feasible"]:
            replica_gpus = cap["tp"]
            tps_gpu = cap["tokens_per_s_per_gpu"]
            serving = ServingCapacity(
                source,
                True,
                largest_tp_tried=largest_tp,
                tp=cap["tp"],
                batch_per_replica=cap["batch_per_replica"],
                tokens_per_s_per_user_at_batch=cap["tokens_per_s_per_user_at_batch"],
                max_batch_that_fits_per_replica=cap["max_batch_that_fits_per_replica"],
                kv_bytes_per_user=cap["kv_bytes_per_user"],
                weights_bytes_per_gpu=cap["weights_bytes_per_gpu"],
            )
        else:
            serving = ServingCapacity(
                source, False, cap["largest_tp_tried"], None, None, None, None, None, None
            )
            notices.warn(
                f"{spec.name} on {g.name}: no tensor-parallel size up to {cap['largest_tp_tried']} holds "
                f"even one user's {context_tokens}-token KV cache at {per_user:g} tokens/s; "
                "no serving figures"
            )
    sf: dict[str, Any] | None = None
    if users is not None and tps_gpu is not None:
        per_gpu_fit = (
            serving.batch_per_replica / replica_gpus
            if serving is not None and serving.batch_per_replica is not None
            else math.inf
        )
        sf = eng.serving_fleet(users, per_user, tps_gpu, replica_gpus, per_gpu_fit)

    # ------------------------------------------------------------------ fleet, capex, power
    if gpus is not None:
        fleet_gpus, fleet_from = gpus, "given"
    elif cl is not None:
        fleet_gpus, fleet_from = cl.total_gpus, f"cluster {cl.name}"
    elif sf is not None:
        fleet_gpus, fleet_from = int(sf["gpus"]), "users"
    else:
        fleet_gpus, fleet_from = None, None
    g_count = fleet_gpus or 1
    capex = eng.capex_per_gpu(a)
    # Facility watts per GPU from the power engine at the fleet's average utilisation: board power linear in
    # utilisation (Fan et al. 2007), node overhead, fat-tree switches, x PUE.
    p = pw.site_power(site, pw.gpu_power_w(site.tdp_w, site.idle_w, a.utilization), g_count)
    facility_w = float(p["facility_w"]) / float(p["gpus"])
    fl = eng.fleet_costs(a, g_count, capex["total_usd"], facility_w, a.rent_usd_per_gpu_hour, months)
    owned_rate = float(fl["owned_usd_per_gpu_hour"])
    if options:  # every published rental price at once (vectorised over prices)
        per_price = eng.fleet_costs(
            a,
            g_count,
            capex["total_usd"],
            facility_w,
            np.array([o.usd_per_gpu_hour for o in options]),
            months,
        )
        options = tuple(
            RentOption(
                o.name,
                o.provider,
                o.commitment,
                o.usd_per_gpu_hour,
                o.price_date,
                o.source,
                _finite(per_price["break_even_month"][k]),
                float(per_price["tco_rent_usd"][k]),
            )
            for k, o in enumerate(options)
        )

    def run_costs(hours: float) -> tuple[float, float]:
        return float(eng.run_cost_usd(hours, a.rent_usd_per_gpu_hour)), float(
            eng.run_cost_usd(hours, owned_rate)
        )

    run = RunCost(gpu_hours, *run_costs(gpu_hours)) if gpu_hours is not None else None
    training = TrainingCost(planned, *run_costs(planned.gpu_hours)) if planned is not None else None
    token_costs = None
    if tps_gpu is not None:
        token_costs = TokenCost(
            tps_gpu,
            a.utilization,
            float(eng.usd_per_million_tokens(a.rent_usd_per_gpu_hour, tps_gpu, a.utilization)),
            float(eng.usd_per_million_tokens(owned_rate, tps_gpu, a.utilization)),
        )

    # ------------------------------------------------------------------ cost wall
    chosen = plan or (Plan.buy if fleet_gpus is not None else Plan.rent)
    walls: list[Wall] = []
    budget: BudgetCheck | None = None
    if budget_usd is not None:
        buy = chosen is Plan.buy
        if budget_per_month:
            if fleet_gpus is None:
                raise InputError("a monthly budget needs a fleet: give a GPU count, a cluster or users")
            demand = float(fl["owned_usd_per_month"] if buy else fl["rent_usd_per_month"])
            what = f"{chosen.value} {fleet_gpus:,} GPUs, per month"
        elif fleet_gpus is not None:
            demand = float(fl["tco_buy_usd"] if buy else fl["tco_rent_usd"])
            what = f"{chosen.value} {fleet_gpus:,} GPUs for {months:g} months"
        elif run is not None or training is not None:
            costed = run if run is not None else training
            assert costed is not None
            demand = costed.owned_usd if buy else costed.rent_usd
            what = f"training run, {chosen.value}"
        else:
            raise InputError(
                "a budget needs something to cost: a GPU count, a cluster, users, GPU-hours or "
                "training tokens"
            )
        budget = BudgetCheck(chosen, what, budget_per_month, demand, budget_usd)
        walls.append(Wall.of("cost", demand, budget_usd, "USD/month" if budget_per_month else "USD"))

    fleet_serving = None
    if sf is not None:
        n = float(sf["gpus"])
        fleet_serving = ServingFleet(
            users_per_gpu=_f(sf["users_per_gpu"]),
            users_per_gpu_by_speed=_f(sf["users_per_gpu_by_speed"]),
            users_per_gpu_by_memory=_finite(sf["users_per_gpu_by_memory"]),
            memory_bound=bool(sf["memory_bound"]),
            replicas=_f(sf["replicas"]),
            gpus=n,
            capex_usd=n * float(capex["total_usd"]),
            rent_usd_per_month=n * a.rent_usd_per_gpu_hour * eng.HOURS_PER_MONTH,
        )
    inputs = CostInputs(
        model=spec.name if spec is not None else None,
        gpu=g.name,
        cluster=cl.name if cl is not None else None,
        gpus=gpus,
        gpu_hours=gpu_hours,
        tokens=train_tokens,
        rent_usd_per_gpu_hour=rent_given,
        gpu_price_usd=gpu_price_given,
        users=users,
        tokens_per_s_per_user=per_user,
        tokens_per_s=tps_given,
        context_tokens=context_tokens,
        weights=weights,
        kv_dtype=kv_dtype,
        months=months,
        budget_usd=budget_usd,
        budget_per_month=budget_per_month,
        plan=chosen,
        utilization=a.utilization,
        liquid_cooling=liquid_cooling,
        precision=None if planned is None else TrainingPrecision(planned.precision),
    )
    fleet_values: dict[str, Any] = {k: _f(v) for k, v in fl.items()}
    fleet_values["break_even_month"] = _finite(fl["break_even_month"])  # inf: never pays back
    fleet_values["pays_back_within_life"] = bool(fl["pays_back_within_life"])
    capex_values: dict[str, Any] = {k: _f(v) for k, v in capex.items()}
    capex_values["infra_itemised_exceeds_share"] = bool(capex["infra_itemised_exceeds_share"])
    results = CostResults(
        gpu=g.name,
        cluster=cl.name if cl is not None else None,
        model=spec.name if spec is not None else None,
        gpu_unit_price=gpu_price,
        rent=rent,
        power_source=POWER_SOURCE,
        fleet_gpus=fleet_gpus,
        fleet_from=fleet_from,
        capex_per_gpu=Capex(**capex_values),
        facility_w_per_gpu=facility_w,
        fleet=Fleet(**fleet_values),
        run=run,
        training_plan=training,
        tokens=token_costs,
        serving=serving,
        serving_fleet=fleet_serving,
        budget=budget,
        rent_options=options,
        assumptions={k: Assumption(**v) for k, v in a.sources().items()},
    )
    return inputs, results, tuple(walls)
