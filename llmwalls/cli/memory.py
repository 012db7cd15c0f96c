"""`llmwalls memory`: memory per GPU for serving (weights, KV cache, reserve) or training (--train: weights,
gradients, optimizer state, activations, reserve), the capacity wall, and derived answers (fewest GPUs,
largest batch, longest context, largest model on one GPU). Numbers come from llmwalls.engine.memory; this
module only parses, resolves profiles and renders. Heavy imports happen inside the command."""

from __future__ import annotations

from typing import Annotated

import typer

from llmwalls.cli.options import Batch, Check, Context, Cp, Dp, Ep, Gpu, Json, KvDtype, Model, Pp, Tp, Weights

_OptStr = str | None

DEFAULT_CONTEXT_TOKENS = 4096  # a typical chat request with history; capped at the model's maximum
DEFAULT_BATCH = 1
MAX_BATCH = 10_000_000  # concurrent sequences on one deployment beyond this are a typo


def memory(
    model: Model,
    gpu: Gpu = "h100",
    tp: Tp = 1,
    pp: Pp = 1,
    ep: Ep = 1,
    dp: Dp = 1,
    cp: Cp = 1,
    batch: Batch = None,
    context: Context = None,
    weights: Weights = "bf16",
    kv_dtype: KvDtype = "bf16",
    train: Annotated[
        bool, typer.Option("--train", help="Training memory (mixed precision) instead of serving.")
    ] = False,
    zero: Annotated[
        int,
        typer.Option(
            "--zero",
            min=0,
            max=3,
            help="ZeRO stage (training): 1 shards optimizer "
            "state over DP, 2 also gradients, 3 also weights (= FSDP).",
        ),
    ] = 0,
    optimizer: Annotated[
        str,
        typer.Option("--optimizer", help="Training optimizer: adam (16 B/param), sgd (12), adam8bit (10)."),
    ] = "adam",
    recompute: Annotated[
        str, typer.Option("--recompute", help="Activation recomputation (training): none, selective, full.")
    ] = "selective",
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
            "--flash-attention/--no-flash-attention", help="FlashAttention: no s x s scores stored."
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
            "--usable-fraction", help="Fraction of HBM usable (default 0.9, vLLM's gpu_memory_utilization)."
        ),
    ] = None,
    json_: Json = False,
    check: Check = False,
) -> None:
    """Memory per GPU (serving, or --train), the capacity wall, fewest GPUs, largest batch and context."""
    code = _run(**locals())
    if code:
        raise typer.Exit(code)


# ------------------------------------------------------------------------------------------------- work


def _gib(x: float) -> str:
    return f"{x / 1024**3:,.1f}"


def _run(**o) -> int:  # noqa: ANN003, C901, PLR0912, PLR0915
    import dataclasses
    import itertools

    import numpy as np

    from llmwalls import catalogue, render
    from llmwalls.engine import memory as mem
    from llmwalls.engine.model import cached_tokens, param_counts, weight_bytes_per_param
    from llmwalls.errors import InputError
    from llmwalls.units import parse_bytes, parse_fraction, parse_int_count, parse_tokens

    spec = catalogue.load_model(o["model"])
    gpu = catalogue.load_gpu(o["gpu"])
    train = o["train"]
    tp, pp, ep, dp, cp = o["tp"], o["pp"], o["ep"], o["dp"], o["cp"]

    # ---- inputs
    weights = o["weights"].lower()
    weight_bytes_per_param(weights)  # raises on an unknown precision
    mem.dtype_bytes(o["kv_dtype"], "KV-cache precision")
    mem.check_tp_divides(spec, tp)
    if pp > spec.layers:
        raise InputError(f"--pp {pp} is more than {spec.name}'s {spec.layers} layers")
    if ep > 1:
        if spec.moe is None:
            raise InputError(f"--ep {ep}: {spec.name} is not a mixture-of-experts model")
        if spec.moe.experts % ep:
            raise InputError(f"--ep {ep} does not divide {spec.name}'s {spec.moe.experts} experts")
    if train and ep > 1 and dp % ep:
        raise InputError(
            f"--ep {ep} must divide --dp {dp} when training (expert-parallel groups are drawn from "
            "data-parallel ranks, Megatron-core)"
        )
    if not train and (
        dp > 1
        or cp > 1
        or o["zero"]
        or o["interleave"] > 1
        or o["first_stage_layers"] is not None
        or o["microbatches"] is not None
        or o["micro_batch"] is not None
    ):
        raise InputError(
            "--dp, --cp, --zero, --interleave, --first-stage-layers, --microbatches and --micro-batch "
            "apply to training; add --train"
        )
    if o["first_stage_layers"] is not None and (pp < 2 or o["first_stage_layers"] > spec.layers):
        raise InputError(
            f"--first-stage-layers {o['first_stage_layers']} needs --pp >= 2 and at most {spec.layers} layers"
        )
    recompute = o["recompute"].lower()
    if recompute not in mem.RECOMPUTE:
        raise InputError(f"unknown --recompute {o['recompute']!r}; use none, selective or full")
    mem.optimizer_bytes_per_param(o["optimizer"])  # checked in serving mode too: a typo is never ignored
    batches = [parse_int_count(b, "--batch") for b in (o["batch"] or [str(DEFAULT_BATCH)])]
    for b in batches:
        if b > MAX_BATCH:
            raise InputError(f"--batch {b} is absurd (more than {MAX_BATCH:,} sequences)")
    if train and o["micro_batch"] is not None:
        batches = [parse_int_count(o["micro_batch"], "--micro-batch")]
    default_context = min(DEFAULT_CONTEXT_TOKENS, spec.max_context_tokens)
    contexts = [parse_tokens(c, "--context") for c in (o["context"] or [str(default_context)])]
    if train and cp > 1:
        for c in contexts:
            if c % cp:
                raise InputError(f"--context {c} is not divisible by --cp {cp}")
    over_max = [c for c in contexts if c > spec.max_context_tokens]
    if over_max:
        render.warn(
            f"context {max(over_max):,} tokens is above {spec.name}'s maximum of "
            f"{spec.max_context_tokens:,}; computed anyway"
        )
    assumptions = mem.MemoryAssumptions()
    if o["reserve"] is not None:
        assumptions = dataclasses.replace(
            assumptions, runtime_reserve_bytes=_reserve(o["reserve"], parse_bytes)
        )
    if o["usable_fraction"] is not None:
        assumptions = dataclasses.replace(
            assumptions, usable_fraction=parse_fraction(o["usable_fraction"], "--usable-fraction")
        )
    usable = mem.usable_bytes(gpu.memory_capacity_bytes, assumptions)

    # ---- engine (one vectorised call over the batch x context grid)
    grid = list(itertools.product(batches, contexts))
    b_arr = np.array([g[0] for g in grid], dtype=float)
    c_arr = np.array([g[1] for g in grid], dtype=float)
    if train:
        gpus = tp * pp * dp * cp
        r = mem.training_memory_per_gpu(
            spec,
            tp=tp,
            pp=pp,
            dp=dp,
            ep=ep,
            cp=cp,
            micro_batch=b_arr,
            seq_len=c_arr,
            zero_stage=o["zero"],
            recompute=recompute,
            sequence_parallel=o["sequence_parallel"],
            flash_attention=o["flash_attention"],
            optimizer=o["optimizer"],
            interleave=o["interleave"],
            first_stage_layers=o["first_stage_layers"],
            # an uneven first stage is Llama 3's layout: its first model chunk holds only the embedding
            first_chunk_layers=0 if (o["first_stage_layers"] is not None and o["interleave"] > 1) else None,
            microbatches=o["microbatches"],
            assumptions=assumptions,
        )
        components = [
            ("weights", "weights", f"bf16, / TP x PP{' / DP (ZeRO-3)' if o['zero'] >= 3 else ''}"),
            ("gradients", "gradients", "bf16" + (" / DP (ZeRO-2)" if o["zero"] >= 2 else "")),
            (
                "optimizer",
                "optimizer state",
                f"{o['optimizer']}: fp32 master + moments" + (" / DP (ZeRO-1)" if o["zero"] >= 1 else ""),
            ),
            (
                "activations",
                "activations",
                f"Korthikanti 2022 (re-summed for this architecture), recompute {recompute}, {pp} "
                "micro-batch(es) in flight"
                + (f", interleaved v={o['interleave']}" if o["interleave"] > 1 else ""),
            ),
            ("reserve", "runtime reserve", "CUDA context, workspaces, NCCL"),
        ]
    else:
        gpus = pp * max(tp, ep)
        r = mem.serving_memory_per_gpu(
            spec,
            batch=b_arr,
            context_tokens=c_arr,
            tp=tp,
            pp=pp,
            ep=ep,
            weights=weights,
            kv_dtype=o["kv_dtype"],
            assumptions=assumptions,
        )
        components = [
            (
                "weights",
                "weights",
                f"{weights}, {param_counts(spec).total / 1e9:,.1f}B params, "
                f"/ TP {tp} x PP {pp}"
                + (f", experts / EP {ep}" if ep > 1 else "")
                + (f", experts {spec.expert_weight_format}" if spec.expert_weight_format else ""),
            ),
            (
                "kv_cache",
                "KV cache",
                f"{o['kv_dtype']}, {float(r['kv_bytes_per_token'][0]):,.0f} B/token per GPU x tokens x batch",
            ),
            (
                "activation_workspace",
                "activation workspace",
                f"{assumptions.serving_activation_tokens:,}-token forward pass",
            ),
            ("runtime_reserve", "runtime reserve", "CUDA context, workspaces, NCCL"),
        ]
    totals = r["total"]
    fits = totals <= usable
    worst = int(np.argmax(totals))
    worst_total = float(totals[worst])

    # ---- derived answers (serving)
    derived: dict = {}
    if not train:
        ctx0, b0 = contexts[0], batches[0]
        layout = dict(
            usable=usable,
            tp=tp,
            pp=pp,
            ep=ep,
            weights=weights,
            kv_dtype=o["kv_dtype"],
            assumptions=assumptions,
        )
        derived["max_batch_at_context"] = {
            str(c): int(mem.max_batch(spec, context_tokens=c, **layout)) for c in contexts
        }
        derived["max_context_at_batch"] = {
            str(b): int(mem.max_context(spec, batch=b, **layout)) for b in batches
        }
        few = mem.fewest_gpus(
            spec,
            usable=usable,
            batch=batches[int(np.argmax(batches))],
            context_tokens=max(contexts),
            ep=ep,
            weights=weights,
            kv_dtype=o["kv_dtype"],
            assumptions=assumptions,
        )
        derived["fewest_gpus"] = few
        act1 = float(mem.serving_activation_bytes(spec, tp=1, assumptions=assumptions))
        largest = mem.largest_params_one_gpu(
            hbm_bytes=gpu.memory_capacity_bytes,
            weights=weights,
            kv_bytes_per_token_value=float(mem.kv_bytes_per_token(spec, o["kv_dtype"])),
            assumptions=assumptions,
            activation_bytes=act1,
        )
        derived["largest_params_one_gpu"] = largest
        derived["largest_family_model_one_gpu"] = _largest_family_member(
            spec, usable, weights, o["kv_dtype"], assumptions, catalogue, mem
        )
        del ctx0, b0
    else:
        derived["fewest_gpus"] = _training_layout(
            spec, mem, np, usable, dp, ep, cp, max(batches), max(contexts), o, recompute, assumptions
        )

    # ---- verdict
    verdict = _verdict(bool(worst_total <= usable), train, tp, pp, derived.get("fewest_gpus"))
    wall_line = f"capacity: {_gib(worst_total)} of {_gib(usable)} GiB — {verdict}"
    walls = [
        render.wall(
            "memory_capacity",
            worst_total,
            usable,
            "bytes",
            gpu=gpu.name,
            batch=int(b_arr[worst]),
            context_tokens=int(c_arr[worst]),
        )
    ]

    if o["json_"]:
        rows = []
        for i, (b, c) in enumerate(grid):
            row = {"batch" if not train else "micro_batch": b, "context_tokens": c}
            if not train:
                row["cached_tokens"] = int(cached_tokens(spec, c))
            for key in r:
                row[f"{key}_bytes" if not key.endswith("per_token") else key] = float(r[key][i])
            row["fits"] = bool(fits[i])
            row["headroom_bytes"] = float(usable - totals[i])
            rows.append(row)
        inputs = {
            "model": spec.name,
            "gpu": gpu.name,
            "mode": "training" if train else "serving",
            "tp": tp,
            "pp": pp,
            "ep": ep,
            "dp": dp,
            "cp": cp,
            "gpus": gpus,
            "batch": batches,
            "context_tokens": contexts,
            "weights": weights,
            "kv_dtype": o["kv_dtype"].lower(),
            "model_max_context_tokens": spec.max_context_tokens,
            "context_above_max": bool(over_max),
        }
        if train:
            inputs.update(
                zero_stage=o["zero"],
                optimizer=o["optimizer"],
                recompute=recompute,
                sequence_parallel=o["sequence_parallel"],
                flash_attention=o["flash_attention"],
                interleave=o["interleave"],
                first_stage_layers=o["first_stage_layers"],
                microbatches=o["microbatches"],
            )
        results = {
            "hbm_bytes": gpu.hbm_bytes,
            "memory_capacity_bytes": gpu.memory_capacity_bytes,
            "usable_bytes": usable,
            "fits": bool(fits.all()),
            "rows": rows,
            "derived": derived,
            "verdict": verdict,
            "assumptions": {k: v for k, v in dataclasses.asdict(assumptions).items()},
        }
        render.emit_json("memory", inputs, results, walls)
    else:
        tables = []
        mode = "training" if train else "serving"
        if len(grid) == 1:
            t = render.Table(
                title=f"{spec.name} on {gpu.name} ({mode}, TP {tp} x PP {pp}"
                + (f" x DP {dp}" if train else "")
                + f", {gpus} GPU{'s' if gpus > 1 else ''}); "
                + (
                    f"micro-batch {batches[0]}, seq {contexts[0]:,}"
                    if train
                    else f"batch {batches[0]}, context {contexts[0]:,} tokens"
                ),
                columns=[
                    render.Column("component", "name", justify="left"),
                    render.Column("per GPU (GiB)", "per_gpu", _gib),
                    render.Column(f"all {gpus} GPUs (GiB)", "all", _gib),
                    render.Column("how", "note", justify="left"),
                ],
            )
            for key, name, note in components:
                v = float(r[key][0])
                t.rows.append({"name": name, "per_gpu": v, "all": v * gpus, "note": note})
            t.rows.append(
                {
                    "name": "total",
                    "per_gpu": worst_total,
                    "all": worst_total * gpus,
                    "note": "",
                    "_style": "bold",
                }
            )
            t.rows.append(
                {
                    "name": "usable capacity",
                    "per_gpu": usable,
                    "all": usable * gpus,
                    "note": (
                        f"{assumptions.usable_fraction:g} x {_gib(gpu.memory_capacity_bytes)} GiB "
                        "device memory"
                    ),
                }
            )
            tables.append(t)
        else:
            cols = [
                render.Column("micro-batch" if train else "batch", "b", lambda x: f"{x:,}"),
                render.Column("context", "c", lambda x: f"{x:,}"),
            ]
            cols += [render.Column(f"{name} (GiB)", key, _gib) for key, name, _ in components]
            cols += [
                render.Column("total (GiB)", "total", _gib),
                render.Column("fits", "fits", justify="left"),
            ]
            t = render.Table(
                title=f"{spec.name} on {gpu.name} ({mode}, TP {tp} x PP {pp}): per GPU, "
                f"usable {_gib(usable)} GiB",
                columns=cols,
            )
            for i, (b, c) in enumerate(grid):
                row = {"b": b, "c": c, "total": float(totals[i]), "fits": "yes" if fits[i] else "no"}
                row.update({key: float(r[key][i]) for key, _, _ in components})
                t.rows.append(row)
            tables.append(t)
        lines = [wall_line]
        styles = ["bold green" if worst_total <= usable else "bold red"]
        lines += _derived_lines(derived, spec, gpu, weights, train)
        render.print_tables(tables, lines, styles)
    return 1 if (o["check"] and worst_total > usable) else 0


def _reserve(text: str, parse_bytes) -> float:  # noqa: ANN001
    if str(text).strip() in ("0", "0B", "0GiB", "0GB"):
        return 0.0
    return parse_bytes(text, "--reserve")


def _verdict(ok: bool, train: bool, tp: int, pp: int, few: dict | None) -> str:
    if ok:
        return "fits"
    if few is None:
        return "does not fit"
    if not few["fits"]:
        return f"does not fit even on TP {few['tp']} x PP {few['pp']} ({few['gpus']} GPUs)"
    extra = " with ZeRO/DP as given" if train else ""
    if few["pp"] == 1:
        return f"does not fit; needs TP >= {few['tp']} ({few['gpus']} GPUs{extra})"
    return f"does not fit; needs TP {few['tp']} x PP >= {few['pp']} ({few['gpus']} GPUs{extra})"


def _largest_family_member(spec, usable, weights, kv_dtype, assumptions, catalogue, mem):  # noqa: ANN001, ANN202
    """Largest catalogue model of the same family whose serving memory (batch 1, kv_budget_tokens) fits one
    GPU at TP 1; None when none does (or the family is unnamed)."""
    from llmwalls.engine.model import param_counts

    if not spec.family:
        return None
    best = None
    for entry in catalogue.entries("model"):
        try:
            other = catalogue.load_model(entry.name)
        except Exception:  # noqa: BLE001 - a broken user profile must not break this answer
            continue
        if other.family != spec.family:
            continue
        ctx = min(assumptions.kv_budget_tokens, other.max_context_tokens)
        total = float(
            mem.serving_memory_per_gpu(
                other,
                batch=1,
                context_tokens=ctx,
                weights=weights,
                kv_dtype=kv_dtype,
                assumptions=assumptions,
            )["total"]
        )
        params = param_counts(other).total
        if total <= usable and (best is None or params > best["params"]):
            best = {"model": other.name, "params": params, "total_bytes": total}
    return best


def _training_layout(spec, mem, np, usable, dp, ep, cp, micro_batch, seq_len, o, recompute, assumptions):  # noqa: ANN001, ANN202
    """Fewest TP x PP (TP a power of two up to 8 dividing the heads, any PP up to the layers) that fits with
    the given DP, ZeRO stage, micro-batch and recomputation: one vectorised call over the grid."""
    tps = np.array(mem.tp_candidates(spec), dtype=float)
    pps = np.arange(1, spec.layers + 1, dtype=float)
    T, P = np.meshgrid(tps, pps)
    r = mem.training_memory_per_gpu(
        spec,
        tp=T.ravel(),
        pp=P.ravel(),
        dp=dp,
        ep=ep,
        cp=cp,
        micro_batch=micro_batch,
        seq_len=seq_len,
        zero_stage=o["zero"],
        recompute=recompute,
        sequence_parallel=o["sequence_parallel"],
        flash_attention=o["flash_attention"],
        optimizer=o["optimizer"],
        assumptions=assumptions,
    )
    ok = r["total"] <= usable
    if not ok.any():
        return {
            "tp": int(tps[-1]),
            "pp": spec.layers,
            "gpus": int(tps[-1]) * spec.layers * dp * cp,
            "fits": False,
        }
    n = T.ravel() * P.ravel()
    n = np.where(ok, n, np.inf)
    i = int(np.argmin(n))  # ties: the first in (pp, tp) order, i.e. the smallest PP
    t, p = int(T.ravel()[i]), int(P.ravel()[i])
    return {"tp": t, "pp": p, "gpus": t * p * dp * cp, "fits": True}


def _derived_lines(derived: dict, spec, gpu, weights: str, train: bool) -> list[str]:  # noqa: ANN001
    lines = []
    if train:
        return lines
    for c, n in derived["max_batch_at_context"].items():
        why = " (the weights and reserve alone do not fit this layout)" if n == 0 else ""
        lines.append(f"largest batch at {int(c):,} tokens: {n:,} sequences{why}")
    for b, n in derived["max_context_at_batch"].items():
        capped = " (the model's maximum)" if n >= spec.max_context_tokens else ""
        lines.append(f"longest context at batch {int(b):,}: {n:,} tokens{capped}")
    few = derived["fewest_gpus"]
    if few["fits"]:
        layout = f"TP {few['tp']}" + (f" x PP {few['pp']}" if few["pp"] > 1 else "")
        layout += f", EP {few['ep']}" if few.get("ep", 1) > 1 else ""
        lines.append(f"fewest GPUs: {few['gpus']} x {gpu.name} ({layout})")
    lp = derived["largest_params_one_gpu"]
    fam = derived["largest_family_model_one_gpu"]
    fam_text = f"{fam['model']} ({fam['params'] / 1e9:.1f}B)" if fam else "none in the catalogue"
    lines.append(f"largest {spec.family or 'same-family'} model on one {gpu.name} ({weights}): {fam_text}")
    lines.append(
        f"largest model of this architecture on one {gpu.name} ({weights}): "
        f"{lp['planned_params'] / 1e9:.1f}B params with room for one sequence "
        f"({lp['raw_params'] / 1e9:.1f}B if the weights filled all HBM)"
    )
    return lines
