"""`llmwalls power`: GPU -> node -> network -> rack -> facility watts, the power wall against a site cap and a
rack limit, energy and carbon of a training run, joules per token when serving, and the share of a step's GPU
energy spent moving bytes from HBM. The numbers come from llmwalls.engine.power; this module only parses,
resolves profiles and renders."""

from __future__ import annotations

from typing import Annotated

import typer

from llmwalls.cli.options import Batch, Check, Gpus, Json, OptCluster, OptGpu, Prompt

_OptStr = str | None


def power(
    cluster: OptCluster = None,
    gpu: OptGpu = None,
    gpus: Gpus = None,
    utilization: Annotated[
        str,
        typer.Option(
            "--utilization", help="GPU utilisation in [0, 1] (or 85%); power = idle + u x (TDP - idle)."
        ),
    ] = "1",
    power_cap_w: Annotated[
        _OptStr,
        typer.Option(
            "--power-cap-w",
            help="Per-GPU power cap in W (DVFS: the clock falls as the cube root of dynamic power).",
        ),
    ] = None,
    pue: Annotated[
        _OptStr,
        typer.Option(
            "--pue", help="Power usage effectiveness (>= 1); default: the cluster's, else by cooling type."
        ),
    ] = None,
    site_mw: Annotated[
        _OptStr, typer.Option("--site-mw", help="Site power cap in MW (facility level).")
    ] = None,
    rack_kw: Annotated[
        _OptStr,
        typer.Option(
            "--rack-kw", help="Rack power limit in kW (default: the cluster's, else 30 air / 120 liquid)."
        ),
    ] = None,
    gpu_hours: Annotated[
        _OptStr,
        typer.Option("--gpu-hours", help="Energy of a run of this many GPU-hours (1.46M = 1,460,000)."),
    ] = None,
    tokens: Annotated[
        _OptStr,
        typer.Option(
            "--tokens",
            help="Energy of training --model on this many tokens (15.6T): GPU-hours from the layout "
            "`llmwalls cluster` picks on --cluster/--gpus.",
        ),
    ] = None,
    grid: Annotated[_OptStr, typer.Option("--grid", help="Grid profile (gCO2e/kWh) for carbon.")] = None,
    grid_g_per_kwh: Annotated[
        _OptStr,
        typer.Option("--grid-g-per-kwh", help="Grid carbon intensity in gCO2e/kWh (instead of --grid)."),
    ] = None,
    tokens_per_s: Annotated[
        _OptStr,
        typer.Option("--tokens-per-s", help="Serving throughput in tokens/s per GPU, for joules per token."),
    ] = None,
    batch: Batch = None,
    model: Annotated[
        _OptStr,
        typer.Option(
            "--model",
            "-m",
            help="Model: the energy of a decode and a prefill step split into HBM traffic and FLOPs, "
            "or with --tokens the model trained.",
        ),
    ] = None,
    weights: Annotated[str, typer.Option("--weights", help="Weight precision for --model.")] = "bf16",
    prompt: Prompt = None,
    idle_fraction: Annotated[
        _OptStr,
        typer.Option(
            "--idle-fraction",
            help="Idle power / TDP when the GPU profile has no idle_power_w (default 0.10).",
        ),
    ] = None,
    static_fraction: Annotated[
        _OptStr,
        typer.Option("--static-fraction", help="Leakage share of power at full clock (default 0.25)."),
    ] = None,
    node_overhead_w: Annotated[
        _OptStr,
        typer.Option(
            "--node-overhead-w", help="Per-node W besides GPUs (CPUs, DRAM, NICs, fans, PSU losses)."
        ),
    ] = None,
    switch_w: Annotated[
        _OptStr,
        typer.Option("--switch-w", help="Power of one fabric switch in W (default 1720, NVIDIA QM9700)."),
    ] = None,
    switch_ports: Annotated[
        _OptStr, typer.Option("--switch-ports", help="Ports per fabric switch (default 64).")
    ] = None,
    hbm_pj_per_bit: Annotated[
        _OptStr, typer.Option("--hbm-pj-per-bit", help="HBM energy per bit read (default 3.9 pJ).")
    ] = None,
    pj_per_flop: Annotated[
        _OptStr, typer.Option("--pj-per-flop", help="Energy per FLOP (default: (TDP - idle) / dense peak).")
    ] = None,
    json_: Json = False,
    check: Check = False,
) -> None:
    """GPU, node, network, rack and facility power; the site-cap wall; energy, carbon and joules per token."""
    import dataclasses
    import math

    from llmwalls import render
    from llmwalls.catalogue import load, load_cluster, load_gpu, load_model
    from llmwalls.engine import power as eng
    from llmwalls.errors import InputError
    from llmwalls.units import (
        JOULES_PER_KWH,
        KILO,
        MEGA,
        fmt_duration,
        fmt_si,
        parse_count,
        parse_fraction,
        parse_int_count,
        parse_positive_float,
        parse_tokens,
    )

    # ------------------------------------------------------------------ options -> numbers
    if cluster is None and gpu is None:
        raise InputError("give --cluster (e.g. dgx-h100) or --gpu (e.g. h100) to size the power of")
    cl = load_cluster(cluster) if cluster is not None else None
    g = load_gpu(gpu if gpu is not None else cl.gpu)  # type: ignore[union-attr]

    overrides: dict = {}
    if idle_fraction is not None:
        overrides["idle_fraction"] = parse_fraction(idle_fraction, "--idle-fraction", allow_zero=True)
    if static_fraction is not None:
        s = parse_fraction(static_fraction, "--static-fraction", allow_zero=True)
        if s >= 1:
            raise InputError("--static-fraction must be below 1 (some power must scale with the clock)")
        overrides["static_fraction"] = s
    if node_overhead_w is not None:
        overrides["node_overhead_w"] = parse_positive_float(
            node_overhead_w, "--node-overhead-w", allow_zero=True
        )
    if switch_w is not None:
        overrides["switch_power_w"] = parse_positive_float(switch_w, "--switch-w", allow_zero=True)
    if switch_ports is not None:
        ports = parse_int_count(switch_ports, "--switch-ports")
        if ports < 4 or ports % 2:
            raise InputError(f"--switch-ports must be an even number of at least 4, got {switch_ports!r}")
        overrides["switch_ports"] = ports
    if hbm_pj_per_bit is not None:
        overrides["hbm_pj_per_bit"] = parse_positive_float(hbm_pj_per_bit, "--hbm-pj-per-bit")
    if pj_per_flop is not None:
        overrides["pj_per_flop"] = parse_positive_float(pj_per_flop, "--pj-per-flop")
    a = dataclasses.replace(eng.DEFAULT, **overrides)

    u = parse_fraction(utilization, "--utilization", allow_zero=True)
    tdp_w = g.require_tdp_w()
    idle_w = g.idle_power_w if g.idle_power_w is not None else a.idle_fraction * tdp_w
    idle_source = (
        "profile idle_power_w" if g.idle_power_w is not None else f"{a.idle_fraction:g} x TDP, assumed"
    )

    cap_w = None
    if power_cap_w is not None:
        cap_w = parse_positive_float(power_cap_w, "--power-cap-w")
        floor_w = a.static_fraction * tdp_w
        if cap_w <= floor_w:
            raise InputError(
                f"--power-cap-w {cap_w:g} W is at or below the static (leakage) floor of {g.name}: "
                f"{a.static_fraction:g} x {tdp_w:g} W = {floor_w:g} W; the GPU cannot run there"
            )
        if cap_w >= tdp_w:
            render.warn(f"--power-cap-w {cap_w:g} W is at or above the TDP ({tdp_w:g} W): it changes nothing")

    spec_m = load_model(model) if model is not None else None
    # Checked even when unused (no --model): a typo in a script is refused, never silently ignored.
    from llmwalls.engine.model import weight_bytes_per_param

    weight_bytes_per_param(weights)
    if prompt is not None:
        parse_tokens(prompt, "--prompt")
    planned = None
    if tokens is not None:
        # The run's GPU-hours from the training plan (the layout `llmwalls cluster` picks, its defaults).
        # --model is then the model trained: no serving or data-movement sections for it.
        if spec_m is None:
            raise InputError("--tokens needs --model (the model trained on those tokens)")
        from llmwalls.api._planning import plan_run
        from llmwalls.render.planning import plan_line, tokens_text

        planned_run = plan_run(
            spec_m,
            cl,
            g,
            gpus=parse_int_count(gpus, "--gpus") if gpus is not None else None,
            train_tokens=parse_count(tokens, "--tokens"),
        )
        for w in planned_run.warnings:
            render.warn(w)
        planned = planned_run.summary()

    gpus_per_node = cl.gpus_per_node if cl is not None else a.gpus_per_node
    overhead_w = (
        a.node_overhead_w if (cl is None or node_overhead_w is not None) else cl.require_node_overhead_w()
    )
    if gpus is not None:
        n_gpus = parse_int_count(gpus, "--gpus")
    elif cl is not None:
        n_gpus = cl.total_gpus
    elif planned is not None:
        n_gpus = planned["gpus"]  # the GPUs the run was planned on
    else:
        n_gpus = gpus_per_node
    if n_gpus % gpus_per_node:
        whole = math.ceil(n_gpus / gpus_per_node) * gpus_per_node
        render.warn(
            f"--gpus {n_gpus} is not a whole number of {gpus_per_node}-GPU nodes; sizing {whole} GPUs"
        )

    cooling = cl.cooling if cl is not None else "air"
    if pue is not None:
        pue_v = parse_positive_float(pue, "--pue")
        if pue_v < 1 or pue_v > 5:
            raise InputError(f"--pue must be between 1 and 5 (facility power / IT power), got {pue!r}")
        pue_source = "--pue"
    elif cl is not None:
        pue_v, pue_source = cl.pue, f"cluster {cl.name}"
    else:
        pue_v = a.pue_liquid if cooling == "liquid" else a.pue_air
        pue_source = f"{cooling} cooling default"

    rack_checked = True
    if rack_kw is not None:
        rack_limit_w = parse_positive_float(rack_kw, "--rack-kw") * KILO
        rack_source = "--rack-kw"
    elif cl is not None and cl.rack_power_limit_w is not None:
        rack_limit_w, rack_source = cl.rack_power_limit_w, f"cluster {cl.name}"
    else:
        rack_limit_w = a.rack_limit_liquid_w if cooling == "liquid" else a.rack_limit_air_w
        rack_source, rack_checked = f"{cooling} cooling default", False
    gpus_per_rack = cl.gpus_per_rack if cl is not None else None

    site_w = parse_positive_float(site_mw, "--site-mw") * MEGA if site_mw is not None else None
    hours = parse_count(gpu_hours, "--gpu-hours") if gpu_hours is not None else None
    if grid is not None and grid_g_per_kwh is not None:
        raise InputError("give --grid or --grid-g-per-kwh, not both")
    grid_g, grid_source = None, None
    if grid is not None:
        grid_profile = load("grid", grid)
        grid_g, grid_source = grid_profile.grams_co2e_per_kwh, f"grid {grid_profile.name}"  # type: ignore[attr-defined]
    elif grid_g_per_kwh is not None:
        grid_g, grid_source = parse_positive_float(grid_g_per_kwh, "--grid-g-per-kwh"), "--grid-g-per-kwh"
    tps = parse_positive_float(tokens_per_s, "--tokens-per-s") if tokens_per_s is not None else None
    users = parse_int_count(batch[0], "--batch") if batch else None
    if batch and len(batch) > 1:
        raise InputError("llmwalls power takes one --batch (concurrent users per GPU)")

    # ------------------------------------------------------------------ engine
    gpu_w = float(eng.gpu_power_w(tdp_w, idle_w, u, cap_w))
    clock = float(eng.dvfs_clock_fraction(cap_w, tdp_w, a.static_fraction)) if cap_w is not None else 1.0
    thr_compute = float(eng.capped_throughput_fraction(clock, False))
    thr_memory = float(
        eng.capped_throughput_fraction(
            clock, True, memory_saturation_clock_fraction=a.memory_saturation_clock_fraction
        )
    )
    fixed_rack = (
        cl is not None and cl.gpus_per_rack is not None and cl.scale_up_domain_gpus > cl.gpus_per_node
    )
    p = eng.cluster_power(
        gpu_w=gpu_w,
        gpus=n_gpus,
        gpus_per_node=gpus_per_node,
        node_overhead_w=overhead_w,
        pue=pue_v,
        rack_limit_w=rack_limit_w,
        gpus_per_rack=gpus_per_rack,
        switch_w=a.switch_power_w,
        switch_ports=a.switch_ports,
        fixed_rack=fixed_rack,
    )
    c = {k: (v.item() if hasattr(v, "item") else v) for k, v in p.items()}
    n_total = int(c["gpus"])

    walls = []
    site = None
    if site_w is not None:
        fit_nodes = eng.max_nodes_under_cap(
            site_w,
            node_w=c["node_w"],
            pue=pue_v,
            gpus_per_node=gpus_per_node,
            switch_w=a.switch_power_w,
            switch_ports=a.switch_ports,
        )
        # A rack-scale system (NVL72) grows by whole racks: its scale-up domain cannot be split.
        unit_nodes = int(c["nodes_per_rack"]) if fixed_rack else 1
        fit_nodes = fit_nodes // unit_nodes * unit_nodes
        if fit_nodes == 0:
            unit = f"{unit_nodes * gpus_per_node}-GPU rack" if fixed_rack else f"{gpus_per_node}-GPU node"
            one_unit_w = c["node_w"] * unit_nodes * pue_v
            raise InputError(
                f"--site-mw {site_mw} is smaller than one {unit} "
                f"({fmt_si(one_unit_w, 'W')} at the facility with PUE {pue_v:g})"
            )
        site = {
            "site_w": site_w,
            "facility_w": c["facility_w"],
            "max_nodes": fit_nodes,
            "max_gpus": fit_nodes * gpus_per_node,
        }
        walls.append(render.wall("site_power", c["facility_w"], site_w, "W", max_gpus=site["max_gpus"]))
    rack_wall = None
    if rack_checked:
        demand = c["rack_w"]
        rack_wall = render.wall(
            "rack_power", demand, rack_limit_w, "W", racks=c["racks"], nodes_per_rack=c["nodes_per_rack"]
        )
        walls.append(rack_wall)

    gpu_share_w = gpu_w
    it_share_w = c["it_w"] / n_total
    fac_share_w = c["facility_w"] / n_total
    levels = [
        ("GPU", gpu_share_w),
        ("IT (GPU + node + network)", it_share_w),
        ("facility (x PUE)", fac_share_w),
    ]

    def run_energy(gpu_hours: float) -> dict:
        """Energy and carbon of gpu_hours at each level's watts per GPU."""
        out = {}
        for key, (_label, w) in zip(("gpu", "it", "facility"), levels, strict=True):
            e_j = float(eng.run_energy_j(gpu_hours, w))
            out[key] = {
                "per_gpu_w": w,
                "energy_j": e_j,
                "energy_kwh": e_j / JOULES_PER_KWH,
                "carbon_g": float(eng.carbon_g(e_j, grid_g)) if grid_g is not None else None,
            }
        return out

    energy = None
    energy_title = f"Energy of {hours:,.0f} GPU-hours" if hours is not None else ""
    if hours is None and grid_g is not None and planned is None:
        # A grid without --gpu-hours: show one hour of the whole cluster (n GPUs x 1 h).
        hours = float(n_total)
        energy_title = f"Energy of one hour of the whole cluster ({n_total:,} GPU-hours)"
    if hours is not None:
        energy = run_energy(hours)
    if planned is not None:
        run_hours = planned["gpu_hours"]
        if cap_w is not None:
            # A cap slows the run: its GPU-hours grow as the step stretches (engine.plan.slowed_step_time_s).
            from llmwalls.engine.plan import slowed_step_time_s

            slowed = float(slowed_step_time_s(planned_run.step.times(), thr_compute, thr_memory))
            stretch = slowed / planned["step_time_s"]
            run_hours = planned["gpu_hours"] * stretch
            planned["power_cap"] = {
                "cap_w": cap_w,
                "clock_fraction": clock,
                "step_time_s": slowed,
                "time_to_train_s": planned["time_to_train_s"] * stretch,
                "gpu_hours": run_hours,
            }
        planned["energy"] = run_energy(run_hours)
    tps_source = "--tokens-per-s" if tps is not None else None
    users_per_gpu = float(users) if users else None
    if tps is None and spec_m is not None and planned is None:
        # Serving throughput from the roofline engine: decode at --batch (default 1) sequences of --prompt
        # (default 2k) tokens, on the fewest GPUs (TP 1, 2, 4, 8) whose HBM holds the weights and KV cache.
        from llmwalls.engine.roofline import roofline

        spec_r = spec_m
        b_r = users or 1
        p_r = parse_tokens(prompt, "--prompt") if prompt is not None else 2048
        for tp_r in (1, 2, 4, 8):
            rr = roofline(
                spec_r, g, batch=b_r, prompt_tokens=p_r, context_tokens=p_r, tp=tp_r, weights=weights
            )
            if bool(rr["fits"]):
                tps = float(rr["decode_tokens_per_s_per_gpu"])
                tps_source = f"roofline decode: batch {b_r}, context {p_r:,}, TP {tp_r}"
                users_per_gpu = b_r / tp_r if users else None
                break
        else:
            render.warn(f"{spec_r.name} does not fit on 8 x {g.name} at batch {b_r}: no serving energy")
    serving = None
    if tps is not None:
        serving = {}
        for key, (_label, w) in zip(("gpu", "it", "facility"), levels, strict=True):
            serving[key] = {
                "per_gpu_w": w,
                "joules_per_token": float(eng.joules_per_token(w, tps)),
                "w_per_user": w / users_per_gpu if users_per_gpu else None,
            }

    movement = None
    if spec_m is not None and planned is None:
        from llmwalls.engine.model import (
            compute_dtype_for_weights,
            dense_flops_per_token,
            param_counts,
            weight_bytes_per_param,
        )

        spec = spec_m
        weight_bytes = param_counts(spec).total * weight_bytes_per_param(weights)
        flops_per_token = dense_flops_per_token(spec)
        dtype = compute_dtype_for_weights(weights)
        peak = g.peak_flops_per_s.for_dtype(dtype) or g.peak_flops_per_s.half_precision
        pj_flop = (
            a.pj_per_flop
            if a.pj_per_flop is not None
            else float(eng.derived_pj_per_flop(tdp_w, idle_w, peak))
        )
        decode_batch = users or 1
        prompt_tokens = parse_tokens(prompt, "--prompt") if prompt is not None else 2048
        steps = {
            f"decode (batch {decode_batch})": (weight_bytes, flops_per_token * decode_batch),
            f"prefill ({prompt_tokens:,} tokens)": (weight_bytes, flops_per_token * prompt_tokens),
        }
        movement = {
            "model": spec.name,
            "weights": weights,
            "pj_per_flop": pj_flop,
            "hbm_pj_per_bit": a.hbm_pj_per_bit,
            "steps": {},
        }
        for name, (b, f) in steps.items():
            r = eng.data_movement_energy(b, f, hbm_pj_per_bit=a.hbm_pj_per_bit, pj_per_flop=pj_flop)
            movement["steps"][name] = {k: float(v) for k, v in r.items()}

    # ------------------------------------------------------------------ output
    inputs = {
        "cluster": cl.name if cl else None,
        "gpu": g.name,
        "gpus": n_total,
        "utilization": u,
        "power_cap_w": cap_w,
        "pue": pue_v,
        "pue_source": pue_source,
        "site_w": site_w,
        "rack_limit_w": rack_limit_w,
        "rack_limit_source": rack_source,
        "gpu_hours": hours,
        "tokens": planned["train_tokens"] if planned is not None else None,
        "grid_g_per_kwh": grid_g,
        "grid_source": grid_source,
        "tokens_per_s_per_gpu": tps,
        "tokens_per_s_source": tps_source,
        "users_per_gpu": users_per_gpu,
        "model": model,
        "weights": weights,
    }
    gpu_block = {
        "tdp_w": tdp_w,
        "idle_w": idle_w,
        "idle_source": idle_source,
        "power_w": gpu_w,
        "clock_fraction": clock,
        "throughput_fraction_compute_bound": thr_compute,
        "throughput_fraction_memory_bound": thr_memory,
    }
    results = {
        "gpu": gpu_block,
        "cluster": c,
        "site": site,
        "energy": energy,
        "training_plan": planned,
        "serving": serving,
        "data_movement": movement,
        "assumptions": a,
    }
    hit = any(w["hit"] for w in walls)
    if json_:
        render.emit_json("power", inputs, results, walls)
        if check and hit:
            raise typer.Exit(1)
        return

    def _num(x: float) -> str:
        return f"{x:,.1f}" if abs(x) >= 100 else f"{x:.4g}"

    def w_(x: float) -> str:
        return fmt_si(x, "W", 4)

    fabric = (
        f"{int(c['fabric_tiers'])}-tier fat tree, {a.switch_ports}-port switches"
        if c["switches"]
        else "single node: no scale-out switch"
    )
    rows = [
        {
            "level": "GPU",
            "each": w_(gpu_w),
            "count": f"{n_total:,}",
            "total": w_(c["gpu_total_w"]),
            "note": f"TDP {tdp_w:g} W, idle {idle_w:g} W ({idle_source}), u = {u:g}"
            + (f", cap {cap_w:g} W" if cap_w is not None else ""),
        },
        {
            "level": "node overhead",
            "each": w_(overhead_w),
            "count": f"{int(c['nodes']):,}",
            "total": w_(c["node_overhead_total_w"]),
            "note": "CPUs, DRAM, NICs, fans, PSU losses",
        },
        {
            "level": "node",
            "each": w_(c["node_w"]),
            "count": f"{int(c['nodes']):,}",
            "total": w_(c["node_total_w"]),
            "note": f"{gpus_per_node} GPUs + overhead",
        },
        {
            "level": "network",
            "each": w_(a.switch_power_w),
            "count": f"{int(c['switches']):,}",
            "total": w_(c["network_w"]),
            "note": fabric,
        },
        {"level": "IT", "each": "", "count": "", "total": w_(c["it_w"]), "note": "nodes + network"},
        {
            "level": "cooling & losses",
            "each": "",
            "count": "",
            "total": w_(c["cooling_and_losses_w"]),
            "note": f"PUE {pue_v:g} ({pue_source})",
        },
        {
            "level": "facility",
            "each": "",
            "count": "",
            "total": w_(c["facility_w"]),
            "note": "IT x PUE",
            "_style": "bold",
        },
        {
            "level": "racks",
            "each": w_(c["rack_w"]),
            "count": f"{int(c['racks']):,}",
            "total": "",
            "note": f"{int(c['nodes_per_rack'])} nodes per rack, limit {w_(rack_limit_w)} ({rack_source})"
            + ("" if c["rack_fits"] else ": OVER"),
        },
    ]
    cols = [
        render.Column("level", "level", justify="left"),
        render.Column("each", "each"),
        render.Column("count", "count"),
        render.Column("total", "total"),
        render.Column("note", "note", justify="left"),
    ]
    title = f"Power: {n_total:,} x {g.name}" + (f" ({cl.name})" if cl else "")
    tables = [render.Table(title, cols, rows)]

    if cap_w is not None:
        cap_rows = [
            {"what": "clock (DVFS, P = s TDP + (1 - s) TDP f^3)", "value": f"{clock:.1%}"},
            {"what": "throughput, compute-bound work", "value": f"{thr_compute:.1%}"},
            {"what": "throughput, memory-bound work", "value": f"{thr_memory:.1%}"},
        ]
        tables.append(
            render.Table(
                f"Power cap {cap_w:g} W of {tdp_w:g} W (static share {a.static_fraction:g})",
                [render.Column("quantity", "what", justify="left"), render.Column("at the cap", "value")],
                cap_rows,
            )
        )

    def energy_table(title: str, e_levels: dict) -> render.Table:
        erows = []
        for key, (label, _) in zip(("gpu", "it", "facility"), levels, strict=True):
            e = e_levels[key]
            erows.append(
                {
                    "level": label,
                    "w": w_(e["per_gpu_w"]),
                    "mwh": _num(e["energy_kwh"] / 1e3),
                    "co2": _num(e["carbon_g"] / 1e6) if e["carbon_g"] is not None else "",
                }
            )
        ecols = [
            render.Column("level", "level", justify="left"),
            render.Column("W per GPU", "w"),
            render.Column("MWh", "mwh"),
            render.Column("tCO2e", "co2"),
        ]
        caption = f"grid: {grid_g:g} gCO2e/kWh ({grid_source})" if grid_g is not None else "no grid given"
        return render.Table(title, ecols, erows, caption=caption)

    if energy is not None:
        tables.append(energy_table(energy_title, energy))
    if planned is not None:
        tables.append(
            energy_table(
                f"Energy of training {planned['model']} on {tokens_text(planned['train_tokens'])} tokens "
                f"({planned.get('power_cap', planned)['gpu_hours']:,.0f} GPU-hours, planned"
                + (f", capped at {cap_w:g} W)" if cap_w is not None else ")"),
                planned["energy"],
            )
        )
    if serving is not None:
        srows = [
            {
                "level": label,
                "jpt": f"{serving[k]['joules_per_token']:.3g}",
                "wpu": f"{serving[k]['w_per_user']:.3g}" if serving[k]["w_per_user"] is not None else "",
            }
            for k, (label, _) in zip(("gpu", "it", "facility"), levels, strict=True)
        ]
        scols = [
            render.Column("level", "level", justify="left"),
            render.Column("J/token", "jpt"),
            render.Column("W per user", "wpu"),
        ]
        tables.append(
            render.Table(
                f"Serving at {tps:,.4g} tokens/s per GPU"
                + (f", {users_per_gpu:g} users per GPU" if users_per_gpu else ""),
                scols,
                srows,
                caption=f"tokens/s: {tps_source}",
            )
        )
    if movement is not None:
        mrows = [
            {
                "step": name,
                "bytes": fmt_si(m["bytes"], "B"),
                "flops": fmt_si(m["flops"], "FLOP"),
                "eb": f"{m['bytes_energy_j']:.3g}",
                "ef": f"{m['flops_energy_j']:.3g}",
                "share": f"{m['bytes_share']:.0%}",
            }
            for name, m in movement["steps"].items()
        ]
        mcols = [
            render.Column("step", "step", justify="left"),
            render.Column("HBM bytes", "bytes"),
            render.Column("FLOPs", "flops"),
            render.Column("bytes J", "eb"),
            render.Column("FLOPs J", "ef"),
            render.Column("bytes share", "share"),
        ]
        tables.append(
            render.Table(
                f"Data movement vs arithmetic: {movement['model']} ({weights})",
                mcols,
                mrows,
                caption=f"HBM {a.hbm_pj_per_bit:g} pJ/bit, {movement['pj_per_flop']:.3g} pJ/FLOP",
            )
        )

    lines, styles = [], []
    if planned is not None:
        lines += [f"note: {n}" for n in planned["notes"]] + [plan_line(planned_run)]
        styles += ["dim"] * len(planned["notes"]) + [""]
        if "power_cap" in planned:
            pc = planned["power_cap"]
            lines.append(
                f"at the {cap_w:g} W cap (clock {clock:.0%}): step {fmt_duration(planned['step_time_s'])} -> "
                f"{fmt_duration(pc['step_time_s'])}, {planned['gpu_hours']:,.0f} -> {pc['gpu_hours']:,.0f} "
                "GPU-hours (matmuls and bubble at the clock, HBM-bound kernels at the memory-bound rate, "
                "communication unchanged); the energy above uses the capped run"
            )
            styles.append("")
    if site is not None:
        ratio = c["facility_w"] / site_w
        verdict = f"over by {ratio - 1:.0%}" if ratio > 1 else f"{ratio:.0%} of the cap"
        lines.append(
            f"power: {c['facility_w'] / MEGA:.2f} of {site_w / MEGA:.2f} MW site cap — {verdict}; "
            f"the cap fits {site['max_gpus']:,} GPUs"
        )
        styles.append("bold red" if ratio > 1 else "bold green")
    else:
        lines.append(
            f"power: {w_(c['facility_w'])} at the facility ({w_(c['it_w'])} IT, "
            f"{w_(c['gpu_total_w'])} GPUs); give --site-mw to check a site cap"
        )
        styles.append("bold")
    if rack_wall is not None:
        if c["rack_fits"]:
            lines.append(
                f"racks: {int(c['racks']):,} at {w_(c['rack_w'])} of a {w_(rack_limit_w)} limit "
                f"({int(c['nodes_per_rack'])} nodes per rack)"
            )
            styles.append("bold")
        else:
            lines.append(
                f"rack: {w_(c['rack_w'])} per rack ({int(c['nodes_per_rack'])} node(s)) is over the "
                f"{w_(rack_limit_w)} rack limit by {c['rack_w'] / rack_limit_w - 1:.0%}"
            )
            styles.append("bold red")
    render.print_tables(tables, lines, styles)
    if check and hit:
        raise typer.Exit(1)
