"""The view of `llmwalls serve`: the aggregated and disaggregated deployments side by side, their pools, the
Pareto front and the reason the best one wins; optionally the front as an image."""

from __future__ import annotations

from typing import Any

from llmwalls import render
from llmwalls.api._serve import ServeReport
from llmwalls.render.numbers import duration, percent, si, sig, usd

PARETO_ROWS = 12  # rows of the front shown in the table (evenly spread over it)


def _cfg(c: Any) -> str:
    ep = f" EP{c.ep}" if c.ep > 1 else ""
    return f"{c.gpu} TP{c.tp}{ep} {c.weights}/{c.kv_dtype}"


def show(report: ServeReport, *, plot: str | None = None, force: bool = False, chart: bool = True) -> None:
    res = report.results
    inp = report.inputs
    deps = [d for d in (res.aggregated, res.disaggregated) if d is not None]
    lines: list[str] = []
    styles: list[str] = []
    tables = []
    if deps:
        rows = []
        fields = (
            ("GPUs", lambda d: f"{d.gpus:,}"),
            ("TTFT p50 / p99", lambda d: f"{duration(d.ttft_p50_s)} / {duration(d.ttft_p99_s)}"),
            ("TPOT p50 / p99", lambda d: f"{duration(d.tpot_p50_s)} / {duration(d.tpot_p99_s)}"),
            ("output tokens/s per GPU", lambda d: sig(d.output_tokens_per_s_per_gpu)),
            ("input tokens/s per GPU", lambda d: sig(d.input_tokens_per_s_per_gpu)),
            ("$ per hour", lambda d: usd(d.usd_per_hour)),
            ("$ / 1M input tokens", lambda d: usd(d.usd_per_million_input_tokens)),
            ("$ / 1M output tokens", lambda d: usd(d.usd_per_million_output_tokens)),
            ("$ per request", lambda d: usd(d.usd_per_request)),
            ("power", lambda d: "unknown (no TDP)" if d.power_w is None else si(d.power_w, "W")),
            (
                "J per output token",
                lambda d: "unknown" if d.joules_per_output_token is None else sig(d.joules_per_output_token),
            ),
        )
        for name, f in fields:
            row = {"what": name}
            for d in deps:
                row[d.mode] = f(d)
            rows.append(row)
        cols = [render.Column("", "what", justify="left")]
        cols += [
            render.Column(d.mode + (" (best)" if res.best is d else ""), d.mode, justify="right")
            for d in deps
        ]
        tables.append(
            render.Table(f"Serving {inp.model} at {sig(inp.requests_per_s)} requests/s", cols, rows)
        )
        pool_rows = []
        for d in deps:
            for p in d.pools:
                pool_rows.append(
                    {
                        "mode": d.mode,
                        "pool": p.role,
                        "config": _cfg(p.config),
                        "replicas": f"{p.replicas:,} x {p.config.gpus_per_replica}",
                        "chunk": "" if p.chunk_tokens is None else f"{p.chunk_tokens:,}",
                        "batch": f"{sig(p.concurrency)} (max {p.max_batch:,})",
                        "kv": sig(p.kv_capacity_sequences),
                        "rate": f"{sig(p.requests_per_s_per_replica)}"
                        f" / {sig(p.capacity_requests_per_s_per_replica)}",
                        "wall": p.wall,
                        "limit": p.limit,
                    }
                )
        tables.append(
            render.Table(
                "Pools",
                [
                    render.Column("mode", "mode", justify="left"),
                    render.Column("pool", "pool", justify="left"),
                    render.Column("replica (weights/KV)", "config", justify="left"),
                    render.Column("replicas x GPUs", "replicas"),
                    render.Column("chunk", "chunk"),
                    render.Column("sequences (p99 max)", "batch"),
                    render.Column("KV fits", "kv"),
                    render.Column("req/s per replica / cap", "rate"),
                    render.Column("wall", "wall", justify="left"),
                    render.Column("limited by", "limit", justify="left"),
                ],
                pool_rows,
            )
        )
    if res.pareto:
        n = len(res.pareto)
        step = max(1, -(-n // PARETO_ROWS))
        shown = list(res.pareto[::step])
        if shown[-1] is not res.pareto[-1]:
            shown.append(res.pareto[-1])
        tables.append(
            render.Table(
                f"Pareto front ({n} points; TTFT SLO and memory met, TPOT is the x axis)",
                [
                    render.Column("tokens/s per user", "x"),
                    render.Column("output tokens/s per GPU", "y"),
                    render.Column("mode", "mode", justify="left"),
                    render.Column("replica", "cfg", justify="left"),
                    render.Column("sequences", "b"),
                ],
                [
                    {
                        "x": sig(p.tokens_per_s_per_user),
                        "y": sig(p.output_tokens_per_s_per_gpu),
                        "mode": p.mode + (f" chunk {p.chunk_tokens:,}" if p.chunk_tokens else ""),
                        "cfg": _cfg(p.config),
                        "b": sig(p.concurrency),
                    }
                    for p in shown
                ],
            )
        )
    t = res.tokens
    lines.append(
        f"per request: {sig(t.prompt)} prompt tokens ({percent(t.cached / t.prompt)} from the prefix cache), "
        f"{sig(t.decoded)} decoded; {sig(res.tokens_per_step)} tokens per decode step"
    )
    styles.append("")
    lines.append(
        f"searched {res.configurations:,} replica configurations, {res.points:,} operating points "
        f"in {duration(res.search_time_s)}"
    )
    styles.append("")
    best = res.best
    if best is None:
        lines.append(f"NO DEPLOYMENT MEETS THE SLO: {res.reason}")
        styles.append("bold red")
    else:
        lines.append(f"best: {best.mode}, {best.gpus:,} GPUs, {usd(best.usd_per_hour)}/h. {res.reason}")
        styles.append("bold")
    render.print_tables(tables, lines, styles)
    if chart and res.pareto:
        render.print_text(text_pareto(res.pareto))
    if plot:
        save_pareto_plot(plot, res.pareto, title=f"{inp.model}: Pareto front", force=force)
        render.print_text(f"chart saved to {plot}")


def text_pareto(points: Any, *, width: int = 64, height: int = 14) -> str:
    """The Pareto front in plain characters: output tokens/s per GPU (up) against tokens/s per user (right),
    'a' aggregated, 'd' disaggregated points, linear axes from zero."""
    xs = [p.tokens_per_s_per_user for p in points]
    ys = [p.output_tokens_per_s_per_gpu for p in points]
    x_hi, y_hi = max(xs) * 1.02, max(ys) * 1.05
    grid = [[" "] * width for _ in range(height)]
    for p, x, y in zip(points, xs, ys, strict=True):
        c = min(int(x / x_hi * (width - 1)), width - 1)
        r = height - 1 - min(int(y / y_hi * (height - 1)), height - 1)
        mark = "a" if p.mode == "aggregated" else "d"
        grid[r][c] = mark if grid[r][c] in (" ", mark) else "*"
    label_w = len(sig(y_hi))
    lines = ["Pareto front: output tokens/s per GPU (up) against tokens/s per user (right)"]
    for r, row in enumerate(grid):
        label = sig(y_hi) if r == 0 else ("0" if r == height - 1 else "")
        lines.append(f"{label:>{label_w}} |" + "".join(row).rstrip())
    lines.append(" " * label_w + " +" + "-" * width)
    right = sig(x_hi)
    lines.append(" " * label_w + "  0" + " " * max(width - len(right) - 1, 1) + right)
    lines.append(" " * label_w + "  a aggregated   d disaggregated   * both")
    return "\n".join(lines)


def save_pareto_plot(path: str, points: Any, *, title: str = "", force: bool = False) -> None:
    """Output tokens/s per GPU against tokens/s per user, one series per mode (.png or .svg by suffix)."""
    from llmwalls.render.chart import PlotUnavailableError, save_figure

    try:
        import matplotlib
    except ImportError:
        raise PlotUnavailableError("matplotlib is not installed: pip install 'llmwalls[plot]'") from None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 5))
    try:
        for i, mode in enumerate(("aggregated", "disaggregated")):
            pts = [p for p in points if p.mode == mode]
            if pts:
                ax.plot(
                    [p.tokens_per_s_per_user for p in pts],
                    [p.output_tokens_per_s_per_gpu for p in pts],
                    marker="o",
                    markersize=3,
                    linestyle="",
                    color=f"C{i}",
                    label=mode,
                )
        ax.set_xlabel("tokens/s per user")
        ax.set_ylabel("output tokens/s per GPU")
        if title:
            ax.set_title(title, fontsize=10)
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=8)
        fig.tight_layout()
        save_figure(fig, path, force)
    finally:
        plt.close(fig)
