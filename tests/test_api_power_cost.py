"""The power and cost questions called as a library (llmwalls.api), with values worked by hand, and the wall
invariant: every wall is hit exactly when its utilisation is above 1."""

from __future__ import annotations

import pytest

from llmwalls import api

# Defaults (llmwalls.engine.power.PowerAssumptions, no cluster profile): idle 0.10 x TDP, 8-GPU nodes with
# 4,600 W of overhead (DGX H100 datasheet: 10.2 kW max - 8 x 700 W), 64-port 1,720 W switches, PUE 1.58 (air).


def test_power_1024_h100_against_a_1_mw_site():
    r = api.power("h100", gpus=1024, site_w=1e6)
    c = r.results.cluster
    # 128 nodes x (8 x 700 + 4,600) W = 1,305,600 W; 1,024 NICs on 64-port switches: 2 tiers,
    # 1,024 / 32 + 1,024 / 64 = 48 switches x 1,720 W = 82,560 W; IT 1,388,160 W; x 1.58 = 2,193,292.8 W.
    assert c.nodes == 128 and c.switches == 48
    assert c.it_w == pytest.approx(1_388_160.0)
    assert c.facility_w == pytest.approx(2_193_292.8)
    (site,) = r.walls
    assert site.wall == "site_power" and site.hit and site.utilization == pytest.approx(2.1932928)
    # 58 nodes: (591,600 + 23 x 1,720) x 1.58 = 997,232.8 W fits; 59 nodes: 1,013,348.8 W does not.
    assert r.results.site is not None and r.results.site.max_gpus == 464
    assert r.inputs.gpu == "h100-sxm" and r.inputs.pue_source == "air cooling default"


def test_power_site_cap_below_one_node_is_a_hit_wall():
    # One node at the facility: (8 x 700 + 4,600) x 1.58 = 16,116 W against 10 kW.
    r = api.power("h100", site_w=10e3)
    (site,) = r.walls
    assert site.hit and site.utilization == pytest.approx(1.6116)
    assert r.results.site is not None and r.results.site.max_gpus == 0
    assert any("smaller than one 8-GPU node" in w for w in r.warnings)


def test_power_rack_limit_given_is_a_wall():
    # 40 kW racks: floor(40,000 / 10,200) = 3 nodes = 30,600 W per rack, under the limit.
    r = api.power("h100", gpus=1024, rack_limit_w=40e3)
    (rack,) = r.walls
    assert rack.wall == "rack_power" and not rack.hit
    assert rack.demand == pytest.approx(30_600.0) and rack.utilization == pytest.approx(30_600 / 40_000)
    assert r.results.cluster.racks == 43  # ceil(128 / 3)


def test_power_energy_of_gpu_hours_with_carbon():
    # Llama 3.1 8B model card: 1.46M H100 GPU-hours at 700 W = 1,022,000 kWh; x 423.5 g/kWh = 432.8 t.
    r = api.power("h100", gpu_hours=1.46e6, grid_g_per_kwh=423.5)
    e = r.results.energy
    assert e is not None and e.gpu.energy_kwh == pytest.approx(1_022_000.0)
    assert e.gpu.carbon_g == pytest.approx(1_022_000.0 * 423.5)


def test_cost_deepseek_v3_run():
    # DeepSeek-V3 Technical Report (arXiv:2412.19437), Table 1: 2.788M H800 GPU-hours x $2 = $5.576M.
    r = api.cost(gpu="h800", gpu_hours=2.788e6, rent_usd_per_gpu_hour=2.0)
    assert r.results.run is not None and r.results.run.rent_usd == pytest.approx(5_576_000.0, rel=1e-12)
    assert r.results.rent.source == "given" and r.results.rent.known
    assert r.walls == ()


def test_cost_1024_h100_bought_for_36_months_against_a_budget():
    r = api.cost(gpu="h100", gpus=1024, budget_usd=60e6)
    # Capex per GPU: (40,000 GPU + 6,250 server) / (1 - 0.35 infrastructure share) = 71,153.846;
    # x 1,024 = 72,861,538.46 ($72.9M).
    capex = (40_000 + 6_250) / 0.65 * 1024
    assert r.results.fleet.capex_usd == pytest.approx(capex, rel=1e-12)
    # Electricity at 60% utilisation: 70 + 0.6 x 630 = 448 W per GPU; 128 nodes x (8 x 448 + 4,600) W =
    # 1,047,552 W + 48 switches x 1,720 W = 1,130,112 W IT; x 1.58 = 1,785,576.96 W; x 8,766 h/year / 1,000
    # x $0.08/kWh = $1,252,189.41 a year. Maintenance 5% of capex a year. TCO over 36 months (3 years):
    # capex + 3 x (electricity + maintenance) = $87.55M.
    electricity = 1_785_576.96 * 8766 / 1000 * 0.08
    tco = capex + 3 * (electricity + 0.05 * capex)
    assert r.results.fleet.tco_buy_usd == pytest.approx(tco, rel=1e-9)
    (wall,) = r.walls
    assert wall.wall == "cost" and wall.unit == "USD" and wall.hit
    assert wall.utilization == pytest.approx(tco / 60e6, rel=1e-9)
    assert r.results.budget is not None and r.results.budget.plan == api.Plan.buy


def test_cost_usd_per_million_tokens():
    # $2.50/GPU-hour / (1,000 tokens/s x 3,600 s x 1.0 busy) x 10^6 = $0.6944 per 1M tokens.
    from llmwalls.engine.cost import CostAssumptions

    r = api.cost(
        gpu="h100",
        tokens_per_s=1000.0,
        rent_usd_per_gpu_hour=2.5,
        assumptions=CostAssumptions(utilization=1.0),
    )
    assert r.results.tokens is not None
    assert r.results.tokens.rent_usd_per_million_tokens == pytest.approx(2.5 / 3.6, rel=1e-12)


def test_cost_gpu_without_a_price_never_borrows_another():
    # The h800-sxm profile has no public purchase price: the buy side is unknown, never an H100's $40,000;
    # the rent side still comes from its price profile (DeepSeek-V3's assumed $2/GPU-hour).
    import math

    r = api.cost(gpu="h800", gpus=8)
    price = r.results.gpu_unit_price
    assert not price.known and price.usd is not None and math.isnan(price.usd)
    assert "no public purchase price" in price.source and any(
        "no public purchase price" in w for w in r.warnings
    )
    assert math.isnan(r.results.fleet.capex_usd) and r.results.fleet.break_even_month is None
    assert r.results.rent.known and r.results.rent.usd == 2.0
    assert not any("seed" in text for text in (*r.warnings, price.source))


def test_cost_gpu_without_a_rental_price_is_refused():
    from llmwalls.errors import InputError

    with pytest.raises(InputError, match="no public rental price"):
        api.cost(gpu="l40s", gpus=8, gpu_price_usd=9000.0)


@pytest.mark.parametrize(
    "report",
    [
        lambda: api.power("h100", gpus=1024, site_w=1e6, rack_limit_w=8e3),
        lambda: api.power("h100", gpus=1024, site_w=2.5e6, rack_limit_w=40e3),
        lambda: api.power("h100", site_w=16_116.0),  # exactly at the cap: utilisation 1, not hit
        lambda: api.cost(gpu="h100", gpus=1024, budget_usd=60e6),
        lambda: api.cost(gpu="h100", gpus=1024, budget_usd=100e6),
        lambda: api.cost(gpu="h100", gpus=8, budget_usd=1e6, budget_per_month=True, plan="rent"),
    ],
)
def test_every_wall_is_hit_exactly_above_utilization_one(report):
    walls = report().walls
    assert walls
    for w in walls:
        assert w.hit == (w.utilization is not None and w.utilization > 1), w


def test_site_figures_have_one_home():
    # walls, power and cost all read engine.power.site_for; engine.walls re-exports it for older callers.
    from llmwalls.engine import power, walls

    assert walls.site_for is power.site_for and walls.Site is power.Site
