"""`llmwalls audit ROADMAP.toml`: every workload of a hardware roadmap, quarter by quarter over the horizon
(18 months by default), against every wall; the first wall each workload starves on and when; what extra GPUs,
site power or money would fix it. `--check` exits 1 when any workload starves within the horizon, so CI can
run the audit on every change to the roadmap file. Format: docs/roadmap.md; example:
profiles/roadmaps/example.toml.

This module parses the options, calls llmwalls.api.audit and renders with llmwalls.render.audit.
"""

from __future__ import annotations

from typing import Annotated

import typer

from llmwalls.cli.options import Assumptions, Check, Json


def audit(
    roadmap: Annotated[str, typer.Argument(help="Roadmap TOML file (see docs/roadmap.md).")],
    months: Annotated[
        int, typer.Option("--months", min=1, max=120, help="Horizon in months (quarters: rounded up).")
    ] = 18,
    assumptions: Assumptions = None,
    json_: Json = False,
    check: Check = False,
) -> None:
    """Audit a hardware roadmap: which workload starves first, on which wall, in which quarter; the fix."""
    from llmwalls import render
    from llmwalls.api._audit import audit as audit_api
    from llmwalls.render import audit as view

    report = audit_api(roadmap, months=months, assumptions_file=assumptions)
    render.show_notices(report)
    if json_:
        render.print_json_report("audit", report)
    else:
        view.show(report)
    if check and any(w.hit for w in report.walls):
        raise typer.Exit(1)
