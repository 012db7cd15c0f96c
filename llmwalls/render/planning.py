"""Text of a planned training run (llmwalls.api._planning.TrainingPlan) for the commands that show one:
`power` and `cost` name the plan they cost in one line; `cluster` shows it in full (render.cluster)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from llmwalls.render import numbers

if TYPE_CHECKING:
    from llmwalls.api._planning import PlanLayout, TrainingPlan


def tokens_text(tokens: float) -> str:
    """1.56e13 -> '15.6T' (SI prefixes, as --tokens takes them)."""
    return numbers.si(tokens)


def layout_text(layout: PlanLayout) -> str:
    """'TP 8 PP 16 DP 128 CP 1' (and ' EP n' when experts are spread)."""
    text = f"TP {layout.tp} PP {layout.pp} DP {layout.dp} CP {layout.cp}"
    return text + (f" EP {layout.ep}" if layout.ep > 1 else "")


def plan_line(plan: TrainingPlan) -> str:
    """One line naming a plan's layout and time, for power and cost."""
    return (
        f"planned as `llmwalls cluster`: {plan.model} on {plan.gpus:,} x {plan.gpu} ({plan.cluster}), "
        f"{layout_text(plan.layout)}, context {plan.seq_len:,}, batch {plan.global_batch:,}: step "
        f"{numbers.duration(plan.step_time_s)}, MFU {numbers.percent(plan.mfu)}, "
        f"{tokens_text(plan.train_tokens)} tokens in {numbers.duration(plan.time_to_train_s)} = "
        f"{numbers.si(plan.gpu_hours)} GPU-hours" + ("" if plan.fits else " (does NOT fit in memory)")
    )


__all__ = ["layout_text", "plan_line", "tokens_text"]
