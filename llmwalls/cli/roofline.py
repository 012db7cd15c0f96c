"""`llmwalls roofline`: prefill and decode against the GPU's roofline -- per-operator FLOPs, bytes, arithmetic
intensity and the roof that binds; TTFT, time per output token, tokens/s, MFU, bandwidth use, the critical
decode batch; a terminal roofline chart and --plot FILE.png|svg. The numbers come from llmwalls.api.roofline;
this module parses options, calls it and renders. Heavy imports stay inside the command."""

from __future__ import annotations

from typing import Annotated

import typer

from llmwalls.api.types import KvFormat, WeightFormat
from llmwalls.cli.options import (
    BandwidthEfficiency,
    Batches,
    Check,
    Cluster,
    Contexts,
    Ep,
    FlopsEfficiency,
    Force,
    Gpu,
    Gpus,
    Json,
    KvDtype,
    Model,
    NoChart,
    OutputTokens,
    Plot,
    Pp,
    Prompt,
    Tp,
    Weights,
)

_OptStr = str | None


def roofline(
    model: Model,
    gpu: Gpu = None,
    cluster: Cluster = None,
    gpus: Gpus = None,
    tp: Tp = 1,
    pp: Pp = 1,
    ep: Ep = 1,
    batch: Batches = None,
    prompt: Prompt = None,
    context: Contexts = None,
    output_tokens: OutputTokens = None,
    weights: Weights = WeightFormat.bf16,
    kv_dtype: KvDtype = KvFormat.bf16,
    bandwidth_efficiency: BandwidthEfficiency = None,
    flops_efficiency: FlopsEfficiency = None,
    allreduce_latency: Annotated[
        _OptStr,
        typer.Option(
            "--allreduce-latency-us",
            help="Fixed cost of one tensor-parallel all-reduce, in µs (default 25, calibrated on published "
            "TP decode rates).",
        ),
    ] = None,
    allreduce_link_efficiency: Annotated[
        _OptStr,
        typer.Option(
            "--allreduce-link-efficiency",
            help="Fraction of the scale-up link's bandwidth an all-reduce reaches (default per fabric, "
            "NVLink 0.80 as measured by nccl-tests).",
        ),
    ] = None,
    min_tokens_per_s: Annotated[
        _OptStr,
        typer.Option(
            "--min-tokens-per-s", help="Decode tokens/s per replica wanted; with --check exit 1 below it."
        ),
    ] = None,
    plot: Plot = None,
    force: Force = False,
    no_chart: NoChart = False,
    json_: Json = False,
    check: Check = False,
) -> None:
    """Prefill and decode on the roofline: FLOPs, bytes, bound, TTFT, tokens/s, critical batch, a chart.

    Decode is evaluated at --context (default: prompt + output-tokens/2, the mean context over the
    generation); the memory check holds prompt + output-tokens per sequence. --pp splits the layers into
    pipeline stages, --ep spreads MoE experts over GPUs (all-to-all per MoE layer); --cluster takes the
    scale-up domain and link bandwidths from a cluster profile (and its GPU unless --gpu is given);
    --gpus sizes the deployment in whole replicas; without --gpu or --cluster the GPU is h100. Walls:
    memory_capacity, compute (prefill FLOP/s vs the attainable roof), memory_bandwidth (with
    --min-tokens-per-s: the bandwidth decode needs to reach the target vs the attainable bandwidth;
    without: the bandwidth decode draws) and decode_tokens_per_s."""
    from llmwalls import api, render
    from llmwalls.cli.options import parse_gpus, plot_path, save_plot
    from llmwalls.errors import InputError
    from llmwalls.render import roofline as view
    from llmwalls.units import (
        parse_count,
        parse_fraction,
        parse_int_count,
        parse_positive_float,
        parse_tokens,
    )

    plot = plot_path(plot, force=force)
    latency_s = None
    if allreduce_latency is not None:
        us = parse_positive_float(allreduce_latency, "--allreduce-latency-us", allow_zero=True)
        if us > 10_000:
            raise InputError(f"--allreduce-latency-us {allreduce_latency} is over 10 ms; the unit is µs")
        latency_s = us * 1e-6

    def fraction(text: str | None, flag: str) -> float | None:
        return parse_fraction(text, flag) if text is not None else None

    report = api.roofline(
        model,
        gpu,
        cluster=cluster,
        gpus=parse_gpus(gpus),
        layout=api.Layout(tp=tp, pp=pp, ep=ep),
        batch=[parse_int_count(b, "--batch") for b in batch] if batch else 1,
        prompt_tokens=parse_tokens(prompt, "--prompt") if prompt is not None else None,
        output_tokens=parse_tokens(output_tokens, "--output-tokens") if output_tokens else None,
        context_tokens=[parse_tokens(c, "--context") for c in context] if context else None,
        weights=weights,
        kv_dtype=kv_dtype,
        min_tokens_per_s=parse_count(min_tokens_per_s, "--min-tokens-per-s") if min_tokens_per_s else None,
        bandwidth_efficiency=fraction(bandwidth_efficiency, "--bandwidth-efficiency"),
        flops_efficiency=fraction(flops_efficiency, "--flops-efficiency"),
        allreduce_latency_s=latency_s,
        allreduce_link_efficiency=fraction(allreduce_link_efficiency, "--allreduce-link-efficiency"),
    )
    if plot is not None:
        save_plot(view.save_plot, report, plot, force=force)
    if json_:
        render.print_json_report("roofline", report)
        render.show_notices(report)
    else:
        view.show(report, chart=not no_chart, image=plot)
    if check and any(w.hit for w in report.walls):
        raise typer.Exit(1)
