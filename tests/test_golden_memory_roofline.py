"""Golden files of the human output of the README's `llmwalls memory` and `llmwalls roofline` examples, at 80
and 120 columns on a colourless console: a change to a table shows up as a diff to review, and no figure or
name is ever cut with "…". LLMWALLS_UPDATE_GOLDENS=1 rewrites the files."""

from __future__ import annotations

import os
import re
import shlex
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).resolve().parent / "golden"
COMMANDS = ("memory", "roofline")


def _examples() -> list[tuple[str, str]]:
    readme = (ROOT / "README.md").read_text()
    found = []
    for block in re.findall(r"```(?:sh)?\n(.*?)```", readme, flags=re.S):
        for line in re.sub(r"\\\n\s*", " ", block).splitlines():
            line = line.split("  #")[0].split(" # ")[0].strip()
            args = shlex.split(line)[1:] if line.startswith("llmwalls ") else []
            if (
                args
                and args[0] in COMMANDS
                and "--json" not in args
                and not any(ch in line for ch in "$|<>`")
            ):
                found.append((args[0], line))
    return found


def _name(line: str) -> str:
    args = shlex.split(line)[2:]
    return re.sub(r"[^a-z0-9]+", "-", " ".join(args).lower()).strip("-")[:80]


CASES = [
    pytest.param(command, line, width, id=f"{command}-{_name(line)}-{width}")
    for command, line in _examples()
    for width in (80, 120)
]


@pytest.mark.parametrize(("command", "line", "width"), CASES)
def test_golden(cli, monkeypatch, tmp_path, command, line, width):
    args = shlex.split(line)[1:]
    if any(a.endswith((".png", ".svg")) for a in args):
        pytest.importorskip("matplotlib")
        monkeypatch.chdir(tmp_path)  # the chart is written here; the output names it relatively
    monkeypatch.setenv("COLUMNS", str(width))
    monkeypatch.delenv("NO_COLOR", raising=False)
    r = cli(*args)
    assert r.exit_code in (0, 1), r.stderr
    assert "…" not in r.stdout
    path = GOLDEN / command / f"{_name(line)}.{width}.txt"
    if os.environ.get("LLMWALLS_UPDATE_GOLDENS") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(r.stdout)
    assert path.exists(), f"no golden file {path.name}: run with LLMWALLS_UPDATE_GOLDENS=1"
    assert r.stdout == path.read_text()


@pytest.mark.parametrize(
    ("command", "line"), [pytest.param(c, line, id=f"{c}-{_name(line)}") for c, line in _examples()]
)
def test_readme_example_json_validates_against_its_schema(cli, monkeypatch, tmp_path, command, line):
    import jsonschema

    from llmwalls.api.contract import json_schema

    monkeypatch.chdir(tmp_path)
    args = [a for a in shlex.split(line)[1:] if not a.endswith((".png", ".svg")) and a != "--plot"]
    r = cli(*args, "--json")
    assert r.exit_code in (0, 1), r.stderr
    doc = r.json()
    jsonschema.validate(doc, json_schema(command))
    for w in doc["walls"]:
        assert w["hit"] == (w["utilization"] is not None and w["utilization"] > 1), w
