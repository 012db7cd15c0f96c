"""`llmwalls power`: GPU -> node -> network -> rack -> facility watts, the site-power and rack-power walls,
energy and carbon of a run, joules per token when serving, and the share of a step's GPU energy spent moving
bytes from HBM. Parses the options, calls llmwalls.api.power and renders the report."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from llmwalls.api.types import WeightFormat
from llmwalls.cli.options import (
    Check,
    Cluster,
    Gpu,
    GpuHours,
    Gpus,
    Grid,
    Json,
    OneBatch,
    OptModel,
    PlannedTokens,
    Precision,
    Prompt,
    Pue,
    Quiet,
    SiteMw,
    TokensPerSPerGpu,
    Utilization,
    Weights,
)

_OptStr = str | None


def power(
    cluster: Cluster = None,
    gpu: Gpu = None,
    gpus: Gpus = None,
    utilization: Utilization = None,
    power_cap_w: Annotated[
        _OptStr,
        typer.Option(
            "--power-cap-w",
            help="Per-GPU power cap in W (DVFS: the clock falls as the cube root of dynamic power).",
        ),
    ] = None,
    pue: Pue = None,
    site_mw: SiteMw = None,
    rack_kw: Annotated[
        _OptStr,
        typer.Option(
            "--rack-kw", help="Rack power limit in kW (default: the cluster's, else 30 air / 120 liquid)."
        ),
    ] = None,
    gpu_hours: GpuHours = None,
    tokens: PlannedTokens = None,
    precision: Precision = None,
    grid: Grid = None,
    grid_g_per_kwh: Annotated[
        _OptStr,
        typer.Option("--grid-g-per-kwh", help="Grid carbon intensity in gCO2e/kWh (instead of --grid)."),
    ] = None,
    tokens_per_s: TokensPerSPerGpu = None,
    batch: OneBatch = None,
    model: OptModel = None,
    weights: Weights = WeightFormat.bf16,
    prompt: Prompt = None,
    idle_fraction: Annotated[
        _OptStr,
        typer.Option(
            "--idle-fraction",
            help="Idle power / TDP when the GPU profile has no idle_power_w (default 0.10).",
        ),
    ] = None,
    static_fraction: Annotated[
        _OptStr,
        typer.Option("--static-fraction", help="Leakage share of power at full clock (default 0.25)."),
    ] = None,
    node_overhead_w: Annotated[
        _OptStr,
        typer.Option(
            "--node-overhead-w", help="Per-node W besides GPUs (CPUs, DRAM, NICs, fans, PSU losses)."
        ),
    ] = None,
    switch_w: Annotated[
        _OptStr,
        typer.Option("--switch-w", help="Power of one fabric switch in W (default 1720, NVIDIA QM9700)."),
    ] = None,
    switch_ports: Annotated[
        _OptStr, typer.Option("--switch-ports", help="Ports per fabric switch (default 64).")
    ] = None,
    hbm_pj_per_bit: Annotated[
        _OptStr, typer.Option("--hbm-pj-per-bit", help="HBM energy per bit read (default 3.9 pJ).")
    ] = None,
    pj_per_flop: Annotated[
        _OptStr, typer.Option("--pj-per-flop", help="Energy per FLOP (default: (TDP - idle) / dense peak).")
    ] = None,
    json_: Json = False,
    check: Check = False,
    quiet: Quiet = False,
) -> None:
    """GPU, node, network, rack and facility power; the site-cap wall; energy, carbon and joules per token."""
    from llmwalls import api, render
    from llmwalls.api._power import PowerAssumptions
    from llmwalls.cli.options import parse_gpus
    from llmwalls.errors import InputError
    from llmwalls.render import power as view
    from llmwalls.units import (
        KILO,
        MEGA,
        parse_count,
        parse_fraction,
        parse_int_count,
        parse_positive_float,
        parse_tokens,
    )

    def num(text: str | None, what: str, *, allow_zero: bool = False) -> float | None:
        return None if text is None else parse_positive_float(text, what, allow_zero=allow_zero)

    overrides: dict[str, Any] = {}
    if idle_fraction is not None:
        overrides["idle_fraction"] = parse_fraction(idle_fraction, "--idle-fraction", allow_zero=True)
    if static_fraction is not None:
        overrides["static_fraction"] = parse_fraction(static_fraction, "--static-fraction", allow_zero=True)
    for text, field, flag in (
        (switch_w, "switch_power_w", "--switch-w"),
        (hbm_pj_per_bit, "hbm_pj_per_bit", "--hbm-pj-per-bit"),
        (pj_per_flop, "pj_per_flop", "--pj-per-flop"),
    ):
        value = num(text, flag, allow_zero=field == "switch_power_w")
        if value is not None:
            overrides[field] = value
    if switch_ports is not None:
        overrides["switch_ports"] = parse_int_count(switch_ports, "--switch-ports")
    if cluster is None and gpu is None:
        raise InputError("give --cluster (e.g. dgx-h100) or --gpu (e.g. h100) to size the power of")
    if precision is not None and tokens is None:
        raise InputError("--precision is the planned run's: add --tokens and --model")
    if tokens is not None and model is None:
        raise InputError("--tokens needs --model (the model trained on those tokens)")
    pue_value = num(pue, "--pue")
    if pue_value is not None and not 1 <= pue_value <= 5:
        raise InputError(f"--pue must be between 1 and 5 (facility power / IT power), got {pue!r}")
    site_w = num(site_mw, "--site-mw")
    rack_w = num(rack_kw, "--rack-kw")
    report = api.power(
        gpu,
        cluster=cluster,
        gpus=parse_gpus(gpus),
        utilization=(
            parse_fraction(utilization, "--utilization", allow_zero=True) if utilization is not None else 1.0
        ),
        power_cap_w=num(power_cap_w, "--power-cap-w"),
        pue=pue_value,
        site_w=site_w * MEGA if site_w is not None else None,
        rack_limit_w=rack_w * KILO if rack_w is not None else None,
        node_overhead_w=num(node_overhead_w, "--node-overhead-w", allow_zero=True),
        gpu_hours=parse_count(gpu_hours, "--gpu-hours") if gpu_hours is not None else None,
        model=model,
        train_tokens=parse_count(tokens, "--tokens") if tokens is not None else None,
        precision=precision,
        grid=grid,
        grid_g_per_kwh=num(grid_g_per_kwh, "--grid-g-per-kwh"),
        tokens_per_s_per_gpu=num(tokens_per_s, "--tokens-per-s"),
        batch=parse_int_count(batch, "--batch") if batch is not None else None,
        prompt_tokens=parse_tokens(prompt, "--prompt") if prompt is not None else None,
        weights=weights,
        assumptions=PowerAssumptions(**overrides),
    )
    render.show_notices(report)
    if json_:
        render.print_json_report("power", report)
    else:
        view.show(report)
    if check and any(w.hit for w in report.walls):
        raise typer.Exit(1)
