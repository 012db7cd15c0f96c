"""The workload: batch and context (one value or a sweep), prompt and output lengths, formats, users."""

from __future__ import annotations

from typing import Annotated

import typer

from llmwalls.api.types import (
    KvFormat,
    WeightFormat,
)
from llmwalls.cli.options._base import _OptStr

# ------------------------------------------------------------------------------------------ the workload
Batches = Annotated[
    list[str] | None,
    typer.Option(
        "--batch",
        "-b",
        help="Concurrent sequences (1k = 1000); repeat for a sweep (default 1).",
    ),
]
OneBatch = Annotated[
    _OptStr, typer.Option("--batch", "-b", help="Concurrent sequences (users) served per GPU; one value.")
]
Contexts = Annotated[
    list[str] | None,
    typer.Option("--context", help="Tokens per sequence (4k = 4096, 128k = 131072); repeat for a sweep."),
]
OneContext = Annotated[
    _OptStr, typer.Option("--context", help="Tokens per sequence (4k = 4096, 128k = 131072); one value.")
]
TrainContext = Annotated[
    _OptStr,
    typer.Option("--context", help="Training sequence length in tokens (4k = 4096; default 8,192 or less)."),
]
Prompt = Annotated[
    _OptStr, typer.Option("--prompt", help="Prompt (prefill) tokens per sequence (2k = 2048).")
]
OutputTokens = Annotated[_OptStr, typer.Option("--output-tokens", help="Generated tokens per sequence.")]
_WEIGHTS_HELP = (
    "Weight precision (int4, mxfp4, nvfp4 with their block scales; a model's routed experts keep their "
    "published format, e.g. gpt-oss MXFP4)"
)
Weights = Annotated[WeightFormat, typer.Option("--weights", case_sensitive=False, help=f"{_WEIGHTS_HELP}.")]
WeightsSearch = Annotated[
    list[WeightFormat] | None,
    typer.Option(
        "--weights", case_sensitive=False, help="Weight precision to search; repeat (default bf16 and fp8)."
    ),
]
KvDtype = Annotated[KvFormat, typer.Option("--kv-dtype", case_sensitive=False, help="KV-cache precision.")]
KvDtypeSearch = Annotated[
    list[KvFormat] | None,
    typer.Option(
        "--kv-dtype",
        case_sensitive=False,
        help="KV-cache precision to search; repeat (default bf16 and fp8).",
    ),
]
Users = Annotated[_OptStr, typer.Option("--users", help="Concurrent users to serve (1M = 1,000,000).")]
TokensPerSPerUser = Annotated[
    _OptStr,
    typer.Option("--tokens-per-s-per-user", help="Decode speed each user must get (default 20 tokens/s)."),
]
TokensPerSPerGpu = Annotated[
    _OptStr,
    typer.Option(
        "--tokens-per-s",
        help="Serving throughput in decode tokens/s per GPU (default: the roofline's, with --model).",
    ),
]
