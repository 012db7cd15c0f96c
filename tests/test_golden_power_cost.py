"""Golden files of the human output of the README examples of `power` and `cost`, at 80 and 120 columns on a
colourless console: the tables fit without cutting a figure or a name (never an ellipsis). Regenerate with
LLMWALLS_UPDATE_GOLDENS=1 after a deliberate change, and read the diff."""

from __future__ import annotations

import os
import re
import shlex
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).resolve().parent / "golden"
README = (ROOT / "README.md").read_text()
COMMANDS = ("power", "cost")


def _examples() -> list[tuple[str, list[str]]]:
    found = []
    for block in re.findall(r"```(?:sh)?\n(.*?)```", README, flags=re.S):
        for line in block.splitlines():
            cmd = line.split("  #")[0].split(" # ")[0].strip()
            args = shlex.split(cmd)[1:] if cmd.startswith("llmwalls ") else []
            if args and args[0] in COMMANDS:
                found.append((args[0], args))
    return found


def _slug(args: list[str]) -> str:
    return re.sub(r"[^a-z0-9.]+", "-", " ".join(args[1:]).lower()).strip("-")


CASES = [(command, args, columns) for command, args in _examples() for columns in (80, 120)]


@pytest.mark.parametrize(("command", "args", "columns"), CASES, ids=[f"{_slug(a)}@{c}" for _, a, c in CASES])
def test_golden_output(cli, monkeypatch, command, args, columns):
    monkeypatch.setenv("COLUMNS", str(columns))
    monkeypatch.setenv("NO_COLOR", "1")
    r = cli(*args)
    assert r.exit_code in ((0, 1) if "--check" in args else (0,)), r.stderr
    assert "…" not in r.stdout
    assert max(len(line) for line in r.stdout.splitlines()) <= columns
    path = GOLDEN / command / f"{_slug(args)}@{columns}.txt"
    if os.environ.get("LLMWALLS_UPDATE_GOLDENS") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(r.stdout)
    assert path.exists(), f"no golden file {path.name}: run with LLMWALLS_UPDATE_GOLDENS=1"
    assert r.stdout == path.read_text()


def test_every_readme_example_has_goldens():
    assert {c for c, _ in _examples()} == set(COMMANDS)
    for command, args in _examples():
        for columns in (80, 120):
            assert (GOLDEN / command / f"{_slug(args)}@{columns}.txt").exists()
