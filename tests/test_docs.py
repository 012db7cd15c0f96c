"""The reference in docs/: one page per command whose options section is generated from the command's
--help (llmwalls.cli.docgen) and fails this test when out of date (LLMWALLS_UPDATE_DOCS=1 rewrites it);
relative links resolve; the licence and the docs ship in the sdist."""

from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path

import pytest

from llmwalls.cli import COMMANDS, docgen

ROOT = Path(__file__).resolve().parent.parent


def test_every_command_has_a_page_and_nothing_else_does():
    pages = {p.stem for p in (ROOT / "docs" / "commands").glob("*.md")}
    assert pages == set(COMMANDS)


def test_generated_options_are_up_to_date():
    if os.environ.get("LLMWALLS_UPDATE_DOCS") == "1":
        docgen.write_pages()
    stale = [p.name for p in docgen.stale_pages()]
    assert not stale, f"out of date: {stale}; run `python -m llmwalls.cli.docgen` (or LLMWALLS_UPDATE_DOCS=1)"


def test_staleness_is_detected(tmp_path, monkeypatch):
    # a page whose table lacks an option the command has is stale, and rewriting it restores the option
    monkeypatch.setattr(docgen, "DOCS", tmp_path)
    assert docgen.write_pages()  # every page is new here
    page = tmp_path / "power.md"
    text = page.read_text()
    assert "`--site-mw <str>`" in text
    page.write_text("\n".join(line for line in text.splitlines() if "--site-mw" not in line) + "\n")
    assert docgen.stale_pages() == [page]
    assert docgen.main(["--check"]) == 1
    docgen.write_pages()
    assert page.read_text() == text
    assert docgen.main(["--check"]) == 0


def test_generated_section_keeps_the_prose():
    page = (
        "# llmwalls power\n\nProse written by hand.\n\n"
        + docgen.BEGIN
        + "\nSTALE-TEXT\n"
        + docgen.END
        + "\n\nAfter.\n"
    )
    new = docgen.render_page("power", page)
    assert new.startswith("# llmwalls power\n\nProse written by hand.\n\n" + docgen.BEGIN)
    assert new.endswith(docgen.END + "\n\nAfter.\n")
    assert "STALE-TEXT" not in new


_LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")


@pytest.mark.parametrize(
    "page", [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))], ids=lambda p: p.name
)
def test_relative_links_resolve(page: Path):
    for target in _LINK.findall(page.read_text()):
        if target.startswith(("http://", "https://", "mailto:")):
            continue
        assert (page.parent / target).exists(), f"{page.name}: broken link {target}"


def test_licence_and_docs_ship_in_the_sdist():
    assert "MIT License" in (ROOT / "LICENSE").read_text()
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert project["project"]["license"] == "MIT"
    include = project["tool"]["hatch"]["build"]["targets"]["sdist"]["include"]
    assert {"docs", "LICENSE", "README.md", "CHANGELOG.md"} <= set(include)


def _untracked_part(part: str) -> bool:
    """What a copy without git holds beside the project: a virtual environment, caches, build output."""
    return part.startswith(".") or part.endswith(".egg-info") or part in {"build", "dist", "__pycache__"}


def _tracked_text_files() -> list[Path]:
    import subprocess

    try:
        names = subprocess.run(
            ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.split()
    except (OSError, subprocess.CalledProcessError):  # an sdist or a copy of the tree: no git
        names = [
            str(p.relative_to(ROOT))
            for p in ROOT.rglob("*")
            if p.is_file() and not any(_untracked_part(part) for part in p.relative_to(ROOT).parts)
        ]
    return [ROOT / n for n in names if (ROOT / n).suffix in {".py", ".md", ".toml", ".sh", ".txt", ""}]


# Built from pieces so that this file does not match itself.
_OUTSIDE = re.compile(
    "|".join(
        [
            r"se" + r"ed 0\d\d",  # documents outside the repository
            r"(^|[^_a-z])" + r"cases" + r"\.toml",  # a case file outside it (ours is validation_cases.toml)
            r"\.\./" + "shared",
            "/wo" + "rk/",  # a machine path
            r"\b[Ii]ss"
            + r"ue \d+\b(?! *\))",  # how the project was developed (an upstream issue is cited by repo)
        ]
    )
)


def test_the_project_stands_on_its_own():
    """No reference to a file outside the repository, no machine path, no development history: every figure
    cites its publication (NVIDIA/nccl-tests issue 290 is a public thread and is cited as one)."""
    hits = []
    for path in _tracked_text_files():
        if not path.exists() or path.name == "test_docs.py":
            continue
        for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
            if _OUTSIDE.search(line) and "nccl-tests issue 290" not in line:
                hits.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()[:100]}")
    assert not hits, "\n".join(hits)
