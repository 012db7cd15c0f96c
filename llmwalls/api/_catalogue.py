"""`profiles`: the catalogue as typed answers - list, show, validate, import a Hugging Face config.json."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from llmwalls import notices
from llmwalls.api.types import Wall
from llmwalls.errors import InputError, LlmwallsError, WriteRefusedError

MAX_CONFIG_BYTES = 1_000_000  # a config.json is a few KB: anything this big is not one


@dataclass(frozen=True)
class AcceleratorFigures:
    """Key datasheet figures of one accelerator, SI units (dense peaks, no sparsity)."""

    memory_bytes: float
    hbm_bandwidth_bytes_per_s: float
    dense_bf16_flops_per_s: float | None
    dense_fp8_flops_per_s: float | None
    tdp_w: float | None
    status: str
    unit_price_usd: float | None
    no_public_price: bool


@dataclass(frozen=True)
class ProfileEntry:
    kind: str
    name: str
    aliases: tuple[str, ...]
    origin: str  # built-in, user
    path: str
    description: str
    source: str
    figures: AcceleratorFigures | None  # accelerators only


@dataclass(frozen=True)
class ListInputs:
    kind: str | None


@dataclass(frozen=True)
class ProfilesListReport:
    inputs: ListInputs
    results: tuple[ProfileEntry, ...]
    walls: tuple[Wall, ...]
    warnings: tuple[str, ...]
    notes: tuple[str, ...]


@dataclass(frozen=True)
class ShowInputs:
    name: str
    kind: str | None


@dataclass(frozen=True)
class DerivedCounts:
    """Figures llmwalls derives from a model profile (engine.model): parameters, bf16 KV bytes per token."""

    params_total: int
    params_active: int
    params_non_embedding: int
    kv_cache_bytes_per_token_bf16: float


@dataclass(frozen=True)
class ShowResults:
    profile: dict[str, Any]  # the profile's fields as stored (SI units, keys name their unit)
    toml: str  # the same profile as TOML
    derived: DerivedCounts | None


@dataclass(frozen=True)
class ProfileShowReport:
    inputs: ShowInputs
    results: ShowResults
    walls: tuple[Wall, ...]
    warnings: tuple[str, ...]
    notes: tuple[str, ...]


@dataclass(frozen=True)
class Validation:
    path: str
    ok: bool
    kind: str | None
    name: str | None
    problems: tuple[str, ...]


@dataclass(frozen=True)
class ValidateReport:
    inputs: tuple[str, ...]
    results: tuple[Validation, ...]
    walls: tuple[Wall, ...]
    warnings: tuple[str, ...]
    notes: tuple[str, ...]


@dataclass(frozen=True)
class ImportResults:
    path: str
    profile: dict[str, Any]


@dataclass(frozen=True)
class ImportReport:
    inputs: dict[str, str | bool | None]
    results: ImportResults
    walls: tuple[Wall, ...]
    warnings: tuple[str, ...]
    notes: tuple[str, ...]


def _figures(name: str) -> AcceleratorFigures | None:
    from llmwalls import catalogue

    try:
        g = catalogue.load_gpu(name)
    except LlmwallsError:
        return None  # a broken user profile: listed, its figures left out
    peak = g.peak_flops_per_s
    return AcceleratorFigures(
        memory_bytes=g.hbm_bytes,
        hbm_bandwidth_bytes_per_s=g.hbm_bandwidth_bytes_per_s,
        dense_bf16_flops_per_s=peak.bf16,
        dense_fp8_flops_per_s=peak.fp8,
        tdp_w=g.tdp_w,
        status=g.status,
        unit_price_usd=g.unit_price_usd,
        no_public_price=g.no_public_price,
    )


def profiles_list(kind: str | None = None) -> ProfilesListReport:
    """The catalogue (built-in and user profiles), each with its source; accelerators with key figures."""
    from llmwalls.catalogue import KIND_DIRS, entries

    if kind is not None and kind not in KIND_DIRS:
        raise InputError(f"profile kind must be one of {', '.join(KIND_DIRS)}, got {kind!r}")
    with notices.collecting() as bag:
        rows = tuple(
            ProfileEntry(
                kind=e.kind,
                name=e.name,
                aliases=tuple(e.aliases),
                origin=e.origin,
                path=str(e.path),
                description=e.description,
                source=e.source,
                figures=_figures(e.name) if e.kind == "gpu" and kind == "gpu" else None,
            )
            for e in entries(kind)
        )
    return ProfilesListReport(ListInputs(kind), rows, (), tuple(bag.warnings), tuple(bag.notes))


def profile_show(name: str, kind: str | None = None) -> ProfileShowReport:
    """One profile as stored, with the figures llmwalls derives from a model."""
    import tomli_w

    from llmwalls import catalogue
    from llmwalls.engine.model import kv_bytes_per_token, param_counts
    from llmwalls.specs import ModelSpec

    with notices.collecting() as bag:
        profile = catalogue.load_any(name, kind)
        derived = None
        if isinstance(profile, ModelSpec):
            counts = param_counts(profile)
            derived = DerivedCounts(
                int(counts.total),
                int(counts.active),
                int(counts.non_embedding),
                float(kv_bytes_per_token(profile)),
            )
        toml = tomli_w.dumps(catalogue.profile_to_toml_dict(profile))
    results = ShowResults(profile.model_dump(mode="json"), toml, derived)
    return ProfileShowReport(ShowInputs(name, kind), results, (), tuple(bag.warnings), tuple(bag.notes))


def profiles_validate(paths: Sequence[str | Path]) -> ValidateReport:
    """Validate profile files: every problem of every file, never stopping at the first."""
    from llmwalls import catalogue
    from llmwalls.files import show_path
    from llmwalls.specs import ClusterSpec

    out = []
    with notices.collecting() as bag:
        for path in paths:
            shown = show_path(path)
            try:
                profile = catalogue.load_path(Path(path))
                if isinstance(profile, ClusterSpec):
                    catalogue.load("gpu", profile.gpu, announce=False)
                out.append(Validation(shown, True, profile.kind, profile.name, ()))
            except LlmwallsError as exc:
                problems = tuple(getattr(exc, "problems", [str(exc)]))
                out.append(Validation(shown, False, None, None, problems))
    return ValidateReport(tuple(str(p) for p in paths), tuple(out), (), tuple(bag.warnings), tuple(bag.notes))


def profiles_import(
    config: str | Path, name: str, *, source: str | None = None, force: bool = False
) -> ImportReport:
    """A Hugging Face config.json as a model profile in the user directory (atomic; an existing profile of
    that
    name is replaced only with ``force``)."""
    import tomli_w

    from llmwalls import catalogue
    from llmwalls.files import parse_json, read_text_file, show_path
    from llmwalls.hf_import import profile_from_hf_config

    config = Path(config)
    with notices.collecting() as bag:
        raw = read_text_file(config, what="config.json", max_bytes=MAX_CONFIG_BYTES)
        try:
            cfg = parse_json(raw)
        except ValueError as exc:
            raise InputError(f"{show_path(config)} is not JSON llmwalls can read: {exc}") from None
        if not isinstance(cfg, dict):
            raise InputError(f"{show_path(config)} is JSON but not an object of config fields")
        data = profile_from_hf_config(cfg, name.lower(), source or f"Hugging Face config.json: {config}")
        profile = catalogue.validate_data("model", data, show_path(config))
        target = catalogue.user_dir() / catalogue.KIND_DIRS["model"] / f"{profile.name}.toml"
        if not force and profile.name in catalogue.index()["model"]:
            existing = catalogue.index()["model"][profile.name]
            raise WriteRefusedError(
                f"a model profile {profile.name!r} exists ({show_path(existing.path)}); "
                "pass --force to replace it"
            )
        catalogue.write_atomic(target, tomli_w.dumps(catalogue.profile_to_toml_dict(profile)), force=force)
    inputs: dict[str, str | bool | None] = {
        "config": str(config),
        "name": name,
        "source": source,
        "force": force,
    }
    results = ImportResults(str(target), profile.model_dump(mode="json"))
    return ImportReport(inputs, results, (), tuple(bag.warnings), tuple(bag.notes))
