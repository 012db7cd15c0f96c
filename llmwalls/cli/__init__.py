"""The command-line front: one Typer app, one module per command. Commands parse, resolve profiles, call the
engine and hand the numbers to llmwalls.render. Nothing heavy is imported at module level here or in the
command modules (numpy, pydantic and Rich load inside the command), so --help and TAB completion are fast.

Exit codes, everywhere: 0 fine; 1 a wall checked with --check is hit; 2 bad input or usage.
"""

from __future__ import annotations

import os
import sys

import typer

from llmwalls import __version__
from llmwalls.cli import completion as _completion
from llmwalls.cli import profiles as _profiles

app = typer.Typer(
    name="llmwalls",
    help="Which wall an LLM workload hits first: memory capacity, memory bandwidth, compute, interconnect, "
    "power or cost.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        print(f"llmwalls {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Print the version."),
) -> None:
    """Which wall an LLM workload hits first."""


app.add_typer(_profiles.app, name="profiles")
app.command()(_completion.completion)

# --- commands (one module each) ---
from llmwalls.cli import power as _power  # noqa: E402
app.command()(_power.power)
from llmwalls.cli import memory as _memory  # noqa: E402
app.command()(_memory.memory)
from llmwalls.cli import roofline as _roofline  # noqa: E402
app.command()(_roofline.roofline)
from llmwalls.cli import cost as _cost  # noqa: E402
app.command()(_cost.cost)
from llmwalls.cli import cluster as _cluster  # noqa: E402
app.command()(_cluster.cluster)
from llmwalls.cli import walls as _walls  # noqa: E402
app.command()(_walls.walls)
from llmwalls.cli import audit as _audit  # noqa: E402
app.command()(_audit.audit)
# --- end commands ---


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the app, turning every user error into one line on stderr and exit code 2."""
    from llmwalls.errors import LlmwallsError

    args = sys.argv[1:] if argv is None else argv
    if "_LLMWALLS_COMPLETE" in os.environ:  # a TAB press: register Typer's shell completion classes
        from typer.completion import completion_init

        completion_init()
    command = typer.main.get_command(app)
    try:
        code = command.main(args=args, prog_name="llmwalls", standalone_mode=False)
    except LlmwallsError as exc:
        print(f"llmwalls: error: {exc}", file=sys.stderr)
        code = exc.exit_code
    except KeyboardInterrupt:
        print("llmwalls: interrupted", file=sys.stderr)
        code = 130
    except BrokenPipeError:
        code = 0  # `llmwalls ... | head` is fine
    except Exception as exc:  # Typer's (vendored Click's) usage errors carry format_message and exit_code
        if hasattr(exc, "format_message") and hasattr(exc, "exit_code"):
            where = ""
            ctx = getattr(exc, "ctx", None)
            if ctx is not None and ctx.command_path:
                where = f" (see `{ctx.command_path} --help`)"
            print(f"llmwalls: error: {exc.format_message()}{where}", file=sys.stderr)
            code = exc.exit_code if exc.exit_code != 1 else 2
        elif type(exc).__name__ == "Abort":
            print("llmwalls: aborted", file=sys.stderr)
            code = 1
        else:
            raise
    code = 0 if code is None else int(code)
    if argv is None:
        sys.exit(code)
    return code
