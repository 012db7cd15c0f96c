"""`llmwalls audit`: the roadmap schema, every problem reported with its place, the per-quarter walls and the
starvation summary of the shipped example (profiles/roadmaps/example.toml), worked by hand where it can be."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from llmwalls.api import audit
from llmwalls.roadmap import RoadmapError, load_roadmap, quarter_index, quarter_name

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = str(ROOT / "profiles" / "roadmaps" / "example.toml")

MINIMAL = """
kind = "roadmap"
start = "2026Q1"

[[hardware]]
quarter = "2026Q1"
gpu = "h100"
cluster = "dgx-h100"
gpus = 8

[[workloads]]
name = "chat"
model = "70b"
users = {users}
users_growth_per_quarter = {growth}
context = "8k"
"""


def _wall(row, ident):
    return next(w for w in row.walls if w.wall == ident)


def _write(tmp_path, text: str) -> str:
    p = tmp_path / "roadmap.toml"
    p.write_text(textwrap.dedent(text))
    return str(p)


def test_quarters():
    assert quarter_index("2026Q1") + 5 == quarter_index("2027Q2")
    assert quarter_name(quarter_index("2026Q4") + 1) == "2027Q1"


def test_catalogue_ignores_the_roadmap(cli):
    # catalogue._scan skips TOML files whose kind is not a profile kind: profiles/roadmaps/ is safe
    r = cli("profiles", "list")
    assert r.exit_code == 0 and "example" not in r.stdout.split()


def test_example_validates():
    spec = load_roadmap(EXAMPLE)
    assert [w.name for w in spec.workloads] == ["chat-70b", "rag-long-context", "pretrain-405b"]
    assert [h.gpu for h in spec.hardware] == ["h100", "b200"]


def test_example_chat_is_near_in_q2_and_starves_there_only_pessimistically():
    # chat-70b: share 0.25 of 4,096 H100 = 1,024 GPUs; TP 8 -> 128 replicas. Users 15,000 x 1.35 = 20,250 in
    # 2026Q2 -> ceil(20,250 / 128) = 159 sequences per replica at 8,192 tokens. Per GPU:
    #   weights 141.1e9 / 8 + replicated norms = 17,640,734,720 B (8,820,367,360 params x 2)
    #   KV 327,680 / 8 = 40,960 B per token x 8,192 x 159 = 53,351,448,576 B
    #   reserve 1 GiB + 8192 x (2 x 28672 / 8 + 4 x 8192) x 2 = 1,073,741,824 + 654,311,424
    #   = 72,720,236,544 B. The H100 reports 81,559 MiB = 85,520,809,984 B (nvidia-smi); 0.9 of it is
    #   76,968,728,985.6 B -> 0.9448: near, not hit. With the pessimistic usable fraction 0.85
    #   (72,692,688,486 B) it is 1.0004: hit. So the verdict depends on the assumption, and the audit says so.
    result = audit(load_roadmap(EXAMPLE)).results
    rows = {(r.workload, r.quarter): r for r in result.rows}
    q2 = rows[("chat-70b", "2026Q2")]
    assert q2.tp == 8 and q2.gpus == 1024 and q2.users == 20250
    device = 81_559 * 2**20
    cap = _wall(q2, "memory_capacity")
    assert cap.utilization == pytest.approx(72_720_236_544 / (0.9 * device), rel=1e-4)
    assert cap.status == "near" and not cap.hit
    pessimistic = cap.utilization_range[1]
    assert pessimistic == pytest.approx(72_720_236_544 / (0.85 * device), rel=1e-4) and pessimistic > 1
    q1 = rows[("chat-70b", "2026Q1")]
    assert _wall(q1, "memory_capacity").utilization == pytest.approx(
        (17_640_734_720 + 40_960 * 8192 * 118 + 1_073_741_824 + 654_311_424) / (0.9 * device), rel=1e-4
    )
    assert q1.hit == ()
    chat = next(s for s in result.summary if s.workload == "chat-70b")
    assert chat.quarter_pessimistic == "2026Q2" and chat.wall_pessimistic == "memory_capacity"
    assert chat.quarter != "2026Q2"  # at the central assumption it starves later
    first = result.summary[0]
    assert (first.workload, first.quarter, first.wall) == ("rag-long-context", "2026Q2", "memory_capacity")


def test_example_training_run_misses_its_deadline():
    report = audit(EXAMPLE)
    s = next(s for s in report.results.summary if s.workload == "pretrain-405b")
    assert s.starves and s.quarter == "2026Q3" and s.wall == "compute"
    row = next(r for r in report.results.rows if r.workload == "pretrain-405b")
    # compute utilisation = time to train / 100-day deadline
    compute = _wall(row, "compute").utilization
    assert compute == pytest.approx(row.time_to_train_s / (100 * 86400))
    # the fix scales GPUs with the shortfall, in whole 8-GPU nodes
    assert s.fix.gpus_needed >= 4096 * compute
    assert s.fix.gpus_needed % 8 == 0
    # the report's walls: the wall each starving workload hits first, hit exactly when utilisation > 1
    starving = {(w.workload, w.quarter, w.wall) for w in report.walls}
    assert ("pretrain-405b", "2026Q3", "compute") in starving
    assert all(w.hit == (w.utilization is not None and w.utilization > 1) for w in report.walls)


def test_growth_zero_never_starves_later(tmp_path):
    path = _write(tmp_path, MINIMAL.format(users=16, growth=0.0))
    result = audit(load_roadmap(path), months=12).results
    caps = [_wall(r, "memory_capacity").utilization for r in result.rows]
    assert len(caps) == 4 and max(caps) == pytest.approx(min(caps))


def test_users_growth_compounds(tmp_path):
    path = _write(tmp_path, MINIMAL.format(users=100, growth=0.5))
    result = audit(path, months=9).results
    assert [r.users for r in result.rows] == [100, 150, 225]  # x1.5 per quarter


def test_cli_example_table_and_check(cli):
    r = cli("audit", EXAMPLE)
    assert r.exit_code == 0
    assert "Which workload starves first (2026Q1..2027Q2)" in r.stdout
    assert "rag-long-context starves first: memory capacity in 2026Q2" in r.stdout
    assert cli("audit", EXAMPLE, "--check").exit_code == 1  # the example starves by design
    # over 3 months (one quarter) nothing starves yet
    assert cli("audit", EXAMPLE, "--months", "3", "--check").exit_code == 0


def test_cli_json(cli):
    d = cli("audit", EXAMPLE, "--json").json()
    assert d["schema"] == "llmwalls.audit"
    assert d["inputs"]["quarters"] == ["2026Q1", "2026Q2", "2026Q3", "2026Q4", "2027Q1", "2027Q2"]
    assert {w["workload"] for w in d["walls"]} == {"chat-70b", "rag-long-context", "pretrain-405b"}
    row = d["results"]["rows"][0]
    for wall in row["walls"]:
        if wall["utilization"] is not None:
            assert wall["headroom"] == pytest.approx(1 - wall["utilization"])


BROKEN = """
kind = "roadmap"
start = "2026Q1"

[[hardware]]
quarter = "2026Q3"
gpu = "h100x"
gpus = -5

[[hardware]]
quarter = "2026Q2"
gpu = "b200"
gpus = 100
site_mw = 0

[[workloads]]
name = "chat"
model = "llama-3.1-70b"
users = 1000
users_growth_per_quarter = -0.1

[[workloads]]
name = "rag"
model = "lama-70b"
users = 10
context = "lots"
colour = "red"

[[workloads.upgrades]]
quarter = "2027Q3"
model = "405b"

[[workloads.upgrades]]
quarter = "2027Q1"
model = "llama-9000"

[[workloads]]
name = "run"
kind = "training"
model = "405b"
quarter = "2026q5"
"""


def test_broken_roadmap_lists_every_problem_with_its_place(cli, tmp_path):
    path = _write(tmp_path, BROKEN)
    r = cli("audit", path)
    assert r.exit_code == 2 and "Traceback" not in r.stderr
    expected = [
        "hardware[0].gpus:",  # negative count
        "hardware[0].gpu: unknown gpu 'h100x'; did you mean",
        "hardware[0].quarter: 2026Q3 is after start = 2026Q1",
        "hardware[1].quarter: 2026Q2 is not after the previous entry's quarter",
        "hardware[1].site_mw:",  # zero power
        "workloads[0].users_growth_per_quarter:",  # negative growth
        "workloads[1].model: unknown model 'lama-70b'; did you mean",
        "workloads[1].colour: unknown key",
        "workloads[1].context: context 'lots' is not a token count",
        "workloads[1].upgrades[1].model: unknown model 'llama-9000'",
        "workloads[1].upgrades[1].quarter: 2027Q1 is not after the previous upgrade",
        "workloads[2].quarter: not a quarter like 2026Q3",
    ]
    for text in expected:
        assert f"{path}: {text}" in r.stderr, text
    assert r.stderr.startswith("llmwalls: error: ")


def test_roadmap_error_is_an_exit_2_error():
    assert RoadmapError("f", ["a"]).exit_code == 2


@pytest.mark.parametrize(
    "text,needle",
    [
        (
            "kind = 'roadmap'\nstart = '2026Q1'\nhardware = []\nworkloads = []\n",
            "hardware: List should have at least 1",
        ),
        ("this is not toml", "not valid TOML"),
        (MINIMAL.format(users=10, growth=0) + "share = 0.5\ngpus = 4\n", "give share or gpus, not both"),
        (MINIMAL.format(users=10, growth=0).replace("users = 10\n", ""), "a serving workload needs users"),
        (
            MINIMAL.format(users=10, growth=0) + "[[workloads]]\nname='t'\nkind='training'\nmodel='8b'\n",
            "a training workload needs quarter and tokens",
        ),
        (
            MINIMAL.format(users=10, growth=0) + "[[workloads]]\nname='chat'\nmodel='8b'\nusers=1\n",
            "is used twice",
        ),
        (MINIMAL.format(users=10, growth=0) + 'weights = "fp9"\n', "workloads[0].weights: Input should be"),
    ],
)
def test_other_bad_roadmaps(cli, tmp_path, text, needle):
    path = _write(tmp_path, text)
    r = cli("audit", path)
    assert r.exit_code == 2 and needle in r.stderr and "Traceback" not in r.stderr


def test_missing_file(cli, tmp_path):
    r = cli("audit", str(tmp_path / "none.toml"))
    assert r.exit_code == 2 and "no such file" in r.stderr
