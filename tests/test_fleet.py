"""Fleet roadmaps ([[pools]] live at once, [[sites]], pinned and placed workloads, recurring training): the
site power and budget each workload gets worked by hand, the placement rule, every problem of a bad fleet at
its place, and the shipped fleet example answering on one screen of 100 columns."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from llmwalls import api
from llmwalls.errors import LlmwallsError

FLEET = """
kind = "roadmap"
start = "2026Q1"

[[sites]]
name = "dc"
site_mw = 0.017
budget_usd_per_month = 30000

[[pools]]
name = "hopper"
gpu = "h100"
cluster = "dgx-h100"
gpus = 8
site = "dc"
from = "2026Q1"
usd_per_gpu_hour = 2.0

[[pools]]
name = "blackwell"
gpu = "b200"
cluster = "dgx-b200"
gpus = 8
site = "dc"
from = "2026Q1"
usd_per_gpu_hour = 4.0
"""


# the same pools without a site: no power cap and no budget, so placement turns on the GPU-bound walls
UNCAPPED = FLEET.replace('site = "dc"\n', "")


def _write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "fleet.toml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_site_power_and_budget_split_by_tdp_and_price(tmp_path: Path) -> None:
    text = (
        FLEET
        + """
[[workloads]]
name = "chat"
model = "8b"
pool = "hopper"
gpus = 8
users = 64
"""
    )
    report = api.audit(_write(tmp_path, text), months=3)
    (row,) = report.results.rows
    assert row.pool == "hopper" and row.gpus == 8
    # the 17 kW cap over the site's provisioned TDP: 8 x 700 W (H100 SXM) + 8 x 1,000 W (B200) = 13,600 W;
    # chat's 8 H100: 17,000 x 5,600 / 13,600 = 7,000 W
    assert row.site_w == pytest.approx(7000.0)
    # the $30,000/month budget over the site's spend rate: 8 x $2 + 8 x $4 = $48/h; chat's $16/h: $10,000
    assert row.budget_usd == pytest.approx(10000.0)


def test_placement_cheapest_pool_with_room_by_priority(tmp_path: Path) -> None:
    text = (
        UNCAPPED
        + """
[[workloads]]
name = "batch"
model = "8b"
gpus = 8
users = 16

[[workloads]]
name = "chat"
model = "8b"
gpus = 8
users = 16
priority = 10
"""
    )
    report = api.audit(_write(tmp_path, text), months=6)
    pools = {(r.workload, r.quarter): r.pool for r in report.results.rows}
    # chat (priority 10) is placed first, on the cheaper pool ($2 < $4); batch finds it full and takes the
    # other; both stay there in the second quarter
    assert pools == {
        ("chat", "2026Q1"): "hopper",
        ("chat", "2026Q2"): "hopper",
        ("batch", "2026Q1"): "blackwell",
        ("batch", "2026Q2"): "blackwell",
    }


def test_placement_skips_a_pool_where_a_wall_is_hit(tmp_path: Path) -> None:
    text = (
        UNCAPPED
        + """
[[workloads]]
name = "big"
model = "70b"
gpus = 1
users = 1
"""
    )
    report = api.audit(_write(tmp_path, text), months=3)
    (row,) = report.results.rows
    # 70.6e9 parameters x 2 bytes = 141 GB of bf16 weights: above one H100's 80 GB x 0.9 usable = 72 GB,
    # within one B200's 180 GB (DGX B200: 1,440 GB over 8 GPUs) x 0.9 = 162 GB; the cheaper pool fails the
    # memory wall, so the dearer one is used
    assert row.pool == "blackwell"
    assert not row.hit


def test_recurring_training_runs_every_quarter_with_a_monthly_deadline(tmp_path: Path) -> None:
    text = (
        FLEET
        + """
[[workloads]]
name = "fine-tune"
kind = "training"
model = "8b"
pool = "hopper"
gpus = 8
quarter = "2026Q2"
every_months = 1
tokens = "10B"
"""
    )
    report = api.audit(_write(tmp_path, text), months=12)
    rows = report.results.rows
    assert [r.quarter for r in rows] == ["2026Q2", "2026Q3", "2026Q4"]
    # compute wall = time to train / deadline, the deadline a month: 365.25 / 12 = 30.4375 days
    compute = next(w for w in rows[0].walls if w.wall == "compute")
    assert compute.limit == pytest.approx(30.4375 * 86400)


BAD = (
    FLEET
    + """
[[pools]]
name = "hopper"            # overlaps the first hopper entry (from 2026Q1, open-ended)
gpu = "h100"
gpus = 8
from = "2026Q3"

[[pools]]
name = "old"
gpu = "a100"
gpus = 8
site = "nowhere"
from = "2025Q1"
until = "2026Q2"

[[workloads]]
name = "chat"
model = "8b"
pool = "missing"
users = 8

[[workloads]]
name = "legacy"
model = "8b"
pool = "old"
users = 8

[[workloads]]
name = "late"
model = "8b"
pool = "hopper"
users = 8

[[workloads.moves]]
quarter = "2026Q2"
pool = "gone"

[[workloads]]
name = "unplaced"
model = "8b"
users = 8
"""
)


def test_bad_fleet_lists_every_problem_at_its_place(tmp_path: Path, cli: Any) -> None:
    path = _write(tmp_path, BAD)
    r = cli("audit", path)
    assert r.exit_code == 2
    assert "Traceback" not in r.stderr
    for needle in (
        "pools[2]: pool 'hopper' overlaps pools[0] in time",
        "pools[3].site: no [[sites]] entry named 'nowhere' (sites: dc)",
        "workloads[0].pool: no pool named 'missing'",
        "workloads[1].pool: pool 'old' retires in 2026Q2 but legacy still runs on it then",
        "workloads[2].moves[0].pool: no pool named 'gone'",
        "workloads[3]: a workload placed by the audit needs gpus or share",
    ):
        assert needle in r.stderr, needle
    with pytest.raises(LlmwallsError):
        api.audit(path)


def test_hardware_and_pools_are_one_or_the_other(tmp_path: Path, cli: Any) -> None:
    text = (
        FLEET
        + """
[[hardware]]
quarter = "2026Q1"
gpu = "h100"
gpus = 8

[[workloads]]
name = "chat"
model = "8b"
users = 8
"""
    )
    r = cli("audit", _write(tmp_path, text))
    assert r.exit_code == 2 and "pools: give [[hardware]] (one GPU type per period) or [[pools]]" in r.stderr


def test_shipped_fleet_example_answers_on_one_screen(cli: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "100")
    r = cli("audit", "fleet-example")
    assert r.exit_code == 0, r.stderr
    lines = r.stdout.rstrip("\n").splitlines()
    assert max(len(line) for line in lines) <= 100
    # the answer - the heat map, which workload starves first, on which wall, when, and the fix - is the
    # end of the output and fits one 50-line screen
    start = next(i for i, line in enumerate(lines) if line.startswith("Binding wall per workload"))
    answer = lines[start:]
    assert len(answer) <= 50
    # the request-level chat service outgrows its 32 H100 on memory bandwidth in 2026Q4 (26 req/s x 1.4)
    assert answer[-2] == "chat starves first: memory bandwidth in 2026Q4."
    assert answer[-1].startswith("Cheapest fix for chat: fp8 weights")
    # 4 more H100 at the pool's $1.60/GPU-hour: 4 x 1.60 x 730.5 h = $4,675.2 a month
    assert any("+4 h100-sxm on h100 (to 36)" in line and "+$4.68k/month" in line for line in answer)
    # two generations live at once: chat moves to the B200 pool in 2027Q1 while the H100 still serve RAG
    report = api.audit(str(Path(__file__).resolve().parent.parent / "profiles/roadmaps/fleet-example.toml"))
    pools = {(r.workload, r.quarter): r.pool for r in report.results.rows}
    assert pools[("chat", "2027Q1")] == "b200" and pools[("rag-long-context", "2027Q1")] == "h100"


def test_remedies_are_evaluated_through_the_horizon(tmp_path: Path) -> None:
    text = (
        UNCAPPED
        + """
[[workloads]]
name = "rag"
model = "8b"
pool = "hopper"
gpus = 1
users = 1
context = "32k"
context_growth_per_quarter = 1.0
"""
    )
    report = api.audit(_write(tmp_path, text), months=12)
    (s,) = report.results.summary
    assert s.starves and s.quarter == "2026Q2"  # at 64k tokens of context
    kinds = {r.remedy: r for r in s.remedies}
    # the context doubles every quarter (32k, 64k, 128k, ...): capping it at the first quarter's 32,768
    # tokens holds through the horizon at no cost; moving to the B200 pool (gpus = 1 there too) costs the
    # price difference of one GPU: (1 x $4 - 1 x $2) x 730.5 h = $1,461 a month, as does one more H100
    cap = kinds["context_cap"]
    assert cap.clears and cap.holds_until == "2026Q4" and cap.extra_usd_per_month == 0.0
    assert "32,768 tokens" in cap.description
    move = kinds["move_pool"]
    assert move.extra_usd_per_month == pytest.approx((4.0 - 2.0) * 8766.0 / 12.0)
    assert kinds["more_gpus"].extra_gpus == 1
    assert kinds["more_gpus"].extra_usd_per_month == pytest.approx(2.0 * 8766.0 / 12.0)
    # ranked: the one holding longest first, then cheapest first among equals; one that does not clear last
    assert s.remedies[0].remedy == "context_cap"
    assert not s.remedies[-1].clears


def test_request_level_workload_is_planned_by_the_serving_model(tmp_path: Path) -> None:
    text = (
        UNCAPPED
        + """
[[workloads]]
name = "chat"
model = "8b"
pool = "hopper"
gpus = 8
requests_per_s = 5
requests_growth_per_quarter = 1.0
prompt = "1k"
output_tokens = 200
ttft_p99_s = 1.0
tpot_p99_s = 0.05
"""
    )
    report = api.audit(_write(tmp_path, text), months=6)
    rows = report.results.rows
    # the rate doubles each quarter: 5, then 10 requests/s
    assert [r.requests_per_s for r in rows] == [5.0, 10.0]
    for r in rows:
        gpu_wall = next(w for w in r.walls if w.unit == "GPUs")
        # the GPUs the serving model's cheapest deployment needs at the rate, over the 8 it has
        assert gpu_wall.limit == 8 and gpu_wall.demand == api.serve(
            model="8b", gpus=("h100",), requests_per_s=r.requests_per_s, prompt_tokens=1024,
            output_tokens=200, ttft_p99_s=1.0, tpot_p99_s=0.05, usd_per_gpu_hour=2.0,
            weight_dtypes=("bf16",), kv_dtypes=("bf16",),
        ).results.best.gpus  # fmt: skip
        latency = [w for w in r.walls if w.wall == "latency"]
        assert [w.limit for w in latency] == [1.0, 0.05]
        assert all(w.hit == (w.utilization is not None and w.utilization > 1) for w in r.walls)


def test_request_level_workload_needs_a_fleet(tmp_path: Path, cli: Any) -> None:
    text = """
kind = "roadmap"
start = "2026Q1"
[[hardware]]
quarter = "2026Q1"
gpu = "h100"
gpus = 8
[[workloads]]
name = "chat"
model = "8b"
requests_per_s = 5
prompt = "1k"
"""
    r = cli("audit", _write(tmp_path, text))
    assert r.exit_code == 2
    assert "workloads[0].requests_per_s: needs a fleet roadmap ([[pools]])" in r.stderr
    assert "a request-rate workload needs output_tokens" in r.stderr
