"""Number formats for people, one set for every command: three significant figures with an SI prefix for
rates,
counts and money, an IEC prefix for capacities (GiB, never GB, so 141.1e9 bytes reads 131 GiB), thousands
separators nowhere a prefix will do. Full precision is for JSON only. Pure Python: no Rich, no numpy."""

from __future__ import annotations

import math

_SI = (("E", 1e18), ("P", 1e15), ("T", 1e12), ("G", 1e9), ("M", 1e6), ("k", 1e3))
_IEC = (("PiB", 2.0**50), ("TiB", 2.0**40), ("GiB", 2.0**30), ("MiB", 2.0**20), ("KiB", 2.0**10))
SECONDS_PER_DAY = 86_400.0


def sig(value: float, digits: int = 3) -> str:
    """A plain number to `digits` significant figures, without exponent below 10^digits+3:
    0.04567 -> '0.0457', 123.45 -> '123', 1234.5 -> '1,234' (integers keep every digit: rounding 1,234 to
    1,230 would print a figure the tool never computed)."""
    if not math.isfinite(value):
        return "n/a" if math.isnan(value) else ("inf" if value > 0 else "-inf")
    if value == 0:
        return "0"
    magnitude = math.floor(math.log10(abs(value)))
    if magnitude >= digits - 1:
        return f"{value:,.0f}"
    if magnitude < -4:
        return f"{value:.{digits - 1}e}"
    decimals = digits - 1 - magnitude
    return f"{value:.{decimals}f}"


def si(value: float, unit: str = "", digits: int = 3) -> str:
    """3.35e12, 'B/s' -> '3.35 TB/s'; 26_954_729, '' -> '27.0M' (a count);
    989.4e12, 'FLOP/s' -> '989 TFLOP/s'."""
    if not math.isfinite(value) or value == 0:
        return f"{sig(value, digits)} {unit}".rstrip()
    for prefix, size in _SI:
        if abs(value) >= size * (1 - 0.5 * 10 ** (1 - digits)):
            return (
                f"{_fixed(value / size, digits)} {prefix}{unit}".rstrip()
                if unit
                else f"{_fixed(value / size, digits)}{prefix}"
            )
    return f"{sig(value, digits)} {unit}".rstrip()


def _fixed(value: float, digits: int) -> str:
    """`digits` significant figures, trailing zeros kept (27.0, 1.50): the precision is part of the figure."""
    magnitude = math.floor(math.log10(abs(value))) if value else 0
    decimals = max(digits - 1 - magnitude, 0)
    text = f"{value:.{decimals}f}"
    if float(text) and math.floor(math.log10(abs(float(text)))) > magnitude:  # 999.6 -> 1000: one digit fewer
        text = f"{value:.{max(decimals - 1, 0)}f}"
    return text


def iec_bytes(n: float, digits: int = 3) -> str:
    """Capacity: 144_999_727_104 -> '135 GiB'; 76_968_728_985.6 -> '71.7 GiB'; 1.2e12 -> '1.09 TiB'."""
    if not math.isfinite(n):
        return sig(n)
    for unit, size in _IEC:
        if abs(n) >= size * (1 - 0.5 * 10 ** (1 - digits)):
            return f"{_fixed(n / size, digits)} {unit}"
    return f"{n:,.0f} B"


def usd(amount: float, digits: int = 3) -> str:
    """Money: 72_860_000 -> '$72.9M'; 2.5 -> '$2.50'; 0.000123 -> '$0.000123'."""
    if not math.isfinite(amount):
        return sig(amount)
    sign = "-" if amount < 0 else ""
    amount = abs(amount)
    if amount >= 1e3 * (1 - 0.5 * 10 ** (1 - digits)):
        return f"{sign}${si(amount, '', digits)}"
    if amount >= 0.01:
        return f"{sign}${amount:,.2f}"
    return f"{sign}${sig(amount, digits)}"


def percent(fraction: float, digits: int = 3) -> str:
    """0.5123 -> '51.2%'; 1.0 -> '100%'; 0.000123 -> '0.0123%'."""
    if not math.isfinite(fraction):
        return sig(fraction)
    return f"{sig(fraction * 100, digits)}%"


def duration(seconds: float) -> str:
    """A time to 3 significant figures in the unit a person would use: '41.0 ms', '2.50 s', '3.20 h',
    '45.1 days'."""
    if not math.isfinite(seconds):
        return sig(seconds)
    if seconds < 1e-3:
        return f"{_fixed(seconds * 1e6, 3)} µs" if seconds else "0 s"
    if seconds < 1:
        return f"{_fixed(seconds * 1e3, 3)} ms"
    if seconds < 120:
        return f"{_fixed(seconds, 3)} s"
    if seconds < 7200:
        return f"{_fixed(seconds / 60, 3)} min"
    if seconds < 3 * SECONDS_PER_DAY:
        return f"{_fixed(seconds / 3600, 3)} h"
    days = seconds / SECONDS_PER_DAY
    return f"{_fixed(days, 3)} days" if days < 1000 else f"{days:,.0f} days"


def count(x: float) -> str:
    """A count or a whole quantity as it is (8, 1,024, 36); anything else to 3 significant figures."""
    return f"{x:,.0f}" if float(x).is_integer() else sig(x)
