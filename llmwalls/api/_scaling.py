"""Compute-optimal sizing as a library call: "with G GPUs of type X for D days at MFU m, the compute-optimal
model and its loss", by every published method side by side (llmwalls.engine.scaling_laws). `cluster` uses
the same rows for the compute-optimal line of a planned run (llmwalls.api._cluster).

The budget is C = G x peak x m x D x 86,400 s, with the GPU profile's dense peak for the training precision.
Nothing here prints.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from llmwalls.errors import InputError

if TYPE_CHECKING:
    from llmwalls.specs import GpuSpec


@dataclass(frozen=True)
class ScalingLawRow:
    """One method's compute-optimal parameters and tokens for a budget, and the Chinchilla-fit loss there
    (Besiroglu et al. 2024's corrected fit, whatever the method, so rows compare at equal compute)."""

    method: str
    params: float
    tokens: float
    tokens_per_param: float
    loss: float


@dataclass(frozen=True)
class ComputeOptimalReport:
    """The budget and the compute-optimal model by ``method`` (``optimum``), with every method's row."""

    gpu: str | None
    gpus: float | None
    days: float | None
    mfu: float | None
    peak_flops_per_s: float | None
    compute_flops: float
    method: str
    optimum: ScalingLawRow
    methods: tuple[ScalingLawRow, ...]


def scaling_rows(compute_flops: float) -> tuple[ScalingLawRow, ...]:
    """Every method of engine.scaling_laws.METHODS at one budget, in that order."""
    from llmwalls.engine.scaling_laws import METHODS, compute_optimal

    rows = []
    for m in METHODS:
        r = compute_optimal(compute_flops, m)
        rows.append(
            ScalingLawRow(
                method=m,
                params=float(r["params"]),
                tokens=float(r["tokens"]),
                tokens_per_param=float(r["tokens_per_param"]),
                loss=float(r["loss"]),
            )
        )
    return tuple(rows)


def pick(rows: tuple[ScalingLawRow, ...], method: str) -> ScalingLawRow:
    """The row of ``method``; InputError naming the methods when there is none."""
    for r in rows:
        if r.method == method:
            return r
    raise InputError(f"unknown scaling law {method!r}; use one of {', '.join(r.method for r in rows)}")


def compute_optimal(
    *,
    compute_flops: float | None = None,
    gpu: str | GpuSpec | None = None,
    gpus: float | None = None,
    days: float | None = None,
    mfu: float = 0.40,
    dtype: str = "bf16",
    method: str | None = None,
) -> ComputeOptimalReport:
    """The compute-optimal model for ``compute_flops`` FLOPs, or for ``gpus`` GPUs of type ``gpu`` for
    ``days`` days at ``mfu`` of the GPU's dense ``dtype`` peak (C = G x peak x m x D x 86,400 s).
    ``method``: one of engine.scaling_laws.METHODS (default: "chinchilla-refit")."""
    from llmwalls.api._planning import resolve_gpu
    from llmwalls.engine.scaling_laws import DEFAULT_METHOD, budget_flops

    chosen = DEFAULT_METHOD if method is None else method
    spec = None
    peak: float | None = None
    if compute_flops is None:
        if gpu is None or gpus is None or days is None:
            raise InputError("give compute_flops, or gpu, gpus and days")
        spec = resolve_gpu(gpu)
        peak = spec.peak_flops_per_s.for_dtype(dtype)
        if peak is None:
            raise InputError(f"{spec.name} has no dense {dtype} peak")
        c = float(budget_flops(gpus, days, peak, mfu))
    else:
        c = float(compute_flops)
    rows = scaling_rows(c)
    return ComputeOptimalReport(
        gpu=None if spec is None else spec.name,
        gpus=None if compute_flops is not None else gpus,
        days=None if compute_flops is not None else days,
        mfu=None if compute_flops is not None else mfu,
        peak_flops_per_s=peak,
        compute_flops=c,
        method=chosen,
        optimum=pick(rows, chosen),
        methods=rows,
    )


__all__ = ["ComputeOptimalReport", "ScalingLawRow", "compute_optimal", "pick", "scaling_rows"]
