"""`llmwalls walls`: one workload against every wall side by side (memory capacity, memory bandwidth, compute,
interconnect, power, cost), the binding wall named in one sentence, with the utilisation range the efficiency
assumptions allow; `--sweep AXIS=LOW..HIGH` for the value at which each wall is hit, a terminal chart and
--plot FILE.png|svg.

The numbers come from llmwalls.engine.walls, which composes the memory, roofline, training, power and cost
engines; this module parses, resolves profiles and renders. Heavy imports happen inside the command.
Functions named without a leading underscore (wall_rows, verdict, fmt_demand) are reused by `llmwalls audit`.
"""

from __future__ import annotations

from typing import Annotated

import typer

from llmwalls.cli.options import (
    Check,
    Context,
    Force,
    Json,
    KvDtype,
    Model,
    OptCluster,
    OptGpu,
    Prompt,
    Weights,
)

_OptStr = str | None

DEFAULT_CONTEXT_TOKENS = 4096
SHORT = {
    "memory capacity": "memory",
    "memory bandwidth": "bandwidth",
    "compute": "compute",
    "interconnect": "interconnect",
    "power": "power",
    "cost": "cost",
}
MARKERS = {
    "memory capacity": "M",
    "memory bandwidth": "B",
    "compute": "C",
    "interconnect": "I",
    "power": "P",
    "cost": "$",
}


def walls(  # noqa: PLR0913
    model: Model,
    gpu: OptGpu = None,
    cluster: OptCluster = None,
    gpus: Annotated[
        _OptStr,
        typer.Option("--gpus", help="GPUs for this workload (default: the cluster's, else one replica)."),
    ] = None,
    tp: Annotated[
        int | None,
        typer.Option(
            "--tp",
            min=1,
            max=1024,
            help="Tensor-parallel degree per serving replica (default: the smallest that fits).",
        ),
    ] = None,
    users: Annotated[
        _OptStr, typer.Option("--users", help="Concurrent users (decoding sequences), 1k = 1000.")
    ] = None,
    context: Context = None,
    prompt: Prompt = None,
    tokens_per_s_per_user: Annotated[
        _OptStr,
        typer.Option("--tokens-per-s-per-user", help="Decode rate each user must get (default 20 tokens/s)."),
    ] = None,
    ttft_s: Annotated[
        _OptStr, typer.Option("--ttft-s", help="Time-to-first-token target in s (default 2).")
    ] = None,
    weights: Weights = "bf16",
    kv_dtype: KvDtype = "bf16",
    train: Annotated[bool, typer.Option("--train", help="A training run instead of serving.")] = False,
    tokens: Annotated[
        _OptStr, typer.Option("--tokens", help="Training tokens, e.g. 15T (default 20 per parameter).")
    ] = None,
    deadline_days: Annotated[
        _OptStr, typer.Option("--deadline-days", help="Training deadline in days.")
    ] = None,
    global_batch: Annotated[
        _OptStr,
        typer.Option("--global-batch", help="Training sequences per step (default 16Mi tokens / context)."),
    ] = None,
    site_mw: Annotated[
        _OptStr, typer.Option("--site-mw", help="Site power cap in MW (facility power).")
    ] = None,
    budget: Annotated[
        _OptStr,
        typer.Option(
            "--budget",
            help="Budget in $: per month when serving, for the run when training (2M = 2,000,000).",
        ),
    ] = None,
    price_per_gpu_hour: Annotated[
        _OptStr,
        typer.Option(
            "--price-per-gpu-hour", help="$ per GPU-hour (default: the GPU's price profile, else $2.50)."
        ),
    ] = None,
    sweep: Annotated[
        _OptStr,
        typer.Option(
            "--sweep",
            help="AXIS=LOW..HIGH (doubling; :N for N points) or AXIS=A,B,C; AXIS: context, users, gpus, "
            "params.",
        ),
    ] = None,
    bandwidth_efficiency: Annotated[
        _OptStr,
        typer.Option(
            "--bandwidth-efficiency",
            help="Fraction of datasheet HBM bandwidth, or a range (default 0.59..0.68 "
            "around the roofline's 0.65).",
        ),
    ] = None,
    flops_efficiency: Annotated[
        _OptStr,
        typer.Option(
            "--flops-efficiency",
            help="Fraction of peak FLOP/s for serving, or a range (default x0.70..x1.0 of MAMF/peak).",
        ),
    ] = None,
    matmul_efficiency: Annotated[
        _OptStr,
        typer.Option(
            "--matmul-efficiency",
            help="Training: fraction of measured MAMF, or a range (default 0.61..0.82).",
        ),
    ] = None,
    usable_fraction: Annotated[
        _OptStr,
        typer.Option("--usable-fraction", help="Fraction of HBM usable, or a range (default 0.85..0.95)."),
    ] = None,
    network_efficiency: Annotated[
        _OptStr,
        typer.Option(
            "--network-efficiency",
            help="Training: scale-out bandwidth fraction, or a range (default 0.80..0.90).",
        ),
    ] = None,
    near: Annotated[
        _OptStr, typer.Option("--near", help="Utilisation reported as 'near' (default 0.8).")
    ] = None,
    assumptions: Annotated[
        _OptStr,
        typer.Option(
            "--assumptions",
            help="TOML file with an [uncertainty] table (name = [low, high] or a number) and a "
            "[walls] table.",
        ),
    ] = None,
    plot: Annotated[
        _OptStr,
        typer.Option("--plot", help="Save the sweep chart to FILE.png or FILE.svg (needs matplotlib)."),
    ] = None,
    force: Force = False,
    json_: Json = False,
    check: Check = False,
) -> None:
    """Every wall of one workload side by side, the binding one named; --sweep for where each is hit."""
    code = _run(**locals())
    if code:
        raise typer.Exit(code)


# --------------------------------------------------------------------------------------------- formatting


def fmt_tokens(n: float) -> str:
    n = float(n)
    if n >= 2**20 and n % 2**20 == 0:
        return f"{n / 2**20:g}M"
    if n >= 1024 and n % 1024 == 0:
        return f"{n / 1024:g}k"
    if n >= 10240:
        return f"{n / 1024:.4g}k"
    return f"{n:,.0f}"


def fmt_value(axis: str, v: float) -> str:
    from llmwalls.units import fmt_si

    if axis == "context":
        return fmt_tokens(v)
    if axis == "params":
        return fmt_si(v, "").strip().replace(" G", "B").replace("G", "B")
    return f"{v:,.0f}"


def fmt_demand(value: float, unit: str) -> str:
    import math

    from llmwalls.units import fmt_bytes_iec, fmt_duration, fmt_si

    if value is None or not math.isfinite(value):
        return "-"
    if unit == "bytes":
        return fmt_bytes_iec(value)
    if unit == "s":
        return fmt_duration(value)
    if unit.startswith("USD"):
        per = "/month" if unit == "USD/month" else ""
        return f"${value:,.0f}{per}"
    return fmt_si(value, {"bytes/s": "B/s"}.get(unit, unit))


def _pct(u: float) -> str:
    import math

    if u is None or not math.isfinite(u):
        return "-" if u is None or math.isnan(u) else "inf"
    return f"{u:.0%}" if u < 10 else f"{u:,.0f}x"


def bar(u: float, width: int = 10) -> str:
    import math

    if u is None or math.isnan(u):
        return "n/a"
    filled = min(width, int(round(min(u, 1.0) * width)))
    return "#" * filled + "-" * (width - filled) + ("!" if u > 1 else " ") + " " + _pct(u)


def _f(x) -> float:  # noqa: ANN001
    import numpy as np

    return float(np.asarray(x, dtype=float).reshape(-1)[0]) if np.size(x) else float("nan")


def wall_rows(result: dict, low: dict | None, high: dict | None, near: float, index=()) -> list[dict]:  # noqa: ANN001
    """One row per wall at one point (``index`` into the arrays): demand, limit, utilisation bar, range,
    status; the binding wall's row in bold. low/high: the pessimistic and optimistic results (utilisation
    range)."""
    import numpy as np

    from llmwalls.engine import walls as eng

    rows = []
    bind = str(np.asarray(result["binding"], dtype=object)[index])
    for name, w in result["walls"].items():
        u = _f(np.asarray(w["utilization"])[index])
        row = {
            "wall": name,
            "demand": _f(np.asarray(w["demand"])[index]),
            "limit": _f(np.asarray(w["limit"])[index]),
            "unit": w["unit"],
            "utilization": u,
            "status": str(eng.status(u, near)),
        }
        if low is not None and high is not None:
            # Serving: every utilisation is monotone in every efficiency, so the optimistic and pessimistic
            # corners bound it. Training re-runs the layout search at each corner and may pick another layout,
            # so the range is the spread over the three evaluations.
            u_opt = _f(np.asarray(high["walls"][name]["utilization"])[index])
            u_pes = _f(np.asarray(low["walls"][name]["utilization"])[index])
            lo, hi = (
                (float(np.nanmin([u, u_opt, u_pes])), float(np.nanmax([u, u_opt, u_pes])))
                if not np.isnan(u)
                else (u, u)
            )
            row["range"] = [lo, hi]
            row["status_range"] = [str(eng.status(lo, near)), str(eng.status(hi, near))]
        if name == bind and not np.isnan(u):
            row["binding"] = True
            row["_style"] = "bold red" if u > 1 else "bold"
        rows.append(row)
    return rows


def verdict(result: dict, rows: list[dict], gpu_name: str, index=()) -> str:  # noqa: ANN001, C901
    """One sentence naming the binding wall and why, from the central result."""
    import numpy as np

    from llmwalls.units import fmt_duration

    bind = next((r for r in rows if r.get("binding")), None)
    if bind is None:
        return "No wall has a limit to check."
    name, u = bind["wall"], bind["utilization"]
    d, lim = fmt_demand(bind["demand"], bind["unit"]), fmt_demand(bind["limit"], bind["unit"])
    serving = result["mode"] == "serving"

    def at(key: str) -> float:
        return _f(np.asarray(result[key])[index])

    if name == "memory capacity":
        what = "weights + KV cache + reserve need" if serving else "the best layout needs"
        why = f"{what} {d} per GPU, the {gpu_name} has {lim} usable"
    elif name == "memory bandwidth":
        why = (
            f"decode needs {d} per GPU for {at('tokens_per_s_per_user_target'):g} tokens/s per user, the "
            f"{gpu_name} gives {lim} achievable"
        )
    elif name == "compute":
        if serving:
            why = (
                f"prefilling a {fmt_tokens(at('prompt_tokens'))}-token prompt in {at('ttft_s_target'):g} s "
                f"alongside decode needs {d} per GPU, the {gpu_name} gives {lim} achievable"
            )
        else:
            why = f"training takes {d} against a deadline of {lim}"
    elif name == "interconnect":
        if serving:
            why = f"tensor-parallel all-reduces take {d} of each token's {lim} budget"
        else:
            why = f"exposed communication takes {d} per step against {lim} of compute"
    elif name == "power":
        why = f"the facility draws {d} against a site cap of {lim}"
    else:
        why = f"the plan costs {d} against a budget of {lim}"
    head = f"{name} is hit first ({u:.0%})" if u > 1 else f"no wall is hit; {name} binds first at {u:.0%}"
    line = f"{head}: {why}."
    if serving and all(r["utilization"] <= 1 or np.isnan(r["utilization"]) for r in rows):
        lat = at("latency_utilization")
        if lat > 1:
            line += (
                f" But the decode step's parts add up to {fmt_duration(at('decode_time_per_token_s'))} per "
                f"token, over the {fmt_duration(1 / at('tokens_per_s_per_user_target'))} budget."
            )
    return line[0].upper() + line[1:]


def depends_sentence(rows: list[dict], bind_low: str, bind_high: str) -> str | None:
    """Say when the verdict depends on the assumptions: a wall whose hit-or-not changes across the range of
    the efficiencies, or a different binding wall at the two ends."""
    parts = []
    for r in rows:
        if "range" not in r or r["range"][0] != r["range"][0]:
            continue
        lo, hi = r["range"]
        if (lo > 1) == (hi > 1):
            continue
        if r["utilization"] > 1:
            parts.append(
                f"{r['wall']} is hit ({_pct(r['utilization'])}) but not with the optimistic efficiencies "
                f"({_pct(lo)})"
            )
        else:
            parts.append(
                f"{r['wall']} is not hit ({_pct(r['utilization'])}) but is with the pessimistic "
                f"efficiencies ({_pct(hi)})"
            )
    if bind_low != bind_high:
        parts.append(
            f"the binding wall is {bind_low} with the pessimistic efficiencies and {bind_high} with the "
            "optimistic ones"
        )
    if not parts:
        return None
    return "The verdict depends on the assumptions: " + "; ".join(parts) + "."


def row_table(title: str, rows: list[dict], caption: str | None = None):  # noqa: ANN201
    from llmwalls.render import Column, Table

    def rng(r: dict) -> str:
        if "range" not in r:
            return ""
        lo, hi = r["range"]
        return "-" if (lo != lo) else f"{_pct(lo)}..{_pct(hi)}"

    return Table(
        title,
        [
            Column("wall", "wall", justify="left"),
            Column("demand", lambda r: fmt_demand(r["demand"], r["unit"])),
            Column("limit", lambda r: fmt_demand(r["limit"], r["unit"])),
            Column("utilisation", lambda r: bar(r["utilization"]), justify="left"),
            Column("range", rng),
            Column(
                "status", lambda r: r["status"] + (" <- binds" if r.get("binding") else ""), justify="left"
            ),
        ],
        rows,
        caption,
    )


def json_walls(rows: list[dict]) -> list[dict]:
    from llmwalls import render

    out = []
    for r in rows:
        w = render.wall(
            r["wall"],
            r["demand"],
            r["limit"],
            r["unit"],
            status=r["status"],
            utilization_range=r.get("range"),
            binding=bool(r.get("binding")),
        )
        w["utilization"] = r["utilization"]
        w["hit"] = r["status"] == "hit"
        out.append(w)
    return out


# ------------------------------------------------------------------------------------------- uncertainty


def load_ranges(assumptions_path: str | None, options: dict) -> tuple[dict, dict]:
    """Ranges from the defaults, then the --assumptions file's [uncertainty] table, then the options.
    Returns (ranges, walls-table overrides)."""
    from llmwalls.engine import walls as eng

    ranges: dict = dict(eng.DEFAULT_RANGES)
    walls_table: dict = {}
    if assumptions_path is not None:
        from llmwalls.roadmap import load_assumptions_file

        file_ranges, walls_table = load_assumptions_file(assumptions_path)
        ranges.update(file_ranges)
    for name in eng.UNCERTAIN:
        text = options.get(name)
        if text is not None:
            ranges[name] = eng.parse_range(text, "--" + name.replace("_", "-"))
    return ranges, walls_table


# ------------------------------------------------------------------------------------------------- work


def _run(**o) -> int:  # noqa: ANN003, C901, PLR0912, PLR0915
    import dataclasses
    import math

    import numpy as np

    from llmwalls import catalogue, render
    from llmwalls.engine import walls as eng
    from llmwalls.engine.plan import default_global_batch, default_seq_len, default_train_tokens
    from llmwalls.errors import InputError
    from llmwalls.units import (
        MEGA,
        SECONDS_PER_DAY,
        parse_count,
        parse_fraction,
        parse_int_count,
        parse_positive_float,
        parse_tokens,
    )

    if o["plot"] is not None and not o["plot"].lower().endswith((".png", ".svg")):
        raise InputError(f"--plot {o['plot']!r}: the file name must end in .png or .svg")
    if o["plot"] is not None and o["sweep"] is None:
        raise InputError("--plot draws the sweep chart: add --sweep AXIS=LOW..HIGH")
    if o["plot"] is not None:
        from llmwalls.files import check_target

        check_target(o["plot"], force=o["force"], what="--plot file")  # refused before the work, not after
    axis, values = eng.parse_sweep(o["sweep"]) if o["sweep"] is not None else (None, None)
    train = o["train"]
    if train and axis == "users":
        raise InputError("--sweep users is for serving; training sweeps context, gpus or params")
    if not train:
        given = [
            flag
            for flag, key in (
                ("--tokens", "tokens"),
                ("--deadline-days", "deadline_days"),
                ("--global-batch", "global_batch"),
            )
            if o[key] is not None
        ]
        if given:
            raise InputError(f"{', '.join(given)} apply to training; add --train")
    ranges, walls_table = load_ranges(o["assumptions"], o)
    wa = eng.WallsAssumptions(**walls_table) if walls_table else eng.DEFAULT_ASSUMPTIONS
    if o["near"] is not None:
        wa = dataclasses.replace(wa, near_threshold=parse_fraction(o["near"], "--near"))
    near = wa.near_threshold

    spec = catalogue.load_model(o["model"])
    cl = catalogue.load_cluster(o["cluster"]) if o["cluster"] else None
    if train and cl is None:
        cl = catalogue.load_cluster("dgx-h100")
        render.warn("--train without --cluster: using dgx-h100's node and fabric")
    if o["gpu"] is None and cl is None:
        raise InputError("give --gpu (e.g. h100) or --cluster (e.g. dgx-h100)")
    g = catalogue.load_gpu(o["gpu"] if o["gpu"] is not None else cl.gpu)  # type: ignore[union-attr]
    if cl is not None and catalogue.resolve("gpu", cl.gpu, announce=False).name != g.name:
        render.warn(
            f"--gpu {g.name} in {cl.name}'s nodes: its node power, PUE, racks and network are kept, the "
            f"scale-up bandwidth is the {g.name}'s own"
        )
        cl = eng.cluster_for_gpu(cl, g)
    ranges = eng.resolve_ranges(ranges, g, o["weights"])
    site_w = parse_positive_float(o["site_mw"], "--site-mw") * MEGA if o["site_mw"] is not None else None
    budget = parse_count(o["budget"], "--budget") if o["budget"] is not None else None
    price_override = (
        parse_positive_float(o["price_per_gpu_hour"], "--price-per-gpu-hour")
        if o["price_per_gpu_hour"] is not None
        else None
    )
    from llmwalls.engine.cost import CostAssumptions

    price, price_source = catalogue.rental_price(
        g.name, price_override, CostAssumptions().rent_usd_per_gpu_hour
    )
    site = eng.site_for(g, cl, site_w=site_w, usd_per_gpu_hour=price, budget_usd=budget)
    if site_w is not None:
        for note in site.notes:
            render.warn(note)
    contexts = o["context"] or []
    if len(contexts) > 1:
        raise InputError("walls takes one --context; use --sweep context=LOW..HIGH for several")
    corners = eng.corners(ranges)
    inputs: dict = {
        "model": spec.name,
        "gpu": g.name,
        "cluster": cl.name if cl else None,
        "mode": "training" if train else "serving",
        "weights": o["weights"],
        "kv_dtype": o["kv_dtype"],
        "site_w": site_w,
        "budget_usd": budget,
        "usd_per_gpu_hour": price,
        "price_source": price_source,
        "sweep": {"axis": axis, "values": values} if axis else None,
        "near_threshold": near,
        "ranges": {
            k: ({"low": v.low, "high": v.high, "source": v.source} if isinstance(v, eng.Range) else v)
            for k, v in ranges.items()
        },
        "assumptions": wa,
    }

    def specs_for(vals):  # noqa: ANN001, ANN202
        return [eng.scaled_model(spec, float(v)) for v in vals]

    # ------------------------------------------------------------------ evaluate
    if not train:
        users = parse_int_count(o["users"], "--users") if o["users"] is not None else 1
        ctx = (
            parse_tokens(contexts[0], "--context")
            if contexts
            else min(DEFAULT_CONTEXT_TOKENS, spec.max_context_tokens)
        )
        prompt = parse_tokens(o["prompt"], "--prompt") if o["prompt"] is not None else None
        tps = (
            parse_positive_float(o["tokens_per_s_per_user"], "--tokens-per-s-per-user")
            if o["tokens_per_s_per_user"] is not None
            else wa.tokens_per_s_per_user
        )
        ttft = parse_positive_float(o["ttft_s"], "--ttft-s") if o["ttft_s"] is not None else wa.ttft_s
        if users > 1e9 or tps > 1e6:
            raise InputError("--users or --tokens-per-s-per-user is absurd")
        gpus = (
            parse_int_count(o["gpus"], "--gpus") if o["gpus"] is not None else (cl.total_gpus if cl else None)
        )
        if gpus is not None and gpus > 10_000_000:
            raise InputError(f"--gpus {gpus:,} is absurd (more than 10 million GPUs)")
        tp = o["tp"]
        if tp is not None:
            if spec.attention_heads % tp:
                raise InputError(
                    f"--tp {tp} does not divide {spec.name}'s {spec.attention_heads} attention heads"
                )
            if tp > 1 and not g.scale_up_bandwidth_bytes_per_s:
                raise InputError(f"{g.name} has no scale-up link in its profile; use --tp 1")
        else:
            tp = eng.best_tp(
                spec,
                g,
                site,
                gpus=gpus if gpus is not None else site.domain_gpus,
                users=users,
                context_tokens=ctx,
                prompt_tokens=prompt,
                tokens_per_s_per_user=tps,
                ttft_s=ttft,
                weights=o["weights"],
                kv_dtype=o["kv_dtype"],
                assumptions=wa,
            )
            if gpus is None:  # one replica: the smallest TP that fits (memory) is the one-replica answer
                tp = eng.choose_tp(
                    spec,
                    g,
                    users=users,
                    context_tokens=ctx,
                    gpus=None,
                    domain_gpus=site.domain_gpus,
                    weights=o["weights"],
                    kv_dtype=o["kv_dtype"],
                )
        if gpus is None:
            gpus = tp
        if gpus < tp:
            raise InputError(f"--gpus {gpus} is fewer than one replica's TP {tp}")
        if ctx > spec.max_context_tokens:
            render.warn(
                f"context {ctx:,} is above {spec.name}'s maximum of {spec.max_context_tokens:,}; "
                "computed anyway"
            )
        point = {"gpus": gpus, "users": users, "context": ctx}
        kw = {
            "tp": tp,
            "prompt_tokens": prompt,
            "tokens_per_s_per_user": tps,
            "ttft_s": ttft,
            "weights": o["weights"],
            "kv_dtype": o["kv_dtype"],
            "assumptions": wa,
        }
        if axis is not None and axis != "params":
            point = {**point, axis: values}
            if axis == "context" and values.max() > spec.max_context_tokens:
                render.warn(
                    f"the sweep goes past {spec.name}'s maximum context of {spec.max_context_tokens:,}"
                )
            if axis == "gpus" and values.min() < tp:
                raise InputError(f"--sweep gpus starts below one replica's TP {tp}")

        def run(eff):  # noqa: ANN001, ANN202
            if axis == "params":
                pts = [
                    eng.serving_walls(s, g, site, gpus=gpus, users=users, context_tokens=ctx, eff=eff, **kw)
                    for s in specs_for(values)
                ]
                return eng.stack_points(pts)
            return eng.serving_walls(
                spec,
                g,
                site,
                gpus=point["gpus"],
                users=point["users"],
                context_tokens=point["context"],
                eff=eff,
                **kw,
            )

        inputs.update(
            {
                "gpus": gpus,
                "tp": tp,
                "users": users,
                "context_tokens": ctx,
                "prompt_tokens": prompt or ctx,
                "tokens_per_s_per_user": tps,
                "ttft_s": ttft,
            }
        )
        shown = {"gpus": f"{gpus:,}", "users": f"{users:,}", "context": fmt_tokens(ctx)}
        if axis in shown:
            shown[axis] = axis
        title = (
            f"{spec.name} serving on {shown['gpus']} x {g.name} (TP {tp}, {shown['users']} users, "
            f"{shown['context']} context, {tps:g} tok/s/user, TTFT {ttft:g} s)"
        )
    else:
        seq = parse_tokens(contexts[0], "--context") if contexts else default_seq_len(spec)
        gpus = parse_int_count(o["gpus"], "--gpus") if o["gpus"] is not None else cl.total_gpus  # type: ignore[union-attr]
        if gpus > 10_000_000:
            raise InputError(f"--gpus {gpus:,} is absurd (more than 10 million GPUs)")
        gb_given = (
            parse_int_count(o["global_batch"], "--global-batch") if o["global_batch"] is not None else None
        )
        tokens_given = parse_count(o["tokens"], "--tokens") if o["tokens"] is not None else None
        deadline = (
            parse_positive_float(o["deadline_days"], "--deadline-days") * SECONDS_PER_DAY
            if o["deadline_days"] is not None
            else None
        )
        if o["tp"] is not None:
            raise InputError(
                "--tp is for serving; training searches the layout (use `llmwalls cluster` to pin one)"
            )

        def one(s, n, q, eff):  # noqa: ANN001, ANN202
            gb = gb_given or default_global_batch(int(q))
            tok = tokens_given or default_train_tokens(s)
            return eng.training_walls(
                s,
                g,
                cl,
                site,
                gpus=int(n),
                seq_len=int(q),
                global_batch=gb,
                tokens=tok,
                deadline_s=deadline,
                eff=eff,
                assumptions=wa,
            )

        def run(eff):  # noqa: ANN001, ANN202
            if axis is None:
                return one(spec, gpus, seq, eff)
            if axis == "context":
                return eng.stack_points([one(spec, gpus, v, eff) for v in values])
            if axis == "gpus":
                return eng.stack_points([one(spec, v, seq, eff) for v in values])
            return eng.stack_points([one(s, gpus, seq, eff) for s in specs_for(values)])

        inputs.update(
            {
                "gpus": gpus,
                "context_tokens": seq,
                "global_batch": gb_given,
                "tokens": tokens_given,
                "deadline_s": deadline,
            }
        )
        title = (
            f"{spec.name} training on {'gpus' if axis == 'gpus' else f'{gpus:,}'} x {g.name} "
            f"({cl.name}), {'context' if axis == 'context' else fmt_tokens(seq)} context"
        )  # type: ignore[union-attr]

    central = run(corners["central"])
    low = run(corners["pessimistic"])
    high = run(corners["optimistic"])

    # ------------------------------------------------------------------ render
    lines: list[str] = []
    styles: list[str] = []
    tables = []
    if axis is None:
        rows = wall_rows(central, low, high, near)
        if train:
            lay = central["layout"]
            caption = (
                f"layout TP {lay['tp']} PP {lay['pp']} DP {lay['dp']} CP {lay['cp']} EP {lay['ep']}, "
                f"micro-batch {lay['micro_batch']}, ZeRO {lay['zero_stage']}; MFU {_f(central['mfu']):.0%}; "
                f"{_f(central['gpu_hours']):,.0f} GPU-hours at ${price:g}/GPU-hour ({price_source})"
            )
        else:
            caption = (
                f"{_f(central['replicas']):,.0f} replica{'s' if _f(central['replicas']) != 1 else ''} "
                f"x TP {tp}, "
                f"{_f(central['batch_per_replica']):,.0f} "
                f"sequences each; decode {1 / _f(central['decode_time_per_token_s']):.1f} tokens/s per user, "
                f"TTFT {_f(central['ttft_s']):.2f} s; ${price:g}/GPU-hour ({price_source})"
            )
        tables.append(row_table(f"Walls: {title}", rows, caption))
        lines.append(verdict(central, rows, g.name))
        styles.append("bold")
        dep = depends_sentence(rows, str(low["binding"]), str(high["binding"]))
        lines.append(dep or "The verdict holds across the assumption ranges (see --json inputs.ranges).")
        styles.append("yellow" if dep else "")
        hit = any(r["status"] == "hit" for r in rows)
        results = {
            "mode": central["mode"],
            "verdict": lines[0],
            "depends_on_assumptions": dep is not None,
            "binding": str(central["binding"]),
            "binding_pessimistic": str(low["binding"]),
            "binding_optimistic": str(high["binding"]),
            "plan": {k: v for k, v in central.items() if k not in ("walls", "binding", "mode")},
        }
        wall_list = json_walls(rows)
    else:
        answers = eng.sweep_answers(values, central)
        a_low = eng.sweep_answers(values, low)
        a_high = eng.sweep_answers(values, high)
        per_wall = {}
        sweep_rows = []
        for i, v in enumerate(values):
            row = {"value": fmt_value(axis, v), "binding": str(np.asarray(central["binding"])[i])}
            for w in central["walls"]:
                u = float(np.asarray(central["walls"][w]["utilization"])[i])
                row[w] = f"{_pct(u)}{'!' if u > 1 else ''}"
            sweep_rows.append(row)
        cols = (
            [render.Column(axis, "value")]
            + [render.Column(SHORT[w], w) for w in central["walls"]]
            + [render.Column("binds", "binding", justify="left")]
        )
        tables.append(
            render.Table(
                f"Walls vs {axis}: {title}", cols, sweep_rows, "utilisation = demand / limit; '!' hit"
            )
        )
        first_rows = []
        for w in central["walls"]:
            f_c, f_lo, f_hi = answers["first_hit"][w], a_low["first_hit"][w], a_high["first_hit"][w]
            per_wall[w] = {
                "utilization": central["walls"][w]["utilization"],
                "utilization_pessimistic": low["walls"][w]["utilization"],
                "utilization_optimistic": high["walls"][w]["utilization"],
                "first_hit": f_c,
                "first_hit_pessimistic": f_lo,
                "first_hit_optimistic": f_hi,
            }
            first_rows.append(
                {
                    "wall": w,
                    "at": fmt_value(axis, f_c) if f_c is not None else "not in range",
                    "range": (
                        f"{fmt_value(axis, f_lo) if f_lo is not None else '-'}.."
                        f"{fmt_value(axis, f_hi) if f_hi is not None else '-'}"
                    ),
                    "clear": fmt_value(axis, answers["clear_from"][w])
                    if answers["clear_from"][w] is not None
                    else "",
                    "_style": "bold" if w == answers["first_wall"] else None,
                }
            )
        tables.append(
            render.Table(
                "Where each wall is hit",
                [
                    render.Column("wall", "wall", justify="left"),
                    render.Column(f"first hit at {axis}", "at"),
                    render.Column("pessimistic..optimistic", "range"),
                    render.Column(f"clears from {axis}", "clear"),
                ],
                first_rows,
            )
        )
        how = {
            "context": "context grows",
            "users": "users grow",
            "gpus": "GPUs grow",
            "params": "the model grows (layers scaled)",
        }[axis]
        if answers["first_wall"]:
            fw = answers["first_wall"]
            lo_v, hi_v = a_low["first_hit"][fw], a_high["first_hit"][fw]
            rng = (
                f" ({fmt_value(axis, lo_v) if lo_v else '-'} with pessimistic, "
                f"{fmt_value(axis, hi_v) if hi_v else 'not in range'} with optimistic efficiencies)"
            )
            lines.append(
                f"As {how}, {fw} is hit first, at {axis} {fmt_value(axis, answers['first_value'])}{rng}."
            )
        else:
            lines.append(
                f"No wall is hit for {axis} {fmt_value(axis, values[0])}..{fmt_value(axis, values[-1])}."
            )
        styles.append("bold")
        feasible = answers["no_wall_hit"]
        if feasible is not None and answers["first_wall"]:
            span = (
                f"at {axis} {fmt_value(axis, feasible[0])}"
                if feasible[0] == feasible[1]
                else f"for {axis} {fmt_value(axis, feasible[0])}..{fmt_value(axis, feasible[1])}"
            )
            lines.append(f"No wall is hit {span} (central assumptions).")
            styles.append("")
        elif answers["first_wall"]:
            lines.append(f"Some wall is hit at every {axis} in the sweep.")
            styles.append("")
        if a_low["first_wall"] != answers["first_wall"] or a_high["first_wall"] != answers["first_wall"]:
            lines.append(
                f"The first wall depends on the assumptions: {a_low['first_wall'] or 'none'} with "
                f"pessimistic, {a_high['first_wall'] or 'none'} with optimistic efficiencies."
            )
            styles.append("yellow")
        hit = any(v is not None for v in answers["first_hit"].values())
        last = len(values) - 1
        rows = wall_rows(central, low, high, near, index=last)
        wall_list = json_walls(rows)
        results = {
            "mode": central["mode"],
            "axis": axis,
            "values": values,
            "first_wall": answers["first_wall"],
            "first_value": answers["first_value"],
            "clear_from": answers["clear_from"],
            "no_wall_hit": answers["no_wall_hit"],
            "first_wall_pessimistic": a_low["first_wall"],
            "first_wall_optimistic": a_high["first_wall"],
            "walls": per_wall,
            "binding": central["binding"],
            "plan": {k: v for k, v in central.items() if k not in ("walls", "binding", "mode")},
        }
        from llmwalls.render import chart

        series = [
            chart.Series(MARKERS[w], w, [float(x) for x in np.asarray(central["walls"][w]["utilization"])])
            for w in central["walls"]
            if not np.all(np.isnan(np.asarray(central["walls"][w]["utilization"])))
        ]
        x_fmt = lambda v: fmt_value(axis, v)  # noqa: E731
        chart_text = chart.text_lines(
            [float(v) for v in values],
            series,
            x_label=axis,
            x_fmt=x_fmt,
            title=f"utilisation of each wall vs {axis}",
        )
        if o["plot"] is not None:
            bands = {
                w: (
                    np.asarray(high["walls"][w]["utilization"], dtype=float),
                    np.asarray(low["walls"][w]["utilization"], dtype=float),
                )
                for w in central["walls"]
            }
            try:
                chart.save_lines_plot(
                    o["plot"],
                    [float(v) for v in values],
                    series,
                    title=title,
                    x_label=axis,
                    bands=bands,
                    force=o["force"],
                )
            except chart.PlotUnavailableError as exc:
                raise InputError(str(exc)) from None
            lines.append(f"chart saved to {o['plot']}")
            styles.append("")

    if o["json_"]:
        render.emit_json("walls", inputs, results, wall_list)
    else:
        render.print_tables(tables)
        if axis is not None:
            render.print_text(chart_text)
        render.print_tables([], lines, styles)
    del math
    return 1 if (o["check"] and hit) else 0
