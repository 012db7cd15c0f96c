"""Serving as it is run: a request-level model of an LLM serving fleet, and the search for the cheapest
deployment that meets a latency SLO.

Pure and vectorised numpy; nothing here prints, parses flags or reads files. SI units inside (s, bytes,
tokens, W, J, US$).

The model, stage by stage (every judgement call is a field of ``ServingAssumptions``):

1. Workload (``Workload``). Requests arrive at ``requests_per_s`` (a Poisson process unless
   ``arrival_cv2`` says otherwise). Each request brings ``prompt`` new tokens and decodes ``output`` visible
   plus ``reasoning_tokens`` hidden tokens. A session of ``turns`` turns re-sends its history; with
   ``history_reuse`` the history is served from the prefix cache, as is a ``shared_prefix_tokens`` system
   prompt; or a flat ``prefix_hit_rate`` says which fraction of the prompt is cached. Lengths may be given as
   mean and percentiles (a log-normal fit).
2. Step time. An engine step of continuous batching (Orca, Yu et al. OSDI 2022) with chunked prefill
   (Sarathi-Serve, Agrawal et al. OSDI 2024, sec 4) runs ``B`` decoding sequences and up to
   ``chunk - B`` prefill tokens together. Its time comes from the roofline engine (engine/roofline.py):
   the per-operator FLOPs and bytes of a decode step of ``n`` tokens (linear layers, LM head, TP/EP
   collectives) tabulated over a grid of n and interpolated (exact where they are affine in n: dense
   layers), plus attention for the decoding sequences at their mean context and for the prefill tokens at
   their prompt positions; each operator at max(FLOPs / attainable compute, bytes / attainable bandwidth)
   as roofline does, so decode tokens ride in the slack of a memory-bound step and prefill tokens cost
   their FLOPs.
3. Concurrency: Little's law, L = lambda W (Little 1961, Operations Research 9(3)): the decoding sequences
   per replica are the arrival rate times the time a request spends decoding. Parametrised by the decode
   batch B, the rate follows in closed form (``aggregated_rate``). The number of sequences in service
   fluctuates: for Poisson arrivals and any service time it is Poisson with mean L (the M/G/infinity
   queue; Kleinrock 1975, Queueing Systems Vol. 1, sec 3.6 for M/M/infinity, insensitive to the service
   distribution), so its p99 is about L + 2.33 sqrt(L) (normal approximation).
4. KV capacity: paged KV cache in blocks of 16 tokens (vLLM PagedAttention, Kwon et al. SOSP 2023, sec 4.2),
   at most one partly filled block per sequence; shared-prefix blocks are stored once (sec 4.4). The p99
   concurrency must fit. Optional offload to host memory over PCIe or NVLink-C2C: the offloaded part of the
   cache is read back over that link every decode step.
5. TTFT: the prefill work is a single server fed by Poisson arrivals, i.e. M/G/1 (the chunk budget of every
   step is the server). Mean waiting time: Pollaczek-Khinchine, W = lambda E[S^2] / (2 (1 - rho))
   (Kleinrock 1975, Vol. 1, ch. 5); for non-Poisson arrivals Kingman's G/G/1 approximation
   W = (ca^2 + cs^2)/2 x rho/(1-rho) x E[S] (Kingman 1961), equal to P-K when ca^2 = 1. Percentiles from
   the exponential tail P(W > t) = rho exp(-rho t / W), exact for M/M/1 (Kleinrock Vol. 1, ch. 3,
   eq. for the waiting-time distribution 1 - rho e^(-mu(1-rho)t)) and the heavy-traffic form for M/G/1
   (Kingman 1962). TTFT = waiting time + the request's own prefill steps.
6. TPOT: mean step time / tokens per step. With speculative decoding (draft model or MTP heads) a step
   verifies k drafted tokens and emits (1 - a^(k+1)) / (1 - a) tokens on average for acceptance rate a
   (Leviathan et al., ICML 2023, eq. 1), at the cost of k draft steps of c target steps each (their c).
7. Disaggregated serving (DistServe, Zhong et al. OSDI 2024; Splitwise, Patel et al. ISCA 2024): a prefill
   pool (M/G/1 per replica, unchunked prefill) hands the KV cache over a link to a decode pool (decode-only
   steps). The pools are sized independently and can use different GPUs and parallelism.
8. Search: every GPU x (TP, EP) x weight precision x KV precision x chunk size x decode batch, one array.
   For each configuration the largest per-replica rate that meets the SLO gives the replicas; the cheapest
   deployment wins; the Pareto front is output tokens/s per GPU against tokens/s per user.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from llmwalls.engine import memory as mem
from llmwalls.engine import model as mdl
from llmwalls.engine import power as pw
from llmwalls.engine import roofline as rf
from llmwalls.errors import InputError
from llmwalls.specs import GpuSpec, ModelSpec

Z99 = 2.3263478740408408  # standard normal 0.99 quantile
SECONDS_PER_HOUR = 3600.0

# Links KV offload can use, one direction per GPU.
# PCIe 5.0 x16: 32 GT/s x 16 lanes x 128/130 / 8 = 63.0 GB/s (PCI-SIG PCIe 5.0 base specification).
PCIE5_X16_BYTES_PER_S = 63.0e9
# NVLink-C2C of GH200/GB200: 900 GB/s total, 450 GB/s each way (NVIDIA GH200 Grace Hopper Superchip
# datasheet, https://www.nvidia.com/en-us/data-center/grace-hopper-superchip/).
NVLINK_C2C_BYTES_PER_S = 450.0e9

# Cost of one draft token as a fraction of a target decode step (Leviathan et al.'s c). An assumption: a
# draft model ~1/20 of the target, or one MTP module (DeepSeek-V3: one transformer block beside 61, plus
# the shared output head) with its launch overheads. Override per run.
DEFAULT_DRAFT_COST = 0.05

WALLS = ("memory capacity (KV)", "memory bandwidth", "compute", "interconnect")


# ------------------------------------------------------------------------------------------------ inputs


@dataclass(frozen=True)
class Lengths:
    """A token-length distribution from what is known of it: the mean, and optionally p50 and/or p99.
    With a percentile it is read as log-normal (request lengths are right-skewed; a judgement call);
    with the mean alone as a constant (cv^2 = 0)."""

    mean: float
    p50: float | None = None
    p99: float | None = None

    def __post_init__(self) -> None:
        for name in ("mean", "p50", "p99"):
            v = getattr(self, name)
            if v is not None and (not math.isfinite(v) or v < 0):
                raise InputError(f"token length {name} must be a finite number >= 0, got {v}")
        if self.p50 is not None and self.p99 is not None and self.p99 < self.p50:
            raise InputError(f"p99 length ({self.p99:g}) is below p50 ({self.p50:g})")

    def sigma(self) -> float:
        """Log-normal shape: from p50 and p99, ln(p99/p50) / z99; from mean and p99, the smaller root of
        ln(p99/mean) = z99 s - s^2/2; from mean and p50, sqrt(2 ln(mean/p50)); else 0."""
        m, p50, p99 = self.mean, self.p50, self.p99
        if p50 is not None and p99 is not None and p50 > 0:
            return math.log(p99 / p50) / Z99
        if p99 is not None and m > 0 and p99 > m:
            d = Z99 * Z99 - 2.0 * math.log(p99 / m)
            if d < 0:
                raise InputError(f"a p99 length of {p99:g} is too far above the mean {m:g} for a log-normal")
            return Z99 - math.sqrt(d)
        if p50 is not None and 0 < p50 < m:
            return math.sqrt(2.0 * math.log(m / p50))
        return 0.0

    def resolved(self) -> tuple[float, float, float, float]:
        """(mean, p50, p99, cv^2): the given values, the missing percentile from the log-normal fit,
        cv^2 = exp(sigma^2) - 1 (the log-normal's)."""
        s = self.sigma()
        if s == 0.0:
            return self.mean, self.mean, self.mean, 0.0
        # The mean stays the one given (it sets the throughput); the median from p50 or the fit.
        median = self.p50 if self.p50 is not None else self.mean * math.exp(-s * s / 2.0)
        p99 = self.p99 if self.p99 is not None else median * math.exp(Z99 * s)
        return self.mean, median, p99, math.exp(s * s) - 1.0


@dataclass(frozen=True)
class Workload:
    """What the fleet must serve. ``requests_per_s`` counts requests (turns), at the peak the fleet is
    sized for (``from_daily`` turns a daily volume and a peak-to-mean factor into it)."""

    requests_per_s: float
    prompt: Lengths  # new input tokens of one request (the user's message, documents)
    output: Lengths  # visible output tokens
    reasoning_tokens: float = 0.0  # hidden tokens decoded before the answer (billed as output)
    turns: float = 1.0  # requests per session; each re-sends the history
    history_reuse: bool = True  # the session's history is served from the prefix cache
    shared_prefix_tokens: float = 0.0  # system prompt in front of every session, cached and shared
    prefix_hit_rate: float | None = None  # overrides the above: fraction of prompt tokens found cached
    arrival_cv2: float = 1.0  # squared coefficient of variation of inter-arrival times (1: Poisson)

    def __post_init__(self) -> None:
        if not (math.isfinite(self.requests_per_s) and self.requests_per_s > 0):
            raise InputError("the request rate must be a positive number of requests per second")
        if self.prompt.mean < 1:
            raise InputError("prompts must have at least one token")
        if self.output.mean < 1:
            raise InputError("requests must produce at least one output token")
        if not (math.isfinite(self.reasoning_tokens) and self.reasoning_tokens >= 0):
            raise InputError("reasoning tokens must be >= 0")
        if not (math.isfinite(self.turns) and self.turns >= 1):
            raise InputError("turns per session must be >= 1")
        if not (math.isfinite(self.shared_prefix_tokens) and self.shared_prefix_tokens >= 0):
            raise InputError("shared prefix tokens must be >= 0")
        if self.prefix_hit_rate is not None and not (0.0 <= self.prefix_hit_rate < 1.0):
            raise InputError("the prefix-cache hit rate must be in [0, 1)")
        if not (math.isfinite(self.arrival_cv2) and self.arrival_cv2 >= 0):
            raise InputError("arrival cv^2 must be >= 0")

    @classmethod
    def from_daily(cls, requests_per_day: float, peak_to_mean: float, **kw: object) -> Workload:
        """Peak rate = requests per day / 86,400 s x the peak-to-mean factor."""
        if not (requests_per_day > 0 and peak_to_mean >= 1):
            raise InputError("daily requests must be > 0 and the peak-to-mean factor >= 1")
        return cls(requests_per_s=requests_per_day / 86400.0 * peak_to_mean, **kw)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Slo:
    """Latency targets; None = not constrained. TPOT = time per output token after the first."""

    ttft_p50_s: float | None = None
    ttft_p99_s: float | None = None
    tpot_p50_s: float | None = None
    tpot_p99_s: float | None = None

    def __post_init__(self) -> None:
        for name in ("ttft_p50_s", "ttft_p99_s", "tpot_p50_s", "tpot_p99_s"):
            v = getattr(self, name)
            if v is not None and not (math.isfinite(v) and v > 0):
                raise InputError(f"SLO {name} must be a positive number of seconds")


@dataclass(frozen=True)
class Speculative:
    """Speculative decoding: ``draft_tokens`` k drafted per step, each accepted with probability
    ``acceptance_rate`` a (Leviathan et al. 2023's alpha), each draft token costing ``draft_cost`` c of a
    target decode step (their c: a small draft model ~0.02-0.1, MTP heads about one layer's share)."""

    draft_tokens: int
    acceptance_rate: float
    draft_cost: float = DEFAULT_DRAFT_COST

    def __post_init__(self) -> None:
        if not (isinstance(self.draft_tokens, int) and 1 <= self.draft_tokens <= 16):
            raise InputError("speculative draft tokens must be a whole number from 1 to 16")
        if not (0.0 <= self.acceptance_rate < 1.0):
            raise InputError("speculative acceptance rate must be in [0, 1)")
        if not (0.0 <= self.draft_cost <= 1.0):
            raise InputError("speculative draft cost must be in [0, 1] of a target step")

    @property
    def tokens_per_step(self) -> float:
        return float(speculative_tokens_per_step(self.acceptance_rate, self.draft_tokens))


@dataclass(frozen=True)
class Offload:
    """KV cache offload to host memory: ``host_bytes_per_gpu`` of host DRAM per GPU for KV blocks, read
    back at ``link_bytes_per_s`` (PCIE5_X16_BYTES_PER_S, NVLINK_C2C_BYTES_PER_S)."""

    host_bytes_per_gpu: float
    link_bytes_per_s: float = PCIE5_X16_BYTES_PER_S

    def __post_init__(self) -> None:
        if not (self.host_bytes_per_gpu > 0 and self.link_bytes_per_s > 0):
            raise InputError("KV offload needs host bytes per GPU and a link bandwidth > 0")


@dataclass(frozen=True)
class ServingAssumptions:
    """The judgement calls of the serving model, each named and overridable."""

    # vLLM's default --block-size 16 (Kwon et al. 2023, sec 4.2/7: block size 16 balances the GPU's
    # parallelism in reading a block against internal fragmentation).
    block_tokens: int = 16
    # Chunk sizes (tokens per step, decode tokens included: vLLM max_num_batched_tokens) searched.
    # Sarathi-Serve evaluates chunks of 512-2048 (Agrawal et al. 2024, sec 5); vLLM V1's default for its
    # OpenAI server is 8192 (vLLM docs, "Optimization and tuning").
    chunk_tokens: tuple[int, ...] = (512, 2048, 8192)
    # Largest replica searched: one HGX node; the roofline's collectives assume one scale-up domain.
    max_replica_gpus: int = 8
    # Tensor-parallel sizes and expert-parallel sizes searched (MoE only; attention data-parallel when ep>tp).
    tp_sizes: tuple[int, ...] = (1, 2, 4, 8)
    ep_sizes: tuple[int, ...] = (1, 2, 4, 8)
    weight_dtypes: tuple[str, ...] = ("bf16", "fp8")
    kv_dtypes: tuple[str, ...] = ("bf16", "fp8")
    # Decode batches searched per configuration: geometric, 1 .. max_batch.
    max_batch: int = 4096
    batch_points: int = 96
    # Quantile of the concurrency the KV cache and max batch must hold (see module docstring, stage 3).
    concurrency_z: float = Z99
    # KV hand-over between disaggregated pools: one 400 Gb/s NIC per GPU (ConnectX-7 NDR, as on DGX H100)
    # at 80% of the wire, an assumption (nccl-tests reach ~0.8-0.9 of the wire on InfiniBand). Same-node
    # pools over NVLink would be faster: override.
    kv_transfer_bytes_per_s: float = 40e9
    kv_transfer_latency_s: float = 1e-3  # assumption: connection set-up + block gathering, per request
    # GPU power while serving, as a fraction of the way from idle to TDP (engine.power.gpu_power_w).
    # Assumptions: compute-bound prefill near the power limit, memory-bound decode well below it
    # (Splitwise, Patel et al. ISCA 2024, sec 3: prompt phases draw close to TDP, token phases far less).
    prefill_power_utilization: float = 0.9
    decode_power_utilization: float = 0.6
    # Points on the utilisation grid of a prefill pool (M/G/1 load searched for the TTFT SLO).
    prefill_load_points: int = 200
    roofline: rf.RooflineAssumptions = field(default_factory=rf.RooflineAssumptions)
    # Where a replica's collectives run (roofline.Links): None = one scale-up domain (the roofline's
    # default); Links.from_cluster(...) for replicas that span nodes (wide expert parallelism).
    links: rf.Links | None = None
    memory: mem.MemoryAssumptions = field(default_factory=mem.MemoryAssumptions)


DEFAULT_ASSUMPTIONS = ServingAssumptions()


# ------------------------------------------------------------------------------------- small formulas


def littles_law(rate_per_s: np.ndarray | float, time_in_system_s: np.ndarray | float) -> np.ndarray:
    """L = lambda W (Little 1961): mean number in a system from its arrival rate and mean residence time."""
    return np.asarray(rate_per_s, dtype=float) * np.asarray(time_in_system_s, dtype=float)


def mg1_mean_wait_s(
    rate_per_s: np.ndarray | float,
    mean_service_s: np.ndarray | float,
    service_cv2: np.ndarray | float,
    arrival_cv2: np.ndarray | float = 1.0,
) -> np.ndarray:
    """Mean queueing delay before service of a single server. Poisson arrivals: the Pollaczek-Khinchine
    mean-value formula W = lambda E[S^2] / (2 (1 - rho)) = rho E[S] (1 + cs^2) / (2 (1 - rho)) (Kleinrock
    1975, Queueing Systems Vol. 1, ch. 5). General arrivals: Kingman's approximation, the same with
    (1 + cs^2) replaced by (ca^2 + cs^2) (Kingman 1961). inf when rho >= 1."""
    lam = np.asarray(rate_per_s, dtype=float)
    s = np.asarray(mean_service_s, dtype=float)
    rho = lam * s
    with np.errstate(divide="ignore", invalid="ignore"):
        w = rho * s * (np.asarray(arrival_cv2, dtype=float) + np.asarray(service_cv2, dtype=float)) / 2.0
        w = w / (1.0 - rho)
    return np.where(rho < 1.0, w, np.inf)


def wait_quantile_s(mean_wait_s: np.ndarray | float, rho: np.ndarray | float, q: float) -> np.ndarray:
    """q-quantile of the waiting time with the exponential tail P(W > t) = rho exp(-rho t / W̄): exact for
    M/M/1 (Kleinrock 1975 Vol. 1, ch. 3: W(t) = 1 - rho e^(-mu (1 - rho) t), whose mean is
    W̄ = rho / (mu (1 - rho))), the heavy-traffic form for M/G/1 (Kingman 1962). t_q = (W̄/rho) ln(rho/(1-q))
    when rho > 1 - q, else 0 (more than a fraction q of arrivals do not wait at all)."""
    w = np.asarray(mean_wait_s, dtype=float)
    r = np.asarray(rho, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = w / r * np.log(r / (1.0 - q))
    return np.where(r > 1.0 - q, np.where(np.isfinite(w), t, np.inf), 0.0)


def concurrency_quantile(mean: np.ndarray | float, z: float = Z99) -> np.ndarray:
    """Quantile of a Poisson number of sequences in service with mean L (M/G/infinity): normal approximation
    L + z sqrt(L)."""
    m = np.asarray(mean, dtype=float)
    return m + z * np.sqrt(m)


def speculative_tokens_per_step(
    acceptance_rate: np.ndarray | float, draft_tokens: np.ndarray | int
) -> np.ndarray:
    """Expected tokens one target step emits with k drafted tokens of acceptance rate a:
    (1 - a^(k+1)) / (1 - a) (Leviathan et al., "Fast Inference from Transformers via Speculative
    Decoding", ICML 2023, eq. 1)."""
    a = np.asarray(acceptance_rate, dtype=float)
    k = np.asarray(draft_tokens, dtype=float)
    return (1.0 - a ** (k + 1.0)) / (1.0 - a)


def speculative_speedup(acceptance_rate: float, draft_tokens: int, draft_cost: float) -> float:
    """Walltime improvement at batch 1 when a target step costs the same for 1 and k+1 tokens:
    (1 - a^(k+1)) / ((1 - a)(k c + 1)) (Leviathan et al. 2023, Theorem 3.8)."""
    return float(speculative_tokens_per_step(acceptance_rate, draft_tokens)) / (
        draft_tokens * draft_cost + 1.0
    )


def kv_blocks_per_sequence(tokens: np.ndarray | float, block_tokens: int) -> np.ndarray:
    """Mean blocks one sequence holds: tokens / block + 1/2 (the last block is on average half full;
    PagedAttention wastes at most one block per sequence, Kwon et al. 2023 sec 4.2)."""
    t = np.asarray(tokens, dtype=float)
    return np.where(t > 0, t / block_tokens + 0.5, 0.0)


def kv_capacity_sequences(
    free_bytes: np.ndarray | float,
    kv_bytes_per_token: np.ndarray | float,
    private_tokens: np.ndarray | float,
    shared_tokens: np.ndarray | float,
    block_tokens: int,
    state_bytes_per_sequence: np.ndarray | float = 0.0,
) -> np.ndarray:
    """Sequences whose KV fits ``free_bytes`` of paged cache: blocks = floor(free / (block x bytes/token));
    the shared prefix takes ceil(shared / block) blocks once; each sequence its private tokens' blocks, plus
    its constant linear-attention state (models with linear-attention layers) counted in blocks' worth of
    bytes. 0 when nothing fits."""
    block_bytes = block_tokens * np.asarray(kv_bytes_per_token, dtype=float)
    blocks = np.floor(np.maximum(np.asarray(free_bytes, dtype=float), 0.0) / block_bytes)
    shared = np.ceil(np.asarray(shared_tokens, dtype=float) / block_tokens)
    per_seq = kv_blocks_per_sequence(private_tokens, block_tokens)
    per_seq = per_seq + np.asarray(state_bytes_per_sequence, dtype=float) / block_bytes
    with np.errstate(divide="ignore", invalid="ignore"):
        n = np.floor((blocks - shared) / per_seq)
    return np.maximum(np.where(per_seq > 0, n, np.inf), 0.0)


# --------------------------------------------------------------------------------- workload accounting


@dataclass(frozen=True)
class Tokens:
    """Per-request token accounting of a workload (means unless named)."""

    prompt: float  # full prompt a request sends: shared prefix + history + new tokens
    prompt_p50: float
    prompt_p99: float
    cached: float  # prompt tokens served from the prefix cache
    uncached: float  # prompt tokens prefilled
    uncached_p50: float
    uncached_p99: float
    uncached_cv2: float
    decoded: float  # output + reasoning tokens decoded
    output: float  # visible output
    shared: float  # shared-prefix tokens whose blocks are stored once per replica
    mean_context: float  # mean context of a decoding sequence: prompt + decoded / 2

    @classmethod
    def fixed(cls, prompt_tokens: float, mean_context_tokens: float) -> Tokens:
        """One uncached prompt of a fixed length and one decode step per call, at a given mean context: the
        accounting of a single step (no percentiles, no prefix cache)."""
        return cls(
            prompt=prompt_tokens,
            prompt_p50=prompt_tokens,
            prompt_p99=prompt_tokens,
            cached=0.0,
            uncached=prompt_tokens,
            uncached_p50=prompt_tokens,
            uncached_p99=prompt_tokens,
            uncached_cv2=0.0,
            decoded=1.0,
            output=1.0,
            shared=0.0,
            mean_context=mean_context_tokens,
        )


def token_accounting(w: Workload) -> Tokens:
    """Turn i of T re-sends the shared prefix S, the i-1 earlier turns (u + o each: reasoning tokens are not
    kept in the history, as DeepSeek-R1's API drops reasoning_content from later turns) and its new u:
    mean prompt = S + u + (T-1)/2 (u + o); the longest (the p99 reading) is the last turn,
    S + u_p99 + (T-1)(u + o). Cached: S, plus the history when it is reused; a prefix hit rate h instead
    caches h x prompt."""
    u, u50, u99, u_cv2 = w.prompt.resolved()
    o = w.output.resolved()[0]
    hist_mean = (w.turns - 1.0) / 2.0 * (u + o)
    hist_max = (w.turns - 1.0) * (u + o)
    S = w.shared_prefix_tokens
    prompt = S + u + hist_mean
    p50 = S + u50 + hist_mean
    p99 = S + u99 + hist_max
    if w.prefix_hit_rate is not None:
        h = w.prefix_hit_rate
        cached, c50, c99 = h * prompt, h * p50, h * p99
        shared = min(S, cached)
    else:
        cached = S + (hist_mean if w.history_reuse else 0.0)
        c50 = cached
        c99 = S + (hist_max if w.history_reuse else 0.0)
        shared = S
    uncached = max(prompt - cached, 1.0)
    var = u_cv2 * u * u
    decoded = o + w.reasoning_tokens
    return Tokens(
        prompt=prompt,
        prompt_p50=p50,
        prompt_p99=p99,
        cached=cached,
        uncached=uncached,
        uncached_p50=max(p50 - c50, 1.0),
        uncached_p99=max(p99 - c99, 1.0),
        uncached_cv2=var / (uncached * uncached),
        decoded=decoded,
        output=o,
        shared=shared,
        mean_context=prompt + decoded / 2.0,
    )


# ------------------------------------------------------------------------------------------ step model


@dataclass(frozen=True)
class Config:
    """One replica configuration of the search (scalars)."""

    gpu: str
    tp: int
    ep: int
    weights: str
    kv_dtype: str

    @property
    def gpus_per_replica(self) -> int:
        return max(self.tp, self.ep)


LINEAR_OPS = ("qkv", "attn_out", "mlp", "experts")
_GRID = np.unique(np.round(np.geomspace(1.0, 2.0**18, 72)))


_Where = tuple[np.ndarray, np.ndarray, np.ndarray]


def _where(n: np.ndarray) -> _Where:
    """Where n[k, ...] falls on _GRID: (configuration index, segment, weight), for _interp."""
    g = _GRID
    n = np.asarray(n, dtype=float)
    i = np.clip(np.searchsorted(g, n, side="right") - 1, 0, len(g) - 2)
    w = (n - g[i]) / (g[i + 1] - g[i])
    k = np.arange(n.shape[0]).reshape((-1,) + (1,) * (n.ndim - 1))
    return k, i, w


def _interp(table: np.ndarray, n: np.ndarray | _Where) -> np.ndarray:
    """Piecewise-linear interpolation of table[k, :] (over _GRID) at n[k, ...], extrapolating the end
    segments; exact for quantities affine in n. ``n`` may be a precomputed _where(n)."""
    k, i, w = n if isinstance(n, tuple) else _where(n)
    flat = table.ravel()
    j = k * table.shape[1] + i
    return flat[j] * (1.0 - w) + flat[j + 1] * w


@dataclass(frozen=True)
class StepTables:
    """Per-configuration tables (axis 0: configuration) the step time is built from."""

    configs: tuple[Config, ...]
    compute_flops_per_s: np.ndarray  # attainable
    bandwidth_bytes_per_s: np.ndarray  # attainable
    lin_flops: np.ndarray  # (K, ops, grid): linear operators of a step of n tokens
    lin_bytes: np.ndarray
    head_flops: np.ndarray  # (K, grid): LM head for n sequences
    head_bytes: np.ndarray
    comm_s: np.ndarray  # (K, grid): TP all-reduces and EP all-to-alls of a step of n tokens
    dec_attn_flops: np.ndarray  # (K, grid): decode attention of n sequences at the mean context
    dec_attn_bytes: np.ndarray
    pre_attn_flops_per_token: np.ndarray  # (K, 3): prefill attention per prefilled token (mean, p50, p99)
    pre_attn_bytes_per_token: np.ndarray
    kv_bytes_per_token_per_gpu: np.ndarray  # (K,)
    free_kv_bytes_per_gpu: np.ndarray  # (K,) usable HBM after weights and reserve
    weights_bytes_per_gpu: np.ndarray
    gpus_per_replica: np.ndarray
    tdp_w: np.ndarray
    idle_w: np.ndarray
    # Constant linear-attention state of one sequence on one GPU (0 without linear-attention layers).
    state_bytes_per_sequence_per_gpu: np.ndarray | float = 0.0


def _layouts(spec: ModelSpec, a: ServingAssumptions) -> list[tuple[int, int]]:
    tps = [t for t in mem.tp_candidates(spec, a.max_replica_gpus) if t in a.tp_sizes]
    out = []
    for t in tps:
        if spec.moe is None:
            out.append((t, 1))
            continue
        for e in a.ep_sizes:
            if (e == 1 or e >= t) and max(t, e) <= a.max_replica_gpus and e <= spec.moe.experts:
                out.append((t, e))
    return out


def build_tables(
    spec: ModelSpec,
    gpus: list[GpuSpec],
    tok: Tokens,
    a: ServingAssumptions = DEFAULT_ASSUMPTIONS,
    *,
    layouts: list[tuple[int, int]] | None = None,
) -> StepTables:
    """Roofline tables for every GPU x layout x weight x KV precision the GPU supports (a precision without
    a tensor-core peak, e.g. fp8 on A100, is skipped), and whose weights fit."""
    lay = layouts if layouts is not None else _layouts(spec, a)
    if not lay:
        raise InputError(f"no tensor-parallel size up to {a.max_replica_gpus} divides {spec.name}'s heads")
    tp = np.array([t for t, _ in lay], dtype=float)
    ep = np.array([e for _, e in lay], dtype=float)
    g = _GRID
    parts: dict[str, list[np.ndarray]] = {}
    configs: list[Config] = []
    prompts = np.array([tok.prompt, tok.prompt_p50, tok.prompt_p99])
    cached = np.array([tok.cached, tok.prompt_p50 - tok.uncached_p50, tok.prompt_p99 - tok.uncached_p99])
    uncached = np.array([tok.uncached, tok.uncached_p50, tok.uncached_p99])

    def add(name: str, v: np.ndarray) -> None:
        parts.setdefault(name, []).append(np.asarray(v, dtype=float))

    for gpu in gpus:
        for wdt in a.weight_dtypes:
            try:
                rf.compute_dtype(gpu, wdt)
            except InputError:
                continue
            for kdt in a.kv_dtypes:
                kw: dict[str, Any] = {
                    "weights": wdt,
                    "kv_dtype": kdt,
                    "assumptions": a.roofline,
                    "links": a.links,
                }
                # One roofline call: decode steps over the token grid at the mean context (the linear
                # operators, the LM head and the collectives depend on the tokens only, the attention on the
                # context as well), and, in six extra columns, one prefill each of the prompts and of their
                # cached prefixes (prefill attention: all prompt positions minus the cached ones; causal, so
                # the difference is exact).
                extra = np.concatenate([prompts, np.maximum(cached, 1.0)])
                r = rf.roofline(
                    spec,
                    gpu,
                    batch=np.concatenate([g, np.ones(len(extra))])[None, :],
                    prompt_tokens=np.concatenate([np.ones(len(g)), extra])[None, :],
                    context_tokens=tok.mean_context,
                    tp=tp[:, None],
                    ep=ep[:, None],
                    **kw,
                )
                ops = {
                    o: {"flops": v["flops"][:, : len(g)], "bytes": v["bytes"][:, : len(g)]}
                    for o, v in r["decode"]["operators"].items()
                }
                pa = r["prefill"]["operators"]["attention"]
                pf = pa["flops"][:, -6:-3] - np.where(cached >= 1.0, pa["flops"][:, -3:], 0.0)
                pb = pa["bytes"][:, -6:-3] - np.where(cached >= 1.0, pa["bytes"][:, -3:], 0.0)
                dpa = np.maximum(tp, ep) / tp  # attention groups (SGLang DP attention when ep > tp)
                memo = mem.serving_memory_per_gpu(
                    spec,
                    batch=1,
                    context_tokens=1,
                    tp=tp,
                    ep=ep,
                    weights=wdt,
                    kv_dtype=kdt,
                    assumptions=a.memory,
                )
                free = (
                    mem.usable_bytes(gpu.memory_capacity_bytes, a.memory) - memo["weights"] - memo["reserve"]
                )
                add("lin_flops", np.stack([ops[o]["flops"] for o in LINEAR_OPS], axis=1))
                add("lin_bytes", np.stack([ops[o]["bytes"] for o in LINEAR_OPS], axis=1))
                add("head_flops", ops["lm_head"]["flops"])
                add("head_bytes", ops["lm_head"]["bytes"])
                add("comm_s", (r["decode"]["tp_comm_time_s"] + r["decode"]["ep_comm_time_s"])[:, : len(g)])
                add("dec_attn_flops", ops["attention"]["flops"])
                add("dec_attn_bytes", ops["attention"]["bytes"])
                add("pre_attn_flops_per_token", pf / uncached / dpa[:, None])
                add("pre_attn_bytes_per_token", pb / uncached / dpa[:, None])
                add("kv_bytes_per_token_per_gpu", memo["kv_bytes_per_token"])
                add("free_kv_bytes_per_gpu", free)
                add("weights_bytes_per_gpu", memo["weights"])
                add("state_bytes_per_sequence_per_gpu", memo["linear_state"])
                add("gpus_per_replica", np.maximum(tp, ep))
                add("compute_flops_per_s", np.full(len(lay), float(r["attainable_peak_flops_per_s"])))
                add("bandwidth_bytes_per_s", np.full(len(lay), float(r["attainable_bandwidth_bytes_per_s"])))
                # No published TDP: power and energy are unknown (NaN), not guessed.
                tdp = math.nan if gpu.tdp_w is None else float(gpu.tdp_w)
                idle = gpu.idle_power_w if gpu.idle_power_w is not None else tdp * pw.DEFAULT.idle_fraction
                add("tdp_w", np.full(len(lay), tdp))
                add("idle_w", np.full(len(lay), idle))
                configs += [Config(gpu.name, t, e, wdt, kdt) for t, e in lay]
    if not configs:
        raise InputError("no GPU in the list supports any of the weight precisions searched")
    arrays = {k: np.concatenate(v, axis=0) for k, v in parts.items()}
    return StepTables(configs=tuple(configs), **arrays)


@dataclass(frozen=True)
class Step:
    """Time of one engine step and how it splits between the walls (arrays of the evaluated shape)."""

    time_s: np.ndarray
    compute_s: np.ndarray  # time in compute-bound operators
    memory_s: np.ndarray  # time in memory-bound operators
    comm_s: np.ndarray  # collectives and offload reads


def step_time(
    t: StepTables,
    decode_seqs: np.ndarray | float,
    prefill_tokens: np.ndarray | float,
    *,
    tokens_per_seq: float = 1.0,
    prefill_prefix_reread_tokens: np.ndarray | float = 0.0,
    offload_read_bytes: np.ndarray | float = 0.0,
    offload_link_bytes_per_s: float = math.inf,
) -> Step:
    """One step of ``decode_seqs`` decoding sequences (each verifying ``tokens_per_seq`` tokens: 1, or k+1
    with speculative decoding) and ``prefill_tokens`` prefill tokens, per configuration (axis 0 of the
    inputs). Per operator max(FLOPs/compute, bytes/bandwidth) (roofline's rule), summed, plus collectives.
    Chunked prefill re-reads the KV of the earlier chunks of its prompt (Sarathi-Serve sec 4.3):
    ``prefill_prefix_reread_tokens`` cached tokens read per prefill token."""
    B = np.asarray(decode_seqs, dtype=float)
    k = np.asarray(prefill_tokens, dtype=float)
    B, k = np.broadcast_arrays(B, k)
    shape = (-1,) + (1,) * (B.ndim - 1)
    C = t.compute_flops_per_s.reshape(shape)
    M = t.bandwidth_bytes_per_s.reshape(shape)
    n = np.maximum(B * tokens_per_seq + k, 1.0)
    comp = np.zeros_like(n)
    memt = np.zeros_like(n)

    def roof(f: np.ndarray, b: np.ndarray) -> None:
        nonlocal comp, memt
        tc, tm = f / C, b / M
        comp = comp + np.where(tc > tm, tc, 0.0)
        memt = memt + np.where(tc > tm, 0.0, tm)

    at_n = _where(n)
    for i in range(len(LINEAR_OPS)):
        roof(_interp(t.lin_flops[:, i, :], at_n), _interp(t.lin_bytes[:, i, :], at_n))
    seqs = _where(
        np.maximum(B * tokens_per_seq + (k > 0), 1.0)
    )  # logits: each verified position, each prompt
    roof(_interp(t.head_flops, seqs), _interp(t.head_bytes, seqs))
    bb = np.maximum(B, 1.0)
    at_b = _where(bb)
    dec_f = np.where(B > 0, _interp(t.dec_attn_flops, at_b) * B / bb, 0.0) * tokens_per_seq
    dec_b = np.where(B > 0, _interp(t.dec_attn_bytes, at_b) * B / bb, 0.0)
    reread = (
        k
        * np.asarray(prefill_prefix_reread_tokens, dtype=float)
        * t.kv_bytes_per_token_per_gpu.reshape(shape)
    )
    roof(
        dec_f + k * t.pre_attn_flops_per_token[:, 0].reshape(shape),
        dec_b + k * t.pre_attn_bytes_per_token[:, 0].reshape(shape) + reread,
    )
    comm = _interp(t.comm_s, at_n) + np.asarray(offload_read_bytes, dtype=float) / offload_link_bytes_per_s
    return Step(time_s=comp + memt + comm, compute_s=comp, memory_s=memt, comm_s=comm)


# ------------------------------------------------------------------------------ aggregated (one pool)


def aggregated_rate(
    decode_seqs: np.ndarray | float,
    decode_steps_per_request: np.ndarray | float,
    decode_step_s: np.ndarray | float,
    full_step_s: np.ndarray | float,
    prefill_service_s: np.ndarray | float,
) -> np.ndarray:
    """Requests/s one replica serves while B sequences decode (continuous batching, chunked prefill).

    Steps are either pure decode (time t_d) or carry a full prefill chunk (t_f); every step advances each
    decoding sequence by one step. The prefill queue is busy a fraction rho = lambda s of the time (s = a
    request's prefill work in full-chunk steps, in seconds), so the replica runs rho / t_f + (1 - rho) / t_d
    steps per second and a sequence's mean step lasts t = 1 / (rho / t_f + (1 - rho) / t_d)
    (``mean_step_s``). Little's law on the decoding sequences, B = lambda n t (n = D / tau steps per
    request), is then linear in lambda:
        lambda = B / (n t_d + B s (1 - t_d / t_f)):
    each request costs n t_d / B of pure decode time plus the prefill's full-step time, less the decode
    steps the full steps also made."""
    B = np.asarray(decode_seqs, dtype=float)
    n = np.asarray(decode_steps_per_request, dtype=float)
    td = np.asarray(decode_step_s, dtype=float)
    tf = np.asarray(full_step_s, dtype=float)
    s = np.asarray(prefill_service_s, dtype=float)
    return B / (n * td + B * s * (1.0 - td / tf))


def mean_step_s(rho: np.ndarray | float, decode_step_s: np.ndarray, full_step_s: np.ndarray) -> np.ndarray:
    """Mean duration of the steps a decoding sequence sees: a fraction rho of the time in full steps t_f,
    the rest in decode steps t_d: 1 / (rho / t_f + (1 - rho) / t_d) (steps per second, inverted)."""
    r = np.clip(np.asarray(rho, dtype=float), 0.0, 1.0)
    return 1.0 / (r / full_step_s + (1.0 - r) / decode_step_s)


# --------------------------------------------------------------------------------------------- results


@dataclass(frozen=True)
class Pool:
    """One pool of a deployment at its operating point."""

    role: str  # "aggregated", "prefill" or "decode"
    config: Config
    replicas: int
    gpus: int
    chunk_tokens: int | None  # aggregated: tokens per step (vLLM max_num_batched_tokens)
    max_batch: int  # concurrent sequences the scheduler must admit (p99 concurrency, rounded up)
    concurrency: float  # mean sequences in service per replica (Little's law)
    kv_capacity_sequences: float  # sequences whose KV fits one replica (HBM, plus host with offload)
    requests_per_s_per_replica: float
    capacity_requests_per_s_per_replica: float  # the most that still meets the SLO
    step_time_s: float
    utilization: float  # prefill server load rho (prefill, aggregated) or concurrency / KV capacity
    wall: str  # which wall binds: one of WALLS
    limit: str  # what stops more load per replica
    power_w_per_gpu: float | None  # None: the accelerator has no published TDP


@dataclass(frozen=True)
class Deployment:
    mode: str  # "aggregated" or "disaggregated"
    pools: tuple[Pool, ...]
    gpus: int
    ttft_p50_s: float
    ttft_p99_s: float
    tpot_p50_s: float
    tpot_p99_s: float
    output_tokens_per_s_per_gpu: float
    input_tokens_per_s_per_gpu: float
    usd_per_hour: float
    usd_per_million_input_tokens: float
    usd_per_million_output_tokens: float
    usd_per_request: float
    power_w: float | None  # None when an accelerator has no published TDP
    joules_per_output_token: float | None
    joules_per_token: float | None


@dataclass(frozen=True)
class ParetoPoint:
    mode: str
    config: Config
    chunk_tokens: int | None
    tokens_per_s_per_user: float
    output_tokens_per_s_per_gpu: float
    concurrency: float


@dataclass(frozen=True)
class SearchResult:
    tokens: Tokens
    aggregated: Deployment | None
    disaggregated: Deployment | None
    best: Deployment | None
    reason: str  # why the best is the best (or why nothing meets the SLO)
    pareto: tuple[ParetoPoint, ...]
    configurations: int  # replica configurations evaluated
    points: int  # operating points evaluated
    tokens_per_step: float


# ---------------------------------------------------------------------------------------------- search


def _limit_names() -> tuple[str, ...]:
    return ("KV capacity", "max batch", "prefill saturation", "TTFT SLO", "TPOT SLO")


def _wall(step: Step, kv_bound: bool) -> str:
    if kv_bound:
        return WALLS[0]
    parts = {WALLS[1]: step.memory_s, WALLS[2]: step.compute_s, WALLS[3]: step.comm_s}
    return max(parts, key=lambda k: float(parts[k]))


def _slo_ok(v: np.ndarray, limit: float | None) -> np.ndarray:
    return np.ones(v.shape, dtype=bool) if limit is None else v <= limit


def search(
    spec: ModelSpec,
    gpus: list[GpuSpec],
    workload: Workload,
    slo: Slo,
    *,
    usd_per_gpu_hour: dict[str, float],
    speculative: Speculative | None = None,
    offload: Offload | None = None,
    assumptions: ServingAssumptions = DEFAULT_ASSUMPTIONS,
    modes: tuple[str, ...] = ("aggregated", "disaggregated"),
    layouts: list[tuple[int, int]] | None = None,
) -> SearchResult:
    """The cheapest deployment of ``spec`` on any of ``gpus`` that serves ``workload`` within ``slo``:
    aggregated (one pool, chunked prefill) and disaggregated (prefill + decode pools), with the Pareto front
    of output tokens/s per GPU against tokens/s per user. ``usd_per_gpu_hour`` maps GPU name -> $/GPU-hour."""
    if not gpus:
        raise InputError("give at least one GPU to search")
    for g in gpus:
        if g.name not in usd_per_gpu_hour or not usd_per_gpu_hour[g.name] > 0:
            raise InputError(f"no positive $/GPU-hour for {g.name}")
    tok = token_accounting(workload)
    t = build_tables(spec, gpus, tok, assumptions, layouts=layouts)
    return search_tables(
        t,
        tok,
        workload,
        slo,
        usd_per_gpu_hour=usd_per_gpu_hour,
        kv_context_tokens=float(mdl.cached_tokens(spec, tok.mean_context)),
        speculative=speculative,
        offload=offload,
        assumptions=assumptions,
        modes=modes,
    )


def search_tables(
    t: StepTables,
    tok: Tokens,
    workload: Workload,
    slo: Slo,
    *,
    usd_per_gpu_hour: dict[str, float],
    kv_context_tokens: float,
    speculative: Speculative | None = None,
    offload: Offload | None = None,
    assumptions: ServingAssumptions = DEFAULT_ASSUMPTIONS,
    modes: tuple[str, ...] = ("aggregated", "disaggregated"),
) -> SearchResult:
    """``search`` on step tables already built (``build_tables``, or any StepTables: the tests use a
    hand-made one). ``kv_context_tokens``: tokens a decoding sequence holds in its KV cache on average (its
    mean context, capped by a sliding window)."""
    a = assumptions
    K = len(t.configs)
    price = np.array([usd_per_gpu_hour[c.gpu] for c in t.configs])
    g_rep = t.gpus_per_replica
    tau = speculative.tokens_per_step if speculative is not None else 1.0
    q_tok = float(speculative.draft_tokens + 1) if speculative is not None else 1.0
    draft = speculative.draft_tokens * speculative.draft_cost if speculative is not None else 0.0
    steps_per_req = tok.decoded / tau
    lam_target = workload.requests_per_s
    cv2 = tok.uncached_cv2

    # Decode-batch grid, KV capacity (HBM and offloaded host memory).
    Bg = np.unique(np.round(np.geomspace(1.0, a.max_batch, a.batch_points)))
    private = max(kv_context_tokens - tok.shared, 1.0)
    kvpt = t.kv_bytes_per_token_per_gpu
    state = t.state_bytes_per_sequence_per_gpu
    cap_hbm = kv_capacity_sequences(t.free_kv_bytes_per_gpu, kvpt, private, tok.shared, a.block_tokens, state)
    cap = cap_hbm
    if offload is not None:
        cap = kv_capacity_sequences(
            t.free_kv_bytes_per_gpu + offload.host_bytes_per_gpu,
            kvpt,
            private,
            tok.shared,
            a.block_tokens,
            state,
        )
    seq_kv_bytes = kv_blocks_per_sequence(private, a.block_tokens) * a.block_tokens * kvpt + state  # per GPU
    weights_fit = t.free_kv_bytes_per_gpu > 0

    def dec_step(B: np.ndarray, k: np.ndarray | float, reread: np.ndarray | float = 0.0) -> Step:
        """A decode (+ prefill chunk) step with speculative verification and draft cost; offloaded KV
        read over the host link."""
        shape = (-1,) + (1,) * (np.ndim(B) - 1)
        off = 0.0
        link = math.inf
        if offload is not None:
            hbm_seq = cap_hbm.reshape(shape)
            off = np.maximum(B - hbm_seq, 0.0) * seq_kv_bytes.reshape(shape)
            link = offload.link_bytes_per_s
        s = step_time(
            t,
            B,
            k,
            tokens_per_seq=q_tok,
            prefill_prefix_reread_tokens=reread,
            offload_read_bytes=off,
            offload_link_bytes_per_s=link,
        )
        if draft > 0:
            d = step_time(t, B, 0.0)
            extra = draft * d.time_s
            return Step(s.time_s + extra, s.compute_s, s.memory_s + extra, s.comm_s)
        return s

    pareto: list[ParetoPoint] = []
    deployments: dict[str, Deployment | None] = {"aggregated": None, "disaggregated": None}
    points = 0

    # ------------------------------------------------------------------ aggregated
    if "aggregated" in modes:
        S = np.array(a.chunk_tokens, dtype=float)
        B = np.broadcast_to(Bg[None, None, :], (K, len(S), len(Bg))).copy()
        Sx = np.broadcast_to(S[None, :, None], B.shape)
        room = Sx - B * q_tok  # prefill tokens per full step
        ok_room = room >= a.block_tokens
        room_c = np.maximum(room, 1.0)
        # Each chunk re-reads the KV of the prompt before it: the cached prefix and the earlier chunks.
        reread = np.where(
            tok.uncached > room_c, (tok.cached + tok.uncached / 2.0) / room_c, tok.cached / tok.uncached
        )

        def at(Bx: np.ndarray) -> tuple[Step, Step, np.ndarray, np.ndarray]:
            rm = np.maximum(Sx - Bx * q_tok, 1.0)
            full = dec_step(Bx, rm, reread)
            dec = dec_step(Bx, 0.0)
            s = tok.uncached * full.time_s / rm
            lam = aggregated_rate(Bx, steps_per_req, dec.time_s, full.time_s, s)
            return full, dec, s, lam

        full, dec, s_pre, lam = at(B)
        rho = lam * s_pre
        mean_step = mean_step_s(rho, dec.time_s, full.time_s)
        tpot50 = mean_step / tau
        B99 = concurrency_quantile(B, a.concurrency_z)
        # Step times at the p99 concurrency: interpolated along the batch grid (the steps are piecewise
        # affine in B between grid points).
        tpot99 = mean_step_s(rho, _along_batch(dec.time_s, Bg, B99), _along_batch(full.time_s, Bg, B99)) / tau
        wq = mg1_mean_wait_s(lam, s_pre, cv2, workload.arrival_cv2)
        own = full.time_s * np.ceil(
            np.array([tok.uncached_p50, tok.uncached_p99])[:, None, None, None] / room_c
        )
        ttft50 = wait_quantile_s(wq, rho, 0.5) + own[0]
        ttft99 = wait_quantile_s(wq, rho, 0.99) + own[1]
        capx = cap.reshape(-1, 1, 1)
        fails = np.stack(
            [
                (capx < B99) | ~weights_fit.reshape(-1, 1, 1),
                a.max_batch < B99,
                (rho >= 1.0) | ~ok_room,
                ~(_slo_ok(ttft50, slo.ttft_p50_s) & _slo_ok(ttft99, slo.ttft_p99_s)),
                ~(_slo_ok(tpot50, slo.tpot_p50_s) & _slo_ok(tpot99, slo.tpot_p99_s)),
            ]
        )
        feasible = np.asarray(~fails.any(axis=0))
        points += B.size
        # Pareto (all constraints but TPOT: TPOT is the axis).
        near = np.asarray(~fails[:4].any(axis=0))
        out_per_gpu = lam * tok.decoded / g_rep.reshape(-1, 1, 1)
        pareto += _front(near, 1.0 / tpot50, out_per_gpu, B, "aggregated", t.configs, S)
        lam_cap = np.where(feasible, lam, 0.0).max(axis=2)  # (K, S)
        with np.errstate(divide="ignore"):
            reps = np.where(lam_cap > 0, np.ceil(lam_target / np.where(lam_cap > 0, lam_cap, 1.0)), np.inf)
        cost = reps * g_rep[:, None] * price[:, None]
        if np.isfinite(cost).any():
            # Cheapest; among equals the lowest p99 TPOT at capacity.
            tp99_cap = np.where(feasible, tpot99, np.inf).min(axis=2)
            order = np.lexsort((tp99_cap.ravel(), cost.ravel()))
            kk, ss = np.unravel_index(order[0], cost.shape)
            r = int(reps[kk, ss])
            lam_op = lam_target / r
            j0, j1, wt, last = _operating_point(lam[kk, ss], feasible[kk, ss], lam_op)

            def op(v: np.ndarray) -> float:
                return float(v[kk, ss, j0] * (1.0 - wt) + v[kk, ss, j1] * wt)

            nxt = min(last + 1, len(Bg) - 1)
            lim = [n for n, f in zip(_limit_names(), fails[:, kk, ss, nxt], strict=True) if f]
            limit = lim[0] if lim and last + 1 < len(Bg) else "max batch searched"
            cfg = t.configs[kk]
            # Share of the time prefill takes: the full steps' excess over a decode step.
            pre_share = op(np.clip(rho, 0.0, 1.0) * (1.0 - dec.time_s / full.time_s))
            u = pre_share * a.prefill_power_utilization + (1 - pre_share) * a.decode_power_utilization
            w_gpu = float(pw.gpu_power_w(t.tdp_w[kk], t.idle_w[kk], u))
            b_op = op(B)
            rc = np.clip(rho, 0.0, 1.0)

            def share(f: np.ndarray, d: np.ndarray) -> float:
                """Time-weighted share of a wall over full (rho) and decode (1 - rho) steps."""
                return op(rc * f / full.time_s + (1.0 - rc) * d / dec.time_s)

            st = Step(
                np.array(1.0),
                np.array(share(full.compute_s, dec.compute_s)),
                np.array(share(full.memory_s, dec.memory_s)),
                np.array(share(full.comm_s, dec.comm_s)),
            )
            pool = Pool(
                role="aggregated",
                config=cfg,
                replicas=r,
                gpus=r * cfg.gpus_per_replica,
                chunk_tokens=int(S[ss]),
                max_batch=int(math.ceil(op(B99))),
                concurrency=b_op,
                kv_capacity_sequences=float(cap[kk]),
                requests_per_s_per_replica=lam_op,
                capacity_requests_per_s_per_replica=float(lam_cap[kk, ss]),
                step_time_s=op(mean_step),
                utilization=op(rho),
                wall=_wall(st, limit == "KV capacity"),
                limit=limit,
                power_w_per_gpu=_known(w_gpu),
            )
            deployments["aggregated"] = _deployment(
                "aggregated",
                (pool,),
                tok,
                lam_target,
                price_per_gpu={cfg.gpu: usd_per_gpu_hour[cfg.gpu]},
                input_share=pre_share,
                ttft=(op(ttft50), op(ttft99)),
                tpot=(op(tpot50), op(tpot99)),
            )

    # --------------------------------------------------------------- disaggregated
    if "disaggregated" in modes:
        dep = _disaggregated(
            t,
            tok,
            workload,
            slo,
            a,
            price,
            usd_per_gpu_hour,
            Bg,
            cap,
            weights_fit,
            dec_step,
            tau,
            steps_per_req,
        )
        if dep is not None:
            deployments["disaggregated"], pts, n = dep
            pareto += pts
            points += n

    agg, dis = deployments["aggregated"], deployments["disaggregated"]
    best, reason = _choose(agg, dis)
    return SearchResult(
        tokens=tok,
        aggregated=agg,
        disaggregated=dis,
        best=best,
        reason=reason,
        pareto=tuple(_pareto_filter(pareto)),
        configurations=K,
        points=points,
        tokens_per_step=tau,
    )


def _along_batch(v: np.ndarray, grid: np.ndarray, b: np.ndarray) -> np.ndarray:
    """v[..., j] (sampled at the batches grid[j]) at batches b[...] (b's shape = v's), linearly between grid
    points and extrapolated from the last segment beyond them."""
    i = np.clip(np.searchsorted(grid, b, side="right") - 1, 0, len(grid) - 2)
    w = (b - grid[i]) / (grid[i + 1] - grid[i])
    lo = np.take_along_axis(v, i, axis=-1)
    hi = np.take_along_axis(v, i + 1, axis=-1)
    return np.asarray(lo * (1.0 - w) + hi * w)


def _operating_point(lam: np.ndarray, ok: np.ndarray, target: float) -> tuple[int, int, float, int]:
    """Where a replica runs at ``target`` requests/s along its batch grid: the first feasible batch whose rate
    reaches the target (j1), interpolated linearly on the rate from the batch before it (j0) when that one is
    feasible and below; and the batch of the replica's capacity (the most requests/s among feasible
    batches). The rate need not rise with the batch everywhere (a shrinking chunk budget, offloaded KV), so
    no monotone interpolation is assumed."""
    idx = np.flatnonzero(ok & (lam >= target * (1.0 - 1e-12)))
    j1 = int(idx[0])
    j0, wt = j1, 0.0
    if j1 > 0 and ok[j1 - 1] and lam[j1 - 1] < target:
        j0 = j1 - 1
        wt = float((target - lam[j0]) / (lam[j1] - lam[j0]))
    cap = int(np.flatnonzero(ok)[np.argmax(lam[ok])])
    return j0, j1, wt, cap


def _front(
    ok: np.ndarray,
    per_user: np.ndarray,
    per_gpu: np.ndarray,
    conc: np.ndarray,
    mode: str,
    configs: tuple[Config, ...],
    chunks: np.ndarray | None,
) -> list[ParetoPoint]:
    """Non-dominated points among ``ok`` (axis 0 configuration, axis 1 chunk when ``chunks``)."""
    x = np.where(ok, per_user, -np.inf).ravel()
    y = np.where(ok, per_gpu, -np.inf).ravel()
    idx = np.flatnonzero(np.isfinite(x) & np.isfinite(y) & (y > 0))
    if idx.size == 0:
        return []
    keep = _nondominated(x[idx], y[idx])
    out = []
    for i in idx[keep]:
        pos = np.unravel_index(i, per_user.shape)
        out.append(
            ParetoPoint(
                mode=mode,
                config=configs[int(pos[0])],
                chunk_tokens=int(chunks[pos[1]]) if chunks is not None else None,
                tokens_per_s_per_user=float(x[i]),
                output_tokens_per_s_per_gpu=float(y[i]),
                concurrency=float(conc[pos]),
            )
        )
    return out


def _nondominated(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Indices of points no other point beats on both x and y (larger is better on both)."""
    order = np.lexsort((-y, -x))
    ys = y[order]
    before = np.concatenate([[-np.inf], np.maximum.accumulate(ys)[:-1]])
    return order[ys > before]


def _pareto_filter(points: list[ParetoPoint]) -> list[ParetoPoint]:
    if not points:
        return []
    x = np.array([p.tokens_per_s_per_user for p in points])
    y = np.array([p.output_tokens_per_s_per_gpu for p in points])
    keep = _nondominated(x, y)
    return sorted((points[i] for i in keep), key=lambda p: p.tokens_per_s_per_user)


def _disaggregated(
    t: StepTables,
    tok: Tokens,
    workload: Workload,
    slo: Slo,
    a: ServingAssumptions,
    price: np.ndarray,
    usd_per_gpu_hour: dict[str, float],
    Bg: np.ndarray,
    cap: np.ndarray,
    weights_fit: np.ndarray,
    dec_step: Callable[..., Step],
    tau: float,
    steps_per_req: float,
) -> tuple[Deployment, list[ParetoPoint], int] | None:
    """Prefill pool (M/G/1 per replica, one prompt per step, no chunking) and decode pool (decode-only
    steps), each sized for the rate; paired by weight and KV precision (the KV must be handed over as is)."""
    K = len(t.configs)
    g_rep = t.gpus_per_replica
    lam_target = workload.requests_per_s
    # Prefill pool: service = one unchunked prefill of the request's uncached tokens.
    u3 = np.array([tok.uncached, tok.uncached_p50, tok.uncached_p99])
    zero = np.zeros((K, 3))
    pre = step_time(
        t, zero, np.broadcast_to(u3, (K, 3)), prefill_prefix_reread_tokens=tok.cached / tok.uncached
    )
    s_mean, s50, s99 = pre.time_s[:, 0], pre.time_s[:, 1], pre.time_s[:, 2]
    # The prompt's KV crosses to the decode pool: bytes per GPU of the replica over its own link.
    p_kv = np.array([tok.prompt_p50, tok.prompt_p99])[None, :] * t.kv_bytes_per_token_per_gpu[:, None]
    xfer = a.kv_transfer_latency_s + p_kv / a.kv_transfer_bytes_per_s
    one_prompt_fits = t.free_kv_bytes_per_gpu >= tok.prompt_p99 * t.kv_bytes_per_token_per_gpu
    rho = np.linspace(0.0, 0.995, a.prefill_load_points)[None, :]
    lam_p = rho / s_mean[:, None]
    wq = mg1_mean_wait_s(lam_p, s_mean[:, None], tok.uncached_cv2, workload.arrival_cv2)
    ttft50 = wait_quantile_s(wq, rho, 0.5) + s50[:, None] + xfer[:, :1]
    ttft99 = wait_quantile_s(wq, rho, 0.99) + s99[:, None] + xfer[:, 1:]
    ok_p = (
        _slo_ok(ttft50, slo.ttft_p50_s)
        & _slo_ok(ttft99, slo.ttft_p99_s)
        & (weights_fit & one_prompt_fits)[:, None]
    )
    lam_p_cap = np.where(ok_p, lam_p, 0.0).max(axis=1)
    # Decode pool.
    B = np.broadcast_to(Bg[None, :], (K, len(Bg))).copy()
    dec = dec_step(B, 0.0)
    lam_d = B * tau / (tok.decoded * dec.time_s)
    tpot50 = dec.time_s / tau
    B99 = concurrency_quantile(B, a.concurrency_z)
    tpot99 = _along_batch(dec.time_s, Bg, B99) / tau
    fails = np.stack(
        [
            (cap[:, None] < B99) | ~weights_fit[:, None],
            a.max_batch < B99,
            np.zeros(B.shape, dtype=bool),
            np.zeros(B.shape, dtype=bool),
            ~(_slo_ok(tpot50, slo.tpot_p50_s) & _slo_ok(tpot99, slo.tpot_p99_s)),
        ]
    )
    feas_d = np.asarray(~fails.any(axis=0))
    lam_d_cap = np.where(feas_d, lam_d, 0.0).max(axis=1)
    with np.errstate(divide="ignore"):
        reps_p = np.where(
            lam_p_cap > 0, np.ceil(lam_target / np.where(lam_p_cap > 0, lam_p_cap, 1.0)), np.inf
        )
        reps_d = np.where(
            lam_d_cap > 0, np.ceil(lam_target / np.where(lam_d_cap > 0, lam_d_cap, 1.0)), np.inf
        )
    cost_p = reps_p * g_rep * price
    cost_d = reps_d * g_rep * price
    groups = sorted({(c.weights, c.kv_dtype) for c in t.configs})
    best: tuple[float, int, int] | None = None
    pts: list[ParetoPoint] = []
    for wdt, kdt in groups:
        m = np.array([c.weights == wdt and c.kv_dtype == kdt for c in t.configs])
        cp = np.where(m, cost_p, np.inf)
        cd = np.where(m, cost_d, np.inf)
        if np.isfinite(cp).any() and np.isfinite(cd).any():
            i_p = int(np.lexsort((s99, cp))[0])
            i_d = int(np.lexsort((np.where(feas_d, tpot99, np.inf).min(axis=1), cd))[0])
            c = float(cp[i_p] + cd[i_d])
            if best is None or c < best[0]:
                best = (c, i_p, i_d)
        # Front: each decode point with the prefill pool's GPUs per request/s at its most efficient.
        gp = np.where(m & (lam_p_cap > 0), g_rep / np.where(lam_p_cap > 0, lam_p_cap, 1.0), np.inf)
        if np.isfinite(gp).any():
            gp_min = float(gp.min())
            near = ~fails[:4].any(axis=0) & m[:, None]
            with np.errstate(divide="ignore"):
                per_gpu = tok.decoded / (gp_min + g_rep[:, None] / lam_d)
            pts += _front(near, 1.0 / tpot50, per_gpu, B, "disaggregated", t.configs, None)
    if best is None:
        return None
    _, i_p, i_d = best
    cfg_p, cfg_d = t.configs[i_p], t.configs[i_d]
    rp, rd = int(reps_p[i_p]), int(reps_d[i_d])
    # Prefill operating point.
    lam_op_p = lam_target / rp
    rho_p = lam_op_p * s_mean[i_p]
    wq_p = float(mg1_mean_wait_s(lam_op_p, s_mean[i_p], tok.uncached_cv2, workload.arrival_cv2))
    t50 = float(wait_quantile_s(wq_p, rho_p, 0.5)) + float(s50[i_p]) + float(xfer[i_p, 0])
    t99 = float(wait_quantile_s(wq_p, rho_p, 0.99)) + float(s99[i_p]) + float(xfer[i_p, 1])
    pre_step = Step(pre.time_s[i_p, 0], pre.compute_s[i_p, 0], pre.memory_s[i_p, 0], pre.comm_s[i_p, 0])
    w_p = float(pw.gpu_power_w(t.tdp_w[i_p], t.idle_w[i_p], a.prefill_power_utilization))
    pool_p = Pool(
        role="prefill",
        config=cfg_p,
        replicas=rp,
        gpus=rp * cfg_p.gpus_per_replica,
        chunk_tokens=None,
        max_batch=1,
        concurrency=float(rho_p),
        kv_capacity_sequences=float(cap[i_p]),
        requests_per_s_per_replica=lam_op_p,
        capacity_requests_per_s_per_replica=float(lam_p_cap[i_p]),
        step_time_s=float(s_mean[i_p]),
        utilization=float(rho_p),
        wall=_wall(pre_step, False),
        limit="TTFT SLO" if (slo.ttft_p50_s or slo.ttft_p99_s) else "prefill saturation",
        power_w_per_gpu=_known(w_p),
    )
    # Decode operating point.
    lam_op_d = lam_target / rd
    j0, j1, wt, last = _operating_point(lam_d[i_d], feas_d[i_d], lam_op_d)

    def op(v: np.ndarray) -> float:
        return float(v[i_d, j0] * (1.0 - wt) + v[i_d, j1] * wt)

    nxt = min(last + 1, len(Bg) - 1)
    lim = [n for n, f in zip(_limit_names(), fails[:, i_d, nxt], strict=True) if f]
    limit = lim[0] if lim and last + 1 < len(Bg) else "max batch searched"
    st = Step(
        np.array(op(dec.time_s)),
        np.array(op(dec.compute_s)),
        np.array(op(dec.memory_s)),
        np.array(op(dec.comm_s)),
    )
    pool_d = Pool(
        role="decode",
        config=cfg_d,
        replicas=rd,
        gpus=rd * cfg_d.gpus_per_replica,
        chunk_tokens=None,
        max_batch=int(math.ceil(op(B99))),
        concurrency=op(B),
        kv_capacity_sequences=float(cap[i_d]),
        requests_per_s_per_replica=lam_op_d,
        capacity_requests_per_s_per_replica=float(lam_d_cap[i_d]),
        step_time_s=float(st.time_s),
        utilization=op(B) / float(cap[i_d]) if cap[i_d] > 0 else math.inf,
        wall=_wall(st, limit == "KV capacity"),
        limit=limit,
        power_w_per_gpu=_known(
            float(pw.gpu_power_w(t.tdp_w[i_d], t.idle_w[i_d], a.decode_power_utilization))
        ),
    )
    dep = _deployment(
        "disaggregated",
        (pool_p, pool_d),
        tok,
        lam_target,
        price_per_gpu={cfg_p.gpu: usd_per_gpu_hour[cfg_p.gpu], cfg_d.gpu: usd_per_gpu_hour[cfg_d.gpu]},
        input_share=None,
        ttft=(t50, t99),
        tpot=(op(tpot50), op(tpot99)),
    )
    return dep, pts, 2 * B.size + int(ok_p.size)


def _known(value: float) -> float | None:
    """A figure, or None where it is unknown (NaN: no published TDP)."""
    return value if math.isfinite(value) else None


def _deployment(
    mode: str,
    pools: tuple[Pool, ...],
    tok: Tokens,
    lam: float,
    *,
    price_per_gpu: dict[str, float],
    input_share: float | None,
    ttft: tuple[float, float],
    tpot: tuple[float, float],
) -> Deployment:
    """Fleet totals. $/h = sum of GPUs x $/GPU-hour; $/request = ($/h / 3,600) / requests/s. Input tokens
    pay for the prefill pool (disaggregated) or the prefill share of step time (aggregated), output tokens
    (visible + reasoning) for the rest."""
    usd_h = sum(p.gpus * price_per_gpu[p.config.gpu] for p in pools)
    gpus = sum(p.gpus for p in pools)
    if input_share is None:
        usd_in = sum(p.gpus * price_per_gpu[p.config.gpu] for p in pools if p.role == "prefill")
    else:
        usd_in = usd_h * input_share
    usd_out = usd_h - usd_in
    in_tps = lam * tok.prompt
    out_tps = lam * tok.decoded
    per_gpu = [p.power_w_per_gpu for p in pools]
    watts = None if None in per_gpu else sum(p.gpus * (p.power_w_per_gpu or 0.0) for p in pools)
    return Deployment(
        mode=mode,
        pools=pools,
        gpus=gpus,
        ttft_p50_s=ttft[0],
        ttft_p99_s=ttft[1],
        tpot_p50_s=tpot[0],
        tpot_p99_s=tpot[1],
        output_tokens_per_s_per_gpu=out_tps / gpus,
        input_tokens_per_s_per_gpu=in_tps / gpus,
        usd_per_hour=usd_h,
        usd_per_million_input_tokens=usd_in / SECONDS_PER_HOUR / in_tps * 1e6,
        usd_per_million_output_tokens=usd_out / SECONDS_PER_HOUR / out_tps * 1e6,
        usd_per_request=usd_h / SECONDS_PER_HOUR / lam,
        power_w=watts,
        joules_per_output_token=None if watts is None else watts / out_tps,
        joules_per_token=None if watts is None else watts / (out_tps + in_tps),
    )


def _choose(agg: Deployment | None, dis: Deployment | None) -> tuple[Deployment | None, str]:
    def walls(d: Deployment) -> str:
        return "; ".join(f"{p.role} pool: {p.wall} (limited by {p.limit})" for p in d.pools)

    if agg is None and dis is None:
        return None, "no deployment searched meets the SLO"
    if dis is None:
        assert agg is not None
        return agg, f"aggregated only (no disaggregated pair meets the SLO); {walls(agg)}"
    if agg is None:
        return dis, f"disaggregated only (no aggregated replica meets the SLO); {walls(dis)}"
    if dis.usd_per_hour < agg.usd_per_hour:
        return dis, (
            f"disaggregated costs ${dis.usd_per_hour:,.0f}/h against ${agg.usd_per_hour:,.0f}/h aggregated: "
            f"{walls(dis)}; aggregated: {walls(agg)}"
        )
    return agg, (
        f"aggregated costs ${agg.usd_per_hour:,.0f}/h against ${dis.usd_per_hour:,.0f}/h disaggregated: "
        f"{walls(agg)}; disaggregated: {walls(dis)}"
    )


def concurrent_users_per_gpu(
    spec: ModelSpec,
    gpu: GpuSpec,
    *,
    context_tokens: float,
    tokens_per_s_per_user: float,
    tp: int,
    weights: str = "bf16",
    kv_dtype: str = "bf16",
    assumptions: ServingAssumptions = DEFAULT_ASSUMPTIONS,
) -> dict[str, float | str]:
    """Users streaming at once per GPU: the largest decode batch B of one TP replica whose paged KV cache
    at ``context_tokens`` fits and whose step still gives every user ``tokens_per_s_per_user``
    (1 / step time >= target), divided by the replica's GPUs. ``bound``: "KV capacity" or "speed". Every
    user is decoding all the time (no think time, no prefill): an upper bound on users per GPU."""
    if not (context_tokens >= 1 and tokens_per_s_per_user > 0):
        raise InputError("context must be >= 1 token and the per-user speed > 0 tokens/s")
    a = replace(assumptions, weight_dtypes=(weights,), kv_dtypes=(kv_dtype,))
    tok = Tokens.fixed(context_tokens, context_tokens)
    t = build_tables(spec, [gpu], tok, a, layouts=[(tp, 1)])
    B = np.arange(1.0, 2.0**15 + 1)[None, :]
    speed = 1.0 / step_time(t, B, 0.0).time_s[0]
    kv_tokens = float(mdl.cached_tokens(spec, context_tokens))
    cap = float(
        kv_capacity_sequences(
            t.free_kv_bytes_per_gpu,
            t.kv_bytes_per_token_per_gpu,
            kv_tokens,
            0.0,
            a.block_tokens,
            t.state_bytes_per_sequence_per_gpu,
        )[0]
    )
    fast = B[0][speed >= tokens_per_s_per_user]
    by_speed = float(fast.max()) if fast.size else 0.0
    users = min(by_speed, cap)
    return {
        "users_per_replica": users,
        "users_per_gpu": users / tp,
        "users_per_gpu_by_speed": by_speed / tp,
        "users_per_gpu_by_kv": cap / tp,
        "bound": "KV capacity" if cap < by_speed else "speed",
    }


# ------------------------------------------------------------------------- fixed-deployment measurements


def _fixed_tables(
    spec: ModelSpec,
    gpu: GpuSpec,
    *,
    tp: int,
    ep: int,
    weights: str,
    kv_dtype: str,
    context_tokens: float,
    prompt_tokens: float,
    assumptions: ServingAssumptions,
) -> StepTables:
    a = replace(assumptions, weight_dtypes=(weights,), kv_dtypes=(kv_dtype,))
    tok = Tokens.fixed(prompt_tokens, context_tokens)
    t = build_tables(spec, [gpu], tok, a, layouts=[(tp, ep)])
    if not t.configs:
        raise InputError(f"{gpu.name} cannot run {weights} weights")
    return t


def decode_pool_throughput(
    spec: ModelSpec,
    gpu: GpuSpec,
    *,
    batch_per_gpu: float,
    context_tokens: float,
    tp: int = 1,
    ep: int = 1,
    weights: str = "bf16",
    kv_dtype: str = "bf16",
    speculative: Speculative | None = None,
    assumptions: ServingAssumptions = DEFAULT_ASSUMPTIONS,
) -> dict[str, float | str]:
    """A decode pool held at ``batch_per_gpu`` sequences per GPU at ``context_tokens`` (the benchmark
    setting of a disaggregated decode instance): step time, output tokens/s per GPU and per user, the
    wall of the step and whether the KV fits. With ``speculative``: each step verifies k+1 tokens per
    sequence, adds k draft steps of c target steps, and emits (1 - a^(k+1)) / (1 - a) tokens."""
    t = _fixed_tables(
        spec,
        gpu,
        tp=tp,
        ep=ep,
        weights=weights,
        kv_dtype=kv_dtype,
        context_tokens=context_tokens,
        prompt_tokens=1.0,
        assumptions=assumptions,
    )
    g = float(t.gpus_per_replica[0])
    B = np.array([batch_per_gpu * g])
    plain = step_time(t, B, 0.0)
    tau, step = 1.0, plain
    if speculative is not None:
        k = speculative.draft_tokens
        v = step_time(t, B, 0.0, tokens_per_seq=k + 1.0)
        extra = k * speculative.draft_cost * plain.time_s
        step = Step(v.time_s + extra, v.compute_s, v.memory_s + extra, v.comm_s)
        tau = speculative.tokens_per_step
    time_s = float(step.time_s[0])
    kv_tokens = float(mdl.cached_tokens(spec, context_tokens))
    cap = float(
        kv_capacity_sequences(
            t.free_kv_bytes_per_gpu,
            t.kv_bytes_per_token_per_gpu,
            kv_tokens,
            0.0,
            assumptions.block_tokens,
            t.state_bytes_per_sequence_per_gpu,
        )[0]
    )
    dpa = max(tp, ep) / tp
    return {
        "step_time_s": time_s,
        "output_tokens_per_s_per_gpu": float(B[0]) * tau / time_s / g,
        "tokens_per_s_per_user": tau / time_s,
        "tokens_per_step": tau,
        "wall": _wall(Step(step.time_s[0], step.compute_s[0], step.memory_s[0], step.comm_s[0]), False),
        "kv_fits": float(B[0]) / dpa <= cap,
    }


def prefill_pool_throughput(
    spec: ModelSpec,
    gpu: GpuSpec,
    *,
    tokens_per_gpu: float,
    prompt_tokens: float,
    tp: int = 1,
    ep: int = 1,
    weights: str = "bf16",
    kv_dtype: str = "bf16",
    assumptions: ServingAssumptions = DEFAULT_ASSUMPTIONS,
) -> dict[str, float | str]:
    """A prefill pool running steps of ``tokens_per_gpu`` prompt tokens per GPU (whole prompts of
    ``prompt_tokens``): input tokens/s per GPU and the wall of the step. The step's logits are counted for
    one prompt (the LM head is a few percent of a long prompt's FLOPs)."""
    t = _fixed_tables(
        spec,
        gpu,
        tp=tp,
        ep=ep,
        weights=weights,
        kv_dtype=kv_dtype,
        context_tokens=1.0,
        prompt_tokens=prompt_tokens,
        assumptions=assumptions,
    )
    g = float(t.gpus_per_replica[0])
    n = tokens_per_gpu * g
    st = step_time(t, np.zeros(1), np.array([n]))
    time_s = float(st.time_s[0])
    return {
        "step_time_s": time_s,
        "input_tokens_per_s_per_gpu": n / time_s / g,
        "wall": _wall(Step(st.time_s[0], st.compute_s[0], st.memory_s[0], st.comm_s[0]), False),
    }
