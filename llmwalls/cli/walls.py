"""`llmwalls walls`: one workload against every wall side by side (memory capacity, memory bandwidth, compute,
interconnect, site power, cost), the binding wall named in one sentence, with the utilisation range the
efficiency assumptions allow; `--sweep AXIS=LOW..HIGH` for the value at which each wall is hit, a terminal
chart and --plot FILE.png|svg.

This module parses the options, calls llmwalls.api.walls and renders with llmwalls.render.walls. Heavy imports
happen inside the command.
"""

from __future__ import annotations

import typer

from llmwalls.api.types import KvFormat, WeightFormat
from llmwalls.cli.options import (
    Assumptions,
    BandwidthEfficiencyRange,
    Budget,
    Check,
    Cluster,
    DeadlineDays,
    FlashAttention,
    FlopsEfficiencyRange,
    Force,
    GlobalBatch,
    Gpu,
    Gpus,
    Json,
    KvDtype,
    MatmulEfficiencyRange,
    Model,
    Near,
    NetworkEfficiencyRange,
    OneContext,
    Plot,
    Precision,
    PricePerGpuHour,
    Prompt,
    Quiet,
    SearchTp,
    SiteMw,
    Sweep,
    TokensPerSPerUser,
    Train,
    TrainTokens,
    TtftS,
    UsableFractionRange,
    Users,
    Weights,
)


def walls(
    model: Model,
    gpu: Gpu = None,
    cluster: Cluster = None,
    gpus: Gpus = None,
    tp: SearchTp = None,
    users: Users = None,
    context: OneContext = None,
    prompt: Prompt = None,
    tokens_per_s_per_user: TokensPerSPerUser = None,
    ttft_s: TtftS = None,
    weights: Weights = WeightFormat.bf16,
    kv_dtype: KvDtype = KvFormat.bf16,
    train: Train = False,
    precision: Precision = None,
    flash_attention: FlashAttention = True,
    tokens: TrainTokens = None,
    deadline_days: DeadlineDays = None,
    global_batch: GlobalBatch = None,
    site_mw: SiteMw = None,
    budget: Budget = None,
    price_per_gpu_hour: PricePerGpuHour = None,
    sweep: Sweep = None,
    bandwidth_efficiency: BandwidthEfficiencyRange = None,
    flops_efficiency: FlopsEfficiencyRange = None,
    matmul_efficiency: MatmulEfficiencyRange = None,
    usable_fraction: UsableFractionRange = None,
    network_efficiency: NetworkEfficiencyRange = None,
    near: Near = None,
    assumptions: Assumptions = None,
    plot: Plot = None,
    force: Force = False,
    json_: Json = False,
    check: Check = False,
    quiet: Quiet = False,
) -> None:
    """Every wall of one workload side by side, the binding one named; --sweep for where each is hit.

    --plot saves the sweep chart (it needs --sweep); with --train, --tp is refused (the layout is
    searched)."""
    from llmwalls import render
    from llmwalls.api._walls import Uncertainty, parse_efficiency, parse_sweep
    from llmwalls.api._walls import walls as walls_api
    from llmwalls.cli.options import parse_gpus, plot_path, save_plot
    from llmwalls.errors import InputError
    from llmwalls.render import walls as view
    from llmwalls.units import (
        MEGA,
        SECONDS_PER_DAY,
        parse_count,
        parse_fraction,
        parse_int_count,
        parse_positive_float,
        parse_tokens,
    )

    plot = plot_path(plot, force=force)
    if plot is not None and sweep is None:
        raise InputError("--plot draws the sweep chart: add --sweep AXIS=LOW..HIGH")
    if not train:
        given = [
            f
            for f, v in (
                ("--tokens", tokens),
                ("--deadline-days", deadline_days),
                ("--global-batch", global_batch),
                ("--precision", precision),
                ("--no-flash-attention", None if flash_attention else False),
            )
            if v is not None
        ]
        if given:
            raise InputError(f"{', '.join(given)} apply to training; add --train")
    elif tp is not None:
        raise InputError(
            "--tp is for serving; training searches the layout (use `llmwalls cluster` to pin one)"
        )

    uncertainty = Uncertainty(
        bandwidth_efficiency=parse_efficiency(bandwidth_efficiency, "--bandwidth-efficiency"),
        flops_efficiency=parse_efficiency(flops_efficiency, "--flops-efficiency"),
        matmul_efficiency=parse_efficiency(matmul_efficiency, "--matmul-efficiency"),
        usable_fraction=parse_efficiency(usable_fraction, "--usable-fraction"),
        network_efficiency=parse_efficiency(network_efficiency, "--network-efficiency"),
    )
    report = walls_api(
        model,
        gpu,
        cluster=cluster,
        gpus=parse_gpus(gpus),
        train=train,
        tp=tp,
        users=parse_int_count(users, "--users") if users is not None else None,
        context_tokens=parse_tokens(context, "--context") if context is not None else None,
        prompt_tokens=parse_tokens(prompt, "--prompt") if prompt is not None else None,
        tokens_per_s_per_user=parse_positive_float(tokens_per_s_per_user, "--tokens-per-s-per-user")
        if tokens_per_s_per_user is not None
        else None,
        ttft_s=parse_positive_float(ttft_s, "--ttft-s") if ttft_s is not None else None,
        weights=weights,
        kv_dtype=kv_dtype,
        tokens=parse_count(tokens, "--tokens") if tokens is not None else None,
        deadline_s=parse_positive_float(deadline_days, "--deadline-days") * SECONDS_PER_DAY
        if deadline_days is not None
        else None,
        global_batch=parse_int_count(global_batch, "--global-batch") if global_batch is not None else None,
        site_w=parse_positive_float(site_mw, "--site-mw") * MEGA if site_mw is not None else None,
        budget_usd=parse_count(budget, "--budget") if budget is not None else None,
        usd_per_gpu_hour=parse_positive_float(price_per_gpu_hour, "--price-per-gpu-hour")
        if price_per_gpu_hour is not None
        else None,
        sweep=parse_sweep(sweep) if sweep is not None else None,
        uncertainty=uncertainty,
        assumptions_file=assumptions,
        near_threshold=parse_fraction(near, "--near") if near is not None else None,
        precision=precision,
        flash_attention=flash_attention,
    )
    render.show_notices(report)
    if json_:
        render.print_json_report("walls", report)
    else:
        if plot is not None:
            save_plot(view.save_plot, report, plot, force=force)
        view.show(report, plot_saved=plot)
    if check and any(w.hit for w in report.walls):
        raise typer.Exit(1)
