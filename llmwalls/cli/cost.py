"""`llmwalls cost`: capex and opex of a GPU fleet, a training run's cost, $ per million tokens, the GPUs N
users need, buy against rent, and the budget wall. Thin: parse, resolve profiles, call llmwalls.engine.cost
(with the power and roofline engines), render."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from llmwalls.cli.options import Check, Context, Gpus, Json, KvDtype, OptCluster, OptGpu, Weights

OptModel = Annotated[
    str | None,
    typer.Option("--model", "-m", help="Model profile, for serving capacity (users per GPU, $/token)."),
]


def _money(text: str | None, what: str, *, allow_zero: bool = False) -> float | None:
    """'$40,000', '40k', '2.5', '40M' -> dollars. Negative, NaN or (unless allowed) zero -> InputError."""
    from llmwalls.errors import InputError
    from llmwalls.units import parse_count

    if text is None:
        return None
    raw = str(text).strip().lstrip("$").strip()
    if raw.startswith("-"):
        raise InputError(f"{what} must not be negative, got {text!r}")
    if allow_zero:
        try:
            if float(raw) == 0:
                return 0.0
        except ValueError:
            pass
    return parse_count(raw, what)


def _num(text: str | None, what: str) -> float | None:
    from llmwalls.errors import InputError
    from llmwalls.units import parse_count

    if text is None:
        return None
    if str(text).strip().startswith("-"):
        raise InputError(f"{what} must be greater than zero, got {text!r}")
    return parse_count(text, what)


def _usd(x: float) -> str:
    import math

    if not math.isfinite(x):
        return "n/a"
    ax = abs(x)
    if ax >= 1e9:
        return f"${x / 1e9:.4g}B"
    if ax >= 1e6:
        return f"${x / 1e6:.4g}M"
    if ax >= 1e3:
        return f"${x:,.0f}"
    return f"${x:.3g}"


def cost(
    model: OptModel = None,
    gpu: OptGpu = None,
    cluster: OptCluster = None,
    gpus: Gpus = None,
    gpu_hours: Annotated[
        str | None, typer.Option("--gpu-hours", help="GPU-hours of a training run (2.788M).")
    ] = None,
    tokens: Annotated[
        str | None,
        typer.Option(
            "--tokens",
            help="Cost of training --model on this many tokens (15.6T): GPU-hours from the layout "
            "`llmwalls cluster` picks on --cluster/--gpus.",
        ),
    ] = None,
    price_per_gpu_hour: Annotated[
        str | None,
        typer.Option(
            "--price-per-gpu-hour",
            help="Rental $/GPU-hour (default: the GPU's price profiles; needed where none).",
        ),
    ] = None,
    gpu_price: Annotated[
        str | None,
        typer.Option(
            "--gpu-price",
            help="Purchase price of one GPU in $ (default: the profile's, if public).",
        ),
    ] = None,
    years: Annotated[
        str | None, typer.Option("--years", help="Years to amortise the hardware over (5).")
    ] = None,
    cost_of_capital: Annotated[
        str | None,
        typer.Option(
            "--cost-of-capital", help="Annual cost of capital, e.g. 0.08 (default 0: straight line)."
        ),
    ] = None,
    usd_per_kwh: Annotated[
        str | None, typer.Option("--usd-per-kwh", help="Electricity price ($0.08/kWh).")
    ] = None,
    users: Annotated[
        str | None, typer.Option("--users", help="Concurrent users to serve (1M = 1,000,000).")
    ] = None,
    tokens_per_s_per_user: Annotated[
        str, typer.Option("--tokens-per-s-per-user", help="Decode speed each user must get (20 tokens/s).")
    ] = "20",
    tokens_per_s: Annotated[
        str | None,
        typer.Option(
            "--tokens-per-s",
            help="Aggregate decode tokens/s per GPU (default: the roofline engine, with --model).",
        ),
    ] = None,
    context: Context = None,
    weights: Weights = "bf16",
    kv_dtype: KvDtype = "bf16",
    months: Annotated[
        str, typer.Option("--months", help="Horizon of the total cost of ownership (36).")
    ] = "36",
    budget: Annotated[
        str | None, typer.Option("--budget", help="Budget in $ (40M); total unless --budget-per-month.")
    ] = None,
    budget_per_month: Annotated[
        bool,
        typer.Option("--budget-per-month", help="--budget is per month (compared with the monthly cost)."),
    ] = False,
    plan: Annotated[
        str | None,
        typer.Option(
            "--plan",
            help="buy or rent: the plan the budget is checked against (buy with a fleet, else rent).",
        ),
    ] = None,
    utilization: Annotated[
        str | None,
        typer.Option(
            "--utilization", help="Average busy fraction in (0, 1] (0.6): sets $/token and power drawn."
        ),
    ] = None,
    infra_share: Annotated[
        str | None,
        typer.Option("--infra-share", help="Infrastructure share of total capex (0.35; seed 000: 30-40%)."),
    ] = None,
    maintenance: Annotated[
        str | None,
        typer.Option("--maintenance", help="Maintenance and support per year as a fraction of capex (0.05)."),
    ] = None,
    staff_usd_per_year: Annotated[
        str | None,
        typer.Option("--staff-usd-per-year", help="Operations staff for the fleet, $ per year (0)."),
    ] = None,
    pue: Annotated[
        str | None, typer.Option("--pue", help="Power usage effectiveness (default: cluster profile).")
    ] = None,
    server_usd_per_gpu: Annotated[
        str | None, typer.Option("--server-usd-per-gpu", help="Rest of the server per GPU, $ (6,250).")
    ] = None,
    network_usd_per_gpu: Annotated[
        str | None, typer.Option("--network-usd-per-gpu", help="Scale-out network per GPU, $ (5,000).")
    ] = None,
    storage_usd_per_gpu: Annotated[
        str | None, typer.Option("--storage-usd-per-gpu", help="Storage per GPU, $ (1,000).")
    ] = None,
    cooling_usd_per_cabinet: Annotated[
        str | None,
        typer.Option("--cooling-usd-per-cabinet", help="Liquid cooling per cabinet, $ (50,000; seed 000)."),
    ] = None,
    liquid_cooling: Annotated[
        bool,
        typer.Option(
            "--liquid-cooling",
            help="Count liquid cooling per cabinet (default: the cluster profile's cooling).",
        ),
    ] = False,
    json_: Json = False,
    check: Check = False,
) -> None:
    """Cost wall: capex, opex, $ per run and per 1M tokens, GPUs for N users, buy vs rent, budget."""
    import math

    import numpy as np

    from llmwalls import catalogue, render
    from llmwalls.engine import cost as eng
    from llmwalls.errors import InputError
    from llmwalls.units import parse_fraction, parse_int_count, parse_tokens

    # ------------------------------------------------------------------ parse
    n_gpus = parse_int_count(gpus, "--gpus") if gpus is not None else None
    run_gpu_hours = _num(gpu_hours, "--gpu-hours")
    rent_override = _money(price_per_gpu_hour, "--price-per-gpu-hour")
    gpu_price_override = _money(gpu_price, "--gpu-price")
    n_users = _num(users, "--users")
    per_user = _num(tokens_per_s_per_user, "--tokens-per-s-per-user")
    assert per_user is not None
    tps_given = _num(tokens_per_s, "--tokens-per-s")
    horizon_months = _num(months, "--months")
    assert horizon_months is not None
    budget_usd = _money(budget, "--budget")
    if budget_per_month and budget_usd is None:
        raise InputError("--budget-per-month needs --budget (the monthly budget in $)")
    if plan is not None and plan not in ("buy", "rent"):
        raise InputError(f"--plan must be buy or rent, got {plan!r}")
    if context is not None and len(context) > 1:
        raise InputError("cost takes one --context (the tokens each user's KV cache holds)")
    context_tokens = parse_tokens(context[0], "--context") if context else 4096
    u = parse_fraction(utilization, "--utilization") if utilization is not None else None
    share = None
    if infra_share is not None:
        share = parse_fraction(infra_share, "--infra-share", allow_zero=True)
        if share >= 1:
            raise InputError(f"--infra-share must be below 1 (a share of the total), got {infra_share!r}")
    maint = parse_fraction(maintenance, "--maintenance", allow_zero=True) if maintenance is not None else None
    pue_value = _num(pue, "--pue")
    if pue_value is not None and not 1.0 <= pue_value <= 5.0:
        raise InputError(f"--pue must be between 1 and 5, got {pue!r}")
    a = eng.CostAssumptions().replace(
        years=_num(years, "--years"),
        cost_of_capital=(
            parse_fraction(cost_of_capital, "--cost-of-capital (yearly: 0.08 or 8%)", allow_zero=True)
            if cost_of_capital is not None
            else None
        ),
        usd_per_kwh=_money(usd_per_kwh, "--usd-per-kwh", allow_zero=True),
        utilization=u,
        infra_share=share,
        maintenance_fraction_per_year=maint,
        staff_usd_per_year=_money(staff_usd_per_year, "--staff-usd-per-year", allow_zero=True),
        server_usd_per_gpu=_money(server_usd_per_gpu, "--server-usd-per-gpu", allow_zero=True),
        network_usd_per_gpu=_money(network_usd_per_gpu, "--network-usd-per-gpu", allow_zero=True),
        storage_usd_per_gpu=_money(storage_usd_per_gpu, "--storage-usd-per-gpu", allow_zero=True),
        liquid_cooling_usd_per_cabinet=_money(
            cooling_usd_per_cabinet, "--cooling-usd-per-cabinet", allow_zero=True
        ),
        pue=pue_value,
    )

    if tokens is not None and model is None:
        raise InputError("--tokens needs --model (the model trained on those tokens)")
    if n_users is not None and tps_given is None and model is None:
        raise InputError("--users needs --tokens-per-s (tokens/s per GPU) or --model (to estimate it)")

    # ------------------------------------------------------------------ profiles
    cl = catalogue.load_cluster(cluster) if cluster else None
    if gpu is None and cl is None:
        raise InputError("give --gpu (e.g. h100) or --cluster")
    g = catalogue.load_gpu(gpu if gpu is not None else cl.gpu)  # type: ignore[union-attr]
    spec = catalogue.load_model(model) if model else None
    changes: dict[str, Any] = {}
    if cl is not None:
        if a.pue is None:
            changes["pue"] = cl.pue
        if cl.node_overhead_power_w is None:
            render.warn(f"no public host power for {cl.name}: electricity counts the accelerators only")
        changes["node_overhead_w_per_gpu"] = (cl.node_overhead_power_w or 0.0) / cl.gpus_per_node
        if cl.gpus_per_rack:
            changes["gpus_per_cabinet"] = float(cl.gpus_per_rack)
        changes["liquid_cooled"] = cl.cooling == "liquid"
    if liquid_cooling:
        changes["liquid_cooled"] = True
    if g.idle_power_w is not None:
        changes["idle_power_fraction"] = g.idle_power_w / g.require_tdp_w()
    if a.pue is None and "pue" not in changes:
        from llmwalls.engine.power import DEFAULT as power_defaults

        liquid = liquid_cooling or changes.get("liquid_cooled")
        changes["pue"] = power_defaults.pue_liquid if liquid else power_defaults.pue_air
    changes["gpu_unit_price_usd"], gpu_price_source = catalogue.purchase_price(g, gpu_price_override)
    if math.isnan(changes["gpu_unit_price_usd"]):
        render.warn(gpu_price_source)
    a = a.replace(**changes)

    # Rental prices: --price-per-gpu-hour, else every price profile for this GPU (cheapest on-demand first).
    rent_options = [
        {
            "name": p.name,
            "provider": p.provider,
            "commitment": p.commitment,
            "usd_per_gpu_hour": p.usd_per_gpu_hour,
            "price_date": p.price_date,
            "source": p.source,
        }
        for p in catalogue.prices_for_gpu(g.name)
    ]
    rent, rent_source = catalogue.rental_price(g.name, rent_override)
    a = a.replace(rent_usd_per_gpu_hour=rent)

    # Precisions are checked even without --model: a typo in a script is refused, never silently ignored.
    from llmwalls.engine.model import dtype_bytes, weight_bytes_per_param

    weight_bytes_per_param(weights)
    dtype_bytes(kv_dtype, "KV-cache precision")

    # ------------------------------------------------------------------ training plan (--tokens)
    planned = None
    if tokens is not None:
        from llmwalls.api._planning import plan_run
        from llmwalls.render.planning import plan_line, tokens_text

        planned_run = plan_run(spec, cl, g, gpus=n_gpus, train_tokens=_num(tokens, "--tokens"))
        for w in planned_run.warnings:
            render.warn(w)
        planned = planned_run.summary()

    # ------------------------------------------------------------------ serving capacity
    serving: dict[str, Any] = {}
    tps_gpu = tps_given
    replica_gpus = 1
    if tps_given is None and spec is not None and (planned is None or n_users is not None):
        # TP inside the scale-up domain (cluster profile), else inside an 8-GPU node (over PCIe for GPUs
        # without a scale-up link; the roofline engine charges the slower all-reduces)
        cap = eng.serving_capacity(
            spec,
            g,
            context_tokens=context_tokens,
            tokens_per_s_per_user=per_user,
            scale_up_domain_gpus=cl.scale_up_domain_gpus if cl is not None else 8,
            weights=weights,
            kv_dtype=kv_dtype,
        )
        if cap["feasible"]:
            replica_gpus = cap["tp"]
            tps_gpu = cap["tokens_per_s_per_gpu"]
            serving = {
                "source": "llmwalls.engine.roofline (decode, memory-bound roofline with its efficiencies)",
                **{k: v for k, v in cap.items() if k not in ("feasible", "tokens_per_s_per_gpu")},
            }
        else:
            serving = {"source": "llmwalls.engine.roofline", "feasible": False}
            render.warn(
                f"{spec.name} on {g.name}: no tensor-parallel size up to {cap['largest_tp_tried']} holds "
                f"even one user's {context_tokens}-token KV cache at {per_user:g} tokens/s; "
                "no serving figures"
            )

    fleet_serving = None
    if n_users is not None and tps_gpu is not None:
        limit = serving.get("batch_per_replica", math.inf) / replica_gpus
        fleet_serving = eng.serving_fleet(n_users, per_user, tps_gpu, replica_gpus, limit)

    # ------------------------------------------------------------------ fleet size, capex, power
    if n_gpus is not None:
        fleet_gpus, fleet_from = n_gpus, "--gpus"
    elif cl is not None:
        fleet_gpus, fleet_from = cl.total_gpus, f"cluster {cl.name}"
    elif fleet_serving is not None:
        fleet_gpus, fleet_from = int(fleet_serving["gpus"]), "--users"
    else:
        fleet_gpus, fleet_from = None, None
    g_count = fleet_gpus or 1

    capex = eng.capex_per_gpu(a)
    # Facility watts per GPU from the power engine: GPU board power linear in utilisation (Fan et al. 2007),
    # node overhead, fat-tree switches, x PUE.
    from llmwalls.engine import power as pw

    power_source = "llmwalls.engine.power (GPU linear in utilisation, node overhead, fat-tree switches, PUE)"
    idle_w = g.idle_power_w if g.idle_power_w is not None else g.require_tdp_w() * a.idle_power_fraction
    gpn = cl.gpus_per_node if cl is not None else 8
    rack_limit_w = (
        cl.rack_power_limit_w
        if cl is not None and cl.rack_power_limit_w
        else (pw.DEFAULT.rack_limit_liquid_w if a.liquid_cooled else pw.DEFAULT.rack_limit_air_w)
    )
    cp = pw.cluster_power(
        gpu_w=pw.gpu_power_w(g.require_tdp_w(), idle_w, a.utilization),
        gpus=g_count,
        gpus_per_node=gpn,
        node_overhead_w=a.node_overhead_w_per_gpu * gpn,
        pue=a.pue,
        rack_limit_w=rack_limit_w,
        gpus_per_rack=cl.gpus_per_rack if cl is not None else None,
    )
    facility_w = float(cp["facility_w"]) / float(cp["gpus"])
    fleet = eng.fleet_costs(a, g_count, capex["total_usd"], facility_w, rent, horizon_months)
    owned_rate = float(fleet["owned_usd_per_gpu_hour"])
    if rent_options:  # every published rental price at once (vectorised over prices)
        per_price = eng.fleet_costs(
            a,
            g_count,
            capex["total_usd"],
            facility_w,
            np.array([o["usd_per_gpu_hour"] for o in rent_options]),
            horizon_months,
        )
        for i, o in enumerate(rent_options):
            o["break_even_month"] = float(per_price["break_even_month"][i])
            o["tco_rent_usd"] = float(per_price["tco_rent_usd"][i])

    def run_costs(hours: float) -> dict:
        """A run of `hours` GPU-hours rented, and on owned GPUs at their all-in $/GPU-hour."""
        return {
            "gpu_hours": hours,
            "rent_usd": float(eng.run_cost_usd(hours, rent)),
            "owned_usd": float(eng.run_cost_usd(hours, owned_rate)),
        }

    run = run_costs(run_gpu_hours) if run_gpu_hours is not None else None
    if planned is not None:
        planned.update({k: v for k, v in run_costs(planned["gpu_hours"]).items() if k != "gpu_hours"})
    token_costs = None
    if tps_gpu is not None:
        token_costs = {
            "tokens_per_s_per_gpu": tps_gpu,
            "utilization": a.utilization,
            "rent_usd_per_million_tokens": float(eng.usd_per_million_tokens(rent, tps_gpu, a.utilization)),
            "owned_usd_per_million_tokens": float(
                eng.usd_per_million_tokens(owned_rate, tps_gpu, a.utilization)
            ),
        }

    # ------------------------------------------------------------------ budget wall
    chosen_plan = plan or ("buy" if fleet_gpus is not None else "rent")
    walls = []
    demand = None
    if budget_usd is not None:
        if budget_per_month:
            if fleet_gpus is None:
                raise InputError("--budget-per-month needs a fleet: give --gpus, --cluster or --users")
            demand = float(
                fleet["owned_usd_per_month"] if chosen_plan == "buy" else fleet["rent_usd_per_month"]
            )
            what = f"{chosen_plan} {fleet_gpus:,} GPUs, per month"
        elif fleet_gpus is not None:
            demand = float(fleet["tco_buy_usd"] if chosen_plan == "buy" else fleet["tco_rent_usd"])
            what = f"{chosen_plan} {fleet_gpus:,} GPUs for {horizon_months:g} months"
        elif run is not None or planned is not None:
            costed = run if run is not None else planned
            demand = costed["owned_usd" if chosen_plan == "buy" else "rent_usd"]
            what = f"training run, {chosen_plan}"
        else:
            raise InputError(
                "--budget needs something to cost: --gpus, --cluster, --users, --gpu-hours or --tokens"
            )
        walls.append(render.wall("budget", demand, budget_usd, "USD", plan=chosen_plan, what=what))

    # ------------------------------------------------------------------ output
    def f(x: Any) -> float:
        return float(np.asarray(x))

    results = {
        "gpu": g.name,
        "cluster": cl.name if cl else None,
        "model": spec.name if spec else None,
        "gpu_unit_price_source": gpu_price_source,
        "rent_source": rent_source,
        "power_source": power_source,
        "fleet_gpus": fleet_gpus,
        "fleet_from": fleet_from,
        "capex_per_gpu": {k: v for k, v in capex.items()},
        "facility_w_per_gpu": facility_w,
        "fleet": fleet,
        "run": run,
        "training_plan": planned,
        "tokens": token_costs,
        "serving": serving or None,
        "serving_fleet": fleet_serving,
        "rent_options": rent_options,
        "assumptions": a.sources(),
    }
    inputs = {
        "model": model,
        "gpu": gpu,
        "cluster": cluster,
        "gpus": n_gpus,
        "gpu_hours": run_gpu_hours,
        "tokens": planned["train_tokens"] if planned is not None else None,
        "price_per_gpu_hour": rent_override,
        "gpu_price": gpu_price_override,
        "years": a.years,
        "cost_of_capital": a.cost_of_capital,
        "usd_per_kwh": a.usd_per_kwh,
        "users": n_users,
        "tokens_per_s_per_user": per_user,
        "tokens_per_s": tps_given,
        "context": context_tokens,
        "weights": weights,
        "kv_dtype": kv_dtype,
        "months": horizon_months,
        "budget": budget_usd,
        "budget_per_month": budget_per_month,
        "plan": chosen_plan,
        "utilization": a.utilization,
    }
    hit = any(w["hit"] for w in walls)
    if json_:
        render.emit_json("cost", inputs, results, walls)
        if check and hit:
            raise typer.Exit(1)
        return

    n_label = f"{fleet_gpus:,} GPUs" if fleet_gpus is not None else "one GPU (give --gpus for a fleet)"
    col_item = render.Column("item", "item", justify="left")
    col_gpu = render.Column("per GPU", "per_gpu", _usd)
    col_fleet = render.Column(n_label, "fleet", _usd)
    col_note = render.Column("source / note", "note", justify="left")
    share_pct = f"{a.infra_share:.0%} of total"
    rows = []
    for key, label, note in (
        ("gpu_usd", "GPU", gpu_price_source),
        ("server_usd", "server share (CPUs, DRAM, chassis)", "rest of an 8-GPU server"),
        ("network_usd", "scale-out network", "NIC + fat-tree switches and optics"),
        ("storage_usd", "storage", "parallel file system"),
        (
            "liquid_cooling_usd",
            "liquid cooling",
            f"{_usd(a.liquid_cooling_usd_per_cabinet)} per cabinet of {a.gpus_per_cabinet:g} GPUs"
            if a.liquid_cooled
            else "air-cooled: none",
        ),
        (
            "facility_usd",
            "facility (building, power, cooling plant)",
            f"rest of the infrastructure ({share_pct})",
        ),
        (
            "total_usd",
            "total capex",
            f"infrastructure {f(capex['infrastructure_share_of_total']):.0%} of total",
        ),
    ):
        rows.append({"item": label, "per_gpu": f(capex[key]), "fleet": f(capex[key]) * g_count, "note": note})
    rows[-1]["_style"] = "bold"
    capex_cols = (
        [col_item, col_gpu, col_fleet, col_note] if fleet_gpus is not None else [col_item, col_gpu, col_note]
    )
    t_capex = render.Table("Capex", capex_cols, rows)

    crf = f(fleet["capital_recovery_factor"])
    amort_note = (
        f"straight line over {a.years:g} years"
        if a.cost_of_capital == 0
        else f"{a.years:g} years at {a.cost_of_capital:.1%} (CRF {crf:.4f})"
    )
    opex_rows = [
        {
            "item": "capex, amortised",
            "month": f(fleet["amortised_capex_usd_per_year"]) / 12,
            "year": f(fleet["amortised_capex_usd_per_year"]),
            "note": amort_note,
        },
        {
            "item": "electricity",
            "month": f(fleet["electricity_usd_per_year"]) / 12,
            "year": f(fleet["electricity_usd_per_year"]),
            "note": f"{facility_w:,.0f} W/GPU at the wall (PUE {a.pue:g}, {a.utilization:.0%} busy), "
            f"${a.usd_per_kwh:g}/kWh",
        },
        {
            "item": "maintenance and support",
            "month": f(fleet["maintenance_usd_per_year"]) / 12,
            "year": f(fleet["maintenance_usd_per_year"]),
            "note": f"{a.maintenance_fraction_per_year:.0%} of capex/year",
        },
        {"item": "staff", "month": a.staff_usd_per_year / 12, "year": a.staff_usd_per_year, "note": ""},
        {
            "item": "owned, all in",
            "month": f(fleet["owned_usd_per_month"]),
            "year": f(fleet["owned_usd_per_year"]),
            "note": f"{_usd(owned_rate)}/GPU-hour (every hour, busy or idle)",
            "_style": "bold",
        },
        {
            "item": "rent instead",
            "month": f(fleet["rent_usd_per_month"]),
            "year": f(fleet["rent_usd_per_month"]) * 12,
            "note": f"${rent:.2f}/GPU-hour around the clock ({rent_source})",
        },
    ]
    t_opex = render.Table(
        f"Running cost, {n_label}",
        [
            col_item,
            render.Column("per month", "month", _usd),
            render.Column("per year", "year", _usd),
            col_note,
        ],
        opex_rows,
    )

    cost_rows = []
    if run is not None:
        cost_rows.append(
            {
                "item": f"training run, {run_gpu_hours:,.0f} GPU-hours",
                "rent": run["rent_usd"],
                "own": run["owned_usd"],
            }
        )
    if planned is not None:
        cost_rows.append(
            {
                "item": f"training run, {planned['gpu_hours']:,.0f} GPU-hours (planned: "
                f"{tokens_text(planned['train_tokens'])} tokens)",
                "rent": planned["rent_usd"],
                "own": planned["owned_usd"],
            }
        )
    if token_costs is not None:
        cost_rows.append(
            {
                "item": f"1M tokens at {tps_gpu:,.0f} tokens/s/GPU, {a.utilization:.0%} busy",
                "rent": token_costs["rent_usd_per_million_tokens"],
                "own": token_costs["owned_usd_per_million_tokens"],
            }
        )
    cost_rows.append(
        {
            "item": f"total cost of ownership, {horizon_months:g} months",
            "rent": f(fleet["tco_rent_usd"]),
            "own": f(fleet["tco_buy_usd"]),
        }
    )
    be = f(fleet["break_even_month"])
    t_cost = render.Table(
        "Rent or buy",
        [col_item, render.Column("rent", "rent", _usd), render.Column("buy", "own", _usd)],
        cost_rows,
    )
    break_even_line = (
        f"buy vs rent: buying pays back after {be:.1f} months "
        f"({'within' if be <= a.years * 12 else 'beyond'} the {a.years:g}-year life; undiscounted cash)"
        if math.isfinite(be)
        else "buy vs rent: buying never pays back: running owned GPUs costs more per month than renting them"
        if not math.isnan(be)
        else f"buy vs rent: unknown ({gpu_price_source})"
    )
    tables = [t_capex, t_opex, t_cost]
    if rent_options:
        tables.append(
            render.Table(
                f"Published rental prices for {g.name}",
                [
                    render.Column("price profile", "name", justify="left"),
                    render.Column("provider", "provider", justify="left"),
                    render.Column("terms", "commitment", justify="left"),
                    render.Column("date", "price_date", justify="left"),
                    render.Column("$/GPU-hour", "usd_per_gpu_hour", lambda x: f"${x:.2f}"),
                    render.Column(f"rent, {horizon_months:g} months", "tco_rent_usd", _usd),
                    render.Column(
                        "buying pays back",
                        "break_even_month",
                        lambda m: (
                            f"month {m:.1f}" if math.isfinite(m) else ("n/a" if math.isnan(m) else "never")
                        ),
                    ),
                ],
                rent_options,
            )
        )
    lines: list[str] = [break_even_line]
    styles: list[str] = [""]
    if planned is not None:
        lines += [f"note: {n}" for n in planned["notes"]] + [plan_line(planned_run)]
        styles += ["dim"] * len(planned["notes"]) + [""]
    if fleet_serving is not None:
        upg = f(fleet_serving["users_per_gpu"])
        srows = [
            {"item": "users per GPU", "value": f"{upg:,.1f}"},
            {"item": "GPUs", "value": f"{f(fleet_serving['gpus']):,.0f}"},
            {"item": "capex", "value": _usd(f(fleet_serving["gpus"]) * f(capex["total_usd"]))},
            {"item": "rent per month", "value": _usd(f(fleet_serving["gpus"]) * rent * eng.HOURS_PER_MONTH)},
        ]
        if serving.get("tp"):
            srows[0:0] = [
                {
                    "item": "replica",
                    "value": f"TP={serving['tp']}: {serving['batch_per_replica']} users at "
                    f"{serving['tokens_per_s_per_user_at_batch']:.1f} tokens/s each",
                },
                {
                    "item": "users whose KV cache fits per replica",
                    "value": f"{serving['max_batch_that_fits_per_replica']:,.0f}",
                },
            ]
        tables.append(
            render.Table(
                f"Serving {n_users:,.0f} concurrent users at {per_user:g} tokens/s each",
                [col_item, render.Column("", "value")],
                srows,
            )
        )
        if serving.get("tp"):
            fit, b_star = serving["max_batch_that_fits_per_replica"], serving["batch_per_replica"]
            limit = (
                f"{fit:,.0f} users' KV caches fit beside the {weights} weights of a "
                f"TP={serving['tp']} replica (memory wall)"
                if b_star >= fit
                else f"{fit:,.0f} users' KV caches would fit in a TP={serving['tp']} replica, but beyond "
                f"{b_star:,} each gets under {per_user:g} tokens/s (bandwidth wall)"
            )
            why = (
                f"Why: each user holds a {context_tokens:,}-token {kv_dtype} KV cache "
                f"({serving['kv_bytes_per_user'] / 2**30:.2f} GiB) and must get {per_user:g} tokens/s; "
                f"{limit}. "
                "Shorter contexts, fp8 weights and KV, or slower streams raise users per GPU."
            )
        else:
            why = "users per GPU = --tokens-per-s / --tokens-per-s-per-user (memory unchecked: give --model)."
        lines.append(
            "seed 000 says 100-200 users per H100 for a 70B model (1M users -> 5,000-10,000 GPUs); "
            f"llmwalls: {upg:,.1f} users/GPU -> {f(fleet_serving['gpus']):,.0f} GPUs. {why}"
        )
        styles.append("")
    for w in walls:
        over = w["utilization"] - 1
        verdict = f"over by {over:.0%}" if w["hit"] else f"{-over:.0%} to spare"
        lines.append(f"cost ({w['what']}): {_usd(w['demand'])} of {_usd(w['limit'])} budget — {verdict}")
        styles.append("bold red" if w["hit"] else "bold green")
    if not walls:
        lines.append("cost: no --budget given, no budget wall checked")
        styles.append("")
    render.print_tables(tables, lines, styles)
    if check and hit:
        raise typer.Exit(1)
