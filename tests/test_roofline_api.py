"""`llmwalls.api.roofline`: the walls oriented so that hit is exactly utilization > 1 (a minimum tokens/s
target included), a memory-bandwidth wall that can be hit, and the hardware choice. Values worked by hand."""

from __future__ import annotations

import pytest

from llmwalls.errors import InputError

# Llama-3.1-8B decode at batch 1 on one H100 SXM, context 2,048 + 512 / 2 = 2,304 tokens, bf16:
# weights streamed per token = all parameters but the embedding gather: 8,030,261,248 - 128,256 x 4,096
# (525,336,576) = 7,504,924,672 x 2 B = 15.010e9 B; KV read 2,304 x 131,072 B = 0.302e9 B; 15.312e9 B in all.
# Attainable bandwidth 3.35e12 x 0.65 (the calibrated default) = 2.1775e12 B/s: 7.032 ms per token,
# 142.2 tokens/s (activations add a few kB).
BYTES_8B = 15.010e9 + 0.302e9
ROOF = 3.35e12 * 0.65
TOKENS_8B = ROOF / BYTES_8B  # 142.2


def test_a_tokens_per_s_target_is_hit_exactly_when_above_the_achievable_rate():
    from llmwalls import api

    r = api.roofline(model="8b", gpu="h100", min_tokens_per_s=150)
    walls = {w.wall: w for w in r.walls}
    tokens = walls["decode_tokens_per_s"]
    assert tokens.demand == 150 and tokens.limit == pytest.approx(TOKENS_8B, rel=2e-3)
    assert tokens.utilization == pytest.approx(150 / TOKENS_8B, rel=2e-3)  # 1.055
    assert tokens.hit
    met = {w.wall: w for w in api.roofline(model="8b", gpu="h100", min_tokens_per_s=100).walls}
    assert met["decode_tokens_per_s"].utilization == pytest.approx(100 / TOKENS_8B, rel=2e-3)  # 0.703
    assert not met["decode_tokens_per_s"].hit


def test_the_bandwidth_wall_is_the_bandwidth_a_target_needs():
    from llmwalls import api

    # 150 tokens/s at batch 1 needs 150 decode steps of 15.312e9 B each: 2.297e12 B/s > 2.1775e12.
    bw = {w.wall: w for w in api.roofline(model="8b", gpu="h100", min_tokens_per_s=150).walls}[
        "memory_bandwidth"
    ]
    assert bw.demand == pytest.approx(150 * BYTES_8B, rel=2e-3)
    assert bw.limit == pytest.approx(ROOF) and bw.hit
    # Llama-3.1-70B at TP 8: 100 tokens/s is out of reach (83 achievable: 160 all-reduces of 25 µs each add
    # 4 ms per token), yet the bandwidth it needs is not: per GPU (70,553,706,496 - 1,050,673,152 embedding)
    # / 8 x 2 B = 17.38e9 B of weights + 2,304 x 327,680 / 8 B = 0.094e9 B of KV per step, x 100 steps/s =
    # 1.747e12 B/s, 0.80 of the roof. The tokens/s wall is hit, the bandwidth wall is not.
    walls = {
        w.wall: w for w in api.roofline("70b", "h100", layout=api.Layout(tp=8), min_tokens_per_s=100).walls
    }
    assert walls["decode_tokens_per_s"].hit
    assert walls["memory_bandwidth"].utilization == pytest.approx((17.38e9 + 0.094e9) * 100 / ROOF, rel=0.01)
    assert not walls["memory_bandwidth"].hit


@pytest.mark.parametrize(
    "kwargs",
    [
        {"model": "8b", "gpu": "h100"},
        {"model": "8b", "gpu": "h100", "min_tokens_per_s": 150},
        {"model": "llama-2-70b", "gpu": "h100", "batch": [1, 64, 256]},
        {"model": "mixtral-8x7b", "gpu": "h100", "min_tokens_per_s": 10},
    ],
)
def test_hit_is_exactly_utilization_above_one(kwargs):
    from llmwalls import api

    for w in api.roofline(**kwargs).walls:
        assert w.hit == (w.utilization is not None and w.utilization > 1), w


def test_a_cluster_implies_its_gpu_and_gpus_counts_replicas():
    from llmwalls import api

    r = api.roofline("70b", cluster="dgx-h100", layout=api.Layout(tp=8), gpus=64)
    assert (r.inputs.gpu, r.inputs.replicas, r.inputs.gpus_per_replica) == ("h100-sxm", 8, 8)
    with pytest.raises(InputError, match="whole number of 8-GPU replicas"):
        api.roofline("70b", "h100", layout=api.Layout(tp=8), gpus=12)


def test_cli_min_tokens_per_s_json_and_check(cli):
    r = cli("roofline", "--model", "8b", "--gpu", "h100", "--min-tokens-per-s", "150", "--json")
    assert r.exit_code == 0, r.stderr
    wall = {w["wall"]: w for w in r.json()["walls"]}["decode_tokens_per_s"]
    assert wall["demand"] == 150 and wall["utilization"] == pytest.approx(150 / TOKENS_8B, rel=2e-3)
    assert wall["hit"] is True
    assert (
        cli("roofline", "--model", "8b", "--gpu", "h100", "--min-tokens-per-s", "150", "--check").exit_code
        == 1
    )
    r = cli("roofline", "--model", "70b", "--cluster", "dgx-h100", "--tp", "8", "--no-chart")
    assert r.exit_code == 0 and "h100-sxm" in r.stdout
