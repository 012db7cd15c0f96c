"""The human views of `llmwalls profiles`: the catalogue table (accelerators with their key figures), one
profile as TOML, validation lines, the import's result."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from llmwalls.api._catalogue import ImportReport, ProfileShowReport, ProfilesListReport, ValidateReport
from llmwalls.render import Column, Table, emit, print_tables
from llmwalls.render.numbers import sig, usd

SOURCE_WIDTH = 70  # the list shows the start of each source; `profiles show NAME` gives it whole


def _scaled(scale: float) -> Callable[[Any], str]:
    return lambda x: sig(x / scale)


def show_list(report: ProfilesListReport) -> None:
    rows: list[dict[str, Any]] = []
    for e in report.results:
        row: dict[str, Any] = {"name": e.name, "kind": e.kind, "origin": e.origin, "aliases": e.aliases}
        row["source"] = e.source if len(e.source) <= SOURCE_WIDTH else e.source[: SOURCE_WIDTH - 3] + "..."
        if e.figures is not None:
            f = e.figures
            row.update(
                memory=f.memory_bytes,
                bandwidth=f.hbm_bandwidth_bytes_per_s,
                bf16=f.dense_bf16_flops_per_s,
                fp8=f.dense_fp8_flops_per_s,
                tdp=f.tdp_w,
                status=f.status,
                price=usd(f.unit_price_usd)
                if f.unit_price_usd
                else "none public"
                if f.no_public_price
                else None,
            )
        rows.append(row)
    user = any(e.origin != "built-in" for e in report.results)
    if report.inputs.kind == "gpu":
        columns = [
            Column("name", "name", justify="left"),
            Column("GB", "memory", _scaled(1e9)),
            Column("TB/s", "bandwidth", _scaled(1e12)),
            Column("bf16 TF", "bf16", _scaled(1e12)),
            Column("fp8 TF", "fp8", _scaled(1e12)),
            Column("TDP W", "tdp", _scaled(1.0)),
            Column("status", "status", justify="left"),
            Column("price", "price"),
        ]
        if user:
            columns.insert(1, Column("from", "origin", justify="left"))
        caption = "dense peaks (no sparsity), decimal GB; 'none public': no published purchase price"
        print_tables([Table(f"{len(rows)} accelerators", columns, rows, caption)])
        return
    columns = [
        Column("kind", "kind", justify="left"),
        Column("name", "name", justify="left"),
        Column("aliases", "aliases", lambda a: ", ".join(a), justify="left"),
        Column("source", "source", justify="left"),
    ]
    if user:
        columns.insert(2, Column("from", "origin", justify="left"))
    noun = "profile" if len(rows) == 1 else "profiles"
    print_tables([Table(f"{len(rows)} {noun}", columns, rows)])


def show_profile(report: ProfileShowReport) -> None:
    text = report.results.toml
    derived = report.results.derived
    if derived is not None:
        text += "\n# derived by llmwalls (not part of the profile)\n"
        for key, value in vars(derived).items():
            text += f"# {key} = {value:,.0f}\n"
    emit(text)


def show_validation(report: ValidateReport) -> None:
    """ok lines on stdout; every problem of a bad file on stderr, one line each."""
    import sys

    from llmwalls.files import one_line

    for v in report.results:
        if v.ok:
            emit(f"ok  {v.path}: {v.kind} {v.name}")
        for problem in v.problems:
            print(one_line(f"bad {v.path}: {problem}"), file=sys.stderr)


def show_import(report: ImportReport) -> None:
    emit(f"wrote {report.results.path}")
