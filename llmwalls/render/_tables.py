"""Tables that fit the terminal without cutting a figure: figure columns never wrap (a number is one
unbreakable cell), name and note columns wrap at spaces and fold a word longer than the column, so the
width is taken from the notes and no cell is ever shortened with an ellipsis."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Col:
    header: str
    text: bool = False  # a note: left-aligned, wraps at spaces; else a figure: right-aligned, one line
    name: bool = False  # a name (a profile, a level): left-aligned, one line, never cut


def table(
    title: str,
    cols: Sequence[Col],
    rows: Sequence[Sequence[str]],
    *,
    caption: str | None = None,
    bold_rows: Sequence[int] = (),
) -> Any:
    """A Rich table (box SIMPLE_HEAD, title and caption on the left) of string cells."""
    from rich import box
    from rich.table import Table

    t = Table(title=title, caption=caption, box=box.SIMPLE_HEAD, title_justify="left", caption_justify="left")
    for c in cols:
        if c.text:
            t.add_column(c.header, justify="left", overflow="fold")
        elif c.name:
            t.add_column(c.header, justify="left", no_wrap=True)
        else:
            t.add_column(c.header, justify="right", no_wrap=True)
    for i, row in enumerate(rows):
        t.add_row(*row, style="bold" if i in bold_rows else None)
    return t


def count(x: float) -> str:
    """A count or a whole quantity as it is (8, 1,024, 36); anything else to 3 significant figures."""
    from llmwalls.render.numbers import sig

    return f"{x:,.0f}" if float(x).is_integer() else sig(x)


def show(tables: Sequence[Any], lines: Sequence[tuple[str, str | None]] = ()) -> None:
    """Print the tables, then the summary lines (text, Rich style or None) on stdout."""
    from llmwalls.render import _console, emit

    console = _console()
    with console.capture() as captured:
        for t in tables:
            console.print(t)
        for text, style in lines:
            console.print(text, style=style, markup=False, highlight=False)
    emit(captured.get())
