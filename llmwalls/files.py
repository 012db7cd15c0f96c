"""Every file llmwalls reads or writes goes through here.

Reading: the path is opened once, without blocking (a FIFO with no writer would otherwise block ``open``
forever), and the open descriptor -- not the path, which could be swapped in between -- is checked to be a
regular file before one byte is read. At most ``max_bytes + 1`` bytes are read, so ``/dev/zero`` or a
multi-gigabyte file costs nothing. Every failure is one line naming the file.

Writing: the data goes to a new temporary file in the target's directory (created exclusively, mode 0o666
so the user's umask decides the permissions, as for any file a program creates), is flushed to disk, and is
renamed over the target in one step (POSIX rename(2) is atomic). Killed at any moment, the target holds
either the old bytes or the complete new ones; on any failure the temporary file is removed and the old
file is untouched. An existing target is replaced only with ``force``; a symbolic link at the target is
refused even with ``force`` (replacing the link would surprise whoever made it, and following it would
write somewhere the user did not name).

Paths and values in messages are shown with Python's repr escaping (a newline in a file name never makes a
two-line error) and shortened in the middle when long.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import stat
from pathlib import Path
from typing import Any

from llmwalls.errors import InputError, WriteRefusedError

# Longest value or path echoed in a message; longer ones keep their head and tail around "...".
MAX_SHOWN_CHARS = 120


def shorten(text: str, limit: int = MAX_SHOWN_CHARS) -> str:
    """``text`` cut in the middle to at most ``limit`` characters (plus the marker) when longer."""
    if len(text) <= limit:
        return text
    head = limit * 2 // 3
    tail = limit - head
    return f"{text[:head]}...[{len(text) - limit:,} characters]...{text[-tail:]}"


def show(value: object, limit: int = MAX_SHOWN_CHARS) -> str:
    """A value or path for an error message: repr-escaped (quotes, no raw control characters), shortened."""
    return shorten(repr(os.fspath(value) if isinstance(value, Path) else value), limit)


def show_path(path: str | os.PathLike[str], limit: int = MAX_SHOWN_CHARS) -> str:
    """A path for a message: as typed when it is printable, repr-escaped when it holds a newline or other
    control character; shortened in the middle when long."""
    text = os.fspath(path)
    if isinstance(text, bytes):
        text = os.fsdecode(text)
    return shorten(text if text.isprintable() else repr(text), limit)


def one_line(message: str, limit: int = 4_000) -> str:
    """A message as exactly one line of bounded length: control characters escaped, every run of more
    than 2 x MAX_SHOWN_CHARS characters without a space (a pasted value, a long path) shortened, and the
    middle of a still over-long message elided. The CLI's last word on every error it prints; values are
    also shortened where they are formatted."""
    if not message.isprintable():
        message = "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in message)
    message = _LONG_WORD.sub(lambda m: shorten(m.group()), message)
    return shorten(message, limit)


_LONG_WORD = re.compile(rf"\S{{{2 * MAX_SHOWN_CHARS + 1},}}")


class FileReadError(InputError):
    """A file that cannot be read as asked: carries the path (as shown) and the reason, so a caller that
    lists problems per file (profiles validate, the profile directory scan) can report them its own way."""

    def __init__(self, what: str, path: str | os.PathLike[str], reason: str):
        self.what, self.shown_path, self.reason = what, show_path(path), reason
        super().__init__(f"{what} {self.shown_path}: {reason}")


def _os_reason(exc: OSError) -> str:
    if exc.errno == errno.ELOOP:
        return "is a symbolic link loop (or too many levels of links)"
    if exc.errno == errno.ENAMETOOLONG:
        return "file name too long"
    return exc.strerror.lower() if exc.strerror else str(exc)


def _kind_of(mode: int) -> str:
    for test, name in (
        (stat.S_ISDIR, "a directory"),
        (stat.S_ISFIFO, "a named pipe (FIFO)"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
    ):
        if test(mode):
            return name
    return "not a regular file"


def read_bytes(path: str | os.PathLike[str], *, what: str, max_bytes: int) -> bytes:
    """The whole content of a regular file of at most ``max_bytes`` bytes, or a FileReadError."""
    # Looked at before opening, so a device is never even opened (opening some has effects: a watchdog
    # starts its timer, a terminal could become the controlling one); the descriptor's fstat below is the
    # check that counts, as the path could change in between.
    try:
        mode: int | None = os.stat(path).st_mode
    except (OSError, ValueError):
        mode = None  # open() below reports a missing or unreachable path with its reason
    if mode is not None and not stat.S_ISREG(mode):
        raise FileReadError(what, path, f"is {_kind_of(mode)}, not a regular file")
    flags = (
        os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)
    )
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise FileReadError(what, path, "no such file") from None
    except (OSError, ValueError) as exc:  # ValueError: a NUL byte in the path
        reason = _os_reason(exc) if isinstance(exc, OSError) else "the path contains a NUL character"
        raise FileReadError(what, path, f"cannot open: {reason}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise FileReadError(what, path, f"is {_kind_of(info.st_mode)}, not a regular file")
        if info.st_size > max_bytes:
            raise FileReadError(what, path, f"is {info.st_size:,} bytes; a {what} is at most {max_bytes:,}")
        chunks: list[bytes] = []
        size = 0
        while size <= max_bytes:  # st_size can lie (a file still growing, /proc): read no more than allowed
            chunk = os.read(fd, max_bytes + 1 - size)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > max_bytes:
            raise FileReadError(what, path, f"is over {max_bytes:,} bytes; a {what} is at most {max_bytes:,}")
        return b"".join(chunks)
    except OSError as exc:
        raise FileReadError(what, path, f"cannot read: {_os_reason(exc)}") from None
    finally:
        os.close(fd)


def read_text_file(path: str | os.PathLike[str], *, what: str, max_bytes: int) -> str:
    """A regular file's content decoded as UTF-8 (a leading byte-order mark is dropped)."""
    data = read_bytes(path, what=what, max_bytes=max_bytes)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FileReadError(what, path, f"is not UTF-8 text (byte {exc.start:,} cannot be decoded)") from None


def check_target(path: str | os.PathLike[str], *, force: bool, what: str) -> None:
    """Refuse a write target up front (so a command can say so before its work): an existing file
    without ``force``, a symbolic link always, anything but a regular file, a path that cannot be."""
    target = Path(path)
    try:
        existing = os.lstat(target)
    except FileNotFoundError:
        return
    except (OSError, ValueError) as exc:
        reason = _os_reason(exc) if isinstance(exc, OSError) else "the path contains a NUL character"
        raise InputError(f"cannot write {what} {show_path(target)}: {reason}") from None
    if stat.S_ISLNK(existing.st_mode):
        raise WriteRefusedError(
            f"{what} {show_path(target)} is a symbolic link; llmwalls does not write through links "
            "(name the link's target, or remove the link)"
        )
    if not stat.S_ISREG(existing.st_mode):
        raise InputError(f"cannot write {what} {show_path(target)}: it is {_kind_of(existing.st_mode)}")
    if not force:
        raise WriteRefusedError(f"{what} {show_path(target)} exists; pass --force to replace it")


def atomic_write_bytes(
    path: str | os.PathLike[str], data: bytes, *, force: bool, what: str, make_parents: bool = False
) -> None:
    """Write ``data`` to ``path`` atomically (see the module notes): refuse an existing file without
    ``force`` and a symbolic link always; one-line InputError (or WriteRefusedError) on any failure.
    ``make_parents`` creates missing directories (the profile directory), else they must exist."""
    target = Path(path)
    check_target(target, force=force, what=what)
    directory = target.parent
    tmp: Path | None = None
    try:
        if make_parents:
            directory.mkdir(parents=True, exist_ok=True)
        fd, tmp = _create_temporary(directory, target.name)
        try:
            view = memoryview(data)
            while view:
                written = os.write(fd, view)
                view = view[written:]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, target)
        tmp = None
        _fsync_directory(directory)
    except OSError as exc:
        raise InputError(f"cannot write {what} {show_path(target)}: {_os_reason(exc)}") from None
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):  # best effort: the old file is intact either way
                tmp.unlink()


def atomic_write_text(
    path: str | os.PathLike[str], text: str, *, force: bool, what: str, make_parents: bool = False
) -> None:
    """atomic_write_bytes of UTF-8 text."""
    atomic_write_bytes(path, text.encode("utf-8"), force=force, what=what, make_parents=make_parents)


def _create_temporary(directory: Path, name: str) -> tuple[int, Path]:
    """A new file next to the target, created exclusively (never an existing file or a planted link),
    mode 0o666 filtered by the umask."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    stem = name[:100]  # the temporary name must fit NAME_MAX (255) even when the target's name nearly does
    for _ in range(100):
        candidate = directory / f".{stem}.{os.urandom(6).hex()}.tmp"
        try:
            return os.open(candidate, flags, 0o666), candidate
        except FileExistsError:
            continue
    raise OSError(errno.EEXIST, "cannot create a temporary file")


def _fsync_directory(directory: Path) -> None:
    """Make the rename itself durable (POSIX: fsync the directory); not possible on every platform."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


# ---------------------------------------------------------------------------------------------------- TOML

# Deepest nesting a TOML file may have: table-header parts + dotted-key parts + arrays and inline tables
# around a value. The deepest file llmwalls ships nests 4 levels ([case.setup.arch] + a key); tomllib's
# cost grows with the square of a dotted key's length (a 40 KB key of 20,000 parts takes 7 s), so the
# depth is checked by a linear scan of the text before tomllib sees it.
MAX_TOML_DEPTH = 32

# Structural tokens of TOML 1.0; strings (all four kinds) and comments are matched whole so that the
# brackets, dots and equals signs inside them are skipped. Where a value is being read, dots (floats) and,
# outside inline tables, commas do not matter and are not matched, so a long array of numbers costs one
# regex step per bracket, not per element.
_STRINGS = (
    r'"""(?:[^\\"]|\\[\s\S]|"(?!""))*"""(?:""?)?'
    r"|'''[\s\S]*?'''(?:''?)?"
    r'|"(?:[^"\\\n]|\\.)*"'
    r"|'[^'\n]*'"
    r"|#[^\n]*"
)
_IN_KEY = re.compile(_STRINGS + r"|[\[\]{}.=,\n]")
_IN_INLINE_TABLE = re.compile(_STRINGS + r"|[\[\]{},\n]")
_IN_VALUE = re.compile(_STRINGS + r"|[\[\]{}\n]")


def toml_depth_problem(text: str, max_depth: int = MAX_TOML_DEPTH) -> str | None:
    """Why ``text`` nests deeper than ``max_depth`` (None when it does not), from one pass over its
    structural tokens: each part of a [table] header, each part of a dotted key (also inside inline tables)
    and each array around a value adds a level. Stops at the first level over the bound."""
    stack: list[tuple[str, int]] = []  # open arrays / inline tables, with the level outside them
    mode = "key"  # "key" (a key is being read), "header" ([a.b] or [[a.b]]), "value"
    dots = header = level = pos = 0
    while True:
        if mode != "value":
            pattern = _IN_KEY
        else:
            pattern = _IN_INLINE_TABLE if stack and stack[-1][0] == "{" else _IN_VALUE
        match = pattern.search(text, pos)
        if match is None:
            return None
        pos = match.end()
        token = match.group()
        first = token[0]
        if first in "\"'#":
            continue
        if first == "\n":
            if not stack:
                mode, dots, level = "key", 0, header
            continue
        if mode != "value":
            if first == ".":
                dots += 1
                if dots >= max_depth:
                    return f"nested too deeply: a key or table name has more than {max_depth} dotted parts"
            elif first == "=" and mode == "key":
                level += dots + 1
                mode, dots = "value", 0
            elif first == "[" and mode == "key" and not stack:
                mode, dots = "header", 0
            elif first == "]" and mode == "header":
                header = level = dots + 1
                mode, dots = "key", 0
            elif first == "}" and stack:
                level = stack.pop()[1]
                mode = "value"
        elif first in "[{":
            stack.append((first, level))
            if first == "[":
                level += 1
            else:  # an inline table is the value of the key already counted: its keys add the levels
                mode, dots = "key", 0
        elif first in "]}":
            if stack:
                level = stack.pop()[1]
        elif first == ",":  # only matched inside an inline table: the next key starts
            mode, dots, level = "key", 0, stack[-1][1]
        if level > max_depth:
            return f"nested too deeply: tables, keys and arrays more than {max_depth} levels deep"


def parse_toml(text: str) -> dict[str, Any]:
    """TOML text -> dict, with the nesting bound checked first. Raises ValueError with a one-line reason."""
    import tomllib

    problem = toml_depth_problem(text)
    if problem is not None:
        raise ValueError(problem)
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"not valid TOML: {exc}") from None
    except RecursionError:  # the scan bounds nesting; this is the parser's own guard, kept as a backstop
        raise ValueError("arrays or tables nested too deeply") from None


# ---------------------------------------------------------------------------------------------------- JSON

# Deepest nesting of a JSON file llmwalls reads (a Hugging Face config.json nests 2-3 levels: text_config,
# rope_scaling, quantization_config); Python's json module recurses once per level.
MAX_JSON_DEPTH = 64
_JSON_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]')


def parse_json(text: str, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """JSON text -> value, with the nesting checked by a linear scan first. Raises ValueError with a
    one-line reason."""
    import json

    depth = 0
    for match in _JSON_TOKEN.finditer(text):
        first = match.group()[0]
        if first in "[{":
            depth += 1
            if depth > max_depth:
                raise ValueError(f"nested too deeply: arrays and objects more than {max_depth} levels deep")
        elif first in "]}":
            depth -= 1
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not JSON: {exc.msg} at line {exc.lineno}") from None
    except RecursionError:
        raise ValueError("nested too deeply") from None
