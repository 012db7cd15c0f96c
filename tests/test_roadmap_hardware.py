"""The 2025-27 accelerators, systems and prices: schema rules, figures checked by hand against the vendors'
published totals, TPU pods through `cluster`, `power` and `cost`, and `cost` never borrowing the H100's
price."""

from __future__ import annotations

import pytest

from llmwalls import catalogue
from llmwalls.catalogue import validate_data
from llmwalls.engine.collectives import Tiers
from llmwalls.errors import ProfileError

T, P, E = 1e12, 1e15, 1e18

NEW_GPUS = [
    "v100-sxm2-32gb", "h100-nvl", "h20", "b300", "gb300", "vr200", "mi250x", "mi355x", "mi455x",
    "tpu-v4", "tpu-v5e", "tpu-v5p", "tpu-v6e", "tpu-v7", "trainium2", "trainium3",
]  # fmt: skip
NEW_CLUSTERS = [
    "dgx-b200", "dgx-b300", "gb300-nvl72", "vr-nvl144", "h200-efa", "dgx-h200", "mi300x-roce",
    "mi355x-pollara", "tpu-v4-pod", "tpu-v5p-pod", "tpu-v6e-pod", "tpu-v7-pod", "trn2-ultraserver",
]  # fmt: skip


def _gpu(name: str):
    return catalogue.load("gpu", name, announce=False)


def _cluster(name: str):
    return catalogue.load("cluster", name, announce=False)


# ------------------------------------------------------------------------------------------ every profile


@pytest.mark.parametrize("name", NEW_GPUS)
def test_new_accelerator_loads_with_status_dates_and_a_price_statement(name):
    g = _gpu(name)
    assert g.source.startswith(("NVIDIA", "AMD", "Google", "AWS"))
    assert g.announced is not None, "every new part says when it was announced"
    assert (g.unit_price_usd is not None) != g.no_public_price, "a dated price or an explicit 'none'"
    if g.status == "announced":
        assert g.available is not None and "vendor" in g.notes.lower() or "announced" in g.notes.lower()
    if g.tdp_w is None:
        assert "power" in g.notes.lower(), f"{name}: say that no power figure is public"


@pytest.mark.parametrize("name", NEW_CLUSTERS)
def test_new_cluster_loads_and_its_accelerator_resolves(name):
    c = _cluster(name)
    _gpu(c.gpu)
    if c.node_overhead_power_w is None:
        assert "node_overhead_power_w" in c.notes, f"{name}: say that the host power is not public"
    if c.scale_up_fabric in ("ici", "neuronlink"):
        assert c.torus_dims is not None


def test_every_gpu_in_the_catalogue_states_a_price_or_that_none_is_public():
    for e in catalogue.entries("gpu"):
        g = _gpu(e.name)
        assert g.unit_price_usd is not None or g.no_public_price, e.name


# ----------------------------------------------------------------------------------------------- schema

GPU = {
    "kind": "gpu",
    "name": "x",
    "source": "test fixture",
    "vendor": "test",
    "hbm_bytes": 80e9,
    "hbm_bandwidth_bytes_per_s": 3e12,
    "peak_flops_per_s": {"bf16": 1e15},
}
CLUSTER = {
    "kind": "cluster",
    "name": "pod",
    "source": "test fixture",
    "gpu": "tpu-v5p",
    "gpus_per_node": 4,
    "nodes": 16,
    "scale_up_domain_gpus": 64,
    "scale_up_fabric": "ici",
    "torus_dims": [4, 4, 4],
    "intra_node_bandwidth_bytes_per_s": 1e11,
    "intra_node_latency_s": 1e-6,
    "scale_out_fabric": "dcn",
    "inter_node_bandwidth_bytes_per_s": 6.25e9,
    "inter_node_latency_s": 1e-5,
    "pue": 1.1,
}


@pytest.mark.parametrize(
    "kind,base,change,message",
    [
        ("gpu", GPU, {"status": "announced"}, "needs `announced`"),
        ("gpu", GPU, {"announced": "2025-13-01"}, "announced"),
        ("gpu", GPU, {"available": "2026Q5"}, "available"),
        ("gpu", GPU, {"unit_price_usd": 1e4, "price_date": "2025", "no_public_price": True}, "keep one"),
        ("gpu", GPU, {"peak_flops_per_s": {}}, "at least one precision"),
        ("cluster", CLUSTER, {"torus_dims": None}, "needs torus_dims"),
        ("cluster", CLUSTER, {"torus_dims": [4, 4, 2]}, "hold 32 chips"),
        ("cluster", CLUSTER, {"torus_dims": [2, 2, 2, 8]}, "at most 3"),
    ],
)
def test_schema_refuses(kind, base, change, message):
    with pytest.raises(ProfileError) as exc:
        validate_data(kind, {**base, **change}, "test")
    assert message in " ".join(exc.value.problems)


def test_schema_accepts_a_torus_pod_and_a_gpu_without_public_power():
    assert validate_data("cluster", CLUSTER, "test").torus_dims == [4, 4, 4]
    assert validate_data("gpu", GPU, "test").tdp_w is None


# ----------------------------------------------------------------------- hand checks against published totals


def test_machine_balance_from_datasheets():
    # FLOP per byte of HBM traffic at the dense peak: the ridge point of the roofline.
    # H100 SXM: 989.4e12 / 3.35e12 = 295.3.  MI355X FP8: 5,033.2e12 / 8e12 = 629.2.
    # TPU v5p bf16: 459e12 / 2.765e12 = 166.0.  Rubin NVFP4: 50e15 / 22e12 = 2,272.7.
    def balance(name: str, dtype: str) -> float:
        g = _gpu(name)
        return g.peak_flops_per_s.for_dtype(dtype) / g.hbm_bandwidth_bytes_per_s

    assert balance("h100-sxm", "bf16") == pytest.approx(295.3, abs=0.1)
    assert balance("mi355x", "fp8") == pytest.approx(629.15, abs=0.01)
    assert balance("tpu-v5p", "bf16") == pytest.approx(166.0, abs=0.1)
    assert balance("vr200", "fp4") == pytest.approx(2272.7, abs=0.1)


def test_per_chip_figures_add_up_to_the_published_system_totals():
    # GB300 NVL72: 72 x 15 PF = 1,080 PF dense FP4 (NVIDIA: 1,440 sparse / 1,080 dense);
    # 72 x 8 TB/s = 576 TB/s.
    assert 72 * _gpu("gb300").peak_flops_per_s.fp4 == pytest.approx(1080 * P)
    assert 72 * _gpu("gb300").hbm_bandwidth_bytes_per_s == pytest.approx(576 * T)
    # DGX B300: 8 x 13.5 PF = 108 PF dense FP4; 8 x 288 GB = 2.3 TB.
    assert 8 * _gpu("b300").peak_flops_per_s.fp4 == pytest.approx(108 * P)
    assert 8 * _gpu("b300").hbm_bytes == pytest.approx(2.304e12)
    # Vera Rubin NVL144: 72 x 50 PF = 3.6 EF FP4; 72 x 16.7 PF = 1.2 EF FP8 (1.2024, rounding of 16.7).
    assert 72 * _gpu("vr200").peak_flops_per_s.fp4 == pytest.approx(3.6 * E)
    assert 72 * _gpu("vr200").peak_flops_per_s.fp8 == pytest.approx(1.2 * E, rel=0.003)
    # TPU v5p pod: 8,960 x 459e12 = 4.11e18 bf16 (scaling book part 2: 'about 4e18').
    assert _cluster("tpu-v5p-pod").total_gpus * _gpu("tpu-v5p").peak_flops_per_s.bf16 == pytest.approx(
        4.11264 * E
    )
    # Ironwood pod: 9,216 x 4,614e12 = 42.5e18 FP8 (Google: 42.5 exaflops).
    assert _cluster("tpu-v7-pod").total_gpus * _gpu("tpu-v7").peak_flops_per_s.fp8 == pytest.approx(
        42.5 * E, rel=0.001
    )
    # Trn2 UltraServer: 64 x 1,299e12 = 83.1e15 FP8 (AWS: 83.2 PF dense FP8).
    assert 64 * _gpu("trainium2").peak_flops_per_s.fp8 == pytest.approx(83.2 * P, rel=0.002)
    # MI355X: 256 CUs x 2.4 GHz x 16,384 FLOP/clock = 10.066e15 FP4 (AMD: 10.1 PF dense, 20.1 sparse).
    assert _gpu("mi355x").peak_flops_per_s.fp4 == pytest.approx(256 * 2.4e9 * 16384, rel=1e-5)
    # Helios: 72 x 40 PF = 2.88 EF FP4 (AMD: 2.9 EF).
    assert 72 * _gpu("mi455x").peak_flops_per_s.fp4 == pytest.approx(2.9 * E, rel=0.01)


def test_scale_up_links_are_one_direction():
    # NVLink 5 1.8 TB/s both ways -> 900 GB/s; NVLink 6 3.6 TB/s -> 1.8 TB/s; ICI v5p 4,800 Gbps = 600 GB/s
    # = 6 links x 1e11; Ironwood 1.2 TB/s bidirectional -> 600 GB/s; MI355X 7 x 153.6 / 2 = 537.6 GB/s.
    assert _gpu("gb300").scale_up_bandwidth_bytes_per_s == 900e9
    assert _gpu("vr200").scale_up_bandwidth_bytes_per_s == 1.8e12
    assert _gpu("tpu-v5p").scale_up_bandwidth_bytes_per_s == 4800e9 / 8 == 6 * 1e11
    assert _gpu("tpu-v7").scale_up_bandwidth_bytes_per_s == 1.2e12 / 2
    assert _gpu("mi355x").scale_up_bandwidth_bytes_per_s == pytest.approx(7 * 153.6e9 / 2)


def test_dgx_b200_node_overhead_is_system_max_minus_gpu_tdp():
    # DGX B200 user guide: 14.3 kW max; 8 x 1,000 W -> 6,300 W. 8x ConnectX-7 400 Gb/s -> 50e9 B/s per GPU.
    c = _cluster("dgx-b200")
    assert c.node_overhead_power_w == 14_300 - 8 * _gpu(c.gpu).tdp_w == 6300
    assert c.inter_node_bandwidth_bytes_per_s == 400e9 / 8


def test_tpu_pod_tiers_carry_the_torus():
    t = Tiers.from_cluster(_cluster("tpu-v5p-pod"))
    assert t.torus_dims == (16, 20, 28) and t.domain_gpus == 8960
    assert t.up_bandwidth_bytes_per_s == 1e11  # one ICI link, one way (scaling book part 2)
    assert t.up_efficiency == pytest.approx(560 / 680, abs=0.01)  # scaling book part 3, worked question 1


# ---------------------------------------------------------------------------------------- TPU pods, CLI


def test_a_tpu_pod_runs_through_cluster(cli):
    r = cli("cluster", "-m", "llama-3.1-8b", "-c", "tpu-v5p-pod", "--gpus", "256", "--json")
    assert r.exit_code == 0, r.stderr
    inputs = r.json()["inputs"]
    assert inputs["cluster"] == "tpu-v5p-pod"
    assert inputs["fabric"]["torus_dims"] == [16, 20, 28]


def test_a_tpu_pod_runs_through_power_once_the_host_power_is_given(cli):
    r = cli("power", "--cluster", "tpu-v4-pod")
    assert r.exit_code == 2
    assert "no public power figure for the hosts of tpu-v4-pod" in r.stderr
    assert "--node-overhead-w" in r.stderr
    r = cli("power", "--cluster", "tpu-v4-pod", "--node-overhead-w", "300", "--json")
    assert r.exit_code == 0, r.stderr
    # 4,096 chips x 192 W (ISCA 2023 max) = 786,432 W of accelerators at full load.
    assert "786" in cli("power", "--cluster", "tpu-v4-pod", "--node-overhead-w", "300").stdout


def test_power_refuses_an_accelerator_without_public_tdp(cli):
    r = cli("power", "--cluster", "tpu-v5p-pod", "--node-overhead-w", "300")
    assert r.exit_code == 2
    assert "no public power figure (TDP) for tpu-v5p" in r.stderr


def test_a_tpu_pod_runs_through_cost_at_its_published_rental_price(cli):
    r = cli("cost", "--cluster", "tpu-v4-pod", "--json")
    assert r.exit_code == 0, r.stderr
    res = r.json()["results"]
    assert res["rent"]["source"] == "price profile tpu-v4-gcp-on-demand-2025"
    assert res["capex_per_gpu"]["gpu_usd"] is None  # TPUs are not sold
    assert "no public purchase price for tpu-v4" in r.stderr
    assert "no public host power for tpu-v4-pod" in r.stderr


# ------------------------------------------------------------------------------------- no borrowed price


def test_cost_never_borrows_the_h100_purchase_price(cli):
    # H200 has no public purchase price: the buy side is unknown, not the H100's $40,000.
    r = cli("cost", "--gpu", "h200", "--gpus", "8", "--json")
    assert r.exit_code == 0, r.stderr
    res = r.json()["results"]
    assert res["capex_per_gpu"]["gpu_usd"] is None
    assert res["gpu_unit_price"] == {
        "usd": None,
        "source": "no public purchase price for h200-sxm; give one for the buy-side figures",
        "known": False,
    }
    human = cli("cost", "--gpu", "h200", "--gpus", "8").stdout
    gpu_row = next(line for line in human.splitlines() if line.strip().startswith("GPU "))
    assert gpu_row.split()[:3] == ["GPU", "n/a", "n/a"]  # per GPU and fleet: unknown, not borrowed
    assert res["rent"]["source"] == "price profile h200-packet-on-demand-2026"


def test_cost_uses_the_dated_b200_price_and_refuses_a_missing_rental_price(cli):
    res = cli("cost", "--gpu", "b200", "--json").json()["results"]
    assert res["capex_per_gpu"]["gpu_usd"] == 35_000  # CNBC 2024-03: '$30,000 to $40,000', midpoint
    r = cli("cost", "--gpu", "mi355x")
    assert r.exit_code == 2
    assert "no public rental price for mi355x (no price profile): give its price per GPU-hour" in r.stderr
    r = cli("cost", "--gpu", "mi355x", "--price-per-gpu-hour", "2.5", "--gpu-price", "25000", "--json")
    assert r.exit_code == 0, r.stderr
    assert r.json()["results"]["capex_per_gpu"]["gpu_usd"] == 25_000


# ------------------------------------------------------------------------------------------ profiles list


def test_profiles_list_gpu_fits_100_columns_with_the_key_figures(cli, monkeypatch):
    monkeypatch.setenv("COLUMNS", "100")
    r = cli("profiles", "list", "--kind", "gpu")
    assert r.exit_code == 0, r.stderr
    assert max(len(line.rstrip()) for line in r.stdout.splitlines()) <= 100
    row = next(line for line in r.stdout.splitlines() if line.strip().startswith("b200 "))
    # B200: 180 GB, 8.00 TB/s, 2,250 / 4,500 dense TFLOPS, 1,000 W, shipping, $35,000 (printed $35.0k).
    assert row.split() == ["b200", "180", "8.00", "2,250", "4,500", "1,000", "shipping", "$35.0k"]
    assert any(line.split()[:1] == ["vr200"] and "announced" in line for line in r.stdout.splitlines())


def test_profiles_show_gives_every_source(cli):
    out = cli("profiles", "show", "tpu-v7").stdout
    assert "blog.google" in out and "[sources]" in out and "scale_up_bandwidth_bytes_per_s" in out


# ------------------------------------------------------------------------------------------------ roadmap

MIXED_ROADMAP = """
kind = "roadmap"
name = "mix"
start = "2026Q1"

[[hardware]]
quarter = "2026Q1"
gpu = "h100"
cluster = "dgx-h100"
gpus = 1024
site_mw = 5.0

[[hardware]]
quarter = "2026Q2"
gpu = "b200"
cluster = "dgx-b200"
gpus = 1024
site_mw = 8.0

[[hardware]]
quarter = "2026Q3"
gpu = "gb300"
cluster = "gb300-nvl72"
gpus = 576
site_mw = 8.0
usd_per_gpu_hour = 6.0

[[hardware]]
quarter = "2026Q4"
gpu = "mi355x"
cluster = "mi355x-pollara"
gpus = 512
site_mw = 8.0
usd_per_gpu_hour = 3.0

[[hardware]]
quarter = "2027Q1"
gpu = "tpu-v6e"
cluster = "tpu-v6e-pod"
gpus = 256

[[hardware]]
quarter = "2027Q2"
gpu = "tpu-v7"
cluster = "tpu-v7-pod"
gpus = 1024
usd_per_gpu_hour = 5.0

[[workloads]]
name = "chat-70b"
model = "70b"
share = 0.5
users = 2000
context = "8k"
tokens_per_s_per_user = 20
ttft_s = 2.0
"""


def test_a_roadmap_mixing_hopper_blackwell_amd_and_tpus_audits_without_borrowing(cli, tmp_path):
    # Every entry names its own cluster profile, and every price is the roadmap's or a price profile's:
    # no 'dgx-h100 fabric' or 'fallback price' warning. TPU power is unknown (no public TDP), not guessed.
    path = tmp_path / "mix.toml"
    path.write_text(MIXED_ROADMAP)
    r = cli("audit", str(path), "--json")
    assert r.exit_code == 0, r.stderr
    assert "warning" not in r.stderr
    rows = {row["quarter"]: row for row in r.json()["results"]["rows"]}
    assert rows["2027Q1"]["gpu"] == "tpu-v6e" and rows["2027Q2"]["gpu"] == "tpu-v7"
