"""TAB after an option with choices offers the choices (never file names): --weights and --kv-dtype are the
Enums of llmwalls.api.types in every command that takes them."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from llmwalls.api.types import KvFormat, WeightFormat


def _complete(words: str, cword: int) -> list[str]:
    env = {**os.environ, "_LLMWALLS_COMPLETE": "complete_bash", "COMP_WORDS": words, "COMP_CWORD": str(cword)}
    out = subprocess.run(
        [sys.executable, "-m", "llmwalls"], env=env, capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr
    return out.stdout.split()


@pytest.mark.parametrize("command", ["memory", "roofline", "power", "cost", "walls", "serve"])
def test_weights_complete_to_formats(command):
    assert _complete(f"llmwalls {command} --weights ", 3) == [w.value for w in WeightFormat]


def test_serve_kv_dtype_completes_to_formats():
    assert _complete("llmwalls serve --kv-dtype ", 3) == [k.value for k in KvFormat]


def test_serve_refuses_an_unknown_format(cli):
    r = cli("serve", "--model", "8b", "--gpu", "h100", "--rate", "5", "--weights", "fp9")
    assert r.exit_code == 2
    assert "'fp9' is not one of" in r.stderr
