"""`llmwalls roofline`: prefill and decode against the GPU's roofline -- per-operator FLOPs, bytes, arithmetic
intensity and the roof that binds; TTFT, time per output token, tokens/s, MFU, bandwidth use, the critical
decode batch; a terminal roofline chart and --plot FILE.png|svg. The numbers come from llmwalls.api.roofline;
this module parses options, calls it and renders. Heavy imports stay inside the command."""

from __future__ import annotations

from typing import Annotated

import typer

from llmwalls.api.types import KvFormat, WeightFormat
from llmwalls.cli.options import (
    Batches,
    Check,
    Contexts,
    Ep,
    Gpus,
    HardwareGpu,
    Json,
    KvDtypeChoice,
    Model,
    OptCluster,
    OutputTokens,
    Pp,
    Prompt,
    Tp,
    WeightsChoice,
)

_OptStr = str | None


def roofline(
    model: Model,
    gpu: HardwareGpu = None,
    cluster: OptCluster = None,
    gpus: Gpus = None,
    tp: Tp = 1,
    pp: Pp = 1,
    ep: Ep = 1,
    batch: Batches = None,
    prompt: Prompt = None,
    context: Contexts = None,
    output_tokens: OutputTokens = None,
    weights: WeightsChoice = WeightFormat.bf16,
    kv_dtype: KvDtypeChoice = KvFormat.bf16,
    bandwidth_efficiency: Annotated[
        _OptStr,
        typer.Option(
            "--bandwidth-efficiency",
            help="Fraction of datasheet HBM bandwidth reached (default 0.65, calibrated; "
            "see docs/calibration-roofline.md).",
        ),
    ] = None,
    flops_efficiency: Annotated[
        _OptStr,
        typer.Option(
            "--flops-efficiency",
            help="Fraction of peak FLOP/s a large GEMM reaches (default: the GPU's measured matmul / peak, "
            "else 0.75).",
        ),
    ] = None,
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
    plot: Annotated[
        _OptStr,
        typer.Option(
            "--plot",
            help="Save the roofline chart to FILE.png or FILE.svg (needs matplotlib: pip install "
            "'llmwalls[plot]').",
        ),
    ] = None,
    no_chart: Annotated[bool, typer.Option("--no-chart", help="Do not draw the terminal chart.")] = False,
    json_: Json = False,
    check: Check = False,
) -> None:
    """Prefill and decode on the roofline: FLOPs, bytes, bound, TTFT, tokens/s, critical batch, a chart.

    Decode is evaluated at --context (default: prompt + output-tokens/2, the mean context over the
    generation); the memory check holds prompt + output-tokens per sequence. --pp splits the layers into
    pipeline stages, --ep spreads MoE experts over GPUs (all-to-all per MoE layer); --cluster takes the
    scale-up domain and link bandwidths from a cluster profile (and its GPU unless --gpu is given);
    --gpus sizes the deployment in whole replicas. Walls: memory_capacity, compute (prefill FLOP/s vs the
    attainable roof), memory_bandwidth (with --min-tokens-per-s: the bandwidth decode needs to reach the
    target vs the attainable bandwidth; without: the bandwidth decode draws) and decode_tokens_per_s."""
    from llmwalls import api, render
    from llmwalls.errors import InputError
    from llmwalls.units import (
        parse_count,
        parse_fraction,
        parse_int_count,
        parse_positive_float,
        parse_tokens,
    )

    if plot is not None and not plot.lower().endswith((".png", ".svg")):
        raise InputError(f"--plot {plot!r}: the file name must end in .png or .svg")
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
        gpus=parse_int_count(gpus, "--gpus") if gpus is not None else None,
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
        from llmwalls.render import chart
        from llmwalls.render import roofline as view

        try:
            view.save_plot(report, plot)
        except chart.PlotUnavailableError as exc:
            raise InputError(str(exc)) from None
        except OSError as exc:
            raise InputError(f"cannot write --plot {plot!r}: {exc.strerror or exc}") from None
    if json_:
        render.print_json_report("roofline", report)
        render.show_notices(report)
    else:
        from llmwalls.render import roofline as view

        view.show(report, chart=not no_chart, image=plot)
    if check and any(w.hit for w in report.walls):
        raise typer.Exit(1)
