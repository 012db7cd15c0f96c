"""The one helper of the golden-file tests: the human output of the README examples, rendered at 80 and 120
columns on a colourless console, compared with tests/golden/<command>/<example>.<columns>.txt. A figure or a
name is never cut ("…") and no line is wider than the terminal. LLMWALLS_UPDATE_GOLDENS=1 rewrites the files
after a deliberate change (then read the diff)."""

from __future__ import annotations

import os
import re
import shlex
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).resolve().parent / "golden"
README = (ROOT / "README.md").read_text()
WIDTHS = (80, 120)


def readme_examples(commands: tuple[str, ...]) -> list[tuple[str, list[str]]]:
    """(command, arguments after `llmwalls`) of every README example of these commands, in README order:
    continued lines joined, trailing comments dropped, --json examples and shell pipelines left out."""
    found = []
    for block in re.findall(r"```(?:sh)?\n(.*?)```", README, flags=re.S):
        for line in re.sub(r"\\\n\s*", " ", block).splitlines():
            line = line.split("  #")[0].split(" # ")[0].strip()
            if not line.startswith("llmwalls ") or any(ch in line for ch in "$|<>`"):
                continue
            args = shlex.split(line)[1:]
            if args and args[0] in commands and "--json" not in args:
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
