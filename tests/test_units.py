import math

import pytest

from llmwalls.errors import InputError
from llmwalls.render.numbers import iec_bytes
from llmwalls.units import GiB, parse_bytes, parse_count, parse_fraction, parse_tokens


def test_bytes_decimal_and_binary_are_distinct():
    assert parse_bytes("80GB") == 80e9
    assert parse_bytes("80GiB") == 80 * 2**30
    assert parse_bytes("141 GB") == 141e9


@pytest.mark.parametrize("text", ["80G", "80g", "1T"])
def test_ambiguous_size_is_refused_with_a_question(text):
    with pytest.raises(InputError, match="ambiguous"):
        parse_bytes(text)


def test_token_suffixes_are_binary_like_model_cards():
    assert parse_tokens("4k") == 4096
    assert parse_tokens("128k") == 131072  # Llama 3.1's "128K" context is 131,072 tokens
    assert parse_tokens("1M") == 1048576
    assert parse_tokens("2048") == 2048


def test_counts_are_decimal():
    assert parse_count("1M") == 1e6
    assert parse_count("15T") == 15e12
    assert parse_count("15e12") == 15e12


@pytest.mark.parametrize("bad", ["0", "-1", "nan", "inf", "abc", "1e400", "2.5"])
def test_bad_token_counts(bad):
    with pytest.raises(InputError):
        parse_tokens(bad)


@pytest.mark.parametrize("bad", ["0", "-3", "nan", "inf", "1e30", "x"])
def test_bad_counts(bad):
    with pytest.raises(InputError):
        parse_count(bad)


def test_fraction():
    assert parse_fraction("85%", "x") == pytest.approx(0.85)
    assert parse_fraction("0.5", "x") == 0.5
    for bad in ("0", "1.2", "-0.1", "nan"):
        with pytest.raises(InputError):
            parse_fraction(bad, "x")


def test_iec_formatting():
    assert iec_bytes(80e9) == "74.5 GiB"  # 80e9 / 2**30 = 74.506 -> 3 significant figures
    assert iec_bytes(GiB) == "1.00 GiB"  # exactly 1 GiB, 3 significant figures
    assert not math.isnan(GiB)


@pytest.mark.parametrize("parse", [parse_count, parse_tokens, parse_bytes])
def test_negative_values_are_called_negative_not_text(parse):
    with pytest.raises(InputError, match="greater than zero"):
        parse("-1" if parse is not parse_bytes else "-1GB", "x")
