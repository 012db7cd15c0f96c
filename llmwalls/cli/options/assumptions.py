"""Site, power and money; the efficiency assumptions (one value, or a low..high range for walls)."""

from __future__ import annotations

from typing import Annotated

import typer

from llmwalls.cli.options._base import _complete, _OptStr

# ------------------------------------------------------------------------------------- site, power, money
Utilization = Annotated[
    _OptStr,
    typer.Option(
        "--utilization",
        help="Average GPU utilisation in [0, 1] (or 85%): board power = idle + u x (TDP - idle) "
        "(default: power 1, the peak a site must hold; cost 0.6, a serving fleet's average).",
    ),
]
Pue = Annotated[
    _OptStr,
    typer.Option(
        "--pue",
        help="Power usage effectiveness in [1, 5] (default: the cluster's, else by cooling: 1.58 air, "
        "1.15 liquid).",
    ),
]
Grid = Annotated[
    _OptStr,
    typer.Option("--grid", help="Grid profile (gCO2e/kWh) for carbon.", autocompletion=_complete("grid")),
]
SiteMw = Annotated[_OptStr, typer.Option("--site-mw", help="Site power cap in MW (facility power).")]
PricePerGpuHour = Annotated[
    _OptStr,
    typer.Option(
        "--price-per-gpu-hour",
        help="Rental $ per GPU-hour (default: the GPU's cheapest on-demand price profile; where none is "
        "published, cost asks for it and walls and serve assume $2.50 with a warning).",
    ),
]
Budget = Annotated[_OptStr, typer.Option("--budget", help="Budget in $ (40M = 40,000,000).")]

# ---------------------------------------------------------------------------------- efficiency assumptions
# One value where a command evaluates one point (roofline, cluster, memory); a range low..high where walls
# evaluates the corners of its assumptions.
BandwidthEfficiency = Annotated[
    _OptStr,
    typer.Option(
        "--bandwidth-efficiency",
        help="Fraction of datasheet HBM bandwidth reached (default 0.65, calibrated; "
        "see docs/calibration-roofline.md).",
    ),
]
BandwidthEfficiencyRange = Annotated[
    _OptStr,
    typer.Option(
        "--bandwidth-efficiency",
        help="Fraction of datasheet HBM bandwidth reached, or a range low..high (default "
        "0.59..0.68, the calibration's per-case fits).",
    ),
]
FlopsEfficiency = Annotated[
    _OptStr,
    typer.Option(
        "--flops-efficiency",
        help="Fraction of peak FLOP/s a large GEMM reaches (default: the GPU's measured matmul / peak, "
        "else 0.75).",
    ),
]
FlopsEfficiencyRange = Annotated[
    _OptStr,
    typer.Option(
        "--flops-efficiency",
        help="Fraction of peak FLOP/s a large GEMM reaches, or a range low..high (serving; "
        "default x0.70..x1.0 of the GPU's measured matmul / peak).",
    ),
]
MatmulEfficiency = Annotated[
    _OptStr,
    typer.Option(
        "--matmul-efficiency", help="Fraction of measured MAMF a training step's GEMMs reach (default 0.70)."
    ),
]
MatmulEfficiencyRange = Annotated[
    _OptStr,
    typer.Option(
        "--matmul-efficiency",
        help="Fraction of measured MAMF a training step's GEMMs reach, or a range low..high "
        "(default 0.61..0.82).",
    ),
]
NetworkEfficiency = Annotated[
    _OptStr,
    typer.Option(
        "--network-efficiency",
        help="Achievable fraction of scale-out NIC bandwidth (default IB 0.85, RoCE 0.75).",
    ),
]
NetworkEfficiencyRange = Annotated[
    _OptStr,
    typer.Option(
        "--network-efficiency",
        help="Achievable fraction of scale-out NIC bandwidth in training, or a range low..high "
        "(default 0.80..0.90).",
    ),
]
# training step assumptions (cluster)
EpExposed = Annotated[
    _OptStr,
    typer.Option(
        "--ep-exposed",
        help="Share of MoE expert-parallel all-to-all left on the critical path (default 1.0; lower for "
        "DualPipe-style overlap).",
    ),
]
MoeLayerOverheadS = Annotated[
    _OptStr,
    typer.Option(
        "--moe-layer-overhead-s",
        help="Fixed seconds per MoE layer per micro-batch for routing, host sync and launches (default "
        "0.0075, chosen on published MoE training cases; docs/validation.md).",
    ),
]
AttentionEfficiency = Annotated[
    _OptStr,
    typer.Option(
        "--attention-efficiency",
        help="Fraction of the 16-bit peak FlashAttention reaches on attention FLOPs (default 0.30).",
    ),
]
NvlinkEfficiency = Annotated[
    _OptStr,
    typer.Option(
        "--nvlink-efficiency",
        help="Achievable fraction of scale-up link bandwidth (default per fabric, NVLink 0.80).",
    ),
]
TpExposed = Annotated[
    _OptStr, typer.Option("--tp-exposed", help="Share of TP communication not overlapped (default 1.0).")
]
DpExposed = Annotated[
    _OptStr,
    typer.Option("--dp-exposed", help="Minimum share of DP gradient traffic left exposed (default 0.10)."),
]
UsableFraction = Annotated[
    _OptStr,
    typer.Option(
        "--usable-fraction",
        help="Fraction of device memory usable (default 0.9, vLLM's gpu_memory_utilization).",
    ),
]
UsableFractionRange = Annotated[
    _OptStr,
    typer.Option(
        "--usable-fraction",
        help="Fraction of device memory usable, or a range low..high (default 0.85..0.95).",
    ),
]
