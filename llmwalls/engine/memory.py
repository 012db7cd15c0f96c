"""Memory per GPU: serving (weights + KV cache + reserve) and training (weights, gradients, optimizer state,
activations, reserve), vectorised over batch, context and parallel layouts. Pure numpy: every numeric
argument may be an array; they broadcast together and every result is an array of that shape.

Layout conventions (what the per-GPU figure means):
- Transformer-layer parameters are split over tensor parallelism (Megatron-LM, Shoeybi et al. 2019, sec 3:
  attention heads and MLP columns/rows) and over pipeline parallelism by layers (GPipe / Megatron, Narayanan
  et al. 2021 sec 2.2). Layers are dealt out evenly and the worst stage holds ceil(layers / pp) of them.
- Routed-expert parameters are additionally split over expert parallelism (GShard, Lepikhin et al. 2020,
  sec 2.2; DeepSpeed-MoE); inside an EP group attention, dense MLPs and shared experts are replicated.
- Norm weights are replicated on every TP rank (Megatron keeps LayerNorm parameters unsplit); tiny.
- Embedding and LM head are vocab-parallel over TP (Megatron-LM sec 3, "parallelize the input embedding
  ... along the vocabulary dimension") and sit on the first / last pipeline stage. With pp == 1 one GPU
  holds both; with pp > 1 the worst stage is taken as ceil(layers/pp) layers + the larger of the two. Tied
  embeddings with pp > 1: Megatron keeps a copy of the word embedding on the last stage to compute the
  logits (Narayanan et al. 2021, sec 4.1 / megatron/core shared_embedding), so both stages hold V*h.
  This is the per-GPU maximum, i.e. what must fit; the other stages are lighter.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from llmwalls.engine.model import (
    LINEAR_STATE_DTYPE,
    cached_tokens,
    dtype_bytes,
    expert_weight_dtype,
    kv_bytes_per_token,
    linear_state_bytes_per_sequence,
    moe_layer_count,
    param_counts,
    weight_bytes_per_param,
)
from llmwalls.errors import InputError
from llmwalls.specs import ModelSpec
from llmwalls.units import GiB

VLLM_GPU_MEMORY_UTILIZATION_DOC = "https://docs.vllm.ai/en/latest/configuration/engine_args.html"

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class MemoryAssumptions:
    """Judgement calls of the memory engine, each overridable from the command line."""

    # Fraction of HBM the workload may use. 0.9 is vLLM's default --gpu-memory-utilization ("the fraction of
    # GPU memory to be used for the model executor", default 0.9; vLLM engine arguments,
    # https://docs.vllm.ai/en/latest/configuration/engine_args.html). The other 10% absorbs allocator
    # fragmentation, CUDA graphs and other processes. Also used for training, as a judgement: no training
    # framework reserves a fixed fraction (PyTorch's caching allocator takes what it needs), the loss is
    # allocator fragmentation, which expandable segments reduce (PYTORCH_CUDA_ALLOC_CONF=
    # expandable_segments:True, NVIDIA NeMo memory-tuning guide: "OOM failures during training often stem
    # from memory fragmentation rather than raw capacity"). No published figure for that loss was found, so
    # training keeps the serving default rather than a separate, unsourced one. CLI: --usable-fraction.
    usable_fraction: float = 0.9
    # Fixed runtime reserve per GPU, outside weights/KV/activations: the CUDA context (about 0.3-0.6 GiB on
    # Hopper with lazy module loading; PyTorch CUDA semantics notes), cuBLAS/cuBLASLt workspaces (32 MiB per
    # handle and stream on Hopper, cuBLAS docs "cublasSetWorkspace") and NCCL buffers (NCCL_BUFFSIZE 4 MiB per
    # channel per peer). 1 GiB covers these for one process per GPU. CLI: --reserve.
    runtime_reserve_bytes: float = 1.0 * GiB
    # Serving activation workspace: vLLM profiles one forward pass of max_num_batched_tokens tokens and
    # reserves its peak (vLLM docs, "Optimization and tuning: chunked prefill"; default 8192 for the OpenAI
    # server in V1 on data-centre GPUs). Per token the peak holds the gated-MLP intermediate (2 x ffn / tp,
    # gate and up) plus about 4 hidden-size buffers (residual, normed input, attention output, MLP output),
    # in the activation precision below. Logits for sampling (batch x vocab/tp x 4 B) are left out.
    serving_activation_tokens: int = 8192
    activation_bytes_per_element: float = 2.0  # bf16 activations (Korthikanti et al. 2022 count 2 bytes)
    serving_hidden_buffers: float = 4.0
    # KV budget used for "largest model that fits one GPU": one sequence of this many tokens.
    kv_budget_tokens: int = 4096
    # Training with dropout (1-byte masks stored for the backward pass; Korthikanti et al. 2022 count two per
    # layer plus one after the embedding). None = from the architecture: plain-MLP GPT-style models as
    # Megatron trains them (hidden and attention dropout 0.1, Megatron-LM defaults; Korthikanti's 34), and
    # no dropout for gated-MLP models (Llama, Mistral, Mixtral, Qwen2.5, DeepSeek-V3 all publish
    # attention_dropout 0.0 in their Hugging Face configs; the Llama 3 paper trains without it).
    dropout: bool | None = None
    # Training only: memory held outside the model's tensors BEYOND runtime_reserve_bytes (which
    # training_memory_per_gpu already counts): NCCL communicator buffers of the several process groups a 3D/4D
    # layout opens (TP, PP, DP, CP, embedding groups; each communicator allocates NCCL_BUFFSIZE = 4 MiB per
    # channel per peer, up to 32 channels on NVLink: NCCL environment-variable docs,
    # https://docs.nvidia.com/deeplearning/nccl/user-guide/docs/env.html#nccl-buffsize) ~ 1 GiB. The
    # training budget is then the device's memory less this (training_usable_bytes), not a serving engine's
    # utilisation fraction: PyTorch's caching allocator takes memory as needed and, with expandable
    # segments, fragmentation is small (PyTorch CUDA semantics, "Optimizing memory usage with
    # PYTORCH_CUDA_ALLOC_CONF": expandable_segments).
    training_reserve_bytes: float = 1.0 * GiB
    sources: dict[str, str] = field(
        default_factory=lambda: {
            "usable_fraction": f"vLLM --gpu-memory-utilization default 0.9 "
            f"({VLLM_GPU_MEMORY_UTILIZATION_DOC})",
            "runtime_reserve_bytes": "CUDA context ~0.5 GiB + cuBLAS workspaces + NCCL buffers",
            "serving_activation_tokens": "vLLM max_num_batched_tokens (chunked prefill) default 8192",
        }
    )


DEFAULT_ASSUMPTIONS = MemoryAssumptions()

# ------------------------------------------------------------------------------------------- optimizers
# Bytes per parameter, mixed precision: (weights, gradients, optimizer state incl. fp32 master weights).
# Adam: 2 + 2 + 12 (fp32 master, momentum, variance) = 16 -- ZeRO, Rajbhandari et al. 2020, sec 3.1 (K = 12).
# SGD with momentum: 2 + 2 + 8 (fp32 master + fp32 momentum) = 12 -- same accounting with K = 8.
# 8-bit Adam: 2 + 2 + 6 (fp32 master 4 + two 8-bit states 2) = 10 -- Dettmers et al. 2022, "8-bit Optimizers
#   via Block-wise Quantization", sec 2 (the block-wise quantisation constants, 1 fp32 per 2048 values, are
#   ignored); bitsandbytes keeps fp32 master weights when the model is trained in mixed precision.
# Adafactor-style/no-master setups are not modelled.
OPTIMIZERS: dict[str, tuple[float, float, float]] = {
    "adam": (2.0, 2.0, 12.0),
    "adamw": (2.0, 2.0, 12.0),
    "sgd": (2.0, 2.0, 8.0),
    "adam8bit": (2.0, 2.0, 6.0),
}
RECOMPUTE = ("none", "selective", "full")


def optimizer_bytes_per_param(optimizer: str) -> tuple[float, float, float]:
    key = optimizer.lower().replace("-", "").replace("_", "")
    if key not in OPTIMIZERS:
        raise InputError(f"unknown optimizer {optimizer!r}; use one of adam, sgd, adam8bit")
    return OPTIMIZERS[key]


# ---------------------------------------------------------------------------------------------- weights


def _stage_params(
    model: ModelSpec,
    tp: npt.ArrayLike,
    pp: npt.ArrayLike,
    ep: npt.ArrayLike,
    serving: bool = False,
    stage_layers: npt.ArrayLike | None = None,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Parameters on the worst GPU as float arrays: (non-expert layer part, routed-expert part, embedding
    part). stage_layers: transformer layers on that stage (default ceil(layers / pp), the worst stage of an
    even split); a published layout that puts fewer layers on the first stage (Llama 3: one fewer on the
    first and last stages) passes its own count."""
    c = param_counts(model)
    L = model.layers
    tp_a = np.asarray(tp, dtype=float)
    pp_a = np.asarray(pp, dtype=float)
    ep_a = np.asarray(ep, dtype=float)
    layers_on_stage = np.ceil(L / pp_a) if stage_layers is None else np.asarray(stage_layers, dtype=float)
    # Norm weights: replicated over TP (Megatron), split over PP by layers.
    norms = c.norms / L * layers_on_stage
    # Attention and dense MLP (incl. shared experts, routers): / tp, by layers over pp.
    dense = (c.attention + c.dense_mlp) / L * layers_on_stage / tp_a
    expert = 0.0 * dense
    if c.expert:
        moe_layers = moe_layer_count(model)
        # Routed experts are sharded over expert parallelism (GShard sec 2.2). Training (Megatron-core): EP
        # groups are carved out of the data-parallel ranks and each expert keeps TP = tp (expert tensor
        # parallel size defaults to the TP size), so experts / (tp x ep) on tp x pp x dp GPUs (ep divides
        # dp). Serving (vLLM --enable-expert-parallel, SGLang --ep-size): EP takes the place of TP for the
        # experts on the same GPUs, so experts / max(tp, ep) on pp x max(tp, ep) GPUs. A stage holds at most
        # all MoE layers.
        shards = np.maximum(tp_a, ep_a) if serving else tp_a * ep_a
        expert = c.expert / moe_layers * np.minimum(layers_on_stage, moe_layers) / shards
    emb, head = float(c.embedding), float(c.lm_head)
    # Tied: pp == 1 one shared matrix; pp > 1 the first stage holds it and the last a copy (Megatron shared
    # embedding): V x h on the worst stage either way. Untied: both on one GPU at pp == 1, else the larger.
    untied = np.where(pp_a > 1, max(emb, head), emb + head)
    end_part = emb + 0.0 * pp_a if model.tied_embeddings else untied
    return norms + dense, np.asarray(expert, dtype=float), np.asarray(end_part / tp_a, dtype=float)


def _layer_split(
    model: ModelSpec,
    tp: npt.ArrayLike,
    pp: npt.ArrayLike,
    ep: npt.ArrayLike,
    serving: bool = False,
    stage_layers: npt.ArrayLike | None = None,
) -> tuple[FloatArray, FloatArray]:
    """Parameters on the worst GPU, split into (layers part, embedding part), as float arrays."""
    non_expert, expert, end_part = _stage_params(model, tp, pp, ep, serving, stage_layers)
    return non_expert + expert, end_part


def weight_params_per_gpu(
    model: ModelSpec,
    *,
    tp: npt.ArrayLike = 1,
    pp: npt.ArrayLike = 1,
    ep: npt.ArrayLike = 1,
    serving: bool = False,
    stage_layers: npt.ArrayLike | None = None,
) -> FloatArray:
    """Parameters held by the most loaded GPU (see the module notes and _layer_split for the layout
    assumptions; serving=True uses the inference engines' expert-parallel layout)."""
    layers_part, end_part = _layer_split(model, tp, pp, ep, serving, stage_layers)
    return layers_part + end_part


def expert_params_per_gpu(
    model: ModelSpec,
    *,
    tp: npt.ArrayLike = 1,
    pp: npt.ArrayLike = 1,
    ep: npt.ArrayLike = 1,
    serving: bool = False,
    stage_layers: npt.ArrayLike | None = None,
) -> FloatArray:
    """Routed-expert parameters on the most loaded GPU (0 for a dense model)."""
    return _stage_params(model, tp, pp, ep, serving, stage_layers)[1]


def expert_data_parallel_size(dp: npt.ArrayLike, cp: npt.ArrayLike = 1, ep: npt.ArrayLike = 1) -> FloatArray:
    """Ranks that hold a replica of the same routed-expert shard, and so shard its ZeRO state.

    Megatron-core (NVIDIA/Megatron-LM megatron/core/parallel_state.py, initialize_model_parallel):
    expert_tensor_parallel_size defaults to tensor_model_parallel_size and
    expert_data_parallel_size = world_size // (expert_tensor_parallel_size x expert_model_parallel_size x
    pipeline_model_parallel_size). With world = tp x cp x dp x pp and etp = tp that is dp x cp / ep: EP
    re-slices the dp x cp ranks, so each expert shard has only dp x cp / ep replicas (DeepSpeed-MoE likewise
    keeps expert parameters in an expert-data-parallel group). Clamped at 1 (EP larger than dp x cp is not
    a valid layout; the CLI rejects it)."""
    dp_a, cp_a, ep_a = (np.asarray(x, dtype=float) for x in (dp, cp, ep))
    return np.asarray(np.maximum(dp_a * cp_a / ep_a, 1.0), dtype=float)


# ------------------------------------------------------------------------------------------------ serving


def kv_heads_per_gpu(model: ModelSpec, tp: npt.ArrayLike) -> FloatArray:
    """KV heads one TP rank caches. GQA/MHA: kv_heads / tp, but when tp > kv_heads the KV heads are
    replicated so that each rank has one (vLLM/Megatron: num_kv_heads_per_rank = max(1, kv_heads // tp)).
    MLA: the latent is shared by all heads and is NOT split by TP in vLLM or SGLang -- every TP rank caches
    the whole latent (LMSYS SGLang v0.4 blog, "data parallelism attention": "MLA ... TP duplicates the KV
    cache across devices"), so the per-rank KV is the full per-token figure."""
    tp_a = np.asarray(tp, dtype=float)
    if model.mla is not None:
        return np.ones_like(tp_a)  # one latent "head", whole on every rank
    return np.asarray(np.maximum(np.ceil(model.kv_heads / tp_a), 1.0), dtype=float)


def kv_fraction_per_gpu(model: ModelSpec, tp: npt.ArrayLike, pp: npt.ArrayLike) -> FloatArray:
    """Fraction of a token's whole-model KV cache that the worst GPU holds: heads over TP, layers over PP."""
    pp_a = np.asarray(pp, dtype=float)
    layer_frac = np.ceil(model.layers / pp_a) / model.layers
    if model.mla is not None:
        head_frac = np.ones_like(np.asarray(tp, dtype=float))
    else:
        head_frac = kv_heads_per_gpu(model, tp) / model.kv_heads
    return np.asarray(head_frac * layer_frac, dtype=float)


def linear_state_fraction_per_gpu(model: ModelSpec, tp: npt.ArrayLike, pp: npt.ArrayLike) -> FloatArray:
    """Fraction of a sequence's linear-attention state the worst GPU holds: the value heads over TP (vLLM
    shards Gated DeltaNet by heads like attention), layers over PP. 0 for a model without such layers."""
    tp_a = np.asarray(tp, dtype=float)
    pp_a = np.asarray(pp, dtype=float)
    la = model.linear_attention
    if la is None:
        return np.zeros(np.broadcast(tp_a, pp_a).shape)
    heads = np.maximum(np.ceil(la.value_heads / tp_a), 1.0) / la.value_heads
    return np.asarray(heads * np.ceil(model.layers / pp_a) / model.layers, dtype=float)


def serving_activation_bytes(
    model: ModelSpec, *, tp: npt.ArrayLike = 1, assumptions: MemoryAssumptions = DEFAULT_ASSUMPTIONS
) -> FloatArray:
    """Peak activation workspace of one forward over max_num_batched_tokens (see MemoryAssumptions)."""
    tp_a = np.asarray(tp, dtype=float)
    ffn = model.ffn_size if model.moe is None else max(model.ffn_size, model.moe.expert_ffn_size)
    matrices = 2 if model.mlp_gated else 1
    per_token = matrices * ffn / tp_a + assumptions.serving_hidden_buffers * model.hidden_size
    return np.asarray(
        assumptions.serving_activation_tokens * per_token * assumptions.activation_bytes_per_element,
        dtype=float,
    )


def serving_memory_per_gpu(
    model: ModelSpec,
    *,
    batch: npt.ArrayLike,
    context_tokens: npt.ArrayLike,
    tp: npt.ArrayLike = 1,
    pp: npt.ArrayLike = 1,
    ep: npt.ArrayLike = 1,
    weights: str = "bf16",
    kv_dtype: str = "bf16",
    assumptions: MemoryAssumptions = DEFAULT_ASSUMPTIONS,
    expert_weights: str | None = None,
    state_dtype: str = LINEAR_STATE_DTYPE,
) -> dict[str, FloatArray]:
    """Bytes per GPU when serving: weights, KV cache for batch sequences of context_tokens, reserve.

    Weights: the routed experts in expert_weights (default: the model's published expert format, e.g.
    gpt-oss's MXFP4, else `weights`), everything else in `weights`.
    KV cache: kv_bytes_per_token (2 x attention layers x kv_heads x head_dim x bytes; MLA: (kv_lora_rank +
    rope_dim) x layers x bytes -- DeepSeek-V2 Table 1) x cached tokens (the layer average of the context,
    window- and chunk-capped: model.cached_tokens) x batch, split over TP by KV heads and over PP by layers
    (kv_fraction_per_gpu); plus, per sequence, the constant state of the linear-attention layers
    (model.linear_state_bytes_per_sequence, split by value heads over TP). "kv_cache" includes that state,
    "linear_state" shows it alone.
    """
    batch, context_tokens, tp, pp, ep = np.broadcast_arrays(
        *(np.asarray(x, dtype=float) for x in (batch, context_tokens, tp, pp, ep))
    )
    per_param = weight_bytes_per_param(weights)
    per_expert_param = weight_bytes_per_param(expert_weight_dtype(model, weights, expert_weights))
    non_expert, expert, end_part = _stage_params(model, tp, pp, ep, serving=True)
    w = (non_expert + end_part) * per_param + expert * per_expert_param
    kv_per_token = kv_bytes_per_token(model, kv_dtype)
    kv_per_token_gpu = kv_per_token * kv_fraction_per_gpu(model, tp, pp)
    state = (
        linear_state_bytes_per_sequence(model, state_dtype)
        * linear_state_fraction_per_gpu(model, tp, pp)
        * batch
    )
    kv = kv_per_token_gpu * np.asarray(cached_tokens(model, context_tokens), dtype=float) * batch + state
    act = serving_activation_bytes(model, tp=tp, assumptions=assumptions)
    reserve = assumptions.runtime_reserve_bytes + act
    total = w + kv + reserve
    return {
        "weights": w,
        "kv_cache": kv,
        "linear_state": state + 0.0 * total,
        "activation_workspace": act + 0.0 * total,
        "runtime_reserve": assumptions.runtime_reserve_bytes + 0.0 * total,
        "reserve": reserve + 0.0 * total,
        "total": total,
        "kv_bytes_per_token": kv_per_token_gpu + 0.0 * total,
    }


# ----------------------------------------------------------------------------------------------- training


def _dropout(model: ModelSpec, assumptions: MemoryAssumptions) -> bool:
    """Whether training stores dropout masks (MemoryAssumptions.dropout; None = from the architecture)."""
    return (not model.mlp_gated) if assumptions.dropout is None else bool(assumptions.dropout)


def activation_coefficients(
    model: ModelSpec,
    *,
    moe_layer: bool = False,
    dropout: bool | None = None,
    linear_input_bytes: float = 2.0,
) -> tuple[float, float]:
    """(unsplit, split) bytes per token per layer, in units of h bytes (h = hidden size), stored for the
    backward pass with 16-bit activations, 1-byte dropout masks and the attention scores left out (they are
    the separate 5as/h term). `split` is the part tensor parallelism divides; with sequence parallelism
    both are divided (Korthikanti et al. 2022, sec 4.2.2).

    Derivation: Korthikanti et al. 2022 sec 4.1 count, per layer, for a 4h GELU MLP with dropout:
      attention 11sbh + 5as^2b:  QKV input 2sbh; Q and K 4sbh; V 2sbh; output-projection input 2sbh;
                                 output dropout mask sbh  (+ scores, softmax, dropout: 5as^2b)
      MLP 19sbh:                 input 2sbh; GELU input 8sbh (= 2 s b 4h); second linear input 8sbh;
                                 dropout mask sbh
      norms 4sbh:                two LayerNorm inputs of 2sbh
      = 34 sbh; unsplit (the 10 of their TP-without-SP formula 10 + 24/t): norms 4, QKV input 2, MLP input
      2, masks 2; split (the 24): Q,K,V 6, output-projection input 2, GELU 16.
    Re-summed term by term for the architectures in the catalogue:
      - Q, K, V at their real widths: Q heads x head_dim, K and V kv_heads x head_dim each (GQA/MQA store
        fewer K/V), the output-projection input heads x head_dim: 2 (q + 2 kv + o) / h.  MHA with
        heads x head_dim = h: 2 (1 + 2 + 1) = 8, as above. FlashAttention (Dao et al. 2022, Algorithm 2)
        saves exactly Q, K, V, O and the row log-sum-exp (s x heads x 4 B, negligible).
      - MLA (DeepSeek-V2 sec 2.1): K = heads x (nope + rope), V = heads x v_head_dim after the
        up-projections, Q = heads x (nope + rope), O = heads x v_head_dim (split); the compressed latents
        (q_lora_rank, kv_lora_rank), which feed the up-projections and their RMSNorms, are stored twice
        each (norm input, up-projection input) and not split (Megatron keeps the down-projections whole).
      - Gated MLP (SwiGLU, ffn f): input 2; gate and up outputs 2f + 2f (SiLU and the product need both);
        down-projection input 2f: 2 + 6 f / h.  Plain MLP: 2 + 4 f / h (f = 4h: 2 + 16 = 18, +1 mask = 19).
      - MoE layer with k routed experts of ffn f_e and n_s shared experts: input 2 (also the router's);
        per route the dispatched copy of the token 2, the expert's gated MLP 6 f_e / h and its output 2
        (the weighted combine needs it for the router-probability gradient): k (4 + 6 f_e / h); shared
        experts n_s x 6 f_e / h. An even load over the EP group is assumed (a hot expert holds more).
      - Norms: 2 x 2 (RMSNorm stores its input like LayerNorm; the per-row statistic is negligible).
      - Dropout: 2 masks of 1 byte (attention output, MLP output) when the model trains with dropout.
    Llama 3 405B (GQA 128/8 heads of 128, f = 3.25h, no dropout): unsplit 4 + 2 + 2 = 8, split
    2 x (1 + 0.125 + 1) + 6 x 3.25 = 4.25 + 19.5 = 23.75: 31.75 sbh instead of 34.
    linear_input_bytes: bytes per element of the tensors saved as the INPUT of a linear layer (QKV input,
    output-projection input, MLP input, down-projection input; MoE: the dispatched copy and the expert's
    down-projection input). 2 in bf16; FP8 recipes save Transformer Engine's FP8 copy instead (1 byte;
    engine.precision). Llama 3 405B in FP8: unsplit 8 - 2 = 6, split 23.75 - 1 - 3.25 = 19.5.
    """
    h = float(model.hidden_size)
    drop = (not model.mlp_gated) if dropout is None else bool(dropout)
    heads = model.attention_heads
    li = float(linear_input_bytes)
    unsplit = 4.0 + li + li + (2.0 if drop else 0.0)
    if model.mla is not None:
        m = model.mla
        qk = heads * (m.qk_nope_head_dim + m.qk_rope_head_dim)
        attn_split = (2.0 * (qk + qk + heads * m.v_head_dim) + li * heads * m.v_head_dim) / h
        unsplit += 2.0 * 2.0 * (m.q_lora_rank + m.kv_lora_rank) / h
    else:
        d = model.head_dim_resolved
        attn_split = (2.0 * (heads * d + 2 * model.kv_heads * d) + li * heads * d) / h
    # per unit of ffn: gated 2 (gate) + 2 (up) + the down-projection input; plain 2 (GELU input) + down input
    per_f = (4.0 if model.mlp_gated else 2.0) + li
    if moe_layer and model.moe is not None:
        e = model.moe
        mlp_split = e.experts_per_token * (li + 2.0 + per_f * e.expert_ffn_size / h)
        mlp_split += e.shared_experts * per_f * (e.shared_expert_ffn_size or e.expert_ffn_size) / h
    else:
        mlp_split = per_f * model.ffn_size / h
    return unsplit, attn_split + mlp_split


def activation_bytes_per_layer(
    model: ModelSpec,
    *,
    seq_len: npt.ArrayLike,
    micro_batch: npt.ArrayLike,
    tp: npt.ArrayLike = 1,
    cp: npt.ArrayLike = 1,
    recompute: str | npt.ArrayLike = "selective",
    sequence_parallel: bool | npt.ArrayLike = True,
    flash_attention: bool = True,
    moe_layer: bool = False,
    dropout: bool | None = None,
    linear_input_bytes: float = 2.0,
) -> FloatArray:
    """Korthikanti et al. 2022, Table 2 (bytes per transformer layer, 16-bit activations, s = seq/cp), with
    the 34 = 10 + 24 of a 4h GELU MLP replaced by activation_coefficients (u + q) for the real architecture:
    no parallelism           s*b*h*(u + q + 5*a*s/h)
    TP                       s*b*h*(u + q/t + 5*a*s/(h*t))
    TP + SP                  (s*b*h/t)*(u + q + 5*a*s/h)
    selective recompute      drops the 5*a*s/h attention-score term (so does FlashAttention, which never
                             stores the s x s scores; Dao et al. 2022)
    full recompute           2*s*b*h (the layer input only; /t with SP, which shards the stored input).
    `recompute` may be an array of indices into RECOMPUTE (0 none, 1 selective, 2 full) or one name.
    For GPT-3 (MHA, 4h GELU MLP, dropout) u + q = 10 + 24 = 34, Korthikanti's figure.
    """
    s = np.asarray(seq_len, dtype=float) / np.asarray(cp, dtype=float)
    b = np.asarray(micro_batch, dtype=float)
    t = np.asarray(tp, dtype=float)
    h, a = float(model.hidden_size), float(model.attention_heads)
    u, q = activation_coefficients(
        model, moe_layer=moe_layer, dropout=dropout, linear_input_bytes=linear_input_bytes
    )
    rc = _recompute_index(recompute)
    sp = np.asarray(sequence_parallel, dtype=bool)
    score = 5.0 * a * s / h
    keep_score = (rc == 0) & (not flash_attention)
    score = np.where(keep_score, score, 0.0)
    sbh = s * b * h
    with_sp = sbh / t * (u + q + score)
    without_sp = sbh * (u + q / t + score / t)
    partial = np.where(sp | (t == 1), with_sp, without_sp)
    full = np.where(sp, 2.0 * sbh / t, 2.0 * sbh)
    return np.asarray(np.where(rc == 2, full, partial), dtype=float)


def _recompute_index(recompute: str | npt.ArrayLike) -> np.ndarray:
    if isinstance(recompute, str):
        if recompute not in RECOMPUTE:
            raise InputError(f"unknown recompute mode {recompute!r}; use none, selective or full")
        return np.asarray(RECOMPUTE.index(recompute))
    return np.asarray(recompute)


def model_state_bytes(
    params: npt.ArrayLike,
    *,
    optimizer: str = "adam",
    zero_stage: npt.ArrayLike = 0,
    dp: npt.ArrayLike = 1,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """(weights, gradients, optimizer state) bytes per GPU for `params` parameters per model replica shard,
    ZeRO-sharded over dp (Rajbhandari et al. 2020, Figure 1: baseline (2+2+K)Psi; P_os 2Psi + 2Psi + K Psi/Nd;
    P_os+g 2Psi + (2+K)Psi/Nd; P_os+g+p (2+2+K)Psi/Nd)."""
    params = np.asarray(params, dtype=float)
    zero_stage = np.asarray(zero_stage)
    dp = np.asarray(dp, dtype=float)
    w_b, g_b, o_b = optimizer_bytes_per_param(optimizer)
    weights = params * w_b / np.where(zero_stage >= 3, dp, 1.0)
    grads = params * g_b / np.where(zero_stage >= 2, dp, 1.0)
    opt = params * o_b / np.where(zero_stage >= 1, dp, 1.0)
    return weights, grads, opt


def training_memory_per_gpu(
    model: ModelSpec,
    *,
    tp: npt.ArrayLike,
    pp: npt.ArrayLike,
    dp: npt.ArrayLike,
    ep: npt.ArrayLike = 1,
    cp: npt.ArrayLike = 1,
    micro_batch: npt.ArrayLike,
    seq_len: npt.ArrayLike,
    zero_stage: npt.ArrayLike = 0,
    recompute: str | npt.ArrayLike = "selective",
    sequence_parallel: bool | npt.ArrayLike = True,
    flash_attention: bool = True,
    optimizer: str = "adam",
    microbatches_in_flight: npt.ArrayLike | None = None,
    interleave: npt.ArrayLike = 1,
    first_stage_layers: npt.ArrayLike | None = None,
    first_chunk_layers: npt.ArrayLike | None = None,
    microbatches: npt.ArrayLike | None = None,
    assumptions: MemoryAssumptions = DEFAULT_ASSUMPTIONS,
    precision: str = "bf16",
) -> dict[str, np.ndarray]:
    """Bytes per GPU (the worst pipeline stage: the first) when training with mixed precision.

    precision (engine.precision): low-precision GEMM recipes keep everything bf16 training keeps (bf16
    weights, gradients, fp32 master weights and Adam moments: Transformer Engine and Megatron-LM leave the
    optimizer alone) PLUS the quantised weight copies TE caches for the step (weight_copy_bytes_per_param per
    linear-layer parameter held, not sharded by ZeRO-1/2; under ZeRO-3 only the gathered layer's), and save
    the linear layers' inputs quantised (activation_coefficients' linear_input_bytes). Reported in
    "weights".

    Model states: weights, gradients and optimizer state per parameter from OPTIMIZERS; ZeRO stage 1 shards
    the optimizer state over the data-parallel replicas, stage 2 also the gradients, stage 3 also the
    weights (Rajbhandari et al. 2020, sec 5 and Figure 1: (2 + 2 + K) Psi, 2 Psi + 2 Psi + K Psi / Nd,
    2 Psi + (2 + K) Psi / Nd, (2 + 2 + K) Psi / Nd). FSDP FULL_SHARD = stage 3, SHARD_GRAD_OP = stage 2.
    Context parallelism shards the sequence, not the parameters; in Megatron the dp x cp ranks together
    shard the ZeRO/distributed-optimizer state, so the ZeRO divisor of the non-expert parameters is dp * cp.
    Routed-expert parameters are replicated only over the expert-data-parallel group, dp * cp / ep
    (expert_data_parallel_size), which is therefore their ZeRO divisor.

    Activations: activation_bytes_per_layer x layer-micro-batches in flight on the first stage, plus the
    embedding/output terms of Korthikanti's eq 5 note: s*b*h*p/t (embedding dropout masks of p micro-batches;
    only when the model trains with dropout) and, with pp == 1, 4*s*b*h/t*(1 + v/h) (final norm, output
    layer, fp32 logits for the cross entropy).
    In flight (Korthikanti et al. 2022 sec 4.2.3, eq 5 and the note under it; cases.toml kort22_eq5_total):
    1F1B keeps p micro-batches of the first stage's layers; the interleaved schedule with v model chunks per
    GPU multiplies that by (1 + (p-1)/(p v)). The extra (p-1)/v are the warm-up forwards Megatron runs on
    the first model chunk (schedules.py: (p - rank - 1) x 2 + (v - 1) x p warm-up micro-batches on rank 0,
    in groups of p per chunk, chunk 0 first), i.e. p - 1 extra micro-batches of chunk 0's layers:
        layer-micro-batches = in_flight x first_stage_layers + (p - 1) x first_chunk_layers   (v > 1)
    with first_chunk_layers = first_stage_layers / v by default, which is Korthikanti's factor exactly. A
    layout whose first chunk holds only the embedding (Llama 3, Dubey et al. 2024 sec 3.3.2: "the first
    model chunk on the first stage has only the embedding") passes first_chunk_layers = 0.
    first_stage_layers: transformer layers on the first stage (default ceil(layers / pp)).
    microbatches: micro-batches per pipeline per step, m (default: unknown, no cap). A stage never holds
    more than all of them: layer-micro-batches <= m x its layers (Megatron schedules.py: the warm-up is
    capped at the total number of chunk micro-batches, and with m == p the interleaved schedule runs every
    forward first).
    Left out: MoE router/dispatch buffers beyond the stored tokens, optimizer temporaries, communication
    buckets (part of the reserve), allocator fragmentation (part of the usable fraction).
    """
    arrays = np.broadcast_arrays(
        *(
            np.asarray(x, dtype=float)
            for x in (
                tp,
                pp,
                dp,
                ep,
                cp,
                micro_batch,
                seq_len,
                zero_stage,
                microbatches_in_flight if microbatches_in_flight is not None else pp,
                interleave,
            )
        )
    )
    tp_a, pp_a, dp_a, ep_a, cp_a, micro_batch_a, seq_len_a, zero_stage_a, in_flight, v = arrays
    even = np.ceil(model.layers / pp_a)
    drop = _dropout(model, assumptions)
    from llmwalls.engine.precision import training_precision

    prec = training_precision(precision)
    kw: dict[str, Any] = dict(
        linear_input_bytes=prec.saved_input_bytes_per_element,
        seq_len=seq_len_a,
        micro_batch=micro_batch_a,
        tp=tp_a,
        cp=cp_a,
        recompute=recompute,
        sequence_parallel=sequence_parallel,
        flash_attention=flash_attention,
        dropout=drop,
    )
    per_dense = activation_bytes_per_layer(model, **kw)
    per_moe = activation_bytes_per_layer(model, moe_layer=True, **kw) if model.moe is not None else per_dense
    dense_layers = model.moe.dense_layers if model.moe is not None else model.layers

    cap = np.inf if microbatches is None else np.asarray(microbatches, dtype=float)

    def stage(
        layers: np.ndarray,
        first_dense: np.ndarray | float,
        with_embedding: np.ndarray | bool,
        units_per_layer: np.ndarray,
        extra_units: np.ndarray,
    ) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
        """Memory of one stage holding `layers` transformer layers, the first of them layer first_dense."""
        dense_here = np.clip(dense_layers - first_dense, 0.0, layers)
        act_stage = dense_here * per_dense + (layers - dense_here) * per_moe
        non_expert, expert, end_part = _stage_params(model, tp_a, pp_a, ep_a, stage_layers=layers)
        # routed experts of the MoE layers on this stage only
        if model.moe is not None and (model.layers - dense_layers) > 0:
            full = np.minimum(layers, model.layers - dense_layers)
            expert = expert * np.where(full > 0, (layers - dense_here) / np.where(full > 0, full, 1.0), 0.0)
        end_part = np.where(with_embedding, end_part, 0.0)
        w_n, g_n, o_n = model_state_bytes(
            non_expert + end_part, optimizer=optimizer, zero_stage=zero_stage_a, dp=dp_a * cp_a
        )
        w_e, g_e, o_e = model_state_bytes(
            expert,
            optimizer=optimizer,
            zero_stage=zero_stage_a,
            dp=expert_data_parallel_size(dp_a, cp_a, ep_a),
        )
        if prec.weight_copy_bytes_per_param > 0.0:
            # quantised copies of the linear weights (norms are not quantised: the small error is kept);
            # ZeRO-3 materialises one layer at a time
            linear = non_expert + expert
            per_layer = linear / np.maximum(layers, 1.0)
            w_n = w_n + np.where(zero_stage_a >= 3, per_layer, linear) * prec.weight_copy_bytes_per_param
        mean = act_stage / np.maximum(layers, 1.0)
        units = layers * units_per_layer + extra_units
        if microbatches is not None:
            units = np.minimum(units, layers * cap)
        return w_n + w_e, g_n + g_e, o_n + o_e, mean * units

    # First stage (rank 0): in_flight micro-batches of all its layers, plus (p - 1) of its first chunk
    # when interleaved (see the docstring).
    first = even if first_stage_layers is None else np.asarray(first_stage_layers, dtype=float) + 0.0 * pp_a
    chunk0 = (
        first / v if first_chunk_layers is None else np.asarray(first_chunk_layers, dtype=float) + 0.0 * pp_a
    )
    w0, g0, o0, a0 = stage(first, 0.0, True, in_flight, np.where(v > 1, (pp_a - 1.0) * chunk0, 0.0))
    s = seq_len_a / cp_a
    sbh_t = s * micro_batch_a * model.hidden_size / tp_a
    a0 = (
        a0
        + (sbh_t * pp_a if drop else 0.0)
        + np.where(pp_a == 1, 4.0 * sbh_t * (1.0 + model.vocab_size / model.hidden_size), 0.0)
    )
    weights, grads, opt, activations = w0, g0, o0, a0
    if model.layers > 1:
        # Rank 1 can be the peak: when the first stage is lighter (a published uneven layout) or holds the
        # dense leading layers of an MoE model (DeepSeek-V3: 3 dense layers, rank 1 all MoE). The rest of the
        # layers spread evenly; one micro-batch fewer in flight with 1F1B (warm-up p - r - 1); with
        # interleaving Megatron's warm-up (p - r - 1) x 2 + (v - 1) x p chunk forwards on rank r = 1:
        # layers x (in_flight + (p - 3) / v) layer-micro-batches (schedules.py). With pp_a == 2 rank 1 is the
        # last stage and holds the LM head. For an even dense split rank 0 stays the peak.
        mid = np.ceil((model.layers - first) / np.maximum(pp_a - 1.0, 1.0))
        units = np.where(v > 1, in_flight, in_flight - 1.0)
        extra1 = np.where(v > 1, (pp_a - 3.0) * mid / v, 0.0)
        w1, g1, o1, a1 = stage(mid, first, pp_a == 2, units, extra1)
        worse = (pp_a >= 2) & (w1 + g1 + o1 + a1 > w0 + g0 + o0 + a0)
        weights, grads, opt, activations = (
            np.where(worse, x1, x0) for x0, x1 in ((w0, w1), (g0, g1), (o0, o1), (a0, a1))
        )
    reserve = assumptions.runtime_reserve_bytes + 0.0 * weights
    total = weights + grads + opt + activations + reserve
    return {
        "weights": weights,
        "gradients": grads,
        "optimizer": opt,
        "activations": activations,
        "reserve": reserve,
        "total": total,
    }


# ------------------------------------------------------------------------------------------ derived answers


def usable_bytes(hbm_bytes: float, assumptions: MemoryAssumptions = DEFAULT_ASSUMPTIONS) -> float:
    return hbm_bytes * assumptions.usable_fraction


def training_usable_bytes(
    device_memory_bytes: float, assumptions: MemoryAssumptions = DEFAULT_ASSUMPTIONS
) -> float:
    """Per-GPU memory a training job may fill: the device's memory (GpuSpec.memory_capacity_bytes, what the
    driver reports) less MemoryAssumptions.training_reserve_bytes (NCCL communicators; the CUDA context and
    workspaces are the runtime reserve inside training_memory_per_gpu). H100 80GB: 85.5e9 B - 1 GiB =
    78.6 GiB."""
    return float(device_memory_bytes) - assumptions.training_reserve_bytes


def max_batch(
    model: ModelSpec,
    *,
    usable: npt.ArrayLike,
    context_tokens: npt.ArrayLike,
    tp: npt.ArrayLike = 1,
    pp: npt.ArrayLike = 1,
    ep: npt.ArrayLike = 1,
    weights: str = "bf16",
    kv_dtype: str = "bf16",
    assumptions: MemoryAssumptions = DEFAULT_ASSUMPTIONS,
    expert_weights: str | None = None,
) -> FloatArray:
    """Largest number of concurrent sequences of context_tokens that fits (0 when even the weights don't)."""
    base = serving_memory_per_gpu(
        model,
        batch=1,
        context_tokens=context_tokens,
        tp=tp,
        pp=pp,
        ep=ep,
        weights=weights,
        kv_dtype=kv_dtype,
        assumptions=assumptions,
        expert_weights=expert_weights,
    )
    free = np.asarray(usable, dtype=float) - base["weights"] - base["reserve"]
    per_seq = base["kv_cache"]
    return np.asarray(np.where(free > 0, np.floor(np.maximum(free, 0) / per_seq), 0.0), dtype=float)


def max_context(
    model: ModelSpec,
    *,
    usable: npt.ArrayLike,
    batch: npt.ArrayLike,
    tp: npt.ArrayLike = 1,
    pp: npt.ArrayLike = 1,
    ep: npt.ArrayLike = 1,
    weights: str = "bf16",
    kv_dtype: str = "bf16",
    assumptions: MemoryAssumptions = DEFAULT_ASSUMPTIONS,
    expert_weights: str | None = None,
) -> FloatArray:
    """Longest context per sequence at a batch, capped at the model's maximum (sliding window: once the
    window fits, any context up to the maximum fits). 0 when even the weights do not fit.

    A model whose layers are all of one attention kind inverts the linear KV growth in closed form. Mixed
    layers (windowed and full, chunked, linear-attention state) make the cache a piecewise-linear,
    non-decreasing function of the context; the answer is then the largest whole context that fits, found by
    bisection over [0, max_context_tokens]."""
    kw = {
        "tp": tp,
        "pp": pp,
        "ep": ep,
        "weights": weights,
        "kv_dtype": kv_dtype,
        "assumptions": assumptions,
        "expert_weights": expert_weights,
    }
    base = serving_memory_per_gpu(model, batch=batch, context_tokens=1, **kw)  # type: ignore[arg-type]
    free = np.asarray(usable, dtype=float) - base["weights"] - base["reserve"]
    kinds = {k for k in ("full", "sliding", "chunked") if model.layer_pattern.count(k)}
    if model.linear_attention is None and len(kinds) <= 1 and model.attention_chunk_tokens is None:
        per_token_all = base["kv_bytes_per_token"] * np.asarray(batch, dtype=float)
        tokens = np.floor(np.maximum(free, 0) / per_token_all)
        window = model.sliding_window_tokens
        if window is not None:
            tokens = np.where(tokens >= window, model.max_context_tokens, tokens)
        return np.asarray(np.minimum(tokens, model.max_context_tokens), dtype=float)
    lo = np.zeros(np.shape(free))  # fits (0 tokens: only the state, checked below)
    hi = np.full(np.shape(free), float(model.max_context_tokens))

    def fits(context: FloatArray) -> np.ndarray:
        m = serving_memory_per_gpu(model, batch=batch, context_tokens=context, **kw)  # type: ignore[arg-type]
        return np.asarray(m["kv_cache"] <= free)

    top = fits(hi)
    for _ in range(int(np.ceil(np.log2(model.max_context_tokens + 1))) + 1):
        mid = np.floor((lo + hi) / 2.0)
        ok = fits(mid)
        lo = np.where(ok, mid, lo)
        hi = np.where(ok, hi, mid)
    tokens = np.where(top, float(model.max_context_tokens), lo)
    return np.asarray(np.where(free > 0, tokens, 0.0), dtype=float)


def tp_candidates(model: ModelSpec, max_tp: int = 8) -> list[int]:
    """Powers of two up to max_tp that divide the attention heads (Megatron requires heads % tp == 0)."""
    out: list[int] = []
    t = 1
    while t <= max_tp:
        if model.attention_heads % t == 0:
            out.append(t)
        t *= 2
    return out


def fewest_gpus(
    model: ModelSpec,
    *,
    usable: float,
    batch: npt.ArrayLike,
    context_tokens: npt.ArrayLike,
    ep: int = 1,
    weights: str = "bf16",
    kv_dtype: str = "bf16",
    assumptions: MemoryAssumptions = DEFAULT_ASSUMPTIONS,
    gpus_per_node: int = 8,
) -> dict[str, int | bool]:
    """Smallest layout that fits: the smallest TP in 1, 2, 4, 8 (dividing the heads) with pp = 1; beyond one
    node, the largest such TP times the smallest PP. Returns {"tp", "pp", "gpus", "fits"} (fits False when
    no PP up to the layer count is enough)."""
    tps = tp_candidates(model, gpus_per_node)
    for t in tps:
        m = serving_memory_per_gpu(
            model,
            batch=batch,
            context_tokens=context_tokens,
            tp=t,
            pp=1,
            ep=ep,
            weights=weights,
            kv_dtype=kv_dtype,
            assumptions=assumptions,
        )
        if float(np.max(m["total"])) <= usable:
            return {"tp": t, "pp": 1, "ep": ep, "gpus": max(t, ep), "fits": True}
    t = tps[-1]
    pps = first_pp_of_each_stage_size(model.layers)
    m = serving_memory_per_gpu(
        model,
        batch=batch,
        context_tokens=context_tokens,
        tp=t,
        pp=pps,
        ep=ep,
        weights=weights,
        kv_dtype=kv_dtype,
        assumptions=assumptions,
    )
    ok = np.nonzero(m["total"] <= usable)[0]
    if ok.size == 0:
        return {"tp": t, "pp": model.layers, "ep": ep, "gpus": max(t, ep) * model.layers, "fits": False}
    p = int(pps[ok[0]])
    return {"tp": t, "pp": p, "ep": ep, "gpus": max(t, ep) * p, "fits": True}


def fewest_training_layout(
    model: ModelSpec,
    *,
    usable: float,
    dp: int = 1,
    cp: int = 1,
    max_tp: int = 8,
    **memory_kwargs: Any,
) -> dict[str, Any]:
    """Fewest TP x PP GPUs (TP a power of two up to max_tp dividing the heads, PP up to the layers) whose
    training memory fits `usable`, everything else as the caller's layout has it (memory_kwargs: micro_batch,
    seq_len, zero_stage, recompute, interleave, microbatches, precision, ... of training_memory_per_gpu).

    Fix advice must hold: the suggested layout is evaluated again on its own, with the same arguments, and
    returned with its memory ("memory_bytes"); fits is True only if that re-evaluation fits. A pipeline
    depth whose stages hold more layers than an even split (e.g. an uneven first stage passed as
    first_stage_layers) is dropped from memory_kwargs for other PP degrees: it belongs to the caller's PP.
    Returns {"tp", "pp", "gpus", "fits", "memory_bytes"}."""
    kw = dict(memory_kwargs)
    kw.pop("first_stage_layers", None)
    kw.pop("first_chunk_layers", None)
    tps = np.array(tp_candidates(model, max_tp), dtype=float)
    pps = np.arange(1, model.layers + 1, dtype=float)
    t_grid, p_grid = (g.ravel() for g in np.meshgrid(tps, pps))
    total = training_memory_per_gpu(model, tp=t_grid, pp=p_grid, dp=dp, cp=cp, **kw)["total"]
    ok = total <= usable
    n = np.where(ok, t_grid * p_grid, np.inf)
    if not ok.any():
        t, p = int(tps[-1]), model.layers
    else:
        i = int(np.argmin(n))  # ties: the smallest PP (grid order)
        t, p = int(t_grid[i]), int(p_grid[i])
    again = float(np.max(training_memory_per_gpu(model, tp=t, pp=p, dp=dp, cp=cp, **kw)["total"]))
    return {"tp": t, "pp": p, "gpus": t * p * dp * cp, "fits": again <= usable, "memory_bytes": again}


def first_pp_of_each_stage_size(layers: int) -> np.ndarray:
    """The pipeline degrees worth trying, as floats in increasing order: serving memory depends on pp only
    through the worst stage's ceil(layers / pp) layers (and whether pp > 1), so of each run of pp values
    sharing one ceil(layers / pp) only the first can be the smallest that fits. ceil(layers / pp) takes at
    most 2 sqrt(layers) distinct values (pp <= sqrt(layers), or ceil(layers / pp) <= sqrt(layers) + 1), so
    this is O(sqrt(layers)) candidates instead of all of 1..layers."""
    root = math.isqrt(layers) + 1
    small = np.arange(1, min(root, layers) + 1, dtype=np.int64)
    # ceil(layers / k): the first pp whose worst stage holds k layers (when any pp does)
    from_sizes = -(-layers // np.arange(1, root + 1, dtype=np.int64))
    pps = np.unique(np.concatenate([small, from_sizes]))
    pps = pps[(pps >= 1) & (pps <= layers)]
    sizes = -(-layers // pps)
    before = -(-layers // np.maximum(pps - 1, 1))
    keep = (pps == 1) | (sizes < before)
    return pps[keep].astype(float)


def largest_params_one_gpu(
    *,
    hbm_bytes: float,
    weights: str = "bf16",
    kv_bytes_per_token_value: float = 0.0,
    assumptions: MemoryAssumptions = DEFAULT_ASSUMPTIONS,
    activation_bytes: float = 0.0,
) -> dict[str, float]:
    """Largest parameter count whose weights fit one GPU.

    raw: hbm / bytes per param (the seed table's rule of thumb: 80 GB / 2 B = 40B in FP16);
    planned: (hbm x usable_fraction - runtime reserve - activation workspace - KV of kv_budget_tokens)
             / bytes per param, i.e. what leaves room to actually serve one sequence.
    """
    per_param = weight_bytes_per_param(weights)
    raw = hbm_bytes / per_param
    room = (
        hbm_bytes * assumptions.usable_fraction
        - assumptions.runtime_reserve_bytes
        - activation_bytes
        - kv_bytes_per_token_value * assumptions.kv_budget_tokens
    )
    return {"raw_params": raw, "planned_params": max(room, 0.0) / per_param}


def check_tp_divides(model: ModelSpec, tp: int) -> None:
    if model.attention_heads % tp:
        raise InputError(
            f"--tp {tp} does not divide {model.name}'s {model.attention_heads} attention heads; "
            f"use one of {', '.join(str(d) for d in _divisors(model.attention_heads)[:8])}"
        )


def _divisors(n: int) -> list[int]:
    """Divisors of n in increasing order, from the pairs (d, n // d) with d <= sqrt(n): O(sqrt n), so a
    count at its schema bound costs microseconds, not a scan of 1..n."""
    small = [d for d in range(1, math.isqrt(n) + 1) if n % d == 0]
    return small + [n // d for d in reversed(small) if d * d != n]


def check_positive(value: float, what: str) -> None:
    if not (isinstance(value, (int, float)) and math.isfinite(value) and value > 0):
        raise InputError(f"{what} must be greater than zero, got {value!r}")


__all__ = [
    "DEFAULT_ASSUMPTIONS",
    "MemoryAssumptions",
    "OPTIMIZERS",
    "RECOMPUTE",
    "activation_bytes_per_layer",
    "activation_coefficients",
    "dtype_bytes",
    "expert_data_parallel_size",
    "expert_params_per_gpu",
    "fewest_gpus",
    "kv_fraction_per_gpu",
    "kv_heads_per_gpu",
    "largest_params_one_gpu",
    "max_batch",
    "max_context",
    "model_state_bytes",
    "serving_memory_per_gpu",
    "training_memory_per_gpu",
    "usable_bytes",
    "training_usable_bytes",
    "fewest_training_layout",
    "weight_params_per_gpu",
]
