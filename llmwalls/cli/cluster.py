"""`llmwalls cluster`: distributed training on a cluster: step time, MFU, tokens/s, time and GPU-hours to
train with the whole-run goodput, the best layouts (--search), a scaling table showing where communication
overtakes compute (the interconnect wall) and the compute-optimal model. This module parses options for
llmwalls.api.cluster; llmwalls.render.cluster shows the report; heavy imports happen inside the command.
--check exits 1 when the chosen layout does not fit in GPU memory, or when its exposed communication is larger
than its compute time (the interconnect wall).
"""

from __future__ import annotations

from typing import Annotated

import typer

from llmwalls.api.types import ScalingMode
from llmwalls.cli.options import (
    AttentionEfficiency,
    Check,
    CheckpointIntervalS,
    Cluster,
    DpExposed,
    EpExposed,
    EvalShare,
    FailuresPerGpuHour,
    FirstStageLayers,
    FlashAttention,
    GlobalBatch,
    Gpu,
    Gpus,
    Json,
    MatmulEfficiency,
    Model,
    MoeLayerOverheadS,
    NetworkEfficiency,
    NvlinkEfficiency,
    Precision,
    Quiet,
    RestartS,
    SearchCp,
    SearchDp,
    SearchEp,
    SearchInterleave,
    SearchMicroBatch,
    SearchPp,
    SearchRecompute,
    SearchTp,
    SearchZero,
    SequenceParallel,
    StorageBandwidth,
    TpExposed,
    TrainContext,
    TrainTokens,
    WarmupShare,
)

_OptStr = str | None


DpOverlap = Annotated[
    bool, typer.Option("--dp-overlap/--no-dp-overlap", help="Overlap gradient reduction with backward.")
]
Nvls = Annotated[
    bool, typer.Option("--nvls", help="NVLink SHARP (in-switch) all-reduce inside the scale-up domain.")
]
UnevenPp = Annotated[
    bool,
    typer.Option(
        "--uneven-pp", help="Accept a --pp that does not divide the layers (the slowest stage sets the pace)."
    ),
]
Search = Annotated[bool, typer.Option("--search", help="Show the best layouts the search ranked.")]
Top = Annotated[int, typer.Option("--top", min=1, max=1000, help="Layouts shown by --search.")]
Scaling = Annotated[
    ScalingMode,
    typer.Option(
        "--scaling", case_sensitive=False, help="Scaling table: fixed global batch, fixed per GPU, or off."
    ),
]
ScalingLaw = Annotated[
    str | None,
    typer.Option(
        "--scaling-law",
        help="Compute-optimal method: chinchilla-refit (default; Besiroglu et al. 2024), "
        "chinchilla-published, tokens-per-param (20), kaplan, llama3.",
    ),
]


def cluster(
    model: Model,
    cluster: Cluster = None,
    gpu: Gpu = None,
    gpus: Gpus = None,
    tp: SearchTp = None,
    pp: SearchPp = None,
    dp: SearchDp = None,
    cp: SearchCp = None,
    ep: SearchEp = None,
    global_batch: GlobalBatch = None,
    micro_batch: SearchMicroBatch = None,
    context: TrainContext = None,
    recompute: SearchRecompute = None,
    sequence_parallel: SequenceParallel = None,
    zero: SearchZero = None,
    tokens: TrainTokens = None,
    uneven_pp: UnevenPp = False,
    first_stage_layers: FirstStageLayers = None,
    precision: Precision = None,
    flash_attention: FlashAttention = True,
    search: Search = False,
    top: Top = 5,
    scaling: Scaling = ScalingMode.fixed_global,
    scaling_law: ScalingLaw = None,
    matmul_efficiency: MatmulEfficiency = None,
    attention_efficiency: AttentionEfficiency = None,
    nvlink_efficiency: NvlinkEfficiency = None,
    network_efficiency: NetworkEfficiency = None,
    tp_exposed: TpExposed = None,
    dp_exposed: DpExposed = None,
    dp_overlap: DpOverlap = True,
    ep_exposed: EpExposed = None,
    moe_layer_overhead_s: MoeLayerOverheadS = None,
    interleave: SearchInterleave = None,
    nvls: Nvls = False,
    failures_per_gpu_hour: FailuresPerGpuHour = None,
    restart_s: RestartS = None,
    storage_bandwidth: StorageBandwidth = None,
    checkpoint_interval_s: CheckpointIntervalS = None,
    warmup_share: WarmupShare = None,
    eval_share: EvalShare = None,
    json_: Json = False,
    check: Check = False,
    quiet: Quiet = False,
) -> None:
    """Training step time, MFU, time to train, best layouts and the interconnect wall on a cluster.

    Without --cluster the cluster is dgx-h100 (its GPU unless --gpu is given)."""
    from llmwalls import api, render
    from llmwalls.cli.options import goodput_overrides, parse_gpus, parse_seconds
    from llmwalls.cli.options import parse_share as fraction
    from llmwalls.render import cluster as view
    from llmwalls.units import parse_count, parse_int_count, parse_tokens

    good = (failures_per_gpu_hour, restart_s, storage_bandwidth, checkpoint_interval_s, warmup_share)
    bar = render.ProgressBar(enabled=not json_)
    try:
        report = api.cluster(
            model,
            cluster=cluster,
            gpu=gpu,
            gpus=parse_gpus(gpus),
            tp=tp,
            pp=pp,
            dp=dp,
            cp=cp,
            ep=ep,
            micro_batch=micro_batch,
            zero=zero,
            recompute=recompute,
            sequence_parallel=sequence_parallel,
            uneven_pp=uneven_pp,
            first_stage_layers=first_stage_layers,
            precision=precision,
            flash_attention=flash_attention,
            seq_len=None if context is None else parse_tokens(context, "--context"),
            global_batch=None if global_batch is None else parse_int_count(global_batch, "--global-batch"),
            train_tokens=None if tokens is None else parse_count(tokens, "--tokens"),
            matmul_efficiency=fraction(matmul_efficiency, "--matmul-efficiency"),
            attention_efficiency=fraction(attention_efficiency, "--attention-efficiency"),
            nvlink_efficiency=fraction(nvlink_efficiency, "--nvlink-efficiency"),
            network_efficiency=fraction(network_efficiency, "--network-efficiency"),
            tp_exposed=fraction(tp_exposed, "--tp-exposed", allow_zero=True),
            dp_exposed=fraction(dp_exposed, "--dp-exposed", allow_zero=True),
            dp_overlap=dp_overlap,
            ep_exposed=fraction(ep_exposed, "--ep-exposed", allow_zero=True),
            moe_layer_overhead_s=parse_seconds(moe_layer_overhead_s, "--moe-layer-overhead-s"),
            interleave=interleave,
            nvls=nvls,
            top=top,
            scaling=scaling,
            scaling_law=scaling_law,
            progress=bar,
            **goodput_overrides(*good, eval_share),
        )
    finally:
        bar.stop()
    if json_:
        render.show_notices(report)
        render.print_json_report("cluster", report)
    else:
        view.show(report, search=search)
    if check and any(w.hit for w in report.walls):
        raise typer.Exit(1)
