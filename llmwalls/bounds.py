"""Physical bounds: the largest value of each count that llmwalls accepts, from a profile or an option.

Each bound sits orders of magnitude above the largest published system, so no real plan is refused, and
far enough below overflow and runaway work that every engine answers in bounded time at the bound (the
engines compute from counts with formulas, never with arrays as long as a count). The error names the
bound. One set, shared by the profile schema (llmwalls.specs) and the option parsers (llmwalls.units).

Reference points:
- Llama 3.1 405B: 126 layers, hidden 16,384, 128 heads (Table 3); trained on up to 16,384 H100s (sec 3.3,
  Table 4) with steps of 2,048 sequences of 8,192 tokens (sec 3.4.1) (Dubey et al. 2024, "The Llama 3
  Herd of Models", arXiv:2407.21783).
- PaLM 540B: 118 layers, hidden 18,432, FFN 4 x 18,432 = 73,728, a 256k vocabulary (Chowdhery et al. 2022,
  "PaLM: Scaling Language Modeling with Pathways", arXiv:2204.02311, sec 2 and Table 1).
- DeepSeek-V3: 256 routed experts, head dimension 192 with the RoPE part (DeepSeek-AI 2024, "DeepSeek-V3
  Technical Report", arXiv:2412.19437, sec 4.2).
- Llama 4 Scout: a 10M-token context window (Meta 2025, "The Llama 4 herd",
  https://ai.meta.com/blog/llama-4-multimodal-intelligence/).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from llmwalls.errors import InputError


@dataclass(frozen=True)
class Bound:
    """An upper bound on a count: its constant's name, the limit and why it is safe."""

    name: str
    limit: int
    why: str

    def check(self, value: float, what: str = "") -> None:
        """Raise a one-line InputError (a ValueError) naming the bound when ``value`` exceeds it."""
        if value > self.limit:
            shown = f"{value:,.0f}" if value < 1e21 else f"{value:.3g}"
            raise InputError(
                f"{what} {shown} is absurd: above llmwalls.bounds.{self.name} = {self.limit:,} "
                f"({self.why})".lstrip()
            )

    def validator(self) -> Callable[[int], int]:
        """The check as a pydantic AfterValidator (the schema's field constraints)."""

        def under(value: int) -> int:
            self.check(value)
            return value

        return under


MAX_LAYERS = Bound("MAX_LAYERS", 100_000, "about 800x the 126 layers of Llama 3.1 405B")
MAX_HIDDEN_SIZE = Bound("MAX_HIDDEN_SIZE", 10_000_000, "about 500x the 18,432 of PaLM 540B")
MAX_FFN_SIZE = Bound("MAX_FFN_SIZE", 100_000_000, "over 1,000x the 73,728 of PaLM 540B")
MAX_HEADS = Bound("MAX_HEADS", 100_000, "about 800x the 128 attention heads of Llama 3.1 405B")
MAX_HEAD_DIM = Bound("MAX_HEAD_DIM", 100_000, "about 500x DeepSeek-V3's 192")
MAX_VOCAB = Bound("MAX_VOCAB", 100_000_000, "about 400x PaLM's 256k tokens")
MAX_EXPERTS = Bound("MAX_EXPERTS", 1_000_000, "about 4,000x DeepSeek-V3's 256 routed experts")
# Also the bound on a sequence (--context, --prompt, --output-tokens) and on a profile's context window.
MAX_CONTEXT_TOKENS = Bound("MAX_CONTEXT_TOKENS", 2**40, "about 100,000x Llama 4 Scout's 10M-token context")
MAX_GPUS = Bound("MAX_GPUS", 10_000_000, "about 600x the 16,384 H100s that trained Llama 3.1 405B")
# Concurrent sequences of a deployment, or sequences of a training step (Llama 3.1 405B: 2,048 per step).
MAX_SEQUENCES = Bound("MAX_SEQUENCES", 10_000_000, "about 5,000x the 2,048 sequences of a Llama 3.1 step")
MAX_USERS = Bound("MAX_USERS", 1_000_000_000, "one in eight people alive using it at the same moment")

# The smallest positive number a profile or an option may give (a picosecond, a picojoule, a millionth of a
# millionth of a dollar): a smaller one is a typo for something else, and dividing by it (1 / 1e-300)
# overflows the engines' arithmetic.
SMALLEST_POSITIVE = 1e-12


def check_smallest(value: float, what: str = "") -> float:
    """Refuse a positive number below SMALLEST_POSITIVE with a one-line error naming the bound."""
    if 0 < value < SMALLEST_POSITIVE:
        raise InputError(
            f"{what} {value:g} is absurdly small: below llmwalls.bounds.SMALLEST_POSITIVE = "
            f"{SMALLEST_POSITIVE:g}; check the exponent".lstrip()
        )
    return value


# The count options every command shares, by flag: units.parse_count / parse_int_count / parse_tokens check
# the value against its bound, so `power --gpus` and `cluster --gpus` refuse the same number.
OPTION_BOUNDS: dict[str, Bound] = {
    "--gpus": MAX_GPUS,
    "--sweep gpus": MAX_GPUS,
    "--batch": MAX_SEQUENCES,
    "--micro-batch": MAX_SEQUENCES,
    "--global-batch": MAX_SEQUENCES,
    "--users": MAX_USERS,
    "--sweep users": MAX_USERS,
    "--context": MAX_CONTEXT_TOKENS,
    "--sweep context": MAX_CONTEXT_TOKENS,
    "--prompt": MAX_CONTEXT_TOKENS,
    "--output-tokens": MAX_CONTEXT_TOKENS,
}


def check_option(value: float, what: str) -> None:
    """Check a parsed option value against the bound of its flag, if it has one."""
    bound = OPTION_BOUNDS.get(what)
    if bound is not None:
        bound.check(value, what)
