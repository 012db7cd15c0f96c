"""llmwalls.api.walls and llmwalls.api.audit called directly: the typed reports carry the hand-worked walls
(see tests/test_walls.py for the derivations of the Llama-3.1-70B figures), one identifier per limit, hit
exactly when utilisation > 1, and their JSON validates against the generated schema."""

from __future__ import annotations

from pathlib import Path

import jsonschema
import pytest

from llmwalls import api
from llmwalls.api.contract import document, json_schema
from llmwalls.errors import InputError

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = str(ROOT / "profiles" / "roadmaps" / "example.toml")
GiB = 2**30
WEIGHTS_70B = 141_107_412_992
KV_70B = 327_680  # bytes per token: 2 x 80 layers x 8 KV heads x 128 x 2 B
USABLE_H100 = 81_559 * 2**20 * 0.9  # 76,968,728,985.6 B


def _wall(report, ident):
    return next(w for w in report.walls if w.wall == ident)


def _consistent(walls):
    for w in walls:
        assert w.hit == (w.utilization is not None and w.utilization > 1), w


def test_70b_on_one_h100_memory_capacity_by_hand():
    # weights 141,107,412,992 + KV 327,680 x 4,096 + reserve 1 GiB + activations 8192 x (2 x 28672 + 4 x 8192)
    # x 2 = 1,476,395,008 -> 144,999,727,104 B against 76,968,728,985.6 usable: 1.8839, hit.
    report = api.walls("70b", "h100", tp=1)
    cap = _wall(report, "memory_capacity")
    assert cap.demand == pytest.approx(WEIGHTS_70B + KV_70B * 4096 + GiB + 1_476_395_008)
    assert cap.limit == pytest.approx(USABLE_H100)
    assert cap.utilization == pytest.approx(1.8839, abs=1e-4) and cap.hit and cap.binding
    assert cap.label == "memory capacity" and cap.status == "hit"
    assert report.results.binding == "memory_capacity"
    assert report.results.verdict.startswith("Memory capacity is hit first (188%)")
    assert report.inputs.model == "llama-3.1-70b" and report.inputs.gpus == 1
    assert "model '70b' -> llama-3.1-70b" in report.notes
    # no site cap, no budget: those walls have no limit, so no utilisation and no hit
    site = _wall(report, "site_power")
    assert site.limit is None and site.utilization is None and not site.hit and site.status == "n/a"
    _consistent(report.walls)


def test_site_power_wall_by_hand():
    # 1,024 H100 in DGX H100 nodes at TDP: 128 x (8 x 700 + 4,600) = 1,305,600 W + 48 switches x 1,720 =
    # 82,560 W -> IT 1,388,160 W x PUE 1.58 = 2,193,292.8 W against a 2 MW cap: 1.0966, hit. One identifier
    # for the site cap, as in `power`: site_power.
    report = api.walls("70b", cluster="dgx-h100", gpus=1024, tp=8, users=1024, site_w=2e6)
    w = _wall(report, "site_power")
    assert w.demand == pytest.approx(2_193_292.8) and w.limit == 2e6
    assert w.utilization == pytest.approx(2_193_292.8 / 2e6) and w.hit and w.unit == "W"
    assert not any(x.wall == "power" for x in report.walls)
    _consistent(report.walls)


def test_cost_wall_by_hand():
    # 8 GPUs x 730.5 h per month x $2 = $11,688 per month against $10,000 -> 1.1688, hit.
    report = api.walls("70b", "h100", gpus=8, tp=8, users=8, usd_per_gpu_hour=2.0, budget_usd=10_000)
    w = _wall(report, "cost")
    assert w.demand == pytest.approx(11_688.0) and w.unit == "USD/month"
    assert w.utilization == pytest.approx(1.1688) and w.hit
    assert report.inputs.price_source == "given"


def test_sweep_reports_a_wall_hit_anywhere():
    # TP 8 replicas, 256 users at 8k: on 8 GPUs one replica holds all 256 sequences: 17,640,734,720 weights
    # + 1,073,741,824 reserve + 654,311,424 activations + 40,960 x 8,192 x 256 = 85,899,345,920 KV
    # = 105,268,133,888 B per GPU / 76,968,728,985.6 = 1.3677, hit; on 16 GPUs two replicas of 128:
    # 62,318,460,928 B -> 0.8097, clear. The report's walls keep the highest point of the sweep, so a gate on
    # hit sees the wall hit at 8 GPUs even though it clears at the end.
    report = api.walls(
        "70b",
        "h100",
        tp=8,
        users=256,
        context_tokens=8192,
        sweep=api.parse_sweep("gpus=8..64"),
    )
    cap = _wall(report, "memory_capacity")
    assert cap.at == 8 and cap.hit
    assert cap.utilization == pytest.approx(105_268_133_888 / USABLE_H100, rel=1e-6)
    sweep = report.results.sweep
    mem = next(w for w in sweep.walls if w.wall == "memory_capacity")
    assert mem.first_hit == 8 and mem.clear_from == 16
    at16 = next(p for p in sweep.points if p.value == 16)
    u16 = next(w for w in at16.walls if w.wall == "memory_capacity").utilization
    assert u16 == pytest.approx(62_318_460_928 / USABLE_H100, rel=1e-6)
    _consistent(report.walls)


def test_sweep_check_exit_code(cli):
    args = ("walls", "--model", "70b", "--gpu", "h100", "--tp", "8", "--users", "256", "--context", "8k")
    assert cli(*args, "--sweep", "gpus=8..64", "--check").exit_code == 1


def test_errors_name_the_concept():
    with pytest.raises(InputError, match="tensor-parallel degree 3 does not divide llama-3.1-70b's 64"):
        api.walls("70b", "h100", tp=3)
    with pytest.raises(InputError, match="unknown weight format 'fp9'"):
        api.walls("8b", "h100", weights="fp9")
    with pytest.raises(InputError, match="a users sweep is for serving"):
        api.walls("8b", "h100", train=True, sweep=api.Sweep("users", (1.0, 2.0)))


def test_audit_report():
    report = api.audit(EXAMPLE)
    r = report.results
    # rag-long-context's 2026Q2 capacity wall and pretrain-405b's deadline are worked in tests/test_audit.py
    assert r.verdict.startswith("rag-long-context starves first: memory capacity in 2026Q2; then ")
    starving = [(w.workload, w.wall, w.quarter) for w in report.walls]
    assert starving[0] == ("rag-long-context", "memory_capacity", "2026Q2")
    assert ("pretrain-405b", "compute", "2026Q3") in starving and len(starving) == 3
    assert r.starves and [s.workload for s in r.summary if s.starves] == [w[0] for w in starving]
    _consistent(report.walls)
    for row in r.rows:
        _consistent(row.walls)
    # the 70B -> 405B upgrade of chat-70b in 2027Q2 is in the rows (and in the tables: see the goldens)
    chat = {row.quarter: row.model for row in r.rows if row.workload == "chat-70b"}
    assert chat["2027Q1"] == "llama-3.1-70b" and chat["2027Q2"] == "llama-3.1-405b"
    assert not any("names no cluster" in n for n in report.notes)  # every entry names its cluster


@pytest.mark.parametrize(
    ("command", "report"),
    [
        ("walls", lambda: api.walls("8b", "h100", tokens_per_s_per_user=140, context_tokens=1024)),
        ("walls", lambda: api.walls("8b", train=True, gpus=64, tokens=1e12, deadline_s=86_400.0)),
        (
            "walls",
            lambda: api.walls("70b", "h100", gpus=8, sweep=api.parse_sweep("params=8b..405b:3")),
        ),
        ("audit", lambda: api.audit(EXAMPLE, months=9)),
    ],
    ids=["serving", "training", "params-sweep", "audit"],
)
def test_documents_validate_against_their_schema(command, report):
    doc = document(command, report())
    jsonschema.validate(doc, json_schema(command))


def test_spec_objects_pass_through():
    # A notebook can hand in its own specs: the same 70B on one H100 as the named call, without alias notes.
    from llmwalls import catalogue

    m = catalogue.load("model", "llama-3.1-70b", announce=False)
    g = catalogue.load("gpu", "h100-sxm", announce=False)
    report = api.walls(m, g, tp=1)
    assert _wall(report, "memory_capacity").demand == pytest.approx(
        WEIGHTS_70B + KV_70B * 4096 + GiB + 1_476_395_008
    )
    assert report.notes == ()
