"""Training fidelity: precisions, ZeRO-3/FSDP per-layer communication, the layout search with given degrees,
the training memory budget and whole-run goodput. Values worked out by hand from the cited formulas, or the
published figure the engine must reproduce."""

from __future__ import annotations

import numpy as np
import pytest

from llmwalls import catalogue
from llmwalls.engine import memory as mem
from llmwalls.engine import training as tr
from llmwalls.engine.collectives import Tiers
from llmwalls.engine.goodput import GoodputAssumptions, run_goodput
from llmwalls.engine.model import param_counts
from llmwalls.engine.plan import plan_training
from llmwalls.engine.precision import training_precision
from llmwalls.errors import InputError
from llmwalls.units import GiB


def _load(kind: str, name: str):  # noqa: ANN202
    return catalogue.load(kind, name, announce=False)


@pytest.fixture(scope="module")
def h100():  # noqa: ANN201
    return _load("gpu", "h100-sxm"), _load("cluster", "dgx-h100")


def _flat_tiers(bandwidth: float, latency: float = 0.0) -> Tiers:
    """One GPU per scale-up domain: every collective runs flat on the scale-out network."""
    return Tiers(
        domain_gpus=1,
        up_bandwidth_bytes_per_s=bandwidth,
        up_latency_s=latency,
        up_efficiency=1.0,
        out_bandwidth_bytes_per_s=bandwidth,
        out_latency_s=latency,
        out_efficiency=1.0,
    )


# ------------------------------------------------------------------------------------ Llama 3 405B (Meta)


def test_llama3_405b_published_layout_fits_and_lands_in_metas_mfu(h100):
    """Dubey et al. 2024 (Llama 3), Table 4: 405B on 16,384 H100s, TP 8, CP 1, PP 16, DP 128, 8,192-token
    sequences, 16M-token batches (2,048 sequences), 41% BF16 MFU (38-43% over the three rows of the table);
    sec 3.3.2: 126 layers on 16 stages, one layer fewer on the first and the last. The layout must fit the
    H100's memory and the modelled MFU land in Meta's 38-43%."""
    gpu, cluster = h100
    spec = _load("model", "llama-3.1-405b")
    for first in (7, None):
        p = plan_training(
            spec,
            gpu,
            Tiers.from_cluster(cluster),
            gpus=16384,
            train_tokens=15.6e12,
            seq_len=8192,
            global_batch=2048,
            fixed={"tp": 8, "pp": 16, "dp": 128},
            device_memory_bytes=gpu.memory_capacity_bytes,
            first_stage_layers=first,
        )
        assert p["fits"], (first, p["memory_bytes"] / GiB)
        assert {k: p["layout"][k] for k in ("tp", "pp", "dp")} == {"tp": 8, "pp": 16, "dp": 128}
        assert 0.38 <= p["mfu"] <= 0.43, p["mfu"]


def test_training_budget_is_the_device_less_the_nccl_reserve():
    # H100 80GB: the driver reports 81,559 MiB (device_memory_bytes); less 1 GiB of NCCL communicators
    gpu = _load("gpu", "h100-sxm")
    assert mem.training_usable_bytes(gpu.memory_capacity_bytes) == pytest.approx(
        81559 * 2**20 - 2**30, rel=1e-4
    )


# ----------------------------------------------------------------------------------------------- ZeRO-3


def test_zero3_per_layer_collectives_and_overlap_by_hand():
    # 1e9 parameters per layer in bf16 = 2e9 B; 2 ranks on 10 GB/s, no latency: ring all-gather and
    # reduce-scatter each (n-1)/n x S / B = 0.5 x 2e9 / 1e10 = 0.1 s.
    # 2 layers, 1 micro-batch: forward 0.1 s (0.05 per layer), backward 0.4 s (0.2 per layer).
    # total = 2 layers x (2 AG + 1 RS) = 2 x 0.3 = 0.6 s
    # exposed = per layer max(0, 0.1 - 0.05) + max(0, 0.1 + 0.1 - 0.2) = 0.05; x 2 = 0.1; + first AG 0.1 = 0.2
    total, exposed = tr.zero3_step_comm(
        1e9, layers=2, microbatches=1, fwd_time_s=0.1, bwd_time_s=0.4, dp=2, stride=1, tiers=_flat_tiers(1e10)
    )
    assert float(total) == pytest.approx(0.6)
    assert float(exposed) == pytest.approx(0.2)
    # no overlap: all of it
    total, exposed = tr.zero3_step_comm(
        1e9,
        layers=2,
        microbatches=1,
        fwd_time_s=0.1,
        bwd_time_s=0.4,
        dp=2,
        stride=1,
        tiers=_flat_tiers(1e10),
        overlap=False,
    )
    assert float(exposed) == pytest.approx(0.6)
    # per-collective latency: a ring over 4 ranks pays 3 steps per all-gather / reduce-scatter
    # (1 us each): 3 collectives x 3 us per layer-micro-batch on top of the bandwidth time
    t0, _ = tr.zero3_step_comm(
        1e6, layers=1, microbatches=1, fwd_time_s=1, bwd_time_s=1, dp=4, stride=1, tiers=_flat_tiers(1e10)
    )
    t1, _ = tr.zero3_step_comm(
        1e6,
        layers=1,
        microbatches=1,
        fwd_time_s=1,
        bwd_time_s=1,
        dp=4,
        stride=1,
        tiers=_flat_tiers(1e10, latency=1e-6),
    )
    assert float(t1 - t0) == pytest.approx(9e-6)


def test_zero3_without_model_parallelism_halves_per_gpu_throughput_at_fixed_batch(h100):
    """ZeRO-3 with one micro-batch per step and a fixed global batch: every GPU gathers every layer once per
    step whatever the DP degree, so once that traffic dominates the step time stays put as GPUs double and
    per-GPU throughput halves (the published behaviour of ZeRO-3/FSDP series without model parallelism).
    Network: 4 x 100 Gb/s EFA per 8-GPU node (AWS p4d/p5-class nodes of that era) = 6.25 GB/s per GPU."""
    gpu, cluster = h100
    spec = _load("model", "llama-3.1-70b")
    tiers = Tiers.from_cluster(cluster.model_copy(update={"inter_node_bandwidth_bytes_per_s": 6.25e9}))
    dps = np.array([256, 512, 1024])
    gb = 1024
    r = tr.step_model(
        spec,
        gpu,
        tiers,
        tp=1,
        pp=1,
        dp=dps,
        micro_batch=1 * gb // dps,
        global_batch=gb,
        seq_len=2048,
        recompute=2,
        sequence_parallel=False,
        zero_stage=3,
    )
    per_gpu = r["tokens_per_s"] / r["gpus"]
    ratio = per_gpu[1:] / per_gpu[:-1]
    assert np.all((ratio > 0.45) & (ratio < 0.6)), ratio
    # the exposed DP traffic grows to dominate the step as the per-GPU micro-batch shrinks
    assert np.all(np.diff(r["dp_comm_time_s"] / r["compute_time_s"]) > 0)
    assert r["dp_comm_time_s"][-1] > r["compute_time_s"][-1]


# -------------------------------------------------------------------------------------------- precision


def test_fp8_linear_gemms_run_at_the_measured_fp8_rate(h100):
    # H100 SXM MAMF fp8 1,402.6 TFLOP/s x matmul_fraction_of_mamf 0.70 x FP8 relative efficiency 1.0
    # = 981.8 TFLOP/s; bf16 794.5 x 0.70 = 556.2 TFLOP/s
    gpu, cluster = h100
    spec = _load("model", "llama-3.1-8b")
    kw = dict(tp=1, pp=1, dp=8, global_batch=64, seq_len=8192)
    fp8 = tr.step_model(spec, gpu, Tiers.from_cluster(cluster), precision="fp8", **kw)
    bf16 = tr.step_model(spec, gpu, Tiers.from_cluster(cluster), **kw)
    assert float(fp8["linear_flops_per_s"]) == pytest.approx(1402.6e12 * 0.70 * 1.0)
    assert float(bf16["linear_flops_per_s"]) == pytest.approx(794.5e12 * 0.70)
    # same model FLOPs, MFU against the same bf16 peak (989.4 TFLOP/s): fp8 is faster, not a new denominator
    assert (
        float(fp8["peak_flops_per_s"]) == float(bf16["peak_flops_per_s"]) == pytest.approx(989.4e12, rel=1e-3)
    )
    assert float(fp8["step_time_s"]) < float(bf16["step_time_s"])


def test_block_scaled_recipes_need_blackwell():
    with pytest.raises(InputError, match="Blackwell"):
        training_precision("mxfp8", _load("gpu", "h100-sxm"))
    with pytest.raises(InputError, match="no fp8"):
        training_precision("fp8", _load("gpu", "a100-80gb-sxm"))
    assert training_precision("nvfp4", _load("gpu", "b200")).gemm_dtype == "fp4"
    with pytest.raises(InputError, match="unknown training precision"):
        training_precision("fp6")


def test_fp8_activation_coefficients_llama3_405b():
    # bf16 (activation_coefficients docstring): unsplit 4 + 2 + 2 = 8, split 2 (1 + 0.125 + 1) + 6 x 3.25
    # = 23.75. FP8 saves the linear inputs in 1 byte: unsplit 4 + 1 + 1 = 6; split 2 (1 + 0.125) + 1 x 1
    # + (4 + 1) x 3.25 = 3.25 + 16.25 = 19.5
    spec = _load("model", "llama-3.1-405b")
    assert mem.activation_coefficients(spec) == pytest.approx((8.0, 23.75))
    assert mem.activation_coefficients(spec, linear_input_bytes=1.0) == pytest.approx((6.0, 19.5))


def test_fp8_keeps_bf16_states_and_adds_the_quantised_weight_copies():
    # Llama 3.1 8B on one GPU, ZeRO 0: bf16 training holds 2 + 2 + 12 bytes per parameter; FP8 adds the
    # row- and column-wise FP8 copies, 2 bytes per linear-layer parameter (all but embedding and LM head)
    spec = _load("model", "llama-3.1-8b")
    c = param_counts(spec)
    kw = dict(tp=1, pp=1, dp=1, micro_batch=1, seq_len=8192, zero_stage=0)
    bf16 = mem.training_memory_per_gpu(spec, **kw)
    fp8 = mem.training_memory_per_gpu(spec, precision="fp8", **kw)
    linear = c.attention + c.dense_mlp + c.norms
    assert float(fp8["weights"] - bf16["weights"]) == pytest.approx(2.0 * linear)
    assert float(fp8["optimizer"]) == float(bf16["optimizer"]) == pytest.approx(12.0 * c.total)
    assert float(fp8["activations"]) < float(bf16["activations"])


# ---------------------------------------------------------------------------------------------- goodput


def test_goodput_breakdown_by_hand():
    # 16,384 GPUs at 1.973e-5 failures per GPU-hour (Llama 3): job MTBF = 3,600 / (1.973e-5 x 16,384)
    # = 11,135 s; restarts R / M = 600 / 11,135 = 5.39%. Checkpoint of 405e9 params x 14 B = 5.67e12 B at
    # 2 TB/s = 2.835 s; Young tau = sqrt(2 x 2.835 x 11,135) = 251.3 s; C / tau = 1.13%, tau / 2M = 1.13%.
    # goodput = 1 - (0.0113 + 0.0113 + 0.0539 + 0.03 + 0.02) = 0.8735
    g = run_goodput(1e6, 16384, params=405e9)
    assert g["job_mtbf_s"] == pytest.approx(3600 / (419 / (16384 * 54 * 24)) / 16384, rel=1e-9)
    assert g["restart_fraction"] == pytest.approx(600 / 11135.08, rel=1e-4)
    assert g["checkpoint_write_s"] == pytest.approx(405e9 * 14 / 2e12)
    assert g["checkpoint_fraction"] == pytest.approx(0.01128, rel=1e-2)
    assert g["goodput"] == pytest.approx(0.8735, abs=5e-4)
    assert g["wall_clock_s"] == pytest.approx(1e6 / g["goodput"])
    assert g["gpu_hours"] == pytest.approx(g["wall_clock_s"] * 16384 / 3600)
    # every part is overridable
    ideal = run_goodput(
        1e6,
        16384,
        GoodputAssumptions(restart_s=0.0, warmup_fraction=0.0, evaluation_fraction=0.0),
        params=405e9,
    )
    assert ideal["goodput"] == pytest.approx(1 - 2 * 0.01128, rel=1e-3)


def test_fix_advice_is_re_evaluated_and_really_fits():
    # Llama 3.1 405B, DP 128, ZeRO-1, micro-batch 1, 8k tokens, 16 micro-batches in flight at most: the advice
    # names the fewest TP x PP GPUs, and that layout, evaluated on its own, fits the H100's training budget
    gpu = _load("gpu", "h100-sxm")
    spec = _load("model", "llama-3.1-405b")
    usable = mem.training_usable_bytes(gpu.memory_capacity_bytes)
    kw = dict(micro_batch=1, seq_len=8192, zero_stage=1, recompute="selective", microbatches=16)
    few = mem.fewest_training_layout(spec, usable=usable, dp=128, **kw)
    assert few["fits"] and few["memory_bytes"] <= usable
    again = mem.training_memory_per_gpu(spec, tp=few["tp"], pp=few["pp"], dp=128, **kw)
    assert float(again["total"]) == pytest.approx(few["memory_bytes"])
    # one pipeline stage fewer does not fit at the same TP (else it would have been the advice)
    if few["pp"] > 1:
        less = mem.training_memory_per_gpu(spec, tp=few["tp"], pp=few["pp"] - 1, dp=128, **kw)
        assert float(less["total"]) > usable


def test_dp_gradient_buckets_pay_their_latency_and_expose_the_last():
    # 10 MB of gradients in 4 MB buckets over 4 ranks, ring all-reduce at 10 GB/s with 1 us per step:
    # 3 buckets (4, 4, 2 MB); each pays 2 (n - 1) = 6 steps = 6 us plus 2 (n-1)/n x S / B = 1.5 S / 1e10:
    # 4 MB: 6e-6 + 6e-4 = 6.06e-4 s; 2 MB: 6e-6 + 3e-4 = 3.06e-4 s.
    # total = 2 x 6.06e-4 + 3.06e-4 = 1.518e-3 s, the last (exposed) bucket 3.06e-4 s;
    # one 10 MB collective would take 6e-6 + 1.5e-3 = 1.506e-3 s
    from llmwalls.engine.collectives import bucketed_time_s

    total, last = bucketed_time_s("allreduce", 10e6, 4e6, 4, 1, _flat_tiers(1e10, latency=1e-6))
    assert float(total) == pytest.approx(1.518e-3)
    assert float(last) == pytest.approx(3.06e-4)
    one, alone = bucketed_time_s("allreduce", 10e6, 1e9, 4, 1, _flat_tiers(1e10, latency=1e-6))
    assert float(one) == float(alone) == pytest.approx(1.506e-3)
