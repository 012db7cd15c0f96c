"""`llmwalls schema COMMAND`: the JSON Schema of a command's --json document, generated from its report
type."""

from __future__ import annotations

from typing import Annotated

import typer


def schema(
    command: Annotated[
        str, typer.Argument(help="The command whose --json document to describe (memory, ...).")
    ],
) -> None:
    """The JSON Schema of a command's --json output, generated from the types the output is built from."""
    import json

    from llmwalls import render
    from llmwalls.api.contract import REPORTS, json_schema
    from llmwalls.errors import InputError

    if command not in REPORTS:
        raise InputError(f"no JSON schema for {command!r}; choose one of: {', '.join(sorted(REPORTS))}")
    render.print_text(json.dumps(json_schema(command), indent=2))
