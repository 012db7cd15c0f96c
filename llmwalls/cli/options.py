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

from llmwalls.api.types import KvFormat, Optimizer, Recompute, WeightFormat


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
Force = Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")]

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


# ------------------------------------------------------------ fleet, site, money and workload (power, cost)
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


OptModel = Annotated[
    str | None,
    typer.Option(
        "--model",
        "-m",
        help="Model profile: name, alias (70b, 405b) or path to a TOML file.",
        autocompletion=_complete("model"),
    ),
]
GpuHours = Annotated[str | None, typer.Option("--gpu-hours", help="GPU-hours of a run (1.46M = 1,460,000).")]
# --tokens where a run is costed only when given (cluster's TrainTokens above defaults to 20 per parameter)
PlannedTokens = Annotated[
    str | None,
    typer.Option(
        "--tokens",
        help="Training tokens of --model (15.6T): the run is planned as `llmwalls cluster` plans it.",
    ),
]
Utilization = Annotated[
    str | None,
    typer.Option(
        "--utilization",
        help="Average GPU utilisation in [0, 1] (or 85%): board power = idle + u x (TDP - idle) "
        "(default: power 1, the peak a site must hold; cost 0.6, a serving fleet's average).",
    ),
]
Pue = Annotated[
    str | None,
    typer.Option(
        "--pue",
        help="Power usage effectiveness in [1, 5] (default: the cluster's, else by cooling: 1.58 air, "
        "1.15 liquid).",
    ),
]
SiteMw = Annotated[str | None, typer.Option("--site-mw", help="Site power cap in MW (facility power).")]
TokensPerSPerGpu = Annotated[
    str | None,
    typer.Option(
        "--tokens-per-s",
        help="Serving throughput in decode tokens/s per GPU (default: the roofline's, with --model).",
    ),
]
PricePerGpuHour = Annotated[
    str | None,
    typer.Option(
        "--price-per-gpu-hour",
        help="Rental $ per GPU-hour (default: the GPU's cheapest on-demand price profile; needed where "
        "none is published).",
    ),
]
Budget = Annotated[str | None, typer.Option("--budget", help="Budget in $ (40M = 40,000,000).")]
Users = Annotated[str | None, typer.Option("--users", help="Concurrent users to serve (1M = 1,000,000).")]
TokensPerSPerUser = Annotated[
    str | None,
    typer.Option("--tokens-per-s-per-user", help="Decode speed each user must get (default 20 tokens/s)."),
]
# One value where a command takes no sweep (the repeatable --context and --batch above promise a sweep).
OneContext = Annotated[
    str | None, typer.Option("--context", help="Tokens per sequence (4k = 4096, 128k = 131072).")
]
OneBatch = Annotated[
    str | None, typer.Option("--batch", "-b", help="Concurrent sequences (users) served per GPU.")
]

# ---- library-first options: choices are the API's enums (llmwalls.api.types, cheap to import), so
# completion offers them; counts repeat for sweeps.

HardwareGpu = Annotated[
    str | None,
    typer.Option(
        "--gpu",
        "-g",
        help="GPU profile: name, alias (h100, h200, mi300x) or TOML path (default: the --cluster's GPU, "
        "else h100).",
        autocompletion=_complete("gpu"),
    ),
]
Batches = Annotated[
    list[str] | None,
    typer.Option(
        "--batch",
        "-b",
        help="Concurrent sequences (training: the micro-batch; 1k = 1000); repeat for a sweep (default 1).",
    ),
]
Contexts = Annotated[
    list[str] | None,
    typer.Option("--context", help="Tokens per sequence (4k = 4096, 128k = 131072); repeat for a sweep."),
]
WeightsChoice = Annotated[
    WeightFormat,
    typer.Option(
        "--weights",
        case_sensitive=False,
        help="Weight precision (int4, mxfp4, nvfp4 with their block scales; a model's routed experts keep "
        "their published format, e.g. gpt-oss MXFP4).",
    ),
]
KvDtypeChoice = Annotated[
    KvFormat, typer.Option("--kv-dtype", case_sensitive=False, help="KV-cache precision.")
]
RecomputeChoice = Annotated[
    Recompute | None,
    typer.Option(
        "--recompute",
        case_sensitive=False,
        help="Activation recomputation in training (default selective; Korthikanti et al. 2022).",
    ),
]
OptimizerChoice = Annotated[
    Optimizer,
    typer.Option(
        "--optimizer", case_sensitive=False, help="Training optimizer: adam 16 B/param, sgd 12, adam8bit 10."
    ),
]

# ------------------------------------------------------------- one workload against every wall (walls, audit)
OptTp = Annotated[
    int | None,
    typer.Option(
        "--tp", min=1, max=1024, help="Tensor-parallel degree per serving replica (default: searched)."
    ),
]
Train = Annotated[bool, typer.Option("--train", help="A training run instead of serving.")]
DeadlineDays = Annotated[str | None, typer.Option("--deadline-days", help="Training deadline in days.")]
TtftS = Annotated[str | None, typer.Option("--ttft-s", help="Time-to-first-token target in s (default 2).")]
Assumptions = Annotated[
    str | None,
    typer.Option(
        "--assumptions",
        help="TOML file with an [uncertainty] table (name = [low, high] or a number) and a [walls] table.",
    ),
]
Near = Annotated[str | None, typer.Option("--near", help="Utilisation reported as 'near' (default 0.8).")]
BandwidthEfficiency = Annotated[
    str | None,
    typer.Option(
        "--bandwidth-efficiency",
        help="Fraction of datasheet HBM bandwidth, or a range low..high (default 0.59..0.68).",
    ),
]
FlopsEfficiency = Annotated[
    str | None,
    typer.Option(
        "--flops-efficiency",
        help="Serving: fraction of peak FLOP/s, or a range low..high (default x0.70..x1.0 of MAMF/peak).",
    ),
]
MatmulEfficiency = Annotated[
    str | None,
    typer.Option(
        "--matmul-efficiency", help="Training: fraction of measured MAMF, or a range (default 0.61..0.82)."
    ),
]
UsableFraction = Annotated[
    str | None,
    typer.Option("--usable-fraction", help="Fraction of HBM usable, or a range (default 0.85..0.95)."),
]
NetworkEfficiency = Annotated[
    str | None,
    typer.Option(
        "--network-efficiency",
        help="Training: scale-out bandwidth fraction, or a range (default 0.80..0.90).",
    ),
]
Sweep = Annotated[
    str | None,
    typer.Option(
        "--sweep",
        help="AXIS=LOW..HIGH (doubling; :N for N points) or AXIS=A,B,C; AXIS: context, users, gpus, params.",
    ),
]
Plot = Annotated[
    str | None,
    typer.Option("--plot", help="Save the sweep chart to FILE.png or FILE.svg (needs matplotlib)."),
]
