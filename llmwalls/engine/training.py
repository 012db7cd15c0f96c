"""Training step time for arrays of parallel layouts: compute, pipeline bubble and the exposed
communication of every parallel dimension, then MFU, TFLOP/s per GPU, tokens/s and time to train.

One call evaluates any number of layouts at once (every layout field is a numpy array, broadcast together):
the layout search feeds it a million candidates. Nothing here prints, reads files or raises for an infeasible
layout: the caller gets masks.

FLOPs (per token, forward; x3 for forward + backward, PaLM appendix B / Kaplan et al. 2020 sec 2.1):
    dense     = 2 x active parameters touched by matmuls (incl. the LM head; the embedding lookup is a gather)
    attention = 4 x layers x heads x head_dim x seq   (QK^T and AV, the full s x s square as Megatron-LM Eq. 3
                and PaLM appendix B count it: 12 L H Q T per token for fwd+bwd)
    model FLOPs    = 3 (dense + attention)                              (PaLM appendix B: MFU counts these)
    hardware FLOPs = model + recomputation:
        selective: + attention core forward again (QK^T, AV: 4 L s h per token; Korthikanti et al. 2022 sec 5.
                   Their Eq. 8, 1 + s/3h vs Eq. 7's 1 + s/6h, charges 12 L s h: 1.7% more for GPT-3)
        full:      + the whole forward except the LM head (Megatron-LM Eq. 3: 96 B s l h^2 (1 + s/6h +
        V/16lh),
                   the four-pass count whose logit term stays at 3 passes)
Time:
    matmul      = GEMM FLOPs / (MAMF x achievable matmul fraction)           (MAMF-measured, see assumptions)
                  + with FlashAttention: the FLOPs the kernel executes (causal: half the square; backward
                  2.5 x forward; + 1 forward under full recomputation) / (16-bit peak x attention_efficiency)
                  (Dao 2023 sec 4.1; Shah et al. 2024). Without it the full square runs at the GEMM rate.
    elementwise = bytes moved by norms, activations, dropout, residuals, softmax / achievable HBM bandwidth
                  (per token per layer the 34 h bytes Korthikanti Table 2 stores, 5 a s more without
                  FlashAttention: the kernels that write those activations also read them back)
    optimizer   = bytes the Adam update touches / achievable HBM bandwidth
    TP  = 2 all-reduces (or all-gather + reduce-scatter with sequence parallelism) per layer forward, 2
    backward,
          2 more with full recomputation (Megatron-LM sec 2.3, Korthikanti sec 4.2.2)
    PP  = bubble (p-1)/(m v) x the ideal step (Narayanan et al. 2021 sec 2.2.1-2.2.2) + p2p activation sends
    DP  = gradient all-reduce in buckets (ZeRO 1/2: reduce-scatter + all-gather, the same bytes), each bucket
          its own collective, overlapped with the backward of the last micro-batch, the last bucket exposed;
          ZeRO 3 / FSDP: per layer and micro-batch all-gathers (forward, backward) and reduce-scatters,
          overlapped within each layer's compute (zero3_step_comm)
    CP  = ring attention: KV chunks passed cp-1 times forward, twice that backward, hidden behind attention
          compute when it is long enough (Liu et al. 2023, Ring Attention; Llama 3 sec 3.3.2)
    EP  = all-to-all dispatch + combine per MoE layer, forward and backward (GShard; DeepSeek-V3 sec 3.2)
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from llmwalls.engine.collectives import Tiers, bucketed_time_s, hierarchical_time_s, members_in_domain
from llmwalls.engine.model import attention_flops_per_token, dense_flops_per_token, param_counts
from llmwalls.engine.precision import training_precision

if TYPE_CHECKING:
    from llmwalls.specs import GpuSpec, ModelSpec

RECOMPUTE = ("none", "selective", "full")


@dataclass(frozen=True)
class TrainingAssumptions:
    """Judgement calls of the step model, each overridable from the command line. Values were chosen
    ONCE against the published runs in docs/calibration-cluster.md, not per case."""

    # Fraction of the GPU's MEASURED maximum achievable matmul FLOP/s (MAMF: Bekman's mamf-finder, the GPU
    # profile's measured_matmul_flops_per_s) that a transformer layer's GEMMs reach end to end inside a
    # training step: per-GPU GEMM shapes after TP split are smaller than MAMF's best shape, kernels launch
    # back to back with gaps (FlashAttention has its own rate: attention_efficiency). 0.70 reproduces
    # Megatron-LM (A100) and Llama 3 (H100) within 15% (docs/calibration-cluster.md) with no per-case
    # fitting.  --matmul-efficiency
    matmul_fraction_of_mamf: float = 0.70
    # Used when a GPU profile has no MAMF figure: MAMF / peak of the measured GPUs (H100 SXM 794.5 / 989.4 =
    # 0.80; A100 SXM ~ 0.87) -> 0.80.
    mamf_fraction_of_peak: float = 0.80
    # Bytes elementwise kernels move per token per layer per pass, per unit of hidden size: twice (write +
    # read) the 34 bytes/h Korthikanti et al. 2022 Table 2 store per layer.
    elementwise_bytes_per_hidden: float = 68.0
    # Fraction of datasheet HBM bandwidth reached by streaming kernels when the profile has no measured figure
    # (ml-engineering / STREAM-like copies on H100 and A100 reach ~ 0.90).
    hbm_fraction: float = 0.90
    # Bytes the optimizer step reads and writes per parameter: mixed-precision Adam reads fp32 master, m, v
    # and the gradient and writes master, m, v and the bf16 copy (~ 4x3+4 + 4x3+2).
    optimizer_bytes_per_param: float = 30.0
    gradient_bytes: float = 2.0  # bf16 gradients reduced (Megatron-LM and FSDP defaults in bf16 runs)
    # Share of TP collectives on the critical path. Megatron-LM's TP all-reduces sit between dependent GEMMs;
    # Transformer Engine's userbuffer overlap hides part of them on H100. 1.0 = no overlap (conservative).
    # Option: --tp-exposed
    tp_exposed_fraction: float = 1.0
    # With DP overlap on, at least this share of the gradient reduction stays exposed (bucket tail, optimizer
    # waits for the last bucket). PyTorch DDP / Megatron overlap_grad_reduce.  --dp-exposed
    dp_min_exposed_fraction: float = 0.10
    dp_overlap: bool = True
    ep_exposed_fraction: float = 1.0  # MoE all-to-all on the critical path unless DualPipe-style overlap
    # Fixed time per MoE layer per micro-batch, forward + backward, beyond FLOPs and bytes: dropless token
    # routing synchronises the host for the per-expert token counts before the grouped GEMMs, and the
    # router, top-k, permute/unpermute and grouped-GEMM set-up launch dozens of small kernels per layer
    # (Megatron-Core MoE guide, "Performance best practice": host synchronisation of the alltoall dispatcher
    # and CPU launch overhead, addressed by CUDA graphs and DeepEP; https://github.com/NVIDIA/Megatron-LM/
    # blob/main/megatron/core/transformer/moe/README.md). Chosen on the split=choose MoE cases of
    # llmwalls/validation_cases.toml (Qwen3 30B-A3B at micro-batch 1 and 4 on Blackwell: the intercept of
    # time per layer-micro-batch against tokens per micro-batch), judged on the others.
    moe_layer_overhead_s: float = 0.0075
    # Interleaved 1F1B: model chunks per GPU (v). 1 = plain 1F1B, 0 = auto (one layer per chunk where the
    # micro-batch count allows it: auto_virtual_stages). Narayanan et al. 2021 sec 2.2.2.  --interleave
    virtual_stages: int = 0
    activation_bytes: float = 2.0  # bf16 activations on the wire and in HBM
    flash_attention: bool = True  # no s x s score matrix written to HBM (Dao et al. 2022)
    # Fraction of the GPU's dense 16-bit PEAK (not MAMF: the papers report % of peak) that FlashAttention
    # reaches, forward + backward, on the FLOPs it executes, counted as Dao-AILab/flash-attention
    # benchmarks/benchmark_flash_attention.py counts them (causal: half the s x s square; backward = 2.5 x
    # forward, its recompute of QK^T included). Published: FlashAttention-2 on A100 50-73% (Dao 2023,
    # arXiv:2307.08691, abstract); FlashAttention-2 on H100 35% (Shah et al. 2024, arXiv:2407.08608,
    # abstract); FlashAttention-3 on H100 up to 75% forward, backward lower (same abstract). 0.35 is the
    # FlashAttention-2-on-H100 figure: the kernel most published H100 runs used, and the low end for A100
    # (conservative there). Used only with flash_attention; without it (Megatron-LM 2021) the full square
    # runs as batched GEMMs at the matmul rate.  No CLI option yet (engine default).
    attention_efficiency: float = 0.30
    # Decoder LMs mask the future: FlashAttention skips fully masked blocks, so it executes about half of the
    # s x s square (the benchmark's causal // 2). MFU/HFU still count the full square (PaLM appendix B).
    causal_attention: bool = True
    nvls: bool = False  # NVLink SHARP all-reduce inside the scale-up domain
    # ZeRO-3 / FSDP: bytes per parameter of the per-layer all-gathers (bf16 parameters; Megatron's
    # --fp8-param-gather would halve them) and of the per-layer gradient reduce-scatters (bf16 gradients).
    # Each micro-batch gathers every layer in the forward and again in the backward and reduce-scatters its
    # gradients (Rajbhandari et al. 2020 sec 7.2.2: 3x the parameter bytes per step; PyTorch FSDP,
    # Zhao et al. 2023, arXiv:2304.11277, sec 3.2-3.3: FULL_SHARD re-gathers in the backward, one unit =
    # one transformer layer, gradients reduce-scattered per unit per iteration).
    zero3_param_bytes: float = 2.0
    # Gradient bucket of the DP reduction (ZeRO 0-2), in parameters: Megatron-Core's default is
    # max(40000000, 1000000 x dp_size) parameters, "larger DP sizes need larger buckets to ensure
    # collectives do not become latency-bound" (NVIDIA/Megatron-LM, megatron/core/distributed/
    # distributed_data_parallel_config.py, bucket_size); each bucket is one collective with its own latency,
    # the last one exposed.
    dp_bucket_min_params: float = 40e6
    dp_bucket_params_per_rank: float = 1e6


DEFAULT_ASSUMPTIONS = TrainingAssumptions()

# attention_efficiency by attention kernel generation (fraction of the dense 16-bit peak, forward + backward
# on the FLOPs the kernel executes; see TrainingAssumptions.attention_efficiency):
#   fa2: FlashAttention-2 on H100, 35% (Shah et al. 2024, arXiv:2407.08608, abstract), taken as 0.30 end to
#        end: the default, the kernel of most 2023-24 runs;
#   fa3: FlashAttention-3 / cuDNN fused attention on Hopper and Blackwell (Transformer Engine's default fused
#        backend): forward up to 75% of peak and backward 1.5-1.75x FlashAttention-2's (same abstract), i.e.
#        ~0.5 backward; weighted by the 1 : 2.5 forward : backward FLOPs, 3.5 / (1 / 0.75 + 2.5 / 0.5) = 0.55.
ATTENTION_EFFICIENCY = {"fa2": 0.30, "fa3": 0.55}


def _arr(x: npt.ArrayLike, dtype: npt.DTypeLike = float) -> np.ndarray:
    return np.asarray(x, dtype=dtype)


def flops_per_token(spec: ModelSpec, seq_len: npt.ArrayLike) -> tuple[float, np.ndarray, float]:
    """Forward FLOPs per token: (dense, attention, lm_head) for a training sequence length (arrays ok)."""
    dense = float(dense_flops_per_token(spec))
    attention = attention_flops_per_token(spec, _arr(seq_len))
    lm_head = 2.0 * spec.vocab_size * spec.hidden_size
    return dense, attention, lm_head


def model_flops_per_token(spec: ModelSpec, seq_len: npt.ArrayLike) -> np.ndarray:
    """Model FLOPs per trained token (PaLM appendix B): 3 x (dense + attention) forward FLOPs, which is
    6N + 12 L H Q T."""
    dense, attention, _ = flops_per_token(spec, seq_len)
    return 3.0 * (dense + attention)


def hardware_flops_per_token(spec: ModelSpec, seq_len: npt.ArrayLike, recompute: npt.ArrayLike) -> np.ndarray:
    """FLOPs actually executed per token including recomputation (recompute: 0 none, 1 selective, 2 full)."""
    dense, attention, lm_head = flops_per_token(spec, seq_len)
    rc = _arr(recompute, int)
    extra = np.where(rc == 2, dense - lm_head + attention, np.where(rc == 1, attention, 0.0))
    return 3.0 * (dense + attention) + extra


def flash_attention_flops(
    attn_fwd_flops: npt.ArrayLike,
    recompute: npt.ArrayLike,
    assumptions: TrainingAssumptions = DEFAULT_ASSUMPTIONS,
) -> np.ndarray:
    """FLOPs a FlashAttention kernel EXECUTES for `attn_fwd_flops` (one forward over the full s x s square,
    as attention_flops_per_token counts it): forward 1 + backward 2.5 (5 matmuls against the forward's 2: the
    backward recomputes QK^T; Dao 2023 sec 4.1, benchmark_flash_attention.py) + 1 more forward under full
    recomputation (selective recomputation adds nothing: FlashAttention already recomputes the scores),
    x 1/2 for a causal mask."""
    rc = _arr(recompute, int)
    passes = 1.0 + 2.5 + np.where(rc == 2, 1.0, 0.0)
    causal = 0.5 if assumptions.causal_attention else 1.0
    return _arr(attn_fwd_flops) * passes * causal


def bubble_fraction(
    pp: npt.ArrayLike, microbatches: npt.ArrayLike, virtual_stages: npt.ArrayLike = 1
) -> np.ndarray:
    """Pipeline bubble relative to the ideal step: (p-1)/m for 1F1B, (p-1)/(m v) interleaved (Narayanan et al.
    2021 sec 2.2.1 and 2.2.2)."""
    return (_arr(pp) - 1.0) / (_arr(microbatches) * _arr(virtual_stages))


def step_model(
    spec: ModelSpec,
    gpu: GpuSpec,
    tiers: Tiers,
    *,
    tp: npt.ArrayLike,
    pp: npt.ArrayLike,
    dp: npt.ArrayLike,
    cp: npt.ArrayLike = 1,
    ep: npt.ArrayLike = 1,
    micro_batch: npt.ArrayLike = 1,
    global_batch: npt.ArrayLike,
    seq_len: npt.ArrayLike,
    recompute: npt.ArrayLike = 1,
    sequence_parallel: npt.ArrayLike = True,
    zero_stage: npt.ArrayLike = 1,
    virtual_stages: npt.ArrayLike | None = None,
    assumptions: TrainingAssumptions = DEFAULT_ASSUMPTIONS,
    dtype: str = "bf16",
    precision: str | None = None,
) -> dict[str, Any]:
    """Step time and its parts for arrays of layouts. Returns a dict of arrays (seconds, FLOPs, fractions).

    precision: the training recipe of the linear layers' GEMMs (engine.precision: bf16, fp8, fp8-delayed,
    fp8-current, fp8-blockwise, mxfp8, nvfp4); None = `dtype` (the older keyword, same names). The linear
    GEMMs run at the GPU's measured rate for that precision (MAMF; else peak x mamf_fraction_of_peak) x
    matmul_fraction_of_mamf x the recipe's relative efficiency; the LM head, attention core, elementwise
    work and the optimizer are unchanged; quantising the GEMM inputs adds HBM traffic. MFU stays a fraction
    of the dense 16-bit peak, as published FP8 runs report it (Megatron Bridge performance summary; Llama 3
    sec 3.3.4 reports BF16 MFU).

    global_batch: sequences per optimizer step; micro_batch: sequences per micro-batch per DP replica;
    recompute: 0 none, 1 selective, 2 full.  Layout validity (divisibility) is the caller's business:
    `layout_valid` gives the mask.
    """
    a = assumptions
    tp, pp, dp, cp, ep = (_arr(x) for x in (tp, pp, dp, cp, ep))
    mb, gb, seq = _arr(micro_batch), _arr(global_batch), _arr(seq_len)
    rc = _arr(recompute, int)
    sp = _arr(sequence_parallel, bool)
    zero = _arr(zero_stage, int)
    n_gpus = tp * pp * dp * cp

    L, h = spec.layers, spec.hidden_size
    heads, kv_heads, d = spec.attention_heads, spec.kv_heads, spec.head_dim_resolved
    counts = param_counts(spec)

    # ---- FLOPs
    tokens = gb * seq
    model_fpt = model_flops_per_token(spec, seq)
    hw_fpt = hardware_flops_per_token(spec, seq, rc)
    model_flops = model_fpt * tokens
    hw_flops = hw_fpt * tokens

    prec = training_precision(precision or dtype, gpu)
    peak = float(gpu.peak_flops_per_s.half_precision)  # MFU denominator: dense 16-bit peak
    matmul_rate = _gemm_rate(gpu, "bf16", a)  # bf16 GEMMs (LM head; all GEMMs in a bf16 run)
    linear_rate = _gemm_rate(gpu, prec.gemm_dtype, a) * prec.gemm_relative_efficiency
    hbm = float(gpu.measured_hbm_bandwidth_bytes_per_s or gpu.hbm_bandwidth_bytes_per_s * a.hbm_fraction)

    # uneven pipelines: the slowest stage holds ceil(L/pp) layers and sets the pace (Llama 3 sec 3.3.2 runs
    # 126 layers on 16 stages this way)
    imbalance = np.ceil(L / pp) / (L / pp)
    # attention core (QK^T, AV): with FlashAttention a separate kernel at its own rate (flash_attention_flops)
    attn_fwd_tokens = attention_flops_per_token(spec, seq) * tokens  # full square, one forward
    attn_counted = attn_fwd_tokens * (3.0 + np.where(rc >= 1, 1.0, 0.0))  # in hw_flops (selective/full +1)
    # LM head GEMMs (3 passes, never recomputed) stay bf16 in every recipe; the rest runs at linear_rate
    head_flops = 3.0 * 2.0 * spec.vocab_size * h * tokens
    linear_flops = hw_flops - attn_counted - head_flops
    f16 = prec.bf16_linear_fraction  # linear GEMMs a recipe keeps in BF16 (engine.precision)
    linear_time_flops = linear_flops * ((1.0 - f16) / linear_rate + f16 / matmul_rate)
    t_gemm = (linear_time_flops + head_flops / matmul_rate) / n_gpus * imbalance
    if a.flash_attention:
        attn_rate = (
            float(gpu.peak_flops_per_s.half_precision) * a.attention_efficiency
        )  # 16-bit kernel (see assumption)
        t_attn = flash_attention_flops(attn_fwd_tokens, rc, a) / n_gpus / attn_rate * imbalance
    else:
        attn_rate = matmul_rate
        t_attn = attn_counted / n_gpus / matmul_rate * imbalance
    t_matmul = t_gemm + t_attn

    # ---- elementwise HBM traffic (Korthikanti Table 2: 34 h/t with SP; 10 h + 24 h/t without)
    per_hidden = np.where(
        sp, a.elementwise_bytes_per_hidden / tp, a.elementwise_bytes_per_hidden * (10.0 + 24.0 / tp) / 34.0
    )
    bytes_tok_layer = per_hidden * h * a.activation_bytes / 2.0
    if not a.flash_attention:
        bytes_tok_layer = (
            bytes_tok_layer + 2.0 * 5.0 * heads * seq / tp
        )  # scores, softmax, dropout (5as/h x h)
    passes = np.where(rc == 2, 4.0, 3.0)
    tokens_per_gpu = tokens / (dp * cp)
    t_elem = tokens_per_gpu * np.ceil(L / pp) * bytes_tok_layer * passes / hbm
    # quantising the GEMM inputs (low-precision recipes): per token per layer the inputs of the QKV, output,
    # up/gate and down projections forward, and the gradients flowing into them backward (engine.precision)
    if prec.quantize_bytes_per_element > 0.0:
        q_elems = 2.0 * _linear_input_elements(spec) / tp  # forward inputs + backward output-gradients
        q_passes = np.where(rc == 2, 1.5, 1.0)  # full recomputation quantises the forward inputs again
        t_elem = t_elem + (
            tokens_per_gpu * np.ceil(L / pp) * q_elems * q_passes * prec.quantize_bytes_per_element / hbm
        )

    # ---- parameters held per GPU (embedding/LM head counted with the layers: a small error for PP)
    expert = float(counts.expert)
    non_expert = float(counts.total) - expert
    params_gpu = non_expert / (tp * pp) + expert / (tp * pp * ep)
    opt_shard = np.where(zero >= 1, dp, 1.0)
    t_opt = params_gpu / opt_shard * a.optimizer_bytes_per_param / hbm

    compute = t_matmul + t_elem + t_opt

    # ---- micro-batches
    m = gb / (dp * mb)
    v = _arr(a.virtual_stages if virtual_stages is None else virtual_stages)
    v = np.where(v <= 0, auto_virtual_stages(spec.layers, pp, m), v)  # 0 = auto

    # ---- TP: activation tensor of one micro-batch on one CP rank
    act_bytes = mb * (seq / cp) * h * a.activation_bytes
    n_coll = np.where(rc == 2, 6.0, 4.0)  # 2 fwd + 2 bwd (+2 recomputed forward)
    # with SP an all-gather + reduce-scatter pair replaces each all-reduce: same bytes, two launches
    tp_sp = n_coll * (
        hierarchical_time_s("allgather", act_bytes, tp, 1.0, tiers)
        + hierarchical_time_s("reducescatter", act_bytes, tp, 1.0, tiers)
    )
    tp_ar = n_coll * hierarchical_time_s("allreduce", act_bytes, tp, 1.0, tiers)
    tp_one_layer = np.where(sp, tp_sp, tp_ar)
    t_tp = np.where(tp > 1, m * np.ceil(L / pp) * tp_one_layer * a.tp_exposed_fraction, 0.0)
    tp_beyond_domain = tp > tiers.domain_gpus

    # ---- CP: ring attention, KV chunk of one micro-batch (kv heads split by TP)
    kv_chunk = mb * (seq / cp) * 2.0 * np.maximum(kv_heads / tp, 1.0) * d * a.activation_bytes
    # the ring's slowest hop sets the pace: scale-out as soon as the CP group leaves the scale-up domain
    cp_inside = members_in_domain(cp, tp, tiers.domain_gpus) >= cp
    ring_hop = np.where(
        cp_inside,
        hierarchical_time_s("p2p", kv_chunk, 2.0, 1.0, tiers),
        hierarchical_time_s("p2p", kv_chunk, 2.0, float(tiers.domain_gpus), tiers),
    )
    ring_fwd = (cp - 1.0) * ring_hop
    ring_total = ring_fwd * (1.0 + 2.0 + np.where(rc >= 1, 1.0, 0.0))
    # attention compute of one micro-batch on one layer of one CP rank (the window the KV ring hides behind)
    attn_time_layer = t_attn / imbalance / m / (L / pp)
    t_cp = np.where(cp > 1, m * np.ceil(L / pp) * np.maximum(ring_total - attn_time_layer, 0.0), 0.0)

    # ---- EP: all-to-all dispatch + combine, forward and backward, every MoE layer
    if spec.moe is not None:
        moe_layers = L - spec.moe.dense_layers
        a2a_bytes = (
            mb * (seq / cp) * spec.moe.experts_per_token * h * a.activation_bytes / np.where(sp, tp, 1.0)
        )
        n_a2a = np.where(rc == 2, 6.0, 4.0)
        a2a = n_a2a * hierarchical_time_s("alltoall", a2a_bytes, ep, tp * cp, tiers)
        t_ep = np.where(ep > 1, m * (moe_layers / pp) * a2a * a.ep_exposed_fraction, 0.0)
        t_moe_fixed = m * np.ceil(moe_layers / pp) * a.moe_layer_overhead_s
    else:
        t_ep = np.zeros(np.broadcast(tp, pp, dp, cp).shape)
        t_moe_fixed = 0.0 * t_ep

    # ---- PP: point-to-point activation sends between stages; each TP rank sends 1/t of the tensor (the
    # scatter/gather optimisation, Narayanan et al. 2021 sec 4.1; with SP the tensor is already split)
    p2p_bytes = act_bytes / tp
    stage_stride = tp * cp * dp
    p2p_one = hierarchical_time_s("p2p", p2p_bytes, 2.0, stage_stride, tiers)
    t_p2p = np.where(pp > 1, 2.0 * m * v * p2p_one, 0.0)

    compute = compute + t_moe_fixed
    ideal = compute + t_tp + t_cp + t_ep
    bubble_frac = np.where(pp > 1, bubble_fraction(pp, m, v), 0.0)
    t_bubble = bubble_frac * (ideal - t_opt)

    # ---- DP: gradient reduction over the dp x cp ranks that hold the same weights (Megatron-LM reduces
    # gradients over the combined data+context group), stride tp in Megatron's rank order
    grad_bytes = params_gpu * a.gradient_bytes
    bucket_bytes = (
        np.maximum(a.dp_bucket_min_params, a.dp_bucket_params_per_rank * dp * cp) * a.gradient_bytes
    )
    dp_full, dp_last = bucketed_time_s("allreduce", grad_bytes, bucket_bytes, dp * cp, tp, tiers)
    bwd_share = np.where(rc == 2, 2.0 / 4.0, 2.0 / 3.0)
    window = (t_matmul + t_elem) * bwd_share / np.maximum(m, 1.0)
    if a.dp_overlap:
        exposed_dp = np.maximum(np.maximum(dp_full * a.dp_min_exposed_fraction, dp_last), dp_full - window)
    else:
        exposed_dp = dp_full
    # ZeRO-3 / FSDP: per layer and micro-batch, collectives of one layer's parameters (zero3_step_comm)
    z3_total, z3_exposed = zero3_step_comm(
        params_gpu / np.ceil(L / pp),
        layers=np.ceil(L / pp),
        microbatches=m,
        fwd_time_s=(t_matmul + t_elem) * (1.0 - bwd_share),
        bwd_time_s=(t_matmul + t_elem) * bwd_share,
        dp=dp * cp,
        stride=tp,
        tiers=tiers,
        param_bytes=a.zero3_param_bytes,
        grad_bytes=a.gradient_bytes,
        overlap=a.dp_overlap,
    )
    exposed_dp = np.where(zero >= 3, z3_exposed, exposed_dp)
    dp_full = np.where(zero >= 3, z3_total, dp_full)
    t_dp = np.where(dp * cp > 1, exposed_dp, 0.0)

    step = compute + t_tp + t_cp + t_ep + t_p2p + t_bubble + t_dp
    comm_exposed = t_tp + t_cp + t_ep + t_p2p + t_dp

    return {
        "step_time_s": step,
        "compute_time_s": compute,
        "matmul_time_s": t_matmul,
        "elementwise_time_s": t_elem,
        "optimizer_time_s": t_opt,
        "bubble_time_s": t_bubble,
        "bubble_fraction": bubble_frac,
        "tp_comm_time_s": t_tp,
        "cp_comm_time_s": t_cp,
        "ep_comm_time_s": t_ep,
        "pp_comm_time_s": t_p2p,
        "dp_comm_time_s": t_dp,
        "dp_comm_total_time_s": np.where(dp * cp > 1, dp_full, 0.0),
        "uneven_pipeline": (L % pp) != 0,
        "exposed_comm_time_s": comm_exposed,
        "microbatches": m,
        "virtual_stages": v * np.ones_like(step),
        "tokens_per_step": tokens * np.ones_like(step),
        "model_flops_per_step": model_flops * np.ones_like(step),
        "hardware_flops_per_step": hw_flops * np.ones_like(step),
        "tokens_per_s": tokens / step,
        "model_flops_per_s_per_gpu": model_flops / step / n_gpus,
        "hardware_flops_per_s_per_gpu": hw_flops / step / n_gpus,
        "mfu": model_flops / step / n_gpus / peak,
        "hfu": hw_flops / step / n_gpus / peak,
        "gpus": n_gpus,
        "tp_beyond_scale_up": tp_beyond_domain,
        "params_per_gpu": params_gpu,
        "peak_flops_per_s": peak,
        "matmul_flops_per_s": matmul_rate,
        "attention_time_s": t_attn,
        "attention_flops_per_s": attn_rate,
        "linear_flops_per_s": linear_rate,
    }


def _gemm_rate(gpu: GpuSpec, dtype: str, a: TrainingAssumptions) -> float:
    """Achievable GEMM FLOP/s in a training step for one precision: the GPU's measured rate (MAMF, the
    profile's measured_matmul_flops_per_s) where published, else its dense peak x mamf_fraction_of_peak; then
    x matmul_fraction_of_mamf (see TrainingAssumptions)."""
    peak = gpu.peak_flops_per_s.for_dtype(dtype) or gpu.peak_flops_per_s.half_precision
    measured = gpu.measured_matmul_flops_per_s.get(dtype) if gpu.measured_matmul_flops_per_s else None
    mamf = float(measured) if measured else float(peak) * a.mamf_fraction_of_peak
    return mamf * a.matmul_fraction_of_mamf


def _linear_input_elements(spec: ModelSpec) -> float:
    """Elements per token per layer entering the transformer block's linear GEMMs (before TP): QKV and MLP
    inputs h each, the output projection's heads x head_dim, the down projection's ffn (MoE: per routed
    expert and shared expert)."""
    h = float(spec.hidden_size)
    o_in = float(spec.attention_heads * spec.head_dim_resolved)
    if spec.moe is not None:
        e = spec.moe
        f = float(e.expert_ffn_size)
        mlp = e.experts_per_token * (h + f) + e.shared_experts * (h + float(e.shared_expert_ffn_size or f))
    else:
        mlp = h + float(spec.ffn_size)
    return h + o_in + mlp


def zero3_step_comm(
    layer_params: npt.ArrayLike,
    *,
    layers: npt.ArrayLike,
    microbatches: npt.ArrayLike,
    fwd_time_s: npt.ArrayLike,
    bwd_time_s: npt.ArrayLike,
    dp: npt.ArrayLike,
    stride: npt.ArrayLike,
    tiers: Tiers,
    param_bytes: float = 2.0,
    grad_bytes: float = 2.0,
    overlap: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    """ZeRO-3 / FSDP communication of one step on one GPU: (total, exposed) seconds.

    Per micro-batch and layer (one FSDP unit = one transformer layer): an all-gather of the layer's
    parameters before its forward, another before its backward, and a reduce-scatter of its gradients after
    it (Rajbhandari et al. 2020 sec 7.2.2; Zhao et al. 2023 sec 3.3), each a collective of ONE layer's bytes
    over the dp ranks, paying its own latency steps (collectives.hierarchical_time_s). Overlap is per layer
    and bounded by that layer's compute (prefetch of the next layer while this one computes): exposed =
    max(0, all-gather - forward of one layer) + max(0, all-gather + reduce-scatter - backward of one layer)
    per layer-micro-batch, plus the first all-gather of each micro-batch's forward, which nothing hides.
    fwd_time_s / bwd_time_s: forward / backward compute of the whole step on this GPU (all micro-batches,
    all its layers). Without overlap everything is exposed.
    """
    layers_a, m = _arr(layers), np.maximum(_arr(microbatches), 1.0)
    ag = hierarchical_time_s("allgather", _arr(layer_params) * param_bytes, dp, stride, tiers)
    rs = hierarchical_time_s("reducescatter", _arr(layer_params) * grad_bytes, dp, stride, tiers)
    units = m * layers_a
    total = units * (2.0 * ag + rs)
    if not overlap:
        return total, total
    f_layer = _arr(fwd_time_s) / units
    b_layer = _arr(bwd_time_s) / units
    exposed = units * (np.maximum(0.0, ag - f_layer) + np.maximum(0.0, ag + rs - b_layer)) + m * ag
    return total, np.minimum(exposed, total)


def auto_virtual_stages(layers: int, pp: npt.ArrayLike, microbatches: npt.ArrayLike) -> np.ndarray:
    """Default interleaving: one layer per model chunk (v = layers per stage), as far as Megatron-LM allows it
    (interleaving needs the micro-batch count divisible by p; Narayanan et al. 2021 sec 2.2.2). More chunks
    shrink the bubble and multiply the p2p sends, which the step model charges."""
    pp, m = _arr(pp), _arr(microbatches)
    v = np.maximum(np.floor(layers / pp), 1.0)
    return np.where((pp > 1) & (np.mod(m, pp) == 0), v, 1.0)


def time_to_train(result: dict, train_tokens: npt.ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Wall-clock seconds and GPU-hours to train on `train_tokens` at the modelled step rate."""
    seconds = _arr(train_tokens) / result["tokens_per_s"]
    return seconds, seconds * result["gpus"] / 3600.0


def dominant_term(result: dict) -> tuple[np.ndarray, np.ndarray]:
    """Name and share of the largest non-compute part of each step (why a layout is slow or fast)."""
    names = np.array(["compute", "pipeline bubble", "TP comm", "DP comm", "PP comm", "CP comm", "EP comm"])
    stack = np.stack(
        np.broadcast_arrays(
            result["compute_time_s"],
            result["bubble_time_s"],
            result["tp_comm_time_s"],
            result["dp_comm_time_s"],
            result["pp_comm_time_s"],
            result["cp_comm_time_s"],
            result["ep_comm_time_s"],
        )
    )
    overhead = stack[1:]
    return names[1:][np.argmax(overhead, axis=0)], overhead.max(axis=0) / stack.sum(axis=0)


def layout_valid(
    spec: ModelSpec,
    *,
    tp: npt.ArrayLike,
    pp: npt.ArrayLike,
    dp: npt.ArrayLike,
    cp: npt.ArrayLike = 1,
    ep: npt.ArrayLike = 1,
    micro_batch: npt.ArrayLike = 1,
    global_batch: npt.ArrayLike,
    seq_len: npt.ArrayLike,
    gpus: npt.ArrayLike | None = None,
) -> np.ndarray:
    """Mask of layouts a real framework accepts: TP divides heads (and KV heads, or KV heads divide TP so they
    replicate), PP divides layers, DP x micro-batch divides the global batch, CP divides the sequence into 2cp
    load-balanced chunks, EP divides the experts and DP (Megatron-LM: EP inside DP), product == gpus."""
    tp, pp, dp, cp, ep, mb = (np.asarray(x, dtype=np.int64) for x in (tp, pp, dp, cp, ep, micro_batch))
    gb, seq = np.asarray(global_batch, dtype=np.int64), np.asarray(seq_len, dtype=np.int64)
    ok = (spec.attention_heads % tp == 0) & ((spec.kv_heads % tp == 0) | (tp % spec.kv_heads == 0))
    ok &= spec.layers % pp == 0
    ok &= gb % (dp * mb) == 0
    ok &= ((seq % (2 * cp)) == 0) | (cp == 1)
    experts = spec.moe.experts if spec.moe is not None else 1
    ok &= (experts % ep == 0) & (dp % ep == 0)
    if gpus is not None:
        ok &= tp * pp * dp * cp == np.asarray(gpus, dtype=np.int64)
    return ok


# ------------------------------------------------------------------------------------------ layout search

LAYOUT_FIELDS = ("tp", "pp", "dp", "cp", "ep", "micro_batch", "zero_stage", "recompute", "sequence_parallel")


def _divisors(n: int) -> list[int]:
    """Divisors of n in increasing order, from the pairs (d, n // d) with d <= sqrt(n): O(sqrt n), so a
    count at its schema bound costs microseconds, not a scan of 1..n."""
    small = [d for d in range(1, math.isqrt(n) + 1) if n % d == 0]
    return small + [n // d for d in reversed(small) if d * d != n]


def candidate_values(
    spec: ModelSpec,
    gpus: int,
    *,
    seq_len: int,
    fixed: dict | None = None,
    micro_batches: Sequence[int] = (1, 2, 4, 8, 16),
    min_tokens_per_cp_rank: int = 4096,
) -> dict[str, list[int]]:
    """The values each layout dimension may take for a model on `gpus` GPUs (before the joint checks).

    TP: divisors of the attention heads that also divide, or are multiples of, the KV heads (KV heads then
    replicate); PP: 1..layers dividing the GPU count (uneven stages allowed, the slowest stage is charged);
    CP: powers of two up to 32 with 2 cp load-balanced chunks of the sequence and at least
    `min_tokens_per_cp_rank` tokens per rank (context parallelism is for long sequences: Llama 3 uses CP only
    at 128k context, 8k tokens per rank; below ~4k tokens per rank the attention blocks are too small to hide
    the KV ring and the step model does not charge that kernel inefficiency, so the search does not offer
    it); EP: divisors of the experts (MoE).
    `fixed` pins any dimension (the user's --tp etc.)."""
    fixed = {k: v for k, v in (fixed or {}).items() if v is not None}
    heads, kvh = spec.attention_heads, spec.kv_heads
    values = {
        "tp": [t for t in _divisors(heads) if t <= gpus and (kvh % t == 0 or t % kvh == 0) and gpus % t == 0],
        "pp": [p for p in _divisors(gpus) if p <= spec.layers],
        "cp": [
            c
            for c in (1, 2, 4, 8, 16, 32)
            if c == 1 or (gpus % c == 0 and seq_len % (2 * c) == 0 and seq_len // c >= min_tokens_per_cp_rank)
        ],
        "ep": ([e for e in _divisors(spec.moe.experts) if e <= gpus] if spec.moe is not None else [1]),
        "micro_batch": list(micro_batches),
        "zero_stage": [0, 1, 2, 3],
        "recompute": [0, 1, 2],
        "sequence_parallel": [0, 1],
    }
    for key, value in fixed.items():
        values[key] = [int(value)]
    return values


def enumerate_layouts(
    spec: ModelSpec,
    gpus: int,
    *,
    global_batch: int,
    seq_len: int,
    fixed: dict | None = None,
    micro_batches: Sequence[int] = (1, 2, 4, 8, 16),
) -> dict[str, np.ndarray]:
    """Every valid layout as parallel int arrays (one entry per candidate): the Cartesian product of
    candidate_values, dp = gpus / (tp pp cp), filtered by layout_valid. SP only where TP > 1."""
    values = candidate_values(spec, gpus, seq_len=seq_len, fixed=fixed, micro_batches=micro_batches)
    if fixed and fixed.get("dp") is not None:
        values.pop("dp", None)
    names = ["tp", "pp", "cp", "ep", "micro_batch", "zero_stage", "recompute", "sequence_parallel"]
    grids = np.meshgrid(*(np.asarray(values[k], dtype=np.int64) for k in names), indexing="ij")
    out = {k: g.ravel() for k, g in zip(names, grids, strict=True)}
    denom = out["tp"] * out["pp"] * out["cp"]
    out["dp"] = gpus // denom
    keep = (gpus % denom == 0) & (out["dp"] >= 1)
    if fixed and fixed.get("dp") is not None:
        keep &= out["dp"] == int(fixed["dp"])
    keep &= (out["sequence_parallel"] == 0) | (out["tp"] > 1)
    keep &= ~((out["sequence_parallel"] == 0) & (out["tp"] > 1))  # SP is free with TP: never worse, keep one
    out = {k: v[keep] for k, v in out.items()}
    keep = layout_valid(
        spec,
        tp=out["tp"],
        pp=np.ones_like(out["pp"]),
        dp=out["dp"],
        cp=out["cp"],
        ep=out["ep"],
        micro_batch=out["micro_batch"],
        global_batch=global_batch,
        seq_len=seq_len,
    )
    return {k: v[keep] for k, v in out.items()}


def evaluate_layouts(
    spec: ModelSpec,
    gpu: GpuSpec,
    tiers: Tiers,
    layouts: dict,
    *,
    global_batch: int,
    seq_len: int,
    assumptions: TrainingAssumptions = DEFAULT_ASSUMPTIONS,
    usable_bytes: float | None = None,
    dtype: str = "bf16",
    chunk: int = 1 << 16,
    progress: Callable[[int, int], object] | None = None,
    precision: str | None = None,
    first_stage_layers: int | None = None,
) -> dict[str, np.ndarray]:
    """Step model + memory for every layout, in chunks (progress(done, total) after each, if given).
    usable_bytes: per-GPU memory budget; adds 'memory_bytes' and the 'fits' mask. precision: the training
    recipe (engine.precision; None = dtype). first_stage_layers: transformer layers on the first pipeline
    stage of an uneven layout (memory.training_memory_per_gpu; Llama 3: one fewer on the first and last)."""
    recipe = precision or dtype
    from llmwalls.engine.memory import training_memory_per_gpu

    n = len(layouts["tp"])
    out: dict[str, np.ndarray] = {}
    for start in range(0, max(n, 1), chunk):
        sl = {k: v[start : start + chunk] for k, v in layouts.items()}
        sp = sl["sequence_parallel"].astype(bool)
        r = step_model(
            spec,
            gpu,
            tiers,
            tp=sl["tp"],
            pp=sl["pp"],
            dp=sl["dp"],
            cp=sl["cp"],
            ep=sl["ep"],
            micro_batch=sl["micro_batch"],
            global_batch=global_batch,
            seq_len=seq_len,
            recompute=sl["recompute"],
            sequence_parallel=sp,
            zero_stage=sl["zero_stage"],
            assumptions=assumptions,
            precision=recipe,
        )
        mem = training_memory_per_gpu(
            spec,
            tp=sl["tp"],
            pp=sl["pp"],
            dp=sl["dp"],
            ep=sl["ep"],
            cp=sl["cp"],
            micro_batch=sl["micro_batch"],
            seq_len=seq_len,
            zero_stage=sl["zero_stage"],
            recompute=sl["recompute"],
            sequence_parallel=sp,
            flash_attention=assumptions.flash_attention,
            precision=recipe,
            first_stage_layers=first_stage_layers,
            microbatches=global_batch / (sl["dp"] * sl["micro_batch"]),
        )
        # Routed-expert ZeRO state is sharded over the expert-data-parallel group dp x cp / ep inside
        # engine.memory (expert_data_parallel_size; Megatron-core parallel_state).
        total = mem["total"]
        r["memory_bytes"] = total
        r["fits"] = total <= (np.inf if usable_bytes is None else usable_bytes)
        end = start + len(sl["tp"])
        for k, v in r.items():
            v = np.asarray(v)
            if k not in out:
                out[k] = np.empty(n, dtype=v.dtype)
            out[k][start:end] = v  # broadcasts scalars; one write, no concatenation
        if progress is not None:
            progress(end, n)
    return out


def rank_layouts(result: dict, top: int = 5) -> np.ndarray:
    """Indices of the fastest layouts that fit, best first (ties: fewer GPUs of TP, then less memory)."""
    ok = np.flatnonzero(result["fits"])
    order = np.lexsort((result["memory_bytes"][ok], -result["tokens_per_s"][ok]))
    return ok[order[:top]]
