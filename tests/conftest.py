"""Shared fixtures. Tests never touch the real user directory: LLMWALLS_HOME points at a temporary one."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from llmwalls import catalogue, render
from llmwalls.cli import main


@pytest.fixture(autouse=True)
def isolated_home(tmp_path, monkeypatch):
    home = tmp_path / "llmwalls-home"
    monkeypatch.setenv("LLMWALLS_HOME", str(home))
    monkeypatch.setenv("COLUMNS", "160")
    catalogue.index.cache_clear()
    catalogue._load_cached.cache_clear()
    catalogue._validate_entry.cache_clear()
    catalogue._load_builtin.cache_clear()
    render.reset_warnings()
    yield home
    catalogue.index.cache_clear()
    catalogue._load_cached.cache_clear()
    catalogue._validate_entry.cache_clear()
    catalogue._load_builtin.cache_clear()
    render.reset_warnings()


@dataclass
class Result:
    exit_code: int
    stdout: str
    stderr: str

    def json(self):
        import json

        return json.loads(self.stdout)


@pytest.fixture
def cli(capsys):
    """Run `llmwalls ARGS...` in-process through the real entry point (error handling and exit codes
    included)."""

    def run(*args: str) -> Result:
        capsys.readouterr()
        render.reset_warnings()
        code = main(list(args))
        out, err = capsys.readouterr()
        return Result(code, out, err)

    return run
