"""The shapes every question shares: the wall object, the number formats, the notices collector."""

import math

import pytest

from llmwalls import notices
from llmwalls.api.types import WALL_LABELS, Wall
from llmwalls.render import numbers


def test_a_ceiling_is_hit_above_its_limit():
    # 135.0 GiB of weights + KV + reserve against 71.7 GiB usable: 1.88x, hit.
    w = Wall.of("memory_capacity", 144_999_727_104.0, 76_968_728_985.6, "bytes")
    assert w.utilization == pytest.approx(144_999_727_104.0 / 76_968_728_985.6)
    assert w.hit and w.label == "memory capacity"


def test_a_minimum_target_is_oriented_like_a_ceiling():
    # Wanting 150 tokens/s where 142.2 are achievable is a miss: target / achievable = 1.0549 > 1.
    w = Wall.of("decode_tokens_per_s", 150.0, 142.2, "tokens/s")
    assert w.utilization == pytest.approx(150 / 142.2) and w.hit
    met = Wall.of("decode_tokens_per_s", 100.0, 142.2, "tokens/s")
    assert met.utilization == pytest.approx(100 / 142.2) and not met.hit


@pytest.mark.parametrize("limit", [None, math.inf, math.nan])
def test_a_wall_without_a_limit_is_not_hit(limit):
    w = Wall.of("site_power", 1.2e6, limit, "W")
    assert w.limit is None and w.utilization is None and not w.hit


def test_hit_is_exactly_utilization_above_one():
    for demand, limit in [(1.0, 1.0), (1.0000001, 1.0), (0.0, 5.0), (3.0, 0.0)]:
        w = Wall.of("cost", demand, limit, "USD")
        assert w.hit == (w.utilization is not None and w.utilization > 1)


def test_unknown_wall_identifier_is_refused():
    with pytest.raises(ValueError, match="unknown wall"):
        Wall.of("power", 1.0, 2.0, "W")
    assert "site_power" in WALL_LABELS


@pytest.mark.parametrize(
    ("value", "unit", "text"),
    [
        (3.35e12, "B/s", "3.35 TB/s"),  # H100 SXM HBM3 datasheet bandwidth
        (989.4e12, "FLOP/s", "989 TFLOP/s"),
        (999.7e12, "FLOP/s", "1.00 PFLOP/s"),  # rounds up into the next prefix
        (26_954_729, "", "27.0M"),
        (0.5, "s", "0.500 s"),
    ],
)
def test_si_three_significant_figures(value, unit, text):
    assert numbers.si(value, unit) == text


@pytest.mark.parametrize(
    ("n", "text"),
    [
        (144_999_727_104, "135 GiB"),  # 144,999,727,104 / 2^30 = 135.04
        (76_968_728_985.6, "71.7 GiB"),  # 76,968,728,985.6 / 2^30 = 71.68
        (1.2e12, "1.09 TiB"),  # 1.2e12 / 2^40 = 1.0914
        (512, "512 B"),
    ],
)
def test_capacities_are_iec(n, text):
    assert numbers.iec_bytes(n) == text


def test_money_percent_duration():
    assert numbers.usd(72_860_000) == "$72.9M"
    assert numbers.usd(2.5) == "$2.50"
    assert numbers.percent(0.5123) == "51.2%"
    assert numbers.duration(0.041) == "41.0 ms"
    assert numbers.duration(45.1 * 86_400) == "45.1 days"
    assert numbers.sig(math.nan) == "n/a"


def test_notices_are_collected_not_printed(capsys):
    notices.warn("dropped: nobody collects")
    with notices.collecting() as outer:
        notices.note("model '70b' -> llama-3.1-70b")
        with notices.collecting() as inner:
            notices.warn("context above the maximum")
        assert inner.warnings == ["context above the maximum"]
    assert outer.warnings == ["context above the maximum"]
    assert outer.notes == ["model '70b' -> llama-3.1-70b"]
    assert capsys.readouterr() == ("", "")
