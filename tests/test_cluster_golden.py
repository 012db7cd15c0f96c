"""Golden files of `llmwalls cluster`'s human output for its README examples at 80 and 120 columns on a
colourless console, through the shared helper tests/golden.py (named examples: the README section is
checked to hold each one)."""

from __future__ import annotations

import re
import shlex

import pytest
from golden import README, WIDTHS, check, path_of

# the examples of docs/commands/cluster.md, by golden-file name
EXAMPLES = {
    "405b-16384-gpus": "llmwalls cluster --model 405b --cluster dgx-h100 --gpus 16384 --tokens 15e12",
    "70b-search": "llmwalls cluster --model 70b --cluster dgx-h100 --gpus 256 --search --top 10",
    "405b-given-layout": (
        "llmwalls cluster --model 405b --gpus 16384 --tp 8 --pp 16 --dp 128 --uneven-pp --recompute selective"
    ),
    "8b-pcie-fixed-per-gpu": (
        "llmwalls cluster --model 8b --cluster pcie-h100-roce --gpus 128 --scaling fixed-per-gpu --check"
    ),
}


def test_examples_are_the_readme_ones():
    section = README.split("# llmwalls cluster\n", 1)[1].split("<!-- BEGIN GENERATED", 1)[0]  # its page
    in_readme = {
        re.sub(r"\s+", " ", line.removeprefix("$ ").split("  #")[0]).strip() for line in section.splitlines()
    }
    for command in EXAMPLES.values():
        assert command in in_readme, command


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_golden(cli, monkeypatch, name, width):
    monkeypatch.setenv("COLUMNS", str(width))
    monkeypatch.setenv("NO_COLOR", "1")
    r = cli(*shlex.split(EXAMPLES[name])[1:])
    assert r.exit_code in (0, 1), r.stderr
    check(path_of("cluster", name, width), r.stdout, width)
