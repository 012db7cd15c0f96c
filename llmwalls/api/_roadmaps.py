"""The roadmaps that ship with llmwalls (profiles/roadmaps/: reachable by name from outside the repository,
e.g. `llmwalls audit example`) and the commented starter roadmap `llmwalls audit --template FILE` writes."""

from __future__ import annotations

import re
from pathlib import Path

from llmwalls.errors import InputError

TEMPLATE = "template"  # profiles/roadmaps/template.toml: every key, commented


def roadmaps_dir() -> Path:
    from llmwalls.catalogue import builtin_dir

    return builtin_dir() / "roadmaps"


def shipped_names() -> tuple[str, ...]:
    return tuple(sorted(p.stem for p in roadmaps_dir().glob("*.toml")))


def shipped_roadmap(text: str) -> str:
    """A path as given, or the shipped roadmap of that name (``example`` -> .../roadmaps/example.toml) when
    ``text`` is a bare name and no such file exists here."""
    try:
        exists = Path(text).exists()
    except (OSError, ValueError):  # a name too long for the file system, a NUL: the roadmap reader says so
        return text
    if exists or not re.fullmatch(r"[A-Za-z0-9_-]{1,64}", text):
        return text
    shipped = roadmaps_dir() / f"{text}.toml"
    if shipped.is_file():
        return str(shipped)
    shipped_list = ", ".join(shipped_names())
    raise InputError(
        f"no roadmap file {text!r}, and no shipped roadmap of that name (shipped: {shipped_list})"
    )


def template_text() -> str:
    return (roadmaps_dir() / f"{TEMPLATE}.toml").read_text(encoding="utf-8")


def write_template(path: str, *, force: bool = False) -> None:
    """Write the commented starter roadmap to ``path`` (atomically; an existing file only with ``force``)."""
    from llmwalls.render.output import write_text

    write_text(path, template_text(), force=force, what="roadmap template")
