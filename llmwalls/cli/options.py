"""One vocabulary of options, shared by every command: a concept has one flag, one help and one type
wherever it appears. Two declarations of a flag exist only where the meaning differs (a fixed layout degree
against a searched one, one value against a repeatable sweep, a number against a low..high range), and then
the help says how. Choices are the Enums of llmwalls.api.types, so completion offers them. Only typer is
imported here: --help and TAB completion must stay fast.

Values that take suffixes (sizes, token counts) arrive as text and are parsed with llmwalls.units inside
the command (or with the parsers at the end of this module), so every bad value gets the same one-line error.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

import typer

from llmwalls.api.types import (
    KvFormat,
    Optimizer,
    Recompute,
    ServingMode,
    TrainingPrecision,
    WeightFormat,
)

_OptStr = str | None
_OptInt = int | None


def _complete(kind: str) -> Callable[[str], list[str]]:
    def complete(incomplete: str) -> list[str]:
        from llmwalls.catalogue import entries

        names = []
        for entry in entries(kind):
            names.append(entry.name)
            names.extend(entry.aliases)
        return [n for n in sorted(set(names)) if n.startswith(incomplete.lower())]

    return complete


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


# --------------------------------------------------------------------------------------------- the layout
# A fixed layout (memory, roofline: a degree left out is 1) or a searched one (cluster, walls: a degree left
# out is searched). One table, so both families keep the same flags, bounds and words.
def _degree(flag: str, what: str, most: int, *, searched: bool) -> Any:
    return typer.Option(flag, min=1, max=most, help=f"{what}{' (default: searched)' if searched else ''}.")


Json = Annotated[bool, typer.Option("--json", help="Print JSON (SI base units, versioned schema) on stdout.")]
Check = Annotated[bool, typer.Option("--check", help="Exit 1 when a checked wall is hit (for CI scripts).")]
Force = Annotated[
    bool, typer.Option("--force", help="Replace an existing file (never through a symbolic link).")
]


def _set_quiet(value: bool) -> bool:
    from llmwalls import notices

    notices.set_quiet(bool(value))
    return value


Quiet = Annotated[
    bool,
    typer.Option(
        "--quiet",
        "-q",
        callback=_set_quiet,
        help="Leave out notes and warnings on stderr (for CI logs; --json still carries them). Errors print.",
    ),
]
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

# ------------------------------------------------------------------------------------------------ output
Plot = Annotated[
    _OptStr,
    typer.Option(
        "--plot",
        help="Save the chart to FILE.png or FILE.svg (needs matplotlib: pip install 'llmwalls[plot]').",
    ),
]
NoChart = Annotated[bool, typer.Option("--no-chart", help="Do not draw the terminal chart.")]
Mode = Annotated[
    ServingMode,
    typer.Option(
        "--mode", case_sensitive=False, help="Serving deployment: aggregated, disaggregated or both."
    ),
]

# ----------------------------------------------------------------------------- one workload, every wall
TtftS = Annotated[_OptStr, typer.Option("--ttft-s", help="Time-to-first-token target in s (default 2).")]
Assumptions = Annotated[
    _OptStr,
    typer.Option(
        "--assumptions",
        help="TOML file with an [uncertainty] table (name = [low, high] or a number) and a [walls] table.",
    ),
]
Near = Annotated[_OptStr, typer.Option("--near", help="Utilisation reported as 'near' (default 0.8).")]
Sweep = Annotated[
    _OptStr,
    typer.Option(
        "--sweep",
        help="AXIS=LOW..HIGH (doubling; :N for N points) or AXIS=A,B,C; AXIS: context, users, gpus, params.",
    ),
]


# ------------------------------------------------------------------------------- parsers shared by commands
def parse_gpus(text: str | None, what: str = "--gpus") -> int | None:
    """--gpus parsed ('1k' = 1000) and bounded by the one GPU-count bound, llmwalls.api._planning.MAX_GPUS
    (10 million: beyond it a count is a typo); None stays None."""
    if text is None:
        return None
    from llmwalls.api._planning import MAX_GPUS
    from llmwalls.errors import InputError
    from llmwalls.units import parse_int_count

    n = parse_int_count(text, what)
    if n > MAX_GPUS:
        raise InputError(f"{what} {n:,} is absurd (more than {MAX_GPUS:,} GPUs)")
    return n


def parse_usd(text: str | None, what: str, *, allow_zero: bool = False) -> float | None:
    """'$40,000', '40k', '2.5', '40M' -> dollars. Negative, NaN or (unless allowed) zero -> InputError."""
    if text is None:
        return None
    from llmwalls.errors import InputError
    from llmwalls.units import parse_count

    raw = str(text).strip().lstrip("$").strip()
    if raw.startswith("-"):
        raise InputError(f"{what} must not be negative, got {text!r}")
    if allow_zero and raw and raw.replace(".", "", 1).strip("0") == "":
        return 0.0
    return parse_count(raw, what)


def parse_token_count(text: str | None, what: str, *, allow_zero: bool = False) -> float | None:
    """A token count ('2k' = 2048) as a float; '0' accepted where allowed; None stays None."""
    if text is None:
        return None
    if allow_zero and text.strip() in ("0", "0.0"):
        return 0.0
    from llmwalls.units import parse_tokens

    return float(parse_tokens(text, what))


def parse_seconds(text: str | None, what: str) -> float | None:
    """A non-negative number (seconds, a rate); None stays None."""
    if text is None:
        return None
    from llmwalls.units import parse_positive_float

    return parse_positive_float(text, what, allow_zero=True)


def parse_share(text: str | None, what: str, allow_zero: bool = False) -> float | None:
    """A fraction in (0, 1] ([0, 1] with allow_zero; '85%' accepted); None stays None."""
    if text is None:
        return None
    from llmwalls.units import parse_fraction

    return parse_fraction(text, what, allow_zero=allow_zero)


def goodput_overrides(
    failures_per_gpu_hour: str | None,
    restart_s: str | None,
    storage_bandwidth: str | None,
    checkpoint_interval_s: str | None,
    warmup_share: str | None,
    eval_share: str | None,
) -> dict[str, float | None]:
    """The goodput options parsed into the keyword arguments of api.cluster (None: the default)."""
    from llmwalls.units import parse_bytes

    def share(text: str | None, flag: str) -> float | None:
        return parse_share(text, flag, allow_zero=True)

    seconds = parse_seconds
    return {
        "failures_per_gpu_hour": seconds(failures_per_gpu_hour, "--failures-per-gpu-hour"),
        "restart_s": seconds(restart_s, "--restart-s"),
        "storage_bandwidth_bytes_per_s": None
        if storage_bandwidth is None
        else float(parse_bytes(storage_bandwidth, "--storage-bandwidth")),
        "checkpoint_interval_s": seconds(checkpoint_interval_s, "--checkpoint-interval-s"),
        "warmup_share": share(warmup_share, "--warmup-share"),
        "evaluation_share": share(eval_share, "--eval-share"),
    }


def plot_path(text: str | None, *, force: bool = False) -> str | None:
    """--plot FILE, checked before any work is done: the name must end in .png or .svg, and an existing file
    is replaced only with --force, never through a symbolic link (llmwalls.files.check_target)."""
    if text is None:
        return None
    from llmwalls.errors import InputError
    from llmwalls.files import check_target

    if not text.lower().endswith((".png", ".svg")):
        raise InputError(f"--plot {text!r}: the file name must end in .png or .svg")
    check_target(text, force=force, what="--plot file")
    return text


def save_plot(save: Callable[..., object], report: Any, path: str, *, force: bool = False) -> None:
    """Write a command's chart with its render function (atomically, llmwalls.files); a missing matplotlib is
    one line of bad input, not a traceback."""
    from llmwalls.errors import InputError
    from llmwalls.render import chart

    try:
        save(report, path, force=force)
    except chart.PlotUnavailableError as exc:
        raise InputError(str(exc)) from None
