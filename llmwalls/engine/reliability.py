"""Failures and checkpoints: how big a checkpoint is, how long it takes to write, how often a job of N GPUs is
interrupted, how often to checkpoint, and the fraction of wall time left for useful work (goodput).

Pure, vectorised numpy: every numeric argument may be a scalar or an array and results broadcast (e.g. a
column of GPU counts for a scaling table). SI units inside (bytes, seconds, bytes/s), except failure rates,
which are per GPU-hour as the sources quote them.

Model (the standard one for synchronous training, where one failed GPU stops the whole job):
- failures are independent and exponential, so a job of N GPUs has MTBF_job = MTBF_gpu / N;
- the job checkpoints every tau seconds of compute, each checkpoint blocks for C seconds, a failure loses on
  average half an interval of work and costs R seconds to restart (reschedule, NCCL init, load checkpoint).

Sources: Young 1974 (CACM 17(9):530-531, "A first order approximation to the optimum checkpoint interval");
Daly 2006 (Future Generation Computer Systems 22(3):303-312, "A higher order estimate of the optimum
checkpoint interval for restart dumps", doi:10.1016/j.future.2004.11.016); Llama 3 (Dubey et al. 2024,
arXiv:2407.21783, sec 3.3.1 'Storage' and 3.3.4 'Reliability and Operational Challenges').
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from llmwalls.engine.checks import non_negative as _non_negative
from llmwalls.engine.checks import positive as _positive
from llmwalls.errors import InputError
from llmwalls.units import DTYPE_BYTES, SECONDS_PER_HOUR

# Llama 3 sec 3.3.4: "During a 54-day snapshot period of pre-training, we experienced a total of 466 job
# interruptions. Of these, 47 were planned [...] The remaining 419 were unexpected interruptions" on the
# 16,384 H100 GPUs of the 405B run (sec 3.3.1). Unexpected ones only (planned maintenance is not a
# failure rate):
LLAMA3_UNEXPECTED_INTERRUPTIONS = 419
LLAMA3_GPUS = 16384
LLAMA3_SNAPSHOT_HOURS = 54 * 24.0
# 419 / (16,384 x 1,296 h) = 1.973e-5 failures per GPU-hour, i.e. a per-GPU MTBF of 50,677 h (5.8 years) and a
# job MTBF of 1,296 / 419 = 3.09 h on 16,384 GPUs. It charges every job-stopping fault (GPU, HBM, network,
# host, software bugs) to "the GPUs": the honest unit for a job, not a GPU datasheet MTBF.
LLAMA3_FAILURES_PER_GPU_HOUR = LLAMA3_UNEXPECTED_INTERRUPTIONS / (LLAMA3_GPUS * LLAMA3_SNAPSHOT_HOURS)

# Llama 3 sec 3.3.1: Tectonic "supports a sustainable throughput of 2 TB/s and a peak throughput of 7 TB/s".
LLAMA3_STORAGE_SUSTAINED_BYTES_PER_S = 2e12


@dataclass(frozen=True)
class ReliabilityAssumptions:
    """Judgement calls of the failure model, each overridable from the command line."""

    gpu_failures_per_hour: float = LLAMA3_FAILURES_PER_GPU_HOUR
    """Job-stopping failures per GPU-hour. Default 1.973e-5 = 419 unexpected interruptions / (16,384 GPUs x
    54 days x 24 h) from Llama 3 sec 3.3.4: the only published per-GPU rate for a frontier-scale H100 run."""

    restart_s: float = 600.0
    """R, seconds from a failure until training computes again (detect, reschedule, NCCL init, load the
    checkpoint). Default 10 min, a judgement call: Daly 2006 uses R = 10 min in his worked examples (figs
    3-5) and recovery at scale is reported as 'tens of minutes' without fast-restart tooling (MegaScale, Jiang
    et al. 2024, as cited by FFTrainer arXiv:2512.03644); Llama 3 says only that it reduced startup time."""

    storage_bandwidth_bytes_per_s: float = LLAMA3_STORAGE_SUSTAINED_BYTES_PER_S
    """Aggregate write bandwidth the whole job sees when it checkpoints. Default 2 TB/s, the sustained
    throughput of Llama 3's Tectonic storage fabric (sec 3.3.1; peak 7 TB/s)."""

    optimizer_moments: int = 2
    """Optimizer state tensors per parameter: 2 for Adam/AdamW (exp_avg, exp_avg_sq), 0 for plain SGD."""

    master_weights: bool = True
    """Whether an fp32 master copy of the weights is kept (and saved) beside low-precision weights: true for
    mixed-precision training in Megatron-LM and PyTorch AMP/FSDP mixed precision."""

    def __post_init__(self) -> None:
        for name, what in (
            ("gpu_failures_per_hour", "GPU failure rate (per GPU-hour)"),
            ("storage_bandwidth_bytes_per_s", "storage bandwidth"),
        ):
            value = getattr(self, name)
            if not (math.isfinite(value) and value > 0):
                raise InputError(f"{what} must be a finite number greater than zero, got {value!r}")
        if not (math.isfinite(self.restart_s) and self.restart_s >= 0):
            raise InputError(f"restart time must be a finite number of seconds >= 0, got {self.restart_s!r}")
        if self.optimizer_moments < 0:
            raise InputError(f"optimizer moments must be >= 0, got {self.optimizer_moments!r}")


DEFAULT_ASSUMPTIONS = ReliabilityAssumptions()

# fp32 master weights and Adam moments are kept in fp32 (4 bytes) by Megatron-LM and PyTorch mixed precision.
OPTIMIZER_STATE_BYTES = 4.0


def checkpoint_bytes_per_param(
    weight_dtype: str = "bf16", *, master_weights: bool = True, optimizer_moments: int = 2
) -> float:
    """Bytes one parameter occupies in a full training checkpoint.

    A Megatron-LM distributed checkpoint stores the model's weights at their training precision plus, under
    'optimizer.state', the fp32 main parameter ('fp32_param') and Adam's 'exp_avg' and 'exp_avg_sq' for every
    parameter (megatron/core/optimizer/distrib_optimizer.py, sharded_param_state_fs_model_space); PyTorch DCP
    with FSDP saves the same model and optimizer state dicts. bf16 + AdamW: 2 + 4 + 4 + 4 = 14 bytes/param
    (the ZeRO paper's 16 bytes/param minus the fp16 gradients, which are not saved; Rajbhandari et al. 2020
    sec 3.1). Training in fp32 has no separate master copy: 4 + 4 + 4 = 12.
    """
    key = weight_dtype.lower()
    if key not in DTYPE_BYTES or key in ("int4", "int8"):
        raise InputError(f"unknown training precision {weight_dtype!r}; use one of fp32, bf16, fp16, fp8")
    weight = DTYPE_BYTES[key]
    master = OPTIMIZER_STATE_BYTES if (master_weights and weight < OPTIMIZER_STATE_BYTES) else 0.0
    return weight + master + optimizer_moments * OPTIMIZER_STATE_BYTES


def checkpoint_bytes(
    params: ArrayLike, weight_dtype: str = "bf16", *, master_weights: bool = True, optimizer_moments: int = 2
) -> np.ndarray:
    """Total bytes of one full checkpoint (all shards together) for a model of `params` parameters."""
    per_param = checkpoint_bytes_per_param(
        weight_dtype, master_weights=master_weights, optimizer_moments=optimizer_moments
    )
    return _positive(params, "parameter count") * per_param


def checkpoint_write_time_s(
    checkpoint_bytes: ArrayLike, storage_bandwidth_bytes_per_s: ArrayLike
) -> np.ndarray:
    """Seconds a blocking checkpoint takes: bytes / aggregate storage write bandwidth."""
    return _positive(checkpoint_bytes, "checkpoint size") / _positive(
        storage_bandwidth_bytes_per_s, "storage bandwidth"
    )


def gpu_mtbf_s(gpu_failures_per_hour: ArrayLike = LLAMA3_FAILURES_PER_GPU_HOUR) -> np.ndarray:
    """Per-GPU mean time between failures, seconds: 1 / rate (exponential failures)."""
    return SECONDS_PER_HOUR / _positive(gpu_failures_per_hour, "GPU failure rate")


def job_mtbf_s(
    gpus: ArrayLike, *, gpu_failures_per_hour: ArrayLike | None = None, gpu_mtbf_s: ArrayLike | None = None
) -> np.ndarray:
    """Mean time between job-stopping failures for a synchronous job on `gpus` GPUs.

    Independent exponential failures add their rates: MTBF_job = MTBF_gpu / N. Give either a per-GPU failure
    rate (per GPU-hour) or a per-GPU MTBF (seconds); the default is the Llama 3 rate
    (LLAMA3_FAILURES_PER_GPU_HOUR).
    """
    n = _positive(gpus, "GPU count")
    if gpu_failures_per_hour is not None and gpu_mtbf_s is not None:
        raise InputError("give either a per-GPU failure rate or a per-GPU MTBF, not both")
    if gpu_mtbf_s is None:
        rate = LLAMA3_FAILURES_PER_GPU_HOUR if gpu_failures_per_hour is None else gpu_failures_per_hour
        gpu_mtbf_s = SECONDS_PER_HOUR / _positive(rate, "GPU failure rate")
    return _positive(gpu_mtbf_s, "per-GPU MTBF") / n


def young_interval_s(checkpoint_s: ArrayLike, mtbf_s: ArrayLike) -> np.ndarray:
    """Young 1974: optimum compute time between checkpoints tau = sqrt(2 C M) (first order, C << M)."""
    return np.sqrt(2.0 * _positive(checkpoint_s, "checkpoint time") * _positive(mtbf_s, "MTBF"))


def daly_interval_s(checkpoint_s: ArrayLike, mtbf_s: ArrayLike) -> np.ndarray:
    """Daly 2006 higher-order optimum (his perturbation solution of the complete cost function):
    tau = sqrt(2 C M) [1 + (1/3) sqrt(C / 2M) + (1/9) (C / 2M)] - C   for C < 2M,  tau = M otherwise.

    Its leading terms are the often-quoted sqrt(2 C M) - C. It reproduces Daly's figs 3-5 (R = 10 min,
    C = 5 min): M = 24 h -> 117 min, M = 6 h -> 57 min, M = 15 min -> 9.1 min, and it is (to those digits) the
    minimiser of the exact expected-run-time model in `goodput_exact`.
    """
    c = _positive(checkpoint_s, "checkpoint time")
    m = _positive(mtbf_s, "MTBF")
    x = c / (2.0 * m)
    tau = np.sqrt(2.0 * c * m) * (1.0 + np.sqrt(x) / 3.0 + x / 9.0) - c
    return np.where(c < 2.0 * m, tau, m)


def waste_fractions(
    interval_s: ArrayLike, checkpoint_s: ArrayLike, restart_s: ArrayLike, mtbf_s: ArrayLike
) -> dict[str, np.ndarray]:
    """First-order waste model (Young 1974; Daly 2006's first-order cost function), as fractions of
    wall time: checkpointing C / tau, re-computing lost work (tau / 2) / M, restarting R / M.
    Minimising their sum over tau gives Young's sqrt(2 C M) exactly. Valid while tau and R are << M."""
    tau = _positive(interval_s, "checkpoint interval")
    c = _non_negative(checkpoint_s, "checkpoint time")
    r = _non_negative(restart_s, "restart time")
    m = _positive(mtbf_s, "MTBF")
    checkpointing = c / tau
    rework = (tau / 2.0) / m
    restart = r / m
    return {
        "waste_checkpoint_fraction": checkpointing,
        "waste_rework_fraction": rework,
        "waste_restart_fraction": restart,
        "waste_fraction": checkpointing + rework + restart,
    }


def goodput(
    interval_s: ArrayLike, checkpoint_s: ArrayLike, restart_s: ArrayLike, mtbf_s: ArrayLike
) -> np.ndarray:
    """Fraction of wall time doing useful work, first order: 1 - (C/tau + (tau/2 + R)/M), floored at 0."""
    waste = waste_fractions(interval_s, checkpoint_s, restart_s, mtbf_s)["waste_fraction"]
    return np.maximum(1.0 - waste, 0.0)


def goodput_exact(
    interval_s: ArrayLike, checkpoint_s: ArrayLike, restart_s: ArrayLike, mtbf_s: ArrayLike
) -> np.ndarray:
    """Useful fraction of wall time under Daly 2006's complete model (exponential failures, failures may also
    strike during checkpoints and restarts): expected wall time per tau of work is
    M e^(R/M) (e^((tau + C)/M) - 1), so goodput = tau / (M e^(R/M) (e^((tau + C)/M) - 1)).
    Agrees with the first-order `goodput` when tau, C, R << M; stays meaningful (never negative) when not."""
    tau = _positive(interval_s, "checkpoint interval")
    c = _non_negative(checkpoint_s, "checkpoint time")
    r = _non_negative(restart_s, "restart time")
    m = _positive(mtbf_s, "MTBF")
    with np.errstate(over="ignore"):
        wall = m * np.exp(r / m) * np.expm1((tau + c) / m)
    return tau / wall


def reliability(
    params: ArrayLike,
    gpus: ArrayLike,
    *,
    weight_dtype: str = "bf16",
    assumptions: ReliabilityAssumptions = DEFAULT_ASSUMPTIONS,
    interval_s: ArrayLike | None = None,
    train_time_s: ArrayLike | None = None,
) -> dict[str, np.ndarray]:
    """Everything the cluster command shows about failures, for one model over (an array of) GPU counts.

    params: parameter count (scalar or array); gpus: GPU count(s); interval_s: checkpoint interval to
    evaluate (default: Young's optimum for each GPU count); train_time_s: failure-free compute time of the run
    (e.g. the step model's time to train), to get the expected wall time and number of failures.
    Returns named arrays broadcast over params x gpus (SI units; fractions in [0, 1]).
    """
    a = assumptions
    ckpt_bytes = checkpoint_bytes(
        params, weight_dtype, master_weights=a.master_weights, optimizer_moments=a.optimizer_moments
    )
    ckpt_s = checkpoint_write_time_s(ckpt_bytes, a.storage_bandwidth_bytes_per_s)
    mtbf = job_mtbf_s(gpus, gpu_failures_per_hour=a.gpu_failures_per_hour)
    young = young_interval_s(ckpt_s, mtbf)
    daly = daly_interval_s(ckpt_s, mtbf)
    tau = young if interval_s is None else _positive(interval_s, "checkpoint interval") + 0.0 * young
    out: dict[str, np.ndarray] = {
        "checkpoint_bytes": ckpt_bytes * np.ones_like(mtbf),
        "checkpoint_write_s": ckpt_s * np.ones_like(mtbf),
        "job_mtbf_s": mtbf * np.ones_like(ckpt_s),
        "young_interval_s": young,
        "daly_interval_s": daly,
        "interval_s": tau,
        "restart_s": np.full_like(young, a.restart_s),
    }
    out.update(waste_fractions(tau, ckpt_s, a.restart_s, mtbf))
    out["goodput"] = np.maximum(1.0 - out["waste_fraction"], 0.0)
    out["goodput_exact"] = goodput_exact(tau, ckpt_s, a.restart_s, mtbf)
    # First-order model outside its validity (interval or restart not small against the MTBF): flag it.
    out["first_order_valid"] = (tau + a.restart_s + ckpt_s) < 0.5 * mtbf
    if train_time_s is not None:
        work = _positive(train_time_s, "training time")
        with np.errstate(divide="ignore"):  # goodput 0 (checkpoints longer than the MTBF allows): never ends
            wall = work / out["goodput_exact"]
        out["wall_time_s"] = wall
        out["expected_failures"] = wall / mtbf
    return out
