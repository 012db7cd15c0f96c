"""Shell completion: the shipped scripts are what `llmwalls completion SHELL` prints (regenerate with
`for s in bash zsh fish; do ...` as in the README), and completion really answers through the entry point."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from llmwalls.cli.completion import script_for

ROOT = Path(__file__).resolve().parent.parent
FILES = {"bash": "llmwalls.bash", "zsh": "_llmwalls", "fish": "llmwalls.fish"}


@pytest.mark.parametrize("shell,filename", FILES.items())
def test_shipped_completion_scripts_are_current(shell, filename):
    shipped = (ROOT / "completions" / filename).read_text()
    assert shipped == script_for(shell), (
        f"completions/{filename} is stale: run `llmwalls completion {shell} > completions/{filename}`"
    )


def _complete_bash(words: str, cword: int) -> list[str]:
    env = {**os.environ, "_LLMWALLS_COMPLETE": "complete_bash", "COMP_WORDS": words, "COMP_CWORD": str(cword)}
    out = subprocess.run(
        [sys.executable, "-m", "llmwalls"], env=env, capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr
    return out.stdout.split()


def test_bash_completes_commands_and_profile_names():
    assert "profiles" in _complete_bash("llmwalls pro", 1)
    assert "h100" in _complete_bash("llmwalls profiles show h10", 3)


def test_completion_command_rejects_unknown_shell(cli):
    r = cli("completion", "tcsh")
    assert r.exit_code == 2
    assert r.stderr.count("\n") == 1 and "bash, zsh, fish" in r.stderr
