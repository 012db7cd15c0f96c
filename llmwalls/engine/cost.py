"""The cost wall: what a GPU fleet costs to buy and run, what a training run and a million tokens cost, how
many GPUs N concurrent users need, buy against rent, and whether a budget holds.

Pure and vectorised: every function takes floats or numpy arrays (broadcast together) and returns a dict of
named arrays in US dollars, hours, months or watts. Nothing here reads files, prints or raises for an
infeasible point: a plan that never breaks even has ``break_even_month = inf``.

How capex is counted (an llmwalls assumption, stated two ways in common rules of thumb: infrastructure (power,
cooling, networking and facility construction) is "30-40% of the total budget", or "another 40 cents for every
dollar of compute"):

- *compute* per GPU = the GPU's unit price + its share of the rest of the server (CPUs, DRAM, NVSwitch
  baseboard, chassis, power supplies).
- *infrastructure* per GPU is read as a SHARE OF THE TOTAL (the first statement): with share s,
  total = compute / (1 - s) and infrastructure = compute * s / (1 - s). s = 0.30 -> 43 cents per compute
  dollar, s = 0.40 -> 67 cents. "Another 40 cents" is the markup reading (0.40 / 1.40 = 28.6% of
  the total), which matches the low end of "30-40%" only; the two statements do not agree, and we follow the
  one that names the budget. A markup m is the share m / (1 + m): ``--infra-share 0.2857`` reproduces
  "40 cents".
- The infrastructure is then itemised: scale-out network, storage, liquid cooling per cabinet (liquid-cooled
  clusters only) are counted from their own prices; what is left of the top-down share is *facility*
  (building, power distribution, cooling plant). If the itemised parts exceed the share, infrastructure is
  their sum (facility 0) and ``infra_itemised_exceeds_share`` is set: infrastructure = max(top-down share,
  itemised sum).

Amortisation: straight line (capex / years) when the cost of capital is 0, otherwise the capital recovery
factor CRF = r / (1 - (1 + r)^-n) (the level annual payment that repays a loan of 1 over n years at rate r;
e.g. Newnan, Eschenbach & Lavelle, *Engineering Economic Analysis*, the (A/P, i, n) factor; NREL, "Simple
Levelized Cost of Energy (LCOE) Calculator Documentation", which uses the same CRF).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from llmwalls.units import HOURS_PER_YEAR, SECONDS_PER_HOUR

HOURS_PER_MONTH = HOURS_PER_YEAR / 12.0  # 730.5 h: a month is a twelfth of a 365.25-day year
MONTHS_PER_YEAR = 12.0


def _src(source: str, date: str) -> dict[str, str]:
    return {"source": source, "date": date}


@dataclass(frozen=True)
class CostAssumptions:
    """Every price and judgement-call fraction the cost engine uses, each with a source and a date (read them
    with ``sources()``). The CLI overrides each from an option; GPU prices come from the GPU profile's
    ``unit_price_usd`` and rental prices from ``profiles/prices`` where published."""

    gpu_unit_price_usd: float = field(
        default=40_000.0,
        metadata=_src(
            "llmwalls assumption: an H100's price, the top of the $25,000-40,000 reported for one in "
            "2023-24; a library default only: the cost command takes the GPU profile's dated price or a "
            "given price and never falls back to this",
            "2025",
        ),
    )
    server_usd_per_gpu: float = field(
        default=6_250.0,
        metadata=_src(
            "llmwalls estimate: the rest of an 8-GPU server (2 CPUs, ~2 TB DDR5, NVSwitch baseboard, "
            "chassis, PSUs) "
            "~$50,000 per server / 8. SemiAnalysis 'AI Server Cost Analysis' (2023, via Epoch AI "
            "training-cost-trends): DGX H100 sale price ~$270,000, non-GPU parts BOM ~$32,000; less 8 GPUs "
            "at "
            "~$27,500 street price leaves ~$50,000",
            "2023-05",
        ),
    )
    network_usd_per_gpu: float = field(
        default=5_000.0,
        metadata=_src(
            "llmwalls estimate: 400 Gb/s NIC + share of a 2-tier InfiniBand NDR fat tree; the tech-talk-cto "
            "'H100 "
            "Freakonomics' spreadsheet prices 1,024 H100 at $1.73M of 64-port switches + $2.62M of cables "
            "and "
            "optics = $4,250 per GPU (NICs inside the node price)",
            "2024-08",
        ),
    )
    storage_usd_per_gpu: float = field(
        default=1_000.0,
        metadata=_src(
            "llmwalls estimate: ~1 PB of parallel file system per 1,000 GPUs at ~$1M per PB", "2025"
        ),
    )
    liquid_cooling_usd_per_cabinet: float = field(
        default=50_000.0,
        metadata=_src(
            "llmwalls assumption: direct-to-chip liquid cooling (cold plates, manifolds, a coolant "
            "distribution unit) at $50,000 per cabinet; counted for liquid-cooled clusters only",
            "2025",
        ),
    )
    gpus_per_cabinet: float = field(
        default=32.0,
        metadata=_src(
            "llmwalls assumption: 4 HGX nodes of 8 GPUs per rack (~41 kW at 10.2 kW per DGX H100); a cluster "
            "profile's gpus_per_rack replaces it (72 for GB200 NVL72)",
            "2025",
        ),
    )
    liquid_cooled: bool = field(
        default=False, metadata=_src("cluster profile's cooling field; --liquid-cooling", "-")
    )
    infra_share: float = field(
        default=0.35,
        metadata=_src(
            "llmwalls assumption: infrastructure (power, cooling, networking, facility) is 30-40% of the "
            "total budget; midpoint, read as a share of the total (see the module docstring)",
            "2025",
        ),
    )
    years: float = field(
        default=5.0,
        metadata=_src(
            "llmwalls assumption: straight-line life of the hardware. Hyperscalers book servers over 5-6 "
            "years "
            "(Microsoft 6 from FY2023, Meta 5.5 from 2025); GPU generations turn over every ~2 years",
            "2025",
        ),
    )
    cost_of_capital: float = field(
        default=0.0,
        metadata=_src(
            "llmwalls default 0 (straight line); e.g. 0.08 for an 8%/year cost of capital (capital recovery "
            "factor)",
            "-",
        ),
    )
    usd_per_kwh: float = field(
        default=0.08,
        metadata=_src(
            "US EIA, Electric Power Monthly, Table 5.3: average retail price to the industrial sector, "
            "~8 cents/kWh",
            "2024",
        ),
    )
    pue: float | None = field(
        default=None,
        metadata=_src(
            "None: the cluster profile's pue, else llmwalls.engine.power's default by cooling (1.58 air, "
            "Uptime "
            "Institute 2023 average; 1.15 direct liquid); --pue overrides",
            "2023",
        ),
    )
    node_overhead_w_per_gpu: float = field(
        default=575.0,
        metadata=_src(
            "NVIDIA DGX H100 datasheet: ~10.2 kW max per 8-GPU system -> (10,200 - 8 x 700) / 8 = 575 W per "
            "GPU "
            "of CPUs, DRAM, NICs, fans and PSU losses (as llmwalls.engine.power); a cluster profile's "
            "node_overhead_power_w replaces it",
            "2023",
        ),
    )
    idle_power_fraction: float = field(
        default=0.10,
        metadata=_src(
            "as llmwalls.engine.power: an idle H100 SXM draws ~70 W of its 700 W TDP; the GPU profile's "
            "idle_power_w replaces it",
            "2024",
        ),
    )
    maintenance_fraction_per_year: float = field(
        default=0.05,
        metadata=_src(
            "llmwalls assumption: hardware support contracts and spares, 3-10% of capex per year", "2025"
        ),
    )
    staff_usd_per_year: float = field(
        default=0.0,
        metadata=_src("optional (--staff-usd-per-year): operations staff for the whole fleet", "-"),
    )
    rent_usd_per_gpu_hour: float = field(
        default=2.50,
        metadata=_src(
            "library default (the cost command takes a price profile or --price-per-gpu-hour, never this): "
            "H100 rental in 2025 ranged "
            "~$2-3.50/GPU-hour; "
            "DeepSeek-V3 (arXiv:2412.19437, Table 1) assumed $2/H800-hour",
            "2025",
        ),
    )
    utilization: float = field(
        default=0.6,
        metadata=_src(
            "llmwalls assumption: average share of the hours a serving fleet does useful work (sized for "
            "peak, "
            "idle off-peak); sets $/token and the electricity a fleet draws",
            "2025",
        ),
    )

    def sources(self) -> dict[str, dict[str, Any]]:
        """name -> {value, source, date} for every assumption (for --json and the README)."""
        return {f.name: {"value": getattr(self, f.name), **f.metadata} for f in dataclasses.fields(self)}

    def replace(self, **changes: Any) -> CostAssumptions:
        """A copy with some values changed; None means 'keep the default'."""
        return dataclasses.replace(self, **{k: v for k, v in changes.items() if v is not None})


def _a(x: Any) -> np.ndarray:
    return np.asarray(x, dtype=float)


# ----------------------------------------------------------------------------------------------- capex


def capital_recovery_factor(rate: Any, years: Any) -> np.ndarray:
    """CRF = r / (1 - (1 + r)^-n) (Newnan, Engineering Economic Analysis, (A/P, i, n)); 1/n when r = 0."""
    r, n = np.broadcast_arrays(_a(rate), _a(years))
    with np.errstate(divide="ignore", invalid="ignore"):
        crf = r / (1.0 - (1.0 + r) ** (-n))
    return np.where(r == 0, 1.0 / n, crf)


def capex_per_gpu(a: CostAssumptions, gpu_unit_price_usd: Any | None = None) -> dict[str, np.ndarray]:
    """Capital cost per GPU, itemised (module docstring). gpu_unit_price_usd overrides a.gpu_unit_price_usd
    and may be an array."""
    gpu = _a(a.gpu_unit_price_usd if gpu_unit_price_usd is None else gpu_unit_price_usd)
    server = np.full_like(gpu, a.server_usd_per_gpu)
    compute = gpu + server
    # Infrastructure is a share s of the total (module docstring) -> total = compute / (1 - s).
    infra_top_down = compute * a.infra_share / (1.0 - a.infra_share)
    network = np.full_like(gpu, a.network_usd_per_gpu)
    storage = np.full_like(gpu, a.storage_usd_per_gpu)
    cooling = np.full_like(
        gpu, a.liquid_cooling_usd_per_cabinet / a.gpus_per_cabinet if a.liquid_cooled else 0.0
    )
    itemised = network + storage + cooling
    infrastructure = np.maximum(infra_top_down, itemised)
    facility = infrastructure - itemised
    total = compute + infrastructure
    return {
        "gpu_usd": gpu,
        "server_usd": server,
        "compute_usd": compute,
        "network_usd": network,
        "storage_usd": storage,
        "liquid_cooling_usd": cooling,
        "facility_usd": facility,
        "infrastructure_usd": infrastructure,
        "infrastructure_top_down_usd": infra_top_down,
        "infra_itemised_exceeds_share": itemised > infra_top_down,
        "total_usd": total,
        "infrastructure_share_of_total": infrastructure / total,
    }


# ------------------------------------------------------------------------------------------------ fleet


def fleet_costs(
    a: CostAssumptions,
    gpus: Any,
    capex_usd_per_gpu: Any,
    facility_w_per_gpu: Any,
    rent_usd_per_gpu_hour: Any,
    months: Any,
) -> dict[str, np.ndarray]:
    """Own a fleet of `gpus` against renting the same number of GPUs around the clock.

    Opex per year: electricity = W x 8,766 h / 1000 x $/kWh; maintenance = fraction x capex; staff as given.
    Owned $/GPU-hour = (capex x CRF + opex) / gpus / 8,766 h (wall-clock hours, busy or not).
    TCO over m months, cash view: buy = capex + opex/month x m; rent = $/GPU-hour x gpus x 730.5 h x m.
    Break-even month m* = capex / (rent/month - opex/month) (undiscounted); inf when renting is cheaper than
    running what you own. ``pays_back_within_life`` says whether m* <= years x 12."""
    g = _a(gpus)
    capex = g * _a(capex_usd_per_gpu)
    crf = capital_recovery_factor(a.cost_of_capital, a.years)
    amortised_per_year = capex * crf
    energy_kwh_per_year = g * _a(facility_w_per_gpu) * HOURS_PER_YEAR / 1000.0
    electricity_per_year = energy_kwh_per_year * a.usd_per_kwh
    maintenance_per_year = capex * a.maintenance_fraction_per_year
    staff_per_year = np.zeros_like(capex) + a.staff_usd_per_year
    opex_per_year = electricity_per_year + maintenance_per_year + staff_per_year
    owned_per_year = amortised_per_year + opex_per_year
    owned_usd_per_gpu_hour = owned_per_year / g / HOURS_PER_YEAR
    rent_per_month = _a(rent_usd_per_gpu_hour) * g * HOURS_PER_MONTH
    opex_per_month = opex_per_year / MONTHS_PER_YEAR
    m = _a(months)
    saving_per_month = rent_per_month - opex_per_month
    with np.errstate(divide="ignore", invalid="ignore"):
        break_even = np.where(saving_per_month > 0, capex / saving_per_month, np.inf)
    # An unknown purchase price (NaN: no public price) leaves the break-even unknown, not "never".
    break_even = np.where(np.isnan(capex + saving_per_month), np.nan, break_even)
    return {
        "gpus": g,
        "capex_usd": capex,
        "capital_recovery_factor": crf,
        "amortised_capex_usd_per_year": amortised_per_year,
        "energy_kwh_per_year": energy_kwh_per_year,
        "electricity_usd_per_year": electricity_per_year,
        "maintenance_usd_per_year": maintenance_per_year,
        "staff_usd_per_year": staff_per_year,
        "opex_usd_per_year": opex_per_year,
        "opex_usd_per_month": opex_per_month,
        "owned_usd_per_year": owned_per_year,
        "owned_usd_per_month": owned_per_year / MONTHS_PER_YEAR,
        "owned_usd_per_gpu_hour": owned_usd_per_gpu_hour,
        "rent_usd_per_month": rent_per_month,
        "months": m,
        "tco_buy_usd": capex + opex_per_month * m,
        "tco_rent_usd": rent_per_month * m,
        "break_even_month": break_even,
        "pays_back_within_life": break_even <= a.years * MONTHS_PER_YEAR,
    }


# ------------------------------------------------------------------------------------------ run, tokens


def run_cost_usd(gpu_hours: Any, usd_per_gpu_hour: Any) -> np.ndarray:
    """A training run billed by the GPU-hour: DeepSeek-V3 Table 1, 2.788M H800-hours x $2 = $5.576M."""
    return _a(gpu_hours) * _a(usd_per_gpu_hour)


def usd_per_million_tokens(usd_per_gpu_hour: Any, tokens_per_s_per_gpu: Any, utilization: Any) -> np.ndarray:
    """$ per 10^6 tokens = $/GPU-hour / (tokens/s per GPU x 3,600 s x utilisation) x 10^6. The GPU is paid
    for every hour; it produces tokens only in the busy fraction."""
    tokens_per_hour = _a(tokens_per_s_per_gpu) * SECONDS_PER_HOUR * _a(utilization)
    return _a(usd_per_gpu_hour) / tokens_per_hour * 1e6


def serving_fleet(
    users: Any,
    tokens_per_s_per_user: Any,
    tokens_per_s_per_gpu: Any,
    gpus_per_replica: Any = 1,
    users_fit_per_gpu: Any = np.inf,
) -> dict[str, np.ndarray]:
    """GPUs to give `users` concurrent users `tokens_per_s_per_user` each.

    users per GPU = min(aggregate decode tokens/s per GPU (at the batch that fits) / tokens/s per user,
                        users whose KV cache fits per GPU)
    GPUs = users / users-per-GPU, rounded up to whole model replicas (a replica is the group of GPUs one copy
    of the weights needs). ``memory_bound`` says the KV cache, not bandwidth, sets users per GPU."""
    by_speed = _a(tokens_per_s_per_gpu) / _a(tokens_per_s_per_user)
    by_memory = _a(users_fit_per_gpu)
    users_per_gpu = np.minimum(by_speed, by_memory)
    per_replica = _a(gpus_per_replica)
    with np.errstate(divide="ignore"):
        replicas = np.ceil(_a(users) / (users_per_gpu * per_replica))
    return {
        "users_per_gpu": users_per_gpu,
        "users_per_gpu_by_speed": by_speed,
        "users_per_gpu_by_memory": by_memory,
        "memory_bound": by_memory < by_speed,
        "replicas": replicas,
        "gpus": replicas * per_replica,
    }


def users_per_replica(
    fits: Any, tokens_per_s_per_sequence: Any, tokens_per_s_per_user: Any, batch: Any, axis: int = -1
) -> np.ndarray:
    """Concurrent users one model replica can serve: the largest batch (along `axis`) whose KV cache fits and
    whose decode speed per sequence still meets the per-user target; 0 when none does. Feed it the arrays
    llmwalls.engine.roofline returns over a range of batches."""
    ok = np.asarray(fits, dtype=bool) & (_a(tokens_per_s_per_sequence) >= _a(tokens_per_s_per_user))
    b = np.broadcast_to(_a(batch), ok.shape)
    return np.max(np.where(ok, b, 0.0), axis=axis)


# TP sizes tried for a serving replica (powers of two up to a node, and whole NVL72-style domains).
SERVING_TP_SIZES = (1, 2, 4, 8, 16, 32, 64, 72)
SERVING_MAX_BATCH = 4096  # concurrent sequences per replica searched (beyond any engine's scheduler limit)


def serving_capacity(
    spec: Any,
    gpu: Any,
    *,
    context_tokens: int,
    tokens_per_s_per_user: float,
    scale_up_domain_gpus: int = 8,
    weights: str = "bf16",
    kv_dtype: str = "bf16",
) -> dict[str, Any]:
    """Users one GPU can serve, from the roofline engine: for every TP size inside the scale-up domain and
    every batch up to SERVING_MAX_BATCH, decode speed per sequence and whether weights + KV fit; a replica's
    users are the largest batch that fits and still meets the per-user speed (users_per_replica); the TP with
    the most users per GPU wins. Returns feasible=False when no TP holds even one user at that speed."""
    from llmwalls.engine import model as mdl
    from llmwalls.engine import roofline as rl

    tps = np.array([t for t in SERVING_TP_SIZES if t <= max(scale_up_domain_gpus, 1)], dtype=float)
    batch = np.arange(1, SERVING_MAX_BATCH + 1, dtype=float)[:, None]
    r = rl.roofline(
        spec,
        gpu,
        batch=batch,
        prompt_tokens=1,
        context_tokens=context_tokens,
        tp=tps[None, :],
        weights=weights,
        kv_dtype=kv_dtype,
    )
    speed = np.asarray(r["decode_tokens_per_s_per_sequence"])
    fits = np.asarray(r["fits"])
    per_rep = users_per_replica(fits, speed, tokens_per_s_per_user, batch, axis=0)
    best = int(np.argmax(per_rep / tps))
    if per_rep[best] <= 0:
        return {"feasible": False, "largest_tp_tried": int(tps[-1])}
    users = int(per_rep[best])
    tp = int(tps[best])
    return {
        "feasible": True,
        "tp": tp,
        "batch_per_replica": users,
        "tokens_per_s_per_user_at_batch": float(speed[users - 1, best]),
        "tokens_per_s_per_gpu": float(users * speed[users - 1, best] / tp),
        "max_batch_that_fits_per_replica": float(np.max(np.where(fits, batch, 0.0), axis=0)[best]),
        "kv_bytes_per_user": float(
            mdl.kv_bytes_per_token(spec, kv_dtype) * mdl.cached_tokens(spec, context_tokens)
        ),
        "weights_bytes_per_gpu": float(np.asarray(r["weights_bytes_per_gpu"])[0, best]),
    }
