"""--quiet (llmwalls.cli.options.Quiet): notes and warnings leave stderr, errors stay, the JSON keeps them;
and a command that picks hardware for the user says so on stderr."""

from __future__ import annotations

import pytest

from llmwalls.cli import COMMANDS, load_command


def test_quiet_leaves_out_notes_and_warnings(cli):
    loud = cli("power", "--gpu", "h100", "--gpus", "8")
    assert loud.exit_code == 0
    assert "llmwalls: gpu 'h100' -> h100-sxm" in loud.stderr  # the alias note
    quiet = cli("power", "--gpu", "h100", "--gpus", "8", "--quiet")
    assert quiet.exit_code == 0
    assert quiet.stderr == ""
    assert quiet.stdout == loud.stdout


def test_quiet_keeps_warnings_in_the_json(cli):
    # h800 has no public purchase price: a warning, on stderr normally, in the JSON always
    r = cli("cost", "--gpu", "h800", "--gpu-hours", "2.788M", "--json", "-q")
    assert r.exit_code == 0
    assert r.stderr == ""
    assert any("no public purchase price" in w for w in r.json()["warnings"])


def test_quiet_never_hides_an_error(cli):
    r = cli("power", "--gpu", "h100x", "--gpus", "8", "--quiet")
    assert r.exit_code == 2
    assert r.stderr.startswith("llmwalls: error: unknown gpu 'h100x'")


def test_quiet_lasts_one_run(cli):
    assert cli("calibrate", "--category", "decode", "--quiet").stderr == ""
    assert "llmwalls: gpu 'h100' -> h100-sxm" in cli("power", "--gpu", "h100", "--gpus", "8").stderr


def _quiet_help(name: str) -> str | None:
    command = load_command(name)
    for param in command.params:
        if "--quiet" in getattr(param, "opts", ()):
            return param.help
    return None


@pytest.mark.parametrize("name", ["cluster", "power", "cost", "serve", "calibrate"])
def test_quiet_is_the_one_shared_option(name):
    assert _quiet_help(name) == _quiet_help("power") is not None
    assert {_quiet_help(n) for n in COMMANDS if _quiet_help(n) is not None} == {_quiet_help("power")}


def test_a_default_cluster_is_announced(cli):
    # no --cluster: the run is planned on dgx-h100's nodes and fabric, and stderr says so
    r = cli("cluster", "--model", "8b", "--gpus", "64")
    assert r.exit_code == 0
    assert "llmwalls: no cluster given: assuming dgx-h100 (h100-sxm GPUs in its nodes and fabric)" in r.stderr
    assert (
        "no cluster given"
        not in cli("cluster", "--model", "8b", "--gpus", "64", "--cluster", "dgx-h100").stderr
    )
    # a GPU without a cluster sits in the default cluster's nodes: said too
    r = cli("cluster", "--model", "8b", "--gpus", "64", "--gpu", "h200")
    assert "no cluster given: assuming dgx-h100 (h200-sxm GPUs in its nodes and fabric)" in r.stderr
