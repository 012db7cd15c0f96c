"""The command-line front: one Typer app, one module per command. Commands parse, resolve profiles, call the
engine and hand the numbers to llmwalls.render. Nothing heavy is imported at module level here or in the
command modules (numpy, pydantic and Rich load inside the command), so --help and TAB completion are fast.

Exit codes, everywhere: 0 fine; 1 a wall checked with --check is hit; 2 bad input or usage.
"""

from __future__ import annotations

import os
import sys
from typing import Any

import typer

from llmwalls import __version__

# Commands load lazily: a call imports and builds only the command it runs (Typer would otherwise inspect
# every command's options on every call, ~50 ms). `llmwalls --help` lists them all.
# name -> (module, attribute).
COMMANDS: dict[str, tuple[str, str]] = {
    "memory": ("llmwalls.cli.memory", "memory"),
    "roofline": ("llmwalls.cli.roofline", "roofline"),
    "cluster": ("llmwalls.cli.cluster", "cluster"),
    "power": ("llmwalls.cli.power", "power"),
    "cost": ("llmwalls.cli.cost", "cost"),
    "walls": ("llmwalls.cli.walls", "walls"),
    "audit": ("llmwalls.cli.audit", "audit"),
    "serve": ("llmwalls.cli.serve", "serve"),
    "profiles": ("llmwalls.cli.profiles", "app"),
    "calibrate": ("llmwalls.cli.calibrate", "calibrate"),
    "schema": ("llmwalls.cli.schema", "schema"),
    "completion": ("llmwalls.cli.completion", "completion"),
}


def load_command(name: str) -> Any:  # a (vendored) Click command
    """Import one command's module and build its Click command."""
    import importlib

    module_name, attribute = COMMANDS[name]
    target = getattr(importlib.import_module(module_name), attribute)
    if isinstance(target, typer.Typer):  # a command group (profiles)
        return typer.main.get_group(target)
    single = typer.Typer(
        add_completion=False, rich_markup_mode=None, context_settings={"help_option_names": ["-h", "--help"]}
    )
    single.command(name=name)(target)
    return typer.main.get_command(single)


class _LazyGroup(typer.core.TyperGroup):
    def list_commands(self, ctx: typer.Context) -> list[str]:  # type: ignore[override]
        return list(COMMANDS)

    def get_command(self, ctx: typer.Context, cmd_name: str) -> Any:  # type: ignore[override]
        return load_command(cmd_name) if cmd_name in COMMANDS else None

    def format_commands(self, ctx: typer.Context, formatter: Any) -> None:  # type: ignore[override]
        """The command list in --help from each command's docstring, without building every command."""
        import importlib

        rows = []
        for name, (module_name, attribute) in COMMANDS.items():
            target = getattr(importlib.import_module(module_name), attribute)
            text = target.info.help if isinstance(target, typer.Typer) else target.__doc__
            rows.append((name, (text or "").strip().splitlines()[0] if text else ""))
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def resolve_command(self, ctx: typer.Context, args: list[str]) -> Any:  # type: ignore[override]
        name = args[0] if args else ""
        if name and not name.startswith("-") and name not in COMMANDS:
            import difflib

            from llmwalls.errors import InputError

            close = difflib.get_close_matches(name, list(COMMANDS), n=2)
            hint = f"; did you mean {' or '.join(close)}?" if close else ""
            raise InputError(f"unknown command {name!r}{hint} (see `llmwalls --help`)")
        return super().resolve_command(ctx, args)


app = typer.Typer(
    name="llmwalls",
    cls=_LazyGroup,
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
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version."
    ),
) -> None:
    """Which wall an LLM workload hits first."""


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the app, turning every user error into one line on stderr and exit code 2."""
    from llmwalls.errors import LlmwallsError
    from llmwalls.files import one_line  # every error is one line of bounded length

    args = sys.argv[1:] if argv is None else argv
    if not args:  # bare `llmwalls`: the help, as a request, not an error
        args = ["--help"]
    if "_LLMWALLS_COMPLETE" in os.environ:  # a TAB press: register Typer's shell completion classes
        from typer.completion import completion_init

        completion_init()
    command = typer.main.get_command(app)
    try:
        code = command.main(args=args, prog_name="llmwalls", standalone_mode=False)
    except LlmwallsError as exc:
        print(f"llmwalls: error: {one_line(str(exc))}", file=sys.stderr)
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
            print(f"llmwalls: error: {one_line(exc.format_message())}{where}", file=sys.stderr)
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
