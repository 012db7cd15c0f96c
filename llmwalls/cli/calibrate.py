"""`llmwalls calibrate`: the engines, with their default assumptions, against published runs that the defaults
were NOT chosen on (llmwalls/validation_cases.toml). Parses, calls llmwalls.api.calibrate, renders."""

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
    from llmwalls import api, render
    from llmwalls.render import calibrate as view

    report = api.calibrate(category, cases)
    render.show_notices(report)
    if json_out:
        render.print_json_report("calibrate", report)
    else:
        view.show(report)
    if check and report.summary.failing_cases:
        raise typer.Exit(1)
