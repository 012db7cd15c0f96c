"""One error family. Every user-facing error is an LlmwallsError: the CLI prints its message on one line to
stderr and exits with its exit_code (2: bad input). Subclasses also inherit the matching builtin, so library
callers can catch ValueError / LookupError / FileExistsError as usual (after pint's design)."""

from __future__ import annotations


class LlmwallsError(Exception):
    """Base of all errors meant for the user. ``str(err)`` is the one-line message."""

    exit_code = 2


class InputError(LlmwallsError, ValueError):
    """A command-line value or combination of values that cannot be used."""


class ProfileNotFoundError(LlmwallsError, LookupError):
    """No profile of that kind by that name; carries the closest names."""

    def __init__(self, kind: str, name: str, suggestions: list[str]):
        self.kind, self.name, self.suggestions = kind, name, suggestions
        hint = f"; did you mean {', '.join(suggestions)}?" if suggestions else ""
        listing = "llmwalls profiles list" + (f" --kind {kind}" if kind != "profile" else "")
        super().__init__(f"unknown {kind} {name!r}{hint} (see `{listing}`)")


class ProfileError(LlmwallsError, ValueError):
    """A profile file that cannot be read or does not validate; carries every problem found."""

    def __init__(self, where: str, problems: list[str]):
        self.where, self.problems = where, problems
        super().__init__(f"{where}: " + "; ".join(problems))


class WriteRefusedError(LlmwallsError, FileExistsError):
    """Refusing to overwrite a file the user owns without --force."""
