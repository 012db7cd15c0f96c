"""Runs tests/test_exit_codes.sh (the shell-script test of exit codes 0 / 1 / 2) with
bash, against this interpreter's llmwalls (LLMWALLS="<python> -m llmwalls"). Skipped where bash is missing."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).with_name("test_exit_codes.sh")


@pytest.mark.skipif(shutil.which("bash") is None, reason="bash is not installed")
def test_exit_codes_script(isolated_home):
    env = dict(os.environ)
    env["LLMWALLS"] = f"{sys.executable} -m llmwalls"
    env["LLMWALLS_HOME"] = str(isolated_home)
    root = str(SCRIPT.resolve().parent.parent)
    env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    proc = subprocess.run(["bash", str(SCRIPT)], env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "all exit codes as expected" in proc.stdout
