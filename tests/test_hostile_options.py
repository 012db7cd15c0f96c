"""Every value-taking option of every command, given hostile values: always a clean exit (2 for bad input),
one line on stderr, never a traceback, and never silently accepted. Options that only apply in another mode
(e.g. `walls --tokens` without `--train`) must be refused too, so a script's typo is never ignored."""

import pytest

from llmwalls.cli import load_command

# A minimal valid invocation of each command, to which one hostile option is added.
BASE = {
    "memory": ["--model", "8b"],
    "roofline": ["--model", "8b", "--gpu", "h100"],
    "cluster": ["--model", "8b", "--gpus", "8"],
    "power": ["--cluster", "dgx-h100"],
    "cost": ["--gpu", "h100"],
    "walls": ["--model", "8b", "--gpu", "h100"],
    "audit": ["profiles/roadmaps/example.toml"],
    "calibrate": [],
}
HOSTILE = ["-1", "nan", "abc"]
SKIP = {"--plot", "--help", "--assumptions", "--cases", "--html", "--markdown", "--heatmap", "--template"}
# (file paths: tested in their own modules)


def _cases():
    for name, prefix in BASE.items():
        for param in load_command(name).params:
            if param.param_type_name != "option" or param.is_flag or not param.opts:
                continue
            if param.opts[0] in SKIP:
                continue
            for value in HOSTILE:
                yield pytest.param(name, prefix, param.opts[0], value, id=f"{name}{param.opts[0]}={value}")


@pytest.mark.parametrize(("name", "prefix", "option", "value"), list(_cases()))
def test_hostile_value_is_refused_cleanly(cli, monkeypatch, name, prefix, option, value):
    from pathlib import Path

    monkeypatch.chdir(Path(__file__).resolve().parent.parent)
    r = cli(name, *prefix, option, value)
    assert "Traceback" not in r.stderr
    # Text options that name things (--weights, --recompute, --grid ...) and numeric options alike must
    # refuse these three values; a few options accept any text by design (none today).
    assert r.exit_code == 2, f"{name} {option} {value!r} was accepted (exit {r.exit_code})"
    assert r.stderr.strip().splitlines()[-1].startswith("llmwalls: error: ")
