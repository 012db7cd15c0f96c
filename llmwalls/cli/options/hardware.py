"""The model and the hardware: --model, --gpu, --gpus, --cluster."""

from __future__ import annotations

from typing import Annotated

import typer

from llmwalls.cli.options._base import _complete, _OptStr

# ------------------------------------------------------------------------------------------ model, hardware
_MODEL_HELP = "Model profile: name, alias (70b, 405b) or path to a TOML file."
Model = Annotated[str, typer.Option("--model", "-m", help=_MODEL_HELP, autocompletion=_complete("model"))]
OptModel = Annotated[
    _OptStr,
    typer.Option(
        "--model",
        "-m",
        help=_MODEL_HELP + " Optional here: it sizes a planned run (--tokens) and serving throughput.",
        autocompletion=_complete("model"),
    ),
]
Gpu = Annotated[
    _OptStr,
    typer.Option(
        "--gpu",
        "-g",
        help="GPU profile: name, alias (h100, h200, mi300x) or TOML path (default: the --cluster's GPU).",
        autocompletion=_complete("gpu"),
    ),
]
GpuChoices = Annotated[
    list[str],
    typer.Option(
        "--gpu",
        "-g",
        help="GPU profile: name, alias or TOML path; repeat to search several types.",
        autocompletion=_complete("gpu"),
    ),
]
Cluster = Annotated[
    _OptStr,
    typer.Option(
        "--cluster",
        "-c",
        help="Cluster profile: name, alias or TOML path.",
        autocompletion=_complete("cluster"),
    ),
]
Gpus = Annotated[_OptStr, typer.Option("--gpus", help="Total number of GPUs (1k = 1000).")]
