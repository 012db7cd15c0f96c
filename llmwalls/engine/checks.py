"""Input checks shared by the engine modules: arrays of user-given numbers must be finite and positive (or
non-negative). A failure is an InputError (one line, exit 2), never a NaN carried into the results."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from llmwalls.errors import InputError

if TYPE_CHECKING:
    from numpy.typing import ArrayLike


def positive(x: ArrayLike, what: str) -> np.ndarray:
    arr = np.asarray(x, dtype=float)
    if not np.all(np.isfinite(arr)) or np.any(arr <= 0):
        raise InputError(f"{what} must be finite and greater than zero")
    return arr


def non_negative(x: ArrayLike, what: str) -> np.ndarray:
    arr = np.asarray(x, dtype=float)
    if not np.all(np.isfinite(arr)) or np.any(arr < 0):
        raise InputError(f"{what} must be finite and not negative")
    return arr
