"""Compute-optimal sizing: for a compute budget (or a GPU budget: GPUs x days x peak x MFU), the parameter and
token counts that minimise loss, by three published methods, and the loss the Chinchilla fit predicts.

Pure, vectorised numpy: budgets may be arrays. Parameters N and tokens D are plain counts; compute in FLOPs.

Methods (they disagree, and honestly so; see docs/reliability-and-scaling.md):
- "chinchilla-parametric": Hoffmann et al. 2022 (arXiv:2203.15556) approach 3, the closed-form optimum of the
  fitted loss L(N, D) = E + A/N^alpha + B/D^beta (their eq. 2, eq. 4, constants eq. 10). With the published
  (rounded) constants it gives ~93 tokens per parameter at Gopher's budget, far more than Table 3's ~20.
- "tokens-per-param": D = r N with r = 20, the rule of thumb from approaches 1 and 2 (Table 3 lists 20-22
  tokens per parameter); with C = 6 N D: N = sqrt(C / (6 r)), D = r N.
- "llama3": Llama 3 (Dubey et al. 2024, arXiv:2407.21783) sec 3.2.1, compute-optimal *tokens*
  D*(C) = A C^alpha with (alpha, A) = (0.53, 0.29), and N = C / (6 D*).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from llmwalls.engine.checks import positive as _positive
from llmwalls.errors import InputError
from llmwalls.units import SECONDS_PER_DAY

# Kaplan et al. 2020 (arXiv:2001.08361) sec 2.1: training compute C ~ 6 N D (2 N FLOPs per token forward,
# twice that backward); Chinchilla uses the same approximation for its closed form (eq. 4, "C/6").
FLOPS_PER_PARAM_TOKEN = 6.0


@dataclass(frozen=True)
class ChinchillaFit:
    """Parametric loss L(N, D) = E + A / N^alpha + B / D^beta (Hoffmann et al. 2022, eq. 2); defaults are the
    published fit (eq. 10): E = 1.69, A = 406.4, B = 410.7, alpha = 0.34, beta = 0.28. The loss is in nats per
    token on Chinchilla's MassiveText validation data: compare differences, not absolute values, across
    tokenisers and data. (Besiroglu et al. 2024, arXiv:2404.10102, refit the same data: E = 1.8172,
    A = 482.01, B = 2085.43, alpha = 0.3478, beta = 0.3658, which lands near 20 tokens/parameter; pass
    EPOCH_REFIT to use it.)"""

    E: float = 1.69
    A: float = 406.4
    B: float = 410.7
    alpha: float = 0.34
    beta: float = 0.28

    def __post_init__(self) -> None:
        for name in ("E", "A", "B", "alpha", "beta"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value > 0):
                raise InputError(f"Chinchilla fit constant {name} must be finite and > 0, got {value!r}")


@dataclass(frozen=True)
class Llama3TokenFit:
    """Compute-optimal training tokens D*(C) = A C^alpha (Llama 3 sec 3.2.1: "(alpha, A) = (0.53, 0.29)").
    The printed constants are rounded: at 3.8e25 FLOPs they give 10.46T tokens, while the paper's own
    extrapolation from its unrounded fit is "a 402B parameter model on 16.55T tokens"."""

    alpha: float = 0.53
    A: float = 0.29

    def __post_init__(self) -> None:
        if not (math.isfinite(self.alpha) and 0 < self.alpha < 1 and math.isfinite(self.A) and self.A > 0):
            raise InputError(f"Llama 3 fit needs 0 < alpha < 1 and A > 0, got ({self.alpha!r}, {self.A!r})")


CHINCHILLA = ChinchillaFit()
EPOCH_REFIT = ChinchillaFit(E=1.8172, A=482.01, B=2085.43, alpha=0.3478, beta=0.3658)  # Besiroglu et al. 2024
LLAMA3_FIT = Llama3TokenFit()

# Hoffmann et al. 2022 Table 3 (approach 1) lists 20.0-22.4 tokens per parameter; 20 is the usual rounding.
TOKENS_PER_PARAM_RULE = 20.0

METHODS = ("chinchilla-parametric", "tokens-per-param", "llama3")


def training_flops(params: ArrayLike, tokens: ArrayLike) -> np.ndarray:
    """C = 6 N D (Kaplan et al. 2020 sec 2.1)."""
    return FLOPS_PER_PARAM_TOKEN * _positive(params, "parameter count") * _positive(tokens, "token count")


def budget_flops(gpus: ArrayLike, days: ArrayLike, peak_flops_per_s: ArrayLike, mfu: ArrayLike) -> np.ndarray:
    """Compute a GPU budget delivers: C = GPUs x days x 86,400 s x peak FLOP/s x MFU (model FLOPs utilisation,
    the fraction of peak spent on the 6 N D model FLOPs)."""
    u = np.asarray(mfu, dtype=float)
    if not np.all(np.isfinite(u)) or np.any(u <= 0) or np.any(u > 1):
        raise InputError("MFU must be in (0, 1]")
    return (
        _positive(gpus, "GPU count")
        * _positive(days, "days")
        * SECONDS_PER_DAY
        * _positive(peak_flops_per_s, "peak FLOP/s")
        * u
    )


def chinchilla_loss(params: ArrayLike, tokens: ArrayLike, fit: ChinchillaFit = CHINCHILLA) -> np.ndarray:
    """L(N, D) = E + A / N^alpha + B / D^beta (Hoffmann et al. 2022 eq. 2, constants eq. 10)."""
    n = _positive(params, "parameter count")
    d = _positive(tokens, "token count")
    return fit.E + fit.A / n**fit.alpha + fit.B / d**fit.beta


def optimal_chinchilla_parametric(
    compute_flops: ArrayLike, fit: ChinchillaFit = CHINCHILLA
) -> dict[str, np.ndarray]:
    """Hoffmann et al. 2022 eq. 4: minimising L(N, D) subject to 6 N D = C gives
    N_opt = G (C/6)^a, D_opt = G^-1 (C/6)^b, G = (alpha A / (beta B))^(1/(alpha+beta)),
    a = beta / (alpha + beta), b = alpha / (alpha + beta)  (published constants: a = 0.452, b = 0.548)."""
    c6 = _positive(compute_flops, "compute budget") / FLOPS_PER_PARAM_TOKEN
    s = fit.alpha + fit.beta
    g = (fit.alpha * fit.A / (fit.beta * fit.B)) ** (1.0 / s)
    return {"params": g * c6 ** (fit.beta / s), "tokens": c6 ** (fit.alpha / s) / g}


def optimal_tokens_per_param(
    compute_flops: ArrayLike, tokens_per_param: ArrayLike = TOKENS_PER_PARAM_RULE
) -> dict[str, np.ndarray]:
    """D = r N and C = 6 N D  =>  N = sqrt(C / (6 r)), D = r N (Hoffmann et al. 2022 Table 3: r ~ 20)."""
    c = _positive(compute_flops, "compute budget")
    r = _positive(tokens_per_param, "tokens per parameter")
    n = np.sqrt(c / (FLOPS_PER_PARAM_TOKEN * r))
    return {"params": n, "tokens": r * n}


def optimal_llama3(compute_flops: ArrayLike, fit: Llama3TokenFit = LLAMA3_FIT) -> dict[str, np.ndarray]:
    """Llama 3 sec 3.2.1: tokens D* = A C^alpha; parameters from C = 6 N D: N = C / (6 D*)."""
    c = _positive(compute_flops, "compute budget")
    d = fit.A * c**fit.alpha
    return {"params": c / (FLOPS_PER_PARAM_TOKEN * d), "tokens": d}


def compute_optimal(
    compute_flops: ArrayLike,
    method: str = "chinchilla-parametric",
    *,
    chinchilla: ChinchillaFit = CHINCHILLA,
    llama3: Llama3TokenFit = LLAMA3_FIT,
    tokens_per_param: ArrayLike = TOKENS_PER_PARAM_RULE,
) -> dict[str, np.ndarray]:
    """Compute-optimal parameters and tokens for a budget by one method, plus the Chinchilla-fit loss there.

    Returns named arrays: compute_flops, params, tokens, tokens_per_param, loss (Chinchilla eq. 2 with
    `chinchilla`, evaluated at the chosen N and D whatever the method).
    """
    if method == "chinchilla-parametric":
        out = optimal_chinchilla_parametric(compute_flops, chinchilla)
    elif method == "tokens-per-param":
        out = optimal_tokens_per_param(compute_flops, tokens_per_param)
    elif method == "llama3":
        out = optimal_llama3(compute_flops, llama3)
    else:
        raise InputError(f"unknown scaling method {method!r}; use one of {', '.join(METHODS)}")
    c = _positive(compute_flops, "compute budget")
    return {
        "compute_flops": c * np.ones_like(out["params"]),
        "params": out["params"],
        "tokens": out["tokens"],
        "tokens_per_param": out["tokens"] / out["params"],
        "loss": chinchilla_loss(out["params"], out["tokens"], chinchilla),
    }


def compute_optimal_all(compute_flops: ArrayLike, **kwargs: Any) -> dict[str, dict[str, np.ndarray]]:
    """`compute_optimal` by every method in METHODS, keyed by method name (for a side-by-side table)."""
    return {m: compute_optimal(compute_flops, m, **kwargs) for m in METHODS}
