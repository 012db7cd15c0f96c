"""The Python examples of the docs (```pycon blocks in README.md and docs/*.md) run as doctests; printed
numbers are compared within their printed rounding (tests/doc_examples.py), text exactly (`...` elides)."""

from __future__ import annotations

import doctest
import re

import pytest
from doc_examples import ROOT, line_matches

PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")), *sorted((ROOT / "docs").glob("*/*.md"))]
FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


class _RoundingChecker(doctest.OutputChecker):
    def check_output(self, want: str, got: str, optionflags: int) -> bool:
        if super().check_output(want, got, optionflags):
            return True
        wanted, real = want.strip().splitlines(), got.strip().splitlines()
        return len(wanted) == len(real) and all(line_matches(w, r) for w, r in zip(wanted, real, strict=True))


def _blocks() -> list[tuple[str, str]]:
    blocks = []
    for page in PAGES:
        text = page.read_text()
        for m in re.finditer(r"^```pycon\n(.*?)^```", text, flags=re.S | re.M):
            line = text[: m.start()].count("\n") + 1
            blocks.append((f"{page.relative_to(ROOT)}:{line}", m.group(1)))
    return blocks


BLOCKS = _blocks()


def test_the_api_page_has_examples():
    assert any(source.startswith("docs/api.md") for source, _ in BLOCKS)


@pytest.mark.parametrize("source,block", BLOCKS, ids=[source for source, _ in BLOCKS])
def test_python_example(source: str, block: str, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(ROOT)  # paths in the examples are relative to the repository
    test = doctest.DocTestParser().get_doctest(block, {}, source, source, 0)
    runner = doctest.DocTestRunner(checker=_RoundingChecker(), optionflags=FLAGS)
    report: list[str] = []
    runner.run(test, out=report.append)
    assert runner.failures == 0, "".join(report)


def test_rounding_checker_fails_a_wrong_number():
    checker = _RoundingChecker()
    assert checker.check_output("2.19\n", "2.193292\n", FLAGS)
    assert not checker.check_output("2.19\n", "2.21\n", FLAGS)
