"""The profile catalogue: built-in TOML files shipped in the package, plus the user's directory
(``LLMWALLS_HOME``, default the platform's config dir), which adds profiles or overrides built-in ones by
name. Names resolve case-insensitively, by full name, alias, or a unique fragment; a path to a TOML file
works anywhere a name does.

Reading the index parses every TOML file (a few ms); pydantic validation happens only for the profiles a
command actually uses.
"""

from __future__ import annotations

import difflib
import json
import math
import os
import sys
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from llmwalls.errors import ProfileError, ProfileNotFoundError
from llmwalls.files import FileReadError, atomic_write_text, parse_toml, read_text_file, show, show_path

if TYPE_CHECKING:
    from llmwalls.specs import ClusterSpec, GpuSpec, ModelSpec, Profile

KIND_DIRS = {"model": "models", "gpu": "gpus", "cluster": "clusters", "grid": "grids", "price": "prices"}
# A profile is a page of TOML (the largest shipped is 3.3 KB); anything bigger is not one. Every command
# parses the user's profiles, and tomllib takes about 6 us per value, so the cap also bounds that cost.
MAX_PROFILE_BYTES = 65_536
# Case files and roadmaps: read only when named on the command line (the shipped case file is 47 KB).
MAX_DATA_FILE_BYTES = 1_000_000


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


def read_toml(path: Path, *, what: str = "profile", max_bytes: int = MAX_PROFILE_BYTES) -> dict[str, Any]:
    """The one TOML reader: a regular file of at most ``max_bytes`` (opened once, never blocking on a FIFO
    or reading a device), UTF-8, nesting bounded before tomllib parses (llmwalls.files). Every way it can
    go wrong is a ProfileError naming the file, with a one-line reason."""
    try:
        text = read_text_file(path, what=what, max_bytes=max_bytes)
    except FileReadError as exc:
        raise ProfileError(exc.shown_path, [exc.reason]) from None
    try:
        return parse_toml(text)
    except ValueError as exc:
        raise ProfileError(show_path(path), [str(exc)]) from None


def _scan(root: Path, origin: str) -> list[Entry]:
    entries: list[Entry] = []
    try:
        if not root.is_dir():
            return entries
        paths = sorted(root.rglob("*.toml"))
    except OSError as exc:  # LLMWALLS_HOME too long a name, unreadable, ...: the built-in profiles still work
        if origin == "built-in":
            raise
        _warn(f"cannot read the profile directory {show_path(root)}: {exc.strerror or exc}")
        return entries
    for path in paths:
        try:
            data = read_toml(path)
        except ProfileError as exc:
            if origin == "built-in":
                raise
            # A user file that is not a profile (a FIFO, a directory named *.toml, unreadable, too big,
            # binary, nested too deeply) must not hang or break an unrelated command: skip it and say so.
            _warn(f"skipping {exc.where}, not a readable profile: {'; '.join(exc.problems)}")
            continue
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


def _warn(message: str) -> None:
    from llmwalls import notices  # collected into the answer's warnings (stderr and the JSON)

    notices.warn(message)


# The built-in profiles' names, aliases and sources, generated from their TOML files and shipped beside them:
# resolving a name reads this one file instead of parsing every profile on every call (start-up is a feature:
# scripts call llmwalls in loops, and TAB completion runs it on every key). tests/test_catalogue.py fails
# when it is stale; LLMWALLS_UPDATE_INDEX=1 pytest tests/test_catalogue.py -k index rewrites it.
BUILTIN_INDEX = "index.json"


def builtin_index_rows() -> list[dict[str, Any]]:
    """What the shipped index holds, worked out from the built-in TOML files themselves."""
    root = builtin_dir()
    return [
        {
            "kind": e.kind,
            "name": e.name,
            "aliases": list(e.aliases),
            "path": e.path.relative_to(root).as_posix(),
            "source": e.source,
            "description": e.description,
        }
        for e in _scan(root, "built-in")
    ]


def _builtin_entries() -> list[Entry]:
    root = builtin_dir()
    try:
        rows = json.loads((root / BUILTIN_INDEX).read_text(encoding="utf-8"))
    except FileNotFoundError:  # a tree without the generated index: parse every profile
        return _scan(root, "built-in")
    return [
        Entry(
            r["kind"],
            r["name"],
            tuple(r["aliases"]),
            root / r["path"],
            "built-in",
            r["source"],
            r["description"],
        )
        for r in rows
    ]


@lru_cache(maxsize=1)
def index() -> dict[str, dict[str, Entry]]:
    """kind -> name -> Entry. User profiles replace built-in ones of the same kind and name."""
    out: dict[str, dict[str, Entry]] = {k: {} for k in KIND_DIRS}
    for entry in _builtin_entries() + _scan(user_dir(), "user"):
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
        path = _user_path(text)
        data = read_toml(path)
        if data.get("kind") != kind:
            raise ProfileError(
                show_path(text), [f"kind = {show(data.get('kind'))}, but a {kind} profile is needed here"]
            )
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
                [e.name for e in fragments[:5]]
                if fragments
                else difflib.get_close_matches(key, names, n=4, cutoff=0.5)
            )
            raise ProfileNotFoundError(kind, text, close)
        chosen = fragments[0]
    if announce and key != chosen.name:
        from llmwalls import notices

        notices.note(f"{kind} {text!r} -> {chosen.name}")
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
            msg += f" (got {show(got)})"
        problems.append(f"{loc}: {msg}" if loc != "profile" else msg)
    return problems


def validate_data(kind: str, data: dict[str, Any], where: str) -> Profile:
    from pydantic import ValidationError

    from llmwalls.specs import KINDS

    cls = KINDS.get(kind)
    if cls is None:
        raise ProfileError(where, [f"kind must be one of {', '.join(KINDS)}, got {show(kind)}"])
    try:
        return cls.model_validate(data)
    except ValidationError as exc:
        raise ProfileError(where, format_validation_error(exc)) from None


def _user_path(text: str) -> Path:
    """A path the user typed (``~`` expanded; a bad ``~user`` is left as written)."""
    try:
        return Path(text).expanduser()
    except RuntimeError:
        return Path(text)


def load_path(path: Path, kind: str | None = None) -> Profile:
    data = read_toml(path)
    found = data.get("kind")
    if kind is not None and found != kind:
        raise ProfileError(show_path(path), [f"kind = {show(found)}, but a {kind} profile is needed here"])
    return validate_data(str(found), data, show_path(path))


@lru_cache(maxsize=128)
def _load_cached(path: Path, kind: str) -> Profile:
    return load_path(path, kind)


@lru_cache(maxsize=256)
def _validate_entry(entry: Entry) -> Profile:
    assert entry.data is not None
    return validate_data(entry.kind, entry.data, show_path(entry.path))


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
        return load_path(_user_path(text))
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
    head: dict[str, Any] = {
        k: data.pop(k) for k in ("kind", "name", "aliases", "description", "source") if k in data
    }
    return {**head, **data}


def write_atomic(path: Path, text: str, *, force: bool = False) -> None:
    """Write a profile atomically (llmwalls.files.atomic_write_bytes: temporary file and rename, never
    through a symbolic link, the umask's permissions); refuse to replace an existing file without force."""
    atomic_write_text(path, text, force=force, what="profile", make_parents=True)
    index.cache_clear()
