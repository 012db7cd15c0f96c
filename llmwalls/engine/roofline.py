"""Prefill and decode against a GPU's roofline (Williams, Waterman & Patterson 2009, "Roofline: an insightful
visual performance model", CACM 52(4)): FLOPs and HBM bytes per operator class, arithmetic intensity, the
attainable FLOP/s under the two roofs, time per phase, tokens/s, MFU, bandwidth utilisation and the batch at
which decode turns compute-bound.

Pure and vectorised: ``batch``, ``prompt_tokens``, ``context_tokens`` and ``tp`` are numpy-broadcastable;
every result is an array of their broadcast shape. Nothing here prints, parses or reads files.

Model of one forward step (per GPU of a tensor-parallel group, SI units):
- Operator classes: ``qkv`` (Q/K/V projections, MLA down/up projections, pre-attention norm), ``attention``
  (scores QK^T and context AV, KV-cache read and write), ``attn_out`` (output projection), ``mlp`` (dense
  MLPs, MoE shared experts and routers, pre-MLP norm), ``experts`` (routed MoE experts), ``lm_head`` (final
  norm and vocabulary projection).
- FLOPs: 2 per multiply-accumulate of every weight per token (Kaplan et al. 2020, sec 2.1); attention as in
  ``engine.model.attention_flops_per_token``.
- Bytes: every weight an operator uses is read once per step (weights stay in HBM; at batch > 1 all sequences
  share the read), activations are read once and written once at the operator's boundaries (fused
  element-wise ops, FlashAttention-style attention that never writes the score matrix: Dao et al. 2022), the
  KV cache is read by decode attention (only the cached tokens: sliding windows cap it) and written once for
  every new token.
- Time of a phase = SUM over operators of max(FLOPs / attainable compute, bytes / attainable bandwidth), plus
  the tensor-parallel all-reduces. Summing per-operator maxima is more honest than taking the phase's
  max(total FLOPs / compute, total bytes / bandwidth): a memory-bound attention cannot hide behind a
  compute-bound MLP because they run one after the other. Communication is not overlapped with compute.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from llmwalls.engine import model as mdl
from llmwalls.errors import InputError
from llmwalls.specs import GpuSpec, ModelSpec

OPERATORS = ("qkv", "attention", "attn_out", "mlp", "experts", "lm_head")
PHASES = ("prefill", "decode")

# Largest batch searched for the critical decode batch (above it we report "never compute-bound").
CRITICAL_BATCH_SEARCH_MAX = 2**20

# Weight-only quantised decode: dequantisation is not free. The pace at which a weight-only kernel (int8/int4
# weights dequantised to bf16 inside the matmul) streams its weights, as a fraction of the bf16 kernel's pace
# (RooflineAssumptions.bandwidth_efficiency). gpt-fast's own achieved-bandwidth column (pytorch-labs/gpt-fast
# README @0f925b5d, 1x A100-80GB at 330 W, batch 1) gives bf16 1,397 GB/s (Llama-2-7B), int8 1,069 and 1,323
# GB/s (7B, 70B), int4 group 32 863 and 1,098 GB/s (7B, 70B).
# CHOSEN on those four single-GPU rows: the factor with which each row's predicted tokens/s equals the
# published one (7B int8 0.781, 70B int8 0.993; 7B int4 0.514, 70B int4 0.681), geometric mean per format:
# int8 sqrt(0.781 x 0.993) = 0.88, int4 sqrt(0.514 x 0.681) = 0.59. JUDGED on the gpt-fast tensor-parallel
# rows (70B TP8 int8 and int4) and on torchao's rows (pytorch/ao torchao/quantization/README.md: Llama-2-7B
# and Llama-3-8B, int8wo and int4wo-64, other code and group size): docs/validation.md, item 5.
# Both describe tinygemm-class kernels. Marlin (Frantar et al. 2024, "MARLIN: Mixed-Precision Auto-Regressive
# Parallel Inference on Large Language Models", arXiv:2408.11743; IST-DASLab/marlin README) reaches close to
# the ideal 3.87x over fp16 at batch 1 on large matrices, i.e. a factor near 1.0: set 1.0 for such kernels.
# TensorRT-LLM's INT4-AWQ Llama-3-70B at batch 1 on H100 (47.5 tokens/s, NVIDIA/TensorRT-Model-Optimizer
# benchmark.md @45cb1ab2) implies about 0.79.
# What one factor per format cannot capture: the 7B rows need a lower factor than the 70B rows, which points
# to a fixed cost per layer (kernel launches, small-GEMV tails) that bf16's bandwidth efficiency absorbs and
# that does not shrink with the weights.
INT8_WEIGHT_ONLY_BANDWIDTH_FACTOR = 0.88
INT4_WEIGHT_ONLY_BANDWIDTH_FACTOR = 0.59

FloatArray = npt.NDArray[np.float64]
Ops = dict[str, dict[str, Any]]


@dataclass(frozen=True)
class RooflineAssumptions:
    """The judgement calls of the roofline model. Each is named, sourced and overridable from the CLI.

    bandwidth_efficiency (--bandwidth-efficiency): fraction of the datasheet HBM bandwidth that a real decode
        step reaches end to end (weight-streaming GEMVs, attention, sampling, kernel launch gaps).
        Default 0.65, calibrated on four published decode measurements (docs/calibration-roofline.md:
        gpt-fast Llama-2-7B bf16, Llama-2-70B int8 and Llama-2-70B TP8 on A100-80GB, TensorRT-LLM
        Llama-3.1-8B FP8 offline throughput on H100): predicted/published 0.95-1.10 with it. For scale,
        gpt-fast itself reports 1,397 and 1,323 GB/s achieved (0.685 and 0.649 of the 2,039 GB/s datasheet)
        and an empirical copy peak of ~1,700 GB/s (0.83; the GPUs were power-limited to 330 W). Where the GPU
        profile gives a measured copy bandwidth (``measured_hbm_bandwidth_bytes_per_s``) the fraction is
        capped at measured/peak: no kernel streams faster than a device-to-device copy.
        None = that default; a number overrides it for every GPU.
    flops_efficiency (--flops-efficiency): fraction of the dense datasheet peak a large GEMM reaches.
        Default: the GPU profile's measured maximum achievable matmul FLOP/s (MAMF, Stas Bekman's
        ml-engineering mamf-finder: H100 SXM bf16 794.5 / 989.4 = 0.803, A100 SXM bf16 271.2 / 312 = 0.869)
        for the compute precision when present, else ``default_flops_efficiency``.
    default_flops_efficiency: 0.75, below every MAMF measurement in cases.toml for NVIDIA parts (0.80-0.87)
        and above AMD MI300X's (668.4 / 1307 = 0.51); a GPU without a measurement should get one.
    activation_bytes: 2.0 -- activations and logits are kept in bf16/fp16, also with fp8/int4 weights
        (vLLM, TensorRT-LLM and gpt-fast keep bf16 activations between quantised GEMMs).
    allreduce_latency_s: 25e-6 -- fixed cost of one small tensor-parallel all-reduce inside a node (kernel
        launch, NCCL's low-latency protocol, synchronisation). Calibrated jointly on four published batch-1
        tensor-parallel decode rates (gpt-fast, A100: Llama-2-7B TP2 and TP8, Llama-2-70B TP4 and TP8; see
        docs/validation.md, item 2): 25 µs puts all four within 0.88-1.07x, where the earlier 10 µs guess
        over-predicted 7B TP8 by 1.61x; it is also the order of nccl-tests' small-message all-reduce time on
        8 GPUs. Those four cases are therefore in-sample for this one parameter. Added once per all-reduce,
        two per layer per step (Shoeybi et al. 2019, Megatron-LM, sec 3: one after attention, one after the
        MLP), on top of the ring bandwidth term over the GPU's scale-up link.
    allreduce_link_efficiency: None -- the fraction of the link's one-direction bandwidth that the bandwidth
        term of a serving collective reaches when no cluster profile is given. None takes the measured
        fraction engine.collectives.LinkEfficiency gives the same fabric with ``--cluster``: NVLink 0.80
        (nccl-tests all-reduce busbw / wire: 8x A100 0.783, 8x H200 ring 0.817; ml-engineering, cases.toml
        mleng_a100_node_allreduce, mleng_h200_node_allreduce_ring), xGMI 0.70 for AMD parts, RoCE 0.75 for
        Intel Gaudi, PCIe 0.70 for the PCIe fallback. It was 1.0 (the datasheet wire) until the large-batch
        tensor-parallel serving cases showed the all-reduce too cheap (docs/validation.md, item 2). Even 0.80
        is an upper bound for the 1-64 MiB messages of large-batch decode and prefill: NCCL reaches 40 GB/s
        busbw at 1 MiB, 220 GB/s at 16 MiB and 402 GB/s at 128 MiB on 8x H200
        (mleng_h200_node_allreduce_nvls), so an all-reduce of that size is still charged somewhat fast.
        A number overrides the fraction for every GPU.
    pcie_link_bytes_per_s: 32e9 -- the link tensor parallelism uses on a GPU whose profile has no scale-up
        link (H100 PCIe, L40S): PCIe 4.0 x16, 16 GT/s x 16 lanes x 128/130 = 31.5 GB/s per direction (PCI-SIG
        PCIe 4.0 base specification); a PCIe 5.0 card reaches twice that when every hop is Gen5.
    expert_load_imbalance: 1.0 -- routed tokens on the busiest expert-holding GPU over the mean (MoE routing
        imbalance). 1.0 is a perfectly even load, the assumption of every MoE figure here. A router trained
        with a capacity factor C caps a GPU at C x its even share (GShard, Lepikhin et al. 2020, sec 2.2;
        Switch Transformer, Fedus et al. 2021, sec 2.2: C = 1.0-1.25 in training), and DeepSeek-V3 serving
        replicates hot experts to even it out (DeepSeek-V3 report sec 3.4, redundant experts). Multiplies the
        routed-expert FLOPs and their token traffic on the busiest GPU (the step waits for it); the distinct
        experts read (expected_experts_touched) stay as with uniform routing.
    int8_weight_only_bandwidth_factor / int4_weight_only_bandwidth_factor: INT8_WEIGHT_ONLY_BANDWIDTH_FACTOR /
        INT4_WEIGHT_ONLY_BANDWIDTH_FACTOR (see there) -- the pace at which a weight-only kernel (int8 or int4
        weights dequantised to bf16 inside the matmul: gpt-fast, torchao's tinygemm, AWQ/GPTQ) streams its
        weights, as a fraction of the pace of the bf16 kernel the bandwidth efficiency describes: the weight
        bytes of such a step take bytes / (bandwidth x bandwidth_efficiency x factor). 1.0 for a kernel
        whose dequantisation hides completely behind the load (Marlin on large matrices).
    """

    bandwidth_efficiency: float | None = None
    flops_efficiency: float | None = None
    default_bandwidth_efficiency: float = 0.65
    default_flops_efficiency: float = 0.75
    activation_bytes: float = 2.0
    allreduce_latency_s: float = 25e-6
    allreduce_link_efficiency: float | None = None
    pcie_link_bytes_per_s: float = 32e9
    expert_load_imbalance: float = 1.0
    int8_weight_only_bandwidth_factor: float = INT8_WEIGHT_ONLY_BANDWIDTH_FACTOR
    int4_weight_only_bandwidth_factor: float = INT4_WEIGHT_ONLY_BANDWIDTH_FACTOR

    def __post_init__(self) -> None:
        for name in ("int8_weight_only_bandwidth_factor", "int4_weight_only_bandwidth_factor"):
            value = getattr(self, name)
            if not (math.isfinite(value) and 0.0 < value <= 1.0):
                raise InputError(f"{name} must be in (0, 1], got {value!r}")


def weight_stream_factor(weights: str, assumptions: RooflineAssumptions) -> float:
    """Pace of the weight stream of ``weights`` relative to a bf16 kernel's: the weight-only factor of
    RooflineAssumptions for int8/int4 weights (dequantised to bf16 inside the matmul, model
    .compute_dtype_for_weights), else 1.0: formats that compute in their own precision, and MXFP4/NVFP4
    dequantised on a GPU without fp4 tensor cores (no published batch-1 measurement to set a factor on)."""
    key = weights.lower()
    if key == "int8":
        return assumptions.int8_weight_only_bandwidth_factor
    if key == "int4":
        return assumptions.int4_weight_only_bandwidth_factor
    return 1.0


def compute_dtype(gpu: GpuSpec, weights: str) -> str:
    """The tensor-core precision used for a weight format; InputError when the GPU has no such peak.
    MXFP4/NVFP4 weights on a GPU without fp4 tensor cores are dequantised to bf16 inside the matmul
    kernels (weight-only, as gpt-oss's MXFP4 experts run on Hopper in vLLM and Triton's matmul_ogs), so they
    compute in bf16 there."""
    mdl.weight_bytes_per_param(weights)  # validates the name
    dtype = mdl.compute_dtype_for_weights(weights)
    if dtype == "fp4" and weights.lower() in ("mxfp4", "nvfp4") and gpu.peak_flops_per_s.fp4 is None:
        return "bf16"
    if gpu.peak_flops_per_s.for_dtype(dtype) is None:
        raise InputError(
            f"{gpu.name} has no {dtype} tensor-core peak for --weights {weights}; "
            "use bf16/fp16 weights or int8/int4 weight-only (computed in bf16)"
        )
    return dtype


def efficiencies(gpu: GpuSpec, weights: str, assumptions: RooflineAssumptions) -> tuple[float, float, str]:
    """(bandwidth_efficiency, flops_efficiency, where each came from) for this GPU and weight format."""
    dtype = compute_dtype(gpu, weights)
    peak = float(gpu.peak_flops_per_s.for_dtype(dtype) or 0.0)
    if assumptions.bandwidth_efficiency is not None:
        bw_eff, bw_src = assumptions.bandwidth_efficiency, "--bandwidth-efficiency"
    else:
        bw_eff, bw_src = (
            assumptions.default_bandwidth_efficiency,
            "calibrated default (docs/calibration-roofline.md)",
        )
        if gpu.measured_hbm_bandwidth_bytes_per_s:
            cap = gpu.measured_hbm_bandwidth_bytes_per_s / gpu.hbm_bandwidth_bytes_per_s
            if cap < bw_eff:
                bw_eff, bw_src = cap, "measured copy bandwidth / datasheet"
    if assumptions.flops_efficiency is not None:
        fl_eff, fl_src = assumptions.flops_efficiency, "--flops-efficiency"
    elif dtype in gpu.measured_matmul_flops_per_s:
        fl_eff, fl_src = (
            min(1.0, gpu.measured_matmul_flops_per_s[dtype] / peak),
            "measured matmul (MAMF) / peak",
        )
    else:
        fl_eff, fl_src = assumptions.default_flops_efficiency, "default (no measurement in the GPU profile)"
    return bw_eff, fl_eff, f"bandwidth: {bw_src}; FLOP/s: {fl_src}"


def expected_experts_touched(experts: int, experts_per_token: int, tokens: npt.ArrayLike) -> FloatArray:
    """Expected number of distinct experts hit when ``tokens`` tokens each pick ``experts_per_token`` of
    ``experts`` experts, ASSUMING UNIFORM, INDEPENDENT ROUTING: each expert is missed by one token with
    probability (1 - k/E), so the standard occupancy expectation is E (1 - (1 - k/E)^T). Real routers are
    skewed and touch fewer distinct experts, so at mid-size batches this over-counts the expert bytes read
    (decode estimated somewhat slow)."""
    t = np.asarray(tokens, dtype=float)
    return np.asarray(experts * (1.0 - (1.0 - experts_per_token / experts) ** t), dtype=float)


@dataclass(frozen=True)
class _Layout:
    """Per-model constants the operators need (all whole-model, not per GPU). Per-layer figures are averages
    over the layers, so that x layers they give the whole model's total for mixed attention / linear-attention
    stacks (Qwen3-Next: 12 attention and 36 Gated DeltaNet layers)."""

    qkv_params: float
    qkv_out_dim: float  # activation width leaving the QKV projections, per token per layer
    attn_ctx_dim: float  # width of the attention context (input of the output projection)
    out_params: float
    mlp_params: float  # dense MLPs + shared experts + routers, all layers
    mlp_layers: int
    one_expert_params: float
    moe_layers: int
    norm_params_per_layer: float
    final_norm_params: float
    lm_head_params: float  # the vocabulary projection, tied or not (it is read either way)
    attn_flops_coeff: float  # attention FLOPs per token per attended token (prefill form)
    decode_attn_flops_coeff: float  # same for decode (MLA: absorbed form on the latent)
    kv_bytes_per_token: float
    kv_shard_max: int  # TP ranks the KV cache can be split over (kv heads; 1 for MLA's shared latent)
    linear_flops_per_token: float = 0.0  # recurrences of the linear-attention layers, per token
    state_bytes_per_seq: float = 0.0  # their constant state per sequence, whole model
    state_shard_max: int = 1  # TP ranks that state splits over (value heads)


def _layout(spec: ModelSpec, kv_dtype: str, state_dtype: str = mdl.LINEAR_STATE_DTYPE) -> _Layout:
    counts = mdl.param_counts(spec)
    h, heads, L = spec.hidden_size, spec.attention_heads, spec.layers
    n_attn = mdl.attention_layer_count(spec)
    n_linear = L - n_attn
    norm = spec.norms_per_layer // 2 * (2 * h if spec.norm == "layernorm" else h)
    final_norm = 2 * h if spec.norm == "layernorm" else h
    coeff = mdl.attention_flops_coefficient(spec)  # Kaplan et al. 2020 Table 1
    if spec.mla is not None:
        m = spec.mla
        ctx_dim = heads * m.v_head_dim
        # What leaves the projections per token: queries for every head plus the compressed latent and the
        # shared RoPE key (DeepSeek-V2 sec 2.1.2, eq. 9-14).
        qkv_out = heads * (m.qk_nope_head_dim + m.qk_rope_head_dim) + m.kv_lora_rank + m.qk_rope_head_dim
        # Decode with the up-projections absorbed into the query and output (DeepSeek-V2 sec 2.1.3): every
        # head scores against the (kv_lora_rank + rope) latent and takes a kv_lora_rank-wide context:
        # 2 FLOPs x (kv_lora + rope) + 2 x kv_lora per head per cached token per layer.
        decode_coeff = 2.0 * L * heads * (2 * m.kv_lora_rank + m.qk_rope_head_dim)
        kv_shard_max = 1  # the latent is shared by all heads: TP ranks each keep a full copy
    else:
        d = spec.head_dim_resolved
        ctx_dim = heads * d
        q_width = 2 * heads if spec.attention_output_gate else heads
        qkv_out = (q_width + 2 * spec.kv_heads) * d
        decode_coeff = coeff
        kv_shard_max = spec.kv_heads
    out_params = ctx_dim * h + (h if spec.linear_bias else 0)
    qkv_params = mdl.attention_params_per_layer(spec) - out_params
    out_total, qkv_total = float(n_attn * out_params), float(n_attn * qkv_params)
    ctx_total, qkv_out_total = float(n_attn * ctx_dim), float(n_attn * qkv_out)
    la = spec.linear_attention
    state_shard = 1
    if la is not None and n_linear:
        # Gated DeltaNet (HF Qwen3NextGatedDeltaNet): out_proj value_dim -> h is the output projection, the
        # rest (in_proj_qkvz, in_proj_ba, conv, norm) stands with the QKV projections; what leaves them is
        # q, k, v, z and the two per-head gates.
        value_dim, key_dim = la.value_heads * la.value_head_dim, la.key_heads * la.key_head_dim
        lin_out = value_dim * h
        out_total += n_linear * lin_out
        qkv_total += n_linear * (mdl.linear_attention_params_per_layer(spec) - lin_out)
        ctx_total += n_linear * value_dim
        qkv_out_total += n_linear * (2 * key_dim + 2 * value_dim + 2 * la.value_heads)
        state_shard = la.value_heads
    one_expert, moe_layers = 0.0, mdl.moe_layer_count(spec)
    if counts.expert:
        one_expert = counts.expert / (moe_layers * spec.moe.experts)  # type: ignore[union-attr]
    return _Layout(
        qkv_params=qkv_total / L,
        qkv_out_dim=qkv_out_total / L,
        attn_ctx_dim=ctx_total / L,
        out_params=out_total / L,
        mlp_params=float(counts.dense_mlp),
        mlp_layers=L,
        one_expert_params=float(one_expert),
        moe_layers=moe_layers,
        norm_params_per_layer=float(norm),
        final_norm_params=float(final_norm),
        lm_head_params=float(spec.vocab_size * h),
        attn_flops_coeff=coeff,
        decode_attn_flops_coeff=decode_coeff,
        kv_bytes_per_token=float(mdl.kv_bytes_per_token(spec, kv_dtype)),
        kv_shard_max=kv_shard_max,
        linear_flops_per_token=mdl.linear_attention_flops_per_token(spec),
        state_bytes_per_seq=mdl.linear_state_bytes_per_sequence(spec, state_dtype),
        state_shard_max=state_shard,
    )


def _operators(
    spec: ModelSpec,
    lay: _Layout,
    *,
    tokens: npt.ArrayLike,
    seqs: npt.ArrayLike,
    attn_flops: npt.ArrayLike,
    kv_read_tokens: npt.ArrayLike,
    tp: npt.ArrayLike,
    wb: float,
    ab: float,
    experts_touched: npt.ArrayLike,
    expert_tokens: npt.ArrayLike | None = None,
    expert_shard: npt.ArrayLike | None = None,
    expert_ep: npt.ArrayLike = 1,
    wb_expert: float | None = None,
    state_passes: float = 0.0,
    expert_load_imbalance: float = 1.0,
    weight_factor: float = 1.0,
    expert_weight_factor: float | None = None,
) -> Ops:
    """FLOPs and bytes per operator for one forward step over ``tokens`` new tokens (``seqs`` sequences),
    per GPU of a TP group of ``tp``. Column/row-parallel weights split over tp (Megatron-LM sec 3); the
    full-width hidden activation enters every rank; norms are replicated.
    Routed experts: ``expert_tokens`` tokens (default ``tokens``) are routed to experts spread over
    ``expert_shard`` GPUs (default tp; max(tp, ep) with expert parallelism). With an even load each GPU
    computes 1/shard of the routes and holds 1/shard of every touched expert's bytes (its E/ep experts, each
    split over shard/ep TP ranks): touched x expert bytes / shard. Each GPU receives the full hidden state
    of the routes to its E/ep experts: expert_tokens x k / ep token copies in and out; the busiest GPU gets
    expert_load_imbalance times that (RooflineAssumptions). Routed-expert weights are wb_expert bytes each
    (default wb). Linear-attention layers read and write their constant state: state_passes x the state of
    each sequence (decode 2: read and write; prefill 1: written once).
    Each operator also carries ``weight_bytes`` (the weights it streams, part of ``bytes``) and the pace
    ``weight_factor`` of their stream relative to a bf16 kernel (weight_stream_factor; routed experts:
    ``expert_weight_factor``, default ``weight_factor``)."""
    tokens = np.asarray(tokens, dtype=float)
    seqs = np.asarray(seqs, dtype=float)
    tp = np.asarray(tp, dtype=float)
    expert_tokens = tokens if expert_tokens is None else np.asarray(expert_tokens, dtype=float)
    expert_shard = tp if expert_shard is None else np.asarray(expert_shard, dtype=float)
    expert_ep = np.asarray(expert_ep, dtype=float)
    experts_touched = np.asarray(experts_touched, dtype=float)
    wbe = wb if wb_expert is None else wb_expert
    h, L, V = spec.hidden_size, spec.layers, spec.vocab_size
    kv_shard = np.minimum(tp, lay.kv_shard_max)
    kv_write = tokens * lay.kv_bytes_per_token / kv_shard
    state = seqs * state_passes * lay.state_bytes_per_seq / np.minimum(tp, lay.state_shard_max)
    ops: Ops = {}
    qkv_w = L * (lay.qkv_params * wb / tp + lay.norm_params_per_layer * wb)
    ops["qkv"] = {
        "flops": 2.0 * tokens * lay.qkv_params * L / tp,
        "bytes": qkv_w + L * tokens * ab * (h + lay.qkv_out_dim / tp),
        "weight_bytes": qkv_w,
    }
    ops["attention"] = {
        "flops": np.asarray(attn_flops, dtype=float) / tp,
        "bytes": np.asarray(kv_read_tokens, dtype=float) * lay.kv_bytes_per_token / kv_shard
        + kv_write
        + state
        + L * tokens * ab * (lay.qkv_out_dim + lay.attn_ctx_dim) / tp,
    }
    out_w = L * lay.out_params * wb / tp
    ops["attn_out"] = {
        "flops": 2.0 * tokens * lay.out_params * L / tp,
        "bytes": out_w + L * tokens * ab * (lay.attn_ctx_dim / tp + h),
        "weight_bytes": out_w,
    }
    mlp_w = (lay.mlp_params / tp + L * lay.norm_params_per_layer) * wb
    ops["mlp"] = {
        "flops": 2.0 * tokens * lay.mlp_params / tp,
        "bytes": mlp_w + L * tokens * ab * 2 * h,
        "weight_bytes": mlp_w,
    }
    if spec.moe is not None:
        k = spec.moe.experts_per_token
        routes = expert_tokens * k * expert_load_imbalance
        exp_w = lay.moe_layers * experts_touched * lay.one_expert_params * wbe / expert_shard
        ops["experts"] = {
            "flops": 2.0 * routes * lay.one_expert_params * lay.moe_layers / expert_shard,
            "bytes": exp_w + lay.moe_layers * routes * ab * 2 * h / expert_ep,
            "weight_bytes": exp_w,
        }
    else:
        zero = np.zeros_like(np.asarray(tokens, dtype=float))
        ops["experts"] = {"flops": zero, "bytes": zero, "weight_bytes": zero}
    # Logits only for the last position of each sequence (vLLM/TensorRT-LLM compute no prompt logits);
    # vocabulary-parallel over tp.
    head_w = (lay.lm_head_params / tp + lay.final_norm_params) * wb
    ops["lm_head"] = {
        "flops": 2.0 * seqs * lay.lm_head_params / tp,
        "bytes": head_w + seqs * ab * (h + V / tp),
        "weight_bytes": head_w,
    }
    ops["attention"]["weight_bytes"] = 0.0 * ops["attention"]["bytes"]
    for name, op in ops.items():
        op["weight_factor"] = (
            weight_factor if name != "experts" or expert_weight_factor is None else expert_weight_factor
        )
    return ops


def allreduce_time_s(
    message_bytes: npt.ArrayLike, ranks: npt.ArrayLike, link_bytes_per_s: float, latency_s: float
) -> FloatArray:
    """One all-reduce of ``message_bytes`` over ``ranks`` GPUs: a fixed latency plus the ring bandwidth term
    2(n-1)/n x S / B (nccl-tests doc/PERFORMANCE.md: busbw = algbw x 2(n-1)/n). Zero for one rank.
    The bandwidth term comes from llmwalls.engine.collectives.allreduce_time_s when that module is present."""
    n = np.asarray(ranks, dtype=float)
    size = np.asarray(message_bytes, dtype=float)
    try:
        from llmwalls.engine.collectives import allreduce_time_s as _collective
    except ImportError:  # TODO: llmwalls.engine.collectives is the owner of this model
        wire = 2.0 * (n - 1.0) / n * size / link_bytes_per_s
    else:
        wire = _collective(size, n, link_bytes_per_s, 0.0)
    return np.asarray(np.where(n > 1, latency_s + wire, 0.0), dtype=float)


@dataclass(frozen=True)
class Links:
    """Where serving collectives run. Without a cluster profile: every GPU of the replica on the GPU's own
    scale-up link (or PCIe) at the fraction of its datasheet bandwidth that NCCL reaches on that fabric
    (RooflineAssumptions.allreduce_link_efficiency), one fixed latency per collective (the single-node model
    the calibration in docs/calibration-roofline.md used). From a cluster profile (``Links.from_cluster``):
    the scale-up domain size (8 on HGX, 72 on GB200 NVL72), the per-GPU link bandwidths of both tiers with
    the achievable efficiencies of engine.collectives.LinkEfficiency (nccl-tests busbw calibration), and
    the scale-out latency added for every network step of a collective that leaves the domain."""

    domain_gpus: float = math.inf
    up_bytes_per_s: float | None = None  # None: the GPU profile's scale-up link, else PCIe
    up_efficiency: float | None = None  # None: RooflineAssumptions.allreduce_link_efficiency (see _up_link)
    out_bytes_per_s: float = 0.0
    out_efficiency: float = 1.0
    out_latency_s: float = 0.0

    @classmethod
    def from_cluster(cls, cluster: Any) -> Links:
        from llmwalls.engine.collectives import Tiers

        t = Tiers.from_cluster(cluster)
        return cls(
            domain_gpus=float(t.domain_gpus),
            up_bytes_per_s=t.up_bandwidth_bytes_per_s,
            up_efficiency=t.up_efficiency,
            out_bytes_per_s=t.out_bandwidth_bytes_per_s,
            out_efficiency=t.out_efficiency,
            out_latency_s=t.out_latency_s,
        )


def _up_link(gpu: GpuSpec, links: Links, a: RooflineAssumptions) -> tuple[float, float]:
    """(bandwidth, achievable fraction) of the scale-up link a replica's collectives use. From a cluster
    profile both come from it; otherwise the GPU's own scale-up link (or PCIe) at
    ``a.allreduce_link_efficiency``, by default the fraction engine.collectives.LinkEfficiency measured for
    that fabric (nccl-tests busbw / wire), so one HGX node costs the same with or without ``--cluster``."""
    from llmwalls.engine.collectives import DEFAULT_LINK_EFFICIENCY as LE

    up = links.up_bytes_per_s or gpu.scale_up_bandwidth_bytes_per_s or a.pcie_link_bytes_per_s
    if links.up_efficiency is not None:
        return up, links.up_efficiency
    if a.allreduce_link_efficiency is not None:
        return up, a.allreduce_link_efficiency
    if not (links.up_bytes_per_s or gpu.scale_up_bandwidth_bytes_per_s):
        return up, LE.pcie
    # AMD parts talk over xGMI, Intel Gaudi over its integrated RoCE ports, NVIDIA parts over NVLink.
    fabric = {"amd": "xgmi", "intel": "roce"}.get(gpu.vendor.lower(), "nvlink")
    return up, LE.for_fabric(fabric)


def _collective_s(
    op: str, size: npt.ArrayLike, n: npt.ArrayLike, gpu: GpuSpec, links: Links, a: RooflineAssumptions
) -> FloatArray:
    """One collective of ``size`` bytes per rank over ``n`` consecutive GPUs (engine.collectives model).

    Inside the scale-up domain: a.allreduce_latency_s + size x busbw factor / (link x efficiency), the
    efficiency from _up_link (NCCL's measured fraction of the wire, not the datasheet). A group
    larger than the domain is split as NCCL does (collectives.hierarchical_time_s: reduce-scatter inside,
    all-reduce of size/k across the g = n/k domains, all-gather inside; all-to-all inside on size, across on
    size/k per GPU) and every network step adds the scale-out latency: 2(g-1) of them for an all-reduce
    ring, one for an all-to-all exchange or a p2p send. Zero for one rank."""
    from llmwalls.engine.collectives import Tiers, collective_time_s, hierarchical_time_s

    n = np.asarray(n, dtype=float)
    size = np.asarray(size, dtype=float)
    up, up_eff = _up_link(gpu, links, a)
    inside = collective_time_s(op, size, n, up, 0.0, efficiency=up_eff)
    g: np.ndarray
    if math.isinf(links.domain_gpus):
        wire = inside
        g = np.ones_like(n)
    else:
        tiers = Tiers(
            domain_gpus=int(links.domain_gpus),
            up_bandwidth_bytes_per_s=up,
            up_latency_s=0.0,
            up_efficiency=up_eff,
            out_bandwidth_bytes_per_s=links.out_bytes_per_s,
            out_latency_s=0.0,
            out_efficiency=links.out_efficiency,
        )
        wire = hierarchical_time_s(op, size, n, 1.0, tiers)
        g = np.ceil(n / links.domain_gpus)
    steps = 2.0 * (g - 1.0) if op == "allreduce" else np.where(g > 1, 1.0, 0.0)
    t = a.allreduce_latency_s + wire + steps * links.out_latency_s
    return np.asarray(np.where(n > 1, t, 0.0), dtype=float)


def _p2p_s(
    size: npt.ArrayLike, crossing: npt.ArrayLike | bool, gpu: GpuSpec, links: Links, a: RooflineAssumptions
) -> FloatArray:
    """One pipeline send of ``size`` bytes: latency + size / link, on the network when it crosses domains."""
    from llmwalls.engine.collectives import p2p_time_s

    up, up_eff = _up_link(gpu, links, a)
    t_in = p2p_time_s(size, up, a.allreduce_latency_s, efficiency=up_eff)
    if links.out_bytes_per_s <= 0:
        return np.asarray(t_in, dtype=float)
    t_out = p2p_time_s(
        size,
        links.out_bytes_per_s,
        a.allreduce_latency_s + links.out_latency_s,
        efficiency=links.out_efficiency,
    )
    return np.asarray(np.where(crossing, t_out, t_in), dtype=float)


def _phase(
    ops: Ops, *, peak: float, bw: float, fl_eff: float, bw_eff: float, comm_s: npt.ArrayLike
) -> dict[str, Any]:
    """Roof per operator: attainable = min(peak x fl_eff, intensity x bw x bw_eff); time = max of the two.
    The memory time of an operator's ``weight_bytes`` is stretched by 1 / its ``weight_factor`` (a weight-only
    kernel streams its weights slower than bf16: RooflineAssumptions.int8/int4_weight_only_...factor)."""
    comp = peak * fl_eff
    mem = bw * bw_eff
    out_ops: Ops = {}
    total_f: Any = 0.0
    total_b: Any = 0.0
    total_t: Any = 0.0
    for name, op in ops.items():
        f = np.asarray(op["flops"], dtype=float)
        b = np.asarray(op["bytes"], dtype=float)
        w = np.asarray(op.get("weight_bytes", 0.0), dtype=float)
        t_c = f / comp
        t_m = (b - w) / mem + w / (mem * float(op.get("weight_factor", 1.0)))
        t = np.maximum(t_c, t_m)
        with np.errstate(divide="ignore", invalid="ignore"):
            intensity = np.where(b > 0, f / np.where(b > 0, b, 1.0), 0.0)
        attainable = np.minimum(comp, intensity * mem)
        if "weight_factor" in op:
            attainable = np.minimum(attainable, np.where(t > 0, f / np.where(t > 0, t, 1.0), 0.0))
        out_ops[name] = {
            "flops": f,
            "bytes": b,
            "intensity_flops_per_byte": intensity,
            "attainable_flops_per_s": attainable,
            "time_s": t,
            "compute_bound": t_c > t_m,
        }
        total_f, total_b, total_t = total_f + f, total_b + b, total_t + t
    total_t = total_t + comm_s
    intensity = total_f / total_b
    return {
        "operators": out_ops,
        "flops": total_f,
        "bytes": total_b,
        "intensity_flops_per_byte": intensity,
        "attainable_flops_per_s": np.minimum(comp, intensity * mem),
        # Time spent in compute-bound and in memory-bound operators, and in all-reduces.
        "compute_bound_time_s": sum(np.where(o["compute_bound"], o["time_s"], 0.0) for o in out_ops.values()),
        "memory_bound_time_s": sum(np.where(o["compute_bound"], 0.0, o["time_s"]) for o in out_ops.values()),
        "comm_time_s": np.broadcast_to(comm_s, np.shape(total_t)).astype(float),
        "time_s": total_t,
        "achieved_flops_per_s": total_f / total_t,
        "achieved_bytes_per_s": total_b / total_t,
        "mfu": total_f / total_t / peak,
        "bandwidth_utilization": total_b / total_t / bw,
        "compute_bound": total_f / comp > total_b / mem,
    }


def critical_batch_dense(
    spec: ModelSpec,
    gpu: GpuSpec,
    *,
    weights: str = "bf16",
    kv_dtype: str = "bf16",
    context_tokens: npt.ArrayLike = 0,
    ridge_flops_per_byte: float | None = None,
    state_dtype: str = mdl.LINEAR_STATE_DTYPE,
) -> FloatArray:
    """Analytic critical decode batch, ignoring activation traffic: with N weight parameters of ``wb`` bytes
    (W = N wb bytes streamed per step), A(C) attention FLOPs and K(C) KV bytes per sequence at context C,
    a step of B sequences does B (2N + A) FLOPs over W + B K bytes. It is compute-bound when that ratio
    reaches the ridge R (Williams et al. 2009):  B* = R W / (2N + A - R K);  infinite when 2N + A <= R K
    (the KV read then keeps decode memory-bound at any batch). At C = 0: B* = R wb / 2 (bf16: B* = R).
    Linear-attention layers add their recurrence FLOPs to A and their state read + write to K."""
    lay = _layout(spec, kv_dtype, state_dtype)
    counts = mdl.param_counts(spec)
    if ridge_flops_per_byte is None:
        peak = float(gpu.peak_flops_per_s.for_dtype(compute_dtype(gpu, weights)) or 0.0)
        ridge_flops_per_byte = peak / gpu.hbm_bandwidth_bytes_per_s
    n = counts.active - counts.embedding  # the embedding is a gather, not a streamed matmul
    wb = mdl.weight_bytes_per_param(weights)
    c = np.asarray(mdl.cached_tokens(spec, np.asarray(context_tokens, dtype=float)), dtype=float)
    per_seq_flops = 2.0 * n + lay.decode_attn_flops_coeff * c + lay.linear_flops_per_token
    per_seq_bytes = lay.kv_bytes_per_token * c + 2.0 * lay.state_bytes_per_seq
    denom = per_seq_flops - ridge_flops_per_byte * per_seq_bytes
    with np.errstate(divide="ignore"):
        out = np.where(denom > 0, ridge_flops_per_byte * n * wb / np.where(denom > 0, denom, 1.0), np.inf)
    return np.asarray(out, dtype=float)


def _stage_scale(ops: Ops, frac: npt.ArrayLike) -> Ops:
    """Operators of the worst pipeline stage: the layer operators x (its layers / all layers); the LM head
    whole (it sits on the last stage, which is therefore the worst of equal stages)."""
    out: Ops = {}
    for name, op in ops.items():
        f = 1.0 if name == "lm_head" else np.asarray(frac, dtype=float)
        out[name] = {"flops": op["flops"] * f, "bytes": op["bytes"] * f}
        if "weight_bytes" in op:
            out[name]["weight_bytes"] = op["weight_bytes"] * f
            out[name]["weight_factor"] = op.get("weight_factor", 1.0)
    return out


def _pipelined(
    ph: dict[str, Any],
    *,
    frac: npt.ArrayLike,
    pp: npt.ArrayLike,
    m: npt.ArrayLike,
    p2p_worst_s: npt.ArrayLike,
    p2p_sum_s: npt.ArrayLike,
    peak: float,
    bw: float,
) -> tuple[dict[str, Any], FloatArray, FloatArray]:
    """Turn the worst stage's step (``ph``, one micro-batch) into the time the phase takes with ``m``
    micro-batches in flight over ``pp`` stages (GPipe/Megatron pipelining, Narayanan et al. 2021 sec 2.2):

        sum of stages  = (stage time - head time) / frac + head time + the p2p hops   (one micro-batch
                         through every stage: the latency a token sees when the pipeline is not full)
        worst stage    = stage time + one send to the next stage
        cycle          = max(sum of stages, m x worst stage)   (m = pp: the pipeline is full and the slowest
                         stage sets the pace; m < pp: stages idle while the micro-batches travel)

    Decode: time per output token = cycle (each micro-batch gets its next token once per cycle); prefill:
    TTFT = sum of stages + (m - 1) x worst stage. With pp = 1 both are the stage time."""
    m = np.asarray(m, dtype=float)
    head = ph["operators"]["lm_head"]["time_s"]
    layers = ph["time_s"] - head
    stage = ph["time_s"] + np.asarray(p2p_worst_s, dtype=float)
    through = layers / np.asarray(frac, dtype=float) + head + np.asarray(p2p_sum_s, dtype=float)
    cycle = np.maximum(through, m * stage)
    ttft = through + (m - 1.0) * stage
    per_gpu_flops = np.asarray(m * ph["flops"], dtype=float)  # the worst stage's GPU, over one cycle
    per_gpu_bytes = np.asarray(m * ph["bytes"], dtype=float)
    out = dict(ph)
    out.update(
        stage_time_s=stage,
        sum_of_stages_s=through,
        microbatches_in_flight=m + 0.0 * stage,
        pipeline_idle_fraction=1.0 - m * stage / cycle,
        pp_p2p_time_s=p2p_sum_s + 0.0 * stage,
        decode_cycle_s=cycle,
        pipelined_ttft_s=ttft,
    )
    return out, per_gpu_flops, per_gpu_bytes


def roofline(
    spec: ModelSpec,
    gpu: GpuSpec,
    *,
    batch: npt.ArrayLike,
    prompt_tokens: npt.ArrayLike,
    context_tokens: npt.ArrayLike,
    tp: npt.ArrayLike = 1,
    pp: npt.ArrayLike = 1,
    ep: npt.ArrayLike = 1,
    weights: str = "bf16",
    kv_dtype: str = "bf16",
    assumptions: RooflineAssumptions = RooflineAssumptions(),
    memory_context_tokens: npt.ArrayLike | None = None,
    links: Links | None = None,
    expert_weights: str | None = None,
    state_dtype: str = mdl.LINEAR_STATE_DTYPE,
) -> dict[str, Any]:
    """Both phases for every broadcast point. ``context_tokens`` is where decode is evaluated;
    ``memory_context_tokens`` (default: the same) is the longest context the KV cache must hold.

    Parallel serving layout (one replica = pp x max(tp, ep) GPUs; vLLM/SGLang):
    - TP splits every weight matrix and the KV heads (Megatron-LM sec 3); two all-reduces per layer.
    - PP splits the layers into pp stages of ceil(L/pp) (weights and KV per GPU / pp); a step passes the
      hidden state of its micro-batch to the next stage point-to-point (x h x 2 B / tp per GPU, Megatron's
      scatter/gather, Narayanan et al. 2021 sec 4.1). min(batch, pp) micro-batches are in flight: see
      _pipelined for the latency and throughput that gives.
    - EP spreads the routed experts over max(tp, ep) GPUs (vLLM --enable-expert-parallel, SGLang --ep-size;
      DeepSeek-V3 report sec 3.4: EP 32/320 serving). With ep > tp, attention runs data-parallel inside the
      replica (SGLang DP attention): ep / tp attention groups, each with ceil(batch / (ep/tp)) of the
      sequences and the attention/dense weights / tp. Per MoE layer each GPU dispatches its tokens' hidden
      states to experts_per_token experts and combines them back: two all-to-alls of tokens x k x h x 2 B
      per GPU over the EP group (GShard sec 2.2; DeepEP's dispatch/combine).
    ``links``: where the collectives run (Links; default: one node on the GPU's scale-up link).
    ``expert_weights``: the routed experts' format (default: the model's published expert format, e.g.
    gpt-oss's MXFP4, else ``weights``); they compute in the precision of ``weights``.
    Layer kinds (model.layer_kinds): sliding and chunked layers attend to and read at most their window or
    chunk (model.cached_tokens, model.causal_attended_tokens); linear-attention layers cost a constant
    recurrence per token and read and write their state once per decode step."""
    b = np.asarray(batch, dtype=float)
    p = np.asarray(prompt_tokens, dtype=float)
    c = np.asarray(context_tokens, dtype=float)
    tp_arr = np.asarray(tp, dtype=float)
    pp_arr = np.asarray(pp, dtype=float)
    ep_arr = np.asarray(ep, dtype=float)
    mem_c = c if memory_context_tokens is None else np.asarray(memory_context_tokens, dtype=float)
    for name, arr in (
        ("batch", b),
        ("prompt", p),
        ("context", c),
        ("tp", tp_arr),
        ("pp", pp_arr),
        ("ep", ep_arr),
    ):
        if not np.all(np.isfinite(arr)) or np.any(arr <= 0):
            raise InputError(f"{name} must be a positive whole number")
    if np.any(pp_arr > spec.layers):
        raise InputError(f"pp must be at most {spec.name}'s {spec.layers} layers")
    if np.any(ep_arr > 1) and spec.moe is None:
        raise InputError(f"ep > 1 needs a mixture-of-experts model; {spec.name} is dense")
    links = Links() if links is None else links
    dtype = compute_dtype(gpu, weights)
    peak = float(gpu.peak_flops_per_s.for_dtype(dtype) or 0.0)
    bw = gpu.hbm_bandwidth_bytes_per_s
    bw_eff, fl_eff, eff_source = efficiencies(gpu, weights, assumptions)
    wb = mdl.weight_bytes_per_param(weights)
    wbe = mdl.weight_bytes_per_param(mdl.expert_weight_dtype(spec, weights, expert_weights))
    w_factor = weight_stream_factor(weights, assumptions)
    we_factor = weight_stream_factor(mdl.expert_weight_dtype(spec, weights, expert_weights), assumptions)
    if w_factor < 1.0:
        eff_source += (
            f"; {weights} weight-only weights stream at {w_factor:.2f} of the bf16 pace "
            "(dequantisation, RooflineAssumptions)"
        )
    ab = assumptions.activation_bytes
    lay = _layout(spec, kv_dtype, state_dtype)
    moe = spec.moe
    b, p, c, tp_arr, pp_arr, ep_arr, mem_c = np.broadcast_arrays(b, p, c, tp_arr, pp_arr, ep_arr, mem_c)
    h, L = spec.hidden_size, spec.layers
    shard = np.maximum(tp_arr, ep_arr)  # GPUs per stage
    dpa = shard / tp_arr  # attention data-parallel groups per stage (ep > tp)
    stage_layers = np.ceil(L / pp_arr)
    frac = stage_layers / L
    moe_on_stage = np.minimum(stage_layers, lay.moe_layers) if moe is not None else 0.0 * frac
    # Pipeline hops: stages of `shard` consecutive GPUs; floor(domain / shard) stages share a domain.
    per_domain = (
        np.maximum(np.floor(links.domain_gpus / shard), 1.0) if not math.isinf(links.domain_gpus) else pp_arr
    )
    crossing_hops = np.ceil(pp_arr / per_domain) - 1.0
    inside_hops = pp_arr - 1.0 - crossing_hops

    def touched(tokens: np.ndarray) -> np.ndarray:
        if moe is None:
            return np.zeros_like(tokens)
        return expected_experts_touched(moe.experts, moe.experts_per_token, tokens)

    def comm(tokens_gpu: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """TP all-reduces and EP all-to-alls of the worst stage, per micro-batch step."""
        tp_c = (
            2.0
            * stage_layers
            * _collective_s("allreduce", tokens_gpu * h * ab, tp_arr, gpu, links, assumptions)
        )
        ep_c: np.ndarray
        if moe is not None:
            size = tokens_gpu * moe.experts_per_token * h * ab
            ep_c = 2.0 * moe_on_stage * _collective_s("alltoall", size, shard, gpu, links, assumptions)
            ep_c = np.where(ep_arr > 1, ep_c, 0.0)
        else:
            ep_c = 0.0 * tp_c
        return tp_c, ep_c

    def p2p(tokens_gpu: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        size = tokens_gpu * h * ab / tp_arr
        t_in = _p2p_s(size, False, gpu, links, assumptions)
        t_out = _p2p_s(size, True, gpu, links, assumptions)
        worst = np.where(pp_arr > 1, np.where(crossing_hops > 0, t_out, t_in), 0.0)
        return worst, inside_hops * t_in + crossing_hops * t_out

    kw = {"peak": peak, "bw": bw, "fl_eff": fl_eff, "bw_eff": bw_eff}

    def phase(
        tokens_per_seq: np.ndarray,
        attn_flops_per_seq: np.ndarray,
        kv_read_per_seq: np.ndarray,
        seqs_total: np.ndarray,
        state_passes: float,
    ) -> tuple[dict[str, Any], FloatArray, FloatArray]:
        m = np.minimum(seqs_total, pp_arr)  # micro-batches in flight
        mb = seqs_total / m  # sequences per micro-batch
        local = np.ceil(mb / dpa)  # sequences on the busiest attention group
        tokens_gpu = local * tokens_per_seq
        ops = _operators(
            spec,
            lay,
            tokens=tokens_gpu,
            seqs=local,
            attn_flops=local * attn_flops_per_seq,
            kv_read_tokens=local * kv_read_per_seq,
            tp=tp_arr,
            wb=wb,
            ab=ab,
            experts_touched=touched(mb * tokens_per_seq),
            expert_tokens=mb * tokens_per_seq,
            expert_shard=shard,
            expert_ep=np.where(ep_arr > 1, ep_arr, 1.0),
            wb_expert=wbe,
            state_passes=state_passes,
            expert_load_imbalance=assumptions.expert_load_imbalance,
            weight_factor=w_factor,
            expert_weight_factor=we_factor,
        )
        tp_c, ep_c = comm(tokens_gpu)
        ph = _phase(_stage_scale(ops, frac), comm_s=tp_c + ep_c, **kw)
        ph["tp_comm_time_s"] = tp_c + 0.0 * ph["time_s"]
        ph["ep_comm_time_s"] = ep_c + 0.0 * ph["time_s"]
        worst, total_hops = p2p(tokens_gpu)
        ph, f_gpu, b_gpu = _pipelined(
            ph, frac=frac, pp=pp_arr, m=m, p2p_worst_s=worst, p2p_sum_s=total_hops, peak=peak, bw=bw
        )
        ph["sequences_per_gpu"] = local
        return ph, f_gpu, b_gpu

    # Prefill: B prompts of P tokens (the KV cache of the prompt is written, not re-read; the linear-attention
    # state is written once).
    pre_attn = lay.attn_flops_coeff * mdl.causal_attended_tokens(spec, p) + lay.linear_flops_per_token * p
    pre, pre_f, pre_b = phase(p, pre_attn, 0.0 * p, b, 1.0)
    pre_time = pre["pipelined_ttft_s"]
    # Decode: one new token for each of B sequences at context C, reading C cached tokens (window-capped),
    # and reading and writing the linear-attention state.
    cached = np.asarray(mdl.cached_tokens(spec, c), dtype=float)
    dec_attn = lay.decode_attn_flops_coeff * cached + lay.linear_flops_per_token
    dec, dec_f, dec_b = phase(1.0 + 0.0 * b, dec_attn, cached, b, 2.0)
    dec_time = dec["decode_cycle_s"]
    for ph, t, f, by in ((pre, pre_time, pre_f, pre_b), (dec, dec_time, dec_f, dec_b)):
        ph["time_s"] = t
        ph["achieved_flops_per_s"] = f / t
        ph["achieved_bytes_per_s"] = by / t
        ph["mfu"] = f / t / peak
        ph["bandwidth_utilization"] = by / t / bw
        ph["comm_time_s"] = ph["comm_time_s"] + ph["pp_p2p_time_s"]

    ridge = peak / bw
    attainable_ridge = peak * fl_eff / (bw * bw_eff)
    decode_tps_replica = b / dec_time
    gpus = pp_arr * shard

    # Memory verdict: weights per GPU + KV for B sequences at the longest context (simple check; the memory
    # command adds activations, runtime and fragmentation). Weights: non-expert / tp, experts / max(tp, ep),
    # both x the stage's share of the layers; KV: the busiest attention group's sequences, heads / tp.
    counts = mdl.param_counts(spec)
    weights_per_gpu = ((counts.total - counts.expert) / tp_arr * wb + counts.expert / shard * wbe) * frac
    kv_shard = np.minimum(tp_arr, lay.kv_shard_max)
    kv_per_gpu = (
        np.ceil(b / dpa)
        * (
            np.asarray(mdl.cached_tokens(spec, mem_c), dtype=float) * lay.kv_bytes_per_token / kv_shard
            + lay.state_bytes_per_seq / np.minimum(tp_arr, lay.state_shard_max)
        )
        * frac
    )
    needed = weights_per_gpu + kv_per_gpu

    return {
        "compute_dtype": dtype,
        "peak_flops_per_s": peak,
        "hbm_bandwidth_bytes_per_s": bw,
        "bandwidth_efficiency": bw_eff,
        "flops_efficiency": fl_eff,
        "efficiency_source": eff_source,
        "weight_stream_factor": w_factor,
        "expert_weight_stream_factor": we_factor,
        "attainable_peak_flops_per_s": peak * fl_eff,
        "attainable_bandwidth_bytes_per_s": bw * bw_eff,
        "machine_balance_flops_per_byte": ridge,
        "attainable_ridge_flops_per_byte": attainable_ridge,
        "batch": b,
        "prompt_tokens": p,
        "context_tokens": c,
        "tp": tp_arr,
        "pp": pp_arr,
        "ep": ep_arr,
        "gpus_per_replica": gpus,
        "attention_data_parallel": dpa,
        "prefill": pre,
        "decode": dec,
        "ttft_s": pre_time,
        "time_per_output_token_s": dec_time,
        "decode_tokens_per_s_per_sequence": 1.0 / dec_time,
        "decode_tokens_per_s_per_replica": decode_tps_replica,
        "decode_tokens_per_s_per_gpu": decode_tps_replica / gpus,
        "prefill_tokens_per_s_per_replica": b * p / pre_time,
        "weights_bytes_per_gpu": weights_per_gpu,
        "kv_bytes_per_gpu": kv_per_gpu,
        "memory_needed_bytes_per_gpu": needed,
        "memory_capacity_bytes": gpu.memory_capacity_bytes,
        "fits": needed <= gpu.memory_capacity_bytes,
    }


def critical_batch(
    spec: ModelSpec,
    gpu: GpuSpec,
    *,
    context_tokens: float,
    tp: int = 1,
    weights: str = "bf16",
    kv_dtype: str = "bf16",
    assumptions: RooflineAssumptions = RooflineAssumptions(),
    pp: int = 1,
    ep: int = 1,
    links: Links | None = None,
    expert_weights: str | None = None,
) -> float:
    """Smallest decode batch whose step is compute-bound (phase FLOPs / attainable compute >= bytes /
    attainable bandwidth), on the full model (activations, MoE expert occupancy, KV reads included).
    Decode intensity grows with the batch (the weights are shared), so a geometric scan of 1..2^20 finds the
    bracket and an exact scan of the integers inside it the answer. inf when no batch is compute-bound: at
    long context the KV reads can keep decode memory-bound at any batch (closed form:
    critical_batch_dense)."""

    def bound(batches: np.ndarray) -> np.ndarray:
        r = roofline(
            spec,
            gpu,
            batch=batches,
            prompt_tokens=1,
            context_tokens=context_tokens,
            tp=tp,
            pp=pp,
            ep=ep,
            weights=weights,
            kv_dtype=kv_dtype,
            assumptions=assumptions,
            links=links,
            expert_weights=expert_weights,
        )
        return np.asarray(r["decode"]["compute_bound"])

    coarse = np.unique(np.round(np.geomspace(1, CRITICAL_BATCH_SEARCH_MAX, 400)))
    hit = bound(coarse)
    if not hit.any():
        return math.inf
    k = int(np.argmax(hit))
    if k == 0:
        return 1.0
    fine = np.arange(coarse[k - 1] + 1, coarse[k] + 1)
    return float(fine[np.argmax(bound(fine))])
