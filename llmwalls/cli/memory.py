"""`llmwalls memory`: memory per GPU for serving (weights, KV cache, reserve) or training (--train: weights,
gradients, optimizer state, activations, reserve), the capacity wall, and derived answers (fewest GPUs,
largest batch, longest context, largest model on one GPU). The numbers come from llmwalls.api.memory; this
module parses options, calls it and renders. Heavy imports happen inside the command."""

from __future__ import annotations

from typing import Annotated

import typer

from llmwalls.api.types import KvFormat, Optimizer, WeightFormat
from llmwalls.cli.options import (
    Batches,
    Check,
    Contexts,
    Cp,
    Dp,
    Ep,
    Gpus,
    HardwareGpu,
    Json,
    KvDtypeChoice,
    Model,
    OptCluster,
    OptimizerChoice,
    Pp,
    RecomputeChoice,
    Tp,
    WeightsChoice,
)

_OptStr = str | None


def memory(
    model: Model,
    gpu: HardwareGpu = None,
    cluster: OptCluster = None,
    gpus: Gpus = None,
    tp: Tp = 1,
    pp: Pp = 1,
    ep: Ep = 1,
    dp: Dp = 1,
    cp: Cp = 1,
    batch: Batches = None,
    context: Contexts = None,
    weights: WeightsChoice = WeightFormat.bf16,
    kv_dtype: KvDtypeChoice = KvFormat.bf16,
    train: Annotated[
        bool, typer.Option("--train", help="Training memory (mixed precision) instead of serving.")
    ] = False,
    zero: Annotated[
        int,
        typer.Option(
            "--zero",
            min=0,
            max=3,
            help="ZeRO stage (training): 1 shards optimizer state over DP, 2 also gradients, 3 also weights "
            "(= FSDP).",
        ),
    ] = 0,
    optimizer: OptimizerChoice = Optimizer.adam,
    recompute: RecomputeChoice = None,
    micro_batch: Annotated[
        _OptStr, typer.Option("--micro-batch", help="Training micro-batch (default: --batch, else 1).")
    ] = None,
    sequence_parallel: Annotated[
        bool,
        typer.Option(
            "--sequence-parallel/--no-sequence-parallel", help="Megatron sequence parallelism (training)."
        ),
    ] = True,
    flash_attention: Annotated[
        bool,
        typer.Option(
            "--flash-attention/--no-flash-attention",
            help="FlashAttention: no s x s scores stored (training).",
        ),
    ] = True,
    interleave: Annotated[
        int,
        typer.Option(
            "--interleave",
            min=1,
            max=1024,
            help="Model chunks per pipeline rank (interleaved 1F1B, training); the first stage holds "
            "(1 + (p-1)/(p v)) x p micro-batches (Korthikanti 2022 sec 4.2.3).",
        ),
    ] = 1,
    first_stage_layers: Annotated[
        int | None,
        typer.Option(
            "--first-stage-layers",
            min=0,
            help="Transformer layers on the first pipeline stage when the layout is uneven (training; "
            "Llama 3 405B: 7, first chunk embedding-only); default ceil(layers / pp).",
        ),
    ] = None,
    microbatches: Annotated[
        int | None,
        typer.Option(
            "--microbatches",
            min=1,
            help="Micro-batches per pipeline per step (training; global batch / (DP x micro-batch)): a "
            "stage never holds more than all of them (default: not capped).",
        ),
    ] = None,
    reserve: Annotated[
        _OptStr,
        typer.Option(
            "--reserve",
            help="Runtime reserve per GPU (CUDA context, workspaces, NCCL), e.g. 1GiB (default 1GiB).",
        ),
    ] = None,
    usable_fraction: Annotated[
        _OptStr,
        typer.Option(
            "--usable-fraction",
            help="Fraction of device memory usable (default 0.9, vLLM's gpu_memory_utilization).",
        ),
    ] = None,
    json_: Json = False,
    check: Check = False,
) -> None:
    """Memory per GPU (serving, or --train), the capacity wall, fewest GPUs, largest batch and context.

    --gpus sets the deployment's size: serving, a whole number of replicas of PP x max(TP, EP) GPUs;
    training, the data-parallel degree (GPUs / (TP x PP x CP)) unless --dp is given."""
    from llmwalls import api, render
    from llmwalls.errors import InputError
    from llmwalls.units import parse_fraction, parse_int_count, parse_tokens

    training_only = {
        "--micro-batch": micro_batch is not None,
        "--recompute": recompute is not None,
        "--first-stage-layers": first_stage_layers is not None,
        "--microbatches": microbatches is not None,
        "--dp": dp > 1,
        "--cp": cp > 1,
        "--zero": zero > 0,
        "--interleave": interleave > 1,
    }
    given = [flag for flag, on in training_only.items() if on]
    if given and not train:
        raise InputError(f"{', '.join(given)} apply to training; add --train")
    report = api.memory(
        model,
        gpu,
        cluster=cluster,
        gpus=parse_int_count(gpus, "--gpus") if gpus is not None else None,
        layout=api.Layout(
            tp=tp,
            pp=pp,
            dp=dp,
            ep=ep,
            cp=cp,
            zero=zero,
            micro_batch=parse_int_count(micro_batch, "--micro-batch") if micro_batch is not None else None,
            recompute=recompute,
            interleave=interleave,
        ),
        batch=[parse_int_count(b, "--batch") for b in batch] if batch else 1,
        context_tokens=[parse_tokens(c, "--context") for c in context] if context else None,
        weights=weights,
        kv_dtype=kv_dtype,
        train=train,
        optimizer=optimizer,
        sequence_parallel=sequence_parallel,
        flash_attention=flash_attention,
        first_stage_layers=first_stage_layers,
        microbatches=microbatches,
        runtime_reserve_bytes=_reserve(reserve) if reserve is not None else None,
        usable_fraction=parse_fraction(usable_fraction, "--usable-fraction")
        if usable_fraction is not None
        else None,
    )
    if json_:
        render.print_json_report("memory", report)
        render.show_notices(report)
    else:
        from llmwalls.render import memory as view

        view.show(report)
    if check and any(w.hit for w in report.walls):
        raise typer.Exit(1)


def _reserve(text: str) -> float:
    """'0' (with or without a unit) is a valid reserve; anything else is a size."""
    from llmwalls.units import parse_bytes

    if text.strip().rstrip("BbIiGgMmKk") in ("0", "0.0"):
        return 0.0
    return parse_bytes(text, "--reserve")
