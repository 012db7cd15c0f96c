"""The parallel layout and the training recipe: fixed or searched degrees, ZeRO, micro-batch, recomputation,
precision."""

from __future__ import annotations

from typing import Annotated

import typer

from llmwalls.api.types import (
    Optimizer,
    Recompute,
    TrainingPrecision,
)
from llmwalls.cli.options._base import _degree, _OptInt

# --------------------------------------------------------------------------------------------- the layout
# A fixed layout (memory, roofline: a degree left out is 1) or a searched one (cluster, walls: a degree left
# out is searched). One table, so both families keep the same flags, bounds and words.

Tp = Annotated[int, _degree("--tp", "Tensor-parallel degree", 1_000_000, searched=False)]
Pp = Annotated[int, _degree("--pp", "Pipeline-parallel degree", 1_000_000, searched=False)]
Dp = Annotated[int, _degree("--dp", "Data-parallel degree", 10_000_000, searched=False)]
Ep = Annotated[int, _degree("--ep", "Expert-parallel degree (MoE)", 1_000_000, searched=False)]
Cp = Annotated[int, _degree("--cp", "Context-parallel degree", 1_000_000, searched=False)]
SearchTp = Annotated[_OptInt, _degree("--tp", "Tensor-parallel degree", 1_000_000, searched=True)]
SearchPp = Annotated[_OptInt, _degree("--pp", "Pipeline-parallel degree", 1_000_000, searched=True)]
SearchDp = Annotated[_OptInt, _degree("--dp", "Data-parallel degree", 10_000_000, searched=True)]
SearchCp = Annotated[_OptInt, _degree("--cp", "Context-parallel degree", 1_000_000, searched=True)]
SearchEp = Annotated[_OptInt, _degree("--ep", "Expert-parallel degree (MoE)", 1_000_000, searched=True)]

_ZERO_HELP = "ZeRO stage: 1 shards optimizer state over DP, 2 also gradients, 3 also weights (= FSDP)"
Zero = Annotated[int, typer.Option("--zero", min=0, max=3, help=f"{_ZERO_HELP} (training).")]
SearchZero = Annotated[
    _OptInt, typer.Option("--zero", min=0, max=3, help=f"{_ZERO_HELP} (default: searched).")
]
MicroBatch = Annotated[
    _OptInt,
    typer.Option(
        "--micro-batch", min=1, max=1_000_000, help="Sequences per micro-batch (default: --batch, else 1)."
    ),
]
SearchMicroBatch = Annotated[
    _OptInt,
    typer.Option(
        "--micro-batch", min=1, max=1_000_000, help="Sequences per micro-batch (default: searched)."
    ),
]
RecomputeChoice = Annotated[
    Recompute | None,
    typer.Option(
        "--recompute",
        case_sensitive=False,
        help="Activation recomputation in training (default selective; Korthikanti et al. 2022).",
    ),
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
    int,
    typer.Option(
        "--interleave",
        min=1,
        max=1024,
        help="Model chunks per pipeline rank, v (interleaved 1F1B, training); the first stage holds "
        "(1 + (p-1)/(p v)) x p micro-batches (Korthikanti 2022 sec 4.2.3).",
    ),
]
SearchInterleave = Annotated[
    _OptInt,
    typer.Option(
        "--interleave",
        min=0,
        max=1024,
        help="Model chunks per pipeline rank, v (interleaved 1F1B); 0 = auto, one layer per chunk where "
        "the micro-batches allow (the default); 1 = plain 1F1B.",
    ),
]
OptimizerChoice = Annotated[
    Optimizer,
    typer.Option(
        "--optimizer", case_sensitive=False, help="Training optimizer: adam 16 B/param, sgd 12, adam8bit 10."
    ),
]
Train = Annotated[bool, typer.Option("--train", help="Training (mixed precision) instead of serving.")]
Precision = Annotated[
    TrainingPrecision | None,
    typer.Option(
        "--precision",
        case_sensitive=False,
        help="Training GEMM recipe of the linear layers (attention core, norms, optimizer stay 16/32-bit): "
        "bf16 (default); fp8 = Transformer Engine delayed scaling, fp8-current = current scaling (one more "
        "read per GEMM input), fp8-blockwise = DeepSeek-V3 tiles; mxfp8 and nvfp4 = block-scaled, "
        "Blackwell. GEMMs at the GPU's measured rate for it; refused on a GPU without that format.",
    ),
]
FlashAttention = Annotated[
    bool,
    typer.Option(
        "--flash-attention/--no-flash-attention",
        help="FlashAttention in training: no s x s scores stored, attention at its own efficiency; off for "
        "runs before 2023 (scores in HBM, attention GEMMs at the matmul rate).",
    ),
]
FirstStageLayers = Annotated[
    _OptInt,
    typer.Option(
        "--first-stage-layers",
        min=0,
        max=1_000_000,
        help="Transformer layers on the first pipeline stage when the layout is uneven (training memory; "
        "Llama 3 405B: 7, first chunk embedding-only); default ceil(layers / pp).",
    ),
]
