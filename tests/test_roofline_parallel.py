"""Serving across GPUs (issue 5, 'Serving across GPUs'): pipeline and expert parallelism in the roofline
engine and command, collectives on the cluster's links. Expected values worked out by hand in comments."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from llmwalls.catalogue import load_cluster, load_gpu, load_model
from llmwalls.engine import roofline as rf
from llmwalls.errors import InputError


@pytest.fixture(scope="module")
def dsv3():
    return load_model("deepseek-v3")


@pytest.fixture(scope="module")
def nvl72():
    return rf.Links.from_cluster(load_cluster("gb200-nvl72"))


@pytest.fixture(scope="module")
def hgx():
    return rf.Links.from_cluster(load_cluster("dgx-h100"))


# ------------------------------------------------------------------------------ expert parallelism


def test_deepseek_v3_ep64_on_nvl72_expert_bytes_and_all_to_all(dsv3, nvl72):
    # DeepSeek-V3 fp8 decode, batch 64, TP 1, EP 64 on one GB200 NVL72 rack (domain 72 GPUs, NVLink 5
    # 900 GB/s per direction x 0.80 ring efficiency; LinkEfficiency.nvlink).
    g = load_gpu("gb200")
    r = rf.roofline(
        dsv3, g, batch=64, prompt_tokens=2048, context_tokens=2304, tp=1, ep=64, weights="fp8", links=nvl72
    )
    d = r["decode"]
    # Expert bytes per GPU: one expert = 3 x 7168 x 2048 = 44,040,192 params (1 B in fp8). The 64 tokens each
    # pick 8 of 256 experts: touched = 256 (1 - (31/32)^64) = 256 x (1 - 0.131097) = 222.44 per MoE layer
    # (uniform-routing occupancy), spread over 64 GPUs: 58 layers x 222.44 x 44,040,192 / 64 = 8.878e9 B;
    # plus the routed tokens' hidden states in and out: 58 x 64 x 8 / 64 x 2 x 7168 x 2 B = 13,303,808 B.
    touched = 256 * (1 - (31 / 32) ** 64)
    expected = 58 * touched * 44_040_192 / 64 + 13_303_808
    assert float(d["operators"]["experts"]["bytes"]) == pytest.approx(expected, rel=1e-9)
    assert expected == pytest.approx(8.891e9, rel=1e-3)
    # All-to-all: with EP 64 > TP 1 attention is data-parallel, one sequence per GPU. Per MoE layer each GPU
    # dispatches its token to 8 experts: 1 x 8 x 7168 x 2 B = 114,688 B, and combines the same back.
    # One all-to-all: 25 us (RooflineAssumptions.allreduce_latency_s) + 114,688 x 63/64 / (900e9 x 0.80)
    # = 25 us + 0.1568 us = 25.157 us; x 2 x 58 MoE layers = 2.9182 ms per decode step.
    one = 25e-6 + 114_688 * 63 / 64 / (900e9 * 0.80)
    assert float(d["ep_comm_time_s"]) == pytest.approx(2 * 58 * one, rel=1e-9)
    assert float(d["ep_comm_time_s"]) == pytest.approx(2.9182e-3, rel=1e-3)
    # A replica is 64 GPUs; the 64 tokens of a step leave it once per step.
    assert float(r["gpus_per_replica"]) == 64
    assert float(r["decode_tokens_per_s_per_replica"]) == pytest.approx(
        64 / float(r["time_per_output_token_s"])
    )


def test_ep_beyond_the_scale_up_domain_is_charged_at_the_network_rate(dsv3, hgx, nvl72):
    # EP 16 on HGX H100 (domain 8): the all-to-all is hierarchical (8 inside, 2 domains across): inside on
    # S at NVLink rate + across on S/8 at 50 GB/s x 0.85, plus one scale-out latency (9.6 us). On NVL72
    # (domain 72) the same group stays on NVLink: the network one must be slower.
    g = load_gpu("h100-sxm")
    kw = dict(batch=16, prompt_tokens=512, context_tokens=1024, tp=1, ep=16, weights="fp8")
    over = rf.roofline(dsv3, g, links=hgx, **kw)["decode"]["ep_comm_time_s"]
    inside = rf.roofline(dsv3, g, links=nvl72, **kw)["decode"]["ep_comm_time_s"]
    assert float(over) > float(inside)
    # by hand: S = 1 token x 8 x 7168 x 2 = 114,688 B; inside k = 8: 114,688 x 7/8 / (450e9 x 0.8);
    # across g = 2: 14,336 x 1/2 / (50e9 x 0.85); + 25 us + 9.6 us; x 2 x 58.
    t = 114_688 * 7 / 8 / (450e9 * 0.8) + 14_336 / 2 / (50e9 * 0.85) + 25e-6 + 9.6e-6
    assert float(over) == pytest.approx(2 * 58 * t, rel=1e-9)


@settings(max_examples=40, deadline=None)
@given(
    st.sampled_from([1, 2, 4, 8]),
    st.sampled_from([1, 2, 4, 8, 16, 32, 64]),
    st.sampled_from([1, 2, 4, 8, 16, 32, 64]),
    st.integers(min_value=1, max_value=512),
)
def test_adding_ep_never_increases_expert_bytes_per_gpu(tp, ep1, ep2, batch):
    spec = load_model("deepseek-v3")
    g = load_gpu("h200-sxm")
    lo, hi = sorted((ep1, ep2))
    kw = dict(batch=batch, prompt_tokens=128, context_tokens=1024, tp=tp, weights="fp8")
    a = rf.roofline(spec, g, ep=lo, **kw)
    b = rf.roofline(spec, g, ep=hi, **kw)
    assert float(b["decode"]["operators"]["experts"]["bytes"]) <= float(
        a["decode"]["operators"]["experts"]["bytes"]
    ) * (1 + 1e-12)
    assert float(b["weights_bytes_per_gpu"]) <= float(a["weights_bytes_per_gpu"]) * (1 + 1e-12)


# ---------------------------------------------------------------------------- pipeline parallelism


def test_pp2_halves_weights_and_adds_one_p2p_per_token(hgx):
    # Llama-3.1-70B (80 layers) on DGX H100, TP 8: PP 2 puts 40 layers on each stage -> weights and KV per
    # GPU halve. A token crosses one stage boundary: 1 x 8192 x 2 B / TP 8 = 2,048 B (scatter/gather). Each
    # stage fills one 8-GPU domain, so the hop crosses the network: 25 us + 9.6 us + 2,048 / (50e9 x 0.85)
    # = 19.648 us. At batch 1 one micro-batch is in flight: time per token = the whole model on one TP group
    # (the sum of the two stages) + that hop.
    spec = load_model("llama-3.1-70b")
    g = load_gpu("h100-sxm")
    kw = dict(batch=1, prompt_tokens=2048, context_tokens=2304, tp=8, links=hgx)
    one = rf.roofline(spec, g, pp=1, **kw)
    two = rf.roofline(spec, g, pp=2, **kw)
    assert float(two["weights_bytes_per_gpu"]) == pytest.approx(float(one["weights_bytes_per_gpu"]) / 2)
    assert float(two["kv_bytes_per_gpu"]) == pytest.approx(float(one["kv_bytes_per_gpu"]) / 2)
    hop = 25e-6 + 9.6e-6 + 2048 / (50e9 * 0.85)
    assert float(two["decode"]["pp_p2p_time_s"]) == pytest.approx(hop, rel=1e-9)
    assert float(two["time_per_output_token_s"]) == pytest.approx(
        float(one["time_per_output_token_s"]) + hop, rel=1e-9
    )
    # Stages idle at batch 1: one micro-batch, two stages -> about half the time each GPU waits.
    assert 0.4 < float(two["decode"]["pipeline_idle_fraction"]) < 0.6
    assert float(two["gpus_per_replica"]) == 16


def test_full_pipeline_runs_at_the_slowest_stage(hgx):
    # batch >= pp: pp micro-batches in flight, no idle stage; the cycle is pp x the worst stage (the last,
    # which also holds the LM head), and throughput per replica rises over batch 1.
    spec = load_model("llama-3.1-70b")
    g = load_gpu("h100-sxm")
    kw = dict(prompt_tokens=1024, context_tokens=1536, tp=8, pp=4, links=hgx)
    full = rf.roofline(spec, g, batch=8, **kw)
    d = full["decode"]
    assert float(d["microbatches_in_flight"]) == 4
    assert float(d["pipeline_idle_fraction"]) == pytest.approx(0.0, abs=1e-12)
    assert float(full["time_per_output_token_s"]) == pytest.approx(4 * float(d["stage_time_s"]))
    lone = rf.roofline(spec, g, batch=1, **kw)
    assert float(full["decode_tokens_per_s_per_replica"]) > 4 * float(lone["decode_tokens_per_s_per_replica"])


def test_pp1_ep1_without_cluster_is_unchanged():
    # The single-node model is the calibrated one (docs/calibration-roofline.md): pp = ep = 1 and no
    # cluster must give exactly the old TP path (two all-reduces per layer, fixed 25 us + ring term).
    spec = load_model("llama-2-70b")
    g = load_gpu("h100-sxm")
    r = rf.roofline(spec, g, batch=1, prompt_tokens=5, context_tokens=105, tp=8)
    # 2 x 80 all-reduces of 8192 x 2 B = 16,384 B: 25 us + 2 x 7/8 x 16,384 / (450e9 x 0.80) = 25.0796 us
    # each (0.80: NCCL's NVLink busbw / wire, RooflineAssumptions.allreduce_link_efficiency's default).
    per = 25e-6 + 2 * 7 / 8 * 16_384 / (450e9 * 0.80)
    assert float(r["decode"]["tp_comm_time_s"]) == pytest.approx(160 * per, rel=1e-9)
    assert float(r["decode"]["comm_time_s"]) == pytest.approx(160 * per, rel=1e-9)


def test_bad_parallel_layouts(dsv3):
    g = load_gpu("h100-sxm")
    dense = load_model("llama-3.1-8b")
    with pytest.raises(InputError):
        rf.roofline(dense, g, batch=1, prompt_tokens=8, context_tokens=8, ep=2)
    with pytest.raises(InputError):
        rf.roofline(dense, g, batch=1, prompt_tokens=8, context_tokens=8, pp=33)
    with pytest.raises(InputError):
        rf.roofline(dsv3, g, batch=1, prompt_tokens=8, context_tokens=8, pp=0)


# --------------------------------------------------------------------------------------------- CLI


def test_cli_cluster_ep_json(cli):
    r = cli(
        "roofline",
        "--model",
        "deepseek-v3",
        "--cluster",
        "gb200-nvl72",
        "--ep",
        "64",
        "--weights",
        "fp8",
        "--batch",
        "64",
        "--json",
    )
    assert r.exit_code == 0, r.stderr
    j = r.json()
    assert j["inputs"]["gpu"] == "gb200"  # the cluster's GPU by default
    assert j["inputs"]["gpus_per_replica"] == 64
    row = j["results"]["rows"][0]
    assert row["decode"]["ep_comm_time_s"] == pytest.approx(2.9182e-3, rel=1e-3)


def test_cli_human_rows_for_pp_and_ep(cli):
    r = cli(
        "roofline",
        "--model",
        "deepseek-v3",
        "--cluster",
        "gb200-nvl72",
        "--ep",
        "8",
        "--tp",
        "8",
        "--pp",
        "2",
        "--weights",
        "fp8",
        "--batch",
        "16",
        "--no-chart",
    )
    assert r.exit_code == 0, r.stderr
    for text in ("EP all-to-alls", "PP sends (1 hop,", "worst of 2 stages", "replica = 16 GPUs"):
        assert text in r.stdout, text


def test_cli_warns_past_the_scale_up_domain(cli):
    r = cli(
        "roofline",
        "--model",
        "deepseek-v3",
        "--cluster",
        "dgx-h100",
        "--ep",
        "16",
        "--weights",
        "fp8",
        "--no-chart",
    )
    assert r.exit_code == 0, r.stderr
    assert "scale-up domain of 8" in r.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["--model", "llama-3.1-8b", "--ep", "2"],
        ["--model", "deepseek-v3", "--ep", "3"],
        ["--model", "deepseek-v3", "--ep", "16", "--tp", "3"],
        ["--model", "llama-3.1-8b", "--pp", "64"],
        ["--model", "llama-3.1-8b", "--pp", "0"],
        ["--model", "llama-3.1-8b", "--cluster", "no-such-cluster"],
    ],
)
def test_cli_bad_layouts_exit_2(cli, args):
    r = cli("roofline", *args, "--no-chart")
    assert r.exit_code == 2
    assert "Traceback" not in r.stderr
    assert r.stderr.strip()


def test_cli_default_output_has_no_new_rows(cli):
    r = cli("roofline", "--model", "70b", "--gpu", "h100", "--no-chart")
    assert r.exit_code == 0
    assert "EP all-to-alls" not in r.stdout and "PP sends" not in r.stdout
    assert "prefill per GPU:" in r.stdout and "summary" in r.stdout
