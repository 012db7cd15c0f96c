"""The profile catalogue: built-in TOML files shipped in the package, plus the user's directory
(``LLMWALLS_HOME``, default the platform's config dir), which adds profiles or overrides built-in ones by
name. Names resolve case-insensitively, by full name, alias, or a unique fragment; a path to a TOML file
works anywhere a name does.

Reading the index parses every TOML file (a few ms); pydantic validation happens only for the profiles a
command actually uses.
"""

from __future__ import annotations

import difflib
import math
import os
import sys
import tempfile
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from llmwalls.errors import ProfileError, ProfileNotFoundError, WriteRefusedError

if TYPE_CHECKING:
    from llmwalls.specs import ClusterSpec, GpuSpec, ModelSpec, Profile

KIND_DIRS = {"model": "models", "gpu": "gpus", "cluster": "clusters", "grid": "grids", "price": "prices"}
MAX_PROFILE_BYTES = 1_000_000  # a profile is a page of TOML; anything bigger is not one


def builtin_dir() -> Path:
    """Inside an installed wheel: llmwalls/profiles. From a source checkout: the repo's top-level
    profiles/."""
    packaged = Path(__file__).resolve().parent / "profiles"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parent.parent / "profiles"


def user_dir() -> Path:
    env = os.environ.get("LLMWALLS_HOME")
    if env:
        return Path(env).expanduser()
    if sys.platform == "win32":
        base = Path(os.environ.get("APPDATA", Path.home() / "AppData" / "Roaming"))
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return base / "llmwalls"


@dataclass(frozen=True)
class Entry:
    kind: str
    name: str
    aliases: tuple[str, ...]
    path: Path
    origin: str  # "built-in" or "user"
    source: str
    description: str
    data: dict[str, Any] | None = field(
        default=None, compare=False, repr=False
    )  # parsed TOML, reused by load


def read_toml(path: Path) -> dict[str, Any]:
    """Parse a TOML file with one-line errors for the ways it can go wrong."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise ProfileError(str(path), [f"cannot read file: {exc.strerror or exc}"]) from None
    if size > MAX_PROFILE_BYTES:
        raise ProfileError(str(path), [f"file is {size:,} bytes; a profile is at most {MAX_PROFILE_BYTES:,}"])
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ProfileError(str(path), [f"not valid TOML: {exc}"]) from None
    except RecursionError:  # hostile nesting ([[[[...]]]]): tomllib recurses once per level
        raise ProfileError(str(path), ["arrays or tables nested too deeply to be a profile"]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ProfileError(str(path), [f"cannot read file: {exc}"]) from None


def _scan(root: Path, origin: str) -> list[Entry]:
    entries = []
    if not root.is_dir():
        return entries
    for path in sorted(root.rglob("*.toml")):
        try:
            data = read_toml(path)
        except ProfileError:
            if origin == "built-in":
                raise
            continue  # a broken user file must not break every command; `profiles validate` reports it
        kind = data.get("kind")
        name = data.get("name")
        if kind not in KIND_DIRS or not isinstance(name, str):
            continue  # roadmaps and other TOML files live here too
        aliases = data.get("aliases", [])
        aliases = tuple(a.lower() for a in aliases if isinstance(a, str)) if isinstance(aliases, list) else ()
        entries.append(
            Entry(
                kind,
                name.lower(),
                aliases,
                path,
                origin,
                str(data.get("source", "")),
                str(data.get("description", "")),
                data,
            )
        )
    return entries


@lru_cache(maxsize=1)
def index() -> dict[str, dict[str, Entry]]:
    """kind -> name -> Entry. User profiles replace built-in ones of the same kind and name."""
    out: dict[str, dict[str, Entry]] = {k: {} for k in KIND_DIRS}
    for entry in _scan(builtin_dir(), "built-in") + _scan(user_dir(), "user"):
        out[entry.kind][entry.name] = entry
    return out


def entries(kind: str | None = None) -> list[Entry]:
    idx = index()
    kinds = [kind] if kind else list(KIND_DIRS)
    return [e for k in kinds for e in sorted(idx[k].values(), key=lambda e: e.name)]


def _looks_like_path(text: str) -> bool:
    return text.endswith(".toml") or os.sep in text or "/" in text


def resolve(kind: str, text: str, *, announce: bool = True) -> Entry:
    """Find a profile by name, alias, unique fragment, or path. Raises ProfileNotFoundError with
    suggestions."""
    if _looks_like_path(text):
        path = Path(text).expanduser()
        if not path.is_file():
            raise ProfileError(text, ["no such file"])
        data = read_toml(path)
        if data.get("kind") != kind:
            raise ProfileError(text, [f"kind = {data.get('kind')!r}, but a {kind} profile is needed here"])
        return Entry(
            kind, str(data.get("name", path.stem)), (), path, "file", str(data.get("source", "")), ""
        )
    key = text.strip().lower()
    table = index()[kind]
    if key in table:
        return table[key]
    by_alias = [e for e in table.values() if key in e.aliases]
    if len(by_alias) == 1:
        chosen = by_alias[0]
    elif len(by_alias) > 1:
        # A user profile claiming a built-in alias wins; otherwise the first in name order.
        chosen = sorted(by_alias, key=lambda e: (e.origin != "user", e.name))[0]
    else:
        fragments = [e for e in table.values() if key and key in e.name]
        if len(fragments) != 1:
            names = list(table) + [a for e in table.values() for a in e.aliases]
            close = (
                [n for n in fragments[:5]]
                if fragments
                else difflib.get_close_matches(key, names, n=4, cutoff=0.5)
            )
            raise ProfileNotFoundError(kind, text, [getattr(c, "name", c) for c in close])
        chosen = fragments[0]
    if announce and key != chosen.name:
        print(f"llmwalls: {kind} {text!r} -> {chosen.name}", file=sys.stderr)
    return chosen


def format_validation_error(exc: Any) -> list[str]:
    """pydantic ValidationError -> one readable line per problem:
    'layers: must be greater than 0 (got -1)'."""
    problems = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"]) or "profile"
        msg = err["msg"]
        if err["type"] == "extra_forbidden":
            msg = "unknown key (check the spelling against `llmwalls profiles show`)"
        elif err["type"] == "missing":
            msg = "missing required key"
        elif msg.startswith("Value error, "):
            msg = msg[len("Value error, ") :]
        got = err.get("input")
        if err["type"] not in ("missing", "extra_forbidden", "value_error") and not isinstance(
            got, (dict, list)
        ):
            msg += f" (got {got!r})"
        problems.append(f"{loc}: {msg}" if loc != "profile" else msg)
    return problems


def validate_data(kind: str, data: dict[str, Any], where: str) -> Profile:
    from pydantic import ValidationError

    from llmwalls.specs import KINDS

    cls = KINDS.get(kind)
    if cls is None:
        raise ProfileError(where, [f"kind must be one of {', '.join(KINDS)}, got {kind!r}"])
    try:
        return cls.model_validate(data)
    except ValidationError as exc:
        raise ProfileError(where, format_validation_error(exc)) from None


def load_path(path: Path, kind: str | None = None) -> Profile:
    data = read_toml(path)
    found = data.get("kind")
    if kind is not None and found != kind:
        raise ProfileError(str(path), [f"kind = {found!r}, but a {kind} profile is needed here"])
    return validate_data(str(found), data, str(path))


@lru_cache(maxsize=128)
def _load_cached(path: Path, kind: str) -> Profile:
    return load_path(path, kind)


@lru_cache(maxsize=256)
def _validate_entry(entry: Entry) -> Profile:
    assert entry.data is not None
    return validate_data(entry.kind, entry.data, str(entry.path))


def load(kind: str, text: str, *, announce: bool = True) -> Profile:
    entry = resolve(kind, text, announce=announce)
    if entry.data is not None:  # parsed when the index was built: validate without reading the file again
        return _validate_entry(entry)
    return _load_cached(entry.path, kind)


def load_any(text: str, kind: str | None = None) -> Profile:
    """A profile of any kind (or the given one): a path, or a name tried kind by kind, exact names first."""
    if kind is not None:
        if kind not in KIND_DIRS:
            raise ProfileError("--kind", [f"must be one of {', '.join(KIND_DIRS)}, got {kind!r}"])
        return load(kind, text)
    if _looks_like_path(text):
        return load_path(Path(text).expanduser())
    key = text.strip().lower()
    for k in KIND_DIRS:  # an exact name or alias wins over a fragment of another kind's name
        if key in index()[k] or any(key in e.aliases for e in index()[k].values()):
            return load(k, text)
    suggestions: list[str] = []
    for k in KIND_DIRS:
        try:
            return load(k, text)
        except ProfileNotFoundError as exc:
            suggestions.extend(exc.suggestions)
    raise ProfileNotFoundError("profile", text, suggestions[:4])


def load_model(text: str) -> ModelSpec:
    return load("model", text)  # type: ignore[return-value]


def load_gpu(text: str) -> GpuSpec:
    return load("gpu", text)  # type: ignore[return-value]


def load_cluster(text: str) -> ClusterSpec:
    return load("cluster", text)  # type: ignore[return-value]


def prices_for_gpu(gpu_name: str) -> list[Profile]:
    """Rental price profiles for one GPU: on-demand prices first, cheapest first, then committed ones."""
    found = []
    for entry in entries("price"):
        price = load("price", entry.name, announce=False)
        try:
            target = resolve("gpu", price.gpu, announce=False).name  # type: ignore[attr-defined]
        except ProfileNotFoundError:
            continue
        if target == gpu_name:
            found.append(price)
    return sorted(found, key=lambda p: (p.commitment != "on-demand", p.usd_per_gpu_hour))  # type: ignore[attr-defined]


def rental_price(
    gpu_name: str, override: float | None, fallback_usd: float | None = None
) -> tuple[float, str]:
    """$/GPU-hour and where it came from: the option, else the first of prices_for_gpu, else the fallback.
    Without a fallback, a GPU with no price profile is refused (InputError): never another GPU's price."""
    if override is not None:
        return override, "--price-per-gpu-hour"
    prices = prices_for_gpu(gpu_name)
    if prices:
        return prices[0].usd_per_gpu_hour, f"price profile {prices[0].name}"  # type: ignore[attr-defined]
    if fallback_usd is None:
        from llmwalls.errors import InputError

        raise InputError(
            f"no public rental price for {gpu_name} (no price profile); pass --price-per-gpu-hour"
        )
    return fallback_usd, "llmwalls fallback (no price profile for this GPU)"


def purchase_price(gpu: GpuSpec, override: float | None) -> tuple[float, str]:
    """Purchase price of one accelerator and where it came from: the option, else the profile's dated
    unit_price_usd, else NaN with the sentence to show ("no public purchase price ..."): never another
    GPU's price. NaN propagates through the cost engine, so every buy-side figure comes out unknown."""
    if override is not None:
        return override, "--gpu-price"
    if gpu.unit_price_usd is not None:
        return gpu.unit_price_usd, f"{gpu.name} profile ({gpu.price_date})"
    return math.nan, f"no public purchase price for {gpu.name}; pass --gpu-price for the buy-side figures"


def profile_to_toml_dict(profile: Profile) -> dict[str, Any]:
    """A profile as a TOML-ready dict: defaults and empty values left out, kind/name/source first."""
    data = profile.model_dump(mode="python", exclude_none=True, exclude_defaults=True)
    data["kind"] = profile.kind
    head = {k: data.pop(k) for k in ("kind", "name", "aliases", "description", "source") if k in data}
    return {**head, **data}


def write_atomic(path: Path, text: str, *, force: bool = False) -> None:
    """Write via a temporary file and rename, so a crash never leaves half a profile; refuse to overwrite."""
    if path.exists() and not force:
        raise WriteRefusedError(f"{path} exists; pass --force to overwrite it")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    index.cache_clear()
