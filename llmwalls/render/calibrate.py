"""The human view of `llmwalls calibrate`: one table per category (published, predicted, ratio, status) and a
summary line."""

from __future__ import annotations

from llmwalls.api._calibrate import CalibrateReport
from llmwalls.render import Column, Table, print_tables
from llmwalls.render.numbers import sig

TITLES = {
    "train_throughput": "Training throughput",
    "gpu_hours": "Training GPU-hours",
    "decode": "Decode, batch 1",
    "prefill": "Prefill: time to first token, batch 1",
    "serving": "Serving, offline maximum throughput",
    "collective": "Collectives (nccl-tests busbw)",
    "serving_engine": "Serving engine: continuous batching, disaggregated pools, speculative decoding",
}


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}es" if word.endswith("s") else f"{n} {word}s"


def show(report: CalibrateReport) -> None:
    columns = [
        Column("case", "case", justify="left"),
        Column("published", "published"),
        Column("predicted", "predicted"),
        Column("unit", "unit", justify="left"),
        Column("ratio", "ratio"),
        Column("status", "status", justify="left"),
    ]
    tables = []
    categories = dict.fromkeys(r.category for r in report.results)
    for category in categories:
        group = [r for r in report.results if r.category == category]
        rows = []
        for r in group:
            checked = r.known_miss is None
            style = None if r.within_tolerance and checked else ("yellow" if not checked else "bold red")
            rows.append(
                {
                    "case": r.id,
                    "published": sig(r.published),
                    "predicted": "error" if r.predicted is None else sig(r.predicted),
                    "unit": r.unit,
                    "ratio": "-" if r.ratio is None else f"{r.ratio:.2f}x",
                    "status": r.status,
                    "_style": style,
                }
            )
        title = f"{TITLES.get(category, category)} (tolerance ±{group[0].tolerance:.0%})"
        tables.append(Table(title, columns, rows))
    tables[-1].caption = (
        "ratio = predicted / published, engines at their default assumptions; tolerances and sources: "
        "llmwalls/validation_cases.toml; known misses and their diagnosis: docs/validation.md"
    )
    s = report.summary
    lines = [
        f"{_plural(s.cases, 'case')}: {s.within_tolerance} within tolerance, "
        f"{len(s.known_misses)} known {'miss' if len(s.known_misses) == 1 else 'misses'} "
        "(excluded from --check), "
        f"{len(s.failing_cases)} unexpected {'miss' if len(s.failing_cases) == 1 else 'misses'}."
    ]
    styles = ["bold green" if not s.failing_cases else "bold red"]
    for r in report.results:
        if r.id in s.failing_cases:
            lines.append(f"MISS {r.id}: " + (r.error or f"{r.ratio:.2f}x, tolerance ±{r.tolerance:.0%}"))
            styles.append("bold red")
    if s.known_misses_now_within:
        lines.append(
            f"Now within tolerance, remove their known_miss marking: {', '.join(s.known_misses_now_within)}."
        )
        styles.append("bold yellow")
    print_tables(tables, lines, styles)
