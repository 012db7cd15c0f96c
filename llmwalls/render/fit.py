"""The one home of tables that fit the terminal without cutting a figure: number columns never wrap or
shorten, name and note columns wrap (folding a long word rather than eliding it), and when a table is still
too wide its secondary columns are dropped, lowest priority first (drop_to_fit), with one note saying what
was left out and how to see it (dropped_note). `table` builds from columns of cells (memory, roofline),
`rows_table` from rows (power, cost); the cluster view drops its columns with drop_to_fit too."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar


@dataclass(frozen=True)
class Col:
    """A column of already formatted cells. ``text`` columns (names, notes) may wrap; the others hold
    figures and are never wrapped or cut. ``drop`` > 0 marks a secondary column: at narrow widths the
    highest ``drop`` goes first."""

    header: str
    cells: Sequence[str] = ()
    justify: str = "right"
    text: bool = False
    drop: int = 0
    name: bool = False  # a name (a profile, a level): left-aligned, one line, never cut (rows_table)


class _Droppable(Protocol):
    @property
    def header(self) -> str: ...

    @property
    def drop(self) -> int: ...


C = TypeVar("C", bound=_Droppable)


def drop_to_fit(columns: list[C], width: int, needed: Callable[[Sequence[C]], int]) -> list[str]:
    """Leave out secondary columns (``drop`` > 0), the highest ``drop`` first, until ``needed(columns)``
    is at most ``width`` or only primary columns are left. Removes them from ``columns``; returns their
    headers, for dropped_note."""
    dropped: list[str] = []
    while needed(columns) > width:
        secondary = [c for c in columns if c.drop > 0]
        if not secondary:
            break
        worst = max(secondary, key=lambda c: c.drop)
        columns.remove(worst)
        dropped.append(worst.header)
    return dropped


def dropped_note(dropped: Sequence[str], width: int) -> str | None:
    """The one sentence that says which columns a narrow terminal left out and where to see them."""
    if not dropped:
        return None
    return f"{', '.join(dropped)} left out at this width: see --json or a terminal wider than {width} columns"


def table(
    console: Any,
    title: str,
    columns: Sequence[Col],
    *,
    styles: Sequence[str | None] = (),
    caption: str | None = None,
) -> tuple[Any, list[str]]:
    """A Rich table of ``columns`` that fits ``console.width``, and the headers of the columns dropped."""
    from rich import box
    from rich.table import Table

    kept = list(columns)
    dropped = drop_to_fit(kept, console.width, _min_width)
    t = Table(
        title=title,
        caption=caption,
        box=box.SIMPLE_HEAD,
        title_justify="left",
        caption_justify="left",
    )
    for c in kept:
        if c.text:
            t.add_column(c.header, justify=c.justify, overflow="fold")  # type: ignore[arg-type]
        else:
            t.add_column(c.header, justify=c.justify, no_wrap=True, min_width=_width(c))  # type: ignore[arg-type]
    n = len(kept[0].cells) if kept else 0
    for i in range(n):
        t.add_row(*(c.cells[i] for c in kept), style=styles[i] if i < len(styles) else None)
    return t, dropped


def _width(c: Col) -> int:
    """Narrowest a column can be: a figure column as wide as its widest cell and header (neither wraps),
    a text column as its longest word (it folds)."""
    if c.text:
        return max(len(w) for text in [c.header, *c.cells] for w in (text.split() or [""]))
    return max(len(x) for x in [c.header, *c.cells])


def _min_width(columns: Sequence[Col]) -> int:
    """The narrowest table: the columns, one space of padding each side, one separator between columns
    and one at each edge (box.SIMPLE_HEAD)."""
    return sum(_width(c) for c in columns) + 3 * len(columns) + 1


def rows_table(
    title: str,
    cols: Sequence[Col],
    rows: Sequence[Sequence[str]],
    *,
    caption: str | None = None,
    bold_rows: Sequence[int] = (),
) -> Any:
    """A Rich table of string rows whose columns all fit as they are (power, cost): ``text`` columns are
    notes (left, wrap at spaces), ``name`` columns names (left, one line), the others figures (right, one
    line); no column is ever cut."""
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
