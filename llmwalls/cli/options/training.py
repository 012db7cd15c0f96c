"""A training run and its whole-run goodput."""

from __future__ import annotations

from typing import Annotated

import typer

from llmwalls.cli.options._base import _OptStr

# ------------------------------------------------------------------------------------------ a training run
GlobalBatch = Annotated[
    _OptStr,
    typer.Option("--global-batch", help="Sequences per optimizer step (default: 16Mi tokens / context)."),
]
TrainTokens = Annotated[
    _OptStr,
    typer.Option(
        "--tokens", help="Training tokens, e.g. 15e12 or 15T (default: 20 per parameter, Chinchilla)."
    ),
]
PlannedTokens = Annotated[  # as TrainTokens, but a run is planned only when the tokens are given
    _OptStr,
    typer.Option(
        "--tokens",
        help="Training tokens of --model (15.6T): a run planned as `llmwalls cluster` plans it (no default: "
        "without them no run is planned).",
    ),
]
GpuHours = Annotated[_OptStr, typer.Option("--gpu-hours", help="GPU-hours of a run (1.46M = 1,460,000).")]
DeadlineDays = Annotated[_OptStr, typer.Option("--deadline-days", help="Training deadline in days.")]

# ---------------------------------------------- whole-run goodput (cluster; defaults: engine/goodput.py)
FailuresPerGpuHour = Annotated[
    _OptStr,
    typer.Option(
        "--failures-per-gpu-hour",
        help="Job-stopping failures per GPU-hour (default 1.97e-5: Llama 3 sec 3.3.4, 419 interruptions in "
        "54 days on 16,384 H100s).",
    ),
]
RestartS = Annotated[
    _OptStr,
    typer.Option(
        "--restart-s",
        help="Seconds from a failure until training computes again (default 600, Daly 2006's examples).",
    ),
]
StorageBandwidth = Annotated[
    _OptStr,
    typer.Option(
        "--storage-bandwidth",
        help="Aggregate checkpoint write bandwidth in bytes/s, e.g. 2TB (default 2 TB/s: Llama 3 sec "
        "3.3.1, Tectonic).",
    ),
]
CheckpointIntervalS = Annotated[
    _OptStr,
    typer.Option(
        "--checkpoint-interval-s",
        help="Seconds of compute between checkpoints (default 0 = Young 1974's optimum sqrt(2 C MTBF)).",
    ),
]
WarmupShare = Annotated[
    _OptStr,
    typer.Option(
        "--warmup-share",
        help="Share of wall time warming up: start-up, compilation, batch-size ramp (default 0.03, a "
        "judgement chosen on published whole-run GPU-hours; docs/validation.md).",
    ),
]
EvalShare = Annotated[
    _OptStr,
    typer.Option(
        "--eval-share",
        help="Share of wall time on evaluation passes during training (default 0.02, chosen with "
        "--warmup-share).",
    ),
]
