"""llmwalls.api._scaling ("with G GPUs of type X for D days at MFU m, the compute-optimal model and its loss")
and the compute-optimal line of llmwalls.api.cluster, with figures worked out by hand.

Sources: Hoffmann et al. 2022 (arXiv:2203.15556) eq. 2 and 4; Besiroglu et al. 2024, 'Chinchilla Scaling: A
replication attempt' (arXiv:2404.10102) for the default constants (E = 1.8172, A = 482.01, B = 2085.43,
alpha = 0.3478, beta = 0.3658); Kaplan et al. 2020 (arXiv:2001.08361) sec 6.1; NVIDIA H100 SXM datasheet
(989.4 TFLOP/s dense BF16)."""

from __future__ import annotations

import dataclasses

import pytest

from llmwalls import api
from llmwalls.api._scaling import ComputeOptimalReport, compute_optimal
from llmwalls.engine.scaling_laws import METHODS
from llmwalls.errors import InputError


def test_gpu_budget_by_hand():
    # 16,384 H100 SXM x 54 days x 86,400 s x 989.4e12 FLOP/s x 0.40 MFU = 3.02524e25 FLOPs.
    # Corrected Chinchilla fit (eq. 4): G = (0.3478 x 482.01 / (0.3658 x 2085.43))^(1/0.7136) = 0.119630,
    # a = 0.3658 / 0.7136 = 0.512612; C/6 = 5.04207e24, ln = 56.879859, x a = 29.157299, exp = 4.6010e12;
    # N = 0.119630 x 4.6010e12 = 5.5042e11 (550B); D = 5.04207e24 / 5.5042e11 = 9.160e12 tokens.
    r = compute_optimal(gpu="h100-sxm", gpus=16384, days=54, mfu=0.40)
    assert isinstance(r, ComputeOptimalReport)
    assert r.gpu == "h100-sxm" and r.peak_flops_per_s == 989.4e12
    assert r.compute_flops == pytest.approx(3.02524e25, rel=1e-5)
    assert r.method == "chinchilla-refit" == r.optimum.method
    assert r.optimum.params == pytest.approx(5.5042e11, rel=1e-3)
    assert r.optimum.tokens == pytest.approx(9.160e12, rel=1e-3)
    # side by side, in METHODS order; the 20-tokens rule: N = sqrt(3.02524e25 / 120) = 5.0210e11
    assert tuple(m.method for m in r.methods) == METHODS
    rule = next(m for m in r.methods if m.method == "tokens-per-param")
    assert rule.params == pytest.approx(5.0210e11, rel=1e-4)
    assert rule.tokens_per_param == pytest.approx(20.0)
    # every row spends the budget: 6 N D = C (Kaplan et al. 2020 sec 2.1)
    for m in r.methods:
        assert 6 * m.params * m.tokens == pytest.approx(r.compute_flops, rel=1e-9), m.method
    with pytest.raises(dataclasses.FrozenInstanceError):
        r.method = "kaplan"  # type: ignore[misc]


def test_chinchilla_budget_by_flops():
    # 6 x 70e9 x 1.4e12 = 5.88e23: corrected fit 73.0B on 1.342T (worked in test_scaling_laws); Kaplan
    # 1.3e9 x 6805.56^0.73 = 1.3e9 x 628.05 = 8.165e11.
    r = compute_optimal(compute_flops=5.88e23)
    assert r.gpus is None and r.gpu is None
    assert r.optimum.params == pytest.approx(7.302e10, rel=2e-3)
    k = compute_optimal(compute_flops=5.88e23, method="kaplan")
    assert k.optimum.params == pytest.approx(8.165e11, rel=1e-3)


@pytest.mark.parametrize(
    "kwargs,match",
    [
        ({"gpu": "h100-sxm", "gpus": 8}, "give compute_flops"),
        ({"compute_flops": 1e24, "method": "chinchilla-parametric"}, "unknown scaling law"),
        ({"gpu": "h100-sxm", "gpus": 8, "days": 1, "mfu": 1.5}, "MFU"),
        ({"compute_flops": -1.0}, "compute budget"),
    ],
)
def test_bad_input_is_one_line(kwargs, match):
    with pytest.raises(InputError, match=match):
        compute_optimal(**kwargs)


@pytest.fixture(scope="module")
def small_run():
    return api.cluster(
        "8b",
        cluster="dgx-h100",
        gpus=8,
        layout=api.Layout(tp=1, pp=1, dp=8, zero=1, micro_batch=1, recompute=api.Recompute.selective),
        scaling=api.ScalingMode.off,
        scaling_law="kaplan",
    )


def test_cluster_reports_the_chosen_law_and_every_row(small_run):
    opt = small_run.results.compute_optimal
    assert opt.method == "kaplan"
    assert tuple(m.method for m in opt.by_method) == METHODS
    chosen = next(m for m in opt.by_method if m.method == "kaplan")
    assert (opt.params, opt.tokens, opt.loss_at_optimum) == (chosen.params, chosen.tokens, chosen.loss)
    # Kaplan: N = 1.3e9 (C / 8.64e19)^0.73, D = C / (6 N)
    assert opt.params == pytest.approx(1.3e9 * (opt.compute_flops / 8.64e19) ** 0.73, rel=1e-12)
    assert opt.tokens == pytest.approx(opt.compute_flops / (6 * opt.params), rel=1e-12)


def test_cluster_rejects_an_unknown_law_before_searching():
    with pytest.raises(InputError, match="unknown scaling law 'foo'"):
        api.cluster("8b", gpus=8, scaling="off", scaling_law="foo")
