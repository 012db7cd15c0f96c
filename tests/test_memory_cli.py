"""`llmwalls memory` end to end (issue 3): the README's main command, --json, --check, sweeps, bad input."""

from __future__ import annotations

import pytest

from llmwalls.units import GiB


def test_readme_command_prints_breakdown_and_wall(cli):
    r = cli("memory", "--model", "70b", "--gpu", "h100")
    assert r.exit_code == 0
    for part in (
        "weights",
        "KV cache",
        "runtime reserve",
        "usable capacity",
        "largest batch",
        "longest context",
    ):
        assert part in r.stdout
    # Weights 70,553,706,496 x 2 B = 141.1 GB = 131.4 GiB. Usable = 0.9 x the H100's device memory, 81,559 MiB
    # (nvidia-smi) = 0.9 x 85,520,809,984 B = 76,968,728,985.6 B = 71.7 GiB. Three significant figures:
    # 141,107,412,992 B / 2^30 = 131.4 GiB -> "131 GiB".
    assert "131 GiB" in r.stdout
    # TP 2 per GPU: weights 70.554e9 + KV 4,096 x 163,840 B (half the KV heads) = 0.671e9 + activation
    # workspace 8,192 x (28,672 + 4 x 8,192) x 2 B = 1.007e9 + reserve 1.074e9 = 73.30e9 <= 76.97e9:
    # TP 2 fits. At TP 1 the total is 144,999,727,104 B = 135.0 GiB, 1.884x the usable capacity.
    assert "capacity: 135 GiB of 71.7 GiB per GPU (188%) — does not fit; needs TP >= 2" in " ".join(
        r.stdout.split()
    )
    assert "Traceback" not in r.stderr


def test_json_fields(cli):
    r = cli("memory", "--model", "70b", "--gpu", "h100", "--json")
    assert r.exit_code == 0
    data = r.json()
    assert data["schema"] == "llmwalls.memory"
    row = data["results"]["rows"][0]
    assert row["weights_bytes"] == 70_553_706_496 * 2
    # 327,680 B/token x 4,096 tokens (default context) x 1 = 1,342,177,280 B.
    assert row["kv_cache_bytes"] == 327_680 * 4096
    assert row["kv_bytes_per_token"] == 327_680
    assert row["total_bytes"] == pytest.approx(
        row["weights_bytes"] + row["kv_cache_bytes"] + row["reserve_bytes"]
    )
    assert row["fits"] is False
    usable = 0.9 * 81_559 * 2**20  # 0.9 x nvidia-smi's 81,559 MiB
    assert data["results"]["usable_bytes"] == pytest.approx(usable)
    assert data["results"]["hbm_bytes"] == 80e9  # the datasheet figure is kept beside it
    wall = data["walls"][0]
    assert wall["wall"] == "memory_capacity" and wall["unit"] == "bytes" and wall["hit"] is True
    assert wall["limit"] == pytest.approx(usable)
    assert data["results"]["derived"]["fewest_gpus"] == {"tp": 2, "pp": 1, "ep": 1, "gpus": 2, "fits": True}
    assert data["inputs"]["context_above_max"] is False


def test_check_exit_codes(cli):
    assert cli("memory", "--model", "70b", "--gpu", "h100", "--check").exit_code == 1
    # 8B: 8,030,261,248 x 2 = 16.06 GB of weights, far below 72 GB usable.
    assert cli("memory", "--model", "8b", "--gpu", "h100", "--check").exit_code == 0
    assert cli("memory", "--model", "70b", "--gpu", "h100", "--tp", "4", "--check").exit_code == 0


def test_sweep_rows(cli):
    r = cli(
        "memory",
        "--model",
        "70b",
        "--tp",
        "8",
        "--batch",
        "1",
        "--batch",
        "8",
        "--context",
        "4k",
        "--context",
        "32k",
        "--json",
    )
    rows = r.json()["results"]["rows"]
    assert [(x["batch"], x["context_tokens"]) for x in rows] == [(1, 4096), (1, 32768), (8, 4096), (8, 32768)]
    # TP 8: 40,960 B/token per GPU; batch 8 x 32,768 tokens -> 40,960 x 262,144 = 10 GiB.
    assert rows[3]["kv_cache_bytes"] == 10 * GiB
    table = cli("memory", "--model", "70b", "--tp", "8", "--batch", "1", "--batch", "8")
    assert table.exit_code == 0 and "fits" in table.stdout


def test_reserve_and_usable_fraction_override(cli):
    data = cli("memory", "--model", "8b", "--reserve", "2GiB", "--usable-fraction", "0.8", "--json").json()
    row = data["results"]["rows"][0]
    assert row["runtime_reserve_bytes"] == 2 * GiB
    assert data["results"]["usable_bytes"] == pytest.approx(0.8 * 81_559 * 2**20)


def test_training_json(cli):
    # ZeRO-3 over 64-way DP, TP 1: 8,030,261,248 x 16 / 64 = 2,007,565,312 B of model state.
    data = cli("memory", "--model", "8b", "--train", "--dp", "64", "--zero", "3", "--json").json()
    row = data["results"]["rows"][0]
    assert row["weights_bytes"] + row["gradients_bytes"] + row["optimizer_bytes"] == pytest.approx(
        8_030_261_248 * 16 / 64
    )
    assert data["inputs"]["mode"] == "training"


def test_training_table(cli):
    r = cli("memory", "--model", "70b", "--train", "--tp", "8", "--pp", "4", "--dp", "4", "--zero", "1")
    assert r.exit_code == 0
    assert "optimizer state" in r.stdout and "activations" in r.stdout and "capacity:" in r.stdout


def test_context_above_max_warns(cli):
    # GPT-3's maximum is 2,048 tokens; 4k warns but still computes (exit 0).
    r = cli("memory", "--model", "gpt-3-175b", "--tp", "8", "--context", "4k", "--json")
    assert r.exit_code == 0
    data = r.json()
    assert data["inputs"]["context_above_max"] is True
    assert any("maximum" in w for w in data["warnings"])
    assert "warning" in r.stderr


@pytest.mark.parametrize(
    "args",
    [
        ("--batch", "0"),
        ("--batch", "-1"),
        ("--batch", "1.5"),
        ("--batch", "1e30"),
        ("--context", "abc"),
        ("--batch", "nan"),
        ("--context", "nan"),
        ("--context", "2e12"),  # over 2^40 tokens: absurd
        ("--reserve", "-1GiB"),
        ("--usable-fraction", "0"),
        ("--zero", "4"),
        ("--context", "0"),
        ("--tp", "3"),  # 64 heads not divisible by 3
        ("--tp", "0"),
        ("--pp", "-2"),
        ("--pp", "81"),  # more than 80 layers
        ("--weights", "fp7"),
        ("--kv-dtype", "fp7"),
        ("--ep", "2"),  # dense model
        ("--dp", "2"),  # training only
        ("--usable-fraction", "1.5"),
        ("--reserve", "1G"),  # ambiguous unit
        ("--recompute", "sometimes"),
        ("--train", "--optimizer", "lion9"),
        ("--model", "no-such-model"),
        ("--gpu", "no-such-gpu"),
    ],
)
def test_bad_input_exit_2(cli, args):
    argv = ["memory", "--model", "70b", *args] if "--model" not in args else ["memory", *args]
    r = cli(*argv)
    assert r.exit_code == 2, r.stdout
    err_lines = [ln for ln in r.stderr.strip().splitlines() if "->" not in ln]
    assert len(err_lines) == 1 and err_lines[0].startswith("llmwalls: error:")
    assert "Traceback" not in r.stderr


def test_ep_must_divide_dp_when_training(cli):
    r = cli("memory", "--model", "mixtral-8x7b", "--train", "--dp", "6", "--ep", "4")
    assert r.exit_code == 2 and "expert-parallel degree 4 must divide the data-parallel degree 6" in r.stderr


def test_training_interleaved_llama3_layout(cli):
    # Llama 3 405B, TP 8, PP 16, DP 64, seq 8192, ZeRO-2, no recomputation, interleaved v = 8 with 7 layers on
    # the first stage (Dubey et al. 2024 sec 3.3.2): the peak is rank 1 with 141 layer-micro-batches of
    # 532,676,608 B (tests/test_memory.py works it out): activations 75,107,401,728 B.
    r = cli(
        "memory",
        "--model",
        "405b",
        "--train",
        "--tp",
        "8",
        "--pp",
        "16",
        "--dp",
        "64",
        "--context",
        "8k",
        "--zero",
        "2",
        "--recompute",
        "none",
        "--interleave",
        "8",
        "--first-stage-layers",
        "7",
        "--json",
    )
    assert r.exit_code == 0, r.stderr
    data = r.json()
    assert data["inputs"]["interleave"] == 8 and data["inputs"]["first_stage_layers"] == 7
    assert data["results"]["rows"][0]["activations_bytes"] == 141 * 532_676_608
    # 16k GPUs (DP 128): 16 micro-batches per pipeline = p, so rank 1 holds min(141, 16 x 8) = 128.
    r = cli(
        "memory",
        "--model",
        "405b",
        "--train",
        "--tp",
        "8",
        "--pp",
        "16",
        "--dp",
        "128",
        "--context",
        "8k",
        "--zero",
        "2",
        "--recompute",
        "none",
        "--interleave",
        "8",
        "--first-stage-layers",
        "7",
        "--microbatches",
        "16",
        "--json",
    )
    assert r.exit_code == 0, r.stderr
    assert r.json()["results"]["rows"][0]["activations_bytes"] == 128 * 532_676_608


@pytest.mark.parametrize(
    "args",
    [
        ["--interleave", "2"],  # training only
        ["--train", "--first-stage-layers", "3"],  # needs --pp >= 2
        ["--train", "--pp", "2", "--first-stage-layers", "200"],  # more than the layers
        ["--train", "--pp", "2", "--interleave", "0"],
        ["--microbatches", "4"],
        ["--train", "--microbatches", "0"],
    ],
)
def test_interleave_bad_input_exit_2(cli, args):
    r = cli("memory", "--model", "70b", *args)
    assert r.exit_code == 2
    assert "Traceback" not in r.stderr
