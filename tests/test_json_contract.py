"""docs/json.md is the JSON contract: every example in its table runs, has the envelope, and still carries
every documented `results` field and wall identifier (fields may be added, never silently removed)."""

import re
import shlex
from pathlib import Path

import jsonschema
import pytest

from llmwalls.api.contract import REPORTS, SCHEMA_VERSION, json_schema

ROOT = Path(__file__).resolve().parent.parent
DOC = (ROOT / "docs" / "json.md").read_text()
ROWS = re.findall(r"^\| `(llmwalls\.[a-z.]+)` \| `([^`]+)` \| (.+?) \| (.+?) \|$", DOC, flags=re.M)


def test_every_command_is_in_the_contract():
    from llmwalls.cli import COMMANDS

    schemas = {schema for schema, *_ in ROWS}
    for name in COMMANDS:
        if name in ("completion", "schema"):
            continue
        assert any(s == f"llmwalls.{name}" or s.startswith(f"llmwalls.{name}.") for s in schemas), name


@pytest.mark.parametrize(("schema", "example", "fields", "walls"), ROWS, ids=[r[0] for r in ROWS])
def test_documented_fields_are_present(cli, monkeypatch, schema, example, fields, walls):
    monkeypatch.chdir(ROOT)
    r = cli(*shlex.split(example), "--json")
    assert r.exit_code in (0, 1), r.stderr
    doc = r.json()
    command = schema.removeprefix("llmwalls.")
    # every document is serialised from a typed report and validated against the schema generated from it
    assert command in REPORTS
    assert doc["schema"] == schema and doc["schema_version"] == SCHEMA_VERSION
    envelope = {
        "schema",
        "schema_version",
        "llmwalls_version",
        "inputs",
        "results",
        "walls",
        "warnings",
        "notes",
    }
    assert set(doc) == envelope
    jsonschema.validate(doc, json_schema(command))
    for w in doc["walls"]:
        assert w["hit"] == (w["utilization"] is not None and w["utilization"] > 1), w
    documented = re.findall(r"`([a-z_]+)`", fields)
    results = doc["results"]
    present = set(results) if isinstance(results, dict) else set(results[0]) if results else set()
    missing = [f for f in documented if f not in present]
    assert not missing, f"{schema}: documented results fields missing: {missing}"
    wall_ids = re.findall(r"`([a-z_]+)`", walls)
    emitted = {w["wall"] for w in doc["walls"]}
    assert set(wall_ids) <= emitted or not wall_ids, f"{schema}: walls {set(wall_ids) - emitted} not emitted"
    for w in doc["walls"]:
        assert re.fullmatch(r"[a-z_]+", w["wall"]) and {"label", "demand", "limit", "unit", "hit"} <= set(w)
