"""Warnings and notes raised while answering a question, collected for the result instead of printed.

The engine, the catalogue and the API never print: they call :func:`warn` (something the user should act
on, such
as a context above the model's maximum) or :func:`note` (information, such as which profile an alias resolved
to). An API call collects both with :func:`collecting` and returns them in its result; the render layer shows
them on stderr and the JSON carries them. Outside a collector they are dropped, so engine functions stay pure.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field


@dataclass
class Notices:
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


_current: ContextVar[Notices | None] = ContextVar("llmwalls_notices", default=None)


@contextmanager
def collecting() -> Iterator[Notices]:
    """Collect the warnings and notes raised inside the block. Nested collectors each see their own; the outer
    one receives what an inner one collected when the inner block ends, so a composed answer keeps them
    all."""
    bag = Notices()
    outer = _current.get()
    token = _current.set(bag)
    try:
        yield bag
    finally:
        _current.reset(token)
        if outer is not None:
            outer.warnings.extend(w for w in bag.warnings if w not in outer.warnings)
            outer.notes.extend(n for n in bag.notes if n not in outer.notes)


def active() -> bool:
    """Whether a collector is running (else a warning would be dropped)."""
    return _current.get() is not None


def warn(message: str) -> None:
    bag = _current.get()
    if bag is not None and message not in bag.warnings:
        bag.warnings.append(message)


def note(message: str) -> None:
    bag = _current.get()
    if bag is not None and message not in bag.notes:
        bag.notes.append(message)
