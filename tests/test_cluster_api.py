"""llmwalls.api.cluster and the planned-run helpers of llmwalls.api._planning, called as a library: defaults
and figures worked out by hand, the Layout and single-degree forms, walls, and one-line input errors."""

from __future__ import annotations

import dataclasses

import pytest

from llmwalls import api
from llmwalls.api._planning import (
    LayoutPins,
    TrainingPlan,
    check_layout,
    fabric_tiers,
    plan_run,
    resolve_cluster,
    resolve_model,
    training_run,
)
from llmwalls.engine.goodput import run_goodput
from llmwalls.errors import InputError

# H100 SXM training memory: the 81,559 MiB the driver reports less the 1 GiB training reserve
# (engine.memory.training_usable_bytes) = 81,559 x 2^20 - 2^30 = 84,446,085,120 B
H100_USABLE_BYTES = 81_559 * 2**20 - 2**30
H100_BF16_PEAK = 989.4e12  # NVIDIA H100 SXM datasheet, BF16 dense tensor core


@pytest.fixture(scope="module")
def given_8b():
    # Llama 3.1 8B pure data parallel on one DGX H100 node, ZeRO-1, selective recomputation, the rest default
    return api.cluster(
        "8b",
        cluster="dgx-h100",
        gpus=8,
        layout=api.Layout(tp=1, pp=1, dp=8, zero=1, micro_batch=1, recompute=api.Recompute.selective),
        scaling=api.ScalingMode.off,
    )


def test_defaults_of_a_run_by_hand():
    spec, cl = resolve_model("70b"), resolve_cluster("dgx-h100")
    run = training_run(spec, cl)
    # dgx-h100: 128 nodes x 8 GPUs = 1,024; Llama 3 trains at 8,192 tokens (Llama 3 sec 3.4.1); 16Mi tokens a
    # step = 16 x 2^20 / 8,192 = 2,048 sequences; Chinchilla 20 tokens per parameter x 70,553,706,496
    # parameters (Meta's config) = 1,411,074,129,920 tokens
    assert (run.gpus, run.seq_len, run.global_batch) == (1024, 8192, 2048)
    assert run.train_tokens == 20 * 70_553_706_496


def test_given_layout_figures_by_hand(given_8b):
    r = given_8b.results
    assert r.explicit and r.search is None
    assert (r.layout.tp, r.layout.pp, r.layout.dp, r.layout.zero_stage) == (1, 1, 8, 1)
    assert r.layout.recompute is api.Recompute.selective
    # 2,048 sequences / (DP 8 x micro-batch 1) = 256 micro-batches; 2,048 x 8,192 = 16,777,216 tokens a step
    assert r.step.microbatches == 256
    assert r.throughput.tokens_per_step == 2048 * 8192
    # tokens/s = tokens per step / step time; MFU = model FLOPs per step / (step x 8 GPUs x 989.4 TFLOP/s)
    assert r.throughput.tokens_per_s == pytest.approx(2048 * 8192 / r.step.step_time_s)
    mfu = r.throughput.model_flops_per_step / (r.step.step_time_s * 8 * H100_BF16_PEAK)
    assert r.throughput.mfu == pytest.approx(mfu)
    # time to train = steady state (20 x 8,030,261,248 tokens / tokens/s) / whole-run goodput on 8 GPUs
    # (engine.goodput); GPU-hours = that x 8 / 3,600
    assert r.training.tokens == 20 * 8_030_261_248
    steady = 20 * 8_030_261_248 / r.throughput.tokens_per_s
    good = run_goodput(steady, 8, params=8_030_261_248)
    assert r.training.time_s == pytest.approx(steady / good["goodput"])
    assert r.training.gpu_hours == pytest.approx(r.training.time_s * 8 / 3600)
    assert r.memory.usable_bytes == pytest.approx(H100_USABLE_BYTES)


def test_walls_are_hit_exactly_above_1(given_8b):
    walls = {w.wall: w for w in given_8b.walls}
    assert set(walls) == {"memory_capacity", "interconnect"}
    for w in given_8b.walls:
        assert w.hit == (w.utilization is not None and w.utilization > 1)
    st = given_8b.results.step
    assert walls["interconnect"].demand == st.exposed_comm_time_s
    assert walls["interconnect"].limit == st.compute_time_s


def test_report_is_frozen_with_the_five_fields(given_8b):
    assert [f.name for f in dataclasses.fields(given_8b)] == [
        "inputs",
        "results",
        "walls",
        "warnings",
        "notes",
    ]
    with pytest.raises(dataclasses.FrozenInstanceError):
        given_8b.results.layout.tp = 2  # type: ignore[misc]


def test_single_degrees_equal_the_layout(given_8b):
    same = api.cluster(
        "8b", gpus=8, tp=1, pp=1, dp=8, zero=1, micro_batch=1, recompute="selective", scaling="off"
    )
    assert same.results.step.step_time_s == given_8b.results.step.step_time_s


def test_layout_and_single_degrees_are_not_both_given():
    with pytest.raises(InputError, match="not both"):
        api.cluster("8b", gpus=8, layout=api.Layout(dp=8), tp=1, scaling="off")


def test_another_gpu_in_the_cluster_nodes_is_warned():
    report = api.cluster("8b", gpu="b200", gpus=8, scaling="off")
    assert report.inputs.gpu == "b200"
    assert any("b200 in dgx-h100's nodes" in w for w in report.warnings)


@pytest.mark.parametrize(
    "pins, message",
    [
        (LayoutPins(tp=3), "tensor-parallel degree 3 does not divide llama-3.1-405b's 128 attention heads"),
        (LayoutPins(tp=8, pp=16, dp=100), "= 12,800, not the 12,288 GPUs"),
        (LayoutPins(pp=16), "pipeline-parallel degree 16 does not divide llama-3.1-405b's 126 layers"),
        (LayoutPins(ep=2), "not a mixture-of-experts model"),
        (LayoutPins(cp=3), "not divisible into 2 x context-parallel degree = 6"),
    ],
)
def test_impossible_degrees_name_the_concept(pins, message):
    spec, cl = resolve_model("405b"), resolve_cluster("dgx-h100")
    run = training_run(spec, cl, gpus=12288)  # 3 x 4,096: a degree of 3 divides the GPUs
    with pytest.raises(InputError, match=message.replace("(", r"\(")) as info:
        check_layout(spec, run, pins, fabric_tiers(cl))
    assert "--" not in str(info.value)  # a library message: no command-line flag


def test_plan_run_for_power_and_cost():
    plan = plan_run("8b", None, "h100", gpus=64, train_tokens=1e12)
    assert isinstance(plan, TrainingPlan)
    assert any("dgx-h100" in w for w in plan.warnings)  # planned on the default cluster's nodes, said so
    # time = 1e12 tokens / tokens/s / whole-run goodput (64 GPUs, 8.03B parameters); GPU-hours = time x 64
    # GPUs / 3,600
    good = run_goodput(1e12 / plan.tokens_per_s, 64, params=8_030_261_248)
    assert plan.time_to_train_s == pytest.approx(good["wall_clock_s"])
    assert plan.gpu_hours == pytest.approx(plan.time_to_train_s * 64 / 3600)
    summary = plan.summary()
    assert summary["gpus"] == 64 and summary["layout"]["recompute"] in ("none", "selective", "full")
    summary["extra"] = 1  # a fresh dict the caller may extend
    assert "extra" not in plan.summary()


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"gpus": 0}, "at least 1 GPU"),
        ({"gpus": 10**12}, "absurd"),
        ({"train_tokens": -5.0}, "positive"),
        ({"matmul_efficiency": 1.5}, "matmul efficiency"),
        ({"scaling": "sideways"}, "unknown scaling mode 'sideways'"),
        ({"recompute": "some"}, "unknown recomputation 'some'"),
    ],
)
def test_bad_library_input_is_an_input_error(kwargs, message):
    with pytest.raises(InputError, match=message):
        api.cluster("8b", **kwargs)
