"""`llmwalls.api.memory`: the notebook call that answers the main question, the hardware choice (--gpu,
--gpus, --cluster), choices as enums, and the wall orientation. Expected values are worked by hand."""

from __future__ import annotations

import pytest

from llmwalls.errors import InputError

# Llama-3.1-70B: 70,553,706,496 parameters (tests/test_params.py). H100 SXM device memory 81,559 MiB as
# nvidia-smi reports it = 85,520,809,984 B; usable 0.9 of it (vLLM's gpu_memory_utilization default).
PARAMS_70B = 70_553_706_496
USABLE_H100 = 0.9 * 81_559 * 2**20  # 76,968,728,985.6 B


def test_import_llmwalls_and_one_call_answer_the_main_question():
    import llmwalls

    r = llmwalls.api.memory(model="70b", gpu="h100")
    # weights 70,553,706,496 x 2 B = 141,107,412,992 B; KV 327,680 B/token x 4,096 tokens = 1,342,177,280 B;
    # activation workspace 8,192 tokens x (2 x 28,672 + 4 x 8,192) x 2 B = 1,476,395,008 B; reserve 1 GiB.
    total = 141_107_412_992 + 1_342_177_280 + 1_476_395_008 + 2**30
    assert total == 144_999_727_104
    row = r.results.rows[0]
    assert row.weights_bytes == PARAMS_70B * 2 == 141_107_412_992
    assert row.total_bytes == pytest.approx(total)
    assert r.results.usable_bytes == pytest.approx(USABLE_H100)
    assert r.results.fits is False
    wall = r.walls[0]
    assert wall.wall == "memory_capacity" and wall.hit
    assert wall.utilization == pytest.approx(144_999_727_104 / 76_968_728_985.6)  # 1.884
    # TP 2: weights 70.554e9 + KV 0.671e9 + workspace 8,192 x (28,672 + 32,768) x 2 = 1.007e9 + reserve
    # 1.074e9 = 73.31e9 <= 76.97e9: two GPUs are the fewest.
    few = r.results.derived.fewest_gpus
    assert (few.tp, few.pp, few.gpus, few.fits) == (2, 1, 2, True)
    assert r.results.verdict == "does not fit; needs TP >= 2 (2 GPUs)"


def test_the_same_function_from_the_api_module():
    from llmwalls import api

    r = api.memory("8b", "h100")
    # Llama-3.1-8B: 8,030,261,248 x 2 B = 16.06e9 B of weights, far below 76.97e9 usable.
    assert r.results.rows[0].weights_bytes == 8_030_261_248 * 2
    assert r.results.fits and not r.walls[0].hit and r.walls[0].utilization < 1


@pytest.mark.parametrize(
    "kwargs",
    [
        {"model": "70b", "gpu": "h100"},
        {"model": "8b", "gpu": "h100"},
        {"model": "70b", "gpu": "h100", "batch": [1, 64], "context_tokens": [8192, 131072]},
        {"model": "8b", "gpu": "h100", "train": True},
    ],
)
def test_hit_is_exactly_utilization_above_one(kwargs):
    from llmwalls import api

    for w in api.memory(**kwargs).walls:
        assert w.hit == (w.utilization is not None and w.utilization > 1)


def test_a_cluster_implies_its_gpu():
    from llmwalls import api

    r = api.memory("70b", cluster="dgx-h100", layout=api.Layout(tp=8))
    assert (r.inputs.gpu, r.inputs.cluster) == ("h100-sxm", "dgx-h100")
    # dgx-h100: 128 nodes x 8 GPUs = 1,024.
    with pytest.raises(InputError, match="more than dgx-h100's 1,024"):
        api.memory("70b", cluster="dgx-h100", gpus=2048)


def test_gpus_sets_replicas_when_serving_and_dp_when_training():
    from llmwalls import api

    served = api.memory("70b", "h100", layout=api.Layout(tp=8), gpus=16)
    assert (served.inputs.gpus, served.inputs.gpus_per_replica) == (16, 8)
    with pytest.raises(InputError, match="8-GPU replicas"):
        api.memory("70b", "h100", layout=api.Layout(tp=8), gpus=12)
    # 512 GPUs / (TP 8 x PP 4) = DP 16.
    trained = api.memory("70b", "h100", layout=api.Layout(tp=8, pp=4), gpus=512, train=True)
    assert trained.inputs.dp == 16
    # ZeRO-3 over the 64 GPUs of --gpus 64 (DP 64): 8,030,261,248 x 16 B / 64 = 2,007,565,312 B of state.
    z3 = api.memory("8b", "h100", layout=api.Layout(zero=3), gpus=64, train=True)
    row = z3.results.rows[0]
    state = row.weights_bytes + (row.gradients_bytes or 0) + (row.optimizer_bytes or 0)
    assert state == pytest.approx(8_030_261_248 * 16 / 64)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"layout": "tp3"}, "tensor-parallel degree 3 does not divide llama-3.1-70b's 64 attention heads"),
        ({"weights": "fp7"}, "unknown weight format 'fp7'"),
        ({"layout": "dp2"}, "data parallelism: training settings"),
        ({"batch": 0}, "batch must be a whole number of at least 1"),
        ({"usable_fraction": 1.5}, r"usable fraction must be in \(0, 1\]"),
    ],
)
def test_bad_scenarios_name_the_concept(kwargs, message):
    from llmwalls import api

    layouts = {"tp3": api.Layout(tp=3), "dp2": api.Layout(dp=2)}
    if "layout" in kwargs:
        kwargs = {**kwargs, "layout": layouts[kwargs["layout"]]}
    with pytest.raises(InputError, match=message):
        api.memory("70b", "h100", **kwargs)


def test_cli_chooses_hardware_like_every_command(cli):
    r = cli("memory", "--model", "70b", "--cluster", "dgx-h100", "--tp", "8", "--json")
    assert r.exit_code == 0, r.stderr
    assert r.json()["inputs"]["gpu"] == "h100-sxm"
    r = cli("memory", "--model", "70b", "--gpu", "h100", "--train", "--tp", "8", "--pp", "4", "--gpus", "512")
    assert r.exit_code == 0 and "DP 16" in r.stdout


def test_choices_are_enums_case_insensitive(cli):
    r = cli("memory", "--model", "8b", "--weights", "FP8", "--kv-dtype", "fp8", "--json")
    # fp8: 1 B per parameter.
    assert r.exit_code == 0 and r.json()["results"]["rows"][0]["weights_bytes"] == 8_030_261_248
    bad = cli("memory", "--model", "8b", "--recompute", "sometimes", "--train")
    assert bad.exit_code == 2 and "sometimes" in bad.stderr


def test_help_promises_repeats_only_where_they_are_accepted(cli):
    help_text = " ".join(cli("memory", "--help").stdout.split())
    assert help_text.count("repeat for a sweep") == 2  # --batch and --context
    rows = cli("memory", "--model", "8b", "--batch", "1", "--batch", "2", "--context", "1k", "--json")
    assert len(rows.json()["results"]["rows"]) == 2
