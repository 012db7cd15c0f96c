"""Every wall of one workload side by side: memory capacity, memory bandwidth, compute, interconnect, power
and cost. This module composes the other engines (memory, roofline, training/collectives, power, cost); it
derives no formula of its own beyond the ratio demand / limit and which ratio is largest.

Pure and vectorised: serving inputs (GPUs, users, context, prompt, TP) are numpy-broadcastable and every wall
is an array of their broadcast shape, so a sweep is one call. Training walls come from the layout search of
llmwalls.engine.training, one search per point (it is itself vectorised over every candidate layout).

What each wall compares (demand / limit = utilisation; > 1 is hit):

serving (users concurrent sequences spread evenly over gpus // tp model replicas of tp GPUs each)
    memory capacity   weights + KV cache + reserve per GPU (memory.serving_memory_per_gpu) vs usable HBM
                      (memory.usable_bytes)
    memory bandwidth  HBM bytes one decode step moves per GPU (roofline decode bytes) x the per-user
    token-rate
                      target, i.e. the bandwidth that target needs, vs the achievable bandwidth (datasheet x
                      the roofline's bandwidth efficiency)
    compute           FLOP/s needed to prefill one new prompt within the TTFT target (roofline prefill FLOPs
    at
                      batch 1 / target) plus the decode batch's FLOPs at the token-rate target, vs the
                      achievable FLOP/s (peak x the roofline's FLOP/s efficiency). Chunked prefill runs a new
                      prompt alongside the decode batch (Agrawal et al. 2024, Sarathi-Serve), so both draw on
                      the same tensor cores.
    interconnect      time of the tensor-parallel all-reduces of one decode step (roofline comm_time_s) vs the
                      time budget of one token (1 / token-rate target)
    power             facility watts of the GPUs (power.cluster_power: GPUs at the provisioning utilisation,
                      nodes, fat tree, PUE) vs the site cap
    cost              $ per month (GPUs x $/GPU-hour x 730.5 h, cost.run_cost_usd) vs the monthly budget
training (the fastest layout that fits: plan.plan_training, as `llmwalls cluster`, `power` and `cost`)
    memory capacity   training memory per GPU of that layout vs usable HBM
    memory bandwidth  not a separate wall: training's HBM-bound kernels are inside the step time (n/a)
    compute           time to train the tokens (training.time_to_train) vs the deadline
    interconnect      exposed communication per step vs compute per step (communication overtaking
                      compute is the interconnect wall of `llmwalls cluster`)
    power, cost       as serving; cost = GPU-hours x $/GPU-hour vs the run's budget

A wall with no limit (no site cap, no budget) has utilisation NaN and status "n/a".
The separate serving walls share one token's time budget: the decode step really takes the SUM of its
memory-bound, compute-bound and communication parts (roofline time_per_output_token_s);
``latency_utilization``
reports that sum against the budget so a plan that hits no single wall but misses the target is still flagged.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from llmwalls.engine.power import Site, site_for  # one home for site figures: engine.power
from llmwalls.errors import InputError

if TYPE_CHECKING:
    import numpy.typing as npt

    from llmwalls.specs import ClusterSpec, GpuSpec, ModelSpec

WALLS = ("memory capacity", "memory bandwidth", "compute", "interconnect", "power", "cost")
HOURS_PER_MONTH = 8766.0 / 12.0  # as llmwalls.engine.cost: a twelfth of a 365.25-day year


@dataclass(frozen=True)
class WallsAssumptions:
    """Judgement calls of the walls view itself (each engine keeps its own assumptions)."""

    # Utilisation at which a wall is reported "near": 0.8 leaves 20% headroom, the usual planning margin for
    # capacity (e.g. vLLM's 0.9 memory fraction already spent, a 25% growth quarter would hit it). --near
    near_threshold: float = 0.8
    # GPU utilisation at which facility power is provisioned: 1.0 = every GPU at TDP. A site cap must hold the
    # peak, not the average (power.gpu_power_w between idle and TDP). --power-utilization
    power_utilization: float = 1.0
    # Default per-user decode rate and time-to-first-token when the user gives none. 20 tokens/s is faster
    # than
    # people read (~4-5 words/s) with margin; a TTFT of 2 s is the bound MLPerf Inference's Llama-2-70B server
    # scenario used (judgement: check your product's targets and pass --tokens-per-s-per-user / --ttft-s).
    tokens_per_s_per_user: float = 20.0
    ttft_s: float = 2.0


DEFAULT_ASSUMPTIONS = WallsAssumptions()


# ------------------------------------------------------------------------------------------- uncertainty


@dataclass(frozen=True)
class Efficiencies:
    """The efficiency factors the walls depend on, one value each. None = that engine's own default.

    bandwidth_efficiency: roofline.RooflineAssumptions.bandwidth_efficiency (fraction of datasheet HBM
    bandwidth)
    flops_efficiency:     roofline.RooflineAssumptions.flops_efficiency (fraction of datasheet peak; serving)
    matmul_efficiency:    training.TrainingAssumptions.matmul_fraction_of_mamf
    usable_fraction:      memory.MemoryAssumptions.usable_fraction
    network_efficiency:   collectives.Tiers.out_efficiency (scale-out fabric, training)
    """

    bandwidth_efficiency: float | None = None
    flops_efficiency: float | None = None
    matmul_efficiency: float | None = None
    usable_fraction: float | None = None
    network_efficiency: float | None = None


UNCERTAIN = tuple(f.name for f in dataclasses.fields(Efficiencies))


@dataclass(frozen=True)
class Range:
    low: float
    high: float
    source: str
    relative: bool = False  # the bounds multiply the engine's per-GPU default (resolve_ranges)


# Default ranges (low, high) around each engine's default, and where each comes from. A range is in the
# parameter's own terms; "of default" ranges are multiplied by the engine's per-GPU default at evaluation.
DEFAULT_RANGES: dict[str, Range] = {
    # docs/calibration-roofline.md: at the 0.65 default the four decode cases predict 0.95-1.10x of the
    # published throughput; the efficiency that fits each case exactly is 0.65 / ratio = 0.59
    # (gptfast_70b_tp8,
    # 1.10x) to 0.68 (gptfast_7b_base, 0.95x).
    "bandwidth_efficiency": Range(
        0.59,
        0.68,
        "per-case fits of the four decode cases in docs/calibration-roofline.md "
        "(0.65 / predicted-over-published: 0.59-0.68)",
    ),
    # Prefill GEMMs reach at most the measured matmul peak (MAMF, the roofline default, x1.0) and, end to
    # end in
    # a step, about 0.70 of it (the cluster calibration's matmul_fraction_of_mamf): x0.70..x1.0 of the
    # default.
    "flops_efficiency": Range(
        0.70,
        1.0,
        "x0.70..x1.0 of the GPU's MAMF/peak: training steps reach 0.70 of MAMF "
        "(TrainingAssumptions), a single large GEMM all of it",
        relative=True,
    ),
    # The cluster calibration accepts +-15% per case at 0.70 (TrainingAssumptions docstring):
    # 0.70/1.15..0.70/0.85.
    "matmul_efficiency": Range(0.61, 0.82, "the +-15% band of the training calibration around 0.70 of MAMF"),
    # vLLM --gpu-memory-utilization 0.9 default; deployments run 0.85-0.95 (judgement).
    "usable_fraction": Range(0.85, 0.95, "vLLM's 0.9 default, +-0.05 as deployments set it (judgement)"),
    # InfiniBand NDR: nccl-tests busbw ~40-45 GB/s of the 50 GB/s wire (collectives.LinkEfficiency comment).
    "network_efficiency": Range(0.80, 0.90, "IB NDR nccl-tests busbw 40-45 of 50 GB/s (LinkEfficiency)"),
}


def resolve_ranges(
    ranges: dict[str, Range | float | None], gpu: GpuSpec, weights: str = "bf16"
) -> dict[str, Range | float | None]:
    """Relative ranges -> absolute ones for this GPU: the FLOP/s efficiency bounds multiply the roofline's
    default for the GPU and weight format (its MAMF / peak)."""
    from llmwalls.engine import roofline as rl

    out = dict(ranges)
    for name, value in ranges.items():
        if isinstance(value, Range) and value.relative:
            _, default, _ = rl.efficiencies(gpu, weights, rl.RooflineAssumptions())
            out[name] = Range(
                value.low * default,
                min(1.0, value.high * default),
                f"{value.source} = {value.low * default:.2f}..{min(1.0, value.high * default):.2f}",
            )
    return out


def corners(ranges: dict[str, Range | float | None]) -> dict[str, Efficiencies]:
    """central / pessimistic / optimistic Efficiencies. Every wall's utilisation is non-increasing in every
    efficiency (a faster or larger resource never needs more of itself), so the all-low corner bounds each
    utilisation from above and the all-high corner from below; no interior combination lies outside them.
    A plain number pins that parameter at all three corners; None keeps the engine default (no range)."""
    central: dict[str, float | None] = {}
    low: dict[str, float | None] = {}
    high: dict[str, float | None] = {}
    for name in UNCERTAIN:
        value = ranges.get(name)
        if isinstance(value, Range):
            central[name] = None
            low[name], high[name] = value.low, value.high
        else:
            central[name] = low[name] = high[name] = value
    return {
        "central": Efficiencies(**central),
        "pessimistic": Efficiencies(**low),
        "optimistic": Efficiencies(**high),
    }


def parse_range(text: str | float, what: str, *, lo: float = 0.0, hi: float = 1.0) -> Range | float:
    """'0.6..0.85' -> Range; '0.7' -> 0.7. Bounds must lie in (lo, hi] and be ascending."""
    s = str(text).strip()
    parts = s.split("..")
    try:
        values = [float(p) for p in parts]
    except ValueError:
        raise InputError(
            f"{what} must be a number or a range low..high (e.g. 0.6..0.85), got {text!r}"
        ) from None
    if len(values) > 2 or not all(math.isfinite(v) and lo < v <= hi for v in values):
        raise InputError(f"{what} must be in ({lo:g}, {hi:g}], as a number or low..high; got {text!r}")
    if len(values) == 1:
        return values[0]
    if values[0] >= values[1]:
        raise InputError(f"{what} range {text!r} is empty or descending; write low..high")
    return Range(values[0], values[1], what)


# --------------------------------------------------------------------------------------------------- sweeps

SWEEP_AXES = ("context", "users", "gpus", "params")


def parse_sweep(text: str) -> tuple[str, np.ndarray]:
    """'context=4k..1M' (geometric, doubling; ':N' for N log-spaced points), 'users=1k,10k,100k' -> (axis,
    ascending values). Tokens use binary k (4k = 4096), counts decimal (1k = 1000)."""
    from llmwalls.units import parse_count, parse_int_count, parse_tokens

    axis, sep, spec = text.partition("=")
    axis = axis.strip().lower()
    if not sep or axis not in SWEEP_AXES:
        raise InputError(
            f"--sweep {text!r}: write AXIS=LOW..HIGH or AXIS=A,B,C with AXIS one of {', '.join(SWEEP_AXES)}"
        )
    parse = {
        "context": lambda s: float(parse_tokens(s, "--sweep context")),
        "users": lambda s: float(parse_int_count(s, "--sweep users")),
        "gpus": lambda s: float(parse_int_count(s, "--sweep gpus")),
        "params": lambda s: float(parse_count(s, "--sweep params")),
    }[axis]
    spec = spec.strip()
    points = None
    if ":" in spec:
        spec, _, n_text = spec.rpartition(":")
        if not n_text.isdigit() or not 2 <= int(n_text) <= 200:
            raise InputError(f"--sweep {text!r}: the point count after ':' must be a whole number 2..200")
        points = int(n_text)
    if ".." in spec:
        lo_text, _, hi_text = spec.partition("..")
        lo, hi = parse(lo_text), parse(hi_text)
        if hi <= lo:
            raise InputError(
                f"--sweep {text!r}: the range is empty or descending ({lo_text} .. {hi_text}); "
                "write LOW..HIGH with LOW < HIGH"
            )
        if points is None:
            steps = math.log2(hi / lo)
            points = min(int(math.floor(steps + 1e-9)) + 1, 25) if steps <= 24 else 25
            if points < 2:
                points = 2
            values = lo * 2.0 ** np.arange(points) if steps <= 24 else np.geomspace(lo, hi, points)
            if values[-1] < hi * (1 - 1e-9):
                values = np.append(values, hi)
        else:
            values = np.geomspace(lo, hi, points)
        if axis != "params":
            values = np.round(values)
    else:
        items = [s for s in spec.split(",") if s.strip()]
        if not items:
            raise InputError(f"--sweep {text!r}: no values")
        values = np.array([parse(s) for s in items])
        if np.any(np.diff(values) <= 0):
            raise InputError(f"--sweep {text!r}: list the values in ascending order without repeats")
    return axis, np.unique(values) if axis != "params" else values


def scaled_model(spec: ModelSpec, params: float) -> ModelSpec:
    """A model of the same architecture with ``params`` total parameters, by changing the layer count only
    (hidden size, heads, vocabulary and MoE shape kept): layers = round((params - embedding/head/final norm) /
    parameters per layer), at least 1. Kaplan et al. 2020 (sec 3.1) find loss depends weakly on the shape at
    fixed N, so depth-only scaling is a fair stand-in for a family member; the real family member may differ
    (e.g. Llama-3.1-405B is wider, not only deeper, than 70B)."""
    from llmwalls.engine.model import param_counts

    c = param_counts(spec)
    fixed = float(c.embedding + (0 if spec.tied_embeddings else c.lm_head))
    per_layer = (float(c.total) - fixed) / spec.layers
    layers = max(1, int(round((params - fixed) / per_layer)))
    update: dict[str, Any] = {"layers": layers, "name": f"{spec.name}-as-{layers}-layers"}
    if spec.moe is not None and spec.moe.dense_layers >= layers:
        update["moe"] = spec.moe.model_copy(update={"dense_layers": max(0, layers - 1)})
    return spec.model_copy(update=update)


# ----------------------------------------------------------------------------------------------- helpers


def status(utilization: npt.ArrayLike, near: float = DEFAULT_ASSUMPTIONS.near_threshold) -> np.ndarray:
    """'hit' above 1, 'near' from the threshold, 'ok' below, 'n/a' without a limit (NaN); array of str."""
    u = np.asarray(utilization, dtype=float)
    out = np.where(u > 1.0, "hit", np.where(u >= near, "near", "ok"))
    return np.where(np.isnan(u), "n/a", out)


def binding(walls: dict[str, dict[str, Any]]) -> tuple[np.ndarray, np.ndarray]:
    """Name of the wall with the highest utilisation at every point (NaN walls ignored), and that
    utilisation."""
    names = [w for w in WALLS if w in walls]
    stack = np.stack(np.broadcast_arrays(*(np.asarray(walls[w]["utilization"], dtype=float) for w in names)))
    filled = np.where(np.isnan(stack), -np.inf, stack)
    idx = np.argmax(filled, axis=0)
    return np.asarray(names, dtype=object)[idx], np.max(filled, axis=0)


def _wall(demand: npt.ArrayLike, limit: npt.ArrayLike, unit: str, **extra: Any) -> dict[str, Any]:
    demand, limit = (
        np.array(x, dtype=float)
        for x in np.broadcast_arrays(np.asarray(demand, dtype=float), np.asarray(limit, dtype=float))
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        util = np.where(
            limit > 0, demand / np.where(limit > 0, limit, 1.0), np.where(demand > 0, np.inf, 0.0)
        )
    util = np.where(np.isnan(limit), np.nan, util)
    return {"demand": demand, "limit": limit, "unit": unit, "utilization": util, **extra}


def _power_and_cost(
    gpus: npt.ArrayLike, site: Site, a: WallsAssumptions, *, gpu_hours: npt.ArrayLike | None = None
) -> dict[str, dict[str, Any]]:
    """Facility power of `gpus` GPUs vs the site cap, and $ vs the budget (monthly, or for gpu_hours)."""
    from llmwalls.engine import cost as cost_eng
    from llmwalls.engine import power as pw

    board = pw.gpu_power_w(site.tdp_w, site.idle_w, a.power_utilization)
    p = pw.cluster_power(
        gpu_w=board,
        gpus=gpus,
        gpus_per_node=site.gpus_per_node,
        node_overhead_w=site.node_overhead_w,
        pue=site.pue,
        rack_limit_w=site.rack_limit_w,
        gpus_per_rack=site.gpus_per_rack,
        fixed_rack=site.fixed_rack,
    )
    facility = p["facility_w"]
    power = _wall(
        facility,
        np.nan if site.site_w is None else site.site_w,
        "W",
        it_w=p["it_w"],
        facility_w_per_gpu=facility / np.maximum(p["gpus"], 1.0),
    )
    if site.usd_per_gpu_hour is None:
        usd = np.full(np.shape(facility), np.nan)
    else:
        hours = np.asarray(gpus, dtype=float) * HOURS_PER_MONTH if gpu_hours is None else gpu_hours
        usd = cost_eng.run_cost_usd(hours, site.usd_per_gpu_hour)
    cost = _wall(
        usd,
        np.nan if site.budget_usd is None else site.budget_usd,
        "USD/month" if gpu_hours is None else "USD",
    )
    return {"power": power, "cost": cost}


# ---------------------------------------------------------------------------------------------- serving


def choose_tp(
    model: ModelSpec,
    gpu: GpuSpec,
    *,
    users: npt.ArrayLike,
    context_tokens: npt.ArrayLike,
    gpus: float | None,
    domain_gpus: int,
    weights: str = "bf16",
    kv_dtype: str = "bf16",
    usable_fraction: float | None = None,
) -> int:
    """Smallest tensor-parallel degree (powers of two dividing the heads, within the scale-up domain and the
    GPU count) whose replicas hold their share of the users in memory; the largest such TP when none does.
    gpus None: as many GPUs as one replica needs."""
    from llmwalls.engine import memory as mem

    ma = (
        mem.DEFAULT_ASSUMPTIONS
        if usable_fraction is None
        else dataclasses.replace(mem.DEFAULT_ASSUMPTIONS, usable_fraction=usable_fraction)
    )
    limit = domain_gpus if gpus is None else max(1, min(domain_gpus, int(gpus)))
    t = np.asarray(mem.tp_candidates(model, limit), dtype=float)
    replicas = np.ones_like(t) if gpus is None else np.floor(gpus / t)  # gpus None: one replica of each TP
    batch = np.ceil(users / replicas)
    m = mem.serving_memory_per_gpu(
        model,
        batch=batch,
        context_tokens=context_tokens,
        tp=t,
        weights=weights,
        kv_dtype=kv_dtype,
        assumptions=ma,
    )
    ok = np.nonzero(m["total"] <= mem.usable_bytes(gpu.memory_capacity_bytes, ma))[0]
    return int(t[ok[0]]) if ok.size else int(t[-1])


def serving_walls(
    model: ModelSpec,
    gpu: GpuSpec,
    site: Site,
    *,
    gpus: npt.ArrayLike,
    tp: npt.ArrayLike,
    users: npt.ArrayLike,
    context_tokens: npt.ArrayLike,
    prompt_tokens: npt.ArrayLike | None = None,
    tokens_per_s_per_user: float | None = None,
    ttft_s: float | None = None,
    weights: str = "bf16",
    kv_dtype: str = "bf16",
    eff: Efficiencies = Efficiencies(),
    assumptions: WallsAssumptions = DEFAULT_ASSUMPTIONS,
) -> dict:
    """Every wall of a serving plan at each broadcast point of (gpus, tp, users, context_tokens,
    prompt_tokens). Returns {"walls": {name: wall dict}, "binding": names, "max_utilization", plus the plan's
    figures}."""
    from llmwalls.engine import memory as mem
    from llmwalls.engine import roofline as rl

    a = assumptions
    tps_target = a.tokens_per_s_per_user if tokens_per_s_per_user is None else tokens_per_s_per_user
    ttft_target = a.ttft_s if ttft_s is None else ttft_s
    prompt = context_tokens if prompt_tokens is None else prompt_tokens
    gpus, tp, users, context, prompt = np.broadcast_arrays(
        *(np.asarray(x, dtype=float) for x in (gpus, tp, users, context_tokens, prompt))
    )
    prompt = np.minimum(prompt, context)
    if np.any(gpus < tp):
        raise InputError(f"{int(np.min(gpus))} GPUs cannot hold one replica at TP {int(np.max(tp))}")
    replicas = np.floor(gpus / tp)
    batch = np.ceil(users / replicas)

    ma = mem.DEFAULT_ASSUMPTIONS
    if eff.usable_fraction is not None:
        ma = dataclasses.replace(ma, usable_fraction=eff.usable_fraction)
    usable = mem.usable_bytes(gpu.memory_capacity_bytes, ma)
    m = mem.serving_memory_per_gpu(
        model, batch=batch, context_tokens=context, tp=tp, weights=weights, kv_dtype=kv_dtype, assumptions=ma
    )
    capacity = _wall(
        m["total"],
        usable,
        "bytes",
        weights_bytes=m["weights"],
        kv_cache_bytes=m["kv_cache"],
        reserve_bytes=m["reserve"],
    )

    ra = rl.RooflineAssumptions(bandwidth_efficiency=eff.bandwidth_efficiency)
    if eff.flops_efficiency is not None:
        ra = dataclasses.replace(ra, flops_efficiency=eff.flops_efficiency)
    # One call, two batches on a leading axis: [0] one new prompt (prefill at batch 1), [1] the decode batch.
    both = np.stack([np.ones_like(batch), batch])
    r = rl.roofline(
        model,
        gpu,
        batch=both,
        prompt_tokens=prompt[None],
        context_tokens=context[None],
        tp=tp[None],
        weights=weights,
        kv_dtype=kv_dtype,
        assumptions=ra,
    )
    pre = {k: np.asarray(v)[0] for k, v in r["prefill"].items() if k != "operators"}
    dec = {k: np.asarray(v)[1] for k, v in r["decode"].items() if k != "operators"}
    bw_limit = r["attainable_bandwidth_bytes_per_s"]
    fl_limit = r["attainable_peak_flops_per_s"]
    bandwidth = _wall(
        dec["bytes"] * tps_target,
        bw_limit,
        "bytes/s",
        decode_bytes_per_step=dec["bytes"],
        bandwidth_efficiency=r["bandwidth_efficiency"],
    )
    flops_needed = pre["flops"] / ttft_target + dec["flops"] * tps_target
    compute = _wall(
        flops_needed,
        fl_limit,
        "FLOP/s",
        prefill_flops=pre["flops"],
        ttft_s=np.asarray(r["ttft_s"])[0],
        decode_flops_per_step=dec["flops"],
        flops_efficiency=r["flops_efficiency"],
    )
    interconnect = _wall(dec["comm_time_s"], np.full_like(batch, 1.0 / tps_target), "s")
    pc = _power_and_cost(replicas * tp, site, a)
    walls = {
        "memory capacity": capacity,
        "memory bandwidth": bandwidth,
        "compute": compute,
        "interconnect": interconnect,
        **pc,
    }
    names, top = binding(walls)
    decode_time = np.asarray(r["time_per_output_token_s"])[1]
    return {
        "mode": "serving",
        "walls": walls,
        "binding": names,
        "max_utilization": top,
        "gpus": gpus,
        "gpus_used": replicas * tp,
        "tp": tp,
        "replicas": replicas,
        "users": users,
        "batch_per_replica": batch,
        "context_tokens": context,
        "prompt_tokens": prompt,
        "tokens_per_s_per_user_target": tps_target,
        "ttft_s_target": ttft_target,
        "decode_time_per_token_s": decode_time,
        "tokens_per_s_per_user": 1.0 / decode_time,
        "ttft_s": np.asarray(r["ttft_s"])[0],
        # The phases add up: the decode step's real time against one token's budget (module docstring).
        "latency_utilization": decode_time * tps_target,
        "usable_bytes_per_gpu": usable + 0.0 * batch,
    }


# --------------------------------------------------------------------------------------------- training


def training_walls(
    model: ModelSpec,
    gpu: GpuSpec,
    cluster: ClusterSpec,
    site: Site,
    *,
    gpus: int,
    seq_len: int,
    global_batch: int,
    tokens: float,
    deadline_s: float | None,
    eff: Efficiencies = Efficiencies(),
    assumptions: WallsAssumptions = DEFAULT_ASSUMPTIONS,
    fixed: dict | None = None,
    precision: str = "bf16",
    flash_attention: bool = True,
) -> dict:
    """Every wall of a training run on ``gpus`` GPUs of ``cluster``: the layout llmwalls.engine.plan picks
    (the fastest that fits, or the one needing the least memory when none fits). Scalars out. precision: the
    linear GEMMs' recipe (engine.precision); flash_attention False for runs without it (engine.training)."""
    from llmwalls.engine import training as tr
    from llmwalls.engine.collectives import Tiers
    from llmwalls.engine.memory import DEFAULT_ASSUMPTIONS as MEM
    from llmwalls.engine.memory import training_usable_bytes, usable_bytes
    from llmwalls.engine.plan import plan_training

    ta = dataclasses.replace(tr.DEFAULT_ASSUMPTIONS, flash_attention=bool(flash_attention))
    if eff.matmul_efficiency is not None:
        ta = dataclasses.replace(ta, matmul_fraction_of_mamf=eff.matmul_efficiency)
    tiers = Tiers.from_cluster(cluster)
    if eff.network_efficiency is not None:
        tiers = dataclasses.replace(tiers, out_efficiency=eff.network_efficiency)
    # training budget: the device less the training reserve (memory.training_usable_bytes), unless a usable
    # fraction is given
    if eff.usable_fraction is None:
        usable = training_usable_bytes(gpu.memory_capacity_bytes, MEM)
    else:
        usable = usable_bytes(
            gpu.memory_capacity_bytes, dataclasses.replace(MEM, usable_fraction=eff.usable_fraction)
        )
    p = plan_training(
        model,
        gpu,
        tiers,
        gpus=int(gpus),
        train_tokens=tokens,
        seq_len=int(seq_len),
        global_batch=int(global_batch),
        fixed=fixed,
        assumptions=ta,
        usable_bytes=usable,
        precision=precision,
    )
    if not p["found"]:
        raise InputError(
            f"no valid layout of {model.name} on {int(gpus):,} GPUs (global batch {global_batch}, "
            f"context {seq_len}); change --gpus or the batch"
        )
    one, layout = p["step"], p["layout"]
    seconds, gpu_hours = np.asarray(p["time_to_train_s"]), np.asarray(p["gpu_hours"])
    capacity = _wall(one["memory_bytes"], usable, "bytes")
    bandwidth = _wall(np.nan, np.nan, "bytes/s", note="training: HBM-bound kernels are inside the step time")
    compute = _wall(
        seconds,
        np.nan if deadline_s is None else deadline_s,
        "s",
        compute_share=one["compute_time_s"] / one["step_time_s"],
    )
    interconnect = _wall(one["exposed_comm_time_s"], one["compute_time_s"], "s")
    pc = _power_and_cost(np.asarray(float(gpus)), site, assumptions, gpu_hours=gpu_hours)
    walls = {
        "memory capacity": capacity,
        "memory bandwidth": bandwidth,
        "compute": compute,
        "interconnect": interconnect,
        **pc,
    }
    names, top = binding(walls)
    return {
        "mode": "training",
        "walls": walls,
        "binding": names,
        "max_utilization": top,
        "gpus": float(gpus),
        "layout": layout,
        "fits": bool(one["fits"]),
        "step_time_s": one["step_time_s"],
        "mfu": one["mfu"],
        "tokens_per_s": one["tokens_per_s"],
        "time_to_train_s": seconds,
        "gpu_hours": gpu_hours,
        "tokens": float(tokens),
        "seq_len": float(seq_len),
        "global_batch": float(global_batch),
        "usable_bytes_per_gpu": usable,
    }


def stack_points(points: list[dict]) -> dict:
    """Results of several scalar evaluations (a loop over sweep points) as one result of 1-d arrays."""
    first = points[0]
    out: dict = {"mode": first["mode"], "walls": {}}
    for w in first["walls"]:
        wall = {"unit": first["walls"][w]["unit"]}
        for k in first["walls"][w]:
            if k != "unit" and k != "note":
                wall[k] = np.array([np.asarray(p["walls"][w][k], dtype=float) for p in points])
        out["walls"][w] = wall
    for k, v in first.items():
        if k in ("walls", "mode"):
            continue
        if isinstance(v, dict):
            out[k] = [p[k] for p in points]
        else:
            out[k] = np.array([np.asarray(p[k]) for p in points])
    return out


# ------------------------------------------------------------------------------------------ sweep answers


def first_hit(values: npt.ArrayLike, utilization: npt.ArrayLike) -> float | None:
    """The first swept value (ascending axis) at which a utilisation exceeds 1, or None."""
    u = np.asarray(utilization, dtype=float)
    hit = np.nonzero(u > 1.0)[0]
    return float(np.asarray(values)[hit[0]]) if hit.size else None


def clear_from(values: npt.ArrayLike, utilization: npt.ArrayLike) -> float | None:
    """The swept value from which a wall that is hit at the start of the sweep stays at or under 1 (walls that
    more GPUs relieve), or None when it is not hit at the start or never clears."""
    u = np.asarray(utilization, dtype=float)
    if u.size == 0 or not u[0] > 1.0:
        return None
    hit = np.nonzero(u > 1.0)[0]
    last = int(hit[-1])
    return float(np.asarray(values)[last + 1]) if last + 1 < u.size else None


def sweep_answers(values: npt.ArrayLike, result: dict[str, Any]) -> dict[str, Any]:
    """For each wall, the swept value where it is first hit (and, for a wall hit from the start, where it
    clears); which wall is hit first (earliest value; ties go to the higher utilisation there); and the swept
    values at which no wall is hit (first and last)."""
    xs = np.asarray(values, dtype=float)
    firsts = {w: first_hit(xs, result["walls"][w]["utilization"]) for w in result["walls"]}
    clears = {w: clear_from(xs, result["walls"][w]["utilization"]) for w in result["walls"]}
    hit = [
        (v, -float(np.asarray(result["walls"][w]["utilization"])[list(xs).index(v)]), w)
        for w, v in firsts.items()
        if v is not None
    ]
    first = min(hit)[2] if hit else None
    any_hit: np.ndarray = np.zeros(xs.size, dtype=np.bool_)
    for w in result["walls"]:
        any_hit = any_hit | (np.asarray(result["walls"][w]["utilization"], dtype=float) > 1.0)
    ok = np.nonzero(np.logical_not(any_hit))[0]
    feasible = [float(xs[ok[0]]), float(xs[ok[-1]])] if ok.size else None
    return {
        "first_hit": firsts,
        "clear_from": clears,
        "first_wall": first,
        "first_value": firsts[first] if first else None,
        "no_wall_hit": feasible,
    }


__all__ = [
    "DEFAULT_ASSUMPTIONS",
    "DEFAULT_RANGES",
    "Efficiencies",
    "Range",
    "Site",
    "WALLS",
    "WallsAssumptions",
    "binding",
    "choose_tp",
    "corners",
    "resolve_ranges",
    "first_hit",
    "parse_range",
    "parse_sweep",
    "scaled_model",
    "serving_walls",
    "site_for",
    "stack_points",
    "status",
    "sweep_answers",
    "training_walls",
]


# -------------------------------------------------------------------------------------------- what fixes it


def cluster_for_gpu(cluster: ClusterSpec, gpu: GpuSpec) -> ClusterSpec:
    """A cluster profile's node, fabric and facility figures for another GPU (e.g. an H100 DGX layout for B200
    nodes): the scale-up bandwidth becomes that GPU's own (its profile's scale_up_bandwidth_bytes_per_s); node
    overhead, NICs, PUE and racks are kept. An approximation, stated wherever it is used."""
    if cluster.gpu == gpu.name:
        return cluster
    update: dict[str, Any] = {"gpu": gpu.name, "name": f"{cluster.name}-with-{gpu.name}"}
    if gpu.scale_up_bandwidth_bytes_per_s:
        update["intra_node_bandwidth_bytes_per_s"] = gpu.scale_up_bandwidth_bytes_per_s
    return cluster.model_copy(update=update)


GPU_FIXABLE = ("memory capacity", "memory bandwidth", "compute", "interconnect")


def _gpu_bound_utilizations(
    model: ModelSpec,
    gpu: GpuSpec,
    site: Site,
    gpus: npt.ArrayLike,
    tp: npt.ArrayLike,
    users: float,
    context_tokens: float,
    **load: Any,
) -> np.ndarray:
    """The utilisations of the walls more or other GPUs relieve (GPU_FIXABLE), stacked on a leading axis,
    of a serving plan at every broadcast point of (gpus, tp): what the GPU-count and TP searches compare."""
    res = serving_walls(
        model, gpu, site, gpus=gpus, tp=tp, users=users, context_tokens=context_tokens, **load
    )
    return np.stack(
        np.broadcast_arrays(*(np.asarray(res["walls"][w]["utilization"], dtype=float) for w in GPU_FIXABLE))
    )


def serving_gpus_needed(
    model: ModelSpec,
    gpu: GpuSpec,
    site: Site,
    *,
    users: float,
    context_tokens: float,
    prompt_tokens: float | None = None,
    tokens_per_s_per_user: float | None = None,
    ttft_s: float | None = None,
    weights: str = "bf16",
    kv_dtype: str = "bf16",
    eff: Efficiencies = Efficiencies(),
    assumptions: WallsAssumptions = DEFAULT_ASSUMPTIONS,
    max_gpus: float = 1e7,
) -> dict:
    """Fewest GPUs (and the TP) that bring every GPU-bound wall (memory capacity, bandwidth, compute,
    interconnect) to utilisation <= 1 for this load: one vectorised evaluation over every TP candidate x a
    geometric grid of replica counts, then an exact pass between the last failing and first passing grid
    points.
    Returns {"gpus", "tp", "replicas", "found"}; found False when no TP within the scale-up domain helps
    (e.g. a
    token-rate target one replica cannot reach even alone: a faster GPU or a lower target is needed)."""
    from llmwalls.engine import memory as mem

    tps = np.asarray(mem.tp_candidates(model, max(1, site.domain_gpus)), dtype=float)
    if gpu.scale_up_bandwidth_bytes_per_s is None:
        tps = tps[:1]
    r_max = max(1.0, min(float(users), max_gpus))
    grid = np.unique(np.round(np.geomspace(1.0, r_max, 200)))
    load: dict[str, Any] = {
        "prompt_tokens": prompt_tokens,
        "tokens_per_s_per_user": tokens_per_s_per_user,
        "ttft_s": ttft_s,
        "weights": weights,
        "kv_dtype": kv_dtype,
        "eff": eff,
        "assumptions": assumptions,
    }

    def ok_at(tp_col: np.ndarray, reps: np.ndarray) -> np.ndarray:
        u = _gpu_bound_utilizations(model, gpu, site, tp_col * reps, tp_col, users, context_tokens, **load)
        return np.logical_not(np.any(u > 1.0, axis=0))

    ok = ok_at(tps[:, None], grid[None, :])
    best = None
    for i, t in enumerate(tps):
        idx = np.nonzero(ok[i])[0]
        if idx.size == 0:
            continue
        j = int(idx[0])
        lo = grid[j - 1] + 1 if j > 0 else 1.0
        fine = np.arange(lo, grid[j] + 1)
        fine_ok = ok_at(np.full_like(fine, t), fine)
        reps = float(fine[np.argmax(fine_ok)]) if fine_ok.any() else float(grid[j])
        cand = (t * reps, t, reps)
        if best is None or cand[0] < best[0]:
            best = cand
    if best is None:
        return {"gpus": math.nan, "tp": math.nan, "replicas": math.nan, "found": False}
    return {"gpus": best[0], "tp": best[1], "replicas": best[2], "found": True}


def facility_w(
    gpus: npt.ArrayLike, site: Site, assumptions: WallsAssumptions = DEFAULT_ASSUMPTIONS
) -> np.ndarray:
    """Facility watts of `gpus` GPUs at the provisioning utilisation (the power wall's demand)."""
    return _power_and_cost(gpus, site, assumptions)["power"]["demand"]


def best_tp(
    model: ModelSpec,
    gpu: GpuSpec,
    site: Site,
    *,
    gpus: float,
    users: float,
    context_tokens: float,
    prompt_tokens: float | None = None,
    tokens_per_s_per_user: float | None = None,
    ttft_s: float | None = None,
    weights: str = "bf16",
    kv_dtype: str = "bf16",
    eff: Efficiencies = Efficiencies(),
    assumptions: WallsAssumptions = DEFAULT_ASSUMPTIONS,
) -> int:
    """The tensor-parallel degree (powers of two dividing the heads, within the scale-up domain and the GPUs)
    whose plan has the lowest highest utilisation over the GPU-bound walls: one vectorised evaluation over the
    candidates. Ties go to the smaller TP (more replicas, less all-reduce)."""
    from llmwalls.engine import memory as mem

    limit = max(1, min(site.domain_gpus, int(gpus)))
    tps = np.asarray(mem.tp_candidates(model, limit), dtype=float)
    if gpu.scale_up_bandwidth_bytes_per_s is None:
        tps = tps[:1]
    u = _gpu_bound_utilizations(
        model,
        gpu,
        site,
        float(gpus),
        tps,
        users,
        context_tokens,
        prompt_tokens=prompt_tokens,
        tokens_per_s_per_user=tokens_per_s_per_user,
        ttft_s=ttft_s,
        weights=weights,
        kv_dtype=kv_dtype,
        eff=eff,
        assumptions=assumptions,
    )
    worst = np.max(u, axis=0)
    return int(tps[int(np.argmin(np.round(worst, 6)))])
