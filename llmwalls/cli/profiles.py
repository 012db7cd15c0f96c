"""`llmwalls profiles`: list, show, validate and import profiles."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Annotated, Any

import typer

from llmwalls.cli.options import Force, Json

app = typer.Typer(
    help="List, show, validate and import model / GPU / cluster profiles.",
    no_args_is_help=True,
    rich_markup_mode=None,
)

Kind = Annotated[
    str | None, typer.Option("--kind", "-k", help="Only this kind: model, gpu, cluster, grid, price.")
]


@app.command("list")
def list_(kind: Kind = None, json_: Json = False) -> None:
    """List the catalogue (built-in and user profiles) with each profile's source."""
    from llmwalls import render
    from llmwalls.catalogue import KIND_DIRS, entries
    from llmwalls.errors import InputError

    if kind is not None and kind not in KIND_DIRS:
        raise InputError(f"--kind must be one of {', '.join(KIND_DIRS)}, got {kind!r}")
    rows: list[dict[str, Any]] = [
        {
            "kind": e.kind,
            "name": e.name,
            "aliases": list(e.aliases),
            "origin": e.origin,
            "path": str(e.path),
            "description": e.description,
            "source": e.source,
        }
        for e in entries(kind)
    ]
    if kind == "gpu":
        for row in rows:
            row.update(_gpu_figures(str(row["name"])))
    if json_:
        render.emit_json("profiles.list", {"kind": kind}, rows)
        return
    if kind == "gpu":
        caption = "dense peaks (no sparsity), decimal GB; 'none public': no published purchase price"
        cols = _gpu_columns(render)
        if any(r["origin"] != "built-in" for r in rows):
            cols.insert(1, render.Column("from", "origin", justify="left"))
        render.print_tables([render.Table(f"{len(rows)} accelerators", cols, rows, caption)])
        return
    cols = [
        render.Column("kind", "kind", justify="left"),
        render.Column("name", "name", justify="left"),
        render.Column("aliases", "aliases", lambda a: ", ".join(a), justify="left"),
        render.Column("source", "source", lambda s: s if len(s) <= 70 else s[:67] + "...", justify="left"),
    ]
    if any(r["origin"] != "built-in" for r in rows):
        cols.insert(2, render.Column("from", "origin", justify="left"))
    render.print_tables([render.Table(f"{len(rows)} profiles", cols, rows)])


def _gpu_figures(name: str) -> dict[str, object]:
    """Key figures of one accelerator for `profiles list --kind gpu`, SI units; {} if it fails to load."""
    from llmwalls import catalogue
    from llmwalls.errors import LlmwallsError

    try:
        g = catalogue.load_gpu(name)
    except LlmwallsError:
        return {}
    peak = g.peak_flops_per_s
    return {
        "memory_bytes": g.hbm_bytes,
        "hbm_bandwidth_bytes_per_s": g.hbm_bandwidth_bytes_per_s,
        "dense_bf16_flops_per_s": peak.bf16,
        "dense_fp8_flops_per_s": peak.fp8,
        "tdp_w": g.tdp_w,
        "status": g.status,
        "unit_price_usd": g.unit_price_usd,
        "no_public_price": g.no_public_price,
    }


def _gpu_columns(render: ModuleType) -> list[Any]:
    def si(scale: float, digits: int = 0) -> Callable[[float], str]:
        return lambda x: f"{x / scale:,.{digits}f}"

    def price(row: dict) -> str | None:
        if row.get("unit_price_usd"):
            return f"${row['unit_price_usd']:,.0f}"
        return "none public" if row.get("no_public_price") else None

    return [
        render.Column("name", "name", justify="left"),
        render.Column("GB", "memory_bytes", si(1e9)),
        render.Column("TB/s", "hbm_bandwidth_bytes_per_s", si(1e12, 2)),
        render.Column("bf16 TF", "dense_bf16_flops_per_s", si(1e12)),
        render.Column("fp8 TF", "dense_fp8_flops_per_s", si(1e12)),
        render.Column("TDP W", "tdp_w", si(1.0)),
        render.Column("status", "status", justify="left"),
        render.Column("price", price),
    ]


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
    import tomli_w

    from llmwalls import catalogue, render

    profile = catalogue.load_any(name, kind)
    derived = {}
    if profile.kind == "model":
        from llmwalls.engine.model import kv_bytes_per_token, param_counts

        counts = param_counts(profile)  # type: ignore[arg-type]
        derived = {
            "params_total": counts.total,
            "params_active": counts.active,
            "params_non_embedding": counts.non_embedding,
            "kv_cache_bytes_per_token_bf16": kv_bytes_per_token(profile),  # type: ignore[arg-type]
        }
    if json_:
        render.emit_json(
            "profiles.show", {"name": name}, {"profile": profile.model_dump(mode="json"), "derived": derived}
        )
        return
    text = tomli_w.dumps(catalogue.profile_to_toml_dict(profile))
    if derived:
        text += "\n# derived by llmwalls (not part of the profile)\n"
        text += "".join(f"# {k} = {v:,.0f}\n" for k, v in derived.items())
    render.print_text(text)


@app.command()
def validate(paths: Annotated[list[Path], typer.Argument(help="Profile TOML files to check.")]) -> None:
    """Validate profile files; list every problem and exit 2 if any file is invalid."""
    import sys

    from llmwalls import catalogue
    from llmwalls.errors import LlmwallsError
    from llmwalls.files import one_line, show_path

    bad = 0
    for path in paths:
        try:
            profile = catalogue.load_path(path)
            if profile.kind == "cluster":
                catalogue.load("gpu", profile.gpu, announce=False)  # type: ignore[attr-defined]
            print(f"ok  {show_path(path)}: {profile.kind} {profile.name}")
        except LlmwallsError as exc:
            bad += 1
            problems = getattr(exc, "problems", [str(exc)])
            for problem in problems:
                print(one_line(f"bad {show_path(path)}: {problem}"), file=sys.stderr)
    if bad:
        raise typer.Exit(2)


MAX_CONFIG_BYTES = 1_000_000  # a config.json is a few KB: anything this big is not one


@app.command("import")
def import_(
    config: Annotated[Path, typer.Argument(help="A Hugging Face config.json.")],
    name: Annotated[str, typer.Option("--name", help="Name of the new model profile (lower case).")],
    source: Annotated[
        str | None, typer.Option("--source", help="Where the config came from (default: the file path).")
    ] = None,
    force: Force = False,
) -> None:
    """Turn a Hugging Face config.json into a model profile in the user directory."""
    import tomli_w

    from llmwalls import catalogue
    from llmwalls.errors import InputError, WriteRefusedError
    from llmwalls.files import parse_json, read_text_file, show_path
    from llmwalls.hf_import import profile_from_hf_config

    raw = read_text_file(config, what="config.json", max_bytes=MAX_CONFIG_BYTES)
    try:
        cfg = parse_json(raw)
    except ValueError as exc:
        raise InputError(f"{show_path(config)} is not JSON llmwalls can read: {exc}") from None
    if isinstance(cfg, dict) and "num_hidden_layers" not in cfg and "text_config" in cfg:
        cfg = cfg["text_config"]  # multimodal configs nest the language model's fields
    if not isinstance(cfg, dict):
        raise InputError(f"{show_path(config)} is JSON but not an object of config fields")
    data = profile_from_hf_config(cfg, name.lower(), source or f"Hugging Face config.json: {config}")
    profile = catalogue.validate_data("model", data, show_path(config))
    target = catalogue.user_dir() / catalogue.KIND_DIRS["model"] / f"{profile.name}.toml"
    if not force and profile.name in catalogue.index()["model"]:
        existing = catalogue.index()["model"][profile.name]
        raise WriteRefusedError(
            f"a model profile {profile.name!r} exists ({existing.path}); pass --force to replace it"
        )
    catalogue.write_atomic(target, tomli_w.dumps(catalogue.profile_to_toml_dict(profile)), force=force)
    print(f"wrote {target}")
