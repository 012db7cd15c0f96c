"""The human view of a `power` report: the GPU -> facility table, the power cap, energy, serving and data
movement tables, and the site-power and rack-power verdict lines."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from llmwalls.render.fit import Col
from llmwalls.render.fit import rows_table as table
from llmwalls.render.fit import show as _show
from llmwalls.render.numbers import count, duration, iec_bytes, percent, si, sig

if TYPE_CHECKING:
    from llmwalls.api._power import Energy, PowerReport

LEVELS = (("gpu", "GPU"), ("it", "IT (GPU + node + network)"), ("facility", "facility (x PUE)"))


def _w(x: float) -> str:
    return si(x, "W")


def _count(n: float) -> str:
    return f"{n:,.0f}"


def _energy_table(title: str, e: Energy, grid_caption: str) -> Any:
    rows = []
    for key, label in LEVELS:
        lv = getattr(e, key)
        rows.append(
            [
                label,
                _w(lv.per_gpu_w),
                si(lv.energy_kwh * 1e3, "Wh"),
                sig(lv.carbon_g / 1e6) if lv.carbon_g is not None else "",
            ]
        )
    cols = [Col("level", text=True), Col("W per GPU"), Col("energy"), Col("tCO2e")]
    return table(title, cols, rows, caption=grid_caption)


def lines(report: PowerReport) -> list[tuple[str, str | None]]:
    """The verdict lines under the tables: the planned run, the site cap, the racks."""
    i, r = report.inputs, report.results
    c = r.cluster
    out: list[tuple[str, str | None]] = []
    if r.training_plan is not None:
        from llmwalls.render.planning import plan_line

        out.append((plan_line(r.training_plan.plan), None))
        pc = r.training_plan.power_cap
        if pc is not None:
            plan = r.training_plan.plan
            out.append(
                (
                    f"at the {_w(pc.cap_w)} cap (clock {percent(pc.clock_fraction)}): step "
                    f"{duration(plan.step_time_s)} -> {duration(pc.step_time_s)}, "
                    f"{si(plan.gpu_hours)} -> {si(pc.gpu_hours)} GPU-hours (matmuls and bubble at the clock, "
                    "HBM-bound kernels at the memory-bound rate, communication unchanged); the energy above "
                    "uses the capped run",
                    None,
                )
            )
    if r.site is not None:
        ratio = c.facility_w / r.site.site_w
        verdict = f"over by {percent(ratio - 1)}" if ratio > 1 else f"{percent(ratio)} of the cap"
        out.append(
            (
                f"site power: {_w(c.facility_w)} of a {_w(r.site.site_w)} site cap — {verdict}; "
                f"the cap fits {r.site.max_gpus:,} GPUs",
                "bold red" if ratio > 1 else "bold green",
            )
        )
    else:
        out.append(
            (
                f"site power: {_w(c.facility_w)} at the facility ({_w(c.it_w)} IT, {_w(c.gpu_total_w)} "
                "GPUs); give a site cap (--site-mw) to check it",
                "bold",
            )
        )
    if i.rack_limit_checked:
        if c.rack_fits:
            out.append(
                (
                    f"rack power: {c.racks:,} racks at {_w(c.rack_w)} of a {_w(c.rack_limit_w)} limit "
                    f"({c.nodes_per_rack} nodes per rack)",
                    "bold",
                )
            )
        else:
            out.append(
                (
                    f"rack power: {_w(c.rack_w)} per rack ({c.nodes_per_rack} node(s)) is over the "
                    f"{_w(c.rack_limit_w)} rack limit by {percent(c.rack_w / c.rack_limit_w - 1)}",
                    "bold red",
                )
            )
    return out


def show(report: PowerReport) -> None:
    i, r = report.inputs, report.results
    g, c, a = r.gpu, r.cluster, r.assumptions
    cap = f", cap {_w(i.power_cap_w)}" if i.power_cap_w is not None else ""
    fabric = (
        f"{c.fabric_tiers}-tier fat tree, {c.switch_ports}-port switches"
        if c.switches
        else "single node: no scale-out switch"
    )
    rows = [
        [
            "GPU",
            _w(g.power_w),
            _count(c.gpus),
            _w(c.gpu_total_w),
            f"TDP {_w(g.tdp_w)}, idle {_w(g.idle_w)} ({g.idle_source}), "
            f"utilisation {percent(i.utilization)}{cap}",
        ],
        [
            "node overhead",
            _w(c.node_overhead_w),
            _count(c.nodes),
            _w(c.node_overhead_total_w),
            "CPUs, DRAM, NICs, fans, PSU losses",
        ],
        ["node", _w(c.node_w), _count(c.nodes), _w(c.node_total_w), f"{c.gpus_per_node} GPUs + overhead"],
        ["network", _w(c.switch_w), _count(c.switches), _w(c.network_w), fabric],
        ["IT", "", "", _w(c.it_w), "nodes + network"],
        ["cooling & losses", "", "", _w(c.cooling_and_losses_w), f"PUE {sig(c.pue)} ({i.pue_source})"],
        ["facility", "", "", _w(c.facility_w), "IT x PUE"],
        [
            "racks",
            _w(c.rack_w),
            _count(c.racks),
            "",
            f"{c.nodes_per_rack} nodes per rack, limit {_w(c.rack_limit_w)} ({i.rack_limit_source})"
            + ("" if c.rack_fits else ": OVER"),
        ],
    ]
    cols = [Col("level", text=True), Col("each"), Col("count"), Col("total"), Col("note", text=True)]
    gpus_text = "1 GPU" if c.gpus == 1 else f"{c.gpus:,} x {i.gpu}"
    title = f"Power: {gpus_text}" + (f" ({i.cluster})" if i.cluster else "")
    tables = [table(title, cols, rows, bold_rows=(6,))]

    if i.power_cap_w is not None:
        tables.append(
            table(
                f"Power cap {_w(i.power_cap_w)} of {_w(g.tdp_w)} (static share {percent(a.static_fraction)})",
                [Col("quantity", text=True), Col("at the cap")],
                [
                    ["clock (DVFS, P = s TDP + (1 - s) TDP f^3)", percent(g.clock_fraction)],
                    ["throughput, compute-bound work", percent(g.throughput_fraction_compute_bound)],
                    ["throughput, memory-bound work", percent(g.throughput_fraction_memory_bound)],
                ],
            )
        )
    grid_caption = (
        f"grid: {sig(i.grid_g_per_kwh)} gCO2e/kWh ({i.grid_source})"
        if i.grid_g_per_kwh is not None
        else "no grid given: no carbon"
    )
    if r.energy is not None:
        title = (
            f"Energy of {si(r.energy.gpu_hours)} GPU-hours"
            if i.gpu_hours is not None
            else f"Energy of one hour of the whole cluster ({c.gpus:,} GPU-hours)"
        )
        tables.append(_energy_table(title, r.energy, grid_caption))
    if r.training_plan is not None:
        t = r.training_plan
        hours = t.power_cap.gpu_hours if t.power_cap is not None else t.plan.gpu_hours
        capped = f", capped at {_w(t.power_cap.cap_w)}" if t.power_cap is not None else ""
        tables.append(
            _energy_table(
                f"Energy of training {t.plan.model} on {si(t.plan.train_tokens)} tokens "
                f"({si(hours)} GPU-hours, planned{capped})",
                t.energy,
                grid_caption,
            )
        )
    if r.serving is not None:
        s = r.serving
        users = ""
        if s.users_per_gpu:
            users = f", {count(s.users_per_gpu)} user{'' if s.users_per_gpu == 1 else 's'} per GPU"
        tables.append(
            table(
                f"Serving at {si(s.tokens_per_s_per_gpu)} tokens/s per GPU{users}",
                [Col("level", text=True), Col("J/token"), Col("W per user")],
                [
                    [
                        label,
                        sig(getattr(s, key).joules_per_token),
                        _w(getattr(s, key).w_per_user) if getattr(s, key).w_per_user is not None else "",
                    ]
                    for key, label in LEVELS
                ],
                caption=f"tokens/s: {s.tokens_per_s_source}",
            )
        )
    if r.data_movement is not None:
        m = r.data_movement
        tables.append(
            table(
                f"Data movement vs arithmetic: {m.model} ({m.weights.value})",
                [
                    Col("step", text=True),
                    Col("HBM bytes"),
                    Col("FLOPs"),
                    Col("bytes J"),
                    Col("FLOPs J"),
                    Col("bytes share"),
                ],
                [
                    [
                        st.step,
                        iec_bytes(st.bytes),
                        si(st.flops, "FLOP"),
                        sig(st.bytes_energy_j),
                        sig(st.flops_energy_j),
                        percent(st.bytes_share),
                    ]
                    for st in m.steps
                ],
                caption=f"HBM {sig(m.hbm_pj_per_bit)} pJ/bit, {sig(m.pj_per_flop)} pJ/FLOP",
            )
        )
    _show(tables, lines(report))
