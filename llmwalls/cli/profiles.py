"""`llmwalls profiles`: list, show, validate and import profiles. Parses, calls llmwalls.api (list, show,
validate, import), renders."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from llmwalls.cli.options import Force, Json

app = typer.Typer(
    help="List, show, validate and import model / GPU / cluster profiles.",
    no_args_is_help=True,
    rich_markup_mode=None,
)


class ProfileKind(StrEnum):
    model = "model"
    gpu = "gpu"
    cluster = "cluster"
    grid = "grid"
    price = "price"


Kind = Annotated[
    ProfileKind | None, typer.Option("--kind", "-k", case_sensitive=False, help="Only this kind of profile.")
]


@app.command("list")
def list_(kind: Kind = None, json_: Json = False) -> None:
    """List the catalogue (built-in and user profiles) with each profile's source."""
    from llmwalls import render
    from llmwalls.api._catalogue import profiles_list
    from llmwalls.render import profiles as view

    report = profiles_list(kind.value if kind else None)
    render.show_notices(report)
    if json_:
        render.print_json_report("profiles.list", report)
    else:
        view.show_list(report)


def _complete_any(incomplete: str) -> list[str]:
    from llmwalls.catalogue import entries

    names = {n for e in entries() for n in (e.name, *e.aliases)}
    return sorted(n for n in names if n.startswith(incomplete.lower()))


@app.command()
def show(
    name: Annotated[
        str, typer.Argument(help="Profile name, alias or TOML path.", autocompletion=_complete_any)
    ],
    kind: Kind = None,
    json_: Json = False,
) -> None:
    """Show one profile as TOML (or --json), with derived figures for models."""
    from llmwalls import render
    from llmwalls.api._catalogue import profile_show
    from llmwalls.render import profiles as view

    report = profile_show(name, kind.value if kind else None)
    render.show_notices(report)
    if json_:
        render.print_json_report("profiles.show", report)
    else:
        view.show_profile(report)


@app.command()
def validate(paths: Annotated[list[Path], typer.Argument(help="Profile TOML files to check.")]) -> None:
    """Validate profile files; list every problem and exit 2 if any file is invalid."""
    from llmwalls import render
    from llmwalls.api._catalogue import profiles_validate
    from llmwalls.render import profiles as view

    report = profiles_validate(paths)
    render.show_notices(report)
    view.show_validation(report)
    if not all(v.ok for v in report.results):
        raise typer.Exit(2)


@app.command("import")
def import_(
    config: Annotated[Path, typer.Argument(help="A Hugging Face config.json.")],
    name: Annotated[str, typer.Option("--name", help="Name of the new model profile (lower case).")],
    source: Annotated[
        str | None, typer.Option("--source", help="Where the config came from (default: the file path).")
    ] = None,
    force: Force = False,
    json_: Json = False,
) -> None:
    """Turn a Hugging Face config.json into a model profile in the user directory."""
    from llmwalls import render
    from llmwalls.api._catalogue import profiles_import
    from llmwalls.render import profiles as view

    report = profiles_import(config, name, source=source, force=force)
    render.show_notices(report)
    if json_:
        render.print_json_report("profiles.import", report)
    else:
        view.show_import(report)
