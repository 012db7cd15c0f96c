"""Golden files of the human output of every README example of memory, roofline, power, cost, walls and
audit, at 80 and 120 columns on a colourless console (tests/golden.py holds the shared helper)."""

from __future__ import annotations

import pytest
from golden import WIDTHS, check, path_of, readme_examples, slug

COMMANDS = ("memory", "roofline", "power", "cost", "walls", "audit")
EXAMPLES = readme_examples(COMMANDS)
CASES = [
    pytest.param(command, args, columns, id=f"{command}-{slug(args)}@{columns}")
    for command, args in EXAMPLES
    for columns in WIDTHS
]


@pytest.mark.parametrize(("command", "args", "columns"), CASES)
def test_golden(cli, monkeypatch, tmp_path, command, args, columns):
    if any(a.endswith((".png", ".svg")) for a in args):
        pytest.importorskip("matplotlib")
        monkeypatch.chdir(tmp_path)  # the chart is written here; the output names it relatively
    monkeypatch.setenv("COLUMNS", str(columns))
    monkeypatch.setenv("NO_COLOR", "1")
    r = cli(*args)
    assert r.exit_code in ((0, 1) if "--check" in args else (0,)), r.stderr
    check(path_of(command, slug(args), columns), r.stdout, columns)


def test_every_command_has_readme_examples():
    assert {c for c, _ in EXAMPLES} == set(COMMANDS)


@pytest.mark.parametrize(
    ("command", "args"),
    [pytest.param(c, a, id=f"{c}-{slug(a)}") for c, a in EXAMPLES if c in ("memory", "roofline")],
)
def test_readme_example_json_validates_against_its_schema(cli, monkeypatch, tmp_path, command, args):
    import jsonschema

    from llmwalls.api.contract import json_schema

    monkeypatch.chdir(tmp_path)
    args = [a for a in args if not a.endswith((".png", ".svg")) and a != "--plot"]
    r = cli(*args, "--json")
    assert r.exit_code in (0, 1), r.stderr
    doc = r.json()
    jsonschema.validate(doc, json_schema(command))
    for w in doc["walls"]:
        assert w["hit"] == (w["utilization"] is not None and w["utilization"] > 1), w
