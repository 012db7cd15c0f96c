"""The llmwalls library: one function per question, typed inputs in, a frozen typed report out.

    >>> from llmwalls import api
    >>> report = api.memory(model="70b", gpu="h100")
    >>> report.results.fits, report.walls[0].utilization

Every command of the CLI is a client of these functions (parse, call, render); nothing here prints. Each
report is
a frozen dataclass with ``inputs``, ``results``, ``walls`` (``llmwalls.api.Wall``: ``hit`` is exactly
``utilization > 1``), ``warnings`` and ``notes``; ``llmwalls.api.contract.document(command, report)`` is
its JSON
document and ``llmwalls schema COMMAND`` its JSON Schema. Modules load lazily so ``import llmwalls`` stays
cheap.
"""

from __future__ import annotations

import importlib
from typing import Any

# public name -> "module:attribute"
_EXPORTS: dict[str, str] = {
    "Wall": "llmwalls.api.types:Wall",
    "Layout": "llmwalls.api.types:Layout",
    "Plan": "llmwalls.api.types:Plan",
    "ServingMode": "llmwalls.api.types:ServingMode",
    "Recompute": "llmwalls.api.types:Recompute",
    "Optimizer": "llmwalls.api.types:Optimizer",
    "WeightFormat": "llmwalls.api.types:WeightFormat",
    "KvFormat": "llmwalls.api.types:KvFormat",
    "TrainingPrecision": "llmwalls.api.types:TrainingPrecision",
    "memory": "llmwalls.api._memory:memory",
    "MemoryReport": "llmwalls.api._memory:MemoryReport",
    "roofline": "llmwalls.api._roofline:roofline",
    "RooflineReport": "llmwalls.api._roofline:RooflineReport",
    "cluster": "llmwalls.api._cluster:cluster",
    "ClusterReport": "llmwalls.api._cluster:ClusterReport",
    "ScalingMode": "llmwalls.api.types:ScalingMode",
    "power": "llmwalls.api._power:power",
    "PowerReport": "llmwalls.api._power:PowerReport",
    "cost": "llmwalls.api._cost:cost",
    "CostReport": "llmwalls.api._cost:CostReport",
    "walls": "llmwalls.api._walls:walls",
    "WallsReport": "llmwalls.api._walls:WallsReport",
    "Sweep": "llmwalls.api._walls:Sweep",
    "parse_sweep": "llmwalls.api._walls:parse_sweep",
    "Uncertainty": "llmwalls.api._walls:Uncertainty",
    "EfficiencyRange": "llmwalls.api._walls:EfficiencyRange",
    "audit": "llmwalls.api._audit:audit",
    "AuditReport": "llmwalls.api._audit:AuditReport",
    "compute_optimal": "llmwalls.api._scaling:compute_optimal",
    "ComputeOptimalReport": "llmwalls.api._scaling:ComputeOptimalReport",
    "calibrate": "llmwalls.api._calibrate:calibrate",
    "CalibrateReport": "llmwalls.api._calibrate:CalibrateReport",
    "serve": "llmwalls.api._serve:serve",
    "ServeReport": "llmwalls.api._serve:ServeReport",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    target = _EXPORTS.get(name)
    if target is None:
        raise AttributeError(f"module 'llmwalls.api' has no attribute {name!r}")
    module_name, _, attribute = target.partition(":")
    value = getattr(importlib.import_module(module_name), attribute)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})
