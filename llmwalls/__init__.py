"""llmwalls: which physical wall an LLM workload hits first.

    >>> import llmwalls
    >>> llmwalls.api.memory(model="70b", gpu="h100").results.fits
    False

``llmwalls.api`` (one function per question) loads on first use, so ``import llmwalls`` stays cheap."""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    if name == "api":
        import importlib

        return importlib.import_module("llmwalls.api")
    raise AttributeError(f"module 'llmwalls' has no attribute {name!r}")
