"""Whole-run goodput: the share of a training run's wall-clock time that runs steady-state training steps.

    wall-clock = steady-state time / goodput,   GPU-hours = wall-clock x GPUs / 3,600
    goodput    = 1 - (failure rework + restarts + checkpoint stalls) - warm-up share - evaluation share

Failure rework, restarts and checkpoint stalls come from engine.reliability (Young 1974, Daly 2006:
first-order model, exponential failures at a per-GPU-hour rate, one failure stops the whole synchronous job):
    checkpoint stalls  C / tau        (C = checkpoint bytes / storage bandwidth, tau = Young's sqrt(2 C M))
    rework             tau / 2 / M    (M = job MTBF = 1 / (rate x GPUs))
    restarts           R / M
Warm-up (job start, data-loader and compilation warm-up, batch-size ramp at lower throughput) and evaluation
(held-out loss and benchmark passes during the run) are shares of wall time, named and overridable.

Every part is a field of GoodputAssumptions; run_goodput returns the breakdown.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from llmwalls.engine import reliability as rel


@dataclass(frozen=True)
class GoodputAssumptions:
    """The parts of whole-run goodput (all overridable)."""

    # Job-stopping failures per GPU-hour: Llama 3 sec 3.3.4, 419 unexpected interruptions in 54 days on
    # 16,384 H100s (engine.reliability.LLAMA3_FAILURES_PER_GPU_HOUR = 1.97e-5).
    gpu_failures_per_hour: float = rel.LLAMA3_FAILURES_PER_GPU_HOUR
    # Seconds from a failure until training computes again (engine.reliability.ReliabilityAssumptions:
    # 10 min, Daly 2006's worked examples).
    restart_s: float = 600.0
    # Aggregate checkpoint write bandwidth (Llama 3 sec 3.3.1: Tectonic sustained 2 TB/s).
    storage_bandwidth_bytes_per_s: float = rel.LLAMA3_STORAGE_SUSTAINED_BYTES_PER_S
    # Checkpoint interval, seconds of compute; 0 = Young's optimum sqrt(2 C M).
    checkpoint_interval_s: float = 0.0
    # Share of wall time spent warming up: job start-up, the first steps' compilation and autotuning, the
    # batch-size ramp (Llama 3 sec 3.4.1 ramps 4M -> 8M -> 16M tokens per step over the first 2.87T tokens).
    # Judgement: 3%, chosen on the split=choose gpu_hours cases (docs/validation.md).
    warmup_fraction: float = 0.03
    # Share of wall time spent on evaluation passes during training (held-out loss, benchmark suites).
    # Judgement: 2%, chosen with warmup_fraction. Llama 3 sec 3.3.4 reports "higher than 90% effective
    # training time" in total: these two plus failures and checkpoints at its scale stay within that.
    evaluation_fraction: float = 0.02


DEFAULT_GOODPUT = GoodputAssumptions()


def run_goodput(
    steady_time_s: float,
    gpus: float,
    assumptions: GoodputAssumptions = DEFAULT_GOODPUT,
    *,
    params: float | None = None,
) -> dict[str, float]:
    """Goodput and its parts for a run of `steady_time_s` seconds of steady-state steps on `gpus` GPUs.

    params: model parameters (checkpoint size: engine.reliability.checkpoint_bytes, bf16 + fp32 Adam);
    None = no checkpoint stalls counted. Returns fractions of wall time (checkpoint, rework, restart,
    warm-up, evaluation, goodput), the job MTBF, checkpoint interval, wall_clock_s and gpu_hours.
    """
    a = assumptions
    mtbf = float(rel.job_mtbf_s(gpus, gpu_failures_per_hour=a.gpu_failures_per_hour))
    if params is not None and params > 0:
        ckpt_s = float(
            rel.checkpoint_write_time_s(rel.checkpoint_bytes(params), a.storage_bandwidth_bytes_per_s)
        )
        tau = a.checkpoint_interval_s or float(rel.young_interval_s(ckpt_s, mtbf))
    else:
        ckpt_s = 0.0
        tau = a.checkpoint_interval_s or float(np.sqrt(2.0 * 60.0 * mtbf))
    waste = rel.waste_fractions(tau, ckpt_s, a.restart_s, mtbf)
    parts = {
        "checkpoint_fraction": float(waste["waste_checkpoint_fraction"]),
        "rework_fraction": float(waste["waste_rework_fraction"]),
        "restart_fraction": float(waste["waste_restart_fraction"]),
        "warmup_fraction": float(a.warmup_fraction),
        "evaluation_fraction": float(a.evaluation_fraction),
    }
    good = max(1.0 - sum(parts.values()), 0.05)  # floor: beyond the first-order model's validity
    wall = float(steady_time_s) / good
    return {
        **parts,
        "goodput": good,
        "job_mtbf_s": mtbf,
        "checkpoint_write_s": ckpt_s,
        "checkpoint_interval_s": float(tau),
        "steady_time_s": float(steady_time_s),
        "wall_clock_s": wall,
        "gpu_hours": wall * float(gpus) / 3600.0,
    }


__all__ = ["DEFAULT_GOODPUT", "GoodputAssumptions", "run_goodput"]
