"""The built-in hardware catalogue: every profile validates, names resolve, and the GPU numbers match the
published datasheet figures recorded in shared/calibration/cases.toml (copied below with their citations).

Tolerance: 1%. Vendors round (MI300X BF16 is 1,307.4 TFLOP/s exactly, tabulated as 1,300), nothing else.
"""

from __future__ import annotations

import pytest

from llmwalls import catalogue
from llmwalls.catalogue import KIND_DIRS

T = 1e12  # TFLOP/s -> FLOP/s
GB = 1e9  # decimal, as datasheets state capacity and bandwidth

# Citation keys used in the tables below (from shared/calibration/cases.toml):
MLENGACC = (
    "stas00/ml-engineering @744d01e18b79512572f64a6bbd8b5f4a725203a7 (2026-08-22), "
    "compute/accelerator/README.md (tables cite vendor spec pages: "
    "nvidia.com/en-us/data-center/{a100,h100,h200,gb200-nvl72}, DGX B200 datasheet, "
    "amd.com MI300X/MI325X pages, Intel Gaudi 3 white paper)"
)
MLENGNET = "stas00/ml-engineering @744d01e18b79512572f64a6bbd8b5f4a725203a7, network/README.md"
KLOCKWOOD = (
    "glennklockwood.com/garden/processors/A100 (NVIDIA A100 datasheet); "
    "A100 80GB SXM 2,039 GB/s from thundercompute.com (THUNDER)"
)
LLAMA3 = "Llama Team (Meta), The Llama 3 Herd of Models, arXiv:2407.21783"
H100PB = "NVIDIA H100 PCIe product brief PB-11133-001_v02 (Nov 2022)"
L40S_DS = "NVIDIA L40S datasheet (dense column; '*' = with sparsity), not a calibration case"

# (gpu profile, case id, dense BF16 TFLOP/s, source). H800 = H100 SXM compute (profile source explains).
BF16_CASES = [
    ("a100-40gb-sxm", "spec_a100_sxm_bf16", 312.0, MLENGACC),
    ("a100-80gb-sxm", "spec_a100_sxm_bf16", 312.0, MLENGACC),
    ("h100-sxm", "spec_h100_sxm_bf16", 989.0, MLENGACC),
    ("h800-sxm", "spec_h100_sxm_bf16", 989.0, MLENGACC),
    ("h100-pcie", "spec_h100_pcie_bf16", 756.0, MLENGACC),
    ("h200-sxm", "spec_h200_sxm_bf16", 989.0, MLENGACC),
    ("b200", "spec_b200_sxm_bf16", 2250.0, MLENGACC),
    ("gb200", "spec_gb200_per_gpu_bf16", 2500.0, MLENGACC),
    ("mi300x", "spec_mi300x_bf16", 1300.0, MLENGACC),  # exact 1,307.4 (case notes)
    ("mi325x", "spec_mi325x_bf16", 1300.0, MLENGACC),
    ("gaudi3", "spec_gaudi3_bf16", 1677.0, MLENGACC),  # at the shipping 1,600 MHz MME clock
    ("l40s", "datasheet", 362.05, L40S_DS),
]

# The vendors' with-sparsity figures (2x dense): a profile carrying one of these as its dense peak is wrong.
SPARSE_FIGURES = [
    ("h100-sxm", "bf16", 1979.0),  # spec_h100_sxm_bf16 notes: 'H100 SXM BF16 1979, FP8 3958' with sparsity
    ("h100-sxm", "fp8", 3958.0),
    ("h200-sxm", "bf16", 1979.0),
    ("h100-pcie", "bf16", 1513.0),
    ("a100-80gb-sxm", "bf16", 624.0),  # spec_a100_sxm_bf16 notes: 'BF16 312 dense / 624 sparse'
    ("a100-80gb-sxm", "tf32", 312.0),
    ("l40s", "bf16", 733.0),
    ("l40s", "fp8", 1466.0),
    ("b200", "bf16", 4500.0),
    ("gb200", "bf16", 5000.0),
]

# (gpu profile, case id, capacity GB or None, peak bandwidth GB/s, source)
HBM_CASES = [
    ("a100-40gb-sxm", "spec_a100_40gb_bw", None, 1555.0, KLOCKWOOD),
    ("a100-80gb-sxm", "spec_a100_sxm_80_hbm + spec_a100_40gb_bw.related", 80.0, 2039.0, KLOCKWOOD),
    ("h100-sxm", "spec_h100_sxm_hbm", 80.0, 3350.0, MLENGACC),
    ("h800-sxm", "spec_h100_sxm_hbm", 80.0, 3350.0, MLENGACC),
    ("h100-pcie", "spec_h100_pcie_hbm", 80.0, 2000.0, MLENGACC),
    ("h200-sxm", "spec_h200_sxm_hbm", 141.0, 4800.0, MLENGACC),
    ("b200", "spec_b200_sxm_hbm", 180.0, 8000.0, MLENGACC),
    ("gb200", "spec_gb200_per_gpu_hbm", 186.0, 8000.0, MLENGACC),
    ("mi300x", "spec_mi300x_hbm", 192.0, 5300.0, MLENGACC),
    ("mi325x", "spec_mi325x_hbm", 256.0, 6000.0, MLENGACC),
    ("gaudi3", "spec_gaudi3_hbm", 128.0, 3700.0, MLENGACC),
    ("l40s", "datasheet", 48.0, 864.0, L40S_DS),
]

# (gpu profile, case id, watts, source)
POWER_CASES = [
    ("a100-80gb-sxm", "spec_a100_sxm_power", 400.0, MLENGACC),
    ("h100-sxm", "spec_h100_sxm_power", 700.0, MLENGACC),
    ("h100-sxm", "spec_llama3_h100_tdp", 700.0, LLAMA3),
    ("h100-pcie", "spec_h100_pcie_power", 350.0, H100PB),
    ("h200-sxm", "spec_h200_sxm_power", 700.0, MLENGACC),
    ("b200", "spec_b200_power", 1000.0, MLENGACC),
    ("gb200", "spec_gb200_power", 1200.0, MLENGACC),
    ("mi300x", "spec_mi300x_power", 750.0, MLENGACC),
    ("mi325x", "spec_mi325x_power", 1000.0, MLENGACC),
    ("gaudi3", "spec_gaudi3_power", 900.0, MLENGACC),
]

# Scale-up link per GPU, ONE direction (GB/s): (gpu, case id, value, source)
LINK_CASES = [
    ("a100-80gb-sxm", "spec_link_nvlink3", 300.0, MLENGNET),  # 600 GB/s bidirectional
    ("h100-sxm", "spec_link_nvlink4", 450.0, MLENGNET),  # 900 GB/s bidirectional
    ("h200-sxm", "spec_link_nvlink4", 450.0, MLENGNET),
    ("b200", "spec_link_nvlink5", 900.0, MLENGNET),  # 1.8 TB/s bidirectional
    ("gb200", "spec_link_nvlink5", 900.0, MLENGNET),
    ("mi300x", "spec_link_mi300x_xgmi", 448.0, MLENGNET),  # 7 peers x 64 GB/s
    ("gaudi3", "spec_link_gaudi3", 600.0, MLENGNET),
]

# Measured maximum achievable matmul FLOP/s (MAMF, mamf-finder.py, MLENGACC): (gpu, case id, dtype, TFLOP/s)
MAMF_CASES = [
    ("a100-80gb-sxm", "mamf_a100_sxm_bf16", "bf16", 271.2),
    ("h100-sxm", "mamf_h100_sxm_bf16", "bf16", 794.5),
    ("h100-sxm", "mamf_h100_sxm_fp8", "fp8", 1402.6),
    ("h200-sxm", "mamf_h200_sxm_fp8", "fp8", 1453.4),
    ("b200", "mamf_b200_bf16", "bf16", 1745.0),
    ("b200", "mamf_b200_fp8", "fp8", 3432.5),
    ("gb200", "mamf_gb200_bf16", "bf16", 1822.0),
    ("mi300x", "mamf_mi300x_bf16", "bf16", 668.4),
    ("mi325x", "mamf_mi325x_bf16", "bf16", 784.9),
    ("gaudi3", "mamf_gaudi3_bf16", "bf16", 1243.0),
]

REQUIRED_GPUS = {
    "a100-40gb-sxm", "a100-80gb-sxm", "h100-sxm", "h100-pcie", "h200-sxm", "h800-sxm",
    "b200", "gb200", "mi300x", "mi325x", "l40s", "gaudi3",
    "v100-sxm2-32gb", "h100-nvl", "h20", "b300", "gb300", "vr200", "mi250x", "mi355x", "mi455x",
    "tpu-v4", "tpu-v5e", "tpu-v5p", "tpu-v6e", "tpu-v7", "trainium2", "trainium3",
}  # fmt: skip
REQUIRED_CLUSTERS = {
    "dgx-h100", "dgx-a100", "gb200-nvl72", "pcie-h100-roce",
    "dgx-b200", "dgx-b300", "gb300-nvl72", "vr-nvl144", "h200-efa", "dgx-h200", "mi300x-roce",
    "mi355x-pollara", "tpu-v4-pod", "tpu-v5p-pod", "tpu-v6e-pod", "tpu-v7-pod", "trn2-ultraserver",
}  # fmt: skip


def _close(got: float, want: float, rel: float = 0.01) -> bool:
    return abs(got - want) <= rel * abs(want)


def _builtin(kind: str) -> list[catalogue.Entry]:
    return [e for e in catalogue.entries(kind) if e.origin == "built-in"]


def _gpu(name: str):
    return catalogue.load("gpu", name, announce=False)


# ------------------------------------------------------------------------------------ every profile


@pytest.mark.parametrize("kind", list(KIND_DIRS))
def test_every_builtin_profile_validates_and_has_a_source(kind):
    entries = _builtin(kind)
    assert entries, f"no built-in {kind} profiles"
    for entry in entries:
        profile = catalogue.load(kind, entry.name, announce=False)
        assert profile.name == entry.name
        assert profile.source.strip(), f"{kind} {entry.name} has an empty source"
        for field, text in profile.sources.items():
            assert text.strip(), f"{kind} {entry.name}: sources[{field!r}] is empty"


def test_required_hardware_is_in_the_box():
    assert {e.name for e in _builtin("gpu")} >= REQUIRED_GPUS
    assert {e.name for e in _builtin("cluster")} >= REQUIRED_CLUSTERS
    assert len(_builtin("grid")) >= 3 and len(_builtin("price")) >= 1


@pytest.mark.parametrize("kind", list(KIND_DIRS))
def test_aliases_unique_within_a_kind_and_never_another_profiles_name(kind):
    entries = _builtin(kind)
    names = {e.name for e in entries}
    seen: dict[str, str] = {}
    for e in entries:
        for alias in e.aliases:
            assert alias not in names, f"{kind} alias {alias!r} of {e.name} is the name of another profile"
            assert alias not in seen, f"{kind} alias {alias!r} used by both {seen[alias]} and {e.name}"
            seen[alias] = e.name


@pytest.mark.parametrize("alias,name", [
    ("h100", "h100-sxm"), ("h200", "h200-sxm"), ("h800", "h800-sxm"), ("a100", "a100-80gb-sxm"),
    ("a100-40gb", "a100-40gb-sxm"), ("a100-80gb", "a100-80gb-sxm"), ("mi300x", "mi300x"),
    ("H100", "h100-sxm"),
])  # fmt: skip
def test_short_gpu_names_resolve(alias, name):
    assert catalogue.resolve("gpu", alias, announce=False).name == name


@pytest.mark.parametrize("alias", ["hgx-h100", "h100-cluster", "dgx-h100"])
def test_h100_cluster_aliases_resolve(alias):
    assert catalogue.resolve("cluster", alias, announce=False).name == "dgx-h100"


def test_every_cluster_and_price_names_a_gpu_by_its_canonical_name():
    for kind in ("cluster", "price"):
        for e in _builtin(kind):
            profile = catalogue.load(kind, e.name, announce=False)
            gpu_entry = catalogue.resolve("gpu", profile.gpu, announce=False)
            assert gpu_entry.name == profile.gpu, f"{kind} {e.name}: {profile.gpu!r} is not a name"
            _gpu(profile.gpu)  # and it validates


# ------------------------------------------------------------------------------------ GPU datasheet figures


@pytest.mark.parametrize("gpu,case_id,tflops,source", BF16_CASES)
def test_dense_bf16_peak_matches_datasheet(gpu, case_id, tflops, source):
    assert _close(_gpu(gpu).peak_flops_per_s.bf16, tflops * T), f"{gpu} vs {case_id} ({source})"


@pytest.mark.parametrize("gpu,dtype,sparse_tflops", SPARSE_FIGURES)
def test_no_profile_carries_a_with_sparsity_figure(gpu, dtype, sparse_tflops):
    value = getattr(_gpu(gpu).peak_flops_per_s, dtype)
    assert value is not None
    assert not _close(value, sparse_tflops * T), f"{gpu} {dtype} = {value:.4g} is the with-sparsity figure"


def test_h100_sxm_bf16_is_the_dense_989_not_1979():
    assert _gpu("h100").peak_flops_per_s.bf16 != 1979e12
    assert _gpu("h100").peak_flops_per_s.bf16 == pytest.approx(989.4e12)


@pytest.mark.parametrize("gpu,case_id,capacity_gb,bandwidth_gbps,source", HBM_CASES)
def test_memory_capacity_and_bandwidth_match_datasheet(gpu, case_id, capacity_gb, bandwidth_gbps, source):
    spec = _gpu(gpu)
    assert _close(spec.hbm_bandwidth_bytes_per_s, bandwidth_gbps * GB), f"{gpu} vs {case_id} ({source})"
    if capacity_gb is not None:
        assert spec.hbm_bytes == capacity_gb * GB, f"{gpu} capacity vs {case_id}: decimal GB exactly"


# Driver-reported total device memory (GpuSpec.device_memory_bytes), as published. nvidia-smi and hl-smi
# print MiB, so bytes = MiB x 2^20; rocm-smi prints bytes. (gpu, tool, MiB or None, bytes or None, source)
MODAL = "thundergolfer.com/blog/nvidia-gpu-memory-capacity (Modal), table of nvidia-smi totals"
DEVICE_MEMORY_CASES = [
    ("h100-sxm", "nvidia-smi", 81_559, None, MODAL + ": 'H100 80 GB 81,559 MiB'"),
    ("h200-sxm", "nvidia-smi", 143_771, None, MODAL + ": 'H200 141 GB 143,771 MiB'"),
    # 81,559 x 1,048,576 = 85,520,809,984 B: the PCIe card reports the same total as the SXM5 part.
    ("h100-pcie", "nvidia-smi", 81_559, None, "published logs: 'GPU: NVIDIA H100 PCIe (81559 MiB)'"),
    # 46,068 x 1,048,576 = 48,305,799,168 B
    ("l40s", "nvidia-smi", 46_068, None, MODAL + ": 'L40S 48 GB 46,068 MiB'; akash provider-configs PR #99"),
    # 189,471 x 1,048,576 = 198,674,743,296 B
    ("gb200", "nvidia-smi", 189_471, None, "published nvidia-smi tables: '0MiB / 189471MiB', 1200W cap"),
    # rocm-smi 'VRAM Total Memory (B): 206141652992' = 196,592 MiB (amd-smi static 'SIZE: 196592 MB')
    ("mi300x", "rocm-smi", None, 206_141_652_992, "ROCm/legacy-rocm-build issue #4750, bare-metal 8x MI300X"),
    # 131,072 x 1,048,576 = 137,438,953,472 B = 128 GiB exactly
    ("gaudi3", "hl-smi", 131_072, None, "ibm-cloud-docs/containers cs_app_deploy.md: '672MiB / 131072MiB'"),
]  # MI325X: no published rocm-smi byte total found, so its profile has none and uses hbm_bytes.


@pytest.mark.parametrize("gpu,tool,mib,reported_bytes,source", DEVICE_MEMORY_CASES)
def test_device_memory_is_the_published_driver_total(gpu, tool, mib, reported_bytes, source):
    want = mib * 2**20 if mib is not None else reported_bytes
    spec = _gpu(gpu)
    assert spec.device_memory_bytes == want, f"{gpu}: {tool} total ({source})"
    assert spec.memory_capacity_bytes == want  # capacity walls use the driver figure, not the datasheet's


def test_h200_capacity_is_141_decimal_gb_not_gib():
    # NVIDIA: '141GB HBM3e' (calibration case spec_h200_sxm_hbm). 141 GiB would be 151.4e9 bytes.
    assert _gpu("h200").hbm_bytes == 141e9
    assert _gpu("h200").hbm_bytes != 141 * 2**30


@pytest.mark.parametrize("gpu,case_id,watts,source", POWER_CASES)
def test_tdp_matches_datasheet(gpu, case_id, watts, source):
    assert _gpu(gpu).tdp_w == watts, f"{gpu} vs {case_id} ({source})"


@pytest.mark.parametrize("gpu,case_id,gbps,source", LINK_CASES)
def test_scale_up_link_is_one_direction(gpu, case_id, gbps, source):
    assert _close(_gpu(gpu).scale_up_bandwidth_bytes_per_s, gbps * GB), f"{gpu} vs {case_id} ({source})"


def test_h800_nvlink_is_cut_to_400_gbs_bidirectional():
    # 400 GB/s total bidirectional (profile source) = 200 GB/s per direction; compute equals H100 SXM.
    h800, h100 = _gpu("h800"), _gpu("h100")
    assert h800.scale_up_bandwidth_bytes_per_s == 200e9
    assert h800.peak_flops_per_s.bf16 == h100.peak_flops_per_s.bf16


def test_pcie_cards_have_no_nvlink():
    assert _gpu("h100-pcie").scale_up_bandwidth_bytes_per_s is None
    assert _gpu("l40s").scale_up_bandwidth_bytes_per_s is None


@pytest.mark.parametrize("gpu,case_id,dtype,tflops", MAMF_CASES)
def test_measured_matmul_matches_case_and_is_below_peak(gpu, case_id, dtype, tflops):
    spec = _gpu(gpu)
    measured = spec.measured_matmul_flops_per_s[dtype]
    assert measured == pytest.approx(tflops * T), case_id
    assert measured < spec.peak_flops_per_s.for_dtype(dtype)


def test_precision_ladder_is_plausible_for_every_gpu():
    """Dense peaks: fp32 <= tf32 <= bf16 <= fp8 <= 2 x bf16, fp8 <= fp4 <= 3 x fp8 where present. 2% slack
    for vendor rounding: the L40S datasheet gives FP8 733 against BF16 362.05 (2 x 362.05 = 724.1). FP4 is
    2 x FP8 on B200/MI355X, 3 x on Blackwell Ultra (GB300 NVL72: 1,080 PF FP4 vs 360 PF FP8 dense) and
    1 x on Trainium3 (2,517 MXFP8/MXFP4 TFLOPS)."""
    for e in _builtin("gpu"):
        p = _gpu(e.name).peak_flops_per_s
        if p.fp32 and p.tf32:
            assert p.fp32 <= p.tf32, e.name
        if p.tf32 and p.bf16:
            assert p.tf32 <= p.bf16, e.name
        if p.fp8 and p.bf16:
            # Trainium3 alone runs MXFP8 at 3.75 x BF16 (2,517 vs 671 TFLOPS, AWS Neuron docs).
            ratio = 2517 / 671 if e.name == "trainium3" else 2.0
            assert p.bf16 <= p.fp8 <= ratio * p.bf16 * 1.02, e.name
        if p.fp4 and p.fp8:
            assert p.fp8 <= p.fp4 <= 3.0 * p.fp8 * 1.001, e.name


# ------------------------------------------------------------------------------------ clusters, grids, prices


def test_dgx_h100_node_overhead_is_system_max_minus_gpu_tdp():
    # DGX H100 datasheet: 10.2 kW max; 8 x 700 W GPUs -> 10,200 - 5,600 = 4,600 W.
    c = catalogue.load_cluster("dgx-h100")
    assert c.node_overhead_power_w == 10_200 - 8 * _gpu(c.gpu).tdp_w == 4600
    # 8x 400 Gb/s NDR, one per GPU: 400e9 bit/s / 8 = 50e9 bytes/s per GPU per direction.
    assert c.inter_node_bandwidth_bytes_per_s == 400e9 / 8
    assert c.intra_node_bandwidth_bytes_per_s == _gpu(c.gpu).scale_up_bandwidth_bytes_per_s == 450e9
    assert c.total_gpus == 1024  # seed 000: 'A standard AI cluster might contain 1,024 GPUs'


def test_dgx_a100_node_overhead_is_system_max_minus_gpu_tdp():
    # DGX A100: 6.5 kW max; 8 x 400 W -> 3,300 W. 8x 200 Gb/s HDR -> 25e9 bytes/s per GPU.
    c = catalogue.load_cluster("dgx-a100")
    assert c.node_overhead_power_w == 6_500 - 8 * _gpu(c.gpu).tdp_w == 3300
    assert c.inter_node_bandwidth_bytes_per_s == 200e9 / 8


def test_gb200_nvl72_is_one_72_gpu_nvlink_domain_of_4_gpu_trays():
    c = catalogue.load_cluster("gb200-nvl72")
    assert (c.gpus_per_node, c.scale_up_domain_gpus, c.cooling) == (4, 72, "liquid")
    assert c.intra_node_bandwidth_bytes_per_s == 900e9
    # About 120 kW per rack: 72 x 1,200 W GPUs + 18 trays x overhead = 86.4 kW + 33.6 kW.
    rack_w = 72 * _gpu(c.gpu).tdp_w + 18 * c.node_overhead_power_w
    assert rack_w == pytest.approx(120e3, rel=0.001)
    assert rack_w <= c.rack_power_limit_w


def test_pcie_cluster_talks_over_pcie_gen5_x16():
    c = catalogue.load_cluster("pcie-h100-roce")
    assert (c.scale_up_fabric, c.scale_out_fabric, c.cooling) == ("pcie", "roce", "air")
    # PCIe 5.0: 32 GT/s x 16 lanes x 128/130 / 8 = 63.0 GB/s per direction; the profile uses a round 64 GB/s.
    assert c.intra_node_bandwidth_bytes_per_s == pytest.approx(32e9 * 16 * 128 / 130 / 8, rel=0.02)


def test_llama31_implied_grid_reproduces_the_model_card():
    # Case llama31_mc_total: 39.3M GPU-hours, 700 W, 11,390 tCO2eq location-based (MODEL_CARD.md @1b28708f).
    # 11.39e9 g / (39.3e6 h x 0.7 kW) = 414.0 g/kWh incl. PUE; / 1.08 (Meta 2023 PUE) = 383.4 g/kWh.
    grid = catalogue.load("grid", "meta-llama31-implied", announce=False)
    assert grid.grams_co2e_per_kwh == pytest.approx(11.39e9 / (39.3e6 * 0.7) / 1.08, rel=0.005)
    # Per model, the card's tCO2eq back from its GPU-hours (cases llama31_mc_{8b,70b,405b}_*), within 1.5%:
    for gpu_hours, tco2 in [(1.46e6, 420), (7.0e6, 2040), (30.84e6, 8930)]:
        assert gpu_hours * 0.7 * 1.08 * grid.grams_co2e_per_kwh / 1e6 == pytest.approx(tco2, rel=0.015)


def test_us_grid_matches_eia_pounds_per_kwh():
    # EIA FAQ 74: 0.81 lb CO2/kWh in 2023; 0.81 x 453.592 g/lb = 367.4 g/kWh.
    grid = catalogue.load("grid", "us", announce=False)
    assert grid.grams_co2e_per_kwh == pytest.approx(0.81 * 453.592, rel=0.01)


def test_deepseek_v3_price_reproduces_the_reported_cost():
    # Cases dsv3_gpuh_total (2,788K H800 GPU-hours) and dsv3_cost_total ($5.576M at $2/GPU-hour).
    price = catalogue.load("price", "h800-deepseek-v3-assumed", announce=False)
    assert (price.gpu, price.commitment) == ("h800-sxm", "assumed")
    assert 2_788_000 * price.usd_per_gpu_hour == pytest.approx(5_576_000)


def test_every_price_and_unit_price_is_dated():
    for e in _builtin("price"):
        assert catalogue.load("price", e.name, announce=False).price_date
    for e in _builtin("gpu"):
        spec = _gpu(e.name)
        if spec.unit_price_usd is not None:
            assert spec.price_date and "unit_price_usd" in spec.sources, e.name


def test_launch_dates_are_year_month_and_sourced():
    import re

    for e in _builtin("gpu"):
        spec = _gpu(e.name)
        if spec.launch_date is not None:
            assert re.fullmatch(r"20\d\d-(0[1-9]|1[0-2])", spec.launch_date), e.name
            assert "launch_date" in spec.sources, e.name


# ------------------------------------------------------------------------------------ CLI


def test_profiles_list_gpu_shows_the_catalogue(cli):
    r = cli("profiles", "list", "--kind", "gpu")
    assert r.exit_code == 0, r.stderr
    for name in REQUIRED_GPUS:
        assert name in r.stdout


def test_the_shipped_index_matches_the_profiles():
    """profiles/index.json (names, aliases, sources of the built-in profiles, read instead of parsing every
    file on every call) is what the TOML files say."""
    import json
    import os

    from llmwalls.catalogue import BUILTIN_INDEX, builtin_dir, builtin_index_rows

    path = builtin_dir() / BUILTIN_INDEX
    fresh = json.dumps(builtin_index_rows(), indent=1, ensure_ascii=False) + "\n"
    if os.environ.get("LLMWALLS_UPDATE_INDEX"):
        path.write_text(fresh, encoding="utf-8")
    assert path.read_text(encoding="utf-8") == fresh, (
        "profiles/index.json is stale: LLMWALLS_UPDATE_INDEX=1 pytest tests/test_catalogue.py -k index"
    )
