"""Hugging Face config.json -> model-profile fields, for `llmwalls profiles import`.

Reads the architecture fields of the decoder-only families in the catalogue (Llama 2/3/4, Mistral,
Mixtral, Qwen2/2.5/3, Qwen3-MoE, Qwen3-Next, DeepSeek-V2/V3, Kimi K2, GLM-4.5, gpt-oss, Gemma 2/3, Phi-3/4)
and refuses, with one line, what the profile schema cannot represent instead of dropping it: an unknown
layer type, a per-layer list of windows, state-space or other linear-attention layers than Gated DeltaNet,
MoE layer placements other than "every n-th layer after the dense leading ones". Pure: no file access, no
printing.
"""

from __future__ import annotations

from typing import Any

from llmwalls.errors import InputError

_HF_MLA = ("kv_lora_rank", "qk_rope_head_dim", "qk_nope_head_dim", "v_head_dim")

# Field names of the checked-in configs; the transformers class that reads each is named where it matters.
REQUIRED = ("num_hidden_layers", "hidden_size", "num_attention_heads", "intermediate_size", "vocab_size")

# HF `layer_types` values (transformers configuration_utils.ALLOWED_LAYER_TYPES) -> profile layer kinds.
LAYER_TYPES = {
    "full_attention": "full",
    "sliding_attention": "sliding",
    "chunked_attention": "chunked",
    "linear_attention": "linear",
}

# Fields of architectures whose token mixer the schema does not describe (state-space / other linear
# attention layers): refused by name.
UNREPRESENTABLE_FIELDS = {
    "hybrid_override_pattern": "Mamba/attention hybrid layers (Nemotron-H)",
    "linear_attn_config": "Kimi Delta Attention layers (Kimi Linear)",
    "attn_type_list": "lightning-attention layers (MiniMax)",
    "mamba_d_state": "Mamba layers",
    "ssm_state_size": "state-space (Mamba) layers",
    "layers_block_type": "Mamba/attention hybrid layers (Jamba)",
}

# Model types whose q_norm/k_norm carry weights (HF Qwen3Attention, Gemma3Attention, Qwen3NextAttention).
# Llama 4's use_qk_norm is a weight-free L2 norm and adds no parameter.
QK_NORM_TYPES = ("qwen3", "qwen3_moe", "qwen3_next", "gemma3", "gemma3_text")
# Gemma 2/3 put a norm before and after both attention and MLP (HF Gemma2DecoderLayer, Gemma3DecoderLayer).
SANDWICH_NORM_TYPES = ("gemma2", "gemma3", "gemma3_text")


def _int(cfg: dict[str, Any], key: str) -> int:
    value = cfg[key]
    if isinstance(value, bool) or not isinstance(value, int):
        raise InputError(f"config.json {key} is {value!r}; expected a whole number")
    return value


def _compress(kinds: list[str]) -> list[str]:
    """The shortest pattern that, repeated, gives the whole per-layer list (a 48-entry list of
    [linear, linear, linear, full] x 12 becomes those 4 entries)."""
    n = len(kinds)
    for period in range(1, n + 1):
        if all(kinds[i] == kinds[i % period] for i in range(n)):
            return kinds[:period]
    return kinds


def _layer_kinds(cfg: dict[str, Any], model_type: str, layers: int) -> list[str] | None:
    """Per-layer kinds from layer_types, or from the older per-family fields; None = uniform."""
    if cfg.get("layer_types") is not None:
        types = cfg["layer_types"]
        if not isinstance(types, list) or len(types) != layers:
            raise InputError(
                f"config.json layer_types should list one type for each of the {layers} layers, "
                f"got {types!r:.80}"
            )
        kinds = []
        for i, t in enumerate(types):
            if t not in LAYER_TYPES:
                raise InputError(
                    f"config.json layer_types[{i}] is {t!r}, a layer type llmwalls cannot represent "
                    f"(it knows {', '.join(LAYER_TYPES)})"
                )
            kinds.append(LAYER_TYPES[t])
        return kinds
    if cfg.get("sliding_window_pattern") is not None:  # Gemma 3: every n-th layer global
        n = _int(cfg, "sliding_window_pattern")
        if n < 1:
            raise InputError(f"config.json sliding_window_pattern is {n}; expected 1 or more")
        return ["sliding"] * (n - 1) + ["full"]
    if model_type == "gemma2":  # HF Gemma2DecoderLayer: even layers local, odd layers global
        return ["sliding", "full"]
    if cfg.get("full_attention_interval") is not None:  # Qwen3-Next without layer_types
        n = _int(cfg, "full_attention_interval")
        return ["linear"] * (n - 1) + ["full"]
    if cfg.get("attention_chunk_size") is not None:  # Llama 4: RoPE layers chunked, NoPE layers global
        flags = cfg.get("no_rope_layers") or []
        if not flags:
            interval = int(cfg.get("no_rope_layer_interval", 4))  # HF Llama4TextConfig default
            flags = [int((i + 1) % interval != 0) for i in range(layers)]
        if len(flags) != layers:
            raise InputError(f"config.json no_rope_layers should have {layers} entries, got {len(flags)}")
        return ["chunked" if f else "full" for f in flags]
    if cfg.get("use_sliding_window") and cfg.get("max_window_layers") is not None:
        first = _int(cfg, "max_window_layers")  # HF Qwen2: layers from max_window_layers on use the window
        if first < layers:
            return ["full"] * first + ["sliding"] * (layers - first)
    return None


def _window(cfg: dict[str, Any], model_type: str, max_context: int) -> int | None:
    """The sliding window, refused when given in a form the schema cannot hold."""
    window = cfg.get("sliding_window")
    if window is None:
        return None
    if isinstance(window, list):
        raise InputError(
            "config.json gives sliding_window as a list (a window per layer); llmwalls represents one "
            "window size shared by the sliding layers"
        )
    if isinstance(window, bool) or not isinstance(window, int) or window <= 0:
        raise InputError(f"config.json sliding_window is {window!r}; expected a positive whole number")
    if cfg.get("use_sliding_window") is False:  # Qwen2/Qwen3: the window is configured but switched off
        return None
    return min(window, max_context)  # a window at least the context long caps nothing


def _moe(cfg: dict[str, Any], model_type: str) -> dict[str, Any] | None:
    experts = cfg.get("num_local_experts") or cfg.get("num_experts") or cfg.get("n_routed_experts")
    if not experts:
        return None
    per_token = cfg.get("num_experts_per_tok") or cfg.get("experts_per_token")
    if not per_token:
        raise InputError("config.json has experts but no num_experts_per_tok")
    moe: dict[str, Any] = {
        "experts": experts,
        "experts_per_token": per_token,
        "expert_ffn_size": cfg.get("moe_intermediate_size") or cfg["intermediate_size"],
    }
    if cfg.get("n_shared_experts"):  # DeepSeek-V2/V3, Kimi K2, GLM-4.5
        moe["shared_experts"] = cfg["n_shared_experts"]
    if cfg.get("shared_expert_intermediate_size"):  # Qwen2-MoE, Qwen3-Next: one gated shared expert
        moe["shared_experts"] = 1
        moe["shared_expert_ffn_size"] = cfg["shared_expert_intermediate_size"]
        moe["shared_expert_gate"] = True
    if cfg.get("first_k_dense_replace"):
        moe["dense_layers"] = cfg["first_k_dense_replace"]
    if cfg.get("topk_method") == "noaux_tc" or model_type == "glm4_moe":
        moe["router_bias"] = True  # e_score_correction_bias (DeepSeek-V3 sec 2.1.2; HF Glm4MoeTopkRouter)
    if model_type.startswith("llama4"):
        # Llama 4: one shared expert of the experts' width in every MoE layer, every
        # interleave_moe_layer_step-th layer MoE, the others a dense MLP of intermediate_size_mlp.
        moe["shared_experts"] = 1
        moe["layer_interval"] = cfg.get("interleave_moe_layer_step") or 1
    freq = cfg.get("moe_layer_freq", 1)
    if freq != 1:
        raise InputError(
            f"config.json moe_layer_freq {freq!r}: llmwalls represents MoE layers as every n-th layer "
            "counted from 1 (moe.layer_interval), not DeepSeek's layer_idx % moe_layer_freq placement"
        )
    step = cfg.get("decoder_sparse_step", 1)
    if step != 1:
        moe["layer_interval"] = step  # HF Qwen2-MoE: (layer_idx + 1) % decoder_sparse_step == 0
    if cfg.get("mlp_only_layers"):
        raise InputError(
            "config.json lists mlp_only_layers (dense layers at chosen positions); llmwalls represents "
            "dense leading layers and a regular MoE interval only"
        )
    return moe


def _quantization(cfg: dict[str, Any]) -> tuple[str | None, str]:
    """(expert weight format, note for the description) from quantization_config."""
    q = cfg.get("quantization_config")
    if not q:
        return None, ""
    if not isinstance(q, dict):
        raise InputError(f"config.json quantization_config is {q!r:.60}; expected an object")
    method = str(q.get("quant_method", "")).lower()
    if method == "mxfp4":
        # gpt-oss: the routed experts are MXFP4, modules_to_not_convert (attention, router, embedding,
        # head) stay bf16.
        skipped = " ".join(str(m) for m in q.get("modules_to_not_convert") or [])
        if "expert" in skipped:
            raise InputError("config.json quantizes to mxfp4 but not the experts; not representable")
        return "mxfp4", "routed experts published in MXFP4"
    label = method or "an unnamed method"
    fmt = q.get("fmt") or q.get("format") or ""
    return (
        None,
        f"weights published quantized ({label}{' ' + str(fmt) if fmt else ''}): pass --weights to match",
    )


def profile_from_hf_config(cfg: dict[str, Any], name: str, source: str) -> dict[str, Any]:
    """Translate a Hugging Face config.json into model-profile fields (validated by the caller)."""
    if "num_hidden_layers" not in cfg and isinstance(cfg.get("text_config"), dict):
        cfg = cfg["text_config"]  # multimodal wrappers (Llama 4, Gemma 3): the language model's config
    missing = [k for k in REQUIRED if k not in cfg]
    if missing:
        raise InputError(f"config.json lacks {', '.join(missing)}; is it a decoder-only LLM config?")
    for key, what in UNREPRESENTABLE_FIELDS.items():
        if cfg.get(key) is not None:
            raise InputError(f"config.json has {key}: {what} are not representable in a llmwalls profile")
    model_type = str(cfg.get("model_type", ""))
    layers = _int(cfg, "num_hidden_layers")
    dense_ffn = cfg.get("intermediate_size_mlp") or cfg["intermediate_size"]  # Llama 4 dense layers
    out: dict[str, Any] = {
        "kind": "model",
        "name": name,
        "description": f"imported from a Hugging Face config.json (model_type {model_type or 'unknown'})",
        "source": source,
        "layers": layers,
        "hidden_size": cfg["hidden_size"],
        "attention_heads": cfg["num_attention_heads"],
        "kv_heads": cfg.get("num_key_value_heads") or cfg["num_attention_heads"],
        "ffn_size": dense_ffn,
        "vocab_size": cfg["vocab_size"],
        "tied_embeddings": bool(cfg.get("tie_word_embeddings", model_type.startswith("gemma"))),
        "max_context_tokens": cfg.get("max_position_embeddings", 4096),
    }
    if cfg.get("head_dim"):
        out["head_dim"] = cfg["head_dim"]
    if model_type.startswith("qwen2"):
        out["qkv_bias"] = True  # Qwen2 projections carry Q/K/V biases (not a config key)
    if model_type == "gpt_oss":
        # HF GptOss: biases on q/k/v/o, on the experts' projections and on the router; one sink per head.
        out["linear_bias"] = True
        out["attention_sinks"] = True
    elif cfg.get("attention_bias"):
        out["qkv_bias"] = True
    if model_type in QK_NORM_TYPES or (cfg.get("use_qk_norm") and not model_type.startswith("llama4")):
        out["qk_norm"] = True
    if model_type in SANDWICH_NORM_TYPES:
        out["norms_per_layer"] = 4
    if model_type == "qwen3_next" or cfg.get("attn_output_gate"):
        out["attention_output_gate"] = True

    kinds = _layer_kinds(cfg, model_type, layers)
    window = _window(cfg, model_type, int(out["max_context_tokens"]))
    if kinds is None:
        if window is not None and window < out["max_context_tokens"]:
            out["sliding_window_tokens"] = window  # every layer windowed (Mistral 7B, Phi-3)
    else:
        if "sliding" in kinds:
            if window is None:
                raise InputError("config.json has sliding layers but no sliding_window")
            out["sliding_window_tokens"] = window
        if "chunked" in kinds:
            out["attention_chunk_tokens"] = _int(cfg, "attention_chunk_size")
        if "linear" in kinds:
            keys = ("linear_num_key_heads", "linear_num_value_heads", "linear_key_head_dim")
            absent = [k for k in (*keys, "linear_value_head_dim") if k not in cfg]
            if absent:
                raise InputError(f"config.json has linear_attention layers but lacks {', '.join(absent)}")
            out["linear_attention"] = {
                "key_heads": cfg["linear_num_key_heads"],
                "value_heads": cfg["linear_num_value_heads"],
                "key_head_dim": cfg["linear_key_head_dim"],
                "value_head_dim": cfg["linear_value_head_dim"],
                "conv_kernel": cfg.get("linear_conv_kernel_dim", 4),
            }
        if set(kinds) != {"full"}:
            out["layer_pattern"] = _compress(kinds)

    moe = _moe(cfg, model_type)
    if moe is not None:
        out["moe"] = moe
    if cfg.get("num_nextn_predict_layers"):
        out["mtp_layers"] = cfg["num_nextn_predict_layers"]
    if cfg.get("kv_lora_rank"):  # MLA
        missing = [k for k in _HF_MLA if k not in cfg]
        if missing:
            raise InputError(f"config.json has kv_lora_rank (MLA) but lacks {', '.join(missing)}")
        out["mla"] = {
            "q_lora_rank": cfg.get("q_lora_rank") or 0,
            "kv_lora_rank": cfg["kv_lora_rank"],
            "qk_rope_head_dim": cfg["qk_rope_head_dim"],
            "qk_nope_head_dim": cfg["qk_nope_head_dim"],
            "v_head_dim": cfg["v_head_dim"],
        }
        out["kv_heads"] = out["attention_heads"]
    expert_format, note = _quantization(cfg)
    if expert_format is not None and moe is not None:
        out["expert_weight_format"] = expert_format
    if note:
        out["description"] += f"; {note}"
    return out
