"""Start-up stays light: --help and TAB completion must not import numpy, pydantic, Rich
or the engine. Timing lives in benchmarks/bench_startup.py; this test checks the cause, not the clock."""

import json
import subprocess
import sys

import pytest

HEAVY = ("numpy", "pydantic", "rich", "matplotlib", "tomli_w")

PROBE = """
import json, sys
from llmwalls.cli import main
try:
    main({argv!r})
except SystemExit:
    pass
loaded = [m for m in sys.modules if m.split('.')[0] in {heavy!r} or m.startswith('llmwalls.engine')]
print(json.dumps(sorted(loaded)))
"""


def _heavy_imports(argv: list[str]) -> list[str]:
    code = PROBE.format(argv=argv, heavy=list(HEAVY))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _commands() -> list[str]:
    from llmwalls.cli import COMMANDS

    return sorted(COMMANDS)


def test_root_help_imports_nothing_heavy():
    assert _heavy_imports(["--help"]) == []


@pytest.mark.parametrize("command", _commands())
def test_command_help_imports_nothing_heavy(command):
    assert _heavy_imports([command, "--help"]) == []
