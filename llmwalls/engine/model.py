"""What a model architecture implies, before any hardware: parameter counts (total, active, by component),
KV-cache bytes per token, and forward FLOPs per token. Every later engine starts here.

Counts are exact integers from the profile's dimensions, counting every weight tensor in the published
implementations (HF transformers / the authors' reference code), so they match published totals:
Llama-3.1-70B 70.55B, Mixtral-8x7B 46.70B, DeepSeek-V3 671.0B (tests/test_params.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from llmwalls.errors import InputError
from llmwalls.specs import ModelSpec
from llmwalls.units import DTYPE_BYTES


@dataclass(frozen=True)
class ParamCounts:
    """Parameters by component. 'expert' counts routed experts only; 'dense_mlp' includes shared experts."""

    embedding: int  # token embedding (+ learned positions)
    lm_head: int  # 0 when tied to the embedding
    attention: int  # all layers: projections (+ MLA low-rank and its norms, + biases)
    dense_mlp: int  # all layers: dense MLPs, shared experts, MoE routers
    expert: int  # all layers: routed experts (the part expert parallelism splits)
    norms: int  # layer norms and the final norm
    expert_per_token: int  # routed-expert parameters one token touches (experts_per_token of them)

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


def _mlp_params(spec: ModelSpec, ffn: int) -> int:
    h = spec.hidden_size
    matrices = 3 if spec.mlp_gated else 2
    bias = (ffn * (matrices - 1) + h) if spec.linear_bias else 0
    return matrices * h * ffn + bias


def attention_params_per_layer(spec: ModelSpec) -> int:
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
    kv = 2 * h * spec.kv_heads * d  # W_k and W_v (GQA: kv_heads of them)
    bias = 0
    if spec.qkv_bias or spec.linear_bias:
        bias += (heads + 2 * spec.kv_heads) * d
    if spec.linear_bias:
        bias += h
    return q_out + kv + bias


def param_counts(spec: ModelSpec) -> ParamCounts:
    h, L, V = spec.hidden_size, spec.layers, spec.vocab_size
    norm_size = 2 * h if spec.norm == "layernorm" else h  # LayerNorm has weight and bias; RMSNorm weight only
    embedding = V * h + (spec.max_context_tokens * h if spec.position_embedding == "learned" else 0)
    lm_head = 0 if spec.tied_embeddings else V * h
    attention = L * attention_params_per_layer(spec)
    norms = (2 * L + 1) * norm_size  # pre-attention and pre-MLP norm per layer, final norm
    moe = spec.moe
    if moe is None:
        return ParamCounts(embedding, lm_head, attention, L * _mlp_params(spec, spec.ffn_size), 0, norms, 0)
    moe_layers = L - moe.dense_layers
    one_expert = _mlp_params(spec, moe.expert_ffn_size)
    router = moe.experts * h + (moe.experts if moe.router_bias else 0)
    dense_mlp = moe.dense_layers * _mlp_params(spec, spec.ffn_size)
    dense_mlp += moe_layers * (router + moe.shared_experts * one_expert)
    expert = moe_layers * moe.experts * one_expert
    expert_per_token = moe_layers * moe.experts_per_token * one_expert
    return ParamCounts(embedding, lm_head, attention, dense_mlp, expert, norms, expert_per_token)


def kv_elements_per_token(spec: ModelSpec) -> int:
    """Cached elements per token across all layers.

    MHA/GQA/MQA: 2 (K and V) x layers x kv_heads x head_dim  (DeepSeek-V2 Table 1; vLLM paper sec 3).
    MLA: (kv_lora_rank + qk_rope_head_dim) x layers          (DeepSeek-V2 Table 1: the compressed latent
         plus the decoupled RoPE key are all that is cached).
    """
    if spec.mla is not None:
        return (spec.mla.kv_lora_rank + spec.mla.qk_rope_head_dim) * spec.layers
    return 2 * spec.layers * spec.kv_heads * spec.head_dim_resolved


def dtype_bytes(dtype: str, what: str = "precision") -> float:
    try:
        return DTYPE_BYTES[dtype.lower()]
    except KeyError:
        raise InputError(f"unknown {what} {dtype!r}; use one of {', '.join(DTYPE_BYTES)}") from None


def kv_bytes_per_token(spec: ModelSpec, kv_dtype: str = "bf16") -> float:
    return kv_elements_per_token(spec) * dtype_bytes(kv_dtype, "KV-cache precision")


def cached_tokens(spec: ModelSpec, context_tokens):  # noqa: ANN001 - int or numpy array
    """Tokens held in the KV cache at a context length: capped by the sliding window (Mistral 7B sec 2)."""
    import numpy as np

    if spec.sliding_window_tokens is None:
        return context_tokens
    return np.minimum(context_tokens, spec.sliding_window_tokens)


def attention_flops_per_token(spec: ModelSpec, context_tokens):  # noqa: ANN001
    """Forward FLOPs per token for scores (QK^T) and context (AV) at a given attended length.

    2 x 2 x layers x heads x head_dim x attended: Kaplan et al. 2020 Table 1 (2 n_layer n_ctx d_attn per
    token counts one of the two products); MLA uses its qk and v head dims.
    """
    attended = cached_tokens(spec, context_tokens)
    if spec.mla is not None:
        m = spec.mla
        per_head = (m.qk_nope_head_dim + m.qk_rope_head_dim) + m.v_head_dim
    else:
        per_head = 2 * spec.head_dim_resolved
    return 2 * spec.layers * spec.attention_heads * per_head * attended


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
WEIGHT_DTYPES = ("fp32", "bf16", "fp16", "fp8", "int8", "int4", "fp4")


def weight_bytes_per_param(dtype: str) -> float:
    """Bytes per stored weight at a precision; int4 includes its group-scale overhead."""
    key = dtype.lower()
    if key not in WEIGHT_DTYPES:
        raise InputError(f"unknown weight precision {dtype!r}; use one of {', '.join(WEIGHT_DTYPES)}")
    if key == "int4":
        return INT4_BYTES_PER_PARAM
    return DTYPE_BYTES[key]


def compute_dtype_for_weights(dtype: str) -> str:
    """The tensor-core precision a weight format computes in: weight-only int8/int4 kernels dequantise to
    bf16 (gpt-fast, AWQ); fp8 and fp4 weights run on fp8/fp4 tensor cores where the GPU has them."""
    key = dtype.lower()
    return {"int4": "bf16", "int8": "bf16", "fp32": "fp32"}.get(key, key)
