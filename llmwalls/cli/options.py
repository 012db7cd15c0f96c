"""One vocabulary of options, shared by every command (issue 2, item 9). Declare a parameter with these
types and it has the same flag, help and completion everywhere. Only typer is imported here: --help and
TAB completion must stay fast.

Values that take suffixes (sizes, token counts) arrive as text and are parsed with llmwalls.units inside
the command, so every bad value gets the same one-line error.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

import typer

from llmwalls.api.types import Recompute


def _complete(kind: str) -> Callable[[str], list[str]]:
    def complete(incomplete: str) -> list[str]:
        from llmwalls.catalogue import entries

        names = []
        for entry in entries(kind):
            names.append(entry.name)
            names.extend(entry.aliases)
        return [n for n in sorted(set(names)) if n.startswith(incomplete.lower())]

    return complete


Model = Annotated[
    str,
    typer.Option(
        "--model",
        "-m",
        help="Model profile: name, alias (70b, 405b) or path to a TOML file.",
        autocompletion=_complete("model"),
    ),
]
Gpu = Annotated[
    str,
    typer.Option(
        "--gpu",
        "-g",
        help="GPU profile: name, alias (h100, h200, mi300x) or TOML path.",
        autocompletion=_complete("gpu"),
    ),
]
OptGpu = Annotated[
    str | None,
    typer.Option(
        "--gpu", "-g", help="GPU profile (default: the cluster's GPU).", autocompletion=_complete("gpu")
    ),
]
Cluster = Annotated[
    str,
    typer.Option(
        "--cluster",
        "-c",
        help="Cluster profile: name, alias or TOML path.",
        autocompletion=_complete("cluster"),
    ),
]
OptCluster = Annotated[
    str | None,
    typer.Option(
        "--cluster",
        "-c",
        help="Cluster profile: name, alias or TOML path.",
        autocompletion=_complete("cluster"),
    ),
]
Gpus = Annotated[str | None, typer.Option("--gpus", help="Total number of GPUs (1k = 1000).")]

Tp = Annotated[int, typer.Option("--tp", min=1, max=1_000_000, help="Tensor-parallel degree.")]
Pp = Annotated[int, typer.Option("--pp", min=1, max=1_000_000, help="Pipeline-parallel degree.")]
Dp = Annotated[int, typer.Option("--dp", min=1, max=10_000_000, help="Data-parallel degree.")]
Ep = Annotated[int, typer.Option("--ep", min=1, max=1_000_000, help="Expert-parallel degree (MoE).")]
Cp = Annotated[int, typer.Option("--cp", min=1, max=1_000_000, help="Context-parallel degree.")]

Batch = Annotated[
    list[str] | None,
    typer.Option("--batch", "-b", help="Concurrent sequences (serving) or micro-batch; repeat for a sweep."),
]
Context = Annotated[
    list[str] | None,
    typer.Option("--context", help="Tokens per sequence (4k = 4096, 128k = 131072); repeat for a sweep."),
]
Prompt = Annotated[
    str | None, typer.Option("--prompt", help="Prompt (prefill) tokens per sequence (2k = 2048).")
]
OutputTokens = Annotated[str | None, typer.Option("--output-tokens", help="Generated tokens per sequence.")]

Weights = Annotated[
    str,
    typer.Option(
        "--weights",
        help="Weight precision: fp32, bf16, fp16, fp8, int8, int4, fp4, mxfp4, nvfp4 (a model's routed "
        "experts keep their published format, e.g. gpt-oss MXFP4).",
    ),
]
KvDtype = Annotated[str, typer.Option("--kv-dtype", help="KV-cache precision: bf16, fp16, fp8, int8.")]

Json = Annotated[bool, typer.Option("--json", help="Print JSON (SI base units, versioned schema) on stdout.")]
Check = Annotated[bool, typer.Option("--check", help="Exit 1 when a checked wall is hit (for CI scripts).")]
Force = Annotated[
    bool, typer.Option("--force", help="Replace an existing file (never through a symbolic link).")
]

# ---- a training run and its layout search (cluster; walls, power and cost plan the same run). A degree
# left out is searched; choices are the Enums of llmwalls.api.types so completion offers them.
_OptInt = int | None
SearchTp = Annotated[
    _OptInt, typer.Option("--tp", min=1, max=1_000_000, help="Tensor-parallel degree (default: searched).")
]
SearchPp = Annotated[
    _OptInt, typer.Option("--pp", min=1, max=1_000_000, help="Pipeline-parallel degree (default: searched).")
]
SearchDp = Annotated[
    _OptInt, typer.Option("--dp", min=1, max=10_000_000, help="Data-parallel degree (default: searched).")
]
SearchCp = Annotated[
    _OptInt, typer.Option("--cp", min=1, max=1_000_000, help="Context-parallel degree (default: searched).")
]
SearchEp = Annotated[
    _OptInt,
    typer.Option("--ep", min=1, max=1_000_000, help="Expert-parallel degree, MoE (default: searched)."),
]
SearchMicroBatch = Annotated[
    _OptInt,
    typer.Option(
        "--micro-batch", min=1, max=1_000_000, help="Sequences per micro-batch (default: searched)."
    ),
]
SearchZero = Annotated[
    _OptInt, typer.Option("--zero", min=0, max=3, help="ZeRO stage 0-3 (3 = FSDP) (default: searched).")
]
SearchRecompute = Annotated[
    Recompute | None,
    typer.Option("--recompute", case_sensitive=False, help="Activation recomputation (default: searched)."),
]
SequenceParallel = Annotated[
    bool | None,
    typer.Option(
        "--sequence-parallel/--no-sequence-parallel",
        help="Megatron sequence parallelism with TP (default: on).",
    ),
]
Interleave = Annotated[
    _OptInt,
    typer.Option(
        "--interleave",
        min=0,
        max=1024,
        help="Interleaved pipeline chunks per GPU (v); 0 = auto, 1 = plain 1F1B.",
    ),
]
GlobalBatch = Annotated[
    str | None,
    typer.Option("--global-batch", help="Sequences per optimizer step (default: 16Mi tokens / context)."),
]
TrainContext = Annotated[
    str | None,
    typer.Option("--context", help="Training sequence length in tokens (4k = 4096; default 8,192 or less)."),
]
TrainTokens = Annotated[
    str | None,
    typer.Option(
        "--tokens", help="Training tokens, e.g. 15e12 or 15T (default: 20 per parameter, Chinchilla)."
    ),
]
