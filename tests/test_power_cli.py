"""`llmwalls power` through the real entry point: JSON figures worked by hand, walls and exit codes, bad
input. Defaults used here (llmwalls.engine.power.PowerAssumptions): idle 0.10 x TDP, 8 GPUs and 4,600 W
overhead per node (DGX H100: 10.2 kW max - 8 x 700 W), 64-port 1,720 W switches in a fat tree, PUE 1.58 (air),
30 kW racks."""

from __future__ import annotations

import pytest

CLUSTER_TOML = """
kind = "cluster"
name = "test-h100-pod"
source = "test fixture"
gpu = "h100-sxm"
gpus_per_node = 8
nodes = 4
scale_up_domain_gpus = 8
scale_up_fabric = "nvswitch"
intra_node_bandwidth_bytes_per_s = 450e9
intra_node_latency_s = 3e-6
scale_out_fabric = "infiniband"
inter_node_bandwidth_bytes_per_s = 50e9
inter_node_latency_s = 5e-6
node_overhead_power_w = 3000.0
pue = 1.2
rack_power_limit_w = 20000.0
"""


@pytest.fixture
def cluster_path(tmp_path):
    path = tmp_path / "pod.toml"
    path.write_text(CLUSTER_TOML)
    return str(path)


def test_1024_h100_gpu_and_facility_power(cli):
    r = cli("power", "--gpu", "h100", "--gpus", "1024", "--json")
    assert r.exit_code == 0, r.stderr
    c = r.json()["results"]["cluster"]
    assert c["gpu_total_w"] == pytest.approx(716_800.0)  # 1,024 x 700 W
    # 128 x 10,200 W nodes + 48 x 1,720 W switches = 1,388,160 W IT; x 1.58 = 2,193,292.8 W.
    assert c["it_w"] == pytest.approx(1_388_160.0)
    assert c["facility_w"] == pytest.approx(2_193_292.8)
    assert r.json()["walls"] == []


def test_cluster_profile_sets_overhead_pue_and_rack_limit(cluster_path, cli):
    r = cli("power", "--cluster", cluster_path, "--json")
    assert r.exit_code == 0, r.stderr
    c = r.json()["results"]["cluster"]
    # 4 nodes of 8 x 700 + 3,000 = 8,600 W = 34,400 W; 32 endpoints -> one switch, 1,720 W; IT 36,120 W;
    # x 1.2 = 43,344 W. Racks: floor(20,000 / 8,600) = 2 nodes per rack (17,200 W), 2 racks.
    assert c["gpus"] == 32
    assert c["facility_w"] == pytest.approx(43_344.0)
    assert c["nodes_per_rack"] == 2 and c["racks"] == 2
    (rack,) = r.json()["walls"]
    assert rack["wall"] == "rack_power" and rack["hit"] is False


def test_site_cap_wall_and_largest_cluster(cli):
    # PUE 1.58, 10.2 kW nodes. 58 nodes: 464 endpoints -> 15 + 8 = 23 switches = 39,560 W;
    # (591,600 + 39,560) x 1.58 = 997,232.8 W <= 1 MW. 59 nodes: 472 -> 15 + 8 = 23 switches;
    # (601,800 + 39,560) x 1.58 = 1,013,348.8 W > 1 MW. The cap fits 58 x 8 = 464 GPUs.
    r = cli("power", "--gpu", "h100", "--gpus", "1024", "--site-mw", "1", "--json")
    assert r.exit_code == 0
    data = r.json()
    assert data["results"]["site"]["max_gpus"] == 464
    (site,) = data["walls"]
    assert site["wall"] == "site_power" and site["hit"] is True
    assert site["utilization"] == pytest.approx(2.1932928)
    assert cli("power", "--gpu", "h100", "--gpus", "1024", "--site-mw", "1", "--check").exit_code == 1
    assert cli("power", "--gpu", "h100", "--gpus", "1024", "--site-mw", "2.5", "--check").exit_code == 0


def test_human_output_has_the_table_and_wall_line(cli):
    r = cli("power", "--gpu", "h100", "--gpus", "1024", "--site-mw", "1")
    assert r.exit_code == 0
    for word in ("GPU", "node", "network", "IT", "facility", "racks", "717 kW"):  # 716.8 kW, 3 figures
        assert word in r.stdout
    assert "site power: 2.19 MW of a 1.00 MW site cap — over by 119%; the cap fits 464 GPUs" in r.stdout


def test_rack_limit_check(cli):
    # One 10.2 kW node is over an 8 kW rack.
    r = cli("power", "--gpu", "h100", "--gpus", "16", "--rack-kw", "8", "--check")
    assert r.exit_code == 1
    assert "over the 8.00 kW rack limit" in r.stdout
    # 40 kW racks: floor(40,000 / 10,200) = 3 nodes; 128 nodes -> ceil(128 / 3) = 43 racks.
    r = cli("power", "--gpu", "h100", "--gpus", "1024", "--rack-kw", "40", "--json", "--check")
    assert r.exit_code == 0
    assert r.json()["results"]["cluster"]["racks"] == 43


def test_power_cap_and_utilisation(cli):
    # Cap 240.625 W: (240.625/700 - 0.25) / 0.75 = 0.125 -> clock 0.5; compute-bound 50%, memory-bound 100%.
    r = cli("power", "--gpu", "h100", "--power-cap-w", "240.625", "--json")
    g = r.json()["results"]["gpu"]
    assert g["power_w"] == pytest.approx(240.625)
    assert g["clock_fraction"] == pytest.approx(0.5)
    assert g["throughput_fraction_compute_bound"] == pytest.approx(0.5)
    assert g["throughput_fraction_memory_bound"] == pytest.approx(1.0)
    # u = 0.5: 70 + 0.5 x 630 = 385 W.
    r = cli("power", "--gpu", "h100", "--utilization", "50%", "--json")
    assert r.json()["results"]["gpu"]["power_w"] == pytest.approx(385.0)


@pytest.mark.parametrize(
    "case,gpu_hours,published_t",
    [
        ("llama31_mc_8b", "1.46M", 420.0),
        ("llama31_mc_70b", "7.0M", 2040.0),
        ("llama31_mc_405b", "30.84M", 8930.0),
        ("llama31_mc_total", "39.3M", 11390.0),
    ],
)
def test_llama31_model_card_calibration(cli, case, gpu_hours, published_t):
    """Llama 3.1 model card (meta-llama/llama-models models/llama3_1/MODEL_CARD.md @1b28708f; cases.toml
    llama31_mc_*): GPU-hours x 700 W per H100 and location-based tCO2eq. The card counts GPU power only (its
    700 W is 'peak power capacity per GPU ... adjusted for PUE'), so the comparable figure is llmwalls'
    GPU-level energy. Grid 423.5 gCO2e/kWh from the Llama 2 paper's Table 2 (arXiv:2307.09288; see
    test_power.py). Within 10%."""
    r = cli("power", "--gpu", "h100", "--gpu-hours", gpu_hours, "--grid-g-per-kwh", "423.5", "--json")
    assert r.exit_code == 0, r.stderr
    e = r.json()["results"]["energy"]["gpu"]
    hours = float(gpu_hours[:-1]) * 1e6
    assert e["energy_kwh"] == pytest.approx(hours * 0.7)  # 1.46M h x 0.7 kW = 1,022,000 kWh
    assert e["carbon_g"] / 1e6 == pytest.approx(published_t, rel=0.10), case
    # Facility-level energy adds node, network and cooling: always more.
    assert r.json()["results"]["energy"]["facility"]["energy_j"] > e["energy_j"]


def test_serving_joules_per_token_and_watts_per_user(cli):
    r = cli("power", "--gpu", "h100", "--gpus", "1024", "--tokens-per-s", "1000", "--batch", "32", "--json")
    s = r.json()["results"]["serving"]
    assert s["gpu"]["joules_per_token"] == pytest.approx(0.7)  # 700 W / 1,000 tok/s
    assert s["facility"]["joules_per_token"] == pytest.approx(2_193_292.8 / 1024 / 1000)
    assert s["gpu"]["w_per_user"] == pytest.approx(700 / 32)


def test_data_movement_decode_is_byte_dominated_prefill_is_not(cli):
    from llmwalls.catalogue import load_model
    from llmwalls.engine.model import dense_flops_per_token, param_counts

    r = cli("power", "--gpu", "h100", "--model", "8b", "--json")
    assert r.exit_code == 0, r.stderr
    m = r.json()["results"]["data_movement"]
    spec = load_model("llama-3.1-8b")
    bytes_ = param_counts(spec).total * 2.0  # bf16 weights read once per step
    flops = dense_flops_per_token(spec)  # 2 x active params (Kaplan et al. 2020)
    pj_flop = 630 / 989.4  # (700 - 70) W / 989.4 TFLOP/s
    steps = {s["step"]: s for s in m["steps"]}
    decode = steps["decode (batch 1)"]
    e_b, e_f = bytes_ * 8 * 3.9e-12, flops * pj_flop * 1e-12
    assert decode["bytes_share"] == pytest.approx(e_b / (e_b + e_f))
    assert decode["bytes_share"] > 0.95
    prefill = steps["prefill (2,048 tokens)"]
    assert prefill["bytes_share"] == pytest.approx(e_b / (e_b + 2048 * e_f))
    assert prefill["bytes_share"] < 0.1


@pytest.mark.parametrize(
    "args,needle",
    [
        (("--gpu", "h100-sxm", "--power-cap-w", "-5"), "--power-cap-w"),
        (("--gpu", "h100-sxm", "--power-cap-w", "0"), "--power-cap-w"),
        (("--gpu", "h100-sxm", "--power-cap-w", "100"), "static"),
        (("--gpu", "h100-sxm", "--pue", "0.9"), "--pue"),
        (("--gpu", "h100-sxm", "--gpus", str(2**63)), "--gpus"),
        (("--gpu", "h100-sxm", "--utilization", "1.5"), "--utilization"),
        (("--gpu", "h100-sxm", "--utilization", "-0.1"), "--utilization"),
        (("--gpu", "h100-sxm", "--site-mw", "nan"), "--site-mw"),
        (("--gpu", "h100-sxm", "--gpu-hours", "1M", "--grid", "atlantis"), "atlantis"),
        (("--gpu", "h100-sxm", "--node-overhead-w", "-1"), "--node-overhead-w"),
        (
            (
                "--gpu",
                "nosuchgpu",
            ),
            "nosuchgpu",
        ),
        ((), "--cluster"),
    ],
)
def test_bad_input_is_one_line_exit_2(cli, args, needle):
    r = cli("power", *args)
    assert r.exit_code == 2
    assert r.stderr.startswith("llmwalls: error:") and r.stderr.count("\n") == 1, r.stderr
    assert needle in r.stderr
    assert "Traceback" not in r.stderr


def test_serving_throughput_from_the_roofline_when_not_given(cli):
    # Llama-3.1-70B bf16 (141 GB) needs TP 2 on 80 GB H100s; J/token x tokens/s = W per GPU (700 W).
    r = cli("power", "--gpu", "h100-sxm", "--model", "llama-3.1-70b", "--batch", "16", "--json")
    assert r.exit_code == 0, r.stderr
    data = r.json()
    assert "TP 2" in data["results"]["serving"]["tokens_per_s_source"]
    tps = data["results"]["serving"]["tokens_per_s_per_gpu"]
    s = data["results"]["serving"]["gpu"]
    assert s["joules_per_token"] * tps == pytest.approx(700.0)
    assert s["w_per_user"] == pytest.approx(700.0 / 8)  # 16 sequences over 2 GPUs


GRID_TOML = """
kind = "grid"
name = "test-grid"
source = "test fixture"
grams_co2e_per_kwh = 400.0
"""

NVL_TOML = """
kind = "cluster"
name = "test-nvl"
source = "test fixture"
gpu = "h100-sxm"
gpus_per_node = 4
nodes = 36
scale_up_domain_gpus = 72
scale_up_fabric = "nvswitch"
intra_node_bandwidth_bytes_per_s = 900e9
intra_node_latency_s = 3e-6
scale_out_fabric = "infiniband"
inter_node_bandwidth_bytes_per_s = 50e9
inter_node_latency_s = 9e-6
node_overhead_power_w = 1000.0
pue = 1.2
cooling = "liquid"
gpus_per_rack = 72
"""


def test_grid_profile_by_path(cli, tmp_path):
    path = tmp_path / "grid.toml"
    path.write_text(GRID_TOML)
    r = cli("power", "--gpu", "h100-sxm", "--gpu-hours", "1000", "--grid", str(path), "--json")
    assert r.exit_code == 0, r.stderr
    # 1,000 h x 0.7 kW = 700 kWh x 400 g = 280,000 g.
    assert r.json()["results"]["energy"]["gpu"]["carbon_g"] == pytest.approx(280_000.0)


def test_rack_scale_cluster_racks_are_not_split(cli, tmp_path):
    path = tmp_path / "nvl.toml"
    path.write_text(NVL_TOML)
    # 18 nodes of 4 x 700 + 1,000 = 3,800 W per 72-GPU rack = 68,400 W; 144 GPUs -> 2 racks. Liquid default
    # limit 120 kW: fits. A 60 kW limit: over, and the rack is not split.
    r = cli("power", "--cluster", str(path), "--json", "--check")
    assert r.exit_code == 0
    c = r.json()["results"]["cluster"]
    assert c["rack_w"] == pytest.approx(68_400.0) and c["racks"] == 2 and c["nodes_per_rack"] == 18
    assert r.json()["walls"] == []  # no rack limit given: the 120 kW liquid default is informative only
    r = cli("power", "--cluster", str(path), "--rack-kw", "60", "--check")
    assert r.exit_code == 1
    assert "over the 60.0 kW rack limit" in r.stdout


def test_rack_scale_cluster_grows_by_whole_racks_under_a_site_cap(cli, tmp_path):
    path = tmp_path / "nvl.toml"
    path.write_text(NVL_TOML)
    # 3,800 W nodes, PUE 1.2, 0.1 MW. 19 nodes: 76 endpoints -> ceil(76/32) + ceil(76/64) = 3 + 2 = 5 switches
    # = 8,600 W; (72,200 + 8,600) x 1.2 = 96,960 W fits; 20 nodes: (76,000 + 8,600) x 1.2 = 101,520 W
    # does not. 19 nodes round down to one whole 18-node (72-GPU) rack.
    r = cli("power", "--cluster", str(path), "--site-mw", "0.1", "--json")
    assert r.exit_code == 0, r.stderr
    assert r.json()["results"]["site"]["max_gpus"] == 72
    # 50 kW is below one 72-GPU rack (18 x 3,800 W x 1.2 = 82,080 W): no GPUs fit, the cap is exceeded, and
    # --check says so with exit 1 (a wall hit, not bad input).
    r = cli("power", "--cluster", str(path), "--site-mw", "0.05", "--check", "--json")
    assert r.exit_code == 1 and "smaller than one 72-GPU rack" in r.stderr
    assert r.json()["results"]["site"]["max_gpus"] == 0 and r.json()["walls"][0]["hit"]


# ------------------------------------------------------------------ training energy from the plan (--tokens)

RUN_405B = ("--model", "405b", "--cluster", "dgx-h100", "--gpus", "16384", "--tokens", "15.6e12")


def test_training_energy_from_the_plan_by_hand(cli):
    """Llama 3.1 405B's pre-training (Llama 3 paper, arXiv:2407.21783: 15.6T tokens, 16,384 H100) planned as
    `llmwalls cluster` plans it; energy = the plan's GPU-hours x each level's watts per GPU."""
    c = cli("cluster", *RUN_405B, "--scaling", "off", "--json")
    assert c.exit_code == 0, c.stderr
    hours = c.json()["results"]["training"]["gpu_hours"]
    r = cli("power", *RUN_405B, "--grid-g-per-kwh", "400", "--json")
    assert r.exit_code == 0, r.stderr
    training = r.json()["results"]["training_plan"]
    plan = training["plan"]
    assert plan["gpu_hours"] == pytest.approx(hours, rel=1e-12)  # the cluster command's GPU-hours, exactly
    assert plan["gpus"] == 16384 and plan["train_tokens"] == 15.6e12
    L = plan["layout"]
    assert L["tp"] * L["pp"] * L["dp"] * L["cp"] == 16384
    # Watts per GPU on dgx-h100 at u = 1: board 700 W (TDP). IT adds the node overhead 4,600 W / 8 = 575 W and
    # the fat tree: 16,384 NICs on 64-port switches need 3 tiers (2 x 32^2 = 2,048 < 16,384 <= 2 x 32^3),
    # 2 x 16,384 / 32 + 16,384 / 64 = 1,280 switches x 1,720 W = 2,201,600 W / 16,384 = 134.375 W:
    # 700 + 575 + 134.375 = 1,409.375 W. Facility: x PUE 1.58 = 2,226.8125 W.
    e = training["energy"]
    assert e["gpu"]["per_gpu_w"] == pytest.approx(700.0)
    assert e["it"]["per_gpu_w"] == pytest.approx(1409.375)
    assert e["facility"]["per_gpu_w"] == pytest.approx(2226.8125)
    for level, kw in (("gpu", 0.7), ("it", 1.409375), ("facility", 2.2268125)):
        assert e[level]["energy_kwh"] == pytest.approx(hours * kw)  # GPU-hours x kW
        assert e[level]["carbon_g"] == pytest.approx(hours * kw * 400.0)  # kWh x 400 g/kWh
    # no --gpu-hours: the given-hours energy is absent, the plan's is the run's
    assert r.json()["results"]["energy"] is None
    assert r.json()["inputs"]["tokens"] == 15.6e12


def test_training_energy_against_the_llama31_card(cli):
    """Calibration case llama31_mc_405b_gpuh (cases.toml; meta-llama/llama-models
    models/llama3_1/MODEL_CARD.md @1b28708f): 30.84M H100 GPU-hours, energy counted as GPU-hours x 700 W =
    21,588 MWh. The plan covers pre-training at its modelled step rate divided by the whole-run goodput
    (failures and restarts, checkpoints, warm-up, evaluation: engine.goodput), while the card's figure also
    holds long-context extension and post-training: within 15% either side (the band the cluster
    calibration accepts per run)."""
    r = cli("power", *RUN_405B, "--json")
    gpu_mwh = r.json()["results"]["training_plan"]["energy"]["gpu"]["energy_kwh"] / 1e3
    assert 0.85 <= gpu_mwh / 21_588.0 <= 1.15


def test_training_energy_beside_given_gpu_hours(cli):
    r = cli("power", *RUN_405B, "--gpu-hours", "30.84M")
    assert r.exit_code == 0, r.stderr
    assert "Energy of 30.8M GPU-hours" in r.stdout  # 30,840,000 to 3 significant figures
    assert "Energy of training llama-3.1-405b on 15.6T tokens" in r.stdout
    assert "planned as `llmwalls cluster`" in r.stdout and "TP " in r.stdout
    # a training query: no serving or data-movement sections for the trained model
    assert "Data movement" not in r.stdout and "no serving energy" not in r.stderr


def test_training_plan_without_cluster_uses_dgx_h100(cli):
    r = cli("power", "--gpu", "h100", "--model", "8b", "--tokens", "1T", "--json")
    assert r.exit_code == 0, r.stderr
    assert "dgx-h100" in r.stderr
    d = r.json()
    # the power table sizes the GPUs the run was planned on: dgx-h100's 1,024
    assert d["results"]["training_plan"]["plan"]["gpus"] == 1024 == d["inputs"]["gpus"]


def test_a_site_cap_below_one_node_is_a_hit_wall_not_bad_input(cli):
    # One 8-GPU H100 node at the facility: (8 x 700 + 4,600) x 1.58 = 16,116 W > 10 kW. The cap is exceeded:
    # --check exits 1 (a wall), not 2 (bad input); no GPUs fit under it.
    r = cli("power", "--gpu", "h100-sxm", "--site-mw", "0.01", "--check", "--json")
    assert r.exit_code == 1, r.stderr
    (site,) = r.json()["walls"]
    assert site["wall"] == "site_power" and site["utilization"] == pytest.approx(16_116.0 / 10_000.0)
    assert r.json()["results"]["site"]["max_gpus"] == 0
    assert "smaller than one 8-GPU node" in r.stderr


@pytest.mark.parametrize(
    "args,needle",
    [
        (("--cluster", "dgx-h100", "--tokens", "1T"), "--model"),
        (("--cluster", "dgx-h100", "--model", "8b", "--tokens", "abc"), "--tokens"),
        (("--cluster", "dgx-h100", "--model", "8b", "--tokens", "-5"), "--tokens"),
        (("--cluster", "dgx-h100", "--model", "8b", "--tokens", "1T", "--gpus", "0"), "--gpus"),
    ],
)
def test_training_energy_bad_input(cli, args, needle):
    r = cli("power", *args)
    assert r.exit_code == 2, r.stdout
    assert r.stderr.strip().splitlines()[-1].startswith("llmwalls: error:") and needle in r.stderr
    assert "Traceback" not in r.stderr


def test_training_energy_under_a_power_cap_by_hand(cli):
    # The cap slows the planned run. 500 W on a 700 W H100 with static share 0.25: clock
    # f = ((500/700 - 0.25) / 0.75)^(1/3) = 0.61905^(1/3) = 0.8524; compute-bound work runs at f, memory-bound
    # work keeps full speed above f = 0.5. Step: matmul and bubble / f, the rest unchanged.
    c = cli("cluster", *RUN_405B, "--scaling", "off", "--json").json()["results"]
    st, hours = c["step"], c["training"]["gpu_hours"]
    f = ((500 / 700 - 0.25) / 0.75) ** (1 / 3)
    slowed = st["step_time_s"] + (st["matmul_time_s"] + st["bubble_time_s"]) * (1 / f - 1)
    r = cli("power", *RUN_405B, "--power-cap-w", "500", "--json")
    assert r.exit_code == 0, r.stderr
    training = r.json()["results"]["training_plan"]
    cap = training["power_cap"]
    assert cap["clock_fraction"] == pytest.approx(f)
    assert cap["step_time_s"] == pytest.approx(slowed)
    assert cap["gpu_hours"] == pytest.approx(hours * slowed / st["step_time_s"])
    # energy: the capped run's GPU-hours x 500 W at the board
    assert training["energy"]["gpu"]["energy_kwh"] == pytest.approx(cap["gpu_hours"] * 0.5)
    assert training["plan"]["gpu_hours"] == pytest.approx(hours)  # the uncapped plan is still reported
