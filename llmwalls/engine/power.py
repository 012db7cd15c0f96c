"""Power: GPU watts between idle and TDP, power capping (DVFS), node, network, rack and facility watts, the
power wall against a site cap, energy and carbon of a training run or of serving, and how much of a step's GPU
energy goes to moving bytes rather than to arithmetic.

Pure and vectorised: every function takes floats or numpy arrays (broadcast together) and returns arrays or a
dict of named arrays in SI base units (W, J, s, g). Infeasible points are flags, never exceptions. The
judgement calls are the fields of ``PowerAssumptions``, each with its value, source and reasoning.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from llmwalls.units import BITS_PER_BYTE, JOULES_PER_KWH, SECONDS_PER_HOUR

PICO = 1e-12


@dataclass(frozen=True)
class PowerAssumptions:
    """Every coefficient of the power model, named, sourced and overridable from the command line."""

    # GPU idle power as a fraction of TDP, used when the GPU profile has no idle_power_w. 0.10: published
    # nvidia-smi readings of idle H100 SXM (80GB HBM3) boards at 0% utilisation show 69-72 W of a 700 W cap
    # (nvidia-smi transcripts in public READMEs and issues); the A100's ~50-60 W of 400 W is ~0.13-0.15.
    idle_fraction: float = 0.10

    # Share of the power at full clock that is static (leakage) and does not fall with the clock.
    # Hennessy & Patterson, Computer Architecture (5th ed.), sec. 1.5: static power is "25% of total
    # power consumption" as a design goal, often exceeded in high-performance parts (ibid.: dynamic power
    # ~ C V^2 f plus static power V I_leak).
    static_fraction: float = 0.25

    # Clock fraction a memory-bound kernel needs to keep HBM saturated: below it a memory-bound kernel slows
    # in proportion to the clock, above it not at all (HBM has its own clock, which SM DVFS does not lower).
    # 0.5 is an assumption; gpt-fast measured ~1.7 TB/s of the 2.04 TB/s datasheet HBM bandwidth on an A100
    # 80GB power-limited to 330 W of 400 W (pytorch-labs/gpt-fast README, calibration case gptfast_peak_bw).
    memory_saturation_clock_fraction: float = 0.5

    # Per-node overhead when no cluster profile gives node_overhead_power_w: DGX H100 system power 10.2 kW max
    # (NVIDIA DGX H100 datasheet) minus 8 x 700 W GPUs = 4,600 W for CPUs, DRAM, NICs, NVSwitches, fans and
    # PSU losses. Held at its maximum whatever the GPU utilisation (provisioning view).
    node_overhead_w: float = 4600.0
    gpus_per_node: int = 8

    # Scale-out fabric: one NIC per GPU (rail-optimised, as DGX H100's 8 ConnectX-7 compute ports),
    # non-blocking fat tree of k-port switches. A T-tier fat tree serves up to 2 (k/2)^T endpoints with
    # (2T - 1) N / k switches (Al-Fares et al., SIGCOMM 2008, sec. 3; leaves and middle tiers use k/2
    # ports down, the top tier k). NVIDIA Quantum-2 QM9700: 64 NDR 400 Gb/s ports in 32 twin-port OSFP
    # cages taking up to 17 W optics each (QM97xx user manual, Interfaces), i.e. 544 W of optics alone;
    # 1,720 W is the maximum quoted for the switch with active optics. That figure was NOT re-read in the
    # datasheet by llmwalls: treat it as an assumption and override with --switch-w. NIC-side optics are
    # inside node_overhead_w.
    switch_ports: int = 64
    switch_power_w: float = 1720.0

    # PUE when neither the cluster profile nor --pue gives one, by cooling type. Air: 1.58, the 2023 industry
    # average (Uptime Institute Global Data Center Survey 2023). Liquid: 1.15, an assumption for
    # direct-to-chip liquid cooling, which removes most chiller and air-handler fan load; hyperscale
    # fleets report ~1.10 (Google 2023 environmental report, fleet trailing-twelve-month PUE).
    pue_air: float = 1.58
    pue_liquid: float = 1.15

    # Rack power limits when neither the cluster profile nor --rack-kw gives one. Air: 30 kW, the practical
    # ceiling of air-cooled racks (Uptime 2023: most operators have no rack above 20 kW; hot-aisle containment
    # reaches ~30-40 kW). Liquid: 120 kW, a GB200 NVL72 rack (~120-132 kW, NVIDIA GB200 NVL72 reference).
    rack_limit_air_w: float = 30e3
    rack_limit_liquid_w: float = 120e3

    # Energy per bit read from HBM. 3.9 pJ/bit: HBM2 (O'Connor et al., "Fine-Grained DRAM", MICRO 2017, which
    # reports ~3.9 pJ/bit for HBM2 and halves it with FGDRAM); the on-chip path from the stacks to the SMs
    # costs more on top, so this is a lower bound on the energy of moving a byte.
    hbm_pj_per_bit: float = 3.9

    # Energy per FLOP. None: derived per GPU as the dynamic power at full load over the dense peak,
    # (TDP - idle) / peak FLOP/s (H100 bf16: 630 W / 989.4e12 = 0.64 pJ/FLOP), an upper bound that charges all
    # dynamic power to arithmetic. Horowitz (ISSCC 2014, "Computing's energy problem", Table) gives 45 nm fp16
    # multiply 1.1 pJ + add 0.4 pJ = 0.75 pJ/FLOP.
    pj_per_flop: float | None = None


DEFAULT = PowerAssumptions()


# ---------------------------------------------------------------------------------------------- site


@dataclass(frozen=True)
class Site:
    """The facility figures every power and cost question needs (the one place they are worked out): node
    size and overhead, PUE, rack limit and the GPU's TDP and idle power, from a cluster profile when one is
    given, else this module's defaults, each with where it came from. ``rack_limit_given`` says the rack
    limit was stated (by a cluster profile or the user) rather than a cooling default, so it is a limit to
    check. site_w, usd_per_gpu_hour and budget_usd are carried for the walls view."""

    gpus_per_node: int
    node_overhead_w: float
    pue: float
    rack_limit_w: float
    gpus_per_rack: int | None
    fixed_rack: bool
    tdp_w: float
    idle_w: float
    domain_gpus: int
    site_w: float | None = None
    usd_per_gpu_hour: float | None = None
    budget_usd: float | None = None  # per month for serving, per run for training
    notes: tuple[str, ...] = field(default=())
    cooling: str = "air"
    pue_source: str = "air cooling default"
    rack_limit_source: str = "air cooling default"
    rack_limit_given: bool = False
    idle_source: str = "profile idle_power_w"


def site_for(
    gpu: Any,
    cluster: Any = None,
    *,
    site_w: float | None = None,
    usd_per_gpu_hour: float | None = None,
    budget_usd: float | None = None,
    pue: float | None = None,
    rack_limit_w: float | None = None,
    node_overhead_w: float | None = None,
    liquid: bool | None = None,
    assumptions: PowerAssumptions = DEFAULT,
) -> Site:
    """Site figures of `gpu` (a GPU profile) in `cluster` (a cluster profile, or None): node size, node
    overhead, PUE and rack limit from the cluster profile, else ``assumptions``; each may be given instead
    (pue, rack_limit_w, node_overhead_w). PUE and rack limit without a cluster value follow the cooling:
    the cluster's, liquid when ``liquid`` is True, else air. Idle power: the GPU profile's idle_power_w,
    else assumptions.idle_fraction x TDP."""
    a = assumptions
    # No public TDP (TPUs, Trainium, announced parts): the power figures come out unknown (NaN), not guessed.
    tdp_w = float(gpu.tdp_w) if gpu.tdp_w is not None else math.nan
    notes: tuple[str, ...] = ()
    if gpu.tdp_w is None:
        notes = (f"no public TDP for {gpu.name}: the power wall is unknown",)
    if gpu.idle_power_w is not None:
        idle_w, idle_source = float(gpu.idle_power_w), "profile idle_power_w"
    else:
        idle_w, idle_source = a.idle_fraction * tdp_w, f"{a.idle_fraction:g} x TDP, assumed"
    cooling = "liquid" if liquid else (cluster.cooling if cluster is not None else "air")
    default_pue = a.pue_liquid if cooling == "liquid" else a.pue_air
    default_rack_w = a.rack_limit_liquid_w if cooling == "liquid" else a.rack_limit_air_w
    if pue is not None:
        pue_v, pue_source = pue, "given"
    elif cluster is not None:
        pue_v, pue_source = cluster.pue, f"cluster {cluster.name}"
    else:
        pue_v, pue_source = default_pue, f"{cooling} cooling default"
    if rack_limit_w is not None:
        rack_w, rack_source, rack_given = rack_limit_w, "given", True
    elif cluster is not None and cluster.rack_power_limit_w:
        rack_w, rack_source, rack_given = cluster.rack_power_limit_w, f"cluster {cluster.name}", True
    else:
        rack_w, rack_source, rack_given = default_rack_w, f"{cooling} cooling default", False
    common: dict[str, Any] = {
        "pue": pue_v,
        "rack_limit_w": rack_w,
        "tdp_w": tdp_w,
        "idle_w": idle_w,
        "site_w": site_w,
        "usd_per_gpu_hour": usd_per_gpu_hour,
        "budget_usd": budget_usd,
        "cooling": cooling,
        "pue_source": pue_source,
        "rack_limit_source": rack_source,
        "rack_limit_given": rack_given,
        "idle_source": idle_source,
    }
    if cluster is not None:
        if node_overhead_w is None and cluster.node_overhead_power_w is None:
            notes += (f"no public host power for {cluster.name}: site power counts the accelerators only",)
        return Site(
            gpus_per_node=cluster.gpus_per_node,
            node_overhead_w=(
                (cluster.node_overhead_power_w or 0.0) if node_overhead_w is None else node_overhead_w
            ),
            notes=notes,
            gpus_per_rack=cluster.gpus_per_rack,
            fixed_rack=cluster.gpus_per_rack is not None
            and cluster.scale_up_domain_gpus > cluster.gpus_per_node,
            domain_gpus=cluster.scale_up_domain_gpus,
            **common,
        )
    return Site(
        gpus_per_node=a.gpus_per_node,
        node_overhead_w=a.node_overhead_w if node_overhead_w is None else node_overhead_w,
        gpus_per_rack=None,
        fixed_rack=False,
        domain_gpus=a.gpus_per_node if gpu.scale_up_bandwidth_bytes_per_s else 1,
        notes=notes
        + ("no cluster profile: node overhead, PUE and rack limit are llmwalls.engine.power defaults",),
        **common,
    )


def site_power(
    site: Site,
    gpu_w: Any,
    gpus: Any,
    *,
    switch_w: float = DEFAULT.switch_power_w,
    switch_ports: int = DEFAULT.switch_ports,
) -> dict[str, np.ndarray]:
    """cluster_power of `gpus` GPUs at `gpu_w` board watts each on a site's nodes, racks and PUE."""
    return cluster_power(
        gpu_w=gpu_w,
        gpus=gpus,
        gpus_per_node=site.gpus_per_node,
        node_overhead_w=site.node_overhead_w,
        pue=site.pue,
        rack_limit_w=site.rack_limit_w,
        gpus_per_rack=site.gpus_per_rack,
        switch_w=switch_w,
        switch_ports=switch_ports,
        fixed_rack=site.fixed_rack,
    )


# ----------------------------------------------------------------------------------------------- GPU


def gpu_power_w(
    tdp_w: ArrayLike, idle_w: ArrayLike, utilization: ArrayLike, cap_w: ArrayLike | None = None
) -> np.ndarray:
    """GPU board power at a utilisation in [0, 1]: P = P_idle + u (P_tdp - P_idle), the linear server power
    model of Fan, Weber & Barroso, "Power provisioning for a warehouse-sized computer", ISCA 2007, sec. 4.
    A power cap clips it: P = min(P, cap)."""
    tdp_w, idle_w, u = np.asarray(tdp_w, float), np.asarray(idle_w, float), np.asarray(utilization, float)
    power = idle_w + u * (tdp_w - idle_w)
    if cap_w is not None:
        power = np.minimum(power, np.asarray(cap_w, float))
    return power


def dvfs_clock_fraction(
    cap_w: ArrayLike, tdp_w: ArrayLike, static_fraction: ArrayLike = DEFAULT.static_fraction
) -> np.ndarray:
    """Clock (relative to the full-power clock) a GPU sustains under a power cap, for work that draws TDP at
    full clock.

    CMOS power: P = a C V^2 f + V I_leak (Hennessy & Patterson, sec. 1.5). In the DVFS range the voltage
    scales with the frequency (V ~ f, ibid.), so the dynamic term goes as f^3; the leakage term is held
    constant:
        P(f) = s TDP + (1 - s) TDP f^3   =>   f = ((cap / TDP - s) / (1 - s))^(1/3), clipped to [0, 1].
    A cap below the static floor (cap < s TDP) gives 0: the GPU cannot run there (flag it).
    """
    cap_w, tdp_w = np.asarray(cap_w, float), np.asarray(tdp_w, float)
    s = np.asarray(static_fraction, float)
    dynamic = (cap_w / tdp_w - s) / (1.0 - s)
    return np.cbrt(np.clip(dynamic, 0.0, 1.0))


def capped_throughput_fraction(
    clock_fraction: ArrayLike,
    memory_bound: ArrayLike,
    *,
    memory_saturation_clock_fraction: float = DEFAULT.memory_saturation_clock_fraction,
) -> np.ndarray:
    """Throughput kept at a clock fraction: compute-bound work scales with the clock; memory-bound work keeps
    full throughput while the clock stays above the fraction needed to saturate HBM, and slows in proportion
    below it (an assumption, see PowerAssumptions.memory_saturation_clock_fraction). memory_bound may be a
    bool array. Never above 1; monotone non-decreasing in the clock."""
    f = np.asarray(clock_fraction, float)
    memory = np.minimum(1.0, f / memory_saturation_clock_fraction)
    return np.where(np.asarray(memory_bound, bool), memory, f)


# ------------------------------------------------------------------------------- network, node, rack


def fat_tree(endpoints: ArrayLike, ports: int = DEFAULT.switch_ports) -> tuple[np.ndarray, np.ndarray]:
    """Tiers and switch count of a non-blocking fat tree of k-port switches for N endpoints (Al-Fares et al.
    2008): T = the fewest tiers with 2 (k/2)^T >= N; the T - 1 lower tiers each have ceil(N / (k/2)) switches
    (k/2 ports down, k/2 up), the top tier ceil(N / k) (all k ports down). N <= 1 needs no switch."""
    n = np.asarray(endpoints, float)
    half = ports / 2.0
    tiers = np.ones_like(n)
    for _ in range(8):  # 8 tiers of 64-port switches serve 2 * 32^8 endpoints: far beyond any cluster
        tiers = np.where(2.0 * half**tiers < n, tiers + 1, tiers)
    tiers = np.where(n <= ports, 1.0, tiers)  # one switch serves up to k endpoints
    lower = np.ceil(n / half) * (tiers - 1)
    top = np.ceil(n / ports)
    switches = np.where(n <= 1, 0.0, lower + top)
    tiers = np.where(n <= 1, 0.0, tiers)
    return tiers, switches


def cluster_power(
    *,
    gpu_w: ArrayLike,  # per-GPU board power (after utilisation and cap)
    gpus: ArrayLike,
    gpus_per_node: int,
    node_overhead_w: float,
    pue: ArrayLike,
    rack_limit_w: float,
    gpus_per_rack: int | None = None,
    switch_w: float = DEFAULT.switch_power_w,
    switch_ports: int = DEFAULT.switch_ports,
    fixed_rack: bool = False,
) -> dict[str, np.ndarray]:
    """GPU -> node -> network -> rack -> facility watts for a cluster of whole nodes.

    node = gpus_per_node x gpu_w + node_overhead_w; network = fat-tree switches over one NIC per GPU (none
    within a single node: its GPUs talk over NVLink); IT = nodes + network; facility = IT x PUE (The Green
    Grid, PUE = total facility power / IT power). Racks hold whole nodes up to the rack power limit (and up to
    gpus_per_rack where the profile gives it); with fixed_rack (a rack-scale system such as GB200 NVL72) a
    rack always holds gpus_per_rack GPUs and rack_fits says whether that is within the limit. A node above the
    limit gets a rack of its own and rack_fits is False. Switches are not counted in racks.
    """
    gpus = np.asarray(gpus, float)
    nodes = np.ceil(gpus / gpus_per_node)
    gpu_total = nodes * gpus_per_node * np.asarray(gpu_w, float)
    node_w = gpus_per_node * np.asarray(gpu_w, float) + node_overhead_w
    node_total = nodes * node_w
    endpoints = np.where(nodes > 1, nodes * gpus_per_node, 0.0)
    tiers, switches = fat_tree(endpoints, switch_ports)
    network = switches * switch_w
    it = node_total + network
    facility = it * np.asarray(pue, float)
    if fixed_rack and gpus_per_rack is not None:
        # A rack-scale system (GB200 NVL72): the rack is the scale-up domain and cannot be split.
        nodes_per_rack = np.full_like(node_w * np.ones_like(gpus), max(gpus_per_rack // gpus_per_node, 1))
        rack_w = nodes_per_rack * node_w
    else:
        nodes_per_rack = np.floor(rack_limit_w / node_w) * np.ones_like(gpus)
        if gpus_per_rack is not None:
            nodes_per_rack = np.minimum(nodes_per_rack, max(gpus_per_rack // gpus_per_node, 1))
        nodes_per_rack = np.maximum(nodes_per_rack, 1.0)  # a node over the limit still needs a rack (flagged)
        rack_w = np.minimum(nodes_per_rack, nodes) * node_w
    rack_fits = rack_w <= rack_limit_w
    racks = np.ceil(nodes / nodes_per_rack)
    return {
        "gpus": nodes * gpus_per_node,
        "nodes": nodes,
        "gpu_w": np.asarray(gpu_w, float) * np.ones_like(gpus),
        "gpu_total_w": gpu_total,
        "node_w": node_w * np.ones_like(gpus),
        "node_overhead_total_w": nodes * node_overhead_w,
        "node_total_w": node_total,
        "fabric_tiers": tiers,
        "switches": switches,
        "network_w": network,
        "it_w": it,
        "pue": np.asarray(pue, float) * np.ones_like(gpus),
        "facility_w": facility,
        "cooling_and_losses_w": facility - it,
        "nodes_per_rack": nodes_per_rack,
        "gpus_per_rack": nodes_per_rack * gpus_per_node,
        "racks": racks,
        "rack_w": rack_w * np.ones_like(gpus),
        "rack_limit_w": rack_limit_w * np.ones_like(gpus),
        "rack_fits": rack_fits,
    }


def max_nodes_under_cap(
    site_w: float,
    *,
    node_w: float,
    pue: float,
    gpus_per_node: int,
    switch_w: float = DEFAULT.switch_power_w,
    switch_ports: int = DEFAULT.switch_ports,
    limit_nodes: int = 10_000_000,
) -> int:
    """The most whole nodes whose facility power (nodes, their fat tree, x PUE) fits under site_w; 0 when not
    even one node fits. Facility power is monotone in the node count, so one vectorised pass over every
    candidate count up to site_w / (node_w PUE) (network ignored: an upper bound) finds it."""
    upper = int(min(np.floor(site_w / (node_w * pue)), limit_nodes))
    if upper < 1:
        return 0
    n = np.arange(1, upper + 1, dtype=float)
    endpoints = np.where(n > 1, n * gpus_per_node, 0.0)
    _, switches = fat_tree(endpoints, switch_ports)
    facility = (n * node_w + switches * switch_w) * pue
    return int(np.searchsorted(facility, site_w, side="right"))


# ------------------------------------------------------------------------------------- energy, carbon


def run_energy_j(gpu_hours: ArrayLike, per_gpu_w: ArrayLike) -> np.ndarray:
    """Energy of a run of known GPU-hours at a per-GPU power (GPU board, or IT or facility share per GPU):
    E = GPU-hours x 3600 s x W. This is the method of the Llama model cards (GPU-hours x 700 W)."""
    return np.asarray(gpu_hours, float) * SECONDS_PER_HOUR * np.asarray(per_gpu_w, float)


def carbon_g(energy_j: ArrayLike, grams_co2e_per_kwh: ArrayLike) -> np.ndarray:
    """Location-based emissions: kWh x grid intensity (GHG Protocol Scope 2 location-based method)."""
    return np.asarray(energy_j, float) / JOULES_PER_KWH * np.asarray(grams_co2e_per_kwh, float)


def joules_per_token(per_gpu_w: ArrayLike, tokens_per_s_per_gpu: ArrayLike) -> np.ndarray:
    """Serving: J/token = W per GPU / (tokens/s per GPU) (energy per token = power x time per token)."""
    return np.asarray(per_gpu_w, float) / np.asarray(tokens_per_s_per_gpu, float)


# --------------------------------------------------------------------------- data movement vs arithmetic


def derived_pj_per_flop(tdp_w: ArrayLike, idle_w: ArrayLike, peak_flops_per_s: ArrayLike) -> np.ndarray:
    """Upper bound on energy per FLOP: dynamic power at full load over the dense peak, (TDP - idle) / peak."""
    return (np.asarray(tdp_w, float) - np.asarray(idle_w, float)) / np.asarray(peak_flops_per_s, float) / PICO


def data_movement_energy(
    bytes_moved: ArrayLike, flops: ArrayLike, *, hbm_pj_per_bit: float, pj_per_flop: ArrayLike
) -> dict[str, np.ndarray]:
    """Energy of a step split into moving bytes from HBM and doing FLOPs (energy = operations x energy each):
    E_bytes = bytes x 8 x pJ/bit, E_flops = FLOPs x pJ/FLOP, share = E_bytes / (E_bytes + E_flops)."""
    e_bytes = np.asarray(bytes_moved, float) * BITS_PER_BYTE * hbm_pj_per_bit * PICO
    e_flops = np.asarray(flops, float) * np.asarray(pj_per_flop, float) * PICO
    total = e_bytes + e_flops
    return {
        "bytes": np.asarray(bytes_moved, float),
        "flops": np.asarray(flops, float),
        "bytes_energy_j": e_bytes,
        "flops_energy_j": e_flops,
        "total_energy_j": total,
        "bytes_share": np.where(total > 0, e_bytes / np.where(total > 0, total, 1.0), 0.0),
    }
