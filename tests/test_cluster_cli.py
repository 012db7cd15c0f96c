"""`llmwalls cluster`: the issue's headline command, JSON figures checked by hand against each other and the
formulas, --search, the scaling table, --check, and bad input (exit 2, one line, no traceback)."""

from __future__ import annotations

import pytest

HEADLINE = ("cluster", "--model", "405b", "--cluster", "dgx-h100", "--gpus", "16384", "--tokens", "15e12")


@pytest.fixture(scope="module")
def headline_json():
    # computed once: the search and the scaling table take about a second
    import contextlib
    import io
    import json

    from llmwalls import render
    from llmwalls.cli import main

    render.reset_warnings()
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf), contextlib.redirect_stderr(io.StringIO()):
        code = main([*HEADLINE, "--json"])
    assert code == 0
    return json.loads(buf.getvalue())


def test_headline_prints_step_mfu_time_and_wall(cli):
    r = cli(*HEADLINE, "--scaling", "off")
    assert r.exit_code == 0, r.stderr
    for text in ("Step time", "MFU", "time to train", "GPU-hours", "compute-bound"):
        assert text in r.stdout
    # notes (a cluster profile extrapolated past its size) go to stderr with the warnings
    assert "extrapolated to 16,384" in r.stderr


def test_headline_json_is_consistent(headline_json):
    res = headline_json["results"]
    lay = res["layout"]
    assert lay["tp"] * lay["pp"] * lay["dp"] * lay["cp"] == 16384
    step = res["step"]
    parts = (
        "matmul_time_s",
        "elementwise_time_s",
        "optimizer_time_s",
        "bubble_time_s",
        "tp_comm_time_s",
        "pp_comm_time_s",
        "dp_comm_time_s",
        "cp_comm_time_s",
        "ep_comm_time_s",
    )
    assert sum(step[k] for k in parts) == pytest.approx(step["step_time_s"])
    thr = res["throughput"]
    # tokens/s = 2,048 sequences x 8,192 tokens / step time
    assert thr["tokens_per_s"] == pytest.approx(2048 * 8192 / step["step_time_s"])
    # MFU = model FLOPs per step / (step x GPUs x 989.4 TFLOP/s bf16 dense)
    assert thr["mfu"] == pytest.approx(thr["model_flops_per_step"] / (step["step_time_s"] * 16384 * 989.4e12))
    # time to train = steady state (15e12 tokens / tokens/s) / whole-run goodput (engine.goodput: failures,
    # restarts and checkpoints at 16,384 GPUs for 405B parameters, warm-up, evaluation);
    # GPU-hours = time x 16,384 / 3,600
    from llmwalls import catalogue
    from llmwalls.engine.goodput import run_goodput
    from llmwalls.engine.model import param_counts

    params = float(param_counts(catalogue.load("model", "405b", announce=False)).total)
    good = run_goodput(15e12 / thr["tokens_per_s"], 16384, params=params)
    tr = res["training"]
    assert 0.8 < good["goodput"] < 0.95
    assert tr["time_s"] == pytest.approx(15e12 / thr["tokens_per_s"] / good["goodput"])
    assert tr["gpu_hours"] == pytest.approx(tr["time_s"] * 16384 / 3600)
    assert res["memory"]["fits"] is True
    # the search picks a layout in the range Llama 3 used (Table 4: 380-430 TFLOP/s, MFU 38-43%)
    assert 0.30 < thr["mfu"] < 0.55
    walls = {w["wall"]: w for w in headline_json["walls"]}
    assert set(walls) == {"memory_capacity", "interconnect"}
    assert walls["interconnect"]["demand"] == pytest.approx(step["exposed_comm_time_s"])


def test_headline_scaling_table(headline_json):
    rows = headline_json["results"]["scaling"]
    assert [r["gpus"] for r in rows] == [8 * 2**i for i in range(12)]
    assert rows[0]["fits"] is False  # 405B does not train on 8 GPUs
    fitting = [r for r in rows if r["fits"]]
    # fixed global batch: more GPUs, shorter steps
    steps = [r["step_time_s"] for r in fitting]
    assert steps == sorted(steps, reverse=True)


def test_explicit_llama3_layout(cli):
    r = cli(
        "cluster",
        "--model",
        "405b",
        "--cluster",
        "dgx-h100",
        "--gpus",
        "16384",
        "--tp",
        "8",
        "--pp",
        "16",
        "--dp",
        "128",
        "--uneven-pp",
        "--global-batch",
        "2048",
        "--micro-batch",
        "1",
        "--recompute",
        "full",
        "--scaling",
        "off",
        "--json",
    )
    assert r.exit_code == 0, r.stderr
    res = r.json()["results"]
    assert (res["layout"]["tp"], res["layout"]["pp"], res["layout"]["dp"]) == (8, 16, 128)
    assert res["step"]["microbatches"] == 16  # 2,048 / (128 x 1)
    assert res["search"] is None


def test_search_lists_top_layouts(cli):
    r = cli(
        "cluster",
        "--model",
        "70b",
        "--cluster",
        "dgx-h100",
        "--gpus",
        "256",
        "--search",
        "--top",
        "3",
        "--scaling",
        "off",
        "--json",
    )
    assert r.exit_code == 0, r.stderr
    s = r.json()["results"]["search"]
    assert len(s["top"]) == 3 and s["candidates"] > s["fitting"] > 0
    tps = [t["tokens_per_s"] for t in s["top"]]
    assert tps == sorted(tps, reverse=True)
    assert all(t["largest_overhead"] for t in s["top"])


def test_check_exits_1_when_it_does_not_fit(cli):
    r = cli(
        "cluster",
        "--model",
        "405b",
        "--gpus",
        "8",
        "--tp",
        "8",
        "--pp",
        "1",
        "--dp",
        "1",
        "--scaling",
        "off",
        "--check",
    )
    assert r.exit_code == 1
    assert "capacity wall" in r.stdout
    ok = cli("cluster", "--model", "8b", "--gpus", "8", "--scaling", "off", "--check")
    assert ok.exit_code == 0


def test_check_exits_1_at_the_interconnect_wall(cli):
    # 8B over 16 PCIe/RoCE nodes with pure data parallelism, one 2k-token sequence per GPU, no overlap: the
    # 16 GB gradient
    # all-reduce (hierarchical, 25 GB/s per GPU of RoCE) takes longer than the compute
    r = cli(
        "cluster",
        "--model",
        "8b",
        "--cluster",
        "pcie-h100-roce",
        "--gpus",
        "128",
        "--tp",
        "1",
        "--pp",
        "1",
        "--dp",
        "128",
        "--global-batch",
        "128",
        "--context",
        "2048",
        "--no-dp-overlap",
        "--scaling",
        "off",
        "--check",
        "--json",
    )
    assert r.exit_code == 1
    walls = {w["wall"]: w for w in r.json()["walls"]}
    assert walls["interconnect"]["hit"] is True


def test_tp_beyond_scale_up_domain_warns(cli):
    r = cli(
        "cluster",
        "--model",
        "405b",
        "--gpus",
        "16384",
        "--tp",
        "16",
        "--pp",
        "8",
        "--dp",
        "128",
        "--uneven-pp",
        "--scaling",
        "off",
        "--json",
    )
    assert r.exit_code == 0
    assert any("scale-up domain" in w for w in r.json()["warnings"])


@pytest.mark.parametrize(
    "args, message",
    [
        (("--tp", "8", "--pp", "16", "--dp", "100"), "not the 16,384 GPUs"),
        (("--tp", "3"), "does not divide"),
        (("--tp", "8", "--pp", "5", "--dp", "409"), "not the 16,384 GPUs"),
        (("--tp", "8", "--pp", "16", "--dp", "128"), "does not divide llama-3.1-405b's 126 layers"),
        (("--gpus", "0"), "--gpus"),
        (("--gpus", "-8"), "--gpus"),
        (("--gpus", "nan"), "--gpus"),
        (("--gpus", "1e12"), "absurd"),
        (("--tp", "0"), "--tp"),
        (("--tokens", "-5"), "--tokens"),
        (("--recompute", "some"), "--recompute"),
        (("--cluster", "nope"), "unknown cluster"),
        (("--matmul-efficiency", "1.5"), "--matmul-efficiency"),
        (("--context", "0"), "--context"),
        (("--ep", "2"), "not a mixture-of-experts"),
        (("--scaling", "sideways"), "--scaling"),
    ],
)
def test_bad_input_one_line_exit_2(cli, args, message):
    base = ["cluster", "--model", "405b", "--gpus", "16384", "--scaling", "off"]
    r = cli(*base, *args)
    assert r.exit_code == 2, (args, r.stdout)
    errors = [line for line in r.stderr.splitlines() if line.startswith("llmwalls: error:")]
    assert len(errors) == 1 and message in errors[0], r.stderr
    assert "Traceback" not in r.stderr


def test_moe_search_uses_expert_parallelism(cli):
    r = cli(
        "cluster",
        "--model",
        "mixtral-8x7b",
        "--cluster",
        "dgx-h100",
        "--gpus",
        "64",
        "--context",
        "4096",
        "--scaling",
        "off",
        "--json",
    )
    assert r.exit_code == 0, r.stderr
    res = r.json()["results"]
    assert res["memory"]["fits"] is True
    assert 8 % res["layout"]["ep"] == 0


def test_scaling_fixed_per_gpu_grows_the_batch(cli):
    # 70B, 256 GPUs, 512 sequences: 2 per GPU, so the table's batch is 2 x GPUs at every size
    r = cli(
        "cluster",
        "--model",
        "70b",
        "--gpus",
        "256",
        "--global-batch",
        "512",
        "--scaling",
        "fixed-per-gpu",
        "--json",
    )
    assert r.exit_code == 0, r.stderr
    rows = r.json()["results"]["scaling"]
    assert [row["gpus"] for row in rows] == [8, 16, 32, 64, 128, 256]
    assert [row["global_batch"] for row in rows] == [2 * row["gpus"] for row in rows]


def test_attention_efficiency_option(cli):
    # Llama 3's 128k-context layout (Table 4): attention is a large share of the FLOPs at 131,072 tokens, so a
    # faster attention kernel must raise throughput, and a fraction outside (0, 1] is an input error.
    args = (
        "cluster",
        "--model",
        "405b",
        "--gpus",
        "16384",
        "--tp",
        "8",
        "--pp",
        "16",
        "--cp",
        "16",
        "--dp",
        "8",
        "--context",
        "128k",
        "--uneven-pp",
        "--json",
    )
    slow = cli(*args, "--attention-efficiency", "0.3").json()["results"]["throughput"]["mfu"]
    fast = cli(*args, "--attention-efficiency", "0.6").json()["results"]["throughput"]["mfu"]
    assert fast > slow
    bad = cli("cluster", "--model", "8b", "--gpus", "8", "--attention-efficiency", "1.5")
    assert bad.exit_code == 2 and "--attention-efficiency" in bad.stderr and "Traceback" not in bad.stderr
