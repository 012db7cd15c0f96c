"""`llmwalls audit ROADMAP.toml`: every workload of a hardware roadmap, quarter by quarter over the horizon
(18 months by default), against every wall; the first wall each workload starves on and when; what extra GPUs,
site power or money would fix it. `--check` exits 1 when any workload starves within the horizon, so CI can
run the audit on every change to the roadmap file. Format: docs/roadmap.md; `llmwalls audit example` runs the
shipped example, `llmwalls audit --template FILE` writes a commented starter roadmap.

The heat map (workloads x quarters, the binding wall or the one given with --wall) is printed above the
summary; --html, --markdown and --heatmap write shareable copies.

This module parses the options, calls llmwalls.api.audit and renders with llmwalls.render.audit (tables),
llmwalls.render.heatmap and llmwalls.render.report (pictures and reports).
"""

from __future__ import annotations

import os
from typing import Annotated

import typer

from llmwalls.api.types import WallId
from llmwalls.cli.options import Assumptions, Check, Force, Json, Quiet


def audit(
    roadmap: Annotated[
        str | None,
        typer.Argument(
            help="Roadmap TOML file (see docs/roadmap.md), or the name of a shipped one: example."
        ),
    ] = None,
    months: Annotated[
        int, typer.Option("--months", min=1, max=120, help="Horizon in months (quarters: rounded up).")
    ] = 18,
    assumptions: Assumptions = None,
    wall: Annotated[
        WallId | None,
        typer.Option("--wall", case_sensitive=False, help="Show this wall's utilisation in the heat map."),
    ] = None,
    html: Annotated[
        str | None, typer.Option("--html", help="Write a self-contained HTML report to FILE.html.")
    ] = None,
    markdown: Annotated[
        str | None, typer.Option("--markdown", help="Write a Markdown summary to FILE.md.")
    ] = None,
    heatmap: Annotated[
        str | None,
        typer.Option("--heatmap", help="Write the heat map to FILE.svg, or FILE.png (needs matplotlib)."),
    ] = None,
    template: Annotated[
        str | None, typer.Option("--template", help="Write a commented starter roadmap to FILE and stop.")
    ] = None,
    force: Force = False,
    json_: Json = False,
    check: Check = False,
    quiet: Quiet = False,
) -> None:
    """Audit a hardware roadmap: which workload starves first, on which wall, in which quarter; the fix."""
    import sys

    from llmwalls import render
    from llmwalls.api._audit import audit as audit_api
    from llmwalls.api._roadmaps import shipped_roadmap, write_template
    from llmwalls.errors import InputError
    from llmwalls.render import audit as view

    if template is not None:
        others = [
            flag
            for flag, given in (
                ("ROADMAP", roadmap),
                ("--html", html),
                ("--markdown", markdown),
                ("--heatmap", heatmap),
                ("--json", json_),
                ("--check", check),
            )
            if given
        ]
        if others:
            raise InputError(f"--template writes a starter roadmap and stops; drop {', '.join(others)}")
        write_template(template, force=force)
        render.print_text(f"wrote {template}: edit it, then run `llmwalls audit {template}`")
        return
    if roadmap is None:
        raise InputError("give a roadmap file (or `example`), or --template FILE to write a starter one")
    path = shipped_roadmap(roadmap)
    shared = _check_targets(html, markdown, heatmap, force)
    # a shipped roadmap is named (in errors and reports) by the name given
    report = audit_api(path, months=months, assumptions_file=assumptions, where=roadmap)
    render.show_notices(report)
    focus = str(wall) if wall is not None else None
    if json_:
        render.print_json_report("audit", report)
    else:
        view.show(report, wall=focus)
    if shared:
        from llmwalls.render.report import write_all

        for message in write_all(
            report, html=html, markdown=markdown, heatmap=heatmap, wall=focus, force=force
        ):
            print(f"llmwalls: {message}", file=sys.stderr)
    if check and any(w.hit for w in report.walls):
        raise typer.Exit(1)


def _check_targets(html: str | None, markdown: str | None, heatmap: str | None, force: bool) -> bool:
    """Refuse an existing output (without --force) or a wrong suffix before the audit runs."""
    from pathlib import Path

    from llmwalls.errors import InputError
    from llmwalls.render.output import check_target

    if heatmap is not None and Path(heatmap).suffix.lower() not in (".svg", ".png"):
        raise InputError(f"--heatmap writes .svg or .png, not {Path(heatmap).name!r}")
    given = [
        (p, what)
        for p, what in ((html, "HTML report"), (markdown, "Markdown summary"), (heatmap, "heat map"))
        if p
    ]
    for p, what in given:  # first: a path that cannot be (a NUL byte, too long) is one line of bad input
        check_target(p, force=force, what=what)
    if len({os.path.abspath(p) for p, _ in given}) < len(given):
        raise InputError("--html, --markdown and --heatmap name the same file")
    return bool(given)
