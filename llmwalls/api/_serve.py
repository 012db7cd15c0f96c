"""The serving question: for a request rate, request shape and latency SLO, the cheapest deployment (GPU
type, TP/EP, replicas, precisions, aggregated or disaggregated prefill/decode pools), its latency
percentiles, cost and power, and the Pareto front of throughput per GPU against speed per user.

    >>> from llmwalls import api
    >>> r = api.serve(model="70b", gpus=("h100", "h200"), requests_per_s=40, prompt_tokens=2048,
    ...               output_tokens=500, ttft_p99_s=1.0, tpot_p99_s=0.05)
    >>> r.results.best.gpus, r.results.best.mode

The model is engine/serving.py's; this module resolves profiles and prices, builds the engine's inputs
and packs the answer into a frozen report.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from llmwalls.api._profiles import profile, rental_price
from llmwalls.api.types import Wall
from llmwalls.engine import serving as sv
from llmwalls.errors import InputError
from llmwalls.specs import GpuSpec, ModelSpec

MODES = ("aggregated", "disaggregated")


@dataclass(frozen=True)
class GpuPrice:
    gpu: str
    usd_per_gpu_hour: float
    source: str


@dataclass(frozen=True)
class ServeInputs:
    model: str
    gpus: tuple[str, ...]
    requests_per_s: float
    prompt_tokens: float
    prompt_tokens_p50: float | None
    prompt_tokens_p99: float | None
    output_tokens: float
    output_tokens_p99: float | None
    reasoning_tokens: float
    turns: float
    history_reuse: bool
    shared_prefix_tokens: float
    prefix_hit_rate: float | None
    arrival_cv2: float
    ttft_p50_s: float | None
    ttft_p99_s: float | None
    tpot_p50_s: float | None
    tpot_p99_s: float | None
    speculative_draft_tokens: int | None
    speculative_acceptance_rate: float | None
    speculative_draft_cost: float | None
    offload_host_bytes_per_gpu: float | None
    offload_link_bytes_per_s: float | None
    prices: tuple[GpuPrice, ...]
    modes: tuple[str, ...]
    max_replica_gpus: int
    weight_dtypes: tuple[str, ...]
    kv_dtypes: tuple[str, ...]
    chunk_tokens: tuple[int, ...]
    max_batch: int


@dataclass(frozen=True)
class ServeResults:
    meets_slo: bool  # some deployment searched meets every SLO given
    best_mode: str | None
    reason: str  # why the best is the best: its cost against the other mode's, and the wall each pool hits
    best: sv.Deployment | None
    aggregated: sv.Deployment | None  # cheapest aggregated deployment meeting the SLO
    disaggregated: sv.Deployment | None  # cheapest disaggregated deployment meeting the SLO
    pareto: tuple[sv.ParetoPoint, ...]  # output tokens/s per GPU against tokens/s per user
    tokens: sv.Tokens  # per-request token accounting (prompt, cached, prefilled, decoded)
    tokens_per_step: float  # decode tokens per target step (speculative decoding; 1 without)
    configurations: int  # replica configurations searched (GPU x TP/EP x precisions)
    points: int  # operating points evaluated
    search_time_s: float


@dataclass(frozen=True)
class ServeReport:
    inputs: ServeInputs
    results: ServeResults
    walls: tuple[Wall, ...]
    warnings: tuple[str, ...]
    notes: tuple[str, ...]


def _walls(best: sv.Deployment | None, slo: sv.Slo) -> tuple[Wall, ...]:
    """Latency against each SLO given (demand = predicted, limit = target) and, per pool, the p99
    concurrency against the sequences whose KV fits (memory capacity)."""
    if best is None:
        return ()
    out = []
    for value, limit in (
        (best.ttft_p50_s, slo.ttft_p50_s),
        (best.ttft_p99_s, slo.ttft_p99_s),
        (best.tpot_p50_s, slo.tpot_p50_s),
        (best.tpot_p99_s, slo.tpot_p99_s),
    ):
        if limit is not None:
            out.append(Wall.of("latency", value, limit, "s"))
    for p in best.pools:
        if p.role != "prefill":
            out.append(Wall.of("memory_capacity", p.max_batch, p.kv_capacity_sequences, "sequences"))
    return tuple(out)


def _assumptions(
    base: sv.ServingAssumptions | None,
    max_replica_gpus: int,
    weight_dtypes: Sequence[str] | None,
    kv_dtypes: Sequence[str] | None,
    chunk_tokens: Sequence[int] | None,
    max_batch: int | None,
) -> sv.ServingAssumptions:
    """The engine's assumptions with the search space the caller chose (each name checked)."""
    from dataclasses import replace

    from llmwalls.engine import model as mdl

    a = base or sv.ServingAssumptions()
    change: dict[str, Any] = {"max_replica_gpus": max_replica_gpus}
    if weight_dtypes:
        for w in weight_dtypes:
            mdl.weight_bytes_per_param(w)
        change["weight_dtypes"] = tuple(w.lower() for w in weight_dtypes)
    if kv_dtypes:
        for k in kv_dtypes:
            mdl.dtype_bytes(k, "KV-cache precision")
        change["kv_dtypes"] = tuple(k.lower() for k in kv_dtypes)
    if chunk_tokens:
        if any(c < 64 for c in chunk_tokens):
            raise InputError("chunk sizes must be at least 64 tokens")
        change["chunk_tokens"] = tuple(int(c) for c in chunk_tokens)
    if max_batch is not None:
        if max_batch < 1:
            raise InputError("the max batch must be at least 1 sequence")
        change["max_batch"] = int(max_batch)
    return replace(a, **change)


# Named host links KV blocks are offloaded over (engine/serving.py cites each bandwidth).
OFFLOAD_LINKS: dict[str, float] = {"pcie5": sv.PCIE5_X16_BYTES_PER_S, "c2c": sv.NVLINK_C2C_BYTES_PER_S}


def parse_speculative(text: str, what: str = "--speculative") -> sv.Speculative:
    """'K:A' or 'K:A:C' -> Speculative(K drafted tokens, acceptance rate A, draft cost C of a target step)."""
    parts = text.split(":")
    try:
        if len(parts) not in (2, 3):
            raise ValueError
        return sv.Speculative(int(parts[0]), *(float(p) for p in parts[1:]))
    except ValueError:
        raise InputError(f"{what} {text!r}: write K:A or K:A:C, e.g. 3:0.7") from None


def parse_offload(host_gib: str, link: str) -> sv.Offload:
    """KV offload of `host_gib` GiB of host memory per GPU over a named link (OFFLOAD_LINKS: pcie5, c2c) or
    one of `link` GB/s."""
    from llmwalls.units import parse_positive_float

    host = parse_positive_float(host_gib, "--offload-host-gib") * 2**30
    if link.lower() in OFFLOAD_LINKS:
        return sv.Offload(host, OFFLOAD_LINKS[link.lower()])
    return sv.Offload(host, parse_positive_float(link, "--offload-link (GB/s)") * 1e9)


def serving_assumptions(
    *,
    kv_transfer_bytes_per_s: float | None = None,
    block_tokens: int | None = None,
    prefill_power_utilization: float | None = None,
    decode_power_utilization: float | None = None,
) -> sv.ServingAssumptions:
    """The engine's judgement calls (engine/serving.py DEFAULT_ASSUMPTIONS) with the ones given replaced."""
    from dataclasses import replace

    d = sv.DEFAULT_ASSUMPTIONS
    return replace(
        d,
        kv_transfer_bytes_per_s=d.kv_transfer_bytes_per_s
        if kv_transfer_bytes_per_s is None
        else kv_transfer_bytes_per_s,
        block_tokens=d.block_tokens if block_tokens is None else block_tokens,
        prefill_power_utilization=d.prefill_power_utilization
        if prefill_power_utilization is None
        else prefill_power_utilization,
        decode_power_utilization=d.decode_power_utilization
        if decode_power_utilization is None
        else decode_power_utilization,
    )


def serve(
    *,
    model: str | ModelSpec,
    gpus: Sequence[str | GpuSpec],
    requests_per_s: float | None = None,
    requests_per_day: float | None = None,
    peak_to_mean: float = 1.0,
    prompt_tokens: float,
    output_tokens: float,
    prompt_tokens_p50: float | None = None,
    prompt_tokens_p99: float | None = None,
    output_tokens_p99: float | None = None,
    reasoning_tokens: float = 0.0,
    turns: float = 1.0,
    history_reuse: bool = True,
    shared_prefix_tokens: float = 0.0,
    prefix_hit_rate: float | None = None,
    arrival_cv2: float = 1.0,
    ttft_p50_s: float | None = None,
    ttft_p99_s: float | None = None,
    tpot_p50_s: float | None = None,
    tpot_p99_s: float | None = None,
    speculative: sv.Speculative | None = None,
    offload: sv.Offload | None = None,
    usd_per_gpu_hour: float | Mapping[str, float] | None = None,
    modes: Sequence[str] = MODES,
    max_replica_gpus: int = 8,
    weight_dtypes: Sequence[str] | None = None,
    kv_dtypes: Sequence[str] | None = None,
    chunk_tokens: Sequence[int] | None = None,
    max_batch: int | None = None,
    assumptions: sv.ServingAssumptions | None = None,
) -> ServeReport:
    """The cheapest deployment meeting the SLO (see the module docstring). ``usd_per_gpu_hour``: one price
    for every GPU, a mapping GPU name -> price, or None for each GPU's rental-price profile (else the cost
    engine's fallback)."""
    from llmwalls import notices

    with notices.collecting() as bag:
        spec = model if isinstance(model, ModelSpec) else profile("model", str(model))
        if not gpus:
            raise InputError("give at least one GPU to search")
        specs: list[GpuSpec] = []
        for g in gpus:
            s = g if isinstance(g, GpuSpec) else profile("gpu", str(g))
            if s.name not in {x.name for x in specs}:
                specs.append(s)
        bad = [m for m in modes if m not in MODES]
        if bad or not modes:
            raise InputError(f"mode must be one of {', '.join(MODES)}")
        if (requests_per_s is None) == (requests_per_day is None):
            raise InputError(
                "give the request rate once: per second (--rate) or per day (--requests-per-day)"
            )
        if max_replica_gpus < 1:
            raise InputError("the largest replica must have at least one GPU")
        kw = {
            "prompt": sv.Lengths(prompt_tokens, prompt_tokens_p50, prompt_tokens_p99),
            "output": sv.Lengths(output_tokens, None, output_tokens_p99),
            "reasoning_tokens": reasoning_tokens,
            "turns": turns,
            "history_reuse": history_reuse,
            "shared_prefix_tokens": shared_prefix_tokens,
            "prefix_hit_rate": prefix_hit_rate,
            "arrival_cv2": arrival_cv2,
        }
        if requests_per_day is not None:
            workload = sv.Workload.from_daily(requests_per_day, peak_to_mean, **kw)
        else:
            workload = sv.Workload(requests_per_s=float(requests_per_s), **kw)  # type: ignore[arg-type]
        slo = sv.Slo(ttft_p50_s, ttft_p99_s, tpot_p50_s, tpot_p99_s)
        prices: list[GpuPrice] = []
        for s in specs:
            if isinstance(usd_per_gpu_hour, Mapping):
                if s.name not in usd_per_gpu_hour:
                    raise InputError(f"no $/GPU-hour given for {s.name}")
                price, source = float(usd_per_gpu_hour[s.name]), "given"
            else:
                price, source = rental_price(s.name, usd_per_gpu_hour, fallback=True)
            if not price > 0:
                raise InputError(f"the $/GPU-hour of {s.name} must be > 0")
            prices.append(GpuPrice(s.name, price, source))
            if s.tdp_w is None:
                notices.note(f"{s.name}: no published TDP; its power and energy per token are unknown")
        a = _assumptions(assumptions, max_replica_gpus, weight_dtypes, kv_dtypes, chunk_tokens, max_batch)
        t0 = time.perf_counter()
        r = sv.search(
            spec,
            specs,
            workload,
            slo,
            usd_per_gpu_hour={p.gpu: p.usd_per_gpu_hour for p in prices},
            speculative=speculative,
            offload=offload,
            assumptions=a,
            modes=tuple(modes),
        )
        elapsed = time.perf_counter() - t0
        if r.best is None:
            notices.warn("no deployment searched meets the SLO: loosen it, or add GPUs, precisions or modes")
    inputs = ServeInputs(
        model=spec.name,
        gpus=tuple(s.name for s in specs),
        requests_per_s=workload.requests_per_s,
        prompt_tokens=float(prompt_tokens),
        prompt_tokens_p50=prompt_tokens_p50,
        prompt_tokens_p99=prompt_tokens_p99,
        output_tokens=float(output_tokens),
        output_tokens_p99=output_tokens_p99,
        reasoning_tokens=float(reasoning_tokens),
        turns=float(turns),
        history_reuse=history_reuse,
        shared_prefix_tokens=float(shared_prefix_tokens),
        prefix_hit_rate=prefix_hit_rate,
        arrival_cv2=float(arrival_cv2),
        ttft_p50_s=ttft_p50_s,
        ttft_p99_s=ttft_p99_s,
        tpot_p50_s=tpot_p50_s,
        tpot_p99_s=tpot_p99_s,
        speculative_draft_tokens=speculative.draft_tokens if speculative else None,
        speculative_acceptance_rate=speculative.acceptance_rate if speculative else None,
        speculative_draft_cost=speculative.draft_cost if speculative else None,
        offload_host_bytes_per_gpu=offload.host_bytes_per_gpu if offload else None,
        offload_link_bytes_per_s=offload.link_bytes_per_s if offload else None,
        prices=tuple(prices),
        modes=tuple(modes),
        max_replica_gpus=max_replica_gpus,
        weight_dtypes=a.weight_dtypes,
        kv_dtypes=a.kv_dtypes,
        chunk_tokens=a.chunk_tokens,
        max_batch=a.max_batch,
    )
    results = ServeResults(
        meets_slo=r.best is not None,
        best_mode=r.best.mode if r.best is not None else None,
        reason=r.reason,
        best=r.best,
        aggregated=r.aggregated,
        disaggregated=r.disaggregated,
        pareto=r.pareto,
        tokens=r.tokens,
        tokens_per_step=r.tokens_per_step,
        configurations=r.configurations,
        points=r.points,
        search_time_s=elapsed,
    )
    return ServeReport(inputs, results, _walls(r.best, slo), tuple(bag.warnings), tuple(bag.notes))
