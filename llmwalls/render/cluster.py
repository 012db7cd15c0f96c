"""The human view of a `cluster` report (llmwalls.api._cluster.ClusterReport): the layout, the step time
broken into its parts, throughput and time to train, the best layouts of the search, the scaling table and
the verdict line naming the wall. Every table fits the terminal without cutting a figure or a name: text
columns wrap, secondary columns are left out at narrow widths with a note saying where to see them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from llmwalls.render import fit, numbers

if TYPE_CHECKING:
    from llmwalls.api._cluster import ClusterReport

# A text column narrower than this wraps; wider content is wrapped down to it before columns are dropped.
_MIN_TEXT_WIDTH = 12
_GAP = 3  # between columns: one space of padding each side and the (blank) divider


@dataclass
class _Col:
    header: str
    justify: str = "right"
    wrap: bool = False  # text that may wrap at spaces (names, reasons); figures never wrap
    drop: int = 0  # 0: always shown; otherwise left out at narrow widths, highest first
    legend: str | None = None  # what the header means, in the caption while the column is shown
    cells: list[str] = field(default_factory=list)

    def width(self) -> int:
        natural = max([len(self.header), *(len(c) for c in self.cells)])
        if not self.wrap:
            return natural
        longest_word = max([len(w) for c in [self.header, *self.cells] for w in c.split()] or [1])
        return min(natural, max(longest_word, _MIN_TEXT_WIDTH))


@dataclass
class _Table:
    title: str
    columns: list[_Col]
    styles: list[str | None] = field(default_factory=list)
    caption: str | None = None

    def row(self, *cells: str, style: str | None = None) -> None:
        for col, cell in zip(self.columns, cells, strict=True):
            col.cells.append(cell)
        self.styles.append(style)


def _needed(columns: Sequence[_Col]) -> int:
    return sum(c.width() for c in columns) + _GAP * (len(columns) - 1)


def _print(console: Any, table: _Table, width: int) -> None:
    from rich import box
    from rich.table import Table

    dropped = fit.drop_to_fit(table.columns, width, _needed)
    parts = [table.caption] if table.caption else []
    parts += [c.legend for c in table.columns if c.legend]
    note = fit.dropped_note(dropped, width)
    if note:
        parts.append(note)
    caption = "; ".join(parts) or None
    rt = Table(
        title=table.title,
        caption=caption,
        box=box.SIMPLE_HEAD,
        show_edge=False,
        pad_edge=False,
        padding=(0, 1, 0, 1),
        title_justify="left",
        caption_justify="left",
    )
    for col in table.columns:
        rt.add_column(
            col.header,
            justify=col.justify,  # type: ignore[arg-type]
            no_wrap=not col.wrap,
            overflow="fold",
            min_width=col.width(),
        )
    for i, style in enumerate(table.styles):
        rt.add_row(*(c.cells[i] for c in table.columns), style=style)
    console.print(rt)
    console.print()


# ------------------------------------------------------------------------------------------ the view


def verdict(report: ClusterReport) -> tuple[str, bool]:
    """The wall line and whether a wall is hit: the capacity wall (the layout does not fit), the
    interconnect wall (exposed communication longer than compute), or compute-bound."""
    r, i = report.results, report.inputs
    st = r.step
    if not r.memory.fits:
        return (
            f"capacity wall: {numbers.iec_bytes(r.memory.per_gpu_bytes)} per GPU needed, "
            f"{numbers.iec_bytes(r.memory.usable_bytes)} usable on {i.gpu} — this layout does not fit",
            True,
        )
    if st.exposed_comm_time_s > st.compute_time_s:
        return (
            f"interconnect wall: exposed communication {numbers.duration(st.exposed_comm_time_s)} exceeds "
            f"compute {numbers.duration(st.compute_time_s)} per step on {i.gpus:,} GPUs",
            True,
        )
    where = ""
    if r.interconnect_wall_gpus is not None:
        where = f"; communication overtakes compute at {r.interconnect_wall_gpus:,} GPUs"
    elif r.scaling:
        where = "; communication stays below compute at every size in the scaling table"
    return (
        f"compute-bound: exposed communication {numbers.duration(st.exposed_comm_time_s)} is "
        f"{numbers.percent(st.exposed_comm_time_s / st.compute_time_s)} of compute "
        f"{numbers.duration(st.compute_time_s)} per step, MFU {numbers.percent(r.throughput.mfu)}{where}",
        False,
    )


def _layout_table(report: ClusterReport, moe: bool) -> _Table:
    i, r = report.inputs, report.results
    lay = r.layout
    t = _Table(
        f"{i.model} on {i.gpus:,} x {i.gpu} ({i.cluster}): {'given' if r.explicit else 'best'} layout",
        [_Col("figure", "left", wrap=True), _Col("value", "left")],
    )
    degrees = "TP / PP / DP / CP" + (" / EP" if moe else "")
    values = [lay.tp, lay.pp, lay.dp, lay.cp] + ([lay.ep] if moe else [])
    t.row(degrees, " / ".join(str(v) for v in values))
    t.row("micro-batch x micro-batches", f"{lay.micro_batch} x {r.step.microbatches:,}")
    t.row("pipeline chunks per GPU (v)", str(lay.virtual_stages))
    t.row("ZeRO stage", str(lay.zero_stage))
    t.row("recomputation", lay.recompute.value)
    t.row("sequence parallelism", "on" if lay.sequence_parallel else "off")
    t.row("global batch", f"{i.global_batch:,} sequences of {i.seq_len:,} tokens")
    # shown only when not the default, so the usual table stays as it was
    if i.precision.value != "bf16":
        t.row("linear GEMMs in", i.precision.value)
    if not i.assumptions.flash_attention:
        t.row("FlashAttention", "off")
    if i.first_stage_layers is not None:
        t.row("layers on the first stage", str(i.first_stage_layers))
    return t


_STEP_PARTS = (
    ("matmul", "matmul_time_s"),
    ("elementwise (HBM)", "elementwise_time_s"),
    ("optimizer step", "optimizer_time_s"),
    ("pipeline bubble", "bubble_time_s"),
    ("TP comm (exposed)", "tp_comm_time_s"),
    ("PP p2p (exposed)", "pp_comm_time_s"),
    ("DP comm (exposed)", "dp_comm_time_s"),
    ("CP comm (exposed)", "cp_comm_time_s"),
    ("EP all-to-all (exposed)", "ep_comm_time_s"),
)


def _step_table(report: ClusterReport) -> _Table:
    st = report.results.step
    t = _Table("Step time", [_Col("part", "left", wrap=True), _Col("time"), _Col("share of step")])
    for label, key in _STEP_PARTS:
        seconds = float(getattr(st, key))
        if seconds > 0:
            t.row(label, numbers.duration(seconds), numbers.percent(seconds / st.step_time_s))
    t.row("step", numbers.duration(st.step_time_s), "100%", style="bold")
    return t


def _throughput_table(report: ClusterReport) -> _Table:
    r = report.results
    th, mem, tr, good, opt = r.throughput, r.memory, r.training, r.goodput, r.compute_optimal
    t = _Table("Throughput and time to train", [_Col("figure", "left", wrap=True), _Col("value")])
    fit = "" if mem.fits else " — does NOT fit"
    rows = [
        ("MFU (model FLOPs 6N + attention, PaLM)", numbers.percent(th.mfu)),
        ("HFU (with recomputation)", numbers.percent(th.hfu)),
        ("model FLOP/s per GPU", numbers.si(th.model_flops_per_s_per_gpu, "FLOP/s")),
        ("tokens/s (cluster)", numbers.si(th.tokens_per_s, "tok/s")),
        (
            "memory per GPU",
            f"{numbers.iec_bytes(mem.per_gpu_bytes)} of {numbers.iec_bytes(mem.usable_bytes)} usable{fit}",
        ),
        (f"time to train {numbers.si(tr.tokens)} tokens", numbers.duration(tr.time_s)),
        ("GPU-hours", numbers.si(tr.gpu_hours)),
        ("steady-state time (no failures or stalls)", numbers.duration(good.steady_time_s)),
        ("goodput (time to train = steady / goodput)", numbers.percent(good.goodput)),
        (
            "lost: failures / restarts / checkpoints",
            " / ".join(
                numbers.percent(x)
                for x in (good.rework_fraction, good.restart_fraction, good.checkpoint_fraction)
            ),
        ),
        (
            "lost: warm-up / evaluation",
            f"{numbers.percent(good.warmup_fraction)} / {numbers.percent(good.evaluation_fraction)}",
        ),
        ("job MTBF (failures)", numbers.duration(good.job_mtbf_s)),
        ("checkpoint interval (Young)", numbers.duration(good.checkpoint_interval_s)),
        (
            f"compute-optimal at this budget ({opt.method})",
            f"{numbers.sig(opt.params / 1e9)}B params on {numbers.si(opt.tokens)} tokens",
        ),
    ]
    rule = next((m for m in opt.by_method if m.method == "tokens-per-param"), None)
    if rule is not None and opt.method != rule.method:
        rows.append(
            (
                "same budget at 20 tokens per parameter",
                f"{numbers.sig(rule.params / 1e9)}B params on {numbers.si(rule.tokens)} tokens",
            )
        )
    for k, v in rows:
        t.row(k, v)
    return t


def _search_table(report: ClusterReport, moe: bool) -> _Table | None:
    s = report.results.search
    if s is None:
        return None
    t = _Table(
        f"Best layouts ({s.candidates:,} candidates, {s.fitting:,} fit)",
        [
            _Col("#"),
            _Col("layout", "left"),
            _Col("mb", drop=1, legend="mb = sequences per micro-batch"),
            _Col("ZeRO"),
            _Col("recompute", "left"),
            _Col("v", drop=2, legend="v = pipeline chunks per GPU"),
            _Col("step"),
            _Col("MFU"),
            _Col("memory", drop=3, legend="memory per GPU"),
            _Col("largest overhead", "left", wrap=True),
        ],
        caption=f"layout = TP/PP/DP/CP{'/EP' if moe else ''}",
    )
    for n, row in enumerate(s.top, 1):
        lay = row.layout
        t.row(
            str(n),
            lay.text(moe=moe),
            str(lay.micro_batch),
            str(lay.zero_stage),
            lay.recompute.value,
            str(lay.virtual_stages),
            numbers.duration(row.step_time_s),
            numbers.percent(row.mfu),
            numbers.iec_bytes(row.memory_bytes),
            f"{row.largest_overhead} {numbers.percent(row.largest_overhead_share)}",
        )
    return t


def _scaling_table(report: ClusterReport, moe: bool) -> _Table | None:
    rows, i = report.results.scaling, report.inputs
    if not rows:
        return None
    fixed = i.scaling.value == "fixed-global"
    title = (
        f"Scaling (global batch fixed at {i.global_batch:,}): best layout per size"
        if fixed
        else "Scaling (sequences per GPU fixed): best layout per size"
    )
    cols = [_Col("GPUs")]
    if not fixed:
        cols.append(_Col("batch"))
    cols += [
        _Col("layout", "left"),
        _Col("step"),
        _Col("compute"),
        _Col("comm"),
        _Col("bubble", drop=2, legend="bubble = pipeline bubble per step"),
        _Col("MFU"),
        _Col("tokens/s", drop=1),
        _Col("wall", "left"),
    ]
    t = _Table(
        title,
        cols,
        caption=f"layout = TP/PP/DP/CP{'/EP' if moe else ''}; comm = exposed communication per step "
        "(interconnect: above compute)",
    )
    for row in rows:
        batch = [] if fixed else [f"{row.global_batch:,}"]
        if not row.fits or row.layout is None:
            t.row(f"{row.gpus:,}", *batch, "nothing fits", "", "", "", "", "", "", "capacity")
            continue
        t.row(
            f"{row.gpus:,}",
            *batch,
            row.layout.text(moe=moe),
            numbers.duration(row.step_time_s or 0.0),
            numbers.duration(row.compute_time_s or 0.0),
            numbers.duration(row.exposed_comm_time_s or 0.0),
            numbers.duration(row.bubble_time_s or 0.0),
            numbers.percent(row.mfu or 0.0),
            numbers.si(row.tokens_per_s or 0.0),
            "interconnect" if row.comm_over_compute else "",
            style="red" if row.comm_over_compute else None,
        )
    return t


def show(report: ClusterReport, *, search: bool = False) -> None:
    """Print the report's tables and verdict on stdout (notes and warnings on stderr). ``search``: also the
    table of the best layouts."""
    from llmwalls.render import _console, emit, show_notices

    moe = report.inputs.experts is not None
    show_notices(report)
    console = _console()
    width = int(console.width)
    tables: Sequence[_Table | None] = (
        _layout_table(report, moe),
        _step_table(report),
        _throughput_table(report),
        _search_table(report, moe) if search else None,
        _scaling_table(report, moe),
    )
    line, hit = verdict(report)
    with console.capture() as captured:
        for table in tables:
            if table is not None:
                _print(console, table, width)
        console.print(line, style="bold red" if hit else "bold green", markup=False)
    emit(captured.get())


__all__ = ["show", "verdict"]
