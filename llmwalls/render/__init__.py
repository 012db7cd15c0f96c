"""The one place output is produced. People get Rich tables on stdout; scripts get JSON (``--json``) in SI
base units under a versioned schema; warnings and errors go to stderr. No other module imports Rich.

JSON envelope (every command):
    {"schema": "llmwalls.<command>", "schema_version": 1, "llmwalls_version": "...",
     "inputs": {...}, "results": [...] or {...}, "walls": [...], "warnings": [...]}
A wall is {"wall": identifier, "label": name, "demand": x, "limit": y, "unit": "bytes", "utilization": x/y,
"hit": bool}; identifiers are snake_case and shared by every command (memory_capacity, memory_bandwidth,
compute, interconnect, power, site_power, rack_power, cost, budget, ...).
Field names never change within a schema_version; new fields may be added.
"""

from __future__ import annotations

import json
import math
import os
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console

from llmwalls import __version__

SCHEMA_VERSION = 1

_warnings: list[str] = []


def warn(message: str) -> None:
    """A warning for people (stderr) that also lands in the JSON 'warnings' list."""
    _warnings.append(message)
    print(f"llmwalls: warning: {message}", file=sys.stderr)


def collected_warnings() -> list[str]:
    return list(_warnings)


def reset_warnings() -> None:
    _warnings.clear()


def _plain(value: Any) -> Any:
    """numpy scalars/arrays and dataclasses -> JSON-able Python; NaN/inf -> None (JSON has neither)."""
    if hasattr(value, "tolist"):
        value = value.tolist()
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if hasattr(value, "__dataclass_fields__"):
        return {k: _plain(getattr(value, k)) for k in value.__dataclass_fields__}
    return value


def emit_json(command: str, inputs: dict[str, Any], results: Any, walls: Sequence[dict] = ()) -> None:
    payload = {
        "schema": f"llmwalls.{command}",
        "schema_version": SCHEMA_VERSION,
        "llmwalls_version": __version__,
        "inputs": _plain(inputs),
        "results": _plain(results),
        "walls": _plain(list(walls)),
        "warnings": collected_warnings(),
    }
    sys.stdout.write(json.dumps(payload, indent=2, allow_nan=False) + "\n")


def wall(
    name: str, demand: float, limit: float, unit: str, *, higher_is_worse: bool = True, **extra: Any
) -> dict:
    """A wall record. ``wall`` is an identifier (``memory_capacity``), the same in every command's JSON;
    ``label`` is its human name. For 'higher is worse' walls (memory, power, cost) utilization =
    demand / limit and the wall is hit above 1. For targets (tokens/s wanted vs achievable) pass
    higher_is_worse=False."""
    utilization = demand / limit if limit else math.inf
    hit = utilization > 1.0 if higher_is_worse else demand < limit
    ident = name.strip().lower().replace(" ", "_").replace("-", "_")
    return {
        "wall": ident,
        "label": ident.replace("_", " "),
        "demand": demand,
        "limit": limit,
        "unit": unit,
        "utilization": utilization,
        "hit": hit,
        **extra,
    }


# --------------------------------------------------------------------------------------------- tables


@dataclass(frozen=True)
class Column:
    header: str
    key: str | Callable[[dict], Any]
    fmt: Callable[[Any], str] = str
    justify: str = "right"


@dataclass
class Table:
    title: str
    columns: list[Column]
    rows: list[dict] = field(default_factory=list)
    caption: str | None = None


def _console(stderr: bool = False) -> Console:
    from rich.console import Console

    # Fixed width and no colour when not a terminal (pipes, CI, golden tests).
    width = None if sys.stdout.isatty() else int(os.environ.get("COLUMNS", "120"))
    return Console(
        stderr=stderr,
        width=width,
        no_color=not sys.stdout.isatty() or "NO_COLOR" in os.environ,
        highlight=False,
        soft_wrap=False,
    )


def print_tables(tables: Iterable[Table], lines: Sequence[str] = (), styles: Sequence[str] = ()) -> None:
    """Render tables, then summary lines (e.g. the wall line). styles pairs with lines ('bold red', ...)."""
    from rich import box
    from rich.table import Table as RichTable

    console = _console()
    with console.capture() as captured:
        for table in tables:
            rt = RichTable(
                title=table.title,
                caption=table.caption,
                box=box.SIMPLE_HEAD,
                title_justify="left",
                caption_justify="left",
            )
            for col in table.columns:
                # fold, never "…": a cut number is a wrong number
                rt.add_column(col.header, justify=col.justify, overflow="fold")  # type: ignore[arg-type]
            for row in table.rows:
                cells = []
                for col in table.columns:
                    value = col.key(row) if callable(col.key) else row.get(col.key)
                    cells.append("" if value is None else col.fmt(value))
                rt.add_row(*cells, style=row.get("_style"))
            console.print(rt)
        for i, line in enumerate(lines):
            console.print(line, style=styles[i] if i < len(styles) else None, markup=False)
    emit(captured.get())


def emit(text: str) -> None:
    """Write rendered text to stdout; off a terminal, without the trailing spaces table padding leaves
    (logs and
    diffs of piped output stay clean)."""
    if not sys.stdout.isatty():
        text = "\n".join(line.rstrip() for line in text.split("\n"))
    sys.stdout.write(text if text.endswith("\n") else text + "\n")


def print_text(text: str) -> None:
    emit(text)


class ProgressBar:
    """A progress(done, total) callback that shows a transient Rich bar on stderr, started only for more
    than ``threshold`` items (the layout search: a million candidates is about a second), so quick runs and
    scripts never see it."""

    def __init__(self, enabled: bool, threshold: int = 1_000_000, description: str = "evaluating layouts"):
        self.enabled, self.threshold, self.description = enabled, threshold, description
        self.bar: Any = None
        self.task: Any = None

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled or total <= self.threshold:
            return
        if self.bar is None:
            from rich.progress import Progress

            self.bar = Progress(console=_console(stderr=True), transient=True)
            self.task = self.bar.add_task(self.description, total=total)
            self.bar.start()
        self.bar.update(self.task, completed=done)

    def stop(self) -> None:
        if self.bar is not None:
            self.bar.stop()


# ------------------------------------------------------------------------------------ typed reports


def show_notices(report: Any) -> None:
    """A report's notes and warnings on stderr (the JSON carries them too)."""
    for message in getattr(report, "notes", ()):
        print(f"llmwalls: {message}", file=sys.stderr)
    for message in getattr(report, "warnings", ()):
        print(f"llmwalls: warning: {message}", file=sys.stderr)


def print_json_report(command: str, report: Any) -> None:
    """One JSON document on stdout, serialised from the typed report (llmwalls.api.contract)."""
    from llmwalls.api.contract import document

    sys.stdout.write(json.dumps(document(command, report), indent=2, allow_nan=False) + "\n")
