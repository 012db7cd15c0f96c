"""`llmwalls serve`: the cheapest deployment serving a request rate within latency SLOs: GPU type, TP/EP,
replicas, precisions, aggregated or disaggregated prefill/decode pools, with TTFT/TPOT percentiles, cost,
power and the Pareto front. The numbers come from llmwalls.api.serve (engine/serving.py); this module only
parses and renders."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

import typer

from llmwalls.api.types import ServingMode
from llmwalls.cli.options import (
    Check,
    Force,
    GpuChoices,
    Json,
    KvDtypeSearch,
    Mode,
    Model,
    NoChart,
    Plot,
    PricePerGpuHour,
    WeightsSearch,
)

_OptStr = str | None


def serve(
    model: Model,
    gpu: GpuChoices,
    rate: Annotated[
        _OptStr, typer.Option("--rate", "--requests-per-s", help="Peak request rate, requests/s (1k = 1000).")
    ] = None,
    requests_per_day: Annotated[
        _OptStr, typer.Option("--requests-per-day", help="Daily requests (10M); with --peak-to-mean.")
    ] = None,
    peak_to_mean: Annotated[
        float,
        typer.Option(
            "--peak-to-mean", min=1.0, help="Peak rate / daily mean rate (with --requests-per-day)."
        ),
    ] = 2.0,
    prompt: Annotated[
        str, typer.Option("--prompt", help="Mean new prompt tokens per request (2k = 2048).")
    ] = "2k",
    prompt_p50: Annotated[_OptStr, typer.Option("--prompt-p50", help="Median prompt tokens.")] = None,
    prompt_p99: Annotated[
        _OptStr, typer.Option("--prompt-p99", help="p99 prompt tokens (log-normal fit).")
    ] = None,
    output_tokens: Annotated[
        str, typer.Option("--output-tokens", help="Mean visible output tokens per request.")
    ] = "500",
    reasoning_tokens: Annotated[
        str, typer.Option("--reasoning-tokens", help="Hidden reasoning tokens decoded per request.")
    ] = "0",
    turns: Annotated[float, typer.Option("--turns", min=1.0, help="Requests per multi-turn session.")] = 1.0,
    no_history_reuse: Annotated[
        bool, typer.Option("--no-history-reuse", help="Re-prefill a session's history every turn.")
    ] = False,
    shared_prefix: Annotated[
        str, typer.Option("--shared-prefix", help="System-prompt tokens shared by every request (cached).")
    ] = "0",
    prefix_hit: Annotated[
        _OptStr, typer.Option("--prefix-hit", help="Fraction of prompt tokens found in the prefix cache.")
    ] = None,
    arrival_cv2: Annotated[
        float, typer.Option("--arrival-cv2", min=0.0, help="Inter-arrival cv^2 (1 = Poisson; >1 burstier).")
    ] = 1.0,
    ttft_p50_s: Annotated[
        _OptStr, typer.Option("--ttft-p50-s", help="SLO: median time to first token, s.")
    ] = None,
    ttft_p99_s: Annotated[
        _OptStr, typer.Option("--ttft-p99-s", help="SLO: p99 time to first token, s.")
    ] = None,
    tpot_p50_s: Annotated[
        _OptStr, typer.Option("--tpot-p50-s", help="SLO: median time per output token, s.")
    ] = None,
    tpot_p99_s: Annotated[
        _OptStr, typer.Option("--tpot-p99-s", help="SLO: p99 time per output token, s.")
    ] = None,
    speculative: Annotated[
        _OptStr,
        typer.Option(
            "--speculative",
            help="Speculative decoding K:A[:C]: K drafted tokens, acceptance rate A, draft cost C of a "
            "target step (default 0.05), e.g. 3:0.7 or 1:0.8:0.02 for one MTP head.",
        ),
    ] = None,
    offload_host_gib: Annotated[
        _OptStr, typer.Option("--offload-host-gib", help="Host memory per GPU for offloaded KV blocks, GiB.")
    ] = None,
    offload_link: Annotated[
        str,
        typer.Option(
            "--offload-link", help="Link KV is read back over: pcie5 (63 GB/s), c2c (450 GB/s) or GB/s."
        ),
    ] = "pcie5",
    price: PricePerGpuHour = None,
    mode: Mode = ServingMode.both,
    max_replica_gpus: Annotated[
        int, typer.Option("--max-replica-gpus", min=1, max=72, help="Largest replica searched (GPUs).")
    ] = 8,
    weights: WeightsSearch = None,
    kv_dtype: KvDtypeSearch = None,
    chunk: Annotated[
        list[str] | None,
        typer.Option(
            "--chunk", help="Tokens per step (chunked prefill) to search (repeat; default 512, 2k, 8k)."
        ),
    ] = None,
    max_batch: Annotated[
        int | None,
        typer.Option(
            "--max-batch", min=1, max=1_000_000, help="Most sequences a replica may run (default 4096)."
        ),
    ] = None,
    kv_link_gb_s: Annotated[
        float | None,
        typer.Option(
            "--kv-link-gb-s",
            min=0.001,
            help="KV hand-over between disaggregated pools, GB/s per GPU (default 40: 400 Gb/s at 80%).",
        ),
    ] = None,
    block_tokens: Annotated[
        int | None,
        typer.Option(
            "--block-tokens", min=1, max=4096, help="Paged-KV block size, tokens (default 16, vLLM's)."
        ),
    ] = None,
    power_prefill: Annotated[
        float | None,
        typer.Option(
            "--power-utilization-prefill",
            min=0.0,
            max=1.0,
            help="GPU power while prefilling, fraction of idle..TDP (default 0.9, an assumption).",
        ),
    ] = None,
    power_decode: Annotated[
        float | None,
        typer.Option(
            "--power-utilization-decode",
            min=0.0,
            max=1.0,
            help="GPU power while decoding, fraction of idle..TDP (default 0.6, an assumption).",
        ),
    ] = None,
    plot: Plot = None,
    force: Force = False,
    no_chart: NoChart = False,
    json_out: Json = False,
    check: Check = False,
) -> None:
    """Serving at a request rate: the cheapest deployment meeting TTFT/TPOT SLOs, aggregated or disaggregated.

    Exit 1 with --check when no deployment searched meets the SLO."""
    from llmwalls import api, render
    from llmwalls.api._serve import parse_offload, parse_speculative, serving_assumptions
    from llmwalls.cli.options import parse_token_count as tokens
    from llmwalls.cli.options import parse_usd, plot_path
    from llmwalls.units import parse_count, parse_fraction, parse_positive_float

    def opt(parse: Callable[..., float], text: str | None, what: str, **kw: bool) -> float | None:
        return None if text is None else parse(text, what, **kw)

    plot = plot_path(plot, force=force)
    report = api.serve(
        model=model,
        gpus=gpu,
        requests_per_s=opt(parse_count, rate, "--rate"),
        requests_per_day=opt(parse_count, requests_per_day, "--requests-per-day"),
        peak_to_mean=peak_to_mean,
        prompt_tokens=float(tokens(prompt, "--prompt") or 0),
        prompt_tokens_p50=tokens(prompt_p50, "--prompt-p50"),
        prompt_tokens_p99=tokens(prompt_p99, "--prompt-p99"),
        output_tokens=float(tokens(output_tokens, "--output-tokens") or 0),
        reasoning_tokens=float(tokens(reasoning_tokens, "--reasoning-tokens", allow_zero=True) or 0),
        turns=turns,
        history_reuse=not no_history_reuse,
        shared_prefix_tokens=float(tokens(shared_prefix, "--shared-prefix", allow_zero=True) or 0),
        prefix_hit_rate=opt(parse_fraction, prefix_hit, "--prefix-hit", allow_zero=True),
        arrival_cv2=arrival_cv2,
        ttft_p50_s=opt(parse_positive_float, ttft_p50_s, "--ttft-p50-s"),
        ttft_p99_s=opt(parse_positive_float, ttft_p99_s, "--ttft-p99-s"),
        tpot_p50_s=opt(parse_positive_float, tpot_p50_s, "--tpot-p50-s"),
        tpot_p99_s=opt(parse_positive_float, tpot_p99_s, "--tpot-p99-s"),
        speculative=None if speculative is None else parse_speculative(speculative),
        offload=None if offload_host_gib is None else parse_offload(offload_host_gib, offload_link),
        usd_per_gpu_hour=parse_usd(price, "--price-per-gpu-hour"),
        modes=("aggregated", "disaggregated") if mode is ServingMode.both else (mode.value,),
        max_replica_gpus=max_replica_gpus,
        weight_dtypes=[w.value for w in weights] if weights else None,
        kv_dtypes=[k.value for k in kv_dtype] if kv_dtype else None,
        chunk_tokens=None if not chunk else [int(tokens(c, "--chunk") or 0) for c in chunk],
        max_batch=max_batch,
        assumptions=serving_assumptions(
            kv_transfer_bytes_per_s=None if kv_link_gb_s is None else kv_link_gb_s * 1e9,
            block_tokens=block_tokens,
            prefill_power_utilization=power_prefill,
            decode_power_utilization=power_decode,
        ),
    )
    render.show_notices(report)
    if json_out:
        render.print_json_report("serve", report)
    else:
        from llmwalls.render import serve as view

        view.show(report, plot=plot, force=force, chart=not no_chart)
    if check and not report.results.meets_slo:
        raise typer.Exit(1)
