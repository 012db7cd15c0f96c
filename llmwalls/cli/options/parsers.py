"""Parsers shared by commands: values with suffixes and bounds, one one-line error each."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


# ------------------------------------------------------------------------------- parsers shared by commands
def parse_gpus(text: str | None, what: str = "--gpus") -> int | None:
    """--gpus parsed ('1k' = 1000) and bounded by the one GPU-count bound, llmwalls.api._planning.MAX_GPUS
    (10 million: beyond it a count is a typo); None stays None."""
    if text is None:
        return None
    from llmwalls.api._planning import MAX_GPUS
    from llmwalls.errors import InputError
    from llmwalls.units import parse_int_count

    n = parse_int_count(text, what)
    if n > MAX_GPUS:
        raise InputError(f"{what} {n:,} is absurd (more than {MAX_GPUS:,} GPUs)")
    return n


def parse_usd(text: str | None, what: str, *, allow_zero: bool = False) -> float | None:
    """'$40,000', '40k', '2.5', '40M' -> dollars. Negative, NaN or (unless allowed) zero -> InputError."""
    if text is None:
        return None
    from llmwalls.errors import InputError
    from llmwalls.units import parse_count

    raw = str(text).strip().lstrip("$").strip()
    if raw.startswith("-"):
        raise InputError(f"{what} must not be negative, got {text!r}")
    if allow_zero and raw and raw.replace(".", "", 1).strip("0") == "":
        return 0.0
    return parse_count(raw, what)


def parse_token_count(text: str | None, what: str, *, allow_zero: bool = False) -> float | None:
    """A token count ('2k' = 2048) as a float; '0' accepted where allowed; None stays None."""
    if text is None:
        return None
    if allow_zero and text.strip() in ("0", "0.0"):
        return 0.0
    from llmwalls.units import parse_tokens

    return float(parse_tokens(text, what))


def parse_seconds(text: str | None, what: str) -> float | None:
    """A non-negative number (seconds, a rate); None stays None."""
    if text is None:
        return None
    from llmwalls.units import parse_positive_float

    return parse_positive_float(text, what, allow_zero=True)


def parse_share(text: str | None, what: str, allow_zero: bool = False) -> float | None:
    """A fraction in (0, 1] ([0, 1] with allow_zero; '85%' accepted); None stays None."""
    if text is None:
        return None
    from llmwalls.units import parse_fraction

    return parse_fraction(text, what, allow_zero=allow_zero)


def goodput_overrides(
    failures_per_gpu_hour: str | None,
    restart_s: str | None,
    storage_bandwidth: str | None,
    checkpoint_interval_s: str | None,
    warmup_share: str | None,
    eval_share: str | None,
) -> dict[str, float | None]:
    """The goodput options parsed into the keyword arguments of api.cluster (None: the default)."""
    from llmwalls.units import parse_bytes

    def share(text: str | None, flag: str) -> float | None:
        return parse_share(text, flag, allow_zero=True)

    seconds = parse_seconds
    return {
        "failures_per_gpu_hour": seconds(failures_per_gpu_hour, "--failures-per-gpu-hour"),
        "restart_s": seconds(restart_s, "--restart-s"),
        "storage_bandwidth_bytes_per_s": None
        if storage_bandwidth is None
        else float(parse_bytes(storage_bandwidth, "--storage-bandwidth")),
        "checkpoint_interval_s": seconds(checkpoint_interval_s, "--checkpoint-interval-s"),
        "warmup_share": share(warmup_share, "--warmup-share"),
        "evaluation_share": share(eval_share, "--eval-share"),
    }


def plot_path(text: str | None, *, force: bool = False) -> str | None:
    """--plot FILE, checked before any work is done: the name must end in .png or .svg, and an existing file
    is replaced only with --force, never through a symbolic link (llmwalls.files.check_target)."""
    if text is None:
        return None
    from llmwalls.errors import InputError
    from llmwalls.files import check_target

    if not text.lower().endswith((".png", ".svg")):
        raise InputError(f"--plot {text!r}: the file name must end in .png or .svg")
    check_target(text, force=force, what="--plot file")
    return text


def save_plot(save: Callable[..., object], report: Any, path: str, *, force: bool = False) -> None:
    """Write a command's chart with its render function (atomically, llmwalls.files); a missing matplotlib is
    one line of bad input, not a traceback."""
    from llmwalls.errors import InputError
    from llmwalls.render import chart

    try:
        save(report, path, force=force)
    except chart.PlotUnavailableError as exc:
        raise InputError(str(exc)) from None
