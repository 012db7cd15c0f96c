"""The README's examples run (exit 0, or 1 where a --check wall is hit), and every command is documented in
the README and has help text. Examples with shell substitution or pipes are skipped."""

import re
import shlex
from pathlib import Path

import pytest

from llmwalls.cli import COMMANDS

README = (Path(__file__).resolve().parent.parent / "README.md").read_text()


def _examples() -> list[str]:
    commands = []
    for block in re.findall(r"```(?:sh)?\n(.*?)```", README, flags=re.S):
        joined = re.sub(r"\\\n\s*", " ", block)
        for line in joined.splitlines():
            line = line.split("  #")[0].split(" # ")[0].strip()
            if line.startswith("llmwalls ") and not any(ch in line for ch in "$|<>`"):
                commands.append(line)
    return commands


EXAMPLES = _examples()


def test_readme_has_examples_for_every_command():
    for name in COMMANDS:
        assert any(cmd.split()[1] == name for cmd in EXAMPLES) or name == "completion", (
            f"no README example for {name}"
        )
        assert f"llmwalls {name}" in README


@pytest.mark.parametrize("command", EXAMPLES)
def test_readme_example_runs(cli, command, tmp_path, monkeypatch):
    monkeypatch.chdir(Path(__file__).resolve().parent.parent)
    args = shlex.split(command)[1:]
    if "validate" in args and "my-gpu.toml" in args:
        pytest.skip("illustrates a user's own file")
    if args[:2] == ["profiles", "import"]:
        pytest.skip("illustrates a user's own file")
    args = [str(tmp_path / a) if a.endswith((".png", ".svg")) else a for a in args]
    if any(a.endswith((".png", ".svg")) for a in args):
        pytest.importorskip("matplotlib")
    result = cli(*args)
    expected = {0, 1} if "--check" in args else {0}
    assert result.exit_code in expected, f"{command}\n{result.stderr}"
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("name", list(COMMANDS))
def test_every_command_has_help(cli, name):
    result = cli(name, "--help")
    assert result.exit_code == 0
    assert len(result.stdout.strip().splitlines()) > 3
