"""The tree passes ruff (lint and format) and mypy with the project's configuration in pyproject.toml."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _ruff() -> list[str]:
    exe = Path(sys.executable).with_name("ruff")
    if exe.exists():
        return [str(exe)]
    found = shutil.which("ruff")
    if not found:
        pytest.skip("ruff is not installed (it comes with the test extra)")
    return [found]


@pytest.mark.parametrize("args", [["check", "."], ["format", "--check", "."]], ids=["lint", "format"])
def test_ruff(args):
    if not (ROOT / "pyproject.toml").exists():
        pytest.skip("not a source checkout")
    out = subprocess.run([*_ruff(), *args], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-1000:]


def test_rich_is_imported_only_by_the_render_module():
    # ruff's banned-api rule (pyproject) keeps Rich and Typer out of the engine; inside llmwalls/cli it must
    # allow Typer, so this test keeps Rich out of the CLI modules too (output has one home:
    # the llmwalls/render package).
    import re

    offenders = [
        str(path.relative_to(ROOT))
        for path in (ROOT / "llmwalls").rglob("*.py")
        if "render" not in path.relative_to(ROOT).parts
        and re.search(r"^\s*(from|import) rich\b", path.read_text(), flags=re.M)
    ]
    assert offenders == []


def test_mypy_is_clean():
    # Types are a gate: mypy with the configuration in pyproject.toml ([tool.mypy]) over llmwalls/.
    if not (ROOT / "pyproject.toml").exists():
        pytest.skip("not a source checkout")
    pytest.importorskip("mypy", reason="mypy comes with the test extra")
    out = subprocess.run(
        [sys.executable, "-m", "mypy", "--no-error-summary"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-1000:]
