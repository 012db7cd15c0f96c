"""Writing the audit's files (heat maps, HTML and Markdown reports): atomic, never over an existing file
without ``force``, never through a symbolic link. Uses llmwalls.files when present (its safe writer is the
project's one), else the same rule in a few lines: a temporary file in the target's directory, flushed to
disk, then os.replace (atomic on POSIX: readers see the old file or the new one, never half of either).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


def check_target(path: str, *, force: bool, what: str) -> None:
    """Refuse up front (before the work): an existing file without ``force``, a link, a non-file."""
    from llmwalls.errors import InputError

    target = Path(path)
    if target.is_symlink():
        raise InputError(f"{what} {path} is a symbolic link; llmwalls does not write through links")
    if target.exists():
        if not target.is_file():
            raise InputError(f"cannot write {what} {path}: it is not a regular file")
        if not force:
            raise InputError(f"{what} {path} exists; pass --force to replace it")


def write_bytes(path: str, data: bytes, *, force: bool, what: str) -> None:
    import importlib

    try:
        files = importlib.import_module("llmwalls.files")
    except ModuleNotFoundError:
        _atomic_write_bytes(path, data, force=force, what=what)
    else:
        files.atomic_write_bytes(path, data, force=force, what=what)


def write_text(path: str, text: str, *, force: bool, what: str) -> None:
    write_bytes(path, text.encode("utf-8"), force=force, what=what)


def _atomic_write_bytes(path: str, data: bytes, *, force: bool, what: str) -> None:
    from llmwalls.errors import InputError

    check_target(path, force=force, what=what)
    target = Path(path)
    directory = target.parent if str(target.parent) else Path(".")
    tmp: str | None = None
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=directory)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644 & ~_umask())
        os.replace(tmp, target)
        tmp = None
    except OSError as exc:
        raise InputError(f"cannot write {what} {path}: {exc.strerror or exc}") from None
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
