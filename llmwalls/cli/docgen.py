"""The reference pages' option tables, generated from the commands themselves.

Each page docs/commands/<command>.md is prose written by hand plus one generated section between two
markers: the usage line, the summary and a table of every option as `llmwalls <command> --help` prints it
(the same help records, unwrapped). A command group (`profiles`) gets one table per subcommand.

    python -m llmwalls.cli.docgen            # rewrite the generated sections (and create missing pages)
    python -m llmwalls.cli.docgen --check    # exit 1 and name the pages that are out of date

tests/test_docs.py fails when a page is stale; LLMWALLS_UPDATE_DOCS=1 makes it rewrite them instead.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import typer

from llmwalls.cli import COMMANDS, load_command

DOCS = Path(__file__).resolve().parent.parent.parent / "docs" / "commands"
BEGIN = (
    "<!-- BEGIN GENERATED OPTIONS: `python -m llmwalls.cli.docgen` writes this part; do not edit by hand -->"
)
END = "<!-- END GENERATED OPTIONS -->"


def _cell(text: str) -> str:
    """One Markdown table cell: pipes escaped, line breaks joined."""
    return " ".join(text.split()).replace("|", "\\|")


def _section(command: Any, ctx: Any, heading: str) -> list[str]:
    usage = " ".join(command.collect_usage_pieces(ctx))
    summary = " ".join((command.help or "").split())
    lines = [heading, "", "```text", f"{ctx.command_path} {usage}".rstrip(), "```", ""]
    if summary:
        lines += [summary, ""]
    rows = [record for p in command.get_params(ctx) if (record := p.get_help_record(ctx)) is not None]
    if rows:
        lines += ["| option | meaning |", "|---|---|"]
        lines += [f"| `{_cell(opts)}` | {_cell(help_text)} |" for opts, help_text in rows]
        lines.append("")
    return lines


def options_markdown(name: str) -> str:
    """The generated section of one command's page (between BEGIN and END, markers included)."""
    command = load_command(name)
    root = typer.Context(command, info_name=f"llmwalls {name}")
    lines = [BEGIN, ""]
    lines += _section(command, root, "## Options")
    subcommands = getattr(command, "commands", {})
    for sub_name, sub in subcommands.items():
        ctx = typer.Context(sub, info_name=sub_name, parent=root)
        lines += _section(sub, ctx, f"### `llmwalls {name} {sub_name}`")
    lines.append(END)
    return "\n".join(lines) + "\n"


def page_path(name: str) -> Path:
    return DOCS / f"{name}.md"


def render_page(name: str, existing: str | None) -> str:
    """The page with its generated section brought up to date; a new page gets a title and the section."""
    generated = options_markdown(name)
    if existing is None:
        return f"# llmwalls {name}\n\n{generated}"
    start, end = existing.find(BEGIN), existing.find(END)
    if start < 0 or end < start:
        return existing.rstrip("\n") + "\n\n" + generated
    rest = existing[end + len(END) :].lstrip("\n")
    return existing[:start] + generated + ("\n" + rest if rest else "")


def stale_pages() -> list[Path]:
    """Pages whose generated section differs from what the commands print now (or that are missing)."""
    stale = []
    for name in COMMANDS:
        path = page_path(name)
        existing = path.read_text() if path.exists() else None
        if existing is None or render_page(name, existing) != existing:
            stale.append(path)
    return stale


def write_pages() -> list[Path]:
    """Rewrite the generated sections; returns the pages that changed."""
    DOCS.mkdir(parents=True, exist_ok=True)
    changed = []
    for name in COMMANDS:
        path = page_path(name)
        existing = path.read_text() if path.exists() else None
        page = render_page(name, existing)
        if page != existing:
            path.write_text(page)
            changed.append(path)
    return changed


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args == ["--check"]:
        stale = stale_pages()
        for path in stale:
            print(f"out of date: {path.name} (run `python -m llmwalls.cli.docgen`)", file=sys.stderr)
        return 1 if stale else 0
    if args:
        print("usage: python -m llmwalls.cli.docgen [--check]", file=sys.stderr)
        return 2
    for path in write_pages():
        print(f"wrote {path.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
