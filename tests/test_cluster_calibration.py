"""Calibration: the step model with its DEFAULT assumptions (one set, not fitted per case) against published
training throughput. Each case is copied from its publication with its citation;
tolerance 15%. Predicted TFLOP/s are counted the way each paper counts them:
Megatron-LM with its Eq. 3 (hardware FLOPs including the full-recomputation forward), Llama 3 as model FLOPs.
The table of predictions and the reasoning behind the defaults: docs/calibration-cluster.md. With the
pipelined collective tiers and FlashAttention at attention_efficiency 0.30 of peak: mean error -2.7%, RMS
5.2%, worst +10.3% (Llama 3 at 128k context, the one case the attention rate moves: Megatron-LM 2021 had no
FlashAttention). At attention_efficiency 0.35 that case leaves the band (+19.5%): the reason the default is
not higher.
"""

from __future__ import annotations

import pytest
from megatron_gpt import megatron_gpt

from llmwalls import catalogue
from llmwalls.engine import training as tr
from llmwalls.engine.collectives import Tiers

TOLERANCE = 0.15

# Narayanan et al. 2021, 'Efficient Large-Scale Language Model Training on GPU Clusters Using Megatron-LM',
# arXiv:2104.04473 (SC'21), Table 1 (cases meg21_t1_*_tflops). A100-SXM4-80GB on Selene (DGX A100, NVLink +
# NVSwitch, 8x 200 Gb/s HDR IB per node), seq 2048, vocab 51200, mixed precision, interleaved 1F1B with
# scatter/gather, full activation recomputation (Eq. 3 counts it). Micro-batch size is not in the table: 1.
# (id, heads, hidden, layers, tp, pp, dp, global batch, published TFLOP/s per GPU)
MEGATRON_TABLE1 = [
    ("meg21_t1_1p7b_tflops", 24, 2304, 24, 1, 1, 32, 512, 137.0),
    ("meg21_t1_3p6b_tflops", 32, 3072, 30, 2, 1, 32, 512, 138.0),
    ("meg21_t1_7p5b_tflops", 32, 4096, 36, 4, 1, 32, 512, 142.0),
    ("meg21_t1_18p4b_tflops", 48, 6144, 40, 8, 1, 32, 1024, 135.0),
    ("meg21_t1_39p1b_tflops", 64, 8192, 48, 8, 2, 32, 1536, 138.0),
    ("meg21_t1_76p1b_tflops", 80, 10240, 60, 8, 4, 32, 1792, 140.0),
    ("meg21_t1_145p6b_tflops", 96, 12288, 80, 8, 8, 24, 2304, 148.0),
    ("meg21_t1_310p1b_tflops", 128, 16384, 96, 8, 16, 15, 2160, 155.0),
    ("meg21_t1_529p6b_tflops", 128, 20480, 105, 8, 35, 9, 2520, 163.0),
    ("meg21_t1_1008p0b_tflops", 160, 25600, 128, 8, 64, 6, 3072, 163.0),
]

# Llama Team (Meta), 'The Llama 3 Herd of Models', arXiv:2407.21783, Table 4 (cases llama3_t4_*): Llama 3 405B
# on H100-80GB (700 W), 8 GPUs per server on NVLink, RoCE 400 Gb/s per GPU, BF16, FSDP sharding optimizer
# state and
# gradients (params not resharded after forward: ZeRO-2 traffic). Model FLOPs (MFU 43/41/38%).
# Micro-batch 1 and selective recomputation are our reading of the setup (not in the table).
# (id, tp, cp, pp, dp, seq, batch per DP, published TFLOP/s per GPU)
LLAMA3_TABLE4 = [
    ("llama3_t4_8k_gpus", 8, 1, 16, 64, 8192, 32, 430.0),
    ("llama3_t4_16k_gpus", 8, 1, 16, 128, 8192, 16, 400.0),
    ("llama3_t4_16k_gpus_128k_ctx", 8, 16, 16, 8, 131072, 16, 380.0),
]


def megatron_prediction(heads, hidden, layers, tp, pp, dp, gb) -> float:  # noqa: ANN001
    import dataclasses

    gpu = catalogue.load_gpu("a100-80gb-sxm")
    tiers = Tiers.from_cluster(catalogue.load_cluster("dgx-a100"))
    # 2021 Megatron-LM: no FlashAttention (scores go through HBM), no sequence parallelism
    a = dataclasses.replace(tr.DEFAULT_ASSUMPTIONS, flash_attention=False)
    r = tr.step_model(
        megatron_gpt(heads, hidden, layers),
        gpu,
        tiers,
        tp=tp,
        pp=pp,
        dp=dp,
        micro_batch=1,
        global_batch=gb,
        seq_len=2048,
        recompute=2,
        sequence_parallel=False,
        zero_stage=1,
        assumptions=a,
    )
    return float(r["hardware_flops_per_s_per_gpu"]) / 1e12  # Eq. 3 counts the recomputed forward


def llama3_prediction(tp, cp, pp, dp, seq, per_dp) -> float:  # noqa: ANN001
    spec = catalogue.load_model("llama-3.1-405b")
    gpu = catalogue.load_gpu("h100-sxm")
    # dgx-h100 node (NVLink 4, 400 Gb/s per GPU) with Meta's RoCE fabric instead of InfiniBand
    cluster = catalogue.load_cluster("dgx-h100").model_copy(update={"scale_out_fabric": "roce"})
    r = tr.step_model(
        spec,
        gpu,
        Tiers.from_cluster(cluster),
        tp=tp,
        pp=pp,
        dp=dp,
        cp=cp,
        micro_batch=1,
        global_batch=dp * per_dp,
        seq_len=seq,
        recompute=1,
        sequence_parallel=True,
        zero_stage=2,
    )
    return float(r["model_flops_per_s_per_gpu"]) / 1e12


@pytest.mark.parametrize(
    "case, heads, hidden, layers, tp, pp, dp, gb, published",
    MEGATRON_TABLE1,
    ids=[c[0] for c in MEGATRON_TABLE1],
)
def test_megatron_table1(case, heads, hidden, layers, tp, pp, dp, gb, published):
    predicted = megatron_prediction(heads, hidden, layers, tp, pp, dp, gb)
    assert predicted == pytest.approx(published, rel=TOLERANCE), f"{case}: {predicted:.1f} vs {published}"


@pytest.mark.parametrize(
    "case, tp, cp, pp, dp, seq, per_dp, published", LLAMA3_TABLE4, ids=[c[0] for c in LLAMA3_TABLE4]
)
def test_llama3_table4(case, tp, cp, pp, dp, seq, per_dp, published):
    predicted = llama3_prediction(tp, cp, pp, dp, seq, per_dp)
    assert predicted == pytest.approx(published, rel=TOLERANCE), f"{case}: {predicted:.1f} vs {published}"


def test_llama3_mfu_trend_falls_with_scale():
    # Table 4: 430 -> 400 TFLOP/s going from 8k to 16k GPUs at the same 16M-token batch (fewer micro-batches
    # per pipeline, larger bubble). The model must get the direction right.
    a = llama3_prediction(8, 1, 16, 64, 8192, 32)
    b = llama3_prediction(8, 1, 16, 128, 8192, 16)
    assert b < a


def test_megatron_largest_models_are_fastest():
    # Table 1: the 530B and 1T models reach 163 TFLOP/s, the 1.7B model 137: larger GEMMs amortise the
    # elementwise (HBM-bound) work. The model must reproduce the direction.
    small = megatron_prediction(*MEGATRON_TABLE1[0][1:8])
    large = megatron_prediction(*MEGATRON_TABLE1[-1][1:8])
    assert large > small
