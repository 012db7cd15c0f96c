"""What a model architecture implies, before any hardware: parameter counts (total, active, by component),
KV-cache bytes per token, and forward FLOPs per token. Every later engine starts here.

Counts are exact integers from the profile's dimensions, counting every weight tensor in the published
implementations (HF transformers / the authors' reference code), so they match published totals:
Llama-3.1-70B 70.55B, Mixtral-8x7B 46.70B, DeepSeek-V3 671.0B (tests/test_params.py).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from llmwalls.errors import InputError
from llmwalls.specs import LAYER_KINDS, ModelSpec
from llmwalls.units import DTYPE_BYTES

if TYPE_CHECKING:
    import numpy.typing as npt


@dataclass(frozen=True)
class ParamCounts:
    """Parameters by component. 'expert' counts routed experts only; 'dense_mlp' includes shared experts.
    'mtp' (multi-token-prediction modules) is apart: not in total, active or any other figure."""

    embedding: int  # token embedding (+ learned positions)
    lm_head: int  # 0 when tied to the embedding
    attention: int  # all layers: projections (+ MLA low-rank and its norms, + biases), linear attention
    dense_mlp: int  # all layers: dense MLPs, shared experts, MoE routers
    expert: int  # all layers: routed experts (the part expert parallelism splits)
    norms: int  # layer norms and the final norm
    expert_per_token: int  # routed-expert parameters one token touches (experts_per_token of them)
    mtp: int = 0  # multi-token-prediction modules, without the embedding and head they share

    @property
    def total(self) -> int:
        return self.embedding + self.lm_head + self.attention + self.dense_mlp + self.expert + self.norms

    @property
    def active(self) -> int:
        """Parameters used per token (MoE: only the routed experts actually chosen)."""
        return self.total - self.expert + self.expert_per_token

    @property
    def non_embedding(self) -> int:
        return self.total - self.embedding - self.lm_head

    @property
    def layer_shardable(self) -> int:
        """Parameters inside the transformer layers (split by pipeline parallelism)."""
        return self.attention + self.dense_mlp + self.expert + self.norms


# ------------------------------------------------------------------------------------------ layer kinds


def layer_kinds(spec: ModelSpec) -> tuple[str, ...]:
    """The kind of every layer ("full", "sliding", "chunked", "linear"): layer_pattern repeated over the
    layers; without a pattern every layer is "sliding" when the model has a window (Mistral 7B), else
    "full"."""
    pattern = spec.layer_pattern or ["sliding" if spec.sliding_window_tokens is not None else "full"]
    return tuple(pattern[i % len(pattern)] for i in range(spec.layers))


def layer_kind_counts(spec: ModelSpec) -> dict[str, int]:
    """How many layers of each kind (every kind present, 0 where none)."""
    kinds = layer_kinds(spec)
    return {kind: kinds.count(kind) for kind in LAYER_KINDS}


def attention_layer_count(spec: ModelSpec) -> int:
    """Layers that attend over cached keys and values (all but the linear-attention ones)."""
    return spec.layers - layer_kind_counts(spec)["linear"]


def moe_layer_count(spec: ModelSpec) -> int:
    """MoE layers: after the dense leading layers, every moe.layer_interval-th layer (layer i, from 0, is MoE
    when i >= dense_layers and (i + 1) % layer_interval == 0: HF Llama4 interleave_moe_layer_step; DeepSeek
    first_k_dense_replace)."""
    if spec.moe is None:
        return 0
    step = spec.moe.layer_interval
    return sum(1 for i in range(spec.moe.dense_layers, spec.layers) if (i + 1) % step == 0)


# ------------------------------------------------------------------------------------------- parameters


def _mlp_params(spec: ModelSpec, ffn: int) -> int:
    h = spec.hidden_size
    matrices = 3 if spec.mlp_gated else 2
    bias = (ffn * (matrices - 1) + h) if spec.linear_bias else 0
    return matrices * h * ffn + bias


def attention_params_per_layer(spec: ModelSpec) -> int:
    """Parameters of one attention layer (full, sliding or chunked: the kinds share their weights' shapes)."""
    h, heads = spec.hidden_size, spec.attention_heads
    if spec.mla is not None:
        # DeepSeek-V2 sec 2.1.2 / DeepSeek-V3 reference model.py: wq_a, q_norm, wq_b (or wq), wkv_a, kv_norm,
        # wkv_b, wo.
        m = spec.mla
        qk_head = m.qk_nope_head_dim + m.qk_rope_head_dim
        if m.q_lora_rank:
            q = h * m.q_lora_rank + m.q_lora_rank + m.q_lora_rank * heads * qk_head
        else:
            q = h * heads * qk_head
        kv = h * (m.kv_lora_rank + m.qk_rope_head_dim) + m.kv_lora_rank
        kv += m.kv_lora_rank * heads * (m.qk_nope_head_dim + m.v_head_dim)
        out = heads * m.v_head_dim * h
        return q + kv + out
    d = spec.head_dim_resolved
    q_out = 2 * h * heads * d  # W_q and W_o
    if spec.attention_output_gate:
        q_out += h * heads * d  # Qwen3-Next: q_proj also emits a gate per head and channel
    kv = 2 * h * spec.kv_heads * d  # W_k and W_v (GQA: kv_heads of them)
    bias = 0
    if spec.qkv_bias or spec.linear_bias:
        bias += (heads + 2 * spec.kv_heads) * d
    if spec.linear_bias:
        bias += h
    extra = 2 * d if spec.qk_norm else 0  # q_norm and k_norm weights (shared by all heads)
    extra += heads if spec.attention_sinks else 0  # one sink logit per head (gpt-oss `sinks`)
    return q_out + kv + bias + extra


def linear_attention_params_per_layer(spec: ModelSpec) -> int:
    """Parameters of one Gated DeltaNet layer (HF transformers Qwen3NextGatedDeltaNet):
    in_proj_qkvz h x (2 key_dim + 2 value_dim), in_proj_ba h x 2 value_heads, depthwise conv1d conv_dim x
    kernel (no bias; conv_dim = 2 key_dim + value_dim), dt_bias and A_log (value_heads each), gated RMSNorm
    (value_head_dim), out_proj value_dim x h."""
    la = spec.linear_attention
    if la is None:
        return 0
    h = spec.hidden_size
    key_dim, value_dim = la.key_heads * la.key_head_dim, la.value_heads * la.value_head_dim
    conv_dim = 2 * key_dim + value_dim
    return (
        h * (2 * key_dim + 2 * value_dim)
        + h * 2 * la.value_heads
        + conv_dim * la.conv_kernel
        + 2 * la.value_heads
        + la.value_head_dim
        + value_dim * h
    )


def _moe_layer_params(spec: ModelSpec) -> tuple[int, int, int]:
    """(non-routed parameters of one MoE layer: router + shared experts (+ their gate), one routed expert,
    MoE layers)."""
    moe = spec.moe
    if moe is None:
        return 0, 0, 0
    h = spec.hidden_size
    one_expert = _mlp_params(spec, moe.expert_ffn_size)
    shared = moe.shared_experts * _mlp_params(spec, moe.shared_expert_ffn_size or moe.expert_ffn_size)
    router = moe.experts * h + (moe.experts if moe.router_bias else 0)
    if spec.linear_bias:
        router += moe.experts  # gpt-oss: the router is a Linear with a bias
    gate = h if moe.shared_expert_gate else 0
    return router + shared + gate, one_expert, moe_layer_count(spec)


def param_counts(spec: ModelSpec) -> ParamCounts:
    h, L, V = spec.hidden_size, spec.layers, spec.vocab_size
    norm_size = 2 * h if spec.norm == "layernorm" else h  # LayerNorm has weight and bias; RMSNorm weight only
    embedding = V * h + (spec.max_context_tokens * h if spec.position_embedding == "learned" else 0)
    lm_head = 0 if spec.tied_embeddings else V * h
    n_attn = attention_layer_count(spec)
    attention = n_attn * attention_params_per_layer(spec)
    attention += (L - n_attn) * linear_attention_params_per_layer(spec)
    # Pre-attention and pre-MLP norm per layer (Gemma 2/3 add post-norms: norms_per_layer 4), final norm.
    norms = (spec.norms_per_layer * L + 1) * norm_size
    mtp = spec.mtp_layers * _mtp_params_per_module(spec)
    moe = spec.moe
    if moe is None:
        dense = L * _mlp_params(spec, spec.ffn_size)
        return ParamCounts(embedding, lm_head, attention, dense, 0, norms, 0, mtp)
    non_routed, one_expert, moe_layers = _moe_layer_params(spec)
    dense_mlp = (L - moe_layers) * _mlp_params(spec, spec.ffn_size) + moe_layers * non_routed
    expert = moe_layers * moe.experts * one_expert
    expert_per_token = moe_layers * moe.experts_per_token * one_expert
    return ParamCounts(embedding, lm_head, attention, dense_mlp, expert, norms, expert_per_token, mtp)


def _mtp_params_per_module(spec: ModelSpec) -> int:
    """One multi-token-prediction module (DeepSeek-V3 sec 2.2, Figure 3; HF checkpoint layer 61): a
    transformer block (attention, the MoE (or dense) MLP, its norms), the projection M of the concatenated
    [normed hidden; normed embedding] (2h x h), the two RMSNorms before it and the norm before the shared
    output head. The embedding and output head are shared with the main model and not counted (the HF
    checkpoint stores a copy of both in that layer, 2 V h more)."""
    h = spec.hidden_size
    norm_size = 2 * h if spec.norm == "layernorm" else h
    if spec.moe is not None:
        non_routed, one_expert, _ = _moe_layer_params(spec)
        mlp = non_routed + spec.moe.experts * one_expert
    else:
        mlp = _mlp_params(spec, spec.ffn_size)
    block = attention_params_per_layer(spec) + mlp + spec.norms_per_layer * norm_size
    return block + 2 * h * h + 3 * norm_size


# --------------------------------------------------------------------------------- KV cache and state


def kv_elements_per_token(spec: ModelSpec) -> int:
    """Cached elements per token across all attention layers (linear-attention layers cache none).

    MHA/GQA/MQA: 2 (K and V) x attention layers x kv_heads x head_dim  (DeepSeek-V2 Table 1; vLLM paper
         sec 3).
    MLA: (kv_lora_rank + qk_rope_head_dim) x layers          (DeepSeek-V2 Table 1: the compressed latent
         plus the decoupled RoPE key are all that is cached).
    A sliding or chunked layer holds this per token only up to its window or chunk: cached_tokens.
    """
    if spec.mla is not None:
        return (spec.mla.kv_lora_rank + spec.mla.qk_rope_head_dim) * spec.layers
    return 2 * attention_layer_count(spec) * spec.kv_heads * spec.head_dim_resolved


def dtype_bytes(dtype: str, what: str = "precision") -> float:
    try:
        return DTYPE_BYTES[dtype.lower()]
    except KeyError:
        raise InputError(f"unknown {what} {dtype!r}; use one of {', '.join(DTYPE_BYTES)}") from None


def kv_bytes_per_token(spec: ModelSpec, kv_dtype: str = "bf16") -> float:
    return kv_elements_per_token(spec) * dtype_bytes(kv_dtype, "KV-cache precision")


def _kind_caps(spec: ModelSpec) -> list[tuple[int, float]]:
    """(attention layers, tokens a layer of that kind caches at most) per kind present; inf = no cap."""
    counts = layer_kind_counts(spec)
    caps = {
        "full": math.inf,
        "sliding": float(spec.sliding_window_tokens or math.inf),
        "chunked": float(spec.attention_chunk_tokens or math.inf),
    }
    return [(counts[k], caps[k]) for k in ("full", "sliding", "chunked") if counts[k]]


def cached_tokens(spec: ModelSpec, context_tokens: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """Tokens held in the KV cache at a context length, averaged over the attention layers, so that
    kv_bytes_per_token x cached_tokens is the whole cache of one sequence:
      full layer:     the context;
      sliding layer:  min(context, window)  (Mistral 7B sec 2: a rolling buffer of W tokens);
      chunked layer:  min(context, chunk) -- a token attends only within its chunk of C tokens (Llama 4,
                      HF Llama4TextAttention with attention_chunk_size), so at most C are kept; this is the
                      cache at the end of a chunk, the size a server must provision.
    A float array of the context's shape (a model whose attention layers are all full: the context)."""
    c = np.asarray(context_tokens, dtype=float)
    caps = _kind_caps(spec)
    layers = sum(n for n, _ in caps)
    return np.asarray(sum(n * np.minimum(c, cap) for n, cap in caps) / layers, dtype=float)


def causal_attended_tokens(spec: ModelSpec, prompt_tokens: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """Sum over prompt positions i = 1..P of the tokens position i attends to, averaged over the attention
    layers (causal mask; causal kernels such as FlashAttention skip the masked half, so it is counted as they
    run):
      full:     P(P+1)/2;
      sliding:  P(P+1)/2 while P <= W, then W(W+1)/2 + (P - W) W;
      chunked:  n C(C+1)/2 + r(r+1)/2 with P = n C + r (each chunk is its own causal block)."""
    p = np.asarray(prompt_tokens, dtype=float)
    caps = _kind_caps(spec)
    total = np.zeros_like(p)
    counts = layer_kind_counts(spec)
    for kind in ("full", "sliding", "chunked"):
        n = counts[kind]
        if not n:
            continue
        if kind == "full":
            s = p * (p + 1) / 2
        elif kind == "sliding":
            w = float(spec.sliding_window_tokens)  # type: ignore[arg-type]
            s = np.where(p <= w, p * (p + 1) / 2, w * (w + 1) / 2 + (p - w) * w)
        else:
            chunk = float(spec.attention_chunk_tokens)  # type: ignore[arg-type]
            whole = np.floor(p / chunk)
            r = p - whole * chunk
            s = whole * chunk * (chunk + 1) / 2 + r * (r + 1) / 2
        total = total + n * s
    return np.asarray(total / sum(n for n, _ in caps), dtype=float)


# Recurrent state of the linear-attention layers, kept in this precision: vLLM's default
# --mamba-ssm-cache-dtype "auto" keeps it in the model's dtype (bf16); some deployments keep fp32
# (the Qwen3.5 configs ask for mamba_ssm_dtype float32). Overridable per call (state_dtype=).
LINEAR_STATE_DTYPE = "bf16"


def linear_state_elements_per_sequence(spec: ModelSpec) -> int:
    """Elements of the constant per-sequence state of all linear-attention layers, whatever the context:
    the delta-rule state S of value_heads x key_head_dim x value_head_dim (Yang et al. 2024, Gated DeltaNet
    sec 2: S_t is d_k x d_v per head; Qwen3-Next has one per value head) plus the causal-conv state of
    (conv_kernel - 1) x conv_dim inputs (conv_dim = 2 key_dim + value_dim)."""
    la = spec.linear_attention
    if la is None:
        return 0
    n_linear = spec.layers - attention_layer_count(spec)
    recurrent = la.value_heads * la.key_head_dim * la.value_head_dim
    conv_dim = 2 * la.key_heads * la.key_head_dim + la.value_heads * la.value_head_dim
    return n_linear * (recurrent + (la.conv_kernel - 1) * conv_dim)


def linear_state_bytes_per_sequence(spec: ModelSpec, state_dtype: str = LINEAR_STATE_DTYPE) -> float:
    return linear_state_elements_per_sequence(spec) * dtype_bytes(
        state_dtype, "linear-attention state precision"
    )


def kv_cache_bytes_per_sequence(
    spec: ModelSpec,
    context_tokens: npt.ArrayLike,
    kv_dtype: str = "bf16",
    state_dtype: str = LINEAR_STATE_DTYPE,
) -> npt.NDArray[np.float64]:
    """Whole-model cache of one sequence at a context length: every attention layer's K/V for the tokens it
    keeps (cached_tokens) plus the constant state of the linear-attention layers."""
    kv = kv_bytes_per_token(spec, kv_dtype) * np.asarray(cached_tokens(spec, context_tokens), dtype=float)
    return np.asarray(kv + linear_state_bytes_per_sequence(spec, state_dtype), dtype=float)


# ------------------------------------------------------------------------------------------------ FLOPs


def attention_flops_coefficient(spec: ModelSpec) -> float:
    """Forward FLOPs per token per attended token, all attention layers: 2 x 2 x layers x heads x head_dim
    (Kaplan et al. 2020 Table 1: 2 n_layer n_ctx d_attn per token counts one of the two products, QK^T and
    AV); MLA uses its qk and v head dims."""
    if spec.mla is not None:
        m = spec.mla
        per_head = (m.qk_nope_head_dim + m.qk_rope_head_dim) + m.v_head_dim
    else:
        per_head = 2 * spec.head_dim_resolved
    return float(2 * attention_layer_count(spec) * spec.attention_heads * per_head)


def linear_attention_flops_per_token(spec: ModelSpec) -> float:
    """Forward FLOPs per token of the recurrences of all linear-attention layers, constant in the context.
    Gated DeltaNet's recurrent form (Yang et al. 2024, arXiv:2412.06464, sec 2.2:
    S_t = S_{t-1} a_t (I - b_t k_t k_t^T) + b_t v_t k_t^T, o_t = S_t q_t) costs per value head the product
    S k, the rank-1 update and S q: 3 x 2 x d_k x d_v; the depthwise conv adds 2 x conv_dim x kernel. The
    projections are weights (counted with the parameters)."""
    la = spec.linear_attention
    if la is None:
        return 0.0
    n_linear = spec.layers - attention_layer_count(spec)
    conv_dim = 2 * la.key_heads * la.key_head_dim + la.value_heads * la.value_head_dim
    per_layer = 6 * la.value_heads * la.key_head_dim * la.value_head_dim + 2 * conv_dim * la.conv_kernel
    return float(n_linear * per_layer)


def attention_flops_per_token(spec: ModelSpec, context_tokens: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """Forward FLOPs per token for scores (QK^T) and context (AV) at a given context: the coefficient x the
    tokens each attention layer attends to (cached_tokens: window- and chunk-capped), plus the constant
    recurrence FLOPs of the linear-attention layers."""
    attended = np.asarray(cached_tokens(spec, context_tokens), dtype=float)
    return attention_flops_coefficient(spec) * attended + linear_attention_flops_per_token(spec)


def dense_flops_per_token(spec: ModelSpec) -> float:
    """Forward matmul FLOPs per token outside attention scores: 2 x active parameters (Kaplan et al. 2020,
    sec 2.1), counting the LM head but not the embedding lookup (a gather, not a matmul)."""
    counts = param_counts(spec)
    lookup = spec.vocab_size * spec.hidden_size if not spec.tied_embeddings else 0
    positions = spec.max_context_tokens * spec.hidden_size if spec.position_embedding == "learned" else 0
    return 2.0 * (counts.active - lookup - positions)


# int4 weight-only quantisation (GPTQ/AWQ) stores one fp16 scale per group of 128 weights, plus a packed 4-bit
# zero point in AWQ: 0.5 + (2 + 0.5) / 128 bytes per parameter (AWQ, Lin et al. 2023, sec 4; group size 128).
INT4_GROUP_SIZE = 128
INT4_BYTES_PER_PARAM = 0.5 + (2.0 + 0.5) / INT4_GROUP_SIZE
# Microscaling formats (OCP Microscaling Formats (MX) Specification v1.0, 2023, sec 5: MXFP4 = 32 FP4 E2M1
# elements sharing one 8-bit E8M0 scale): 4 + 8 / 32 = 4.25 bits = 0.53125 bytes per parameter.
MXFP4_BLOCK_SIZE = 32
MXFP4_BYTES_PER_PARAM = (4.0 + 8.0 / MXFP4_BLOCK_SIZE) / 8.0
# NVFP4 (NVIDIA, "Introducing NVFP4 for Efficient and Accurate Low-Precision Inference", 2025): FP4 E2M1
# elements with one FP8 E4M3 scale per 16, plus one fp32 scale per tensor (4 bytes per matrix, left out):
# 4 + 8 / 16 = 4.5 bits = 0.5625 bytes per parameter.
NVFP4_BLOCK_SIZE = 16
NVFP4_BYTES_PER_PARAM = (4.0 + 8.0 / NVFP4_BLOCK_SIZE) / 8.0
WEIGHT_DTYPES = ("fp32", "bf16", "fp16", "fp8", "int8", "int4", "fp4", "mxfp4", "nvfp4")


def weight_bytes_per_param(dtype: str) -> float:
    """Bytes per stored weight at a precision; int4, MXFP4 and NVFP4 include their block scales."""
    key = dtype.lower()
    if key not in WEIGHT_DTYPES:
        raise InputError(f"unknown weight precision {dtype!r}; use one of {', '.join(WEIGHT_DTYPES)}")
    if key == "int4":
        return INT4_BYTES_PER_PARAM
    if key == "mxfp4":
        return MXFP4_BYTES_PER_PARAM
    if key == "nvfp4":
        return NVFP4_BYTES_PER_PARAM
    return DTYPE_BYTES[key]


def expert_weight_dtype(spec: ModelSpec, weights: str, expert_weights: str | None = None) -> str:
    """The format of the routed experts: expert_weights when given, else the format the model publishes its
    experts in (ModelSpec.expert_weight_format: gpt-oss ships MXFP4 experts), else the rest's format."""
    if expert_weights is not None:
        weight_bytes_per_param(expert_weights)  # validates the name
        return expert_weights
    return spec.expert_weight_format or weights


def compute_dtype_for_weights(dtype: str) -> str:
    """The tensor-core precision a weight format computes in: weight-only int8/int4 kernels dequantise to
    bf16 (gpt-fast, AWQ); fp8 and fp4 weights run on fp8/fp4 tensor cores where the GPU has them; MXFP4 and
    NVFP4 are fp4 formats."""
    key = dtype.lower()
    return {"int4": "bf16", "int8": "bf16", "fp32": "fp32", "mxfp4": "fp4", "nvfp4": "fp4"}.get(key, key)
