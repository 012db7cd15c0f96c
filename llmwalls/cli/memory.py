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
    Cluster,
    Contexts,
    Cp,
    Dp,
    Ep,
    FirstStageLayers,
    FlashAttention,
    Gpu,
    Gpus,
    Interleave,
    Json,
    KvDtype,
    MicroBatch,
    Model,
    OptimizerChoice,
    Pp,
    Precision,
    Quiet,
    RecomputeChoice,
    SequenceParallel,
    Tp,
    Train,
    UsableFraction,
    Weights,
    Zero,
)

_OptStr = str | None


def memory(
    model: Model,
    gpu: Gpu = None,
    cluster: Cluster = None,
    gpus: Gpus = None,
    tp: Tp = 1,
    pp: Pp = 1,
    ep: Ep = 1,
    dp: Dp = 1,
    cp: Cp = 1,
    batch: Batches = None,
    context: Contexts = None,
    weights: Weights = WeightFormat.bf16,
    kv_dtype: KvDtype = KvFormat.bf16,
    train: Train = False,
    zero: Zero = 0,
    optimizer: OptimizerChoice = Optimizer.adam,
    recompute: RecomputeChoice = None,
    micro_batch: MicroBatch = None,
    sequence_parallel: SequenceParallel = None,
    flash_attention: FlashAttention = True,
    precision: Precision = None,
    interleave: Interleave = 1,
    first_stage_layers: FirstStageLayers = None,
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
    usable_fraction: UsableFraction = None,
    json_: Json = False,
    check: Check = False,
    quiet: Quiet = False,
) -> None:
    """Memory per GPU (serving, or --train), the capacity wall, fewest GPUs, largest batch and context.

    --gpus sets the deployment's size: serving, a whole number of replicas of PP x max(TP, EP) GPUs;
    training, the data-parallel degree (GPUs / (TP x PP x CP)) unless --dp is given. Without --gpu or
    --cluster the GPU is h100. In training, --batch is the micro-batch unless --micro-batch is given."""
    from llmwalls import api, render
    from llmwalls.cli.options import parse_gpus
    from llmwalls.errors import InputError
    from llmwalls.units import parse_fraction, parse_int_count, parse_tokens

    training_only = {
        "--micro-batch": micro_batch is not None,
        "--recompute": recompute is not None,
        "--first-stage-layers": first_stage_layers is not None,
        "--precision": precision is not None,
        "--no-flash-attention": not flash_attention,
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
        gpus=parse_gpus(gpus),
        layout=api.Layout(
            tp=tp,
            pp=pp,
            dp=dp,
            ep=ep,
            cp=cp,
            zero=zero,
            micro_batch=micro_batch,
            recompute=recompute,
            interleave=interleave,
        ),
        batch=[parse_int_count(b, "--batch") for b in batch] if batch else 1,
        context_tokens=[parse_tokens(c, "--context") for c in context] if context else None,
        weights=weights,
        kv_dtype=kv_dtype,
        train=train,
        optimizer=optimizer,
        sequence_parallel=sequence_parallel is not False,
        flash_attention=flash_attention,
        precision=precision,
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
