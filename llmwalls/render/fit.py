"""Tables that fit the terminal without cutting a figure: number columns never wrap or shorten, name and
note columns wrap (folding a long word rather than eliding it), and when the table is still too wide the
secondary columns are dropped, lowest priority first, with a note saying what was left out."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Col:
    """A column of already formatted cells. ``text`` columns (names, notes) may wrap; the others hold
    figures and are never wrapped or cut. ``drop`` > 0 marks a secondary column: at narrow widths the
    highest ``drop`` goes first."""

    header: str
    cells: Sequence[str]
    justify: str = "right"
    text: bool = False
    drop: int = 0


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
    dropped: list[str] = []
    while True:
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
        secondary = [c for c in kept if c.drop > 0]
        if not secondary or _min_width(kept) <= console.width:
            return t, dropped
        worst = max(secondary, key=lambda c: c.drop)
        kept.remove(worst)
        dropped.append(worst.header)


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


def dropped_note(dropped: Sequence[str]) -> str | None:
    if not dropped:
        return None
    names = ", ".join(dropped)
    return f"({names} left out at this width: see --json or a wider terminal)"
