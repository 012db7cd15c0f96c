"""The JSON contract: every command's document is serialised from its typed report, and its JSON Schema is
generated from the same type, so the two cannot disagree.

Envelope (every command): ``{"schema": "llmwalls.<command>", "schema_version": N, "llmwalls_version": "...",
"inputs": ..., "results": ..., "walls": [...], "warnings": [...], "notes": [...]}``. A report type is a frozen
dataclass with exactly the fields inputs, results, walls, warnings and notes.
"""

from __future__ import annotations

import dataclasses
import enum
import importlib
import math
from typing import Any

from llmwalls import __version__

SCHEMA_VERSION = 2

# command -> "module:ReportType". A command's report type is registered here when its API function exists.
REPORTS: dict[str, str] = {
    "calibrate": "llmwalls.api._calibrate:CalibrateReport",
    "cluster": "llmwalls.api._cluster:ClusterReport",
    "serve": "llmwalls.api._serve:ServeReport",
    "power": "llmwalls.api._power:PowerReport",
    "cost": "llmwalls.api._cost:CostReport",
    "memory": "llmwalls.api._memory:MemoryReport",
    "roofline": "llmwalls.api._roofline:RooflineReport",
    "walls": "llmwalls.api._walls:WallsReport",
    "audit": "llmwalls.api._audit:AuditReport",
    "profiles.list": "llmwalls.api._catalogue:ProfilesListReport",
    "profiles.show": "llmwalls.api._catalogue:ProfileShowReport",
    "profiles.validate": "llmwalls.api._catalogue:ValidateReport",
    "profiles.import": "llmwalls.api._catalogue:ImportReport",
}

ENVELOPE_FIELDS = ("inputs", "results", "walls", "warnings", "notes")


def plain(value: Any) -> Any:
    """A report (or any part of one) as JSON-able Python: dataclasses -> dicts, tuples -> lists, enums ->
    their
    value, numpy scalars -> Python numbers, NaN and infinity -> None (JSON has neither)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, enum.Enum):
        return value.value
    if hasattr(value, "tolist"):
        value = value.tolist()
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


def document(command: str, report: Any) -> dict[str, Any]:
    """The JSON document of one command's report."""
    body = plain(report)
    return {
        "schema": f"llmwalls.{command}",
        "schema_version": SCHEMA_VERSION,
        "llmwalls_version": __version__,
        **body,
    }


def report_type(command: str) -> type:
    module_name, _, attribute = REPORTS[command].partition(":")
    found: type = getattr(importlib.import_module(module_name), attribute)
    return found


def json_schema(command: str) -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of one command's document, generated from its report type."""
    from pydantic import TypeAdapter

    schema = TypeAdapter(report_type(command)).json_schema(mode="serialization")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = f"https://llmwalls.invalid/schema/{command}.schema.json"
    schema["title"] = f"llmwalls.{command}"
    schema["properties"] = {
        "schema": {"const": f"llmwalls.{command}"},
        "schema_version": {"const": SCHEMA_VERSION},
        "llmwalls_version": {"type": "string"},
        **schema["properties"],
    }
    schema["required"] = ["schema", "schema_version", "llmwalls_version", *schema.get("required", [])]
    schema["additionalProperties"] = False
    return schema
