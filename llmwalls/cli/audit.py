"""`llmwalls audit ROADMAP.toml`: every workload of a hardware roadmap, quarter by quarter over the horizon
(18 months by default), against every wall; the first wall each workload starves on and when; what extra GPUs,
megawatts or money would fix it. `--check` exits 1 when any workload starves within the horizon, so CI can run
the audit on every change to the roadmap file. Format: docs/roadmap.md; example:
profiles/roadmaps/example.toml.

The schema and the per-quarter plan are llmwalls.roadmap; the walls are llmwalls.engine.walls.
"""

from __future__ import annotations

from typing import Annotated

import typer

from llmwalls.cli.options import Check, Json


def audit(
    roadmap: Annotated[str, typer.Argument(help="Roadmap TOML file (see docs/roadmap.md).")],
    months: Annotated[
        int, typer.Option("--months", min=1, max=120, help="Horizon in months (quarters: rounded up).")
    ] = 18,
    assumptions: Annotated[
        str | None,
        typer.Option("--assumptions", help="TOML file with an [uncertainty] table replacing the roadmap's."),
    ] = None,
    json_: Json = False,
    check: Check = False,
) -> None:
    """Audit a hardware roadmap: which workload starves first, on which wall, in which quarter; the fix."""
    code = _run(roadmap, months, assumptions, json_, check)
    if code:
        raise typer.Exit(code)


def _run(path: str, months: int, assumptions_path: str | None, as_json: bool, check: bool) -> int:  # noqa: C901
    import dataclasses
    import math

    from llmwalls import render
    from llmwalls.cli.walls import MARKERS, SHORT, _pct, fmt_demand, fmt_tokens
    from llmwalls.engine import walls as eng
    from llmwalls.roadmap import audit as run_audit
    from llmwalls.roadmap import load_assumptions_file, load_roadmap, ranges_from
    from llmwalls.units import fmt_si

    spec = load_roadmap(path)
    ranges = dict(eng.DEFAULT_RANGES)
    ranges.update(ranges_from(spec.uncertainty, path))
    wa = eng.DEFAULT_ASSUMPTIONS
    if spec.walls is not None:
        wa = dataclasses.replace(wa, **{k: v for k, v in spec.walls.model_dump().items() if v is not None})
    if assumptions_path is not None:
        file_ranges, walls_table = load_assumptions_file(assumptions_path)
        ranges.update(file_ranges)
        wa = dataclasses.replace(wa, **walls_table)
    result = run_audit(spec, months=months, ranges=ranges, assumptions=wa, where=path)
    for note in result["notes"]:
        render.warn(note)

    hit_any = result["starves"]
    if as_json:
        inputs = {
            "roadmap": path,
            "name": spec.name,
            "months": months,
            "quarters": result["quarters"],
            "near_threshold": wa.near_threshold,
            "assumptions": wa,
            "ranges": {
                k: ({"low": v.low, "high": v.high, "source": v.source} if isinstance(v, eng.Range) else v)
                for k, v in ranges.items()
            },
        }
        walls = []
        for s in result["summary"]:
            if s["starves"]:
                row = next(
                    r
                    for r in result["rows"]
                    if r["workload"] == s["workload"] and r["quarter"] == s["quarter"]
                )
                wl = row["walls"][s["wall"]]
                walls.append(
                    render.wall(
                        s["wall"],
                        wl["demand"],
                        wl["limit"],
                        wl["unit"],
                        workload=s["workload"],
                        quarter=s["quarter"],
                        status="hit",
                        utilization_range=wl["range"],
                    )
                )
        render.emit_json("audit", inputs, {"rows": result["rows"], "summary": result["summary"]}, walls)
        return 1 if (check and hit_any) else 0

    tables = []
    names = list(eng.WALLS)
    for s in result["summary"]:
        w_rows = [r for r in result["rows"] if r["workload"] == s["workload"]]
        if not w_rows:
            continue
        out_rows = []
        for r in w_rows:
            load = (
                f"{r['users']:,.0f} users, {fmt_tokens(r['context_tokens'])} ctx, TP {r['tp']}"
                if r["kind"] == "serving"
                else f"{fmt_si(r['tokens'], 'tokens')}, {fmt_tokens(r['context_tokens'])} seq"
            )
            row = {
                "quarter": r["quarter"],
                "hardware": f"{r['gpus']:,} x {r['gpu']}",
                "model": r["model"],
                "load": load,
                "first": r["first_wall"]
                or ("near: " + r["binding"] if r["walls"][r["binding"]]["status"] == "near" else ""),
            }
            for n in names:
                u = r["walls"][n]["utilization"]
                row[n] = "-" if math.isnan(u) else f"{_pct(u)}{'!' if u > 1 else ''}"
            if r["hit"]:
                row["_style"] = "bold red" if r["quarter"] == s["quarter"] else "red"
            out_rows.append(row)
        cols = [
            render.Column("quarter", "quarter", justify="left"),
            render.Column("GPUs", "hardware"),
            render.Column("model", "model", justify="left"),
            render.Column("load", "load", justify="left"),
        ]
        cols += [render.Column(SHORT[n], n) for n in names]
        cols.append(render.Column("starves on", "first", justify="left"))
        tables.append(
            render.Table(
                f"{s['workload']} ({s['kind']})",
                cols,
                out_rows,
                "utilisation per wall = demand / limit (headroom = 100% minus it); '!' hit",
            )
        )

    sum_rows = []
    for s in result["summary"]:
        fix = s.get("fix") or {}
        parts = []
        if fix.get("extra_gpus"):
            parts.append(
                f"+{fix['extra_gpus']:,.0f} GPUs (to {fix['gpus_plan']:,.0f}"
                + (f", TP {fix['tp']:.0f}" if fix.get("tp") == fix.get("tp") and fix.get("tp") else "")
                + ")"
            )
        if fix.get("extra_mw"):
            parts.append(f"+{fix['extra_mw']:.2f} MW")
        if fix.get("extra_usd"):
            parts.append(f"+{fmt_demand(fix['extra_usd'], 'USD/month' if s['kind'] == 'serving' else 'USD')}")
        if fix.get("note"):
            parts.append(fix["note"])
        if s["starves"] and not parts:
            needed = fix.get("gpus_needed")
            parts.append("within the GPUs it has: rebalance the shares" if needed else "see the walls")
        pess = ""
        qp = s["quarter_pessimistic"]
        if qp and (qp != s["quarter"] or not s["starves"]):
            pess = f"{s['quarter_pessimistic']} ({s['wall_pessimistic']})"
        sum_rows.append(
            {
                "workload": s["workload"],
                "when": s["quarter"] or "not within the horizon",
                "wall": s["wall"] or "-",
                "pess": pess or ("same" if s["starves"] else "-"),
                "fix": "; ".join(parts) if parts else "-",
                "_style": "bold" if s["starves"] else None,
            }
        )
    tables.append(
        render.Table(
            f"Which workload starves first ({result['quarters'][0]}..{result['quarters'][-1]})",
            [
                render.Column("workload", "workload", justify="left"),
                render.Column("starves in", "when", justify="left"),
                render.Column("first wall", "wall", justify="left"),
                render.Column("pessimistic", "pess", justify="left"),
                render.Column("what fixes it (in that quarter)", "fix", justify="left"),
            ],
            sum_rows,
            "pessimistic: with the low end of every efficiency range; fix: GPUs for the GPU-bound walls, "
            "then the power and money those GPUs need",
        )
    )
    starving = [s for s in result["summary"] if s["starves"]]
    if starving:
        first = starving[0]
        then = ", ".join(f"{s['workload']} ({s['wall']}, {s['quarter']})" for s in starving[1:])
        line = (
            f"{first['workload']} starves first: {first['wall']} in {first['quarter']}"
            + (f"; then {then}" if then else "")
            + "."
        )
        style = "bold red"
    else:
        line = f"No workload starves within {months} months."
        style = "bold"
    render.print_tables(tables, [line], [style])
    del MARKERS
    return 1 if (check and hit_any) else 0
