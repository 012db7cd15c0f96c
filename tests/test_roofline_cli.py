"""`llmwalls roofline` end to end: tables, chart, JSON, --check, --plot, bad input."""

from __future__ import annotations

import importlib.util

import pytest

HAS_MPL = importlib.util.find_spec("matplotlib") is not None


def test_tables_summary_chart_and_wall_line(cli):
    r = cli("roofline", "--model", "llama-2-70b", "--gpu", "h100", "--tp", "2")
    assert r.exit_code == 0, r.stderr
    out = r.stdout
    for text in (
        "prefill per GPU",
        "decode per GPU",
        "QKV projections",
        "attention (scores, context, KV)",
        "MLP (dense, shared)",
        "LM head",
        "TP all-reduces",
        "summary",
        "machine balance 295 FLOP/byte",
    ):
        assert text in out, text
    # The chart: both roofs, the ridge, phase points and the legend.
    assert "/ bandwidth roof" in out and "- compute roof" in out and "+ ridge" in out
    assert "P PREFILL (whole phase)" in out and "D DECODE (whole phase)" in out
    # The wall line names both verdicts.
    assert "bandwidth: decode is memory-bound at" in out
    assert "of 3.35 TB/s" in out  # the H100 SXM datasheet HBM3 bandwidth, 3 significant figures
    assert "compute: prefill is compute-bound" in out


def test_no_chart(cli):
    r = cli("roofline", "--model", "llama-2-7b", "--gpu", "h100", "--no-chart")
    assert r.exit_code == 0
    assert "+ ridge" not in r.stdout


def test_json_every_figure_in_si(cli):
    r = cli(
        "roofline",
        "--model",
        "llama-2-70b",
        "--gpu",
        "h100",
        "--tp",
        "2",
        "--batch",
        "1",
        "--batch",
        "8",
        "--prompt",
        "4k",
        "--output-tokens",
        "512",
        "--bandwidth-efficiency",
        "1",
        "--flops-efficiency",
        "1",
        "--json",
    )
    assert r.exit_code == 0, r.stderr
    doc = r.json()
    assert doc["schema"] == "llmwalls.roofline"
    assert doc["inputs"]["prompt_tokens"] == 4096
    # Default decode context = prompt + output/2 = 4,096 + 256.
    assert doc["inputs"]["context_tokens"] == [4352]
    rows = doc["results"]["rows"]
    assert [row["batch"] for row in rows] == [1, 8]
    first = rows[0]
    assert doc["results"]["roofs"]["machine_balance_flops_per_byte"] == pytest.approx(989.4e12 / 3.35e12)
    # tp=2, full bandwidth: 137.43e9 B / 2 / 3.35e12 = 20.5 ms of weights + KV at 4,352 tokens
    # (4,352 x 327,680 B / 2 = 0.713 GB -> 0.21 ms) + 160 all-reduces of 16 KiB at 25 µs + 16,384 / 360e9
    # each (4.01 ms) = 24.7 ms.
    assert first["time_per_output_token_s"] == pytest.approx(0.0205 + 0.00021 + 0.00401, rel=0.01)
    assert set(first["decode"]["operators"]) == {"qkv", "attention", "attn_out", "mlp", "experts", "lm_head"}
    names = {w["wall"] for w in doc["walls"]}
    assert {"memory_bandwidth", "compute", "memory_capacity"} <= names


def test_check_min_tokens_per_s(cli):
    # Llama-2-7B bf16 on one H100 at the default 0.65 bandwidth efficiency: 13.2 GB of weights /
    # (3.35e12 x 0.65) = 6.1 ms -> ~160 tokens/s, comfortably above 100 and far below 1,000.
    ok = cli(
        "roofline",
        "--model",
        "llama-2-7b",
        "--gpu",
        "h100",
        "--check",
        "--min-tokens-per-s",
        "100",
        "--no-chart",
    )
    assert ok.exit_code == 0, ok.stdout + ok.stderr
    low = cli(
        "roofline",
        "--model",
        "llama-2-7b",
        "--gpu",
        "h100",
        "--check",
        "--min-tokens-per-s",
        "1000",
        "--no-chart",
    )
    assert low.exit_code == 1
    assert "(wall hit)" in low.stdout
    # Without --check the same shortfall is reported but exits 0.
    assert cli("roofline", "--model", "llama-2-7b", "--min-tokens-per-s", "1000", "--no-chart").exit_code == 0


def test_memory_does_not_fit_is_flagged(cli):
    r = cli("roofline", "--model", "llama-2-70b", "--gpu", "h100", "--no-chart")
    assert r.exit_code == 0
    assert "does not fit" in r.stderr
    assert "NO" in r.stdout
    assert cli("roofline", "--model", "llama-2-70b", "--gpu", "h100", "--no-chart", "--check").exit_code == 1


@pytest.mark.skipif(not HAS_MPL, reason="matplotlib not installed")
@pytest.mark.parametrize("suffix", ["png", "svg"])
def test_plot_writes_image(cli, tmp_path, suffix):
    out = tmp_path / f"roof.{suffix}"
    r = cli(
        "roofline", "--model", "mixtral-8x7b", "--gpu", "h100", "--tp", "2", "--plot", str(out), "--no-chart"
    )
    assert r.exit_code == 0, r.stderr
    data = out.read_bytes()
    assert data.startswith(b"\x89PNG") if suffix == "png" else b"<svg" in data[:2000]


def test_plot_without_matplotlib(cli, tmp_path, monkeypatch):
    import builtins

    real_import = builtins.__import__

    def fake_import(name, *args, **kwargs):
        if name == "matplotlib" or name.startswith("matplotlib."):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", fake_import)
    r = cli("roofline", "--model", "llama-2-7b", "--plot", str(tmp_path / "x.png"))
    assert r.exit_code == 2
    assert r.stderr.strip().splitlines()[-1] == (
        "llmwalls: error: matplotlib is not installed: pip install 'llmwalls[plot]'"
    )


A100_NO_FP8 = """
kind = "gpu"
name = "a100-no-fp8"
source = "test: NVIDIA A100 80GB SXM datasheet figures, no fp8 tensor cores"
vendor = "nvidia"
hbm_bytes = 80e9
hbm_bandwidth_bytes_per_s = 2039e9
tdp_w = 400.0
[peak_flops_per_s]
bf16 = 312e12
int8 = 624e12
"""


@pytest.mark.parametrize(
    "args",
    [
        ("--batch", "0"),
        ("--batch", "-3"),
        ("--prompt", "-5"),
        ("--prompt", "0"),
        ("--output-tokens", "nan"),
        ("--context", "0"),
        ("--tp", "0"),
        ("--weights", "fp7"),
        ("--kv-dtype", "int3"),
        ("--bandwidth-efficiency", "1.5"),
        ("--flops-efficiency", "0"),
        ("--min-tokens-per-s", "-1"),
        ("--plot", "chart.pdf"),
        ("--gpu", "h100-typo-xyz"),
        ("--weights", "fp8", "--gpu", "a100-80gb-sxm"),
    ],
)
def test_bad_input_one_line_exit_2(cli, args):
    r = cli("roofline", "--model", "llama-2-7b", *args)
    assert r.exit_code == 2, (args, r.stdout, r.stderr)
    errors = [line for line in r.stderr.splitlines() if line.startswith("llmwalls: error:")]
    assert len(errors) == 1, r.stderr
    assert "Traceback" not in r.stderr


def test_fp8_refused_on_a_gpu_without_fp8(cli, tmp_path):
    path = tmp_path / "a100-no-fp8.toml"
    path.write_text(A100_NO_FP8)
    r = cli("roofline", "--model", "llama-2-7b", "--gpu", str(path), "--weights", "fp8")
    assert r.exit_code == 2
    assert "no fp8 tensor-core peak" in r.stderr


def test_allreduce_overrides(cli):
    # Llama-3.1-70B decode at TP 8: 2 all-reduces per layer x 80 layers = 160 per token (Megatron-LM sec 3),
    # so raising the fixed latency from 10 to 25 µs adds 160 x 15 µs = 2.4 ms per output token.
    def tpot(*extra):
        r = cli("roofline", "--model", "70b", "--gpu", "h100", "--tp", "8", "--json", *extra)
        assert r.exit_code == 0, r.stderr
        return r.json()["results"]["rows"][0]["time_per_output_token_s"]

    assert tpot("--allreduce-latency-us", "25") - tpot("--allreduce-latency-us", "10") == pytest.approx(
        160 * 15e-6, rel=1e-6
    )
    # A lower achievable link fraction can only make the all-reduces slower.
    assert tpot("--allreduce-link-efficiency", "0.4") > tpot("--allreduce-link-efficiency", "0.8")
    bad = cli("roofline", "--model", "70b", "--allreduce-link-efficiency", "2")
    assert bad.exit_code == 2 and "--allreduce-link-efficiency" in bad.stderr
