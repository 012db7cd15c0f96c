"""llmwalls.engine.plan: the one place that picks a training run's layout (cluster, walls, power, cost).

Checked by hand: the defaults (Llama 3's 8,192 context and 16Mi-token batches, Chinchilla's 20 tokens per
parameter), the relations time = tokens / (tokens/s) and GPU-hours = time x GPUs / 3,600, that the search's
pick is the fastest layout that fits, the given-layout path and its defaults, the least-memory fallback when
nothing fits, and that `llmwalls cluster` and engine.walls report the plan's GPU-hours exactly.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from llmwalls import catalogue
from llmwalls.engine import plan as P
from llmwalls.engine import walls as W
from llmwalls.engine.collectives import Tiers
from llmwalls.engine.memory import training_usable_bytes
from llmwalls.engine.model import param_counts
from llmwalls.errors import InputError


def _load(kind: str, name: str):
    return catalogue.load(kind, name, announce=False)


@pytest.fixture(scope="module")
def hw():
    """H100 SXM GPUs in dgx-h100 nodes (NVLink 8-GPU domains, one 400 Gb/s NIC per GPU)."""
    return _load("gpu", "h100-sxm"), _load("cluster", "dgx-h100")


@pytest.fixture(scope="module")
def m8():
    return _load("model", "llama-3.1-8b")


@pytest.fixture(scope="module")
def m405():
    return _load("model", "llama-3.1-405b")


def plan(spec, hw, **kw):
    gpu, cluster = hw
    kw.setdefault("train_tokens", 1e12)
    kw.setdefault("seq_len", 8192)
    kw.setdefault("global_batch", 2048)
    kw.setdefault("usable_bytes", training_usable_bytes(gpu.memory_capacity_bytes))
    return P.plan_training(spec, gpu, Tiers.from_cluster(cluster), **kw)


def test_defaults(m405):
    # Llama 3 sec 3.4.1: 8,192-token sequences; Table 4: 16M tokens per step = 16 x 2^20 / 8,192 = 2,048 seqs.
    assert P.default_seq_len(m405) == 8192
    assert P.default_global_batch(8192) == 2048
    # a 4,096-token model (Llama 2) is capped at its maximum: 4,096 tokens, 16 x 2^20 / 4,096 = 4,096 seqs
    llama2 = _load("model", "llama-2-7b")
    assert P.default_seq_len(llama2) == 4096 and P.default_global_batch(4096) == 4096
    # Chinchilla: 20 tokens per parameter
    assert P.default_train_tokens(m405) == 20.0 * param_counts(m405).total


def test_time_and_gpu_hours_by_hand(m8, hw):
    p = plan(m8, hw, gpus=64, train_tokens=1e12)
    assert p["found"] and p["fits"] and not p["explicit"]
    L = p["layout"]
    assert L["tp"] * L["pp"] * L["dp"] * L["cp"] == 64
    # tokens/s = 2,048 sequences x 8,192 tokens / step time
    assert p["tokens_per_s"] == pytest.approx(2048 * 8192 / p["step_time_s"])
    # steady state: time = 1e12 tokens / tokens/s; GPU-hours = time x 64 GPUs / 3,600 s
    assert p["steady_time_to_train_s"] == pytest.approx(1e12 / p["tokens_per_s"])
    assert p["steady_gpu_hours"] == pytest.approx(p["steady_time_to_train_s"] * 64 / 3600)
    # whole run: steady time / goodput, goodput = 1 - the sum of its named parts
    g = p["goodput"]
    parts = (
        "checkpoint_fraction",
        "rework_fraction",
        "restart_fraction",
        "warmup_fraction",
        "evaluation_fraction",
    )
    assert g["goodput"] == pytest.approx(1.0 - sum(g[k] for k in parts))
    assert p["time_to_train_s"] == pytest.approx(p["steady_time_to_train_s"] / g["goodput"])
    assert p["gpu_hours"] == pytest.approx(p["time_to_train_s"] * 64 / 3600)
    # the summary figures are the chosen layout's step figures
    for k in P.SUMMARY_KEYS:
        assert p[k] == p["step"][k]


def test_pick_is_the_fastest_layout_that_fits(m8, hw):
    p = plan(m8, hw, gpus=64, top=5)
    res = p["results"]
    assert p["tokens_per_s"] == np.max(res["tokens_per_s"][res["fits"]])
    assert p["candidates"] == len(p["layouts"]["tp"]) == len(res["mfu"]) > 1
    assert p["fitting"] == int(res["fits"].sum())
    ranked = p["ranked"]
    assert len(ranked) == 5
    # the fastest that fits (ties, e.g. ZeRO-1 and ZeRO-2 at the same speed, go to the smaller memory)
    assert res["tokens_per_s"][int(ranked[0])] == np.max(np.where(res["fits"], res["tokens_per_s"], 0))
    speeds = res["tokens_per_s"][ranked]
    assert np.all(np.diff(speeds) <= 0)  # best first
    assert P.layout_at(p, int(ranked[0])) == p["layout"]
    assert P.dominant_at(p, int(ranked[0])) == (p["largest_overhead"], p["largest_overhead_share"])


def test_given_degrees_constrain_the_search_but_do_not_end_it(m8, hw):
    p = plan(m8, hw, gpus=64, fixed={"tp": 2, "pp": 1, "dp": 32}, top=3)
    assert p["explicit"]
    # the degrees are kept, CP and EP default to 1 (tp x pp x dp already = 64), sequence parallel with TP
    assert {k: p["layout"][k] for k in ("tp", "pp", "dp", "cp", "ep", "sequence_parallel")} == {
        "tp": 2,
        "pp": 1,
        "dp": 32,
        "cp": 1,
        "ep": 1,
        "sequence_parallel": 1,
    }
    # micro-batch (2,048 / 32 = 64 sequences per replica: 1, 2, 4, 8, 16 all divide it), ZeRO stage 0-3 and
    # recomputation none/selective/full are searched: 5 x 4 x 3 = 60 candidates, all with the given degrees
    assert p["candidates"] == 5 * 4 * 3
    assert set(p["layouts"]["tp"]) == {2} and set(p["layouts"]["dp"]) == {32}
    res = p["results"]
    assert p["tokens_per_s"] == np.max(res["tokens_per_s"][res["fits"]])
    # pinning them too leaves one candidate
    one = plan(
        m8, hw, gpus=64, fixed={"tp": 2, "pp": 1, "dp": 32, "micro_batch": 1, "zero_stage": 1, "recompute": 1}
    )
    assert one["candidates"] == 1 and one["layout"]["zero_stage"] == 1
    # TP 1: nothing to run sequence-parallel over
    q = plan(m8, hw, gpus=64, fixed={"tp": 1, "pp": 1, "dp": 64})
    assert q["layout"]["sequence_parallel"] == 0


def test_given_layout_must_multiply_to_the_gpus(m8, hw):
    with pytest.raises(InputError, match="not the 64 GPUs"):
        plan(m8, hw, gpus=64, fixed={"tp": 2, "pp": 1, "dp": 16})


def test_nothing_fits_gives_the_least_memory_layout_flagged(m405, hw):
    # 405B parameters x 16 bytes of weights, gradients and Adam state = 6.5 TB; 8 x 72 GB usable = 576 GB.
    p = plan(m405, hw, gpus=8, global_batch=64)
    assert p["found"] and not p["fits"] and p["fitting"] == 0
    assert p["memory_bytes"] == np.min(p["results"]["memory_bytes"])


def test_no_valid_layout_is_a_flag(m8, hw):
    # TP 3 divides neither the 32 attention heads nor the 8 KV heads of Llama-3.1-8B
    p = plan(m8, hw, gpus=63, fixed={"tp": 3})
    assert p == {"found": False, "explicit": False, "fixed": {"tp": 3, "ep": 1}, "candidates": 0}


def test_dense_models_pin_ep_to_one(m8, hw):
    assert plan(m8, hw, gpus=8)["fixed"] == {"ep": 1}


def test_walls_training_uses_the_plan(m405, hw):
    # engine.walls takes its training layout from plan_training: same layout, same GPU-hours to the bit
    h100, dgx = hw
    site = W.site_for(h100, dgx, usd_per_gpu_hour=2.0)
    w = W.training_walls(
        m405, h100, dgx, site, gpus=4096, seq_len=8192, global_batch=2048, tokens=15.6e12, deadline_s=None
    )
    p = plan(m405, hw, gpus=4096, train_tokens=15.6e12)
    assert w["layout"] == p["layout"]
    assert float(w["gpu_hours"]) == p["gpu_hours"]
    assert float(w["step_time_s"]) == p["step_time_s"]
    # the cost wall: those GPU-hours x $2/GPU-hour
    assert float(w["walls"]["cost"]["demand"]) == pytest.approx(p["gpu_hours"] * 2.0)


def test_cluster_command_reports_the_plan(cli, m8, hw):
    args = "--model llama-3.1-8b --cluster dgx-h100 --gpus 64 --tokens 1e12 --scaling off --json"
    r = cli("cluster", *args.split())
    assert r.exit_code == 0, r.stderr
    res = r.json()["results"]
    p = plan(m8, hw, gpus=64, train_tokens=1e12)
    assert res["training"]["gpu_hours"] == pytest.approx(p["gpu_hours"], rel=1e-12)
    for k in ("tp", "pp", "dp", "cp", "micro_batch", "zero_stage"):
        assert res["layout"][k] == p["layout"][k]


@settings(max_examples=8, deadline=None)
@given(gpus=st.sampled_from([8, 16, 32, 64, 128]), tokens=st.floats(1e9, 1e14))
def test_gpu_hours_are_linear_in_tokens(gpus, tokens):
    # The layout does not depend on the token count; GPU-hours scale with it exactly.
    hw, m8 = (_load("gpu", "h100-sxm"), _load("cluster", "dgx-h100")), _load("model", "llama-3.1-8b")
    a = plan(m8, hw, gpus=gpus, train_tokens=tokens)
    b = plan(m8, hw, gpus=gpus, train_tokens=2 * tokens)
    assert a["layout"] == b["layout"]
    assert b["gpu_hours"] == pytest.approx(2 * a["gpu_hours"], rel=1e-12)
    assert a["steady_gpu_hours"] == pytest.approx(tokens / a["tokens_per_s"] * gpus / 3600, rel=1e-12)


def test_slowed_step_time_by_hand(m8, hw):
    p = plan(m8, hw, gpus=64, global_batch=512)
    st = p["step"]
    parts = ("matmul_time_s", "bubble_time_s", "elementwise_time_s", "optimizer_time_s")
    parts += ("exposed_comm_time_s",)
    # at full speed the parts add up to the step
    assert float(P.slowed_step_time_s(st, 1.0, 1.0)) == pytest.approx(sum(st[k] for k in parts))
    assert float(P.slowed_step_time_s(st, 1.0, 1.0)) == pytest.approx(st["step_time_s"])
    # half the clock on compute-bound work: matmuls and bubble take twice as long, the rest is unchanged
    half = float(P.slowed_step_time_s(st, 0.5, 1.0))
    assert half == pytest.approx(st["step_time_s"] + st["matmul_time_s"] + st["bubble_time_s"])
    # HBM-bound kernels at half speed: elementwise and optimizer twice as long
    mem = float(P.slowed_step_time_s(st, 1.0, 0.5))
    assert mem == pytest.approx(st["step_time_s"] + st["elementwise_time_s"] + st["optimizer_time_s"])
