"""`llmwalls cost`: capex and opex of a GPU fleet, a training run's cost, $ per million tokens, the GPUs N
users need, buy against rent, and the cost wall against a budget. Parses the options, calls llmwalls.api.cost
and renders the report."""

from __future__ import annotations

from typing import Annotated

import typer

from llmwalls.api.types import KvFormat, Plan, WeightFormat
from llmwalls.cli.options import (
    Budget,
    Check,
    Cluster,
    Gpu,
    GpuHours,
    Gpus,
    Json,
    KvDtype,
    OneContext,
    OptModel,
    PlannedTokens,
    Precision,
    PricePerGpuHour,
    Pue,
    Quiet,
    TokensPerSPerGpu,
    TokensPerSPerUser,
    Users,
    Utilization,
    Weights,
)

_OptStr = str | None


def cost(
    model: OptModel = None,
    gpu: Gpu = None,
    cluster: Cluster = None,
    gpus: Gpus = None,
    gpu_hours: GpuHours = None,
    tokens: PlannedTokens = None,
    precision: Precision = None,
    price_per_gpu_hour: PricePerGpuHour = None,
    gpu_price: Annotated[
        _OptStr,
        typer.Option(
            "--gpu-price", help="Purchase price of one GPU in $ (default: the profile's unit_price_usd)."
        ),
    ] = None,
    years: Annotated[
        _OptStr, typer.Option("--years", help="Years to amortise the hardware over (5).")
    ] = None,
    cost_of_capital: Annotated[
        _OptStr,
        typer.Option(
            "--cost-of-capital", help="Annual cost of capital, e.g. 0.08 (default 0: straight line)."
        ),
    ] = None,
    usd_per_kwh: Annotated[
        _OptStr, typer.Option("--usd-per-kwh", help="Electricity price ($0.08/kWh).")
    ] = None,
    users: Users = None,
    tokens_per_s_per_user: TokensPerSPerUser = None,
    tokens_per_s: TokensPerSPerGpu = None,
    context: OneContext = None,
    weights: Weights = WeightFormat.bf16,
    kv_dtype: KvDtype = KvFormat.bf16,
    months: Annotated[
        _OptStr, typer.Option("--months", help="Horizon of the total cost of ownership (36).")
    ] = None,
    budget: Budget = None,
    budget_per_month: Annotated[
        bool,
        typer.Option("--budget-per-month", help="--budget is per month (compared with the monthly cost)."),
    ] = False,
    plan: Annotated[
        Plan | None,
        typer.Option(
            "--plan", help="The plan the budget is checked against (default: buy with a fleet, else rent)."
        ),
    ] = None,
    utilization: Utilization = None,
    infra_share: Annotated[
        _OptStr,
        typer.Option(
            "--infra-share", help="Infrastructure share of total capex (0.35, an assumption: 30-40%)."
        ),
    ] = None,
    maintenance: Annotated[
        _OptStr,
        typer.Option("--maintenance", help="Maintenance and support per year as a fraction of capex (0.05)."),
    ] = None,
    staff_usd_per_year: Annotated[
        _OptStr, typer.Option("--staff-usd-per-year", help="Operations staff for the fleet, $ per year (0).")
    ] = None,
    pue: Pue = None,
    server_usd_per_gpu: Annotated[
        _OptStr, typer.Option("--server-usd-per-gpu", help="Rest of the server per GPU, $ (6,250).")
    ] = None,
    network_usd_per_gpu: Annotated[
        _OptStr, typer.Option("--network-usd-per-gpu", help="Scale-out network per GPU, $ (5,000).")
    ] = None,
    storage_usd_per_gpu: Annotated[
        _OptStr, typer.Option("--storage-usd-per-gpu", help="Storage per GPU, $ (1,000).")
    ] = None,
    cooling_usd_per_cabinet: Annotated[
        _OptStr,
        typer.Option(
            "--cooling-usd-per-cabinet", help="Liquid cooling per cabinet, $ (50,000, an assumption)."
        ),
    ] = None,
    liquid_cooling: Annotated[
        bool,
        typer.Option(
            "--liquid-cooling", help="Count liquid cooling per cabinet (default: the cluster's cooling)."
        ),
    ] = False,
    json_: Json = False,
    check: Check = False,
    quiet: Quiet = False,
) -> None:
    """Cost wall: capex, opex, $ per run and per 1M tokens, GPUs for N users, buy vs rent, budget."""
    from llmwalls import api, render
    from llmwalls.api._cost import CostAssumptions
    from llmwalls.cli.options import parse_gpus
    from llmwalls.cli.options import parse_usd as _usd
    from llmwalls.errors import InputError
    from llmwalls.render import cost as view
    from llmwalls.units import parse_count, parse_fraction, parse_int_count, parse_tokens

    def count(text: str | None, what: str) -> float | None:
        if text is not None and str(text).strip().startswith("-"):
            raise InputError(f"{what} must be greater than zero, got {text!r}")
        return None if text is None else parse_count(text, what)

    def share(text: str | None, what: str) -> float | None:
        return None if text is None else parse_fraction(text, what, allow_zero=True)

    if gpu is None and cluster is None:
        raise InputError("give --gpu (e.g. h100) or --cluster")
    if tokens is not None and model is None:
        raise InputError("--tokens needs --model (the model trained on those tokens)")
    if users is not None and tokens_per_s is None and model is None:
        raise InputError("--users needs --tokens-per-s (tokens/s per GPU) or --model (to estimate it)")
    assumptions = CostAssumptions().replace(
        years=count(years, "--years"),
        cost_of_capital=share(cost_of_capital, "--cost-of-capital (yearly: 0.08 or 8%)"),
        usd_per_kwh=_usd(usd_per_kwh, "--usd-per-kwh", allow_zero=True),
        utilization=parse_fraction(utilization, "--utilization") if utilization is not None else None,
        infra_share=share(infra_share, "--infra-share"),
        maintenance_fraction_per_year=share(maintenance, "--maintenance"),
        staff_usd_per_year=_usd(staff_usd_per_year, "--staff-usd-per-year", allow_zero=True),
        server_usd_per_gpu=_usd(server_usd_per_gpu, "--server-usd-per-gpu", allow_zero=True),
        network_usd_per_gpu=_usd(network_usd_per_gpu, "--network-usd-per-gpu", allow_zero=True),
        storage_usd_per_gpu=_usd(storage_usd_per_gpu, "--storage-usd-per-gpu", allow_zero=True),
        liquid_cooling_usd_per_cabinet=_usd(
            cooling_usd_per_cabinet, "--cooling-usd-per-cabinet", allow_zero=True
        ),
        pue=count(pue, "--pue"),
    )
    if budget_per_month and budget is None:
        raise InputError("--budget-per-month needs --budget (the monthly budget in $)")
    per_user = count(tokens_per_s_per_user, "--tokens-per-s-per-user")
    month_count = count(months, "--months")
    report = api.cost(
        model,
        gpu=gpu,
        cluster=cluster,
        gpus=parse_gpus(gpus),
        gpu_hours=count(gpu_hours, "--gpu-hours"),
        train_tokens=count(tokens, "--tokens"),
        precision=precision,
        rent_usd_per_gpu_hour=_usd(price_per_gpu_hour, "--price-per-gpu-hour"),
        gpu_price_usd=_usd(gpu_price, "--gpu-price"),
        users=parse_int_count(users, "--users") if users is not None else None,
        tokens_per_s_per_user=per_user if per_user is not None else 20.0,
        tokens_per_s=count(tokens_per_s, "--tokens-per-s"),
        context_tokens=parse_tokens(context, "--context") if context is not None else 4096,
        weights=weights,
        kv_dtype=kv_dtype,
        months=month_count if month_count is not None else 36.0,
        budget_usd=_usd(budget, "--budget"),
        budget_per_month=budget_per_month,
        plan=plan,
        liquid_cooling=liquid_cooling,
        assumptions=assumptions,
    )
    render.show_notices(report)
    if json_:
        render.print_json_report("cost", report)
    else:
        view.show(report)
    if check and any(w.hit for w in report.walls):
        raise typer.Exit(1)
