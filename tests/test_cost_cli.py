"""`llmwalls cost` end to end: published cases through the CLI, the budget wall and --check, bad input."""

import math

import pytest


def test_deepseek_v3_run_cost_json(cli):
    # cases.toml dsv3_cost_total: DeepSeek-V3 Technical Report (arXiv:2412.19437), Table 1:
    # 2.788M H800 GPU-hours x $2/GPU-hour = $5.576M. Exact.
    r = cli("cost", "--gpu", "h800", "--gpu-hours", "2.788M", "--price-per-gpu-hour", "2", "--json")
    assert r.exit_code == 0, r.stderr
    d = r.json()
    assert d["schema"] == "llmwalls.cost"
    assert d["results"]["run"]["gpu_hours"] == 2_788_000.0
    assert d["results"]["run"]["rent_usd"] == pytest.approx(5_576_000.0, rel=1e-12)
    assert d["walls"] == []


def test_deepseek_v3_run_over_budget_checks(cli):
    # $5.576M against a $5M budget: over by 11.5%; --check exits 1 and the wall line says so.
    r = cli(
        "cost",
        "--gpu",
        "h800",
        "--gpu-hours",
        "2.788M",
        "--price-per-gpu-hour",
        "$2",
        "--budget",
        "5M",
        "--check",
    )
    assert r.exit_code == 1
    assert "cost (training run, rent): $5.58M of a $5.00M budget — over by 11.5%" in r.stdout
    ok = cli(
        "cost",
        "--gpu",
        "h800",
        "--gpu-hours",
        "2.788M",
        "--price-per-gpu-hour",
        "2",
        "--budget",
        "6M",
        "--check",
        "--json",
    )
    assert ok.exit_code == 0
    w = ok.json()["walls"][0]
    assert w["wall"] == "cost" and not w["hit"]
    assert w["utilization"] == pytest.approx(5.576 / 6.0)


def test_1024_h100_cluster_capex(cli):
    # 1,024 H100 at $40,000 (the h100-sxm profile's unit_price_usd) = $40.96M of GPUs. With the
    # server share, network and storage at their defaults ($6,250 + $5,000 + $1,000 per GPU) and
    # infrastructure read as 30% of the total: total per GPU = (40,000 + 6,250) / 0.7 = 66,071.43;
    # x 1,024 = $67,657,142.86.
    r = cli("cost", "--gpu", "h100", "--gpus", "1024", "--infra-share", "30%", "--json")
    assert r.exit_code == 0, r.stderr
    res = r.json()["results"]
    assert res["capex_per_gpu"]["gpu_usd"] * 1024 == 40_960_000.0
    assert res["fleet"]["capex_usd"] == pytest.approx(46_250 / 0.7 * 1024, rel=1e-12)
    assert res["capex_per_gpu"]["infrastructure_share_of_total"] == pytest.approx(0.30)


def test_usd_per_million_tokens_cli(cli):
    # 1,000 tokens/s per GPU at $2.50/GPU-hour, always busy: $2.50 / 3.6 = $0.6944 per 1M tokens.
    r = cli(
        "cost",
        "--gpu",
        "h100",
        "--tokens-per-s",
        "1000",
        "--price-per-gpu-hour",
        "2.50",
        "--utilization",
        "1",
        "--json",
    )
    assert r.exit_code == 0, r.stderr
    assert r.json()["results"]["tokens"]["rent_usd_per_million_tokens"] == pytest.approx(2.5 / 3.6, rel=1e-12)


def test_users_with_given_throughput(cli):
    # 3,000 tokens/s per GPU / 20 tokens/s per user = 150 users/GPU -> 1M users need ceil(6,666.7) = 6,667
    # GPUs.
    r = cli("cost", "--gpu", "h100", "--users", "1M", "--tokens-per-s", "3000", "--json")
    assert r.exit_code == 0, r.stderr
    res = r.json()["results"]
    assert res["serving_fleet"]["users_per_gpu"] == 150.0
    assert res["fleet_gpus"] == 6667


def test_done_when_70b_million_users(cli):
    r = cli("cost", "--model", "70b", "--gpu", "h100", "--users", "1000000")
    assert r.exit_code == 0, r.stderr
    for text in (
        "Capex",
        "Running cost",
        "Rent or buy",
        "Serving 1,000,000 users at 20 tokens/s each",
        "users: 50.5 per GPU -> 19,808 GPUs",
        "buy vs rent",
        "no cost wall checked",
    ):
        assert text in r.stdout
    d = cli("cost", "--model", "70b", "--gpu", "h100", "--users", "1000000", "--json").json()
    s, sf = d["results"]["serving"], d["results"]["serving_fleet"]
    # GPUs = whole replicas of TP GPUs, each serving batch_per_replica users.
    assert sf["gpus"] == math.ceil(1e6 / s["batch_per_replica"]) * s["tp"]
    assert s["tokens_per_s_per_user_at_batch"] >= 20.0
    # Llama-3.1-70B KV cache: 2 x 80 layers x 8 KV heads x 128 x 2 bytes = 327,680 B/token;
    # x 4,096 tokens = 1.25 GiB.
    assert s["kv_bytes_per_user"] == 327_680 * 4096
    assert d["results"]["fleet_gpus"] == sf["gpus"]
    # every assumption travels with its source and date
    assert all(v["source"] and v["date"] for v in d["results"]["assumptions"].values())


def test_budget_per_month_and_plans(cli):
    base = ("cost", "--gpu", "h100", "--gpus", "1024", "--json")
    buy = cli(*base, "--budget", "40M").json()
    # total capex alone is above $40M for 1,024 GPUs at $40,000 each plus infrastructure
    assert buy["walls"][0]["hit"] and buy["results"]["budget"]["plan"] == "buy"
    assert buy["walls"][0]["demand"] == pytest.approx(buy["results"]["fleet"]["tco_buy_usd"])
    rent = cli(*base, "--budget", "2M", "--budget-per-month", "--plan", "rent", "--check")
    assert rent.exit_code == 1
    w = rent.json()["walls"][0]
    assert w["demand"] == pytest.approx(rent.json()["results"]["fleet"]["rent_usd_per_month"])


def test_cost_of_capital_raises_owned_cost(cli):
    flat = cli("cost", "--gpu", "h100", "--gpus", "8", "--json").json()["results"]["fleet"]
    r = cli("cost", "--gpu", "h100", "--gpus", "8", "--cost-of-capital", "0.08", "--json").json()["results"][
        "fleet"
    ]
    assert r["capital_recovery_factor"] == pytest.approx(0.250456455, rel=1e-8)
    assert r["owned_usd_per_gpu_hour"] > flat["owned_usd_per_gpu_hour"]


@pytest.mark.parametrize(
    "args, needle",
    [
        (("--price-per-gpu-hour", "-2"), "--price-per-gpu-hour"),
        (("--gpu-price", "-40000"), "--gpu-price"),
        (("--years", "-3"), "--years"),
        (("--years", "0"), "--years"),
        (("--utilization", "0"), "--utilization"),
        (("--utilization", "1.5"), "--utilization"),
        (("--utilization", "nan"), "--utilization"),
        (("--budget", "0"), "--budget"),
        (("--budget", "-5M"), "--budget"),
        (("--usd-per-kwh", "abc"), "--usd-per-kwh"),
        (("--gpu-hours", "nan"), "--gpu-hours"),
        (("--infra-share", "1"), "infrastructure share"),
        (("--gpus", str(2**63)), "--gpus"),
        (("--pue", "0.9"), "PUE"),
        (("--users", "1M"), "--users"),
        (("--plan", "lease"), "--plan"),
        (("--budget-per-month",), "--budget"),
    ],
)
def test_bad_input_one_line_exit_2(cli, args, needle):
    r = cli("cost", "--gpu", "h100", *args)
    assert r.exit_code == 2, r.stdout
    assert r.stderr.count("\n") == 1 and r.stderr.startswith("llmwalls: error:") and needle in r.stderr
    assert "Traceback" not in r.stderr


def test_unknown_gpu_and_missing_gpu(cli):
    r = cli("cost", "--gpu", "h1000x", "--gpu-hours", "10")
    assert r.exit_code == 2 and r.stderr.count("\n") == 1 and "unknown gpu" in r.stderr
    r = cli("cost", "--gpu-hours", "10")
    assert r.exit_code == 2 and "--gpu" in r.stderr


def test_deepseek_v3_from_price_profile(cli):
    # Without --price-per-gpu-hour the h800 price profile (DeepSeek-V3's assumed $2/GPU-hour) is used:
    # 2,788,000 x $2 = $5,576,000.
    d = cli("cost", "--gpu", "h800", "--gpu-hours", "2788000", "--json").json()
    assert d["results"]["rent"]["source"].startswith("price profile")
    assert d["results"]["run"]["rent_usd"] == pytest.approx(5_576_000.0, rel=1e-12)


def test_every_rental_profile_gets_its_break_even(cli):
    d = cli("cost", "--gpu", "h100", "--gpus", "8", "--json").json()
    res = d["results"]
    opts = res["rent_options"]
    assert opts, "h100 has published rental prices"
    fleet = res["fleet"]
    for o in opts:
        # break-even = capex / (rent/month - opex/month), rent/month = $/GPU-hour x 8 GPUs x 730.5 h
        saving = o["usd_per_gpu_hour"] * 8 * 730.5 - fleet["opex_usd_per_month"]
        expected = fleet["capex_usd"] / saving if saving > 0 else None
        assert o["break_even_month"] == pytest.approx(expected)
    # the chosen price is the cheapest on-demand one
    on_demand = [o["usd_per_gpu_hour"] for o in opts if o["commitment"] == "on-demand"]
    assert res["fleet"]["rent_usd_per_month"] == pytest.approx(min(on_demand) * 8 * 730.5)


def test_serving_explains_which_wall_limits_users(cli):
    # H100, Llama-3.1-70B bf16, 4k context: the KV cache runs out first (memory wall).
    r = cli("cost", "--model", "70b", "--gpu", "h100", "--users", "1M")
    assert "(memory wall)" in r.stdout
    # L40S (864 GB/s, no NVLink): the KV caches would fit, but per-user speed falls below 20 tokens/s first.
    l40s = ("cost", "--model", "70b", "--gpu", "l40s", "--users", "1000", "--gpu-price", "9000")
    l40s += ("--price-per-gpu-hour", "1")  # no public L40S rental price in the catalogue
    s = cli(*l40s, "--json").json()["results"]["serving"]
    assert s["batch_per_replica"] < s["max_batch_that_fits_per_replica"]
    assert s["tokens_per_s_per_user_at_batch"] >= 20.0
    assert "(bandwidth wall)" in cli(*l40s).stdout


def test_cost_of_capital_accepts_percent(cli):
    d = cli("cost", "--gpu", "h100", "--gpus", "8", "--cost-of-capital", "8%", "--json").json()
    assert d["results"]["fleet"]["capital_recovery_factor"] == pytest.approx(0.250456455, rel=1e-8)


@pytest.mark.parametrize("share, total_usd", [("0.30", 40_960_000 / 0.7), ("40%", 40_960_000 / 0.6)])
def test_gpus_plus_infrastructure_only(cli, share, total_usd):
    # GPUs alone: 1,024 H100 x $40,000 = $40.96M, nothing else in "compute"; infrastructure 30% or 40% of
    # the total -> $58,514,285.71 or $68,266,666.67 (infrastructure $17.55M or $27.31M).
    r = cli(
        "cost",
        "--gpu",
        "h100",
        "--gpus",
        "1024",
        "--server-usd-per-gpu",
        "0",
        "--network-usd-per-gpu",
        "0",
        "--storage-usd-per-gpu",
        "0",
        "--infra-share",
        share,
        "--json",
    )
    assert r.exit_code == 0, r.stderr
    fleet = r.json()["results"]["fleet"]
    assert fleet["capex_usd"] == pytest.approx(total_usd, rel=1e-12)


# ----------------------------------------------------------- a training run's cost from the plan (--tokens)

RUN_405B = ("--model", "405b", "--cluster", "dgx-h100", "--gpus", "16384", "--tokens", "15.6e12")


def test_llama31_405b_run_cost_from_the_plan(cli):
    """Calibration case llama31_mc_405b_gpuh (cases.toml): "Llama 3.1 405B: total training GPU-hours
    (H100-80GB)" = 30.84M; source meta-llama/llama-models, models/llama3_1/MODEL_CARD.md @1b28708f. Setup
    from llama3_405b_compute (arXiv:2407.21783): 15.6T tokens at 8,192 context on 16,384 H100 with 16M-token
    batches (Table 4). Tolerance: the plan within 15% of the card. The plan is pre-training at the modelled
    step rate divided by the whole-run goodput (failures and restarts, Llama 3 sec 3.3.4: 466 interruptions
    in 54 days; checkpoints, warm-up, evaluation: engine.goodput); the card's total also holds the
    long-context extension and post-training."""
    c = cli("cluster", *RUN_405B, "--scaling", "off", "--json")
    assert c.exit_code == 0, c.stderr
    cluster_hours = c.json()["results"]["training"]["gpu_hours"]
    r = cli("cost", *RUN_405B, "--price-per-gpu-hour", "2", "--json")
    assert r.exit_code == 0, r.stderr
    res = r.json()["results"]
    training = res["training_plan"]
    hours = training["plan"]["gpu_hours"]
    assert hours == pytest.approx(cluster_hours, rel=1e-12)  # as `llmwalls cluster`, exactly
    assert 0.85 <= hours / 30.84e6 <= 1.15
    # cost = GPU-hours x price: rented at $2/GPU-hour, owned at the fleet's all-in $/GPU-hour
    assert training["rent_usd"] == pytest.approx(hours * 2.0, rel=1e-12)
    owned_rate = res["fleet"]["owned_usd_per_gpu_hour"]
    assert training["owned_usd"] == pytest.approx(hours * owned_rate, rel=1e-12)
    assert res["run"] is None  # no --gpu-hours given
    assert r.json()["inputs"]["tokens"] == 15.6e12


def test_planned_run_beside_given_gpu_hours(cli):
    r = cli("cost", *RUN_405B, "--gpu-hours", "30.84M", "--price-per-gpu-hour", "2")
    assert r.exit_code == 0, r.stderr
    # the card's 30.84M GPU-hours at $2 = $61.68M, and the planned run beside it
    assert "training run, 30.8M GPU-hours" in r.stdout and "$61.7M" in r.stdout  # 3 significant figures
    assert "(planned: 15.6T tokens)" in r.stdout
    assert "planned as `llmwalls cluster`" in r.stdout
    # a training query: no serving figures for the trained model
    assert "1M tokens at" not in r.stdout


def test_planned_run_budget_wall(cli):
    # No fleet (--gpu only): the budget is checked against the planned run, rented.
    run = ("cost", "--gpu", "h100", "--model", "8b", "--tokens", "1T", "--price-per-gpu-hour", "2")
    training = cli(*run, "--json").json()["results"]["training_plan"]
    cost = training["rent_usd"]
    assert cost == pytest.approx(training["plan"]["gpu_hours"] * 2.0)
    under = cli(*run, "--budget", str(round(cost * 1.1)), "--check")
    assert under.exit_code == 0, under.stderr
    over = cli(*run, "--budget", str(round(cost * 0.9)), "--check", "--json")
    assert over.exit_code == 1
    (wall,) = over.json()["walls"]
    assert wall["demand"] == pytest.approx(cost)
    assert over.json()["results"]["budget"]["what"] == "training run, rent"


def test_tokens_needs_a_model(cli):
    r = cli("cost", "--gpu", "h100", "--tokens", "1T")
    assert r.exit_code == 2 and r.stderr.count("\n") == 1 and "--model" in r.stderr
