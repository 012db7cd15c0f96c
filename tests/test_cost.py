"""llmwalls.engine.cost: expected values worked out by hand from the cited formula or published figure."""

import dataclasses
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from llmwalls.engine import cost as c

# Bare assumptions: only what a test sets costs anything.
BARE = c.CostAssumptions(
    server_usd_per_gpu=0.0,
    network_usd_per_gpu=0.0,
    storage_usd_per_gpu=0.0,
    maintenance_fraction_per_year=0.0,
    staff_usd_per_year=0.0,
    infra_share=0.0,
)


# --------------------------------------------------------------------------------- calibration cases


def test_deepseek_v3_training_cost():
    # cases.toml dsv3_cost_total / dsv3_gpuh_*: DeepSeek-AI, "DeepSeek-V3 Technical Report", arXiv:2412.19437,
    # Table 1: 2,664K pre-training + 119K context extension + 5K post-training = 2,788K H800 GPU-hours at an
    # assumed $2/GPU-hour = $5.576M (pre-training $5.328M, context extension $0.238M, post-training $0.01M).
    # Tolerance: exact (a product of published figures).
    assert c.run_cost_usd(2.788e6, 2.0) == pytest.approx(5_576_000.0, rel=1e-12)
    parts = c.run_cost_usd(np.array([2_664_000.0, 119_000.0, 5_000.0]), 2.0)
    np.testing.assert_allclose(parts, [5_328_000.0, 238_000.0, 10_000.0], rtol=1e-12)
    assert parts.sum() == pytest.approx(5_576_000.0, rel=1e-12)


@pytest.mark.parametrize(
    "share, total_usd, infra_usd",
    [
        # An H100 at $40,000 (the h100-sxm profile's price); infrastructure 30-40% of the total budget
        # (engine.cost's assumption). 1,024 x $40,000 = $40,960,000 of GPUs. As a share s of the total:
        # total = 40.96M / (1 - s).
        (0.30, 40_960_000 / 0.7, 40_960_000 / 0.7 - 40_960_000),  # 58,514,285.71; infra 17,554,285.71
        (0.40, 40_960_000 / 0.6, 40_960_000 / 0.6 - 40_960_000),  # 68,266,666.67; infra 27,306,666.67
        # The other reading, "another 40 cents for every dollar": markup 0.40 = share 0.4/1.4.
        (0.4 / 1.4, 40_960_000 * 1.4, 16_384_000.0),  # 57,344,000; infra 0.4 x 40.96M
    ],
)
def test_1024_h100_cluster_capex(share, total_usd, infra_usd):
    a = dataclasses.replace(BARE, infra_share=share)
    per_gpu = c.capex_per_gpu(a, 40_000.0)
    assert float(per_gpu["gpu_usd"]) * 1024 == 40_960_000.0
    assert float(per_gpu["total_usd"]) * 1024 == pytest.approx(total_usd, rel=1e-12)
    assert float(per_gpu["infrastructure_usd"]) * 1024 == pytest.approx(infra_usd, rel=1e-12)
    assert float(per_gpu["infrastructure_share_of_total"]) == pytest.approx(share, rel=1e-12)


def test_usd_per_million_tokens_70b_on_h100():
    # A 70B model on an H100 serving 1,000 tokens/s per GPU (aggregate decode) rented at $2.50/GPU-hour, busy
    # every hour: 1,000 x 3,600 = 3.6M tokens per hour -> $2.50 / 3.6 = $0.6944 per 1M tokens.
    assert float(c.usd_per_million_tokens(2.50, 1000.0, 1.0)) == pytest.approx(2.5 / 3.6, rel=1e-12)
    # Busy half the time: the same hour buys half the tokens -> $1.3889.
    assert float(c.usd_per_million_tokens(2.50, 1000.0, 0.5)) == pytest.approx(5.0 / 3.6, rel=1e-12)


# ------------------------------------------------------------------------------------- amortisation


def test_capital_recovery_factor_by_hand():
    # CRF = r / (1 - (1 + r)^-n). r = 8%, n = 5: 1.08^5 = 1.469328077, 1.08^-5 = 0.680583197,
    # 0.08 / 0.319416803 = 0.250456455 (textbook (A/P, 8%, 5) table value 0.2505).
    assert float(c.capital_recovery_factor(0.08, 5)) == pytest.approx(0.250456455, rel=1e-8)
    # r = 0: straight line, 1/n.
    assert float(c.capital_recovery_factor(0.0, 4)) == 0.25
    # vectorised over rates
    np.testing.assert_allclose(c.capital_recovery_factor([0.0, 0.08], 5), [0.2, 0.250456455], rtol=1e-8)


def test_capex_defaults_itemised_by_hand():
    a = c.CostAssumptions()
    p = c.capex_per_gpu(a, 40_000.0)
    # compute = 40,000 + 6,250 = 46,250; infrastructure = 46,250 x 0.35 / 0.65 = 24,903.846;
    # itemised network 5,000 + storage 1,000 (air-cooled: no liquid cooling) -> facility 18,903.846;
    # total = 46,250 / 0.65 = 71,153.846.
    assert float(p["compute_usd"]) == 46_250.0
    assert float(p["infrastructure_usd"]) == pytest.approx(24_903.846153846, rel=1e-10)
    assert float(p["facility_usd"]) == pytest.approx(18_903.846153846, rel=1e-10)
    assert float(p["total_usd"]) == pytest.approx(71_153.846153846, rel=1e-10)
    assert not bool(p["infra_itemised_exceeds_share"])


def test_liquid_cooling_per_cabinet_and_itemised_floor():
    # Seed 000: liquid cooling "over $50,000 per cabinet"; 32 GPUs per cabinet -> $1,562.50 per GPU.
    a = dataclasses.replace(c.CostAssumptions(), liquid_cooled=True)
    assert float(c.capex_per_gpu(a, 40_000.0)["liquid_cooling_usd"]) == 1_562.5
    # A 5% share: top-down 46,250 x 0.05 / 0.95 = 2,434.21 < itemised 5,000 + 1,000 + 1,562.5 = 7,562.5, so
    # infrastructure = 7,562.5, facility 0, and the flag says so.
    p = c.capex_per_gpu(dataclasses.replace(a, infra_share=0.05), 40_000.0)
    assert float(p["infrastructure_usd"]) == 7_562.5
    assert float(p["facility_usd"]) == 0.0
    assert bool(p["infra_itemised_exceeds_share"])


# ------------------------------------------------------------------------------------ opex, buy/rent


def test_break_even_month_by_hand():
    a = dataclasses.replace(BARE, usd_per_kwh=0.10, years=5.0)
    f = c.fleet_costs(
        a, gpus=1, capex_usd_per_gpu=30_000.0, facility_w_per_gpu=1000.0, rent_usd_per_gpu_hour=2.0, months=36
    )
    # electricity: 1 kW x 8,766 h x $0.10 = $876.60/year = $73.05/month.
    assert float(f["electricity_usd_per_year"]) == pytest.approx(876.6, rel=1e-12)
    assert float(f["opex_usd_per_month"]) == pytest.approx(73.05, rel=1e-12)
    # rent: $2 x 730.5 h = $1,461/month; saving $1,387.95/month; break-even 30,000 / 1,387.95 = 21.6146
    # months.
    assert float(f["rent_usd_per_month"]) == pytest.approx(1461.0, rel=1e-12)
    assert float(f["break_even_month"]) == pytest.approx(30_000 / 1387.95, rel=1e-12)
    assert bool(f["pays_back_within_life"])
    # TCO over 36 months: buy 30,000 + 73.05 x 36 = 32,629.80; rent 1,461 x 36 = 52,596.
    assert float(f["tco_buy_usd"]) == pytest.approx(32_629.8, rel=1e-12)
    assert float(f["tco_rent_usd"]) == pytest.approx(52_596.0, rel=1e-12)
    # owned $/GPU-hour: (30,000 / 5 + 876.60) / 8,766 = 6,876.60 / 8,766 = $0.78446.
    assert float(f["owned_usd_per_gpu_hour"]) == pytest.approx(6876.6 / 8766, rel=1e-12)


def test_never_breaks_even_when_rent_is_below_running_cost():
    a = dataclasses.replace(BARE, usd_per_kwh=1.0)
    # 1 kW at $1/kWh = $730.50/month to run; renting at $0.50/h = $365.25/month: buying never pays back.
    f = c.fleet_costs(a, 1, 30_000.0, 1000.0, 0.5, 12)
    assert math.isinf(float(f["break_even_month"]))
    assert not bool(f["pays_back_within_life"])


def test_maintenance_staff_and_cost_of_capital():
    a = dataclasses.replace(
        BARE,
        maintenance_fraction_per_year=0.05,
        staff_usd_per_year=120_000.0,
        cost_of_capital=0.08,
        years=5.0,
        usd_per_kwh=0.0,
    )
    f = c.fleet_costs(a, 100, 50_000.0, 1000.0, 2.0, 12)
    # capex 100 x 50,000 = 5M; maintenance 5% = 250,000/year; staff 120,000/year;
    # amortised 5M x 0.250456455 = 1,252,282.27/year.
    assert float(f["maintenance_usd_per_year"]) == pytest.approx(250_000.0)
    assert float(f["opex_usd_per_year"]) == pytest.approx(370_000.0)
    assert float(f["amortised_capex_usd_per_year"]) == pytest.approx(1_252_282.27, rel=1e-8)


# ------------------------------------------------------------------------------------------ serving


def test_serving_fleet_arithmetic():
    # 100-200 users per GPU -> 1M users need 5,000-10,000 GPUs. At 20 tokens/s per user that is 2,000-4,000
    # aggregate tokens/s per GPU: 1e6 / 100 = 10,000 GPUs; 1e6 / 200 = 5,000 GPUs.
    s = c.serving_fleet(1e6, 20.0, np.array([2000.0, 4000.0]))
    np.testing.assert_array_equal(s["users_per_gpu"], [100.0, 200.0])
    np.testing.assert_array_equal(s["gpus"], [10_000.0, 5_000.0])
    # 3,000 tokens/s per GPU -> 150 users/GPU -> ceil(6,666.7) = 6,667 GPUs.
    assert float(c.serving_fleet(1e6, 20.0, 3000.0)["gpus"]) == 6667.0


def test_serving_fleet_memory_cap_and_replicas():
    # 1,600 tokens/s per GPU / 20 = 80 users by speed, but only 46.375 (371 per 8-GPU replica) fit:
    # replicas = ceil(1e6 / 371) = 2,696 -> 21,568 GPUs.
    s = c.serving_fleet(1e6, 20.0, 1600.0, gpus_per_replica=8, users_fit_per_gpu=371 / 8)
    assert bool(s["memory_bound"])
    assert float(s["replicas"]) == 2696.0
    assert float(s["gpus"]) == 21_568.0


def test_users_per_replica_picks_largest_batch_that_fits_and_is_fast_enough():
    batch = np.arange(1, 7, dtype=float)
    fits = batch <= 5
    speed = np.array([50.0, 40.0, 30.0, 20.0, 10.0, 5.0])  # tokens/s per sequence at each batch
    assert float(c.users_per_replica(fits, speed, 20.0, batch)) == 4.0  # batch 5 fits but is too slow
    assert float(c.users_per_replica(fits, speed, 60.0, batch)) == 0.0  # nothing is fast enough


# ---------------------------------------------------------------------------------------- invariants

prices = st.floats(min_value=0.01, max_value=1e3, allow_nan=False)
hours = st.floats(min_value=1.0, max_value=1e9, allow_nan=False)


@given(prices, prices, hours, hours)
def test_run_cost_monotone_in_price_and_gpu_hours(p1, p2, h1, h2):
    lo_p, hi_p = sorted((p1, p2))
    lo_h, hi_h = sorted((h1, h2))
    assert c.run_cost_usd(lo_h, lo_p) <= c.run_cost_usd(hi_h, lo_p) <= c.run_cost_usd(hi_h, hi_p)


@given(
    st.floats(min_value=1e3, max_value=1e6),
    st.floats(min_value=1e3, max_value=1e6),
    st.floats(min_value=0.0, max_value=0.9),
)
def test_capex_monotone_in_gpu_price(g1, g2, share):
    a = dataclasses.replace(c.CostAssumptions(), infra_share=share)
    lo, hi = sorted((g1, g2))
    assert float(c.capex_per_gpu(a, lo)["total_usd"]) <= float(c.capex_per_gpu(a, hi)["total_usd"])


@given(
    st.floats(min_value=1e3, max_value=2e5),
    st.floats(min_value=0.5, max_value=10.0),
    st.floats(min_value=100.0, max_value=3000.0),
    st.floats(min_value=0.0, max_value=0.5),
)
def test_break_even_consistent(capex, rent, watts, kwh):
    a = dataclasses.replace(BARE, usd_per_kwh=kwh)
    f = c.fleet_costs(a, 8, capex, watts, rent, 1)
    m = float(f["break_even_month"])
    if math.isfinite(m):
        # At the break-even month buying and renting have cost the same; later, buying is cheaper.
        at = c.fleet_costs(a, 8, capex, watts, rent, m)
        assert float(at["tco_buy_usd"]) == pytest.approx(float(at["tco_rent_usd"]), rel=1e-9)
        later = c.fleet_costs(a, 8, capex, watts, rent, m * 1.5 + 1)
        assert float(later["tco_buy_usd"]) < float(later["tco_rent_usd"])
        # A dearer rental pays a purchase back sooner.
        dearer = c.fleet_costs(a, 8, capex, watts, rent * 1.5, 1)
        assert float(dearer["break_even_month"]) < m
    else:
        assert float(f["rent_usd_per_month"]) <= float(f["opex_usd_per_month"])


def test_vectorised_equals_scalar():
    a = c.CostAssumptions()
    gpu_prices = np.array([15_625.0, 40_000.0, 60_000.0])
    vec = c.capex_per_gpu(a, gpu_prices)["total_usd"]
    for i, p in enumerate(gpu_prices):
        assert float(c.capex_per_gpu(a, p)["total_usd"]) == pytest.approx(float(vec[i]))
    f = c.fleet_costs(a, np.array([8, 1024]), vec[1], 1500.0, np.array([[2.0], [3.0]]), 36)
    assert f["break_even_month"].shape == (2, 2)


def test_every_assumption_has_source_and_date():
    for name, info in c.CostAssumptions().sources().items():
        assert info["source"] and info["date"], name


def test_serving_capacity_70b_on_h100_by_hand():
    # Llama-3.1-70B bf16, 4,096-token users at 20 tokens/s, H100 (81,559 MiB = 85,520,809,984 B of device
    # memory). At TP 8 each GPU holds 141,107,412,992 / 8 = 17,638,426,624 B of weights (the roofline splits
    # all weights evenly; the 2.3 MB of norms every rank replicates are below its resolution) and each user's
    # KV cache is 4,096 x 327,680 / 8 = 167,772,160 B per GPU: (85,520,809,984 - 17,638,426,624) / 167,772,160
    # = 404.6 -> 404 users per replica, 50.5 per GPU (the roofline's fit test: weights + KV <= device memory).
    from llmwalls.catalogue import load_gpu, load_model
    from llmwalls.engine.cost import serving_capacity

    cap = serving_capacity(
        load_model("llama-3.1-70b"), load_gpu("h100-sxm"), context_tokens=4096, tokens_per_s_per_user=20
    )
    assert cap["feasible"] and cap["tp"] == 8 and cap["batch_per_replica"] == 404
    assert cap["weights_bytes_per_gpu"] == pytest.approx(17_638_426_624, rel=1e-9)
    assert cap["tokens_per_s_per_user_at_batch"] >= 20
    # Asking for more speed per user than one GPU's bandwidth allows at any batch is infeasible.
    slow = serving_capacity(
        load_model("llama-3.1-70b"), load_gpu("h100-sxm"), context_tokens=4096, tokens_per_s_per_user=10_000
    )
    assert slow["feasible"] is False
