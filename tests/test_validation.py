"""Out-of-sample validation (llmwalls/validation_cases.toml, `llmwalls calibrate`): published runs NOT
in the calibration set the defaults were chosen on (../shared/calibration/cases.toml). Each case carries its
citation in the TOML; here every case that is not a marked known miss is asserted within its category's
tolerance, the command passes --check on the shipped state, and the schema rejects broken case files."""

from __future__ import annotations

import json
import tomllib
from importlib import resources

import pytest
import tomli_w
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from llmwalls import validation as v

CASES = v.load_cases()
CHECKED = [c for c in CASES.case if c.known_miss is None]
KNOWN = [c for c in CASES.case if c.known_miss is not None]


def test_shipped_file_is_valid_and_covers_every_category():
    assert {c.category for c in CASES.case} == set(v.CATEGORIES)
    assert len(CASES.case) >= 10
    # one tolerance per category, with its reasoning (never per case: the schema has no per-case field)
    assert set(CASES.tolerance) == set(v.CATEGORIES)
    assert "tolerance" not in v.Case.model_fields


@pytest.mark.parametrize("case", CHECKED, ids=[c.id for c in CHECKED])
def test_case_within_its_category_tolerance(case):
    # |predicted / published - 1| <= the category's tolerance; published value and source are in the TOML
    # (e.g. kort22_t5_22b_mfu: Korthikanti et al. 2022, arXiv:2205.05198 Table 5, MFU 41.5%, tolerance 15%).
    tol = CASES.tolerance[case.category].rel
    out = v.run_case(case, tol)
    assert out.error is None, out.error
    message = f"{case.id}: {out.predicted:.4g} vs {case.value}"
    assert out.predicted == pytest.approx(case.value, rel=tol), message


@pytest.mark.parametrize("case", KNOWN, ids=[c.id for c in KNOWN])
def test_known_miss_still_evaluates(case):
    # a known miss is reported, not hidden: it must still run and give a finite prediction
    out = v.run_case(case, CASES.tolerance[case.category].rel)
    assert out.error is None and out.predicted > 0
    assert out.status in ("known miss", "ok (marked known miss)")


def test_mtnlg_flops_counted_as_published():
    # MT-NLG's 126 TFLOP/s (Smith et al. 2022, arXiv:2201.11990) is Megatron Eq. 3 at 60.1 s on 2,240 GPUs:
    # F = 96 B s l h^2 (1 + s/6h + V/16lh), B 1920, s 2048, l 105, h 20480, V 50272
    #   = 96 x 1920 x 2048 x 105 x 20480^2 x (1 + 0.016667 + 0.001461) = 1.6926e19 FLOPs per step,
    # / 60.1 s / 2240 = 125.7 TFLOP/s. The predictor's hardware FLOPs per step must be that count.
    case = next(c for c in CASES.case if c.id == "mtnlg_530b_2240_tflops")
    r, _ = v._training_result(dict(case.setup))
    hand = 96 * 1920 * 2048 * 105 * 20480**2 * (1 + 2048 / (6 * 20480) + 50272 / (16 * 105 * 20480))
    assert hand / 60.1 / 2240 / 1e12 == pytest.approx(126.0, rel=0.005)
    assert float(r["hardware_flops_per_step"]) == pytest.approx(hand, rel=0.02)


def test_collective_predictor_single_node_by_hand():
    # One DGX H100 node (8 GPUs on NVLink 4, 450 GB/s per direction), ring all-reduce of 8 GiB: busbw =
    # 450 GB/s x NVLink ring efficiency 0.80 = 360 GB/s less the latency term 14 x 3.4 us on a 41.8 ms
    # transfer (8 GiB x 1.75 / 360 GB/s): 360 x 41.76 / (41.76 + 0.048) = 359.6 GB/s.
    busbw, _ = v.predict_collective(
        {"metric": "busbw_GBps", "op": "allreduce", "cluster": "dgx-h100", "gpus": 8, "size_bytes": 8 * 2**30}
    )
    assert busbw / 1e9 == pytest.approx(359.6, rel=0.002)


# ------------------------------------------------------------------------------------------------- CLI


def test_calibrate_check_passes_on_shipped_state(cli):
    r = cli("calibrate", "--check")
    assert r.exit_code == 0, r.stdout + r.stderr
    assert "0 unexpected misses" in r.stdout
    assert "known miss" in r.stdout


def test_calibrate_json(cli):
    r = cli("calibrate", "--json", "--category", "decode", "--check")
    assert r.exit_code == 0
    data = r.json()
    assert data["schema"] == "llmwalls.calibrate"
    ids = {row["id"] for row in data["results"]}
    assert ids == {c.id for c in CASES.case if c.category == "decode"}
    row = next(x for x in data["results"] if x["id"] == "gptfast_7b_tp2")
    # published 168.84 tokens/s (gpt-fast README); SI value = the same in tokens/s
    assert row["published"] == 168.84 and row["published_si"] == 168.84
    assert row["ratio"] == pytest.approx(row["predicted"] / 168.84)
    assert row["tolerance"] == 0.20 and row["within_tolerance"]
    wall = data["walls"][0]
    assert wall["wall"] == "calibration" and not wall["hit"]


def test_calibrate_check_fails_on_an_unexpected_miss(cli, tmp_path):
    # a case file whose published figure is 3x what the model says, not marked as a known miss
    text = resources.files("llmwalls").joinpath("validation_cases.toml").read_text(encoding="utf-8")
    data = tomllib.loads(text)
    case = next(c for c in data["case"] if c["id"] == "gptfast_7b_tp2")
    case["value"] = 3 * 168.84
    data["case"] = [case]
    path = tmp_path / "cases.toml"
    path.write_text(tomli_w.dumps(data))
    r = cli("calibrate", "--cases", str(path), "--check")
    assert r.exit_code == 1
    assert "MISS gptfast_7b_tp2" in r.stdout
    r = cli("calibrate", "--cases", str(path), "--check", "--json")
    assert r.exit_code == 1 and json.loads(r.stdout)["walls"][0]["hit"]


@pytest.mark.parametrize(
    "args, fragment",
    [
        (["--category", "nonsense"], "unknown category"),
        (["--cases", "/nonexistent/cases.toml"], "no such file"),
    ],
)
def test_calibrate_bad_input(cli, args, fragment):
    r = cli("calibrate", *args)
    assert r.exit_code == 2
    assert fragment in r.stderr and len(r.stderr.strip().splitlines()) == 1
    assert "Traceback" not in r.stderr


# ---------------------------------------------------------------------------------------------- schema

GOOD = """
about = "A minimal valid case file for the schema tests."
[tolerance.decode]
rel = 0.2
reason = "Batch-1 decode is bandwidth-bound; see the shipped file."
[[case]]
id = "one"
category = "decode"
description = "gpt-fast Llama-2-7B bf16 TP2"
source = "pytorch-labs/gpt-fast README.md"
value = 168.84
unit = "tokens/s"
verified = true
assumptions = "As the shipped gptfast_7b_tp2 case."
[case.setup]
metric = "tokens_per_s"
model = "llama-2-7b"
gpu = "a100-80gb-sxm"
tp = 2
"""


def test_schema_accepts_the_minimal_file():
    cf = v.parse_cases(GOOD)
    assert cf.case[0].id == "one"


@pytest.mark.parametrize(
    "old, new",
    [
        ('source = "pytorch-labs/gpt-fast README.md"\n', ""),  # no source
        ("value = 168.84", "value = -1.0"),  # negative figure
        ('category = "decode"', 'category = "vibes"'),  # unknown category
        ('metric = "tokens_per_s"', 'metric = "busbw_GBps"'),  # metric of another category
        ("[tolerance.decode]", "[tolerance.serving]"),  # a case without its category's tolerance
        ('unit = "tokens/s"', 'unit = "tokens/s"\ntolerance = 0.9'),  # per-case tolerance is not a thing
        ("rel = 0.2", "rel = 1.5"),  # absurd tolerance
        ('id = "one"', 'id = "One Case"'),  # id not an identifier
    ],
)
def test_schema_rejects_a_broken_case_file(old, new):
    broken = GOOD.replace(old, new, 1)
    assert broken != GOOD
    with pytest.raises(ValidationError):
        v.parse_cases(broken)


def test_schema_rejects_duplicate_ids():
    dup = GOOD + GOOD[GOOD.index("[[case]]") :]
    with pytest.raises(ValidationError, match="duplicate case id"):
        v.parse_cases(dup)


def test_broken_case_file_is_one_line_exit_2(cli, tmp_path):
    path = tmp_path / "broken.toml"
    path.write_text(GOOD.replace("value = 168.84", "value = -1.0"))
    r = cli("calibrate", "--cases", str(path))
    assert r.exit_code == 2
    assert "value" in r.stderr and len(r.stderr.strip().splitlines()) == 1
    path.write_text("this is = = not toml")
    r = cli("calibrate", "--cases", str(path))
    assert r.exit_code == 2 and "not valid TOML" in r.stderr


def test_fixed_known_miss_is_reported(cli, tmp_path):
    # a known miss whose published figure the model now meets: shown as ok and named for un-marking
    text = resources.files("llmwalls").joinpath("validation_cases.toml").read_text(encoding="utf-8")
    data = tomllib.loads(text)
    case = next(c for c in data["case"] if c["id"] == "gptfast_7b_tp2")
    case["known_miss"] = "marked before an engine fix brought it within tolerance"
    data["case"] = [case]
    path = tmp_path / "cases.toml"
    path.write_text(tomli_w.dumps(data))
    r = cli("calibrate", "--cases", str(path), "--check")
    assert r.exit_code == 0
    assert "ok (marked known miss)" in r.stdout
    assert "remove their known_miss marking: gptfast_7b_tp2" in r.stdout


@settings(max_examples=50, deadline=None)
@given(published=st.floats(min_value=1e-3, max_value=1e6, allow_nan=False))
def test_within_is_the_tolerance_band(published):
    # the verdict is |predicted / published - 1| <= tolerance, whatever the published figure
    case = next(c for c in CASES.case if c.id == "gptfast_7b_tp2")
    out = v.Outcome(case, 0.2, published, 100.0, "tokens/s", {})
    assert out.within == (abs(100.0 / published - 1.0) <= 0.2)
