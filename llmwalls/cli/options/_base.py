"""What the option groups share: the optional types, name completion from the catalogue, the layout-degree
factory and the --quiet callback."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import typer

_OptStr = str | None
_OptInt = int | None


def _complete(kind: str) -> Callable[[str], list[str]]:
    def complete(incomplete: str) -> list[str]:
        from llmwalls.catalogue import entries

        names = []
        for entry in entries(kind):
            names.append(entry.name)
            names.extend(entry.aliases)
        return [n for n in sorted(set(names)) if n.startswith(incomplete.lower())]

    return complete


def _degree(flag: str, what: str, most: int, *, searched: bool) -> Any:
    return typer.Option(flag, min=1, max=most, help=f"{what}{' (default: searched)' if searched else ''}.")


def _set_quiet(value: bool) -> bool:
    from llmwalls import notices

    notices.set_quiet(bool(value))
    return value
