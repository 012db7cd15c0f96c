"""The GPT models of Narayanan et al. 2021 (Megatron-LM) Table 1, built from their dimensions: 4h GELU MLP,
LayerNorm, biases, tied embeddings, learned positions, vocab 51,200, 2,048 tokens. Shared by the training and
cluster-calibration tests."""

from llmwalls.specs import ModelSpec


def megatron_gpt(heads: int, hidden: int, layers: int) -> ModelSpec:
    return ModelSpec(
        kind="model",
        name="megatron-gpt",
        source="Narayanan et al. 2021 Table 1",
        layers=layers,
        hidden_size=hidden,
        attention_heads=heads,
        kv_heads=heads,
        ffn_size=4 * hidden,
        mlp_gated=False,
        vocab_size=51200,
        tied_embeddings=True,
        norm="layernorm",
        linear_bias=True,
        position_embedding="learned",
        max_context_tokens=2048,
    )
