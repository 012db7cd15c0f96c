"""The human view of a `cost` report: capex, running cost, rent or buy, published rental prices and serving
tables, then the break-even, planned-run, users and cost-wall lines."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from llmwalls.render.fit import Col
from llmwalls.render.fit import rows_table as table
from llmwalls.render.fit import show as _show
from llmwalls.render.numbers import count, iec_bytes, percent, si, sig, usd

if TYPE_CHECKING:
    from llmwalls.api._cost import CostReport

# Below this width the rental-price table leaves out its provider and date columns (the JSON has them).
WIDE_COLUMNS = 100


def _width() -> int:
    from llmwalls.render import _console

    return int(_console().width)


def _capex(report: CostReport, n_label: str | None) -> Any:
    r = report.results
    c, a = r.capex_per_gpu, r.assumptions
    liquid = bool(a["liquid_cooled"].value)
    cooling_note = (
        f"{usd(float(a['liquid_cooling_usd_per_cabinet'].value or 0))} per cabinet of "
        f"{count(float(a['gpus_per_cabinet'].value or 0))} GPUs"
        if liquid
        else "air-cooled: none"
    )
    items = (
        ("GPU", c.gpu_usd, r.gpu_unit_price.source),
        ("server share (CPUs, DRAM, chassis)", c.server_usd, "rest of an 8-GPU server"),
        ("scale-out network", c.network_usd, "NIC + fat-tree switches and optics"),
        ("storage", c.storage_usd, "parallel file system"),
        ("liquid cooling", c.liquid_cooling_usd, cooling_note),
        (
            "facility (building, power, cooling plant)",
            c.facility_usd,
            f"rest of the infrastructure ({percent(float(a['infra_share'].value or 0))} of total)",
        ),
        ("total capex", c.total_usd, f"infrastructure {percent(c.infrastructure_share_of_total)} of total"),
    )
    n = r.fleet_gpus or 1
    rows = [
        [label, usd(v), usd(v * n), note] if n_label else [label, usd(v), note] for label, v, note in items
    ]
    cols = [Col("item", text=True), Col("per GPU")]
    if n_label:
        cols.append(Col(n_label))
    cols.append(Col("source / note", text=True))
    return table("Capex", cols, rows, bold_rows=(len(rows) - 1,))


def _opex(report: CostReport, n_label: str) -> Any:
    r = report.results
    f, a = r.fleet, r.assumptions
    years = float(a["years"].value or 0)
    rate = float(a["cost_of_capital"].value or 0)
    amort = (
        f"straight line over {count(years)} years"
        if rate == 0
        else f"{count(years)} years at {percent(rate)} (CRF {sig(f.capital_recovery_factor)})"
    )
    u = float(a["utilization"].value or 0)
    staff = float(a["staff_usd_per_year"].value or 0)
    rows = [
        [
            "capex, amortised",
            usd(f.amortised_capex_usd_per_year / 12),
            usd(f.amortised_capex_usd_per_year),
            amort,
        ],
        [
            "electricity",
            usd(f.electricity_usd_per_year / 12),
            usd(f.electricity_usd_per_year),
            f"{si(r.facility_w_per_gpu, 'W')}/GPU at the wall (PUE {sig(float(a['pue'].value or 0))}, "
            f"{percent(u)} busy), {usd(float(a['usd_per_kwh'].value or 0))}/kWh",
        ],
        [
            "maintenance and support",
            usd(f.maintenance_usd_per_year / 12),
            usd(f.maintenance_usd_per_year),
            f"{percent(float(a['maintenance_fraction_per_year'].value or 0))} of capex/year",
        ],
        ["staff", usd(staff / 12), usd(staff), ""],
        [
            "owned, all in",
            usd(f.owned_usd_per_month),
            usd(f.owned_usd_per_year),
            f"{usd(f.owned_usd_per_gpu_hour)}/GPU-hour (every hour, busy or idle)",
        ],
        [
            "rent instead",
            usd(f.rent_usd_per_month),
            usd(f.rent_usd_per_month * 12),
            f"{usd(r.rent.usd or 0)}/GPU-hour around the clock ({r.rent.source})",
        ],
    ]
    cols = [Col("item", text=True), Col("per month"), Col("per year"), Col("note", text=True)]
    return table(f"Running cost, {n_label}", cols, rows, bold_rows=(4,))


def _rent_or_buy(report: CostReport) -> Any:
    i, r = report.inputs, report.results
    rows = []
    if r.run is not None:
        rows.append(
            [f"training run, {si(r.run.gpu_hours)} GPU-hours", usd(r.run.rent_usd), usd(r.run.owned_usd)]
        )
    if r.training_plan is not None:
        t = r.training_plan
        rows.append(
            [
                f"training run, {si(t.plan.gpu_hours)} GPU-hours (planned: {si(t.plan.train_tokens)} tokens)",
                usd(t.rent_usd),
                usd(t.owned_usd),
            ]
        )
    if r.tokens is not None:
        tk = r.tokens
        rows.append(
            [
                f"1M tokens at {si(tk.tokens_per_s_per_gpu)} tokens/s/GPU, {percent(tk.utilization)} busy",
                usd(tk.rent_usd_per_million_tokens),
                usd(tk.owned_usd_per_million_tokens),
            ]
        )
    rows.append(
        [
            f"total cost of ownership, {count(i.months)} months",
            usd(r.fleet.tco_rent_usd),
            usd(r.fleet.tco_buy_usd),
        ]
    )
    return table("Rent or buy", [Col("item", text=True), Col("rent"), Col("buy")], rows)


def _rent_options(report: CostReport) -> tuple[Any, str | None]:
    i, r = report.inputs, report.results
    wide = _width() >= WIDE_COLUMNS
    price = r.gpu_unit_price.usd
    unknown_price = price is None or math.isnan(price)
    cols = [Col("price profile", name=True)]
    if wide:
        cols += [Col("provider", text=True), Col("terms", text=True), Col("date", name=True)]
    cols += [Col("$/GPU-hour"), Col(f"rent, {count(i.months)} months"), Col("pays back")]
    rows = []
    for o in r.rent_options:
        back = f"month {sig(o.break_even_month)}" if o.break_even_month is not None else "never"
        if unknown_price:
            back = "n/a"  # no purchase price: the break-even is unknown, not "never"
        lead = [o.name, o.provider, o.commitment, o.price_date] if wide else [o.name]
        rows.append([*lead, usd(o.usd_per_gpu_hour), usd(o.tco_rent_usd), back])
    note = None if wide else f"provider, terms, date: --json or {WIDE_COLUMNS}+ columns"
    return table(f"Published rental prices for {r.gpu}", cols, rows, caption=note), note


def _serving(report: CostReport) -> tuple[Any, str]:
    i, r = report.inputs, report.results
    sf, s = r.serving_fleet, r.serving
    assert sf is not None
    rows = []
    if s is not None and s.tp is not None:
        rows += [
            ["GPUs of a replica (tensor parallel)", f"{s.tp}"],
            ["users per replica", f"{s.batch_per_replica or 0:,}"],
            ["tokens/s each of them gets", sig(s.tokens_per_s_per_user_at_batch or 0)],
            ["users whose KV cache fits per replica", f"{s.max_batch_that_fits_per_replica or 0:,.0f}"],
        ]
    rows += [
        ["users per GPU", sig(sf.users_per_gpu)],
        ["GPUs", f"{sf.gpus:,.0f}"],
        ["capex", usd(sf.capex_usd)],
        ["rent per month", usd(sf.rent_usd_per_month)],
    ]
    users = i.users or 0
    plural = "" if users == 1 else "s"
    title = f"Serving {users:,} user{plural} at {count(i.tokens_per_s_per_user)} tokens/s each"
    if s is not None and s.tp is not None:
        fit = s.max_batch_that_fits_per_replica or 0
        b_star = s.batch_per_replica or 0
        limit = (
            f"{fit:,.0f} users' KV caches fit beside the {i.weights.value} weights of a TP={s.tp} replica "
            "(memory wall)"
            if b_star >= fit
            else f"{fit:,.0f} users' KV caches would fit in a TP={s.tp} replica, but beyond {b_star:,} each "
            f"gets under {count(i.tokens_per_s_per_user)} tokens/s (bandwidth wall)"
        )
        why = (
            f"Why: each user holds a {i.context_tokens:,}-token {i.kv_dtype.value} KV cache "
            f"({iec_bytes(s.kv_bytes_per_user or 0)}) and must get {count(i.tokens_per_s_per_user)} "
            f"tokens/s; "
            f"{limit}. Shorter contexts, fp8 weights and KV, or slower streams raise users per GPU."
        )
    else:
        why = "users per GPU = tokens/s per GPU / tokens/s per user (memory unchecked: give --model)."
    line = f"users: {sig(sf.users_per_gpu)} per GPU -> {sf.gpus:,.0f} GPUs. {why}"
    return table(title, [Col("item", text=True), Col("value")], rows), line


def show(report: CostReport) -> None:
    r = report.results
    n_label = f"{r.fleet_gpus:,} GPUs" if r.fleet_gpus is not None else None
    tables = [
        _capex(report, n_label),
        _opex(report, n_label or "one GPU (give --gpus for a fleet)"),
        _rent_or_buy(report),
    ]
    lines: list[tuple[str, str | None]] = []
    be = r.fleet.break_even_month
    years = float(r.assumptions["years"].value or 0)
    price = r.gpu_unit_price.usd
    if price is None or math.isnan(price):  # no purchase price known: every buy-side figure is unknown
        lines.append((f"buy vs rent: unknown ({r.gpu_unit_price.source})", None))
    elif be is not None:
        within = "within" if be <= years * 12 else "beyond"
        lines.append(
            (
                f"buy vs rent: buying pays back after {sig(be)} months ({within} the {count(years)}-year "
                "life; undiscounted cash)",
                None,
            )
        )
    else:
        lines.append(
            (
                "buy vs rent: buying never pays back: running owned GPUs costs more per month than "
                "renting them",
                None,
            )
        )
    if r.rent_options:
        t, _ = _rent_options(report)
        tables.append(t)
    if r.training_plan is not None:
        from llmwalls.render.planning import plan_line

        lines.append((plan_line(r.training_plan.plan), None))
    if r.serving_fleet is not None:
        t, line = _serving(report)
        tables.append(t)
        lines.append((line, None))
    if r.budget is not None:
        b = r.budget
        w = report.walls[0]
        over = (w.utilization or 0) - 1
        verdict = f"over by {percent(over)}" if w.hit else f"{percent(-over)} to spare"
        per = " a month" if b.per_month else ""
        lines.append(
            (
                f"cost ({b.what}): {usd(b.demand_usd)} of a {usd(b.budget_usd)}{per} budget — {verdict}",
                "bold red" if w.hit else "bold green",
            )
        )
    else:
        lines.append(("cost: no budget given (--budget), no cost wall checked", None))
    _show(tables, lines)
