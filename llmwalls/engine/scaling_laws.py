"""Compute-optimal sizing: for a compute budget (or a GPU budget: GPUs x days x peak x MFU), the parameter and
token counts that minimise loss, by five published methods, and the loss the Chinchilla fit predicts.

Pure, vectorised numpy: budgets may be arrays. Parameters N and tokens D are plain counts; compute in FLOPs.

Methods (they disagree, and honestly so; see docs/reliability-and-scaling.md):
- "chinchilla-refit" (the default): the closed-form optimum (Hoffmann et al. 2022, arXiv:2203.15556, eq. 4) of
  the parametric loss L(N, D) = E + A/N^alpha + B/D^beta (their eq. 2) with the constants Besiroglu, Erdil,
  Barnett & You 2024 ("Chinchilla Scaling: A replication attempt", arXiv:2404.10102) fitted to the data of
  Hoffmann et al.'s Figure 4: E = 1.8172, A = 482.01, B = 2085.43, alpha = 0.3478, beta = 0.3658. It agrees
  with the paper's approaches 1 and 2 (about 20 tokens per parameter; N_opt ~ C^0.513).
- "chinchilla-published": the same closed form with the constants as printed in Hoffmann et al. eq. 10
  (E = 1.69, A = 406.4, B = 410.7, alpha = 0.34, beta = 0.28). The replication shows this fit is inconsistent
  with the paper's approaches 1 and 2 (optimizer stopped early, rounded constants): it gives ~93 tokens per
  parameter at Gopher's budget, against Table 3's ~20. Kept for comparison.
- "tokens-per-param": D = r N with r = 20, the rule of thumb from approaches 1 and 2 (Table 3 lists 20-22
  tokens per parameter); with C = 6 N D: N = sqrt(C / (6 r)), D = r N.
- "kaplan": Kaplan et al. 2020 ("Scaling Laws for Neural Language Models", arXiv:2001.08361): the
  compute-efficient model size N = 1.3e9 (C / PF-day)^0.73 (sec 6.1, Figure 14; the exponent is also
  Chinchilla's Table 2 row for Kaplan: a = 0.73, b = 0.27), D = C / (6 N). Its N counts non-embedding
  parameters; its loss (eq. 1.5) is on WebText2 with GPT-2's tokeniser, not comparable to Chinchilla's.
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
    """Parametric loss L(N, D) = E + A / N^alpha + B / D^beta (Hoffmann et al. 2022, eq. 2). The defaults are
    the corrected fit of Besiroglu et al. 2024 (arXiv:2404.10102, their re-estimate of approach 3 on the data
    of Hoffmann et al.'s Figure 4): E = 1.8172, A = 482.01, B = 2085.43, alpha = 0.3478, beta = 0.3658.
    HOFFMANN_2022 holds the constants as printed in Hoffmann et al. eq. 10 (E = 1.69, A = 406.4, B = 410.7,
    alpha = 0.34, beta = 0.28). The loss is in nats per token on Chinchilla's MassiveText validation data:
    compare differences, not absolute values, across tokenisers and data."""

    E: float = 1.8172
    A: float = 482.01
    B: float = 2085.43
    alpha: float = 0.3478
    beta: float = 0.3658

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


@dataclass(frozen=True)
class KaplanLaw:
    """Kaplan et al. 2020 (arXiv:2001.08361). Losses in nats per token on WebText2 (GPT-2 tokeniser), N counts
    non-embedding parameters:
        L(N)     = (N_c / N)^alpha_N,          alpha_N = 0.076, N_c = 8.8e13          (eq. 1.1)
        L(D)     = (D_c / D)^alpha_D,          alpha_D = 0.095, D_c = 5.4e13 tokens   (eq. 1.2)
        L(C_min) = (C_c / C_min)^alpha_C,      alpha_C = 0.050, C_c = 3.1e8 PF-days   (eq. 1.3)
        L(N, D)  = ((N_c / N)^(alpha_N / alpha_D) + D_c / D)^alpha_D                   (eq. 1.5)
    and the compute-efficient allocation N_opt = n_opt_coeff x (C / PF-day)^n_opt_exponent with 1.3e9 and 0.73
    (sec 6.1, Figure 14: N ~ C_min^0.73; Chinchilla's Table 2 quotes a = 0.73 for Kaplan)."""

    alpha_N: float = 0.076
    N_c: float = 8.8e13
    alpha_D: float = 0.095
    D_c: float = 5.4e13
    alpha_C: float = 0.050
    C_c_pf_days: float = 3.1e8
    n_opt_coeff: float = 1.3e9
    n_opt_exponent: float = 0.73

    def __post_init__(self) -> None:
        for name in ("alpha_N", "N_c", "alpha_D", "D_c", "alpha_C", "C_c_pf_days", "n_opt_coeff"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value > 0):
                raise InputError(f"Kaplan law constant {name} must be finite and > 0, got {value!r}")
        if not (0 < self.n_opt_exponent < 1):
            raise InputError(f"Kaplan n_opt_exponent must be in (0, 1), got {self.n_opt_exponent!r}")


# One petaflop/s-day (Kaplan et al. 2020 sec 1.3): 1e15 FLOP/s x 86,400 s = 8.64e19 FLOPs.
PF_DAY_FLOPS = 1e15 * SECONDS_PER_DAY

CHINCHILLA = ChinchillaFit()  # the default fit: Besiroglu et al. 2024's correction
BESIROGLU_2024 = CHINCHILLA
EPOCH_REFIT = CHINCHILLA  # Epoch AI's replication (the same constants; older name)
HOFFMANN_2022 = ChinchillaFit(E=1.69, A=406.4, B=410.7, alpha=0.34, beta=0.28)  # as printed, eq. 10
KAPLAN_2020 = KaplanLaw()
LLAMA3_FIT = Llama3TokenFit()

# Hoffmann et al. 2022 Table 3 (approach 1) lists 20.0-22.4 tokens per parameter; 20 is the usual rounding.
TOKENS_PER_PARAM_RULE = 20.0

METHODS = ("chinchilla-refit", "chinchilla-published", "tokens-per-param", "kaplan", "llama3")
DEFAULT_METHOD = "chinchilla-refit"


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
    """L(N, D) = E + A / N^alpha + B / D^beta (Hoffmann et al. 2022 eq. 2; default constants Besiroglu et al.
    2024, HOFFMANN_2022 for eq. 10's)."""
    n = _positive(params, "parameter count")
    d = _positive(tokens, "token count")
    return fit.E + fit.A / n**fit.alpha + fit.B / d**fit.beta


def optimal_chinchilla_parametric(
    compute_flops: ArrayLike, fit: ChinchillaFit = CHINCHILLA
) -> dict[str, np.ndarray]:
    """Hoffmann et al. 2022 eq. 4: minimising L(N, D) subject to 6 N D = C gives
    N_opt = G (C/6)^a, D_opt = G^-1 (C/6)^b, G = (alpha A / (beta B))^(1/(alpha+beta)),
    a = beta / (alpha + beta), b = alpha / (alpha + beta)  (Besiroglu et al. 2024: a = 0.513, b = 0.487;
    Hoffmann et al.'s printed constants: a = 0.452, b = 0.548)."""
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


def kaplan_loss(params: ArrayLike, tokens: ArrayLike, law: KaplanLaw = KAPLAN_2020) -> np.ndarray:
    """Kaplan et al. 2020 eq. 1.5: L(N, D) = ((N_c/N)^(alpha_N/alpha_D) + D_c/D)^alpha_D, nats per token on
    WebText2; N non-embedding parameters."""
    n = _positive(params, "parameter count")
    d = _positive(tokens, "token count")
    return ((law.N_c / n) ** (law.alpha_N / law.alpha_D) + law.D_c / d) ** law.alpha_D


def kaplan_compute_loss(compute_flops: ArrayLike, law: KaplanLaw = KAPLAN_2020) -> np.ndarray:
    """Kaplan et al. 2020 eq. 1.3: L(C_min) = (C_c / C_min)^alpha_C with C in PF-days (8.64e19 FLOPs each)."""
    c = _positive(compute_flops, "compute budget") / PF_DAY_FLOPS
    return (law.C_c_pf_days / c) ** law.alpha_C


def optimal_kaplan(compute_flops: ArrayLike, law: KaplanLaw = KAPLAN_2020) -> dict[str, np.ndarray]:
    """Kaplan et al. 2020 sec 6.1 (Figure 14): N_opt = 1.3e9 (C / PF-day)^0.73; D = C / (6 N) (C = 6 N D,
    sec 2.1). N counts non-embedding parameters."""
    c = _positive(compute_flops, "compute budget")
    n = law.n_opt_coeff * (c / PF_DAY_FLOPS) ** law.n_opt_exponent
    return {"params": n, "tokens": c / (FLOPS_PER_PARAM_TOKEN * n)}


def optimal_llama3(compute_flops: ArrayLike, fit: Llama3TokenFit = LLAMA3_FIT) -> dict[str, np.ndarray]:
    """Llama 3 sec 3.2.1: tokens D* = A C^alpha; parameters from C = 6 N D: N = C / (6 D*)."""
    c = _positive(compute_flops, "compute budget")
    d = fit.A * c**fit.alpha
    return {"params": c / (FLOPS_PER_PARAM_TOKEN * d), "tokens": d}


def compute_optimal(
    compute_flops: ArrayLike,
    method: str = DEFAULT_METHOD,
    *,
    chinchilla: ChinchillaFit = CHINCHILLA,
    llama3: Llama3TokenFit = LLAMA3_FIT,
    tokens_per_param: ArrayLike = TOKENS_PER_PARAM_RULE,
    kaplan: KaplanLaw = KAPLAN_2020,
) -> dict[str, np.ndarray]:
    """Compute-optimal parameters and tokens for a budget by one method, plus the Chinchilla-fit loss there.

    Returns named arrays: compute_flops, params, tokens, tokens_per_param, loss (Chinchilla eq. 2 with
    `chinchilla` -- by default the corrected fit -- evaluated at the chosen N and D whatever the method, so
    methods compare at equal compute). "chinchilla-refit" optimises `chinchilla`; "chinchilla-published"
    optimises HOFFMANN_2022.
    """
    if method == "chinchilla-refit":
        out = optimal_chinchilla_parametric(compute_flops, chinchilla)
    elif method == "chinchilla-published":
        out = optimal_chinchilla_parametric(compute_flops, HOFFMANN_2022)
    elif method == "tokens-per-param":
        out = optimal_tokens_per_param(compute_flops, tokens_per_param)
    elif method == "kaplan":
        out = optimal_kaplan(compute_flops, kaplan)
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


def compute_optimal_for_gpus(
    gpus: ArrayLike,
    days: ArrayLike,
    peak_flops_per_s: ArrayLike,
    mfu: ArrayLike,
    method: str = DEFAULT_METHOD,
    **kwargs: Any,
) -> dict[str, np.ndarray]:
    """With G GPUs of peak P FLOP/s for D days at MFU m: the budget C = G x P x m x D x 86,400 s
    (budget_flops) and the compute-optimal model, its tokens and its Chinchilla-fit loss (compute_optimal)."""
    return compute_optimal(budget_flops(gpus, days, peak_flops_per_s, mfu), method, **kwargs)
