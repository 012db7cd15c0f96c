"""Writing the audit's files (heat maps, HTML and Markdown reports) through llmwalls.files, the project's
one safe writer: atomic (a temporary file, then a rename), never over an existing file without ``force``,
never through a symbolic link, a refusal being a one-line InputError (exit 2)."""

from __future__ import annotations


def check_target(path: str, *, force: bool, what: str) -> None:
    """Refuse up front (before the work): an existing file without ``force``, a link, a non-file."""
    from llmwalls import files

    files.check_target(path, force=force, what=what)


def write_bytes(path: str, data: bytes, *, force: bool, what: str) -> None:
    from llmwalls import files

    files.atomic_write_bytes(path, data, force=force, what=what)


def write_text(path: str, text: str, *, force: bool, what: str) -> None:
    write_bytes(path, text.encode("utf-8"), force=force, what=what)
