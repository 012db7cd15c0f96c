"""Training options that reach the engine from the command line: --precision (cluster, memory --train,
walls --train, power/cost --tokens), --flash-attention/--no-flash-attention (cluster, walls --train), the
whole-run goodput parts and --first-stage-layers (cluster). Each changes a number by a value worked by hand
from its formula; a bad value exits 2 with one line."""

from __future__ import annotations

import json
from typing import Any

import pytest

# Llama 3.1 8B on one 8-GPU H100 node, the layout pinned so that only the option under test changes:
# TP 8, one micro-batch of 4,096 tokens per step x 8 sequences.
SMALL = (
    "cluster", "-m", "8b", "--cluster", "dgx-h100", "--gpus", "8", "--tp", "8", "--pp", "1", "--dp", "1",
    "--micro-batch", "1", "--global-batch", "8", "--context", "4096", "--recompute", "selective",
    "--scaling", "off", "--json",
)  # fmt: skip
# Llama 3.1 8B from its profile (Meta llama-models sku_list.py): h 4,096, 32 layers, 32 heads of 128, 8 KV
# heads, ffn 14,336. Linear parameters per layer: q 4096^2 + k, v 2 x 4096 x 1024 + o 4096^2 + MLP
# 3 x 4096 x 14336 = 16,777,216 + 8,388,608 + 16,777,216 + 176,160,768 = 218,103,808; x 32 = 6,979,321,856.
# RMSNorm weights: 2 per layer + the final one, 65 x 4,096 = 266,240 (TP keeps them whole on every GPU).
LINEAR_PARAMS_8B = 6_979_321_856
NORM_PARAMS_8B = 266_240
TOKENS = 8 * 4096  # sequences x context per step
# H100 SXM profile: measured MAMF bf16 794.5 TFLOP/s, fp8 1402.6 TFLOP/s (mamf-finder.py); a training step's
# GEMMs reach 0.70 of it (engine.training.TrainingAssumptions.matmul_fraction_of_mamf).
R_BF16 = 794.5e12 * 0.70
R_FP8 = 1402.6e12 * 0.70


def _json(cli: Any, *args: str) -> dict[str, Any]:
    r = cli(*args)
    assert r.exit_code == 0, r.stderr
    return json.loads(r.stdout)


def _one_line_error(r: Any, *words: str) -> None:
    assert r.exit_code == 2, r.stdout
    assert "Traceback" not in r.stderr
    last = r.stderr.strip().splitlines()[-1]
    assert last.startswith("llmwalls: error: ")
    for w in words:
        assert w in last, last


# ----------------------------------------------------------------------------------------- --precision


def test_cluster_fp8_changes_linear_gemm_time_by_the_measured_rates(cli):
    bf16 = _json(cli, *SMALL)
    fp8 = _json(cli, *SMALL, "--precision", "fp8")
    assert bf16["inputs"]["precision"] == "bf16"
    assert fp8["inputs"]["precision"] == "fp8"
    # Only the transformer blocks' GEMMs change (LM head and attention stay bf16): their FLOPs per step are
    # 3 passes x 2 x the blocks' parameters (Kaplan et al. 2020 sec 2.1 counts every non-embedding parameter,
    # norms included) x tokens (selective recomputation repeats no GEMM), over 8 GPUs, at R_BF16 then R_FP8:
    linear_flops_per_gpu = 6.0 * (LINEAR_PARAMS_8B + NORM_PARAMS_8B) * TOKENS / 8  # = 1.71527e14
    saved = linear_flops_per_gpu * (1.0 / R_BF16 - 1.0 / R_FP8)  # 0.30842 - 0.17471 = 0.13372 s
    got = bf16["results"]["step"]["matmul_time_s"] - fp8["results"]["step"]["matmul_time_s"]
    assert got == pytest.approx(saved, rel=1e-6)
    assert saved == pytest.approx(0.13372, rel=1e-3)


def test_precision_the_gpu_lacks_is_one_line_naming_gpu_and_precision(cli):
    _one_line_error(cli(*SMALL, "--precision", "nvfp4"), "h100-sxm", "nvfp4")
    _one_line_error(cli(*SMALL, "--precision", "mxfp8"), "h100-sxm", "mxfp8")
    _one_line_error(cli("memory", "-m", "8b", "-g", "a100", "--train", "--precision", "fp8"), "a100", "fp8")
    _one_line_error(cli(*SMALL, "--precision", "fp9"), "--precision")


def test_memory_train_fp8_keeps_fp8_weight_copies(cli):
    args = ("memory", "-m", "8b", "-g", "h100", "--train", "--tp", "8", "--json")
    bf16 = _json(cli, *args)
    fp8 = _json(cli, *args, "--precision", "fp8")
    assert fp8["inputs"]["precision"] == "fp8"
    # Transformer Engine caches a row- and a column-wise fp8 copy of the blocks' weights (engine.precision:
    # 2 B per parameter), on top of what bf16 keeps: 2 x (6,979,321,856 / TP 8 + 266,240 norm weights kept
    # whole) = 1,745,362,944 B more weight bytes per GPU.
    w16, w8 = (r["results"]["rows"][0]["weights_bytes"] for r in (bf16, fp8))
    assert w8 - w16 == pytest.approx(2.0 * (LINEAR_PARAMS_8B / 8 + NORM_PARAMS_8B), rel=1e-12)


def test_memory_precision_needs_train(cli):
    _one_line_error(cli("memory", "-m", "8b", "--precision", "fp8"), "--precision", "--train")


def test_walls_train_precision_shortens_the_run(cli):
    args = ("walls", "-m", "8b", "-c", "dgx-h100", "--gpus", "8", "--train", "--tokens", "1e9", "--json")
    bf16 = _json(cli, *args)
    fp8 = _json(cli, *args, "--precision", "fp8")
    assert (bf16["inputs"]["precision"], fp8["inputs"]["precision"]) == ("bf16", "fp8")
    # FP8 GEMMs at 1402.6 / 794.5 = 1.77x the rate: the run is shorter, never longer
    assert fp8["results"]["plan"]["time_to_train_s"] < bf16["results"]["plan"]["time_to_train_s"]
    _one_line_error(cli("walls", "-m", "8b", "-g", "h100", "--precision", "fp8"), "--precision", "--train")


@pytest.mark.parametrize("command", ["power", "cost"])
def test_power_and_cost_plan_the_run_in_the_precision(cli, command):
    args = (command, "-m", "8b", "-c", "dgx-h100", "--gpus", "8", "--tokens", "1e9", "--json")
    bf16 = _json(cli, *args)
    fp8 = _json(cli, *args, "--precision", "fp8")
    assert bf16["inputs"]["precision"] == "bf16"
    assert fp8["inputs"]["precision"] == "fp8"
    assert _gpu_hours(fp8) < _gpu_hours(bf16)
    _one_line_error(cli(*args, "--precision", "nvfp4"), "h100-sxm", "nvfp4")


def _gpu_hours(doc: dict[str, Any]) -> float:
    return float(doc["results"]["training_plan"]["plan"]["gpu_hours"])


# ------------------------------------------------------------------------------------ FlashAttention


def test_cluster_no_flash_attention_runs_attention_at_the_matmul_rate(cli):
    on = _json(cli, *SMALL)
    off = _json(cli, *SMALL, "--no-flash-attention")
    assert off["inputs"]["assumptions"]["flash_attention"] is False
    # Attention forward FLOPs per token over the full square: 4 x layers x heads x head_dim x context
    # = 4 x 32 x 4096 x 4096 = 2,147,483,648 (PaLM appendix B's 12 L H Q T is 3 passes of it).
    attn = 4.0 * 32 * 4096 * 4096 * TOKENS / 8  # per GPU per step
    # FlashAttention: forward 1 + backward 2.5, causal x 1/2, at 0.30 of the 989.4 TFLOP/s bf16 peak.
    t_flash = attn * 3.5 * 0.5 / (989.4e12 * 0.30)
    # Without it: the 3 passes + 1 selective recomputation, full square, at the bf16 matmul rate.
    t_plain = attn * 4.0 / R_BF16
    got = off["results"]["step"]["matmul_time_s"] - on["results"]["step"]["matmul_time_s"]
    assert got == pytest.approx(t_plain - t_flash, rel=1e-6)


def test_walls_train_no_flash_attention(cli):
    args = ("walls", "-m", "8b", "-c", "dgx-h100", "--gpus", "8", "--train", "--tokens", "1e9", "--json")
    on = _json(cli, *args)
    off = _json(cli, *args, "--no-flash-attention")
    assert off["inputs"]["flash_attention"] is False and on["inputs"]["flash_attention"] is True
    assert off["results"]["plan"]["time_to_train_s"] > on["results"]["plan"]["time_to_train_s"]


# ----------------------------------------------------------------------------------- goodput parts


def _goodput(doc: dict[str, Any]) -> dict[str, float]:
    return doc["results"]["goodput"]


def _lost(g: dict[str, float]) -> float:
    parts = ("checkpoint", "rework", "restart", "warmup", "evaluation")
    return sum(g[f"{p}_fraction"] for p in parts)


@pytest.mark.parametrize(("option", "field"), [("--eval-share", "evaluation"), ("--warmup-share", "warmup")])
def test_share_changes_time_to_train_by_the_goodput_ratio(cli, option, field):
    before = _json(cli, *SMALL, option, "0.02")
    after = _json(cli, *SMALL, option, "0.05")
    assert _goodput(after)[f"{field}_fraction"] == 0.05
    # time = steady time / (1 - lost); the share adds 0.03 to what is lost, nothing else moves
    s = _lost(_goodput(before))
    assert _lost(_goodput(after)) == pytest.approx(s + 0.03, rel=1e-12)
    ratio = after["results"]["training"]["time_s"] / before["results"]["training"]["time_s"]
    assert ratio == pytest.approx((1 - s) / (1 - (s + 0.03)), rel=1e-9)


def test_failure_rate_and_restart_time(cli):
    doc = _json(cli, *SMALL, "--gpus", "8", "--failures-per-gpu-hour", "1e-3", "--restart-s", "1200")
    g = _goodput(doc)
    # job MTBF = 1 / (rate x GPUs) = 1 / (1e-3 x 8) h = 125 h = 450,000 s (Young 1974's first-order model)
    assert g["job_mtbf_s"] == pytest.approx(450_000.0, rel=1e-12)
    # restarts: R / M = 1,200 / 450,000
    assert g["restart_fraction"] == pytest.approx(1200.0 / 450_000.0, rel=1e-12)


def test_checkpoint_interval_and_storage_bandwidth(cli):
    base = _goodput(_json(cli, *SMALL, "--checkpoint-interval-s", "3600"))
    slow = _goodput(_json(cli, *SMALL, "--checkpoint-interval-s", "3600", "--storage-bandwidth", "1TB"))
    assert base["checkpoint_interval_s"] == 3600.0
    # stall share = C / tau with tau fixed at 3,600 s
    assert base["checkpoint_fraction"] == pytest.approx(base["checkpoint_write_s"] / 3600.0, rel=1e-12)
    # C = checkpoint bytes / bandwidth: 1 TB/s against the 2 TB/s default doubles it
    assert slow["checkpoint_write_s"] == pytest.approx(2.0 * base["checkpoint_write_s"], rel=1e-12)


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("--eval-share", "1.5"),
        ("--eval-share", "-0.1"),
        ("--warmup-share", "abc"),
        ("--failures-per-gpu-hour", "-1"),
        ("--restart-s", "nan"),
        ("--checkpoint-interval-s", "-5"),
        ("--storage-bandwidth", "2T"),
        ("--storage-bandwidth", "0"),
    ],
)
def test_bad_goodput_value_is_one_line(cli, option, value):
    _one_line_error(cli(*SMALL, option, value))


def test_shares_that_leave_no_time_to_train(cli):
    _one_line_error(cli(*SMALL, "--eval-share", "0.6", "--warmup-share", "0.5"), "no time to train")


# ------------------------------------------------------------------------------------- first stage


def test_first_stage_layers_sets_the_first_stage_memory(cli):
    # Llama 3 405B's published layout: 126 layers on 16 stages, 7 on the first (Dubey et al. 2024 sec 3.3.2)
    args = (
        "cluster", "-m", "405b", "-c", "dgx-h100", "--gpus", "16384", "--tp", "8", "--pp", "16",
        "--dp", "128", "--uneven-pp", "--scaling", "off", "--json",
    )  # fmt: skip
    even = _json(cli, *args)
    first7 = _json(cli, *args, "--first-stage-layers", "7")
    assert first7["inputs"]["first_stage_layers"] == 7
    # ceil(126 / 16) = 8 layers held by default; 7 hold less
    assert first7["results"]["memory"]["per_gpu_bytes"] < even["results"]["memory"]["per_gpu_bytes"]
    _one_line_error(cli(*SMALL, "--first-stage-layers", "3"), "pipeline")


# ------------------------------------------------------------------------------------- MoE knobs

# Mixtral 8x7B (32 MoE layers, 8 experts) on two 8-GPU nodes: TP 2, DP 8, EP 8, 16 sequences per step of
# one per micro-batch: 16 / (8 x 1) = 2 micro-batches per step.
MOE = (
    "cluster", "-m", "mixtral-8x7b", "--cluster", "dgx-h100", "--gpus", "16", "--tp", "2", "--pp", "1",
    "--dp", "8", "--ep", "8", "--micro-batch", "1", "--global-batch", "16", "--context", "4096",
    "--scaling", "off", "--json",
)  # fmt: skip


def test_moe_layer_overhead_adds_per_layer_per_micro_batch(cli):
    base = _json(cli, *MOE, "--moe-layer-overhead-s", "0.0075")
    more = _json(cli, *MOE, "--moe-layer-overhead-s", "0.0175")
    assert more["inputs"]["assumptions"]["moe_layer_overhead_s"] == 0.0175
    # 2 micro-batches x 32 MoE layers x (0.0175 - 0.0075) s = 0.64 s more compute per step
    got = more["results"]["step"]["compute_time_s"] - base["results"]["step"]["compute_time_s"]
    assert got == pytest.approx(2 * 32 * 0.01, rel=1e-9)
    _one_line_error(cli(*MOE, "--moe-layer-overhead-s", "-1"), "--moe-layer-overhead-s")


def test_ep_exposed_scales_the_exposed_all_to_all(cli):
    full = _json(cli, *MOE)
    half = _json(cli, *MOE, "--ep-exposed", "0.5")
    assert full["results"]["step"]["ep_comm_time_s"] > 0
    # t_ep = micro-batches x MoE layers x all-to-all time x exposed share: half the share, half the time
    assert half["results"]["step"]["ep_comm_time_s"] == pytest.approx(
        0.5 * full["results"]["step"]["ep_comm_time_s"], rel=1e-12
    )
    _one_line_error(cli(*MOE, "--ep-exposed", "1.5"), "--ep-exposed")
