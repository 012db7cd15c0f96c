"""Every example of README.md and docs/ runs, exits with the code it states (0 unless `# exit N` says
otherwise), and prints the output the page shows, numbers within their printed rounding (the conventions are
in tests/doc_examples.py). Every command has an example and help text."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from doc_examples import FIXTURES, ROOT, WIDTH, Example, extract, jq, line_matches, unmatched

from llmwalls.cli import COMMANDS

PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")), *sorted((ROOT / "docs").glob("*/*.md"))]
EXAMPLES = [example for page in PAGES for example in extract(page)]
_RESULTS: dict[tuple[str, ...], Any] = {}


def test_every_command_has_an_example():
    for name in COMMANDS:
        assert any(e.args[:1] == [name] for e in EXAMPLES), (
            f"no example of `llmwalls {name}` in README or docs"
        )


def test_check_examples_state_their_exit_code():
    for page in PAGES:
        for line in page.read_text().splitlines():
            body = line.removeprefix("$ ")
            if body.startswith("llmwalls ") and " --check" in body.split("#")[0]:
                assert "# exit " in line, f"{page.name}: `{body}` must say `# exit N`"


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.source for e in EXAMPLES])
def test_example(cli, example: Example, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COLUMNS", WIDTH)
    (tmp_path / "profiles").symlink_to(ROOT / "profiles")
    for name, text in FIXTURES.items():
        (tmp_path / name).write_text(text)
    args = example.args
    if "--plot" in args and args[args.index("--plot") + 1].endswith((".png", ".svg")):
        pytest.importorskip("matplotlib")
    result = _RESULTS.get(tuple(args))
    if result is None:  # the same command shown on two pages runs once
        result = _RESULTS[tuple(args)] = cli(*args)
    assert "Traceback" not in result.stderr
    assert result.exit_code == example.exit_code, f"{example.command}\n{result.stderr}"
    out = result.stdout
    if example.pipe is not None:
        if shutil.which("jq") is None:
            pytest.skip("jq is not installed")
        out = jq(example.pipe, out)
    shown_out = [line for line in example.shown if not line.startswith("llmwalls:")]
    shown_err = [part for line in example.shown if line.startswith("llmwalls:") for part in ("...", line)]
    missing = unmatched(shown_out, out.splitlines())
    assert missing is None, f"{example.source}: shown line not in the real output:\n{missing}\n---\n{out}"
    missing = unmatched(shown_err, result.stderr.splitlines())
    assert missing is None, f"{example.source}: shown line not on stderr:\n{missing}\n---\n{result.stderr}"


@pytest.mark.parametrize("name", list(COMMANDS))
def test_every_command_has_help(cli, name):
    result = cli(name, "--help")
    assert result.exit_code == 0
    assert len(result.stdout.strip().splitlines()) > 3


# ------------------------------------------------------------------------- the comparison itself


def test_numbers_compare_within_their_printed_rounding():
    # 135.0 stands for [134.95, 135.05]; the real 134.96 (printed to 2 decimals, +-0.005) overlaps it.
    assert line_matches("needs 135.0 GiB", "needs 134.96 GiB")
    assert not line_matches("needs 135.0 GiB", "needs 135.2 GiB")
    # an integer is exact to half a unit: 19,808 vs 19,809 differ
    assert line_matches("19,808 GPUs", "19,808 GPUs")
    assert not line_matches("19,808 GPUs", "19,809 GPUs")
    # 36.5 MW covers the real 36.47 MW; text must match
    assert line_matches("draws 36.5 MW", "draws 36.47 MW")
    assert not line_matches("draws 36.5 MW", "uses 36.47 MW")
    # a shown line ending in ' ...' is the start of the real line
    assert line_matches(
        "Memory capacity is hit first (188%) ...", "Memory capacity is hit first (188%): 135 GiB"
    )


def test_shown_lines_follow_each_other_unless_elided():
    real = ["a 1", "b 2", "c 3"]
    assert unmatched(["a 1", "b 2"], real) is None
    assert unmatched(["a 1", "c 3"], real) == "c 3"
    assert unmatched(["a 1", "...", "c 3"], real) is None
    assert unmatched(["c 3", "a 1"], real) == "a 1"
