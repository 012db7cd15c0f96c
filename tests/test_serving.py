"""The serving model (engine/serving.py): each formula worked by hand from its source, the step model checked
against the roofline it is built from, and one whole deployment worked by hand on a made-up GPU whose step
times are simple enough to do on paper."""

import math
import time

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from llmwalls import catalogue
from llmwalls.engine import roofline as rf
from llmwalls.engine import serving as sv
from llmwalls.errors import InputError

# ------------------------------------------------------------------------------------------ Little's law


def test_littles_law():
    # L = lambda W (Little 1961): 40 requests/s, each decoding 500 tokens at 50 ms per token, stays
    # W = 500 x 0.05 = 25 s in decode, so L = 40 x 25 = 1,000 sequences decode at once.
    assert sv.littles_law(40.0, 500 * 0.05) == pytest.approx(1000.0)


def test_aggregated_rate_solves_littles_law_with_prefill_steps():
    # B = 40 decoding, D = 400 tokens (tau = 1), pure decode step t_d = 10 ms, full-chunk step t_f = 20 ms,
    # prefill work s = 40 ms per request: lambda = B / (D t_d + B s (1 - t_d/t_f))
    #   = 40 / (400 x 0.01 + 40 x 0.04 x 0.5) = 40 / 4.8 = 8.3333 requests/s.
    lam = float(sv.aggregated_rate(40, 400, 0.010, 0.020, 0.040))
    assert lam == pytest.approx(8.33333, rel=1e-5)
    # Check back with Little's law: rho = 8.3333 x 0.04 = 1/3 of the time in full steps; steps per second
    # (1/3)/0.02 + (2/3)/0.01 = 83.333, mean step 12 ms; lambda D t = 8.3333 x 400 x 0.012 = 40 sequences.
    t = float(sv.mean_step_s(lam * 0.040, np.array(0.010), np.array(0.020)))
    assert t == pytest.approx(0.012)
    assert float(sv.littles_law(lam, 400 * t)) == pytest.approx(40.0)
    # No prefill work: lambda = B / (D t_d) = 40 / (400 x 0.01) = 10.
    assert float(sv.aggregated_rate(40, 400, 0.010, 0.020, 0.0)) == pytest.approx(10.0)


# --------------------------------------------------------------------------------------------- queueing


def test_pollaczek_khinchine_and_mm1():
    # lambda = 2/s, service 0.25 s: rho = 0.5.
    # M/D/1 (cs^2 = 0): W = rho s (1 + 0) / (2 (1 - rho)) = 0.5 x 0.25 / 1 = 0.125 s.
    assert float(sv.mg1_mean_wait_s(2.0, 0.25, 0.0)) == pytest.approx(0.125)
    # M/M/1 (cs^2 = 1): W = rho / (mu (1 - rho)) = 0.5 / (4 x 0.5) = 0.25 s (Kleinrock Vol. 1, ch. 3).
    assert float(sv.mg1_mean_wait_s(2.0, 0.25, 1.0)) == pytest.approx(0.25)
    # Kingman, deterministic arrivals (ca^2 = 0) and exponential service: (0 + 1)/2 x rho/(1-rho) x s = 0.125.
    assert float(sv.mg1_mean_wait_s(2.0, 0.25, 1.0, arrival_cv2=0.0)) == pytest.approx(0.125)
    # Overloaded: rho = 1.2 -> no steady state.
    assert math.isinf(float(sv.mg1_mean_wait_s(4.8, 0.25, 0.0)))


def test_wait_quantile_is_exact_for_mm1():
    # M/M/1, rho = 0.5, mu = 4: P(W > t) = rho e^(-mu (1 - rho) t) = 0.5 e^(-2t). p99: 0.5 e^(-2t) = 0.01
    # -> t = ln(50) / 2 = 1.95601 s. The formula (W/rho) ln(rho / 0.01) = (0.25/0.5) ln 50 gives the same.
    assert float(sv.wait_quantile_s(0.25, 0.5, 0.99)) == pytest.approx(math.log(50) / 2)
    # p50: half the arrivals find the server idle (P(W > 0) = rho = 0.5), so the median wait is 0.
    assert float(sv.wait_quantile_s(0.25, 0.5, 0.5)) == 0.0
    # rho = 0.8: p50 = (W/rho) ln(0.8 / 0.5) with W = 0.8/(mu 0.2); mu = 4 -> W = 1.0,
    # p50 = 1.25 x 0.470 = 0.5875.
    assert float(sv.wait_quantile_s(1.0, 0.8, 0.5)) == pytest.approx(1.25 * math.log(1.6))


def test_concurrency_quantile():
    # Poisson with mean 100: p99 ~ 100 + 2.3263 x 10 = 123.26 (normal approximation).
    assert float(sv.concurrency_quantile(100.0)) == pytest.approx(123.263, abs=1e-3)


# ---------------------------------------------------------------------------------------- prefix caching


def test_shared_prefix_and_history_reuse():
    # One turn, a 3,000-token system prompt shared by all, 1,000 new tokens: prompt 4,000, cached 3,000,
    # prefilled 1,000.
    t = sv.token_accounting(sv.Workload(10.0, sv.Lengths(1000), sv.Lengths(200), shared_prefix_tokens=3000))
    assert (t.prompt, t.cached, t.uncached) == (4000, 3000, 1000)
    # Three turns of u = 200 new and o = 300 output tokens after a 1,000-token system prompt. Turn i sends
    # 1,000 + (i-1) x 500 + 200: 1,200, 1,700, 2,200 -> mean 1,700 (= 1,000 + 200 + (3-1)/2 x 500).
    # History reused: cached 1,000 + 500 = 1,500, prefilled 200. Not reused: cached 1,000, prefilled 700.
    # The longest (p99 reading) is the last turn: 2,200.
    kw = {"turns": 3, "shared_prefix_tokens": 1000}
    reuse = sv.token_accounting(sv.Workload(10.0, sv.Lengths(200), sv.Lengths(300), **kw))
    assert (reuse.prompt, reuse.cached, reuse.uncached, reuse.prompt_p99) == (1700, 1500, 200, 2200)
    fresh = sv.token_accounting(
        sv.Workload(10.0, sv.Lengths(200), sv.Lengths(300), history_reuse=False, **kw)
    )
    assert (fresh.cached, fresh.uncached) == (1000, 700)
    # Reasoning tokens are decoded (and billed) but kept out of the history: decoded = 300 + 1,000.
    r = sv.token_accounting(sv.Workload(10.0, sv.Lengths(200), sv.Lengths(300), reasoning_tokens=1000, **kw))
    assert r.decoded == 1300 and r.prompt == 1700
    # A flat hit rate of 0.75 on a 4,000-token prompt: 3,000 cached, 1,000 prefilled.
    h = sv.token_accounting(sv.Workload(10.0, sv.Lengths(4000), sv.Lengths(100), prefix_hit_rate=0.75))
    assert (h.cached, h.uncached) == (3000, 1000)


def test_prefix_cache_saves_prefill_compute():
    # Llama-3.1-8B (32 layers, 32 heads of 128): attention FLOPs per token per attended token
    # = 2 x 2 x 32 x 32 x 128 = 524,288 (Kaplan et al. 2020 Table 1, engine.model). A 4,000-token prompt of
    # which 3,000 are cached: the 1,000 new tokens attend causally to 3,001..4,000 tokens,
    # sum = (4000 x 4001 - 3000 x 3001) / 2 = 3,500,500 -> 3,500.5 per prefilled token
    # -> 3,500.5 x 524,288 = 1.83530e9 FLOPs per prefilled token (TP 1).
    spec = catalogue.load_model("llama-3.1-8b")
    gpu = catalogue.load_gpu("h100-sxm")
    tok = sv.token_accounting(sv.Workload(1.0, sv.Lengths(1000), sv.Lengths(100), shared_prefix_tokens=3000))
    a = sv.ServingAssumptions(weight_dtypes=("bf16",), kv_dtypes=("bf16",))
    t = sv.build_tables(spec, [gpu], tok, a, layouts=[(1, 1)])
    assert t.pre_attn_flops_per_token[0, 0] == pytest.approx(3500.5 * 524_288)
    # The linear layers' FLOPs are linear in the tokens prefilled: 1,000 tokens cost 1/4 of 4,000.
    g = sv._GRID
    lin = t.lin_flops[0].sum(axis=0)
    at = lambda n: float(np.interp(n, g, lin))  # noqa: E731
    assert at(1000) / at(4000) == pytest.approx(0.25)


# ----------------------------------------------------------------------------------- speculative decoding


def test_speculative_tokens_per_step_and_speedup():
    # Leviathan et al. 2023 eq. 1: a = 0.8, k = 4: (1 - 0.8^5) / (1 - 0.8) = (1 - 0.32768) / 0.2 = 3.3616.
    assert float(sv.speculative_tokens_per_step(0.8, 4)) == pytest.approx(3.3616)
    # Theorem 3.8 with c = 0.05: 3.3616 / (4 x 0.05 + 1) = 2.80133.
    assert sv.speculative_speedup(0.8, 4, 0.05) == pytest.approx(2.80133, rel=1e-5)
    # a = 0: one token per step, whatever k.
    assert float(sv.speculative_tokens_per_step(0.0, 3)) == pytest.approx(1.0)


def test_speculative_verification_is_nearly_free_when_decode_is_memory_bound():
    # Llama-3.1-70B bf16 on 8 H100s at batch 1: the step streams 141 GB of weights (memory-bound), so
    # verifying k + 1 = 5 tokens costs little more than 1, and TPOT improves by about Theorem 3.8's factor.
    spec = catalogue.load_model("llama-3.1-70b")
    gpu = catalogue.load_gpu("h100-sxm")
    tok = sv.token_accounting(sv.Workload(1.0, sv.Lengths(1000), sv.Lengths(200)))
    a = sv.ServingAssumptions(weight_dtypes=("bf16",), kv_dtypes=("bf16",))
    t = sv.build_tables(spec, [gpu], tok, a, layouts=[(8, 1)])
    one = float(sv.step_time(t, np.array([1.0]), 0.0).time_s[0])
    five = float(sv.step_time(t, np.array([1.0]), 0.0, tokens_per_seq=5.0).time_s[0])
    assert 1.0 < five / one < 1.02
    tpot_plain = one
    tpot_spec = (five + 4 * 0.05 * one) / 3.3616
    assert tpot_plain / tpot_spec == pytest.approx(2.80133, rel=0.02)


# ------------------------------------------------------------------------------------------ KV capacity


def test_kv_capacity_bound_on_concurrency():
    # Llama-3.1-70B KV: 2 x 80 layers x 8 KV heads x 128 x 2 B = 327,680 B/token; over TP 8: 40,960 B/GPU.
    # 10 GiB = 10,737,418,240 B free -> blocks of 16 tokens (655,360 B): 16,384 blocks.
    # A 1,000-token shared prefix takes ceil(1000/16) = 63 blocks once; each sequence's 2,000 private
    # tokens take 2000/16 + 0.5 = 125.5 blocks on average -> floor((16384 - 63) / 125.5) = 130 sequences.
    assert float(sv.kv_capacity_sequences(10 * 2**30, 40_960, 2000, 1000, 16)) == 130
    # Without the shared prefix stored once, each sequence holds 3,000 tokens: 3000/16 + 0.5 = 188 blocks,
    # floor(16384 / 188) = 87.
    assert float(sv.kv_capacity_sequences(10 * 2**30, 40_960, 3000, 0, 16)) == 87
    # A linear-attention model also keeps a constant state per sequence: 10 blocks' worth (6,553,600 B) makes
    # each sequence 125.5 + 10 = 135.5 blocks: floor(16321 / 135.5) = 120.
    assert float(sv.kv_capacity_sequences(10 * 2**30, 40_960, 2000, 1000, 16, 6_553_600)) == 120
    # Nothing free: nothing fits.
    assert float(sv.kv_capacity_sequences(-1.0, 40_960, 3000, 0, 16)) == 0


# --------------------------------------------------------------------------------- the step model itself


@pytest.mark.parametrize(
    ("model", "gpu", "tp", "weights"),
    [
        ("llama-3.1-70b", "h100-sxm", 8, "bf16"),
        ("llama-3.1-8b", "a100-80gb-sxm", 1, "bf16"),
        ("mixtral-8x7b", "h100-sxm", 2, "fp8"),
    ],
)
def test_step_model_reproduces_the_roofline(model, gpu, tp, weights):
    # A pure decode step of B sequences at the mean context, and a prefill of one uncached prompt, are exactly
    # the roofline engine's decode and prefill phases (the tables interpolate quantities that are affine in
    # the tokens; B and P are grid points or the quantities are affine between them).
    spec, g = catalogue.load_model(model), catalogue.load_gpu(gpu)
    tok = sv.token_accounting(sv.Workload(1.0, sv.Lengths(1500), sv.Lengths(300)))
    a = sv.ServingAssumptions(weight_dtypes=(weights,), kv_dtypes=("bf16",))
    t = sv.build_tables(spec, [g], tok, a, layouts=[(tp, 1)])
    B = np.array([[1.0, 16.0, 64.0]])
    r = rf.roofline(
        spec, g, batch=B[0], prompt_tokens=1500, context_tokens=tok.mean_context, tp=tp, weights=weights
    )
    mine = sv.step_time(t, B, 0.0).time_s[0]
    rel = 1e-6 if spec.moe is None else 0.05  # MoE: experts touched are not affine in the tokens
    assert mine == pytest.approx(r["time_per_output_token_s"], rel=rel)
    pre = sv.step_time(t, np.zeros((1, 1)), np.array([[1500.0]])).time_s[0, 0]
    assert pre == pytest.approx(float(r["ttft_s"][0]), rel=rel)


# ------------------------------------------------------------------- one deployment worked by hand


def _toy_tables(free_bytes: float = 2e10) -> sv.StepTables:
    """A made-up GPU and model: one linear operator of 2N = 1e10 FLOPs per token that streams W = 1e10 bytes
    of weights per step, nothing else; 1e15 FLOP/s and 1e12 B/s attainable. A step of n tokens takes
    max(1e10 n / 1e15, 1e10 / 1e12) = max(1e-5 n, 0.01) s. KV: 1e5 bytes per token per GPU."""
    g = sv._GRID
    lin_f = np.zeros((1, 4, len(g)))
    lin_b = np.zeros((1, 4, len(g)))
    lin_f[0, 0] = 1e10 * g
    lin_b[0, 0] = 1e10
    z = np.zeros((1, len(g)))
    return sv.StepTables(
        configs=(sv.Config("toy", 1, 1, "bf16", "bf16"),),
        compute_flops_per_s=np.array([1e15]),
        bandwidth_bytes_per_s=np.array([1e12]),
        lin_flops=lin_f,
        lin_bytes=lin_b,
        head_flops=z,
        head_bytes=z,
        comm_s=z,
        dec_attn_flops=z,
        dec_attn_bytes=z,
        pre_attn_flops_per_token=np.zeros((1, 3)),
        pre_attn_bytes_per_token=np.zeros((1, 3)),
        kv_bytes_per_token_per_gpu=np.array([1e5]),
        free_kv_bytes_per_gpu=np.array([free_bytes]),
        weights_bytes_per_gpu=np.array([1e10]),
        gpus_per_replica=np.array([1.0]),
        tdp_w=np.array([700.0]),
        idle_w=np.array([70.0]),
    )


def test_a_disaggregated_deployment_by_hand():
    # Workload: 20 requests/s, 2,000-token prompts, 400 output tokens;
    # SLO: TTFT p99 <= 0.1 s, TPOT p99 <= 15 ms.
    w = sv.Workload(20.0, sv.Lengths(2000), sv.Lengths(400))
    slo = sv.Slo(ttft_p99_s=0.1, tpot_p99_s=0.015)
    a = sv.ServingAssumptions(max_batch=100, batch_points=400, prefill_load_points=2000)
    tok = sv.token_accounting(w)
    r = sv.search_tables(
        _toy_tables(),
        tok,
        w,
        slo,
        usd_per_gpu_hour={"toy": 2.0},
        kv_context_tokens=tok.mean_context,
        assumptions=a,
        modes=("disaggregated",),
    )
    d = r.disaggregated
    assert d is not None and r.best is d
    pre, dec = d.pools
    # Decode pool. Step = max(1e-5 B, 0.01) = 10 ms for B <= 1,000 -> TPOT 10 ms <= 15 ms at any batch here.
    # lambda(B) = B / (D x 0.01) = B / 4. KV: 2e10 B / (16 x 1e5) = 12,500 blocks; a sequence holds on average
    # 2,000 + 400/2 = 2,200 tokens = 137.5 + 0.5 = 138 blocks -> floor(12500/138) = 90 sequences.
    # The p99 concurrency B + 2.326 sqrt(B) must fit: B = 70 -> 89.46 fits, B = 71 -> 90.6 does not.
    # Capacity 70 / 4 = 17.5 requests/s per replica -> ceil(20 / 17.5) = 2 decode replicas; each then takes
    # 10/s, i.e. B = 40 sequences, and the KV capacity is what limits a replica.
    assert dec.kv_capacity_sequences == 90
    assert dec.capacity_requests_per_s_per_replica == pytest.approx(17.5)
    assert dec.replicas == 2 and dec.concurrency == pytest.approx(40.0)
    assert dec.limit == "KV capacity" and dec.wall == "memory capacity (KV)"
    assert d.tpot_p50_s == pytest.approx(0.010) and d.tpot_p99_s == pytest.approx(0.010)
    # Prefill pool. One 2,000-token prompt: max(1e-5 x 2000, 0.01) = 20 ms (compute-bound). KV hand-over:
    # 1 ms + 2,000 x 1e5 B / 40e9 B/s = 6 ms. M/D/1: W = 0.01 rho / (1 - rho); p99 wait
    # (W/rho) ln(100 rho) = 0.01 ln(100 rho) / (1 - rho) must stay <= 0.1 - 0.026 = 0.074: rho = 0.47 gives
    # 0.0726, rho = 0.48 gives 0.0744 -> capacity ~0.475 / 0.02 = 23.7 requests/s > 20: one replica.
    assert pre.replicas == 1
    assert 0.47 / 0.02 < pre.capacity_requests_per_s_per_replica < 0.48 / 0.02
    # At 20/s: rho = 0.4 (below 0.5: the median request does not wait), W = 0.01 x 0.4 / 0.6 = 0.0066667,
    # p99 wait = (0.0066667 / 0.4) ln 40 = 0.061482 -> TTFT p99 = 0.061482 + 0.020 + 0.006 = 0.087482 s,
    # TTFT p50 = 0.020 + 0.006 = 0.026 s.
    assert d.ttft_p99_s == pytest.approx(0.087482, rel=1e-4)
    assert d.ttft_p50_s == pytest.approx(0.026)
    assert pre.wall == "compute"
    # Fleet: 3 GPUs at $2/h = $6/h; $/request = 6 / 3600 / 20 = $8.333e-5.
    # Input pays the prefill GPU: 2 / 3600 / (20 x 2000) x 1e6 = $0.013889 per million input tokens;
    # output the two decode GPUs: 4 / 3600 / (20 x 400) x 1e6 = $0.13889 per million output tokens.
    assert d.gpus == 3 and d.usd_per_hour == 6.0
    assert d.usd_per_request == pytest.approx(6 / 3600 / 20)
    assert d.usd_per_million_input_tokens == pytest.approx(0.013889, rel=1e-4)
    assert d.usd_per_million_output_tokens == pytest.approx(0.13889, rel=1e-4)
    # Power: idle 70 W + u x (700 - 70): prefill u = 0.9 -> 637 W, decode u = 0.6 -> 448 W;
    # 637 + 2 x 448 = 1,533 W; 8,000 output tokens/s -> 0.191625 J per output token.
    assert d.power_w == pytest.approx(1533.0)
    assert d.joules_per_output_token == pytest.approx(0.191625)
    assert d.output_tokens_per_s_per_gpu == pytest.approx(8000 / 3)


def test_aggregated_pays_for_prefill_in_the_decode_step():
    # Same toy, aggregated, one chunk size of 2,048 tokens, a scheduler cap of 60 sequences. With B decoding a
    # full step carries 2048 - B prefill tokens: max(1e-5 x 2048, 0.01) = 20.48 ms; a pure decode step 10 ms;
    # a request's prefill work s = 2000 x 0.02048 / (2048 - B) s.
    # The p99 concurrency must fit the cap: B = 44 -> 44 + 2.3263 sqrt(44) = 59.43 <= 60; B = 45 -> 60.61.
    # At B = 44: s = 40.96 / 2004 = 0.0204391 s and
    # lambda = B / (D t_d + B s (1 - t_d/t_f)) = 44 / (400 x 0.01 + 44 x 0.0204391 x 0.511719)
    #        = 44 / (4 + 0.460200) = 9.8650 requests/s per replica.
    w = sv.Workload(9.86, sv.Lengths(2000), sv.Lengths(400))
    a = sv.ServingAssumptions(chunk_tokens=(2048,), max_batch=60, batch_points=200)
    tok = sv.token_accounting(w)
    r = sv.search_tables(
        _toy_tables(),
        tok,
        w,
        sv.Slo(),
        usd_per_gpu_hour={"toy": 2.0},
        kv_context_tokens=tok.mean_context,
        assumptions=a,
        modes=("aggregated",),
    )
    pool = r.aggregated.pools[0]
    assert pool.replicas == 1 and pool.limit == "max batch"
    assert pool.capacity_requests_per_s_per_replica == pytest.approx(9.8650, rel=1e-4)
    # At 9.86/s: rho = 9.86 x 0.0204391 = 0.201530 of the time in full steps; mean step (= TPOT p50)
    # 1 / (0.201530 / 0.02048 + 0.798470 / 0.01) = 1 / 89.6873 = 0.0111498 s.
    assert r.aggregated.tpot_p50_s == pytest.approx(0.0111498, rel=1e-3)
    # Time shares: full steps are compute-bound, decode steps memory-bound; 0.20 of the time is compute.
    assert pool.wall == "memory bandwidth"
    # Input tokens pay for the prefill's share of the time: rho (1 - t_d/t_f) = 0.201530 x 0.511719 = 0.10313.
    d = r.aggregated
    usd_in = d.usd_per_million_input_tokens * 9.86 * 2000 / 1e6 * 3600
    assert usd_in / d.usd_per_hour == pytest.approx(0.10313, rel=2e-3)


def test_kv_offload_by_hand():
    # The toy decode pool holds 90 sequences in HBM (see the disaggregated test). With 2e10 B of host memory
    # per GPU, 25,000 blocks fit in all: floor(25000 / 138) = 181 sequences. Every sequence beyond 90 has its
    # 138 blocks x 16 tokens x 1e5 B = 2.208e8 B read back over PCIe 5.0 (63e9 B/s) each step:
    # t(B) = 0.01 + (B - 90) x 2.208e8 / 63e9 = 0.01 + (B - 90) x 3.50476e-3 s.
    # TPOT p99 <= 50 ms at the p99 concurrency: B99 <= 90 + 0.04 / 3.50476e-3 = 101.41;
    # B = 80 -> 80 + 2.3263 sqrt(80) = 100.81 fits, B = 81 -> 101.94 does not: 80 / 4 = 20 requests/s per
    # replica, against 70 / 4 = 17.5 without offload (the KV bound).
    w = sv.Workload(20.0, sv.Lengths(2000), sv.Lengths(400))
    slo = sv.Slo(tpot_p99_s=0.05)
    a = sv.ServingAssumptions(max_batch=120, batch_points=600)
    tok = sv.token_accounting(w)
    kw = {
        "usd_per_gpu_hour": {"toy": 2.0},
        "kv_context_tokens": tok.mean_context,
        "assumptions": a,
        "modes": ("disaggregated",),
    }
    off = sv.search_tables(_toy_tables(), tok, w, slo, offload=sv.Offload(2e10), **kw)
    dec = off.disaggregated.pools[1]
    assert dec.kv_capacity_sequences == 181
    assert dec.capacity_requests_per_s_per_replica == pytest.approx(20.0)
    assert dec.limit == "TPOT SLO"
    plain = sv.search_tables(_toy_tables(), tok, w, slo, **kw)
    assert plain.disaggregated.pools[1].capacity_requests_per_s_per_replica == pytest.approx(17.5)


# ------------------------------------------------------------------------------------------ the search


def test_search_is_fast_and_names_the_cheaper_mode():
    spec = catalogue.load_model("llama-3.1-70b")
    gpus = [catalogue.load_gpu(n) for n in ("h100-sxm", "h200-sxm", "a100-80gb-sxm")]
    w = sv.Workload(40.0, sv.Lengths(2000), sv.Lengths(500))
    slo = sv.Slo(ttft_p99_s=1.0, tpot_p99_s=0.05)
    prices = {"h100-sxm": 2.5, "h200-sxm": 3.5, "a100-80gb-sxm": 1.5}
    sv.search(spec, gpus, w, slo, usd_per_gpu_hour=prices)  # warm caches
    t0 = time.perf_counter()
    r = sv.search(spec, gpus, w, slo, usd_per_gpu_hour=prices)
    assert time.perf_counter() - t0 < 1.0
    assert r.aggregated is not None and r.disaggregated is not None
    assert r.best.usd_per_hour == min(r.aggregated.usd_per_hour, r.disaggregated.usd_per_hour)
    assert r.best.mode in r.reason
    for d in (r.aggregated, r.disaggregated):
        assert d.ttft_p99_s <= 1.0 and d.tpot_p99_s <= 0.05
        assert all(p.wall in sv.WALLS for p in d.pools)
    # Pareto front: more tokens/s per user never comes with more tokens/s per GPU.
    x = [p.tokens_per_s_per_user for p in r.pareto]
    y = [p.output_tokens_per_s_per_gpu for p in r.pareto]
    assert x == sorted(x) and y == sorted(y, reverse=True)


def test_impossible_slo_gives_no_deployment():
    spec = catalogue.load_model("llama-3.1-70b")
    w = sv.Workload(5.0, sv.Lengths(2000), sv.Lengths(200))
    r = sv.search(
        spec,
        [catalogue.load_gpu("h100-sxm")],
        w,
        sv.Slo(tpot_p99_s=0.001),
        usd_per_gpu_hour={"h100-sxm": 2.0},
    )
    assert r.best is None and "no deployment" in r.reason


def test_offload_adds_capacity_at_the_link_rate():
    spec = catalogue.load_model("llama-3.1-70b")
    gpu = catalogue.load_gpu("h100-sxm")
    w = sv.Workload(30.0, sv.Lengths(16000), sv.Lengths(500))
    kw = {"usd_per_gpu_hour": {"h100-sxm": 2.0}, "modes": ("disaggregated",)}
    plain = sv.search(spec, [gpu], w, sv.Slo(tpot_p99_s=0.2), **kw)
    off = sv.search(spec, [gpu], w, sv.Slo(tpot_p99_s=0.2), offload=sv.Offload(200e9), **kw)
    assert (
        off.disaggregated.pools[1].kv_capacity_sequences > plain.disaggregated.pools[1].kv_capacity_sequences
    )


@pytest.mark.parametrize(
    "make",
    [
        lambda: sv.Workload(0.0, sv.Lengths(100), sv.Lengths(10)),
        lambda: sv.Workload(1.0, sv.Lengths(100), sv.Lengths(0)),
        lambda: sv.Workload(1.0, sv.Lengths(100), sv.Lengths(10), prefix_hit_rate=1.0),
        lambda: sv.Lengths(100, p50=200, p99=150),
        lambda: sv.Slo(ttft_p99_s=-1.0),
        lambda: sv.Speculative(0, 0.5),
        lambda: sv.Speculative(3, 1.0),
        lambda: sv.Workload.from_daily(1e6, 0.5, prompt=sv.Lengths(10), output=sv.Lengths(10)),
    ],
)
def test_bad_input_is_an_input_error(make):
    with pytest.raises(InputError):
        make()


def test_daily_volume_and_lognormal_lengths():
    # 8.64M requests a day = 100/s on average; x 3 peak-to-mean = 300/s.
    w = sv.Workload.from_daily(8.64e6, 3.0, prompt=sv.Lengths(1000), output=sv.Lengths(100))
    assert w.requests_per_s == pytest.approx(300.0)
    # Log-normal from p50 = 1,000 and p99 = 10,000: sigma = ln(10) / 2.3263 = 0.98980, cv^2 = e^0.97970 - 1
    # = 1.66366.
    _, p50, p99, cv2 = sv.Lengths(2000, p50=1000, p99=10000).resolved()
    assert (p50, p99) == (1000, 10000)
    assert cv2 == pytest.approx(1.66366, rel=1e-4)


# ------------------------------------------------------------------------------------- API and command


def test_api_serve_report_is_typed_and_walls_are_consistent():
    from llmwalls import api

    r = api.serve(
        model="70b",
        gpus=("h100",),
        requests_per_s=10,
        prompt_tokens=2048,
        output_tokens=500,
        ttft_p99_s=1.0,
        tpot_p99_s=0.05,
        usd_per_gpu_hour=2.0,
    )
    assert r.results.meets_slo and r.results.best is not None
    # $/request = $/h / 3600 / rate: the fleet's GPUs x $2.
    assert r.results.best.usd_per_request == pytest.approx(r.results.best.gpus * 2.0 / 3600 / 10)
    lat = [w for w in r.walls if w.wall == "latency"]
    assert [w.limit for w in lat] == [1.0, 0.05] and not any(w.hit for w in r.walls)
    assert "model '70b' -> llama-3.1-70b" in r.notes


def test_cli_serve_table_json_and_check(cli, tmp_path):
    args = ("serve", "--model", "70b", "--gpu", "h100", "--rate", "10", "--ttft-p99-s", "1")
    r = cli(*args, "--tpot-p99-s", "0.05")
    assert r.exit_code == 0, r.stderr
    assert "best:" in r.stdout and "Pareto front" in r.stdout and "a aggregated   d disaggregated" in r.stdout
    j = cli(*args, "--json")
    assert j.exit_code == 0 and j.json()["schema"] == "llmwalls.serve"
    # 1 ms per output token is below any 70B decode step on an H100: nothing meets it, --check exits 1.
    bad = cli(*args, "--tpot-p99-s", "0.001", "--check")
    assert bad.exit_code == 1 and "NO DEPLOYMENT" in bad.stdout


@pytest.mark.parametrize(
    "extra",
    [
        ("--rate", "0"),
        ("--rate", "10", "--requests-per-day", "1M"),
        ("--rate", "10", "--speculative", "3"),
        ("--rate", "10", "--speculative", "x:0.5"),
        ("--rate", "10", "--prefix-hit", "1.5"),
        ("--rate", "10", "--mode", "sideways"),
        ("--rate", "10", "--ttft-p99-s", "-1"),
        ("--rate", "10", "--prompt", "lots"),
        ("--rate", "10", "--weights", "int3"),
        ("--rate", "10", "--kv-dtype", "fp7"),
        ("--rate", "10", "--chunk", "16"),
        ("--rate", "10", "--offload-host-gib", "64", "--offload-link", "fast"),
    ],
)
def test_cli_serve_bad_input_exits_2(cli, extra):
    r = cli("serve", "--model", "70b", "--gpu", "h100", *extra)
    assert r.exit_code == 2 and r.stderr.startswith("llmwalls: error:") and "Traceback" not in r.stderr


@given(
    b=st.floats(1, 4096),
    d=st.floats(1, 8192),
    td=st.floats(1e-3, 0.2),
    ratio=st.floats(1.0, 50.0),
    s=st.floats(0.0, 5.0),
)
def test_aggregated_rate_satisfies_littles_law(b, d, td, ratio, s):
    # Whatever the step times: lambda D (mean step at rho = lambda s) = B, while the prefill server is stable.
    tf = td * ratio
    lam = float(sv.aggregated_rate(b, d, td, tf, s))
    rho = lam * s
    if rho < 1.0:
        t = float(sv.mean_step_s(rho, np.array(td), np.array(tf)))
        assert lam * d * t == pytest.approx(b, rel=1e-9)


@given(rho=st.floats(0.02, 0.98), q=st.floats(0.5, 0.999))
def test_wait_quantile_grows_with_load_and_quantile(rho, q):
    # M/M/1 with unit mean service: W = rho / (1 - rho); the quantile never falls as rho or q rises.
    w = lambda r: r / (1 - r)  # noqa: E731
    a = float(sv.wait_quantile_s(w(rho), rho, q))
    assert a <= float(sv.wait_quantile_s(w(min(rho + 0.01, 0.99)), min(rho + 0.01, 0.99), q)) + 1e-12
    assert a <= float(sv.wait_quantile_s(w(rho), rho, min(q + 0.0005, 0.9999))) + 1e-12


def test_cli_serve_without_tdp_has_unknown_power_and_valid_json(cli):
    # TPU v7 has no published TDP: power and joules are null in the JSON (not a guess), and the document still
    # validates against the generated schema.
    import jsonschema

    from llmwalls.api.contract import json_schema

    r = cli("serve", "--model", "8b", "--gpu", "tpu-v7", "--rate", "5", "--json")
    assert r.exit_code == 0, r.stderr
    doc = r.json()
    jsonschema.validate(doc, json_schema("serve"))
    assert doc["results"]["best"]["power_w"] is None
    assert any("no published TDP" in n for n in doc["notes"])


def test_cli_serve_assumption_options_reach_the_engine(cli):
    # Decode-only pools at idle power (utilisation 0) draw less than at TDP (1); a faster KV link shortens the
    # disaggregated TTFT.
    base = ("serve", "--model", "8b", "--gpu", "h100", "--rate", "10", "--mode", "disaggregated", "--json")
    lo = cli(*base, "--power-utilization-decode", "0").json()["results"]["best"]
    hi = cli(*base, "--power-utilization-decode", "1").json()["results"]["best"]
    assert lo["pools"][1]["power_w_per_gpu"] < hi["pools"][1]["power_w_per_gpu"]
    slow = cli(*base, "--kv-link-gb-s", "1").json()["results"]["best"]
    fast = cli(*base, "--kv-link-gb-s", "400").json()["results"]["best"]
    assert fast["ttft_p50_s"] < slow["ttft_p50_s"]
