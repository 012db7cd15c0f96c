"""A training plan: the parallel layout a run on N GPUs uses, and what it gives (step time, MFU, tokens/s,
time and GPU-hours to train). One place for the choice `llmwalls cluster`, `llmwalls walls`, `llmwalls power`
and `llmwalls cost` all make, so a run's GPU-hours are the same number in every command.

The choice:
    - every valid layout (training.enumerate_layouts, with the given degrees pinned) through the step and
      memory models at once (training.evaluate_layouts, vectorised), ranked by tokens/s among those that
      fit (training.rank_layouts); the fastest wins. Given degrees constrain the search, they do not end
      it: with tp, pp and dp all given, micro-batch, ZeRO stage, recomputation (and interleaving, chosen by
      the step model) are still searched unless pinned too; CP and EP default to 1 there (the degrees
      already multiply to the GPU count);
    - when none fits, the layout needing the least memory, flagged fits = False (the capacity wall).
Memory budget for training: the device's memory less TRAINING reserves (memory.training_usable_bytes),
not a serving engine's utilisation fraction, when the caller passes device_memory_bytes.
Time to train = tokens / tokens per s; GPU-hours = that x GPUs / 3,600 (training.time_to_train).

Pure: specs and numbers in, a dict out; no printing, no files. "No valid layout at all" (e.g. a global
batch no data-parallel degree divides) is the flag found = False, for the caller to word.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from llmwalls.engine import training as tr
from llmwalls.engine.goodput import GoodputAssumptions
from llmwalls.errors import InputError

if TYPE_CHECKING:
    from llmwalls.engine.collectives import Tiers
    from llmwalls.specs import GpuSpec, ModelSpec

# Defaults of a training run when the user leaves them out (the same in every command):
# Llama 3 pre-training sequence length (Llama 3 sec 3.4.1: 8,192 tokens), capped at the model's maximum.
TRAIN_CONTEXT_TOKENS = 8192
# Llama 3 405B: 16M tokens per optimizer step (Llama 3 Table 4), as sequences of the context above.
TRAIN_BATCH_TOKENS = 16 * 2**20
# Training tokens per parameter when no --tokens is given: Chinchilla's compute-optimal ~20 (Hoffmann et al.
# 2022, Table 3 / sec 3: 70B on 1.4T tokens).
TOKENS_PER_PARAM = 20.0

# The layout fields the user did not pin when they gave --tp, --pp and --dp: no CP or EP, one sequence
# per micro-batch, ZeRO-1 (distributed optimizer, Megatron-LM's default), selective recomputation and
# sequence parallelism (Korthikanti et al. 2022: both on by default in Megatron-LM).
DEFAULT_LAYOUT = {"cp": 1, "ep": 1, "micro_batch": 1, "zero_stage": 1, "recompute": 1, "sequence_parallel": 1}

# Figures of the chosen layout that every caller reports (all from training.step_model / evaluate_layouts).
SUMMARY_KEYS = (
    "step_time_s",
    "compute_time_s",
    "exposed_comm_time_s",
    "bubble_time_s",
    "mfu",
    "tokens_per_s",
    "model_flops_per_s_per_gpu",
    "memory_bytes",
)


def default_seq_len(spec: ModelSpec) -> int:
    """Training sequence length when none is given: TRAIN_CONTEXT_TOKENS, capped at the model's maximum."""
    return int(min(TRAIN_CONTEXT_TOKENS, spec.max_context_tokens))


def default_global_batch(seq_len: int) -> int:
    """Sequences per optimizer step when none is given: TRAIN_BATCH_TOKENS / sequence length (at least 1)."""
    return max(1, TRAIN_BATCH_TOKENS // int(seq_len))


def default_train_tokens(spec: ModelSpec) -> float:
    """Training tokens when none are given: TOKENS_PER_PARAM x total parameters (Chinchilla)."""
    from llmwalls.engine.model import param_counts

    return TOKENS_PER_PARAM * float(param_counts(spec).total)


def plan_training(
    spec: ModelSpec,
    gpu: GpuSpec,
    tiers: Tiers,
    *,
    gpus: int,
    train_tokens: float,
    seq_len: int,
    global_batch: int,
    fixed: dict | None = None,
    assumptions: tr.TrainingAssumptions = tr.DEFAULT_ASSUMPTIONS,
    usable_bytes: float | None = None,
    top: int = 1,
    progress: Callable[[int, int], object] | None = None,
    precision: str = "bf16",
    first_stage_layers: int | None = None,
    device_memory_bytes: float | None = None,
    goodput: GoodputAssumptions | None = None,
) -> dict[str, Any]:
    """The layout a training run of `train_tokens` tokens on `gpus` GPUs uses, and its step results.

    precision: training recipe of the linear GEMMs (engine.precision). first_stage_layers: layers on the
    first pipeline stage of an uneven layout (memory). device_memory_bytes: with usable_bytes None, the
    budget is memory.training_usable_bytes(device_memory_bytes). goodput: the whole-run assumptions
    (engine.goodput; default GoodputAssumptions()): time_to_train_s and gpu_hours are steady-state time /
    goodput, with the breakdown under "goodput"; "steady_time_to_train_s" / "steady_gpu_hours" keep the
    ideal figures.

    spec, gpu: ModelSpec, GpuSpec; tiers: collectives.Tiers (from the cluster, with any efficiency
    overrides); fixed: pinned layout fields (tp, pp, dp, cp, ep, micro_batch, zero_stage, recompute
    (0 none, 1 selective, 2 full), sequence_parallel), None = searched; usable_bytes: per-GPU memory budget
    (None: no memory limit); top: how many ranked layouts to return; progress(done, total): called by the
    evaluation after each chunk.

    Returns a dict:
        found           False when no layout is valid at all (then only found, fixed, candidates)
        explicit        True when tp, pp and dp were all given (no search)
        fixed           the pinned fields as used (dense models pin ep = 1)
        layout          the chosen layout, ints (recompute 0/1/2, sequence_parallel 0/1)
        step            every figure of training.evaluate_layouts for that layout, Python scalars
        fits            whether it fits in usable_bytes (False: the least-memory layout, none fits)
        step_time_s, compute_time_s, exposed_comm_time_s, bubble_time_s, mfu, tokens_per_s,
        model_flops_per_s_per_gpu, memory_bytes     (copied from step)
        time_to_train_s, gpu_hours                  for train_tokens (training.time_to_train)
        largest_overhead, largest_overhead_share    the biggest non-compute part of the step
        gpus, seq_len, global_batch, train_tokens   the inputs
        candidates, fitting                         layouts evaluated, and how many fit
        ranked          indices of the best `top` layouts (the chosen one alone when none fits)
        layouts, results    every candidate (arrays), for tables of the runners-up
    """
    fixed = {k: v for k, v in (fixed or {}).items()}
    if spec.moe is None and fixed.get("ep") is None:
        fixed["ep"] = 1
    gpus, seq_len, global_batch = int(gpus), int(seq_len), int(global_batch)
    explicit = all(fixed.get(k) is not None for k in ("tp", "pp", "dp"))
    if usable_bytes is None and device_memory_bytes is not None:
        from llmwalls.engine.memory import training_usable_bytes

        usable_bytes = training_usable_bytes(device_memory_bytes)
    if explicit:
        cp = fixed.get("cp") if fixed.get("cp") is not None else DEFAULT_LAYOUT["cp"]
        if fixed.get("cp") is None:
            fixed["cp"] = cp
        if fixed.get("ep") is None:
            fixed["ep"] = DEFAULT_LAYOUT["ep"]
        product = fixed["tp"] * fixed["pp"] * fixed["dp"] * cp
        if product != gpus:
            raise InputError(
                f"tensor x pipeline x data x context parallel = {product:,}, not the {gpus:,} GPUs of the run"
            )
    layouts = tr.enumerate_layouts(spec, gpus, global_batch=global_batch, seq_len=seq_len, fixed=fixed)
    n = len(layouts["tp"])
    if n == 0:
        return {"found": False, "explicit": explicit, "fixed": fixed, "candidates": 0}
    results = tr.evaluate_layouts(
        spec,
        gpu,
        tiers,
        layouts,
        global_batch=global_batch,
        seq_len=seq_len,
        assumptions=assumptions,
        usable_bytes=usable_bytes,
        progress=progress,
        precision=precision,
        first_stage_layers=first_stage_layers,
    )
    ranked = tr.rank_layouts(results, top)
    if len(ranked) == 0:
        # nothing fits: report the layout that needs the least memory, flagged
        ranked = np.array([int(np.argmin(results["memory_bytes"]))])
    best = int(ranked[0])
    step = {k: (v[best].item() if hasattr(v[best], "item") else v[best]) for k, v in results.items()}
    steady_s, steady_gpu_h = (float(x) for x in tr.time_to_train(step, train_tokens))
    from llmwalls.engine.goodput import DEFAULT_GOODPUT, run_goodput
    from llmwalls.engine.model import param_counts

    good = run_goodput(steady_s, gpus, goodput or DEFAULT_GOODPUT, params=float(param_counts(spec).total))
    seconds, gpu_hours = good["wall_clock_s"], good["gpu_hours"]
    why, share = _dominant(results, best)
    return {
        "found": True,
        "explicit": explicit,
        "fixed": fixed,
        "layout": {k: int(v[best]) for k, v in layouts.items()},
        "step": step,
        "fits": bool(step["fits"]),
        **{k: float(step[k]) for k in SUMMARY_KEYS},
        "time_to_train_s": seconds,
        "gpu_hours": gpu_hours,
        "steady_time_to_train_s": steady_s,
        "steady_gpu_hours": steady_gpu_h,
        "goodput": good,
        "precision": precision,
        "usable_bytes": usable_bytes,
        "largest_overhead": why,
        "largest_overhead_share": share,
        "gpus": gpus,
        "seq_len": seq_len,
        "global_batch": global_batch,
        "train_tokens": float(train_tokens),
        "candidates": n,
        "fitting": int(np.sum(results["fits"])),
        "ranked": ranked,
        "layouts": layouts,
        "results": results,
    }


# the step parts training.dominant_term compares
_TERMS = (
    "compute_time_s",
    "bubble_time_s",
    "tp_comm_time_s",
    "dp_comm_time_s",
    "pp_comm_time_s",
    "cp_comm_time_s",
    "ep_comm_time_s",
)


def slowed_step_time_s(
    step: dict, compute_throughput: npt.ArrayLike, memory_throughput: npt.ArrayLike
) -> np.ndarray:
    """Step time of a plan's layout when compute-bound kernels run at `compute_throughput` and HBM-bound ones
    at `memory_throughput` of full speed (a power cap: engine.power.capped_throughput_fraction). The matmuls
    and the pipeline bubble (idle time proportional to a stage's work) stretch by 1 / compute_throughput, the
    elementwise kernels and the optimizer step by 1 / memory_throughput; exposed communication is unchanged
    (NVLink and NIC speeds do not follow the SM clock). An approximation: the bubble also holds some TP
    communication, charged here at the compute rate. Vectorised over the two fractions."""
    compute = np.asarray(compute_throughput, float)
    memory = np.asarray(memory_throughput, float)
    return (
        (step["matmul_time_s"] + step["bubble_time_s"]) / compute
        + (step["elementwise_time_s"] + step["optimizer_time_s"]) / memory
        + step["exposed_comm_time_s"]
    )


def layout_at(plan: dict, i: int) -> dict:
    """The layout of candidate i of a plan (e.g. a runner-up from plan['ranked']), as ints."""
    return {k: int(v[i]) for k, v in plan["layouts"].items()}


def dominant_at(plan: dict, i: int) -> tuple[str, float]:
    """Largest non-compute part of candidate i's step and its share of the step."""
    return _dominant(plan["results"], i)


def _dominant(results: dict, i: int) -> tuple[str, float]:
    why, share = tr.dominant_term({k: np.asarray([results[k][i]]) for k in _TERMS})
    return str(why[0]), float(share[0])


__all__ = [
    "DEFAULT_LAYOUT",
    "SUMMARY_KEYS",
    "TOKENS_PER_PARAM",
    "TRAIN_BATCH_TOKENS",
    "TRAIN_CONTEXT_TOKENS",
    "default_global_batch",
    "default_seq_len",
    "default_train_tokens",
    "dominant_at",
    "layout_at",
    "plan_training",
    "slowed_step_time_s",
]
