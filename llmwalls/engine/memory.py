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

import numpy as np

from llmwalls.engine.model import (
    cached_tokens,
    dtype_bytes,
    kv_bytes_per_token,
    param_counts,
    weight_bytes_per_param,
)
from llmwalls.errors import InputError
from llmwalls.specs import ModelSpec
from llmwalls.units import GiB

VLLM_GPU_MEMORY_UTILIZATION_DOC = "https://docs.vllm.ai/en/latest/configuration/engine_args.html"


@dataclass(frozen=True)
class MemoryAssumptions:
    """Judgement calls of the memory engine, each overridable from the command line."""

    # Fraction of HBM the workload may use. 0.9 is vLLM's default --gpu-memory-utilization ("the fraction of
    # GPU memory to be used for the model executor", default 0.9; vLLM engine arguments,
    # https://docs.vllm.ai/en/latest/configuration/engine_args.html). The other 10% absorbs allocator
    # fragmentation, CUDA graphs and other processes. Also used for training (PyTorch's caching allocator
    # typically loses 5-10% to fragmentation). CLI: --usable-fraction.
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


def _layer_split(model: ModelSpec, tp, pp, ep, serving=False):  # noqa: ANN001, ANN202
    """Parameters on the worst GPU, split into (layers part, embedding part), as float arrays."""
    c = param_counts(model)
    L = model.layers
    tp = np.asarray(tp, dtype=float)
    pp = np.asarray(pp, dtype=float)
    ep = np.asarray(ep, dtype=float)
    layers_on_stage = np.ceil(L / pp)  # worst stage: ceil(L/pp) layers
    # Norm weights: replicated over TP (Megatron), split over PP by layers.
    norms = c.norms / L * layers_on_stage
    # Attention and dense MLP (incl. shared experts, routers): / tp, by layers over pp.
    dense = (c.attention + c.dense_mlp) / L * layers_on_stage / tp
    expert = 0.0
    if c.expert:
        moe_layers = L - model.moe.dense_layers  # type: ignore[union-attr]
        # Routed experts are sharded over expert parallelism (GShard sec 2.2). Training (Megatron-core): EP
        # groups are carved out of the data-parallel ranks and each expert keeps TP = tp, so
        # experts / (tp x ep) on tp x pp x dp GPUs (ep divides dp). Serving (vLLM --enable-expert-parallel,
        # SGLang --ep-size): EP takes the place of TP for the experts on the same GPUs, so
        # experts / max(tp, ep) on pp x max(tp, ep) GPUs. A stage holds at most all MoE layers.
        shards = np.maximum(tp, ep) if serving else tp * ep
        expert = c.expert / moe_layers * np.minimum(layers_on_stage, moe_layers) / shards
    layers_part = norms + dense + expert
    emb, head = float(c.embedding), float(c.lm_head)
    # Tied: pp == 1 one shared matrix; pp > 1 the first stage holds it and the last a copy (Megatron shared
    # embedding): V x h on the worst stage either way. Untied: both on one GPU at pp == 1, else the larger.
    untied = np.where(pp > 1, max(emb, head), emb + head)
    end_part = emb + 0.0 * pp if model.tied_embeddings else untied
    return layers_part, end_part / tp


def weight_params_per_gpu(model: ModelSpec, *, tp=1, pp=1, ep=1, serving: bool = False):  # noqa: ANN001, ANN201
    """Parameters held by the most loaded GPU (see the module notes and _layer_split for the layout
    assumptions; serving=True uses the inference engines' expert-parallel layout)."""
    layers_part, end_part = _layer_split(model, tp, pp, ep, serving)
    return layers_part + end_part


# ------------------------------------------------------------------------------------------------ serving


def kv_heads_per_gpu(model: ModelSpec, tp):  # noqa: ANN001, ANN201
    """KV heads one TP rank caches. GQA/MHA: kv_heads / tp, but when tp > kv_heads the KV heads are
    replicated so that each rank has one (vLLM/Megatron: num_kv_heads_per_rank = max(1, kv_heads // tp)).
    MLA: the latent is shared by all heads and is NOT split by TP in vLLM or SGLang -- every TP rank caches
    the whole latent (LMSYS SGLang v0.4 blog, "data parallelism attention": "MLA ... TP duplicates the KV
    cache across devices"), so the per-rank KV is the full per-token figure."""
    tp = np.asarray(tp, dtype=float)
    if model.mla is not None:
        return np.ones_like(tp)  # one latent "head", whole on every rank
    return np.maximum(np.ceil(model.kv_heads / tp), 1.0)


def kv_fraction_per_gpu(model: ModelSpec, tp, pp):  # noqa: ANN001, ANN201
    """Fraction of a token's whole-model KV cache that the worst GPU holds: heads over TP, layers over PP."""
    pp = np.asarray(pp, dtype=float)
    layer_frac = np.ceil(model.layers / pp) / model.layers
    if model.mla is not None:
        head_frac = np.ones_like(np.asarray(tp, dtype=float))
    else:
        head_frac = kv_heads_per_gpu(model, tp) / model.kv_heads
    return head_frac * layer_frac


def serving_activation_bytes(model: ModelSpec, *, tp=1, assumptions: MemoryAssumptions = DEFAULT_ASSUMPTIONS):  # noqa: ANN001, ANN201
    """Peak activation workspace of one forward over max_num_batched_tokens (see MemoryAssumptions)."""
    tp = np.asarray(tp, dtype=float)
    ffn = model.ffn_size if model.moe is None else max(model.ffn_size, model.moe.expert_ffn_size)
    matrices = 2 if model.mlp_gated else 1
    per_token = matrices * ffn / tp + assumptions.serving_hidden_buffers * model.hidden_size
    return assumptions.serving_activation_tokens * per_token * assumptions.activation_bytes_per_element


def serving_memory_per_gpu(
    model: ModelSpec,
    *,
    batch,  # noqa: ANN001
    context_tokens,  # noqa: ANN001
    tp=1,  # noqa: ANN001
    pp=1,  # noqa: ANN001
    ep=1,  # noqa: ANN001
    weights: str = "bf16",
    kv_dtype: str = "bf16",
    assumptions: MemoryAssumptions = DEFAULT_ASSUMPTIONS,
) -> dict[str, np.ndarray]:
    """Bytes per GPU when serving: weights, KV cache for batch sequences of context_tokens, reserve.

    KV cache: kv_bytes_per_token (2 x layers x kv_heads x head_dim x bytes; MLA: (kv_lora_rank +
    rope_dim) x layers x bytes -- DeepSeek-V2 Table 1) x cached tokens (sliding-window cap, Mistral 7B sec 2)
    x batch, split over TP by KV heads and over PP by layers (kv_fraction_per_gpu).
    """
    batch, context_tokens, tp, pp, ep = np.broadcast_arrays(
        *(np.asarray(x, dtype=float) for x in (batch, context_tokens, tp, pp, ep))
    )
    per_param = weight_bytes_per_param(weights)
    w = weight_params_per_gpu(model, tp=tp, pp=pp, ep=ep, serving=True) * per_param
    kv_per_token = kv_bytes_per_token(model, kv_dtype)
    kv_per_token_gpu = kv_per_token * kv_fraction_per_gpu(model, tp, pp)
    kv = kv_per_token_gpu * np.asarray(cached_tokens(model, context_tokens), dtype=float) * batch
    act = serving_activation_bytes(model, tp=tp, assumptions=assumptions)
    reserve = assumptions.runtime_reserve_bytes + act
    total = w + kv + reserve
    return {
        "weights": w,
        "kv_cache": kv,
        "activation_workspace": act + 0.0 * total,
        "runtime_reserve": assumptions.runtime_reserve_bytes + 0.0 * total,
        "reserve": reserve + 0.0 * total,
        "total": total,
        "kv_bytes_per_token": kv_per_token_gpu + 0.0 * total,
    }


# ----------------------------------------------------------------------------------------------- training


def activation_bytes_per_layer(
    model: ModelSpec,
    *,
    seq_len,
    micro_batch,
    tp=1,
    cp=1,
    recompute="selective",  # noqa: ANN001, ANN201
    sequence_parallel=True,
    flash_attention=True,
):  # noqa: ANN001
    """Korthikanti et al. 2022, Table 2 (bytes per transformer layer, 16-bit activations, s = seq/cp):
    no parallelism           s*b*h*(34 + 5*a*s/h)
    TP                       s*b*h*(10 + 24/t + 5*a*s/(h*t))
    TP + SP                  (s*b*h/t)*(34 + 5*a*s/h)
    selective recompute      drops the 5*a*s/h attention-score term (so does FlashAttention, which never
                             stores the s x s scores; Dao et al. 2022)
    full recompute           2*s*b*h (the layer input only; /t with SP, which shards the stored input).
    `recompute` may be an array of indices into RECOMPUTE (0 none, 1 selective, 2 full) or one name.
    The coefficients assume a 4h non-gated MLP and a = heads; for gated/MoE MLPs they are an approximation.
    """
    s = np.asarray(seq_len, dtype=float) / np.asarray(cp, dtype=float)
    b = np.asarray(micro_batch, dtype=float)
    t = np.asarray(tp, dtype=float)
    h, a = float(model.hidden_size), float(model.attention_heads)
    rc = _recompute_index(recompute)
    sp = np.asarray(sequence_parallel, dtype=bool)
    score = 5.0 * a * s / h
    keep_score = (rc == 0) & (not flash_attention)
    score = np.where(keep_score, score, 0.0)
    sbh = s * b * h
    with_sp = sbh / t * (34.0 + score)
    without_sp = sbh * (10.0 + 24.0 / t + score / t)
    partial = np.where(sp | (t == 1), with_sp, without_sp)
    full = np.where(sp, 2.0 * sbh / t, 2.0 * sbh)
    return np.where(rc == 2, full, partial)


def _recompute_index(recompute):  # noqa: ANN001, ANN202
    if isinstance(recompute, str):
        if recompute not in RECOMPUTE:
            raise InputError(f"unknown recompute mode {recompute!r}; use none, selective or full")
        return np.asarray(RECOMPUTE.index(recompute))
    return np.asarray(recompute)


def model_state_bytes(params, *, optimizer="adam", zero_stage=0, dp=1):  # noqa: ANN001, ANN201
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
    tp,  # noqa: ANN001
    pp,  # noqa: ANN001
    dp,  # noqa: ANN001
    ep=1,  # noqa: ANN001
    cp=1,  # noqa: ANN001
    micro_batch,  # noqa: ANN001
    seq_len,  # noqa: ANN001
    zero_stage=0,  # noqa: ANN001
    recompute="selective",  # noqa: ANN001
    sequence_parallel=True,  # noqa: ANN001
    flash_attention: bool = True,
    optimizer: str = "adam",
    microbatches_in_flight=None,  # noqa: ANN001
    assumptions: MemoryAssumptions = DEFAULT_ASSUMPTIONS,
) -> dict[str, np.ndarray]:
    """Bytes per GPU (the worst pipeline stage: the first) when training with mixed precision.

    Model states: weights, gradients and optimizer state per parameter from OPTIMIZERS; ZeRO stage 1 shards
    the optimizer state over dp, stage 2 also the gradients, stage 3 also the weights (Rajbhandari et al.
    2020, sec 5 and Figure 1: (2 + 2 + K) Psi, 2 Psi + 2 Psi + K Psi / Nd, 2 Psi + (2 + K) Psi / Nd,
    (2 + 2 + K) Psi / Nd). FSDP FULL_SHARD = stage 3, SHARD_GRAD_OP = stage 2.
    Context parallelism shards the sequence, not the parameters; in Megatron the dp x cp ranks together
    shard the ZeRO/distributed-optimizer state, so the ZeRO divisor is dp * cp.
    Activations: activation_bytes_per_layer x ceil(layers/pp) x microbatches in flight (1F1B keeps pp
    micro-batches on the first stage: Korthikanti et al. 2022, eq 5 and the note under it), plus the
    embedding/output terms of Korthikanti's eq 5 note: s*b*h*p/t (embedding dropout masks of p
    micro-batches) and, with pp == 1, 4*s*b*h/t*(1 + v/h) (final norm, output layer, fp32 logits for the
    cross entropy). Left out: MoE router/dispatch buffers, optimizer temporaries, communication buckets
    (part of the reserve), allocator fragmentation (part of the usable fraction).
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
            )
        )
    )
    tp, pp, dp, ep, cp, micro_batch, seq_len, zero_stage, in_flight = arrays
    params = weight_params_per_gpu(model, tp=tp, pp=pp, ep=ep)
    weights, grads, opt = model_state_bytes(params, optimizer=optimizer, zero_stage=zero_stage, dp=dp * cp)
    per_layer = activation_bytes_per_layer(
        model,
        seq_len=seq_len,
        micro_batch=micro_batch,
        tp=tp,
        cp=cp,
        recompute=recompute,
        sequence_parallel=sequence_parallel,
        flash_attention=flash_attention,
    )
    layers_on_stage = np.ceil(model.layers / pp)
    s = seq_len / cp
    sbh_t = s * micro_batch * model.hidden_size / tp
    extra = sbh_t * pp + np.where(pp == 1, 4.0 * sbh_t * (1.0 + model.vocab_size / model.hidden_size), 0.0)
    activations = per_layer * layers_on_stage * in_flight + extra
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


def max_batch(
    model: ModelSpec,
    *,
    usable,
    context_tokens,
    tp=1,
    pp=1,
    ep=1,
    weights="bf16",  # noqa: ANN001, ANN201
    kv_dtype="bf16",
    assumptions=DEFAULT_ASSUMPTIONS,
):  # noqa: ANN001
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
    )
    free = usable - base["weights"] - base["reserve"]
    per_seq = base["kv_cache"]
    return np.where(free > 0, np.floor(np.maximum(free, 0) / per_seq), 0.0)


def max_context(
    model: ModelSpec,
    *,
    usable,
    batch,
    tp=1,
    pp=1,
    ep=1,
    weights="bf16",
    kv_dtype="bf16",  # noqa: ANN001, ANN201
    assumptions=DEFAULT_ASSUMPTIONS,
):  # noqa: ANN001
    """Longest context per sequence at a batch, capped at the model's maximum (sliding window: once the
    window fits, any context up to the maximum fits). 0 when even the weights do not fit."""
    base = serving_memory_per_gpu(
        model,
        batch=batch,
        context_tokens=1,
        tp=tp,
        pp=pp,
        ep=ep,
        weights=weights,
        kv_dtype=kv_dtype,
        assumptions=assumptions,
    )
    free = usable - base["weights"] - base["reserve"]
    per_token_all = base["kv_bytes_per_token"] * np.asarray(batch, dtype=float)
    tokens = np.floor(np.maximum(free, 0) / per_token_all)
    window = model.sliding_window_tokens
    if window is not None:
        tokens = np.where(tokens >= window, model.max_context_tokens, tokens)
    return np.minimum(tokens, model.max_context_tokens)


def tp_candidates(model: ModelSpec, max_tp: int = 8) -> list[int]:
    """Powers of two up to max_tp that divide the attention heads (Megatron requires heads % tp == 0)."""
    out, t = [], 1
    while t <= max_tp:
        if model.attention_heads % t == 0:
            out.append(t)
        t *= 2
    return out


def fewest_gpus(
    model: ModelSpec,
    *,
    usable,
    batch,
    context_tokens,
    ep=1,
    weights="bf16",
    kv_dtype="bf16",  # noqa: ANN001, ANN201
    assumptions=DEFAULT_ASSUMPTIONS,
    gpus_per_node: int = 8,
):  # noqa: ANN001
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
    pps = np.arange(1, model.layers + 1, dtype=float)
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
    return [d for d in range(1, n + 1) if n % d == 0]


def check_positive(value: float, what: str) -> None:
    if not (isinstance(value, (int, float)) and math.isfinite(value) and value > 0):
        raise InputError(f"{what} must be greater than zero, got {value!r}")


__all__ = [
    "DEFAULT_ASSUMPTIONS",
    "MemoryAssumptions",
    "OPTIMIZERS",
    "RECOMPUTE",
    "activation_bytes_per_layer",
    "dtype_bytes",
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
    "weight_params_per_gpu",
]
