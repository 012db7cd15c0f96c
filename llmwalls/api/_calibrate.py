"""`calibrate`: the engines at their default assumptions against published measurements they were not
calibrated on (llmwalls/validation_cases.toml, or a case file of the user's own)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from llmwalls import notices
from llmwalls.api.types import Wall
from llmwalls.errors import InputError

SHIPPED_CASES = "llmwalls/validation_cases.toml"
# A checked case the engine cannot evaluate counts as twice its tolerance in the calibration wall, so the
# wall is
# hit (a convention: there is no error to measure, and the case must not pass silently).
ERRORED_CASE_SHARE = 2.0


@dataclass(frozen=True)
class CalibrateInputs:
    categories: tuple[str, ...]
    cases: str  # the shipped file or the user's path


@dataclass(frozen=True)
class CaseResult:
    """One published figure against the engine's prediction. ``published``/``predicted`` are in the case's own
    unit (``unit``), ``published_si``/``predicted_si`` in SI (``si_unit``); ratio = predicted / published."""

    id: str
    category: str
    description: str
    source: str
    verified_in_source: bool
    unit: str
    published: float
    predicted: float | None
    published_si: float
    predicted_si: float | None
    si_unit: str
    ratio: float | None
    tolerance: float
    within_tolerance: bool
    status: str
    known_miss: str | None
    error: str | None
    assumptions: str
    detail: dict[str, Any]


@dataclass(frozen=True)
class CalibrateSummary:
    cases: int
    checked_cases: int
    within_tolerance: int
    failing_cases: tuple[str, ...]
    known_misses: tuple[str, ...]
    known_misses_now_within: tuple[str, ...]
    worst_share_of_tolerance: float


@dataclass(frozen=True)
class CalibrateReport:
    inputs: CalibrateInputs
    results: tuple[CaseResult, ...]
    walls: tuple[Wall, ...]
    warnings: tuple[str, ...]
    notes: tuple[str, ...]

    @property
    def summary(self) -> CalibrateSummary:
        checked = [r for r in self.results if r.known_miss is None]
        shares = [
            abs(r.ratio - 1.0) / r.tolerance if r.ratio is not None else ERRORED_CASE_SHARE for r in checked
        ]
        worst = max(shares, default=0.0)
        return CalibrateSummary(
            cases=len(self.results),
            checked_cases=len(checked),
            within_tolerance=sum(r.within_tolerance for r in checked),
            failing_cases=tuple(r.id for r in checked if not r.within_tolerance),
            known_misses=tuple(r.id for r in self.results if r.known_miss is not None),
            known_misses_now_within=tuple(
                r.id for r in self.results if r.known_miss is not None and r.within_tolerance
            ),
            worst_share_of_tolerance=worst,
        )


def _finite(x: float) -> float | None:
    return x if math.isfinite(x) else None


def calibrate(categories: Sequence[str] | None = None, cases: str | Path | None = None) -> CalibrateReport:
    """Run every case (of the chosen categories) and report published vs predicted. The wall ``calibration``
    is the worst checked error as a share of its category's tolerance: above 1, a case has drifted out."""
    from pydantic import ValidationError

    from llmwalls import validation
    from llmwalls.files import show_path

    with notices.collecting() as bag:
        chosen: list[str] | None = None
        if categories:
            chosen = []
            for c in categories:
                key = c.strip().lower().replace("-", "_")
                if key not in validation.CATEGORIES:
                    raise InputError(f"unknown category {c!r}; use one of {', '.join(validation.CATEGORIES)}")
                chosen.append(key)
        case_file = None
        if cases is not None:
            try:
                case_file = validation.read_cases(Path(cases))
            except ValidationError as exc:
                first = exc.errors()[0]
                where = ".".join(str(x) for x in first["loc"])
                raise InputError(f"case file {show_path(cases)}: {where}: {first['msg']}") from None
        outcomes = validation.run(chosen, case_file)
        if not outcomes:
            raise InputError("no case in the chosen categories")
        results = tuple(
            CaseResult(
                id=o.case.id,
                category=o.case.category,
                description=o.case.description,
                source=o.case.source,
                verified_in_source=o.case.verified,
                unit=o.case.unit,
                published=o.case.value,
                predicted=None if o.error else _finite(o.predicted),
                published_si=o.published_si,
                predicted_si=None if o.error else _finite(o.predicted_si),
                si_unit=o.si_unit,
                ratio=None if o.error else _finite(o.ratio),
                tolerance=o.tolerance,
                within_tolerance=o.within,
                status=o.status,
                known_miss=o.case.known_miss,
                error=o.error,
                assumptions=o.case.assumptions,
                detail=o.detail,
            )
            for o in outcomes
        )
    inputs = CalibrateInputs(tuple(chosen or validation.CATEGORIES), str(cases) if cases else SHIPPED_CASES)
    draft = CalibrateReport(inputs, results, (), (), ())
    wall = Wall.of("calibration", draft.summary.worst_share_of_tolerance, 1.0, "share of tolerance")
    return CalibrateReport(inputs, results, (wall,), tuple(bag.warnings), tuple(bag.notes))
