"""`llmwalls profiles`: list, show, validate and import profiles."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

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
    rows = [
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
    if json_:
        render.emit_json("profiles.list", {"kind": kind}, rows)
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


# Hugging Face config.json field names -> profile fields (Llama, Mistral, Mixtral, Qwen2, DeepSeek-V3).
_HF_REQUIRED = ("num_hidden_layers", "hidden_size", "num_attention_heads", "intermediate_size", "vocab_size")
_HF_MLA = ("kv_lora_rank", "qk_rope_head_dim", "qk_nope_head_dim", "v_head_dim")
MAX_CONFIG_BYTES = 1_000_000  # a config.json is a few KB: anything this big is not one


def profile_from_hf_config(cfg: dict, name: str, source: str) -> dict:
    """Translate a Hugging Face config.json into model-profile fields (validated by the caller)."""
    from llmwalls.errors import InputError
    from llmwalls.files import show

    missing = [k for k in _HF_REQUIRED if k not in cfg]
    if missing:
        raise InputError(f"config.json lacks {', '.join(missing)}; is it a decoder-only LLM config?")
    model_type = str(cfg.get("model_type", ""))
    out: dict = {
        "kind": "model",
        "name": name,
        "description": f"imported from a Hugging Face config.json (model_type {model_type or 'unknown'})",
        "source": source,
        "layers": cfg["num_hidden_layers"],
        "hidden_size": cfg["hidden_size"],
        "attention_heads": cfg["num_attention_heads"],
        "kv_heads": cfg.get("num_key_value_heads") or cfg["num_attention_heads"],
        "ffn_size": cfg["intermediate_size"],
        "vocab_size": cfg["vocab_size"],
        "tied_embeddings": bool(cfg.get("tie_word_embeddings", False)),
        "max_context_tokens": cfg.get("max_position_embeddings", 4096),
    }
    if cfg.get("head_dim"):
        out["head_dim"] = cfg["head_dim"]
    if model_type.startswith("qwen2"):
        out["qkv_bias"] = True  # Qwen2 projections carry Q/K/V biases (not a config key)
    if cfg.get("attention_bias"):
        out["qkv_bias"] = True
    window = cfg.get("sliding_window")
    if window is not None and not (isinstance(window, int) and not isinstance(window, bool)):
        # Some configs give one window per layer (a list) or a string: no single window to model.
        raise InputError(f"config.json sliding_window must be a whole number or null, got {show(window)}")
    context = out["max_context_tokens"]
    if (
        window
        and cfg.get("use_sliding_window", model_type in ("mistral", "mixtral"))
        and (not isinstance(context, int) or window < context)
    ):
        out["sliding_window_tokens"] = window
    if cfg.get("num_local_experts"):  # Mixtral
        out["moe"] = {
            "experts": cfg["num_local_experts"],
            "experts_per_token": cfg.get("num_experts_per_tok", 2),
            "expert_ffn_size": cfg["intermediate_size"],
        }
    if cfg.get("n_routed_experts"):  # DeepSeek-V2/V3
        out["moe"] = {
            "experts": cfg["n_routed_experts"],
            "experts_per_token": cfg.get("num_experts_per_tok", 8),
            "shared_experts": cfg.get("n_shared_experts") or 0,
            "expert_ffn_size": cfg.get("moe_intermediate_size", cfg["intermediate_size"]),
            "dense_layers": cfg.get("first_k_dense_replace", 0),
            "router_bias": cfg.get("topk_method") == "noaux_tc",
        }
    if cfg.get("kv_lora_rank"):  # MLA
        missing = [k for k in _HF_MLA if k not in cfg]
        if missing:
            raise InputError(f"config.json has kv_lora_rank (MLA) but lacks {', '.join(missing)}")
        out["mla"] = {
            "q_lora_rank": cfg.get("q_lora_rank") or 0,
            "kv_lora_rank": cfg["kv_lora_rank"],
            "qk_rope_head_dim": cfg["qk_rope_head_dim"],
            "qk_nope_head_dim": cfg["qk_nope_head_dim"],
            "v_head_dim": cfg["v_head_dim"],
        }
        out["kv_heads"] = out["attention_heads"]
    return out


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
