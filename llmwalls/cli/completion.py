"""`llmwalls completion SHELL`: print the completion script for bash, zsh or fish.

The scripts in completions/ are this command's output (tests/test_completions.py fails when they are stale).
They call back into llmwalls with _LLMWALLS_COMPLETE set, which is why start-up must stay light.
"""

from __future__ import annotations

from typing import Annotated

import typer

SHELLS = ("bash", "zsh", "fish")


def script_for(shell: str) -> str:
    from typer._completion_shared import get_completion_script  # Typer's own script templates

    return (
        get_completion_script(prog_name="llmwalls", complete_var="_LLMWALLS_COMPLETE", shell=shell).strip()
        + "\n"
    )


def completion(
    shell: Annotated[str, typer.Argument(help="bash, zsh or fish.")],
) -> None:
    """Print the shell completion script (see completions/ and docs/commands/completion.md)."""
    from llmwalls.errors import InputError

    if shell not in SHELLS:
        raise InputError(f"shell must be one of {', '.join(SHELLS)}, got {shell!r}")
    print(script_for(shell), end="")
