"""The 2025-26 open models: parameter counts, KV cache and state, weight formats, roofline bytes and the
Hugging Face config import of their architecture fields.

Every expected value is counted by hand from the model's published config.json (cited in each profile's
`source`), tensor by tensor as the Hugging Face transformers implementation builds it; the arithmetic is in
the comments. The published totals are the model cards' / papers' (cited in each profile's `sources`).
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from llmwalls import catalogue
from llmwalls.engine import memory, roofline
from llmwalls.engine.model import (
    MXFP4_BYTES_PER_PARAM,
    NVFP4_BYTES_PER_PARAM,
    attention_flops_per_token,
    cached_tokens,
    causal_attended_tokens,
    kv_bytes_per_token,
    kv_cache_bytes_per_sequence,
    layer_kind_counts,
    linear_state_bytes_per_sequence,
    moe_layer_count,
    param_counts,
    weight_bytes_per_param,
)
from llmwalls.errors import InputError
from llmwalls.hf_import import profile_from_hf_config
from llmwalls.specs import ModelSpec

GiB = 2**30


def model(name: str) -> ModelSpec:
    return catalogue.load_model(name)


# --------------------------------------------------------------------------------------- parameter counts
#
# Exact totals and active counts, each counted by hand (h = hidden, V = vocab, L = layers, gated MLP = 3 h f):
#
# llama-4-scout (h 5120, 40 heads / 8 KV of 128, 48 layers all MoE: 16 experts + 1 shared of 8192, top-1):
#   embedding = head = 202048 x 5120 = 1,034,485,760 (untied)
#   attention/layer = q 5120x5120 + k,v 2 x 5120x1024 + o 5120x5120 = 62,914,560
#   one expert = 3 x 5120 x 8192 = 125,829,120; MoE layer = 16 + 1 shared experts + router 16 x 5120
#              = 2,013,265,920 + 125,829,120 + 81,920 = 2,139,176,960
#   norms = (2 x 48 + 1) x 5120 = 496,640
#   total = 2 x 1,034,485,760 + 48 x (62,914,560 + 2,139,176,960) + 496,640 = 107,769,861,120
#   active = 2,068,971,520 + 48 x (62,914,560 + 2 x 125,829,120 + 81,920) + 496,640 = 17,172,894,720
# llama-4-maverick (as Scout, 128 experts, MoE on layers 2, 4, ..., 48 (interleave_moe_layer_step 2), the
#   other 24 layers a dense MLP of 16384 = 3 x 5120 x 16384 = 251,658,240):
#   MoE layer = 128 x 125,829,120 + 125,829,120 + 128 x 5120 = 16,232,611,840
#   total = 2,068,971,520 + 48 x 62,914,560 + 24 x 251,658,240 + 24 x 16,232,611,840 + 496,640
#         = 400,711,848,960
#   active = 2,068,971,520 + 3,019,898,880 + 6,039,797,760 + 24 x (2 x 125,829,120 + 655,360) + 496,640
#          = 17,184,691,200
# qwen3-32b (h 5120, 64 heads / 8 KV of 128, f 25600, 64 layers, QK-norm):
#   layer = attention 5120x8192 + 2 x 5120x1024 + 8192x5120 + q/k norms 2 x 128 = 94,372,096
#           + MLP 3 x 5120 x 25600 = 393,216,000 + 2 norms 10,240 = 487,598,336
#   total = 64 x 487,598,336 + 2 x 151936 x 5120 + 5120 = 31,206,293,504 + 1,555,824,640 + 5120
#         = 32,762,123,264
# qwen3-30b-a3b (h 2048, 32 heads / 4 KV of 128, 48 layers of 128 experts of 768, top-8):
#   attention = 2048x4096 + 2 x 2048x512 + 4096x2048 + 256 = 18,874,624; one expert = 3 x 2048 x 768
#   = 4,718,592; layer = 18,874,624 + 128 x 4,718,592 + router 128 x 2048 + norms 4096 = 623,120,640
#   total = 48 x 623,120,640 + 2 x 151936 x 2048 + 2048 = 30,532,122,624
#   active = 48 x (18,874,624 + 8 x 4,718,592 + 262,144 + 4096) + 622,329,856 + 2048 = 3,353,032,704
# qwen3-235b-a22b (h 4096, 64 heads / 4 KV of 128, 94 layers of 128 experts of 1536, top-8):
#   attention = 4096x8192 + 2 x 4096x512 + 8192x4096 + 256 = 71,303,424; one expert = 3 x 4096 x 1536
#   = 18,874,368; layer = 71,303,424 + 128 x 18,874,368 + 128 x 4096 + 8192 = 2,487,755,008
#   total = 94 x 2,487,755,008 + 2 x 151936 x 4096 + 4096 = 235,093,634,560
#   active = 94 x (71,303,424 + 8 x 18,874,368 + 524,288 + 8192) + 1,244,659,712 + 4096 = 22,190,763,520
# qwen3-next-80b-a3b (h 2048, 12 gated-attention layers: 16 heads / 2 KV of 256; 36 Gated DeltaNet layers:
#   16 key heads, 32 value heads of 128, conv 4; 48 MoE layers of 512 experts of 512, top-10, one gated
#   shared expert of 512):
#   attention layer = q (with gate) 2048 x 16x256x2 + k,v 2 x 2048x512 + o 4096x2048 + q/k norms 512
#                   = 16,777,216 + 2,097,152 + 8,388,608 + 512 = 27,263,488
#   DeltaNet layer = in_proj_qkvz 2048 x (2x2048 + 2x4096) + in_proj_ba 2048 x 64 + conv 8192 x 4
#                    + dt_bias, A_log 64 + norm 128 + out_proj 4096 x 2048 = 33,718,464
#   one expert = 3 x 2048 x 512 = 3,145,728; MoE layer = 512 x 3,145,728 + shared 3,145,728 + shared gate
#   2048 + router 512 x 2048 = 1,614,809,088
#   total = 2 x 311,164,928 + 12 x 27,263,488 + 36 x 33,718,464 + 48 x 1,614,809,088 + 97 x 2048
#         = 79,674,391,296
#   active = 622,329,856 + 327,161,856 + 1,213,864,704 + 48 x (10 x 3,145,728 + 4,196,352) + 198,656
#          = 3,874,929,408
# kimi-k2 (DeepSeek-V3 layout: h 7168, MLA with 64 heads, 61 layers: 1 dense of 18432, 60 MoE of 384
#   routed + 1 shared expert of 2048, top-8, router bias; V 163840):
#   MLA/layer = q 7168x1536 + 1536 + 1536 x 64x192 + kv 7168x576 + 512 + 512 x 64x256 + o 64x128x7168
#             = 29,885,952 + 12,517,888 + 58,720,256 = 101,124,096
#   one expert = 3 x 7168 x 2048 = 44,040,192; MoE layer = 385 x 44,040,192 + router 384 x 7168 + 384
#   = 16,958,226,816; dense layer MLP = 3 x 7168 x 18432 = 396,361,728
#   total = 2 x 163840 x 7168 + 61 x 101,124,096 + 396,361,728 + 60 x 16,958,226,816 + 123 x 7168
#         = 1,026,408,232,448
#   active = 2,348,810,240 + 6,168,569,856 + 396,361,728 + 60 x (9 x 44,040,192 + 2,752,896) + 881,664
#          = 32,861,500,928
# gpt-oss-120b (h 2880, 64 heads / 8 KV of 64, biases on q/k/v/o, a sink per head; 36 layers of 128
#   experts of 2880 with biases, top-4; router with bias; V 201088 untied):
#   attention/layer = 2880x4096 + 2 x 2880x512 + 4096x2880 + biases 4096 + 2 x 512 + 2880 + sinks 64
#                   = 26,550,144
#   one expert = gate_up 2880 x 5760 + 5760 + down 2880 x 2880 + 2880 = 24,891,840
#   MoE layer = 128 x 24,891,840 + router 2880 x 128 + 128 = 3,186,524,288
#   total = 2 x 201088 x 2880 + 36 x (26,550,144 + 3,186,524,288) + 73 x 2880 = 116,829,156,672
#   active = 1,158,266,880 + 36 x (26,550,144 + 4 x 24,891,840 + 368,768) + 210,240 = 5,711,982,912
# gpt-oss-20b (24 layers, 32 experts): MoE layer = 32 x 24,891,840 + 2880 x 32 + 32 = 796,631,072
#   total = 1,158,266,880 + 24 x (26,550,144 + 796,631,072) + 49 x 2880 = 20,914,757,184
#   active = 1,158,266,880 + 24 x (26,550,144 + 4 x 24,891,840 + 92,192) + 141,120 = 4,187,440,704
# gemma-3-27b (h 5376, 32 heads / 16 KV of 128, f 21504, 62 layers, QK-norm, 4 norms a layer, tied V 262208):
#   layer = 5376x4096 + 2 x 5376x2048 + 4096x5376 + 256 + 3 x 5376 x 21504 + 4 x 5376 = 412,898,560
#   total = 62 x 412,898,560 + 262208 x 5376 + 5376 = 27,009,346,304
# glm-4.5 (h 5120, 96 heads / 8 KV of 128 with QKV bias and QK-norm, 92 layers: 3 dense of 12288, 89 MoE
#   of 160 routed + 1 shared expert of 1536, top-8, router bias; V 151552 untied):
#   attention/layer = 5120x12288 + 2 x 5120x1024 + 12288x5120 + bias 112 x 128 + 256 = 136,329,472
#   one expert = 3 x 5120 x 1536 = 23,592,960; MoE layer = 161 x 23,592,960 + 160 x 5120 + 160
#   = 3,799,285,920; dense MLP = 3 x 5120 x 12288 = 188,743,680
#   total = 2 x 151552 x 5120 + 92 x 136,329,472 + 3 x 188,743,680 + 89 x 3,799,285,920 + 185 x 5120
#         = 352,797,829,024
#   active = 1,551,892,480 + 12,542,311,424 + 566,231,040 + 89 x (9 x 23,592,960 + 819,360) + 947,200
#          = 33,632,266,144
# mistral-small-3 (h 5120, 32 heads / 8 KV of 128, f 32768, 40 layers, V 131072 untied):
#   layer = 5120x4096 + 2 x 5120x1024 + 4096x5120 + 3 x 5120 x 32768 + 10,240 = 555,755,520
#   total = 40 x 555,755,520 + 2 x 131072 x 5120 + 5120 = 23,572,403,200
# phi-4 (h 5120, 40 heads / 10 KV of 128, f 17920, 40 layers, V 100352 untied):
#   layer = 5120x5120 + 2 x 5120x1280 + 5120x5120 + 3 x 5120 x 17920 + 10,240 = 340,797,440
#   total = 40 x 340,797,440 + 2 x 100352 x 5120 + 5120 = 14,659,507,200
# deepseek-v3.1 and deepseek-r1 have DeepSeek-V3's config: 671,026,419,200 / 37,552,297,472
#   (tests/test_params.py, EXACT["deepseek-v3"]).
EXACT = {
    "llama-4-scout": (107_769_861_120, 17_172_894_720),
    "llama-4-maverick": (400_711_848_960, 17_184_691_200),
    "qwen3-32b": (32_762_123_264, 32_762_123_264),
    "qwen3-30b-a3b": (30_532_122_624, 3_353_032_704),
    "qwen3-235b-a22b": (235_093_634_560, 22_190_763_520),
    "qwen3-next-80b-a3b": (79_674_391_296, 3_874_929_408),
    "deepseek-v3.1": (671_026_419_200, 37_552_297_472),
    "deepseek-r1": (671_026_419_200, 37_552_297_472),
    "kimi-k2": (1_026_408_232_448, 32_861_500_928),
    "gpt-oss-120b": (116_829_156_672, 5_711_982_912),
    "gpt-oss-20b": (20_914_757_184, 4_187_440_704),
    "gemma-3-27b": (27_009_346_304, 27_009_346_304),
    "glm-4.5": (352_797_829_024, 33_632_266_144),
    "mistral-small-3": (23_572_403_200, 23_572_403_200),
    "phi-4": (14_659_507_200, 14_659_507_200),
}


@pytest.mark.parametrize("name,expected", EXACT.items())
def test_exact_total_and_active(name, expected):
    c = param_counts(model(name))
    assert (c.total, c.active) == expected


# Against the published figures, in the convention each publisher counts (figure, tolerance = its rounding):
def test_published_totals_in_the_publishers_convention():
    c = {name: param_counts(model(name)) for name in EXACT}
    # Qwen model cards give total, activated and non-embedding (= total - embedding - head) to 3 figures.
    assert c["qwen3-32b"].total == pytest.approx(32.8e9, abs=0.05e9)  # 32.76B
    assert c["qwen3-32b"].non_embedding == pytest.approx(31.2e9, abs=0.05e9)  # 31.21B
    assert c["qwen3-30b-a3b"].total == pytest.approx(30.5e9, abs=0.05e9)  # 30.53B
    assert c["qwen3-30b-a3b"].non_embedding == pytest.approx(29.9e9, abs=0.05e9)  # 29.91B
    assert c["qwen3-30b-a3b"].active == pytest.approx(3.3e9, abs=0.06e9)  # 3.35B ("3.3B")
    assert c["qwen3-235b-a22b"].total == pytest.approx(235e9, abs=0.5e9)  # 235.09B
    assert c["qwen3-235b-a22b"].non_embedding == pytest.approx(234e9, abs=0.5e9)  # 233.85B
    assert c["qwen3-235b-a22b"].active == pytest.approx(22e9, abs=0.5e9)  # 22.19B
    assert c["qwen3-next-80b-a3b"].total == pytest.approx(80e9, abs=0.5e9)  # 79.67B
    assert c["qwen3-next-80b-a3b"].non_embedding == pytest.approx(79e9, abs=0.5e9)  # 79.05B
    # "A3B": 3.87B with embedding and head, 3.25B without: the card's "3B" is the non-embedding figure.
    assert c["qwen3-next-80b-a3b"].active - 2 * 311_164_928 == pytest.approx(3e9, abs=0.5e9)
    # Meta: Maverick 400B total, both 17B active. Scout's "109B" is the multimodal checkpoint's total
    # (vision encoder and projector included, not in this text-only profile): the text model is 1.1% less.
    assert c["llama-4-maverick"].total == pytest.approx(400e9, abs=1e9)  # 400.71B
    assert c["llama-4-scout"].active == pytest.approx(17e9, abs=0.5e9)  # 17.17B
    assert c["llama-4-maverick"].active == pytest.approx(17e9, abs=0.5e9)  # 17.18B
    assert c["llama-4-scout"].total == pytest.approx(109e9, rel=0.012)  # 107.77B
    # OpenAI model card Table 1: totals 116.83B and 20.91B; active 5.13B and 3.61B count the unembedding
    # but not the embedding lookup (201088 x 2880 = 579,133,440).
    assert c["gpt-oss-120b"].total == pytest.approx(116.83e9, abs=0.005e9)
    assert c["gpt-oss-20b"].total == pytest.approx(20.91e9, abs=0.005e9)
    assert c["gpt-oss-120b"].active - 579_133_440 == pytest.approx(5.13e9, abs=0.005e9)  # 5.133B
    assert c["gpt-oss-20b"].active - 579_133_440 == pytest.approx(3.61e9, abs=0.005e9)  # 3.608B
    # Gemma 3 report Table 1: non-embedding 25,600M (the 27B adds a 417M vision encoder).
    assert c["gemma-3-27b"].non_embedding == pytest.approx(25_600e6, abs=0.5e6)  # 25,599.7M
    # GLM-4.5 report Table 1 (355B / 32B): matched by the parameters outside the embedding and head, with
    # the MTP layer in the total: 352.80B - 1.55B + 3.99B = 355.23B; 33.63B - 1.55B = 32.08B active.
    glm = c["glm-4.5"]
    assert glm.non_embedding + glm.mtp == pytest.approx(355e9, abs=0.5e9)
    assert glm.active - glm.embedding - glm.lm_head == pytest.approx(32e9, abs=0.5e9)
    # Kimi K2 model card: "1 trillion total, 32 billion activated" (1.026T; 32.86B with embedding and head,
    # 31.69B without the embedding lookup: the card's one-figure rounding covers both).
    assert c["kimi-k2"].total == pytest.approx(1.0e12, rel=0.03)
    assert c["kimi-k2"].active == pytest.approx(32e9, rel=0.03)
    # DeepSeek: 671B / 37B (tests/test_params.py); Mistral Small 3 "24B" (23.57B); Phi-4 14.7B (14.66B).
    assert round(c["mistral-small-3"].total / 1e9) == 24
    assert c["phi-4"].total == pytest.approx(14.7e9, abs=0.05e9)


def test_mtp_modules_are_counted_apart():
    # DeepSeek-V3 sec 2.2: one MTP module = a transformer block (MLA 187,107,328 + MoE layer 256 x 44,040,192
    # + 44,040,192 + router 256 x 7168 + 256 = 11,320,164,608 + 2 norms 14,336) + projection 2 x 7168 x 7168
    # (102,760,448) + 3 norms (21,504) = 11,610,068,224. The Hugging Face checkpoint also stores a copy of
    # the shared embedding and head in that layer: 671,026,419,200 + 11,610,068,224 + 2 x 926,679,040
    # = 684,489,845,504, the "685B" of the DeepSeek-V3 model card.
    c = param_counts(model("deepseek-r1"))
    assert c.mtp == 11_610_068_224
    assert c.total + c.mtp + 2 * 129280 * 7168 == 684_489_845_504
    assert round((c.total + c.mtp + 2 * 129280 * 7168) / 1e9) == 684  # the card rounds up to 685B
    assert param_counts(model("kimi-k2")).mtp == 0  # num_nextn_predict_layers 0


def test_layer_structure():
    assert layer_kind_counts(model("gemma-3-27b")) == {"full": 10, "sliding": 52, "chunked": 0, "linear": 0}
    assert layer_kind_counts(model("gpt-oss-120b"))["sliding"] == 18
    assert layer_kind_counts(model("llama-4-scout"))["chunked"] == 36
    assert layer_kind_counts(model("qwen3-next-80b-a3b"))["linear"] == 36
    assert moe_layer_count(model("llama-4-maverick")) == 24
    assert moe_layer_count(model("kimi-k2")) == 60
    assert moe_layer_count(model("glm-4.5")) == 89


# -------------------------------------------------------------------------------------------- KV cache

# bf16 KV bytes per token of every attention layer: 2 (K, V) x attention layers x KV heads x head_dim x 2 B;
# MLA: (kv_lora_rank 512 + rope 64) x 61 layers x 2 B. Qwen3-Next caches K/V in its 12 attention layers only.
KV_PER_TOKEN = {
    "llama-4-scout": 2 * 48 * 8 * 128 * 2,  # 196,608
    "llama-4-maverick": 2 * 48 * 8 * 128 * 2,
    "qwen3-32b": 2 * 64 * 8 * 128 * 2,  # 262,144
    "qwen3-30b-a3b": 2 * 48 * 4 * 128 * 2,  # 98,304
    "qwen3-235b-a22b": 2 * 94 * 4 * 128 * 2,  # 192,512
    "qwen3-next-80b-a3b": 2 * 12 * 2 * 256 * 2,  # 24,576
    "deepseek-v3.1": (512 + 64) * 61 * 2,  # 70,272
    "deepseek-r1": (512 + 64) * 61 * 2,
    "kimi-k2": (512 + 64) * 61 * 2,
    "gpt-oss-120b": 2 * 36 * 8 * 64 * 2,  # 73,728
    "gpt-oss-20b": 2 * 24 * 8 * 64 * 2,  # 49,152
    "gemma-3-27b": 2 * 62 * 16 * 128 * 2,  # 507,904
    "glm-4.5": 2 * 92 * 8 * 128 * 2,  # 376,832
    "mistral-small-3": 2 * 40 * 8 * 128 * 2,  # 163,840
    "phi-4": 2 * 40 * 10 * 128 * 2,  # 204,800
}


@pytest.mark.parametrize("name,expected", KV_PER_TOKEN.items())
def test_kv_bytes_per_token(name, expected):
    assert kv_bytes_per_token(model(name)) == expected


def test_sliding_window_models_beyond_their_window():
    # gpt-oss-120b at 32,768 tokens: 18 full layers hold all of them, 18 sliding layers the last 128;
    # 2 x 8 KV heads x 64 x 2 B = 2,048 B per layer-token: 2,048 x 18 x (32,768 + 128) = 1,212,678,144 B,
    # half of what 36 full layers would hold (73,728 x 32,768 = 2,415,919,104) plus the windows.
    oss = model("gpt-oss-120b")
    assert float(kv_cache_bytes_per_sequence(oss, 32768)) == 1_212_678_144
    assert float(kv_cache_bytes_per_sequence(oss, 100)) == 73_728 * 100  # inside the window: all layers
    # Gemma 3 27B at 32,768: 10 global layers x 32,768 + 52 local layers x 1,024 = 380,928 layer-tokens of
    # 2 x 16 x 128 x 2 = 8,192 B: 3,120,562,176 B (2.9 GiB) where all-global would be 16.6 GB.
    gemma = model("gemma-3-27b")
    assert float(kv_cache_bytes_per_sequence(gemma, 32768)) == 3_120_562_176
    # Prefill attends causally: full layers P(P+1)/2, sliding W(W+1)/2 + (P-W)W. P = 4096, W = 1024:
    # (10 x 8,390,656 + 52 x (524,800 + 3,072 x 1,024)) / 62 = (83,906,560 + 190,867,456) / 62
    assert float(causal_attended_tokens(gemma, 4096)) == pytest.approx((83_906_560 + 190_867_456) / 62)


def test_chunked_attention_caches_one_chunk():
    # Llama 4 Scout at 32,768 tokens: 36 chunked layers keep one chunk of 8,192, 12 global layers all 32,768:
    # (36 x 8,192 + 12 x 32,768) x (2 x 8 x 128 x 2 = 4,096 B) = 688,128 x 4,096 = 2,818,572,288 B.
    scout = model("llama-4-scout")
    assert float(kv_cache_bytes_per_sequence(scout, 32768)) == 2_818_572_288
    # Prefill of 20,000 tokens in a chunked layer: chunks of 8,192, 8,192 and 3,616, each causal:
    # 2 x 8,192 x 8,193 / 2 + 3,616 x 3,617 / 2 = 67,117,056 + 6,539,536 = 73,656,592; full 200,010,000.
    expected = (36 * 73_656_592 + 12 * 20_000 * 20_001 / 2) / 48
    assert float(causal_attended_tokens(scout, 20000)) == pytest.approx(expected)


def test_hybrid_linear_attention_at_128k():
    # Qwen3-Next at 131,072 tokens: 12 attention layers x 2 x 2 KV heads x 256 x 2 B = 24,576 B a token:
    # 24,576 x 131,072 = 3,221,225,472 B; the 36 Gated DeltaNet layers keep a constant state of
    # 32 value heads x 128 x 128 (524,288) + conv 3 x (2 x 2048 + 4096) (24,576) = 548,864 elements x 2 B
    # = 1,097,728 B each: 39,518,208 B. Total 3,260,743,680 B (3.04 GiB), against 12.9 GB for 48 full layers.
    nxt = model("qwen3-next-80b-a3b")
    assert linear_state_bytes_per_sequence(nxt) == 39_518_208
    assert float(kv_cache_bytes_per_sequence(nxt, 131072)) == 3_260_743_680
    # The state does not grow: 1,000 more tokens add only the attention layers' 24,576 B each.
    grow = kv_cache_bytes_per_sequence(nxt, 132072) - kv_cache_bytes_per_sequence(nxt, 131072)
    assert float(grow) == 1000 * 24_576
    # Decode attention FLOPs per token at 131,072: 2 x 2 x 12 layers x 16 heads x 256 x 131,072
    # = 25,769,803,776, plus the recurrences 36 x (6 x 32 x 128 x 128 + 2 x 8192 x 4) = 115,605,504.
    assert float(attention_flops_per_token(nxt, 131072)) == 25_769_803_776 + 115_605_504
    # Serving memory, one sequence at TP 2: KV split by KV heads (2 / 2), the state by value heads (32 / 2).
    m = memory.serving_memory_per_gpu(nxt, batch=1, context_tokens=131072, tp=2)
    assert float(m["kv_cache"]) == 3_221_225_472 / 2 + 39_518_208 / 2
    assert float(m["linear_state"]) == 39_518_208 / 2


def test_cached_tokens_is_the_layer_average():
    # gpt-oss-120b at 1,000 tokens: (18 x 1,000 + 18 x 128) / 36 = 564.
    assert float(cached_tokens(model("gpt-oss-120b"), 1000)) == 564.0
    # Uniform models keep their old answer: a full model returns the context, Mistral 7B min(context, 4096).
    assert cached_tokens(model("llama-3.1-8b"), 10_000) == 10_000
    assert int(cached_tokens(model("mistral-7b"), 10_000)) == 4096


# ----------------------------------------------------------------------------------------- weight formats


def test_mxfp4_and_nvfp4_bytes_per_parameter():
    # OCP MX v1.0: 32 FP4 E2M1 elements share an 8-bit E8M0 scale: 4 + 8 / 32 = 4.25 bits = 0.53125 B.
    # NVFP4: 16 FP4 elements share an FP8 E4M3 scale: 4 + 8 / 16 = 4.5 bits = 0.5625 B.
    assert weight_bytes_per_param("mxfp4") == MXFP4_BYTES_PER_PARAM == 0.53125
    assert weight_bytes_per_param("nvfp4") == NVFP4_BYTES_PER_PARAM == 0.5625


def test_gpt_oss_mxfp4_weights_match_the_published_checkpoint():
    # Routed experts (with their biases): 36 x 128 x 24,891,840 = 114,701,598,720 params x 0.53125 B
    # = 60,935,224,320 B; everything else bf16: (116,829,156,672 - 114,701,598,720) x 2 = 4,255,115,904 B.
    # Sum 65,190,340,224 B = 60.71 GiB; the model card (Table 1) gives a 60.8 GiB checkpoint (its expert
    # biases stay bf16: +58 MB).
    oss = model("gpt-oss-120b")
    m = memory.serving_memory_per_gpu(oss, batch=1, context_tokens=1)
    assert float(m["weights"]) == 65_190_340_224
    assert float(m["weights"]) / GiB == pytest.approx(60.8, abs=0.1)
    # It fits one 80 GB GPU, as OpenAI says; all in bf16 it would need 233.7 GB.
    bf16 = memory.serving_memory_per_gpu(oss, batch=1, context_tokens=1, expert_weights="bf16")
    assert float(bf16["weights"]) == 116_829_156_672 * 2
    # gpt-oss-20b: 24 x 32 x 24,891,840 = 19,116,933,120 expert params x 0.53125 + (20,914,757,184
    # - 19,116,933,120) x 2 = 10,155,870,720 + 3,595,648,128 = 13,751,518,848 B = 12.81 GiB (card: 12.8 GiB).
    small = memory.serving_memory_per_gpu(model("gpt-oss-20b"), batch=1, context_tokens=1)
    assert float(small["weights"]) == 13_751_518_848


def test_roofline_decode_bytes_follow_the_layer_kinds():
    h100 = catalogue.load_gpu("h100-sxm")
    # gpt-oss-120b, one sequence at 32,768 tokens: the attention operator reads the KV of 18 full layers x
    # 32,768 + 18 sliding layers x 128 tokens (1,212,678,144 B), writes one token's 73,728 B, and moves the
    # activations 36 layers x 2 B x ((64 + 16) x 64 + 64 x 64 = 9,216) = 663,552 B.
    r = roofline.roofline(model("gpt-oss-120b"), h100, batch=1, prompt_tokens=1, context_tokens=32768)
    attn = r["decode"]["operators"]["attention"]
    assert float(attn["bytes"]) == 1_212_678_144 + 73_728 + 663_552
    # The routed experts are streamed in MXFP4: 4 of 128 experts x 36 layers x 24,891,840 x 0.53125 B
    # (+ the routed tokens' hidden states 36 x 4 x 2 x 2880 x 2 B = 1,658,880 B).
    experts = r["decode"]["operators"]["experts"]
    assert float(experts["bytes"]) == pytest.approx(36 * 4 * 24_891_840 * 0.53125 + 1_658_880)
    # Qwen3-Next at 131,072: KV read 3,221,225,472 + write 24,576 + DeltaNet state read and written
    # 2 x 39,518,208 + activations 2 B x (12 x (9,216 + 4,096) + 36 x (12,352 + 4,096)) = 1,503,744.
    r = roofline.roofline(model("qwen3-next-80b-a3b"), h100, batch=1, prompt_tokens=1, context_tokens=131072)
    attn = r["decode"]["operators"]["attention"]
    assert float(attn["bytes"]) == pytest.approx(3_221_225_472 + 24_576 + 2 * 39_518_208 + 1_503_744)
    assert float(attn["flops"]) == 25_769_803_776 + 115_605_504


def test_expert_load_imbalance_is_a_named_assumption():
    h100 = catalogue.load_gpu("h100-sxm")
    m = model("qwen3-30b-a3b")
    even = roofline.roofline(m, h100, batch=64, prompt_tokens=1, context_tokens=1024)
    skew = roofline.roofline(
        m,
        h100,
        batch=64,
        prompt_tokens=1,
        context_tokens=1024,
        assumptions=roofline.RooflineAssumptions(expert_load_imbalance=1.25),
    )
    # 64 tokens x 8 routes x 4,718,592 params x 48 layers x 2 FLOPs = 231,928,233,984 at an even load;
    # the busiest GPU's share x 1.25 with a capacity factor of 1.25.
    assert float(even["decode"]["operators"]["experts"]["flops"]) == 231_928_233_984
    assert float(skew["decode"]["operators"]["experts"]["flops"]) == 231_928_233_984 * 1.25


def test_max_context_of_a_mixed_model_is_the_largest_that_fits():
    # Gemma 3 27B, batch 1, 10 GiB for the cache: once 52 local layers hold their 1,024 tokens
    # (52 x 1,024 x 8,192 = 436,207,616 B) the 10 global layers add 81,920 B a token:
    # floor((10 GiB - 436,207,616 + 10 x 1,024 x 8,192 ... ) / 81,920): for C >= 1,024 the cache is
    # 8,192 x (52 x 1,024 + 10 x C), so C = floor((10,737,418,240 / 8,192 - 53,248) / 10) = 125,747.
    gemma = model("gemma-3-27b")
    base = memory.serving_memory_per_gpu(gemma, batch=1, context_tokens=1)
    usable = float(base["weights"] + base["reserve"]) + 10 * GiB
    got = memory.max_context(gemma, usable=usable, batch=1)
    assert float(got) == 125_747
    # Qwen3-Next: the state comes first, then 24,576 B a token: C = floor((10 GiB - 39,518,208) / 24,576)
    # = floor(10,697,900,032 / 24,576) = 435,299, above the 262,144 maximum: capped there.
    nxt = model("qwen3-next-80b-a3b")
    base = memory.serving_memory_per_gpu(nxt, batch=1, context_tokens=1)
    usable = float(base["weights"] + base["reserve"]) + 10 * GiB
    assert float(memory.max_context(nxt, usable=usable, batch=1)) == 262_144
    usable = float(base["weights"] + base["reserve"]) + 1 * GiB
    # floor((1,073,741,824 - 39,518,208) / 24,576) = floor(1,034,223,616 / 24,576) = 42,082
    assert float(memory.max_context(nxt, usable=usable, batch=1)) == 42_082


# ------------------------------------------------------------------------------------------- the schema


@pytest.mark.parametrize(
    "update,message",
    [
        ({"layer_pattern": ["sliding", "full"]}, "no sliding_window_tokens"),
        ({"layer_pattern": ["chunked", "full"]}, "no attention_chunk_tokens"),
        ({"layer_pattern": ["linear", "full"]}, "no linear_attention"),
        (
            {
                "layer_pattern": ["linear"],
                "linear_attention": {
                    "key_heads": 1,
                    "value_heads": 1,
                    "key_head_dim": 8,
                    "value_head_dim": 8,
                },
            },
            "no attention layer",
        ),
        ({"layer_pattern": ["full"] * 33}, "more than the 32 layers"),
        ({"layer_pattern": ["local", "full"]}, "layer_pattern"),
        ({"attention_chunk_tokens": 8192}, "no 'chunked' layer"),
    ],
)
def test_schema_refuses_incomplete_layer_kinds(update, message):
    data = {**model("llama-3.1-8b").model_dump(), **update}
    with pytest.raises(ValueError, match=message):
        ModelSpec.model_validate(data)


# ---------------------------------------------------------------------------------------- config import

# The config.json fields of each published model that the import reads (values as published; the URLs are
# in the profiles' `source`).
GPT_OSS_20B = {
    "architectures": ["GptOssForCausalLM"],
    "model_type": "gpt_oss",
    "attention_bias": True,
    "head_dim": 64,
    "hidden_size": 2880,
    "intermediate_size": 2880,
    "layer_types": ["sliding_attention", "full_attention"] * 12,
    "max_position_embeddings": 131072,
    "num_attention_heads": 64,
    "num_experts_per_tok": 4,
    "num_hidden_layers": 24,
    "num_key_value_heads": 8,
    "num_local_experts": 32,
    "quantization_config": {
        "modules_to_not_convert": [
            "model.layers.*.self_attn",
            "model.layers.*.mlp.router",
            "model.embed_tokens",
            "lm_head",
        ],
        "quant_method": "mxfp4",
    },
    "sliding_window": 128,
    "tie_word_embeddings": False,
    "vocab_size": 201088,
}
QWEN3_NEXT = {
    "architectures": ["Qwen3NextForCausalLM"],
    "model_type": "qwen3_next",
    "decoder_sparse_step": 1,
    "full_attention_interval": 4,
    "head_dim": 256,
    "hidden_size": 2048,
    "intermediate_size": 5120,
    "layer_types": ["linear_attention"] * 3 + ["full_attention"],  # x 12 below
    "linear_conv_kernel_dim": 4,
    "linear_key_head_dim": 128,
    "linear_num_key_heads": 16,
    "linear_num_value_heads": 32,
    "linear_value_head_dim": 128,
    "max_position_embeddings": 262144,
    "mlp_only_layers": [],
    "moe_intermediate_size": 512,
    "num_attention_heads": 16,
    "num_experts": 512,
    "num_experts_per_tok": 10,
    "num_hidden_layers": 48,
    "num_key_value_heads": 2,
    "shared_expert_intermediate_size": 512,
    "tie_word_embeddings": False,
    "vocab_size": 151936,
}
QWEN3_NEXT["layer_types"] = QWEN3_NEXT["layer_types"] * 12
GEMMA_3_27B = {
    "architectures": ["Gemma3ForConditionalGeneration"],
    "model_type": "gemma3",
    "text_config": {
        "model_type": "gemma3_text",
        "head_dim": 128,
        "hidden_size": 5376,
        "intermediate_size": 21504,
        "max_position_embeddings": 131072,
        "num_attention_heads": 32,
        "num_hidden_layers": 62,
        "num_key_value_heads": 16,
        "sliding_window": 1024,
        "sliding_window_pattern": 6,
        "vocab_size": 262208,
    },
}
KIMI_K2 = {
    "architectures": ["DeepseekV3ForCausalLM"],
    "model_type": "kimi_k2",
    "first_k_dense_replace": 1,
    "hidden_size": 7168,
    "intermediate_size": 18432,
    "kv_lora_rank": 512,
    "max_position_embeddings": 131072,
    "moe_intermediate_size": 2048,
    "moe_layer_freq": 1,
    "n_routed_experts": 384,
    "n_shared_experts": 1,
    "num_attention_heads": 64,
    "num_experts_per_tok": 8,
    "num_hidden_layers": 61,
    "num_key_value_heads": 64,
    "num_nextn_predict_layers": 0,
    "q_lora_rank": 1536,
    "qk_nope_head_dim": 128,
    "qk_rope_head_dim": 64,
    "topk_method": "noaux_tc",
    "v_head_dim": 128,
    "vocab_size": 163840,
}
LLAMA_4_MAVERICK = {
    "architectures": ["Llama4ForConditionalGeneration"],
    "model_type": "llama4",
    "text_config": {
        "model_type": "llama4_text",
        "attention_chunk_size": 8192,
        "head_dim": 128,
        "hidden_size": 5120,
        "interleave_moe_layer_step": 2,
        "intermediate_size": 8192,
        "intermediate_size_mlp": 16384,
        "max_position_embeddings": 1048576,
        "no_rope_layers": [1, 1, 1, 0] * 12,
        "num_attention_heads": 40,
        "num_experts_per_tok": 1,
        "num_hidden_layers": 48,
        "num_key_value_heads": 8,
        "num_local_experts": 128,
        "use_qk_norm": False,
        "vocab_size": 202048,
    },
}
GLM_45 = {
    "architectures": ["Glm4MoeForCausalLM"],
    "model_type": "glm4_moe",
    "attention_bias": True,
    "first_k_dense_replace": 3,
    "head_dim": 128,
    "hidden_size": 5120,
    "intermediate_size": 12288,
    "max_position_embeddings": 131072,
    "moe_intermediate_size": 1536,
    "n_routed_experts": 160,
    "n_shared_experts": 1,
    "num_attention_heads": 96,
    "num_experts_per_tok": 8,
    "num_hidden_layers": 92,
    "num_key_value_heads": 8,
    "num_nextn_predict_layers": 1,
    "tie_word_embeddings": False,
    "use_qk_norm": True,
    "vocab_size": 151552,
}
QWEN3_30B_A3B = {
    "architectures": ["Qwen3MoeForCausalLM"],
    "model_type": "qwen3_moe",
    "head_dim": 128,
    "hidden_size": 2048,
    "intermediate_size": 6144,
    "max_position_embeddings": 40960,
    "moe_intermediate_size": 768,
    "num_attention_heads": 32,
    "num_experts": 128,
    "num_experts_per_tok": 8,
    "num_hidden_layers": 48,
    "num_key_value_heads": 4,
    "sliding_window": None,
    "use_sliding_window": False,
    "tie_word_embeddings": False,
    "vocab_size": 151936,
}
# microsoft/Phi-3-mini-4k-instruct: a 2,047-token window on every layer (Mistral-style).
PHI_3_MINI = {
    "architectures": ["Phi3ForCausalLM"],
    "model_type": "phi3",
    "hidden_size": 3072,
    "intermediate_size": 8192,
    "max_position_embeddings": 4096,
    "num_attention_heads": 32,
    "num_hidden_layers": 32,
    "num_key_value_heads": 32,
    "sliding_window": 2047,
    "tie_word_embeddings": False,
    "vocab_size": 32064,
}


@pytest.mark.parametrize(
    "config,profile",
    [
        (GPT_OSS_20B, "gpt-oss-20b"),
        (QWEN3_NEXT, "qwen3-next-80b-a3b"),
        (GEMMA_3_27B, "gemma-3-27b"),
        (KIMI_K2, "kimi-k2"),
        (LLAMA_4_MAVERICK, "llama-4-maverick"),
        (GLM_45, "glm-4.5"),
        (QWEN3_30B_A3B, "qwen3-30b-a3b"),
    ],
)
def test_import_reads_the_new_fields(config, profile):
    data = profile_from_hf_config(json.loads(json.dumps(config)), "imported", "test fixture")
    spec = catalogue.validate_data("model", data, "fixture")
    shipped = model(profile)
    assert param_counts(spec) == param_counts(shipped)  # every component, MTP included
    assert kv_bytes_per_token(spec) == kv_bytes_per_token(shipped)
    assert spec.layer_pattern == shipped.layer_pattern
    assert spec.sliding_window_tokens == shipped.sliding_window_tokens
    assert spec.attention_chunk_tokens == shipped.attention_chunk_tokens
    assert spec.linear_attention == shipped.linear_attention
    assert spec.expert_weight_format == shipped.expert_weight_format


def test_import_keeps_phi3s_window():
    data = profile_from_hf_config(dict(PHI_3_MINI), "phi3", "test fixture")
    assert data["sliding_window_tokens"] == 2047
    assert "layer_pattern" not in data  # every layer windowed
    # Qwen3-MoE's switched-off window stays off; Gemma 3's per-layer pattern is compressed to 6 entries.
    assert "sliding_window_tokens" not in profile_from_hf_config(dict(QWEN3_30B_A3B), "q", "t")
    gemma = profile_from_hf_config(json.loads(json.dumps(GEMMA_3_27B)), "g", "t")
    assert gemma["layer_pattern"] == ["sliding"] * 5 + ["full"]
    assert gemma["norms_per_layer"] == 4 and gemma["qk_norm"] and gemma["tied_embeddings"]


def test_import_notes_a_quantized_checkpoint_it_does_not_model_per_tensor():
    fp8 = {**KIMI_K2, "quantization_config": {"quant_method": "fp8", "fmt": "e4m3"}}
    data = profile_from_hf_config(fp8, "k", "t")
    assert "weights published quantized (fp8 e4m3)" in data["description"]
    assert "expert_weight_format" not in data


@pytest.mark.parametrize(
    "update,message",
    [
        ({"sliding_window": [4096, None]}, "sliding_window as a list"),
        ({"layer_types": ["sliding_attention", "mamba"] * 12}, "layer_types[1] is 'mamba'"),
        ({"layer_types": ["sliding_attention", "full_attention"]}, "one type for each of the 24 layers"),
        ({"sliding_window": "128"}, "sliding_window is '128'"),
        ({"sliding_window": None}, "sliding layers but no sliding_window"),
        ({"hybrid_override_pattern": "M*M*"}, "Mamba/attention hybrid layers"),
        ({"mlp_only_layers": [0, 5]}, "mlp_only_layers"),
        ({"moe_layer_freq": 2}, "moe_layer_freq"),
        ({"quantization_config": "mxfp4"}, "quantization_config"),
    ],
)
def test_import_refuses_what_it_cannot_represent(update, message):
    with pytest.raises(InputError, match=message.replace("[", r"\[").replace("]", r"\]")):
        profile_from_hf_config({**GPT_OSS_20B, **update}, "x", "t")


def test_import_refuses_linear_layers_without_their_sizes():
    cfg = {k: v for k, v in QWEN3_NEXT.items() if k != "linear_num_value_heads"}
    with pytest.raises(InputError, match="lacks linear_num_value_heads"):
        profile_from_hf_config(cfg, "x", "t")


def test_cli_import_of_a_list_window_is_one_line_exit_2(cli, tmp_path, isolated_home):
    path = tmp_path / "config.json"
    path.write_text(json.dumps({**PHI_3_MINI, "sliding_window": [2047, 4096]}))
    r = cli("profiles", "import", str(path), "--name", "bad")
    assert r.exit_code == 2
    assert len(r.stderr.strip().splitlines()) == 1 and "as a list" in r.stderr
    assert not (isolated_home / "models").exists()
    path.write_text(json.dumps(GPT_OSS_20B))
    r = cli("profiles", "import", str(path), "--name", "my-oss")
    assert r.exit_code == 0, r.stderr
    catalogue.index.cache_clear()
    assert param_counts(model("my-oss")).total == 20_914_757_184
    assert np.isclose(
        float(memory.serving_memory_per_gpu(model("my-oss"), batch=1, context_tokens=1)["weights"]),
        13_751_518_848,
    )


def test_fp4_formats_compute_where_the_gpu_has_fp4():
    # MXFP4/NVFP4 run on fp4 tensor cores where the GPU has them (B200); on Hopper, which has none, the
    # kernels dequantise to bf16 (weight-only), so the roofline uses the bf16 peak there.
    oss = model("gpt-oss-20b")
    for weights in ("mxfp4", "nvfp4"):
        on_h100 = roofline.roofline(
            oss, catalogue.load_gpu("h100-sxm"), batch=1, prompt_tokens=1, context_tokens=1, weights=weights
        )
        on_b200 = roofline.roofline(
            oss, catalogue.load_gpu("b200"), batch=1, prompt_tokens=1, context_tokens=1, weights=weights
        )
        assert on_h100["compute_dtype"] == "bf16"
        assert on_b200["compute_dtype"] == "fp4"
    with pytest.raises(InputError, match="fp4"):
        roofline.roofline(
            oss, catalogue.load_gpu("h100-sxm"), batch=1, prompt_tokens=1, context_tokens=1, weights="fp4"
        )


@pytest.mark.parametrize("name", ["gpt-oss-120b", "gemma-3-27b", "llama-4-scout", "qwen3-next-80b-a3b"])
def test_mixed_layer_caches_vectorise(name):
    # An array of contexts gives, point by point, what one context at a time gives; the cache never shrinks
    # as the context grows.
    m = model(name)
    contexts = np.array([1, 100, 128, 129, 1024, 1025, 8192, 8193, 32768, 131072], dtype=float)
    together = kv_cache_bytes_per_sequence(m, contexts)
    one_by_one = [float(kv_cache_bytes_per_sequence(m, c)) for c in contexts]
    assert together.tolist() == one_by_one
    assert np.all(np.diff(together) > 0)


def test_nvfp4_weights_and_an_fp32_state():
    # Qwen3-235B-A22B all in NVFP4: 235,093,634,560 params x 0.5625 B = 132,240,169,440 B (123.2 GiB) over
    # TP 1, against 470 GB in bf16.
    q = model("qwen3-235b-a22b")
    m = memory.serving_memory_per_gpu(q, batch=1, context_tokens=1, weights="nvfp4")
    assert float(m["weights"]) == 235_093_634_560 * 0.5625 == 132_240_169_440
    # Qwen3-Next's DeltaNet state kept in fp32 (state_dtype; vLLM --mamba-ssm-cache-dtype float32) doubles it:
    # 36 x 548,864 x 4 B = 79,036,416 B per sequence.
    assert linear_state_bytes_per_sequence(model("qwen3-next-80b-a3b"), "fp32") == 79_036_416
