"""Roofline engine: values worked out by hand from the cited formulas and published measurements."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from llmwalls.catalogue import load_gpu, load_model
from llmwalls.engine import roofline as rf
from llmwalls.errors import InputError

FULL = rf.RooflineAssumptions(bandwidth_efficiency=1.0, flops_efficiency=1.0)


@pytest.fixture(scope="module")
def l2_70b():
    return load_model("llama-2-70b")


@pytest.fixture(scope="module")
def h100():
    return load_gpu("h100-sxm")


# ------------------------------------------------------------------ issue 4: Llama-2-70B on H100 SXM


def test_llama2_70b_decode_batch1_full_bandwidth(l2_70b, h100):
    # Issue 4 / seed 002: 68,976,648,192 params x 2 B = 137.95 GB / 3.35e12 B/s = 41.2 ms (~24.3 tok/s).
    # We stream every weight except the embedding table (a gather of one row, not a read of 32,000 x 8,192 =
    # 262,144,000 params): (68,976,648,192 - 262,144,000) x 2 = 137,429,008,384 B -> 41.02 ms, 0.4% under the
    # issue's round figure; activations and the KV cache at context 1 add a few MB.
    r = rf.roofline(l2_70b, h100, batch=1, prompt_tokens=1, context_tokens=1, assumptions=FULL)
    t = float(r["time_per_output_token_s"])
    assert t == pytest.approx(137_429_008_384 / 3.35e12, rel=2e-3)
    assert t == pytest.approx(0.0412, rel=0.01)
    assert float(r["decode_tokens_per_s_per_replica"]) == pytest.approx(24.3, rel=0.01)
    assert not bool(r["decode"]["compute_bound"])
    for name, op in r["decode"]["operators"].items():
        assert not bool(op["compute_bound"]), name  # every decode operator is memory-bound at batch 1


def test_decode_time_scales_with_bandwidth_efficiency(l2_70b, h100):
    # All of decode is memory-bound at batch 1, so time = bytes / (3.35e12 x eff): half the efficiency,
    # twice the time.
    full = rf.roofline(l2_70b, h100, batch=1, prompt_tokens=1, context_tokens=1, assumptions=FULL)
    half = rf.roofline(
        l2_70b,
        h100,
        batch=1,
        prompt_tokens=1,
        context_tokens=1,
        assumptions=rf.RooflineAssumptions(bandwidth_efficiency=0.5, flops_efficiency=1.0),
    )
    assert float(half["time_per_output_token_s"]) == pytest.approx(
        2 * float(full["time_per_output_token_s"]), rel=1e-9
    )


def test_prefill_of_4096_tokens_is_compute_bound(l2_70b, h100):
    # Intensity of a GEMM over T tokens with bf16 weights ~ 2 T N / (2 N) = T = 4,096 FLOP/byte >> ridge 295.
    # Lower bound on TTFT: 2 x 68.7e9 params x 4,096 tokens = 5.63e14 FLOP / 989.4e12 FLOP/s = 0.569 s.
    r = rf.roofline(l2_70b, h100, batch=1, prompt_tokens=4096, context_tokens=4096, assumptions=FULL)
    assert bool(r["prefill"]["compute_bound"])
    for name in ("qkv", "attn_out", "mlp", "attention"):
        assert bool(r["prefill"]["operators"][name]["compute_bound"]), name
    assert float(r["ttft_s"]) > 2 * 68.7e9 * 4096 / 989.4e12
    assert float(r["ttft_s"]) < 1.2 * 2 * 68.98e9 * 4096 / 989.4e12  # + causal attention (~5%)


def test_machine_balance_h100_bf16(l2_70b, h100):
    # 989.4e12 FLOP/s / 3.35e12 B/s = 295.3 FLOP/byte (H100 SXM datasheet, dense bf16).
    r = rf.roofline(l2_70b, h100, batch=1, prompt_tokens=1, context_tokens=1)
    assert r["machine_balance_flops_per_byte"] == pytest.approx(295.3, abs=0.1)
    # Attainable: (989.4e12 x 794.5/989.4) / (3.35e12 x 0.65) = 794.5e12 / 2.1775e12 = 364.9
    assert r["attainable_ridge_flops_per_byte"] == pytest.approx(364.9, abs=0.1)


def test_critical_batch_dense_bf16_low_hundreds(l2_70b, h100):
    # Weights only (context -> 0): B (2N) FLOPs over N x 2 B bytes reaches the ridge R when B = R = 295.3.
    b0 = float(rf.critical_batch_dense(l2_70b, h100, context_tokens=0))
    assert b0 == pytest.approx(295.3, rel=1e-3)
    # The full model (activations in and out of every operator, KV at context 1) needs a few % more.
    b1 = rf.critical_batch(l2_70b, h100, context_tokens=1, assumptions=FULL)
    assert 100 <= b1 <= 400
    assert b1 == pytest.approx(b0, rel=0.05)


def test_kv_reads_lower_intensity_and_can_forbid_compute_bound(l2_70b, h100):
    # Llama-2-70B: KV bytes per token K = 2 x 80 x 8 x 128 x 2 = 327,680 per cached token; attention FLOPs
    # 2 x 2 x 80 x 64 x 128 = 2,621,440 per cached token; 2N = 2 x 68,714,504,192 = 1.374e11.
    # Compute-bound is possible only while 2N + 2.62e6 C > 295.3 x 327,680 C, i.e. C < 1.374e11 / (9.677e7 -
    # 2.62e6) = 1,461 tokens.
    assert math.isfinite(float(rf.critical_batch_dense(l2_70b, h100, context_tokens=1400)))
    assert math.isinf(float(rf.critical_batch_dense(l2_70b, h100, context_tokens=1520)))
    assert math.isinf(rf.critical_batch(l2_70b, h100, context_tokens=4096, assumptions=FULL))
    b_short = rf.critical_batch(l2_70b, h100, context_tokens=1, assumptions=FULL)
    b_long = rf.critical_batch(l2_70b, h100, context_tokens=512, assumptions=FULL)
    assert b_long > b_short
    r = rf.roofline(l2_70b, h100, batch=64, prompt_tokens=1, context_tokens=np.array([128, 1024, 8192]))
    intensity = r["decode"]["intensity_flops_per_byte"]
    assert intensity[0] > intensity[1] > intensity[2]


# ------------------------------------------------------------------------------ MoE, MLA, TP, memory


def test_expected_experts_touched_occupancy():
    # E (1 - (1 - k/E)^T), uniform routing. Mixtral E=8, k=2: T=1 -> 2; T=2 -> 8 (1 - 0.75^2) = 3.5;
    # T -> large -> 8.
    assert rf.expected_experts_touched(8, 2, 1) == pytest.approx(2.0)
    assert rf.expected_experts_touched(8, 2, 2) == pytest.approx(3.5)
    assert rf.expected_experts_touched(8, 2, 1000) == pytest.approx(8.0)
    # DeepSeek-V3 E=256, k=8, T=32: 256 (1 - (31/32)^32) = 256 x 0.6379 = 163.3
    assert rf.expected_experts_touched(256, 8, 32) == pytest.approx(163.3, abs=0.1)


def test_moe_decode_reads_touched_experts_only(h100):
    mixtral = load_model("mixtral-8x7b")
    # One Mixtral expert: 3 x 4,096 x 14,336 = 176,160,768 params; 32 layers. Batch 1 touches 2 experts per
    # layer: 2 x 32 x 176,160,768 x 2 B = 22.55 GB of expert weights
    # (+ 2 x 2 x 4,096 x 2 B activations per layer).
    r = rf.roofline(mixtral, h100, batch=1, prompt_tokens=1, context_tokens=1)
    assert float(r["decode"]["operators"]["experts"]["bytes"]) == pytest.approx(
        2 * 32 * 176_160_768 * 2 + 32 * 2 * 2 * 4096 * 2, rel=1e-9
    )
    r = rf.roofline(mixtral, h100, batch=512, prompt_tokens=1, context_tokens=1)
    assert float(r["decode"]["operators"]["experts"]["bytes"]) >= 8 * 32 * 176_160_768 * 2 * 0.999


def test_mla_decode_reads_the_compressed_latent(h100):
    # DeepSeek-V3 caches (kv_lora_rank 512 + rope 64) x 61 layers x 2 B = 70,272 B per token (DeepSeek-V2
    # Table 1); 1,000 more cached tokens -> 70,272,000 more bytes read by decode attention at batch 1.
    ds = load_model("deepseek-v3")
    r = rf.roofline(ds, h100, batch=1, prompt_tokens=1, context_tokens=np.array([1000, 2000]), weights="fp8")
    a = r["decode"]["operators"]["attention"]["bytes"]
    assert a[1] - a[0] == pytest.approx(1000 * 70_272, rel=1e-9)


def test_tensor_parallel_all_reduce_term(l2_70b, h100):
    # tp=2: two all-reduces per layer of 1 x 8,192 x 2 B = 16,384 B each: 25 µs (allreduce_latency_s)
    # + 2(2-1)/2 x 16,384 / (450e9 x 0.80) = 25.0455 µs (0.80: NCCL's NVLink busbw / wire,
    # collectives.LinkEfficiency.nvlink); x 2 x 80 = 4.0073 ms per step.
    r = rf.roofline(l2_70b, h100, batch=1, prompt_tokens=1, context_tokens=1, tp=2)
    assert float(r["decode"]["comm_time_s"]) == pytest.approx(160 * (25e-6 + 16_384 / 360e9), rel=1e-9)
    one = rf.roofline(l2_70b, h100, batch=1, prompt_tokens=1, context_tokens=1, tp=1)
    # Weights per GPU halve: memory time halves (to within the replicated norms and full-width activations).
    mem2 = float(r["decode"]["time_s"] - r["decode"]["comm_time_s"])
    assert mem2 == pytest.approx(float(one["decode"]["time_s"]) / 2, rel=0.01)
    assert float(r["weights_bytes_per_gpu"]) == pytest.approx(68_976_648_192 * 2 / 2)


def test_memory_flag(l2_70b, h100):
    # 137.95 GB of bf16 weights do not fit 80 GB; at tp=2 (69 GB) batch 1 does, batch 64 x 4k does not
    # (64 x 4,096 x 327,680 B / 2 = 42.9 GB of KV per GPU).
    assert not bool(rf.roofline(l2_70b, h100, batch=1, prompt_tokens=1, context_tokens=1)["fits"])
    r = rf.roofline(l2_70b, h100, batch=np.array([1, 64]), prompt_tokens=1, context_tokens=4096, tp=2)
    assert r["fits"].tolist() == [True, False]


def test_fp8_on_a100_is_refused(l2_70b):
    a100 = load_gpu("a100-80gb-sxm")
    with pytest.raises(InputError, match="fp8"):
        rf.roofline(l2_70b, a100, batch=1, prompt_tokens=1, context_tokens=1, weights="fp8")
    # int8 weight-only computes in bf16: allowed.
    rf.roofline(l2_70b, a100, batch=1, prompt_tokens=1, context_tokens=1, weights="int8")


def test_bad_lengths_raise(l2_70b, h100):
    with pytest.raises(InputError):
        rf.roofline(l2_70b, h100, batch=0, prompt_tokens=1, context_tokens=1)
    with pytest.raises(InputError):
        rf.roofline(l2_70b, h100, batch=1, prompt_tokens=-5, context_tokens=1)
    with pytest.raises(InputError):
        rf.roofline(l2_70b, h100, batch=1, prompt_tokens=1, context_tokens=float("nan"))


# ---------------------------------------------------------------------------------- calibration
# Copied from /work/shared/calibration/cases.toml (category inference_throughput). Stated band: with the
# default assumptions every prediction is within 0.85-1.15 x the published figure
# (docs/calibration-roofline.md).
BAND = (0.85, 1.15)

GPTFAST = [
    # id, model, weights, tp, published tokens/s.
    # Source: pytorch-labs/gpt-fast README.md @0f925b5d4ce457b89a7ca6c9ce50f42bf2576945 ('Benchmarks'):
    # A100-SXM-80GB power-limited to 330 W, batch 1, prompt 5 tokens (200 generated: gpt-fast's default
    # max_new_tokens, so decode is evaluated at context 5 + 100).
    ("gptfast_7b_base", "llama-2-7b", "bf16", 1, 104.9),
    ("gptfast_70b_int8", "llama-2-70b", "int8", 1, 19.13),
    ("gptfast_70b_tp8", "llama-2-70b", "bf16", 8, 62.5),
]


@pytest.mark.parametrize(("case", "model", "weights", "tp", "published"), GPTFAST)
def test_calibration_gptfast(case, model, weights, tp, published):
    r = rf.roofline(
        load_model(model),
        load_gpu("a100-80gb-sxm"),
        batch=1,
        prompt_tokens=5,
        context_tokens=105,
        tp=tp,
        weights=weights,
    )
    ratio = float(r["decode_tokens_per_s_per_replica"]) / published
    assert BAND[0] <= ratio <= BAND[1], (case, ratio)


def test_calibration_trtllm_offline_throughput(h100):
    # trtllm_l31_8b_h100_1k: 15,220 output tokens/s, Llama-3.1-8B-Instruct, H100 SXM 80GB, TP1, FP8, ISL/OSL
    # 1000/1000, offline max throughput. Source: NVIDIA/TensorRT-LLM docs/source/performance/perf-overview.md
    # @00f37686aa854010d68bcbd0f4ab000221541ca6. Our reading of the setup (assumptions, not in the source):
    # FP8 KV cache (NVIDIA's FP8 checkpoints), batch = the most sequences of 2,000 tokens whose weights + KV
    # fit the H100's 81,559 MiB, decode at the mean context 1,500, each request's 1,000-token prefill
    # serialised with decode: tokens/s = 1000 B / (1000 t_decode(B) + B t_prefill(1 x 1000)).
    m = load_model("llama-3.1-8b")
    batches = np.arange(1, 4097)
    r = rf.roofline(
        m,
        h100,
        batch=batches,
        prompt_tokens=1000,
        context_tokens=1500,
        memory_context_tokens=2000,
        weights="fp8",
        kv_dtype="fp8",
    )
    b = int(batches[r["fits"]][-1])
    # Weights 8,030,261,248 B + B x 2,000 x 65,536 B (fp8 KV: 2 x 32 x 8 x 128 x 1 B) <= 81,559 MiB
    # = 85,520,809,984 B -> B <= 77,490,548,736 / 131,072,000 = 591.2 -> B = 591.
    assert b == 591
    pre = float(
        rf.roofline(m, h100, batch=1, prompt_tokens=1000, context_tokens=1000, weights="fp8", kv_dtype="fp8")[
            "ttft_s"
        ]
    )
    tps = 1000 * b / (1000 * float(r["time_per_output_token_s"][b - 1]) + b * pre)
    assert BAND[0] <= tps / 15220 <= BAND[1]


# ----------------------------------------------------------------------------------- properties

_models = st.sampled_from(["llama-2-7b", "llama-2-70b", "mistral-7b", "mixtral-8x7b", "deepseek-v3"])


@settings(max_examples=40, deadline=None)
@given(
    model=_models,
    batch=st.integers(1, 4096),
    prompt=st.integers(1, 32768),
    context=st.integers(1, 131072),
    tp=st.sampled_from([1, 2, 4, 8]),
    bw=st.floats(0.05, 1.0),
    fl=st.floats(0.05, 1.0),
)
def test_attainable_never_exceeds_peak(model, batch, prompt, context, tp, bw, fl):
    g = load_gpu("h100-sxm")
    r = rf.roofline(
        load_model(model),
        g,
        batch=batch,
        prompt_tokens=prompt,
        context_tokens=context,
        tp=tp,
        weights="fp8" if model == "deepseek-v3" else "bf16",
        assumptions=rf.RooflineAssumptions(bandwidth_efficiency=bw, flops_efficiency=fl),
    )
    peak = r["peak_flops_per_s"]
    for phase in ("prefill", "decode"):
        assert float(r[phase]["attainable_flops_per_s"]) <= peak * (1 + 1e-12)
        assert float(r[phase]["achieved_flops_per_s"]) <= peak * (1 + 1e-12)
        for op in r[phase]["operators"].values():
            assert float(op["attainable_flops_per_s"]) <= peak * (1 + 1e-12)
        assert float(r[phase]["bandwidth_utilization"]) <= 1 + 1e-12


@settings(max_examples=40, deadline=None)
@given(
    model=_models,
    batch=st.integers(1, 2048),
    tp=st.sampled_from([1, 2, 8]),
    contexts=st.lists(st.integers(1, 200_000), min_size=2, max_size=6),
)
def test_decode_tokens_per_s_per_sequence_never_increases_with_context(model, batch, tp, contexts):
    g = load_gpu("h100-sxm")
    c = np.sort(np.asarray(contexts))
    r = rf.roofline(
        load_model(model),
        g,
        batch=batch,
        prompt_tokens=1,
        context_tokens=c,
        tp=tp,
        weights="fp8" if model == "deepseek-v3" else "bf16",
    )
    tps = r["decode_tokens_per_s_per_sequence"]
    assert np.all(np.diff(tps) <= 1e-12 * tps[:-1])


@settings(max_examples=15, deadline=None)
@given(
    model=_models,
    batches=st.lists(st.integers(1, 1024), min_size=1, max_size=4),
    prompt=st.integers(1, 16384),
    context=st.integers(1, 65536),
    tp=st.sampled_from([1, 4]),
)
def test_vectorised_equals_scalar(model, batches, prompt, context, tp):
    spec, g = load_model(model), load_gpu("h100-sxm")
    kw = {
        "prompt_tokens": prompt,
        "context_tokens": context,
        "tp": tp,
        "weights": "fp8" if model == "deepseek-v3" else "bf16",
    }
    vec = rf.roofline(spec, g, batch=np.asarray(batches), **kw)
    for i, b in enumerate(batches):
        one = rf.roofline(spec, g, batch=b, **kw)
        for key in ("ttft_s", "time_per_output_token_s", "decode_tokens_per_s_per_replica", "fits"):
            assert np.asarray(vec[key])[i] == pytest.approx(float(one[key]), rel=1e-12)
        for phase in ("prefill", "decode"):
            for name, op in one[phase]["operators"].items():
                assert vec[phase]["operators"][name]["bytes"][i] == pytest.approx(
                    float(op["bytes"]), rel=1e-12
                )


def test_large_batch_all_reduce_at_nccl_link_fraction(h100):
    # Llama-3.1-405B TP8 decode at batch 539 (trtllm_l31_405b_h100_tp8_1000_1000's batch, docs/validation.md
    # item 2): each all-reduce carries 539 x 16,384 x 2 B = 17,661,952 B. Ring term 2 x 7/8 x S / (450e9 x
    # 0.80) = 85.86 µs (0.80 = nccl-tests busbw / NVLink wire, mleng_a100_node_allreduce 0.783 and
    # mleng_h200_node_allreduce_ring 0.817) + 25 µs = 110.86 µs; x 2 x 126 layers = 27.94 ms per step.
    # At the datasheet wire (the old default) it was 25 + 68.69 = 93.69 µs, 23.61 ms per step.
    spec = load_model("llama-3.1-405b")
    kw = {"batch": 539, "prompt_tokens": 1000, "context_tokens": 1500, "tp": 8, "weights": "fp8"}
    r = rf.roofline(spec, h100, kv_dtype="fp8", **kw)
    s = 539 * 16_384 * 2
    per = 25e-6 + 2 * 7 / 8 * s / (450e9 * 0.80)
    assert float(r["decode"]["tp_comm_time_s"]) == pytest.approx(252 * per, rel=1e-9)
    assert float(r["decode"]["tp_comm_time_s"]) == pytest.approx(27.94e-3, rel=1e-3)
    wire = rf.roofline(
        spec, h100, kv_dtype="fp8", assumptions=rf.RooflineAssumptions(allreduce_link_efficiency=1.0), **kw
    )
    assert float(wire["decode"]["tp_comm_time_s"]) == pytest.approx(23.61e-3, rel=1e-3)


def test_single_node_tp_matches_the_cluster_path(h100):
    # One HGX H100 node must cost the same with or without --cluster: dgx-h100's NVSwitch tier is the GPU's
    # 450 GB/s link at LinkEfficiency.nvlink, which is now also the single-node default.
    from llmwalls.catalogue import load_cluster

    spec = load_model("llama-2-70b")
    kw = {
        "batch": 64,
        "prompt_tokens": 2048,
        "context_tokens": 3072,
        "tp": 2,
        "weights": "fp8",
        "kv_dtype": "fp8",
    }
    alone = rf.roofline(spec, h100, **kw)
    node = rf.roofline(spec, h100, links=rf.Links.from_cluster(load_cluster("dgx-h100")), **kw)
    for phase in ("prefill", "decode"):
        assert float(alone[phase]["tp_comm_time_s"]) == pytest.approx(
            float(node[phase]["tp_comm_time_s"]), rel=1e-12
        )


def test_weight_only_decode_streams_weights_slower_by_hand():
    # Llama-2-7B decode MLP at batch 1 on an A100-80GB (2,039 GB/s datasheet x 0.65 = 1.32535e12 B/s; no
    # measured copy cap in the profile). Weights: 32 layers x 3 x 4,096 x 11,008 = 4,328,521,728 parameters
    # plus the pre-MLP norms 32 x 4,096 = 131,072; activations in and out 32 x 2 x 4,096 x 2 B = 524,288 B.
    # int8 (1 B/param), factor 0.88 (RooflineAssumptions.int8_weight_only_bandwidth_factor):
    #   t = 524,288 / 1.32535e12 + 4,328,652,800 / (1.32535e12 x 0.88)
    #     = 3.9559e-7 + 4,328,652,800 / 1.166308e12 = 3.9559e-7 + 3.711411e-3 = 3.711807e-3 s
    # with the factor at 1.0: 3.9559e-7 + 4,328,652,800 / 1.32535e12 = 3.9559e-7 + 3.266045e-3 = 3.266441e-3 s
    # int4 (0.5 + 2.5 / 128 = 0.51953125 B/param, group-128 scales): weights 4,328,652,800 x 0.51953125 =
    #   2,248,870,400 B; factor 0.59: 3.9559e-7 + 2,248,870,400 / 7.819565e11 = 3.9559e-7 + 2.875954e-3
    #   = 2.876350e-3 s
    m, g = load_model("llama-2-7b"), load_gpu("a100-80gb-sxm")

    def mlp(weights: str, a: rf.RooflineAssumptions) -> tuple[float, float, float]:
        r = rf.roofline(m, g, batch=1, prompt_tokens=5, context_tokens=105, weights=weights, assumptions=a)
        op = r["decode"]["operators"]["mlp"]
        return float(op["bytes"]), float(op["time_s"]), float(r["weight_stream_factor"])

    b8, t8, f8 = mlp("int8", rf.RooflineAssumptions())
    assert (b8, f8) == (4_328_652_800 + 524_288, 0.88)
    assert t8 == pytest.approx(3.711807e-3, rel=1e-5)
    _, t8_free, _ = mlp("int8", rf.RooflineAssumptions(int8_weight_only_bandwidth_factor=1.0))
    assert t8_free == pytest.approx(3.266441e-3, rel=1e-5)
    b4, t4, f4 = mlp("int4", rf.RooflineAssumptions())
    assert (b4, f4) == (2_248_870_400 + 524_288, 0.59)
    assert t4 == pytest.approx(2.876350e-3, rel=1e-5)
    # bf16 and fp8 compute in their own precision: no factor, so the bytes alone set the time
    assert mlp("bf16", rf.RooflineAssumptions())[2] == 1.0
    assert rf.weight_stream_factor("fp8", rf.RooflineAssumptions()) == 1.0


@pytest.mark.parametrize("bad", [0.0, -0.1, 1.5, math.nan])
def test_weight_only_factor_must_be_a_fraction(bad):
    with pytest.raises(InputError, match="weight_only_bandwidth_factor"):
        rf.RooflineAssumptions(int4_weight_only_bandwidth_factor=bad)


def test_weight_only_factor_reaches_the_typed_report():
    # llmwalls.api.roofline carries the factor in results.roofs and takes it through `assumptions`:
    # int4 weights at the default 0.59; int8 with the factor set to 1.0 (a Marlin-class kernel) gives 1.0.
    from llmwalls import api

    r = api.roofline("llama-2-7b", gpu="a100-80gb-sxm", weights="int4")
    assert r.results.roofs.weight_stream_factor == 0.59
    assert "int4 weight-only" in r.results.roofs.efficiency_source
    a = rf.RooflineAssumptions(int8_weight_only_bandwidth_factor=1.0)
    assert (
        api.roofline(
            "llama-2-7b", gpu="a100-80gb-sxm", weights="int8", assumptions=a
        ).results.roofs.weight_stream_factor
        == 1.0
    )
