"""Output and checks: --json, --check, --force, --quiet, --plot, and the walls view's own settings."""

from __future__ import annotations

from typing import Annotated

import typer

from llmwalls.api.types import (
    ServingMode,
)
from llmwalls.cli.options._base import _OptStr, _set_quiet

Json = Annotated[bool, typer.Option("--json", help="Print JSON (SI base units, versioned schema) on stdout.")]
Check = Annotated[bool, typer.Option("--check", help="Exit 1 when a checked wall is hit (for CI scripts).")]
Force = Annotated[
    bool, typer.Option("--force", help="Replace an existing file (never through a symbolic link).")
]


Quiet = Annotated[
    bool,
    typer.Option(
        "--quiet",
        "-q",
        callback=_set_quiet,
        help="Leave out notes and warnings on stderr (for CI logs; --json still carries them). Errors print.",
    ),
]

# ------------------------------------------------------------------------------------------------ output
Plot = Annotated[
    _OptStr,
    typer.Option(
        "--plot",
        help="Save the chart to FILE.png or FILE.svg (needs matplotlib: pip install 'llmwalls[plot]').",
    ),
]
NoChart = Annotated[bool, typer.Option("--no-chart", help="Do not draw the terminal chart.")]
Mode = Annotated[
    ServingMode,
    typer.Option(
        "--mode", case_sensitive=False, help="Serving deployment: aggregated, disaggregated or both."
    ),
]

# ----------------------------------------------------------------------------- one workload, every wall
TtftS = Annotated[_OptStr, typer.Option("--ttft-s", help="Time-to-first-token target in s (default 2).")]
Assumptions = Annotated[
    _OptStr,
    typer.Option(
        "--assumptions",
        help="TOML file with an [uncertainty] table (name = [low, high] or a number) and a [walls] table.",
    ),
]
Near = Annotated[_OptStr, typer.Option("--near", help="Utilisation reported as 'near' (default 0.8).")]
Sweep = Annotated[
    _OptStr,
    typer.Option(
        "--sweep",
        help="AXIS=LOW..HIGH (doubling; :N for N points) or AXIS=A,B,C; AXIS: context, users, gpus, params.",
    ),
]
