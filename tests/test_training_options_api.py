"""The training options as typed keyword arguments of the public API (api.cluster, api.memory, api.walls,
api.power, api.cost): the precision enum, FlashAttention, the goodput parts and the uneven first stage."""

from __future__ import annotations

import pytest

from llmwalls import api
from llmwalls.api.types import TrainingPrecision
from llmwalls.errors import InputError

PINNED = {"gpus": 8, "tp": 8, "pp": 1, "dp": 1, "micro_batch": 1, "global_batch": 8, "seq_len": 4096}


def test_cluster_takes_the_enum_and_the_goodput_parts():
    r = api.cluster(
        "8b",
        cluster="dgx-h100",
        scaling="off",
        precision=TrainingPrecision.fp8_current,
        flash_attention=False,
        failures_per_gpu_hour=1e-3,
        restart_s=1200.0,
        evaluation_share=0.05,
        **PINNED,
    )
    assert r.inputs.precision is TrainingPrecision.fp8_current
    assert r.inputs.assumptions.flash_attention is False
    assert r.inputs.goodput_assumptions is not None
    assert r.inputs.goodput_assumptions.evaluation_fraction == 0.05
    g = r.results.goodput
    # job MTBF = 1 / (1e-3 per GPU-hour x 8 GPUs) = 125 h = 450,000 s; restart share 1,200 / 450,000
    assert g.job_mtbf_s == pytest.approx(450_000.0, rel=1e-12)
    assert g.restart_fraction == pytest.approx(1200.0 / 450_000.0, rel=1e-12)
    # time to train = steady-state time / goodput (engine.goodput)
    assert r.results.training.time_s == pytest.approx(g.steady_time_s / g.goodput, rel=1e-12)


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"precision": "nvfp4"}, ("h100-sxm", "nvfp4")),
        ({"precision": "int3"}, ("unknown training precision",)),
        ({"evaluation_share": 1.0}, ("evaluation share",)),
        ({"warmup_share": 0.5, "evaluation_share": 0.5}, ("no time to train",)),
        ({"storage_bandwidth_bytes_per_s": 0.0}, ("storage bandwidth",)),
        ({"first_stage_layers": 3}, ("pipeline-parallel",)),
    ],
)
def test_cluster_refuses_in_one_line(kwargs, words):
    with pytest.raises(InputError) as exc:
        api.cluster("8b", cluster="dgx-h100", scaling="off", **PINNED, **kwargs)
    text = str(exc.value)
    assert "\n" not in text
    for w in words:
        assert w in text


def test_memory_walls_power_cost_take_the_precision():
    assert api.memory("8b", "b200", train=True, precision="nvfp4").inputs.precision is TrainingPrecision.nvfp4
    with pytest.raises(InputError, match="training setting"):
        api.memory("8b", "h100", precision="fp8")  # serving
    w = api.walls("8b", cluster="dgx-h100", gpus=8, train=True, tokens=1e9, precision="fp8")
    assert w.inputs.precision is TrainingPrecision.fp8
    p = api.power(cluster="dgx-h100", model="8b", gpus=8, train_tokens=1e9, precision="fp8")
    c = api.cost("8b", cluster="dgx-h100", gpus=8, train_tokens=1e9, precision="fp8")
    assert p.inputs.precision is TrainingPrecision.fp8 and c.inputs.precision is TrainingPrecision.fp8
    with pytest.raises(InputError, match="planned run"):
        api.cost("8b", cluster="dgx-h100", gpus=8, precision="fp8")  # no run to plan
