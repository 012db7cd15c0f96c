"""`llmwalls calibrate`: the engines, with their default assumptions, against published runs that the defaults
were NOT chosen on (llmwalls/validation_cases.toml). A table of published vs predicted with the ratio and
each category's tolerance; known misses are shown and excluded from --check. The numbers come from
llmwalls.validation; this module only parses and renders."""

from __future__ import annotations

from typing import Annotated

import typer

from llmwalls.cli.options import Check, Json


def calibrate(
    category: Annotated[
        list[str] | None,
        typer.Option(
            "--category",
            help="Only these categories (repeat): train_throughput, gpu_hours, decode, prefill, serving, "
            "collective.",
        ),
    ] = None,
    cases: Annotated[
        str | None,
        typer.Option(
            "--cases", help="A case file of your own (TOML, the schema of llmwalls/validation_cases.toml)."
        ),
    ] = None,
    json_out: Json = False,
    check: Check = False,
) -> None:
    """Check the model against published runs it was not calibrated on (out-of-sample validation)."""
    from llmwalls import render, validation
    from llmwalls.errors import InputError

    chosen = None
    if category:
        chosen = []
        for c in category:
            key = c.strip().lower().replace("-", "_")
            if key not in validation.CATEGORIES:
                raise InputError(f"unknown category {c!r}; use one of {', '.join(validation.CATEGORIES)}")
            chosen.append(key)
    case_file = None
    if cases is not None:
        case_file = _read_cases(cases)
    outcomes = validation.run(chosen, case_file)
    if not outcomes:
        raise InputError("no case in the chosen categories")

    checked = [o for o in outcomes if o.counts_for_check]
    failing = [o for o in checked if not o.within]
    known = [o for o in outcomes if not o.counts_for_check]
    # worst checked error as a share of its category's tolerance: <= 1 is a pass
    worst = max(
        (abs(o.ratio - 1.0) / o.tolerance if o.error is None else float("inf") for o in checked), default=0.0
    )
    wall = render.wall(
        "calibration",
        worst,
        1.0,
        "share of tolerance",
        checked_cases=len(checked),
        failing_cases=[o.case.id for o in failing],
        known_misses=[o.case.id for o in known],
    )

    if json_out:
        results = [
            {
                "id": o.case.id,
                "category": o.case.category,
                "description": o.case.description,
                "source": o.case.source,
                "verified_in_source": o.case.verified,
                "unit": o.case.unit,
                "published": o.case.value,
                "predicted": None if o.error else o.predicted,
                "published_si": o.published_si,
                "predicted_si": None if o.error else o.predicted_si,
                "si_unit": o.si_unit,
                "ratio": None if o.error else o.ratio,
                "tolerance": o.tolerance,
                "within_tolerance": o.within,
                "status": o.status,
                "known_miss": o.case.known_miss,
                "error": o.error,
                "assumptions": o.case.assumptions,
                "detail": o.detail,
            }
            for o in outcomes
        ]
        inputs = {
            "categories": chosen or list(validation.CATEGORIES),
            "cases": cases or "llmwalls/validation_cases.toml",
        }
        render.emit_json("calibrate", inputs, results, [wall])
        if check and failing:
            raise typer.Exit(1)
        return

    def _num(x: float) -> str:
        if x != x:  # NaN
            return "-"
        if abs(x) >= 1e5:
            return f"{x:,.0f}"
        return f"{x:,.1f}" if abs(x) >= 10 else f"{x:.3g}"

    titles = {
        "train_throughput": "Training throughput",
        "gpu_hours": "Training GPU-hours",
        "decode": "Decode, batch 1",
        "prefill": "Prefill: time to first token, batch 1",
        "serving": "Serving, offline maximum throughput",
        "collective": "Collectives (nccl-tests busbw)",
    }
    cols = [
        render.Column("case", "case", justify="left"),
        render.Column("published", "published"),
        render.Column("predicted", "predicted"),
        render.Column("unit", "unit", justify="left"),
        render.Column("ratio", "ratio"),
        render.Column("status", "status", justify="left"),
    ]
    tables = []
    for cat in validation.CATEGORIES:
        group = [o for o in outcomes if o.case.category == cat]
        if not group:
            continue
        rows = []
        for o in group:
            style = (
                None
                if o.within and o.counts_for_check
                else ("yellow" if not o.counts_for_check else "bold red")
            )
            rows.append(
                {
                    "case": o.case.id,
                    "published": _num(o.case.value),
                    "predicted": "error" if o.error else _num(o.predicted),
                    "unit": o.case.unit,
                    "ratio": "-" if o.error else f"{o.ratio:.2f}x",
                    "status": o.status,
                    "_style": style,
                }
            )
        title = f"{titles.get(cat, cat)} (tolerance ±{group[0].tolerance:.0%})"
        tables.append(render.Table(title, cols, rows))
    tables[-1].caption = (
        "ratio = predicted / published, engines at their default assumptions; tolerances and "
        "sources: llmwalls/validation_cases.toml; known misses and their diagnosis: "
        "docs/validation.md"
    )
    n_ok = sum(o.within for o in checked)

    def _misses(n: int) -> str:
        return f"{n} {'miss' if n == 1 else 'misses'}"

    lines = [
        f"{len(outcomes)} cases: {n_ok} within tolerance, {_misses(len(known)).replace(' ', ' known ', 1)} "
        f"(excluded from --check), {_misses(len(failing)).replace(' ', ' unexpected ', 1)}."
    ]
    styles = ["bold green" if not failing else "bold red"]
    for o in failing:
        lines.append(f"MISS {o.case.id}: " + (o.error or f"{o.ratio:.2f}x, tolerance ±{o.tolerance:.0%}"))
        styles.append("bold red")
    fixed = [o.case.id for o in known if o.within]
    if fixed:
        lines.append(f"Now within tolerance, remove their known_miss marking: {', '.join(fixed)}.")
        styles.append("bold yellow")
    render.print_tables(tables, lines, styles)
    if check and failing:
        raise typer.Exit(1)


def _read_cases(path: str):  # noqa: ANN202
    """A user's case file, validated; every problem is one line (exit 2)."""
    from pathlib import Path

    from pydantic import ValidationError

    from llmwalls import validation
    from llmwalls.errors import InputError
    from llmwalls.files import show_path

    try:
        return validation.read_cases(Path(path))
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(x) for x in first["loc"])
        raise InputError(f"case file {show_path(path)}: {where}: {first['msg']}") from None
