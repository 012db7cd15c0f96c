"""Typed inputs and results shared by every question the API answers.

Results are frozen dataclasses of plain Python values (float, int, str, bool, tuples, nested dataclasses, and
``None`` where a figure does not apply), in SI base units with the unit in the field name. JSON is
serialised from
them (llmwalls.api.contract) and each command's JSON Schema is generated from the same types, so the
contract and
the output cannot drift apart.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

# One identifier per physical limit, the same in every command; the label is what people read.
WALL_LABELS: dict[str, str] = {
    "memory_capacity": "memory capacity",
    "memory_bandwidth": "memory bandwidth",
    "compute": "compute",
    "interconnect": "interconnect",
    "site_power": "site power",
    "rack_power": "rack power",
    "cost": "cost",
    "decode_tokens_per_s": "decode tokens/s",
    "latency": "latency",
    "calibration": "calibration",
}


@dataclass(frozen=True)
class Wall:
    """One physical limit: ``utilization = demand / limit``, oriented so that the wall is hit exactly when
    ``utilization > 1``. For a ceiling (memory, power, cost) demand is what the workload needs and limit
    what the
    hardware or budget gives; for a minimum target (tokens/s wanted) demand is the target and limit what is
    achievable, so a target above the achievable rate is a utilisation above 1 as well. ``limit`` is None
    when no
    limit was given (no site cap, no budget): utilisation is then None and the wall is not hit."""

    wall: str
    label: str
    demand: float
    limit: float | None
    unit: str
    utilization: float | None
    hit: bool

    @classmethod
    def of(cls, wall: str, demand: float, limit: float | None, unit: str) -> Wall:
        if wall not in WALL_LABELS:
            raise ValueError(f"unknown wall identifier {wall!r}")
        demand = float(demand)
        if limit is None or not math.isfinite(float(limit)):
            return cls(wall, WALL_LABELS[wall], demand, None, unit, None, False)
        limit = float(limit)
        utilization = demand / limit if limit > 0 else math.inf
        return cls(wall, WALL_LABELS[wall], demand, limit, unit, utilization, utilization > 1.0)


class WallId(StrEnum):
    """The wall identifiers (WALL_LABELS), as a choice: `llmwalls audit --wall memory_bandwidth`."""

    memory_capacity = "memory_capacity"
    memory_bandwidth = "memory_bandwidth"
    compute = "compute"
    interconnect = "interconnect"
    site_power = "site_power"
    rack_power = "rack_power"
    cost = "cost"
    decode_tokens_per_s = "decode_tokens_per_s"
    latency = "latency"


class Recompute(StrEnum):
    """Activation recomputation in training (Korthikanti et al. 2022, sec 5)."""

    none = "none"
    selective = "selective"
    full = "full"


class Optimizer(StrEnum):
    """Optimizer state per parameter (ZeRO, Rajbhandari et al. 2020, sec 3.1): Adam 16 B, SGD 12,
    8-bit Adam 10."""

    adam = "adam"
    sgd = "sgd"
    adam8bit = "adam8bit"


class TrainingPrecision(StrEnum):
    """Training recipe of the transformer blocks' linear GEMMs (engine.precision): bf16; fp8 (Transformer
    Engine delayed scaling), fp8-current (current scaling), fp8-blockwise (DeepSeek-V3's 1x128 / 128x128
    tiles); mxfp8 and nvfp4 (block-scaled, Blackwell only). Refused on a GPU without that tensor-core rate."""

    bf16 = "bf16"
    fp8 = "fp8"
    fp8_current = "fp8-current"
    fp8_blockwise = "fp8-blockwise"
    mxfp8 = "mxfp8"
    nvfp4 = "nvfp4"


class ScalingMode(StrEnum):
    """How a training scaling table grows the run: the same global batch at every size (strong scaling), the
    same sequences per GPU (weak scaling), or no table."""

    fixed_global = "fixed-global"
    fixed_per_gpu = "fixed-per-gpu"
    off = "off"


class WeightFormat(StrEnum):
    """Weight storage formats (int4, MXFP4 and NVFP4 with their block scales; see
    engine.model.weight_bytes_per_param)."""

    fp32 = "fp32"
    bf16 = "bf16"
    fp16 = "fp16"
    fp8 = "fp8"
    int8 = "int8"
    int4 = "int4"
    fp4 = "fp4"
    mxfp4 = "mxfp4"
    nvfp4 = "nvfp4"


class KvFormat(StrEnum):
    bf16 = "bf16"
    fp16 = "fp16"
    fp8 = "fp8"
    int8 = "int8"


class ServingMode(StrEnum):
    """Serving deployments compared: prefill and decode on the same GPUs (aggregated), in separate pools
    (disaggregated), or both side by side."""

    aggregated = "aggregated"
    disaggregated = "disaggregated"
    both = "both"


class Plan(StrEnum):
    """How a fleet is paid for, the plan a cost budget is checked against: buy (capex + opex) or rent."""

    buy = "buy"
    rent = "rent"


@dataclass(frozen=True)
class Layout:
    """How a model is spread over GPUs: tensor, pipeline, data, expert and context parallel degrees, the ZeRO
    stage, the micro-batch and recomputation. ``None`` means "not given: search it" where a question
    searches."""

    tp: int = 1
    pp: int = 1
    dp: int = 1
    ep: int = 1
    cp: int = 1
    zero: int = 0
    micro_batch: int | None = None
    recompute: Recompute | None = None
    interleave: int = 1

    @property
    def gpus(self) -> int:
        """GPUs of one layout: expert parallelism is drawn from the data-parallel ranks (Megatron-core), so
        it adds
        none in training; in serving a replica is max(tp, ep) x pp GPUs (see the serving questions)."""
        return self.tp * self.pp * self.dp * self.cp
