"""The one helper of the golden-file tests: the human output of the examples of the README and the command
pages (docs/commands/), rendered at 80 and 120
columns on a colourless console, compared with tests/golden/<command>/<example>.<columns>.txt. A figure or a
name is never cut ("…") and no line is wider than the terminal. LLMWALLS_UPDATE_GOLDENS=1 rewrites the files
after a deliberate change (then read the diff)."""

from __future__ import annotations

import os
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).resolve().parent / "golden"
# The README and the command pages, where the examples of each command live
README = "\n".join(
    p.read_text() for p in [ROOT / "README.md", *sorted((ROOT / "docs" / "commands").glob("*.md"))]
)
WIDTHS = (80, 120)


def readme_examples(commands: tuple[str, ...]) -> list[tuple[str, list[str]]]:
    """(command, arguments after `llmwalls`) of every example of these commands in the README and the command
    pages, in page order, each once: --json examples, shell pipelines and examples that write a report file
    left out (tests/doc_examples.py reads the blocks)."""
    from doc_examples import extract

    found: list[tuple[str, list[str]]] = []
    writes = {"--html", "--markdown", "--heatmap", "--template"}
    for page in [ROOT / "README.md", *sorted((ROOT / "docs" / "commands").glob("*.md"))]:
        for example in extract(page):
            args = example.args
            if example.pipe or example.redirect or "--json" in args or writes & set(args):
                continue
            if args and args[0] in commands and (args[0], args) not in found:
                found.append((args[0], args))
    return found


def slug(args: list[str]) -> str:
    """A file name from the options: `cost --gpu h800 --gpu-hours 2.788M` -> gpu-h800-gpu-hours-2.788m."""
    return re.sub(r"[^a-z0-9.]+", "-", " ".join(args[1:]).lower()).strip("-")[:80]


def path_of(command: str, name: str, columns: int) -> Path:
    return GOLDEN / command / f"{name}.{columns}.txt"


def check(path: Path, output: str, columns: int) -> None:
    """The output fits `columns` without an ellipsis and equals the golden file (or rewrites it)."""
    assert "…" not in output, "a figure or a name is cut"
    assert all(len(line) <= columns for line in output.splitlines()), f"a line is wider than {columns}"
    if os.environ.get("LLMWALLS_UPDATE_GOLDENS") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(output)
    assert path.exists(), f"no golden file {path}: run with LLMWALLS_UPDATE_GOLDENS=1"
    assert output == path.read_text()
