"""Units: every quantity inside llmwalls is a plain float in SI base units (bytes, seconds, watts,
FLOP/s, bytes/s, joules, US dollars). This module is the one place where text from the command line is
converted (numbers for people are formatted by llmwalls.render.numbers). It imports nothing heavy: the CLI
parses options with it at start-up.

Conventions (also in the README):
- Capacities print in IEC units (GiB); rates in SI (TB/s, TFLOP/s), as datasheets quote them.
- Byte sizes must say which: ``80GB`` is 80e9, ``80GiB`` is 80 * 2**30; a bare ``80G`` is refused.
- Sequence lengths (``--context``, ``--prompt``, ``--output-tokens``) take binary suffixes as model cards
  use them: ``4k`` = 4,096 and ``128k`` = 131,072 tokens. Counts (``--users``, ``--tokens``, ``--gpus``)
  take decimal ones: ``1M`` users = 1,000,000, ``15T`` tokens = 15e12.
"""

from __future__ import annotations

import math
import re

from llmwalls.bounds import MAX_CONTEXT_TOKENS, OPTION_BOUNDS, check_option, check_smallest
from llmwalls.errors import InputError

KB = 1e3
MB = 1e6
GB = 1e9
TB = 1e12
PB = 1e15
KiB = 1024.0
MiB = 1024.0**2
GiB = 1024.0**3
TiB = 1024.0**4

TERA = 1e12
GIGA = 1e9
MEGA = 1e6
KILO = 1e3

SECONDS_PER_HOUR = 3600.0
SECONDS_PER_DAY = 86400.0
HOURS_PER_YEAR = 8766.0  # 365.25 days
JOULES_PER_KWH = 3.6e6
BITS_PER_BYTE = 8.0

# Bytes per element of each precision llmwalls knows. int4 counts the packed nibble only; its group-scale
# overhead is added by the memory engine (see llmwalls.engine.model.weight_bytes_per_param).
DTYPE_BYTES: dict[str, float] = {
    "fp32": 4.0,
    "tf32": 4.0,
    "bf16": 2.0,
    "fp16": 2.0,
    "fp8": 1.0,
    "int8": 1.0,
    "fp4": 0.5,
    "int4": 0.5,
}

_BYTE_UNITS = {
    "b": 1.0,
    "kb": KB,
    "mb": MB,
    "gb": GB,
    "tb": TB,
    "pb": PB,
    "kib": KiB,
    "mib": MiB,
    "gib": GiB,
    "tib": TiB,
}
_DECIMAL_SUFFIX = {"": 1.0, "k": 1e3, "m": 1e6, "b": 1e9, "g": 1e9, "t": 1e12}
_BINARY_TOKEN_SUFFIX = {"": 1, "k": 1024, "m": 1024**2}
_NUMBER = r"[+-]?[0-9]*\.?[0-9]+(?:e[+-]?[0-9]+)?"  # signed, so "-1" is refused as negative, not as text

# Anything larger than this is a typo, not a plan (about the number of atoms in a mole).
ABSURD = 1e24


def _finite_positive(value: float, what: str, text: str) -> float:
    if not math.isfinite(value):
        raise InputError(f"{what} must be a finite number, got {text!r}")
    if value <= 0:
        raise InputError(f"{what} must be greater than zero, got {text!r}")
    if value > ABSURD:
        raise InputError(f"{what} {text!r} is absurdly large; check the exponent")
    return check_smallest(value, what)


def parse_bytes(text: str | float, what: str = "size") -> float:
    """'80GB' -> 80e9, '80GiB' -> 80*2**30, plain numbers are bytes. '80G' is ambiguous and refused."""
    if isinstance(text, (int, float)):
        return _finite_positive(float(text), what, str(text))
    raw = text.strip().replace("_", "").replace(" ", "")
    m = re.fullmatch(rf"({_NUMBER})([a-zA-Z]*)", raw, flags=re.IGNORECASE)
    if not m:
        raise InputError(f"{what} {text!r} is not a size; write e.g. 80GB, 80GiB or 8e10")
    number, unit = float(m.group(1)), m.group(2).lower()
    if unit in ("k", "m", "g", "t", "p"):
        raise InputError(
            f"{what} {text!r} is ambiguous: write {m.group(1)}{unit.upper()}B (10^n) or "
            f"{m.group(1)}{unit.upper()}iB (2^n)"
        )
    if unit not in _BYTE_UNITS:
        raise InputError(f"{what} {text!r} has an unknown unit {m.group(2)!r}; use B, KB..PB or KiB..TiB")
    return _finite_positive(number * _BYTE_UNITS[unit], what, text)


def parse_count(text: str | float, what: str = "count") -> float:
    """Decimal counts: '1M' -> 1e6, '15T' -> 15e12, '2.5e3' -> 2500. Returns a float (may be large)."""
    if isinstance(text, (int, float)):
        value = _finite_positive(float(text), what, str(text))
        check_option(value, what)
        return value
    raw = text.strip().replace("_", "").replace(",", "")
    m = re.fullmatch(rf"({_NUMBER})([kKmMbBgGtT]?)", raw)
    if not m:
        raise InputError(f"{what} {text!r} is not a number; write e.g. 1000, 1k, 2.5M or 15e12")
    value = _finite_positive(float(m.group(1)) * _DECIMAL_SUFFIX[m.group(2).lower()], what, text)
    check_option(value, what)
    return value


def parse_int_count(text: str | float, what: str = "count") -> int:
    value = parse_count(text, what)
    if value != int(value):
        raise InputError(f"{what} must be a whole number, got {text!r}")
    return int(value)


def parse_tokens(text: str | int, what: str = "length") -> int:
    """Sequence lengths: '4k' -> 4096, '128k' -> 131072, '1M' -> 1048576, plain integers as given."""
    if isinstance(text, int):
        tokens = int(_finite_positive(float(text), what, str(text)))
        OPTION_BOUNDS.get(what, MAX_CONTEXT_TOKENS).check(tokens, what)
        return tokens
    raw = text.strip().replace("_", "").replace(",", "")
    m = re.fullmatch(rf"({_NUMBER})([kKmM]?)", raw)
    if not m:
        raise InputError(f"{what} {text!r} is not a token count; write e.g. 4096, 4k or 128k")
    scaled = float(m.group(1)) * _BINARY_TOKEN_SUFFIX[m.group(2).lower()]
    _finite_positive(scaled, what, text)
    if scaled != int(scaled):
        raise InputError(f"{what} must be a whole number of tokens, got {text!r}")
    OPTION_BOUNDS.get(what, MAX_CONTEXT_TOKENS).check(scaled, what)
    return int(scaled)


def parse_fraction(text: str | float, what: str, *, allow_zero: bool = False) -> float:
    """A fraction in (0, 1] (or [0, 1] with allow_zero); '85%' is accepted."""
    raw = str(text).strip()
    scale = 1.0
    if raw.endswith("%"):
        raw, scale = raw[:-1], 0.01
    try:
        value = float(raw) * scale
    except ValueError:
        raise InputError(f"{what} {text!r} is not a number; write e.g. 0.85 or 85%") from None
    if not math.isfinite(value) or value > 1 or value < 0 or (value == 0 and not allow_zero):
        interval = "[0, 1]" if allow_zero else "(0, 1]"
        raise InputError(f"{what} must be in {interval}, got {text!r}")
    return value


def parse_positive_float(text: str | float, what: str, *, allow_zero: bool = False) -> float:
    try:
        value = float(str(text).strip().replace("_", ""))
    except ValueError:
        raise InputError(f"{what} {text!r} is not a number") from None
    if allow_zero and value == 0:
        return 0.0
    return _finite_positive(value, what, str(text))
