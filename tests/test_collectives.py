"""Collective cost model: nccl-tests conventions, hand-worked times, the measured busbw cases it is calibrated
on, and invariants."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from llmwalls.engine import collectives as c

H100_NVLINK = 450e9  # per GPU, one direction (NVLink 4: 900 GB/s bidirectional)
NVLINK_LAT = 3.4e-6
IB_NDR = 50e9  # 400 Gb/s per GPU
IB_LAT = 9.6e-6


def _tiers(nvls: bool = False) -> c.Tiers:
    eff = c.LinkEfficiency()
    return c.Tiers(
        domain_gpus=8,
        up_bandwidth_bytes_per_s=H100_NVLINK,
        up_latency_s=NVLINK_LAT,
        up_efficiency=eff.nvlink,
        out_bandwidth_bytes_per_s=IB_NDR,
        out_latency_s=IB_LAT,
        out_efficiency=eff.infiniband,
        nvls=nvls,
    )


def test_busbw_factors_are_nccl_tests():
    # NVIDIA/nccl-tests doc/PERFORMANCE.md: 2(n-1)/n and (n-1)/n
    assert c.busbw_factor("allreduce", 8) == pytest.approx(2 * 7 / 8)
    assert c.busbw_factor("allgather", 8) == pytest.approx(7 / 8)
    assert c.busbw_factor("reducescatter", 8) == pytest.approx(7 / 8)
    assert c.busbw_factor("alltoall", 8) == pytest.approx(7 / 8)
    assert c.busbw_factor("p2p", 8) == pytest.approx(1.0)


def test_allreduce_1gb_over_8_h100_at_assumed_busbw():
    # Hand-worked: assumed busbw = 450 GB/s x 0.80 = 360 GB/s.
    # t = 1e9 x 2 x 7/8 / 360e9 + 2 x 7 x 3.4 us = 4.8611 ms + 0.0476 ms = 4.9087 ms
    busbw = 450e9 * 0.80
    expected = 1e9 * 2 * 7 / 8 / busbw + 2 * 7 * NVLINK_LAT
    assert expected == pytest.approx(4.9087e-3, rel=1e-4)
    t = c.allreduce_time_s(1e9, 8, H100_NVLINK, NVLINK_LAT, efficiency=0.80)
    assert float(t) == pytest.approx(expected, rel=1e-12)
    # the same through the tier placement: 8 ranks, stride 1, all inside one NVLink domain
    assert float(c.hierarchical_time_s("allreduce", 1e9, 8, 1, _tiers())) == pytest.approx(
        expected, rel=1e-12
    )
    # and nccl-tests would report busbw = algbw x 2(n-1)/n = 360 GB/s without the latency term
    t0 = c.allreduce_time_s(1e9, 8, H100_NVLINK, 0.0, efficiency=0.80)
    assert float(c.busbw_bytes_per_s("allreduce", 1e9, t0, 8)) == pytest.approx(360e9)


# Measured nccl-tests all-reduce busbw, 16 GiB, one 8-GPU node:
# stas00/ml-engineering @744d01e18b79512572f64a6bbd8b5f4a725203a7,
# network/README.md and network/benchmarks/README.md
MEASURED = [
    # (case id, link bandwidth one direction, measured busbw, algorithm)
    ("mleng_a100_node_allreduce", 300e9, 234.89e9, "ring"),  # 8x A100, NVLink 3
    ("mleng_h200_node_allreduce_ring", 450e9, 367.61e9, "ring"),  # 8x H200, NCCL_NVLS_ENABLE=0
    ("mleng_h200_node_allreduce_nvls", 450e9, 482.26e9, "nvls"),  # 8x H200, NVLink SHARP
]


@pytest.mark.parametrize("case, link, busbw, algorithm", MEASURED)
def test_default_efficiencies_reproduce_measured_busbw(case, link, busbw, algorithm):
    eff = c.LinkEfficiency()
    size = 16 * 2**30
    e = eff.nvls_algbw if algorithm == "nvls" else eff.nvlink
    t = c.allreduce_time_s(size, 8, link, NVLINK_LAT, efficiency=e, algorithm=algorithm)
    predicted = float(c.busbw_bytes_per_s("allreduce", size, t, 8))
    assert predicted == pytest.approx(busbw, rel=0.03), case


def test_nvls_busbw_exceeds_the_wire():
    # In-switch reduction: each GPU sends S once and receives S once, but busbw still multiplies algbw by
    # 2(n-1)/n = 1.75, so 0.612 x 450 x 1.75 = 482 GB/s > 450 GB/s wire (case mleng_h200_node_allreduce_nvls).
    size = 16 * 2**30
    t = c.allreduce_time_s(size, 8, 450e9, 0.0, efficiency=c.LinkEfficiency().nvls_algbw, algorithm="nvls")
    assert float(c.busbw_bytes_per_s("allreduce", size, t, 8)) > 450e9


def test_tree_beats_ring_for_small_messages_on_many_ranks():
    ring = c.allreduce_time_s(1e3, 1024, IB_NDR, IB_LAT)
    tree = c.allreduce_time_s(1e3, 1024, IB_NDR, IB_LAT, algorithm="tree")
    # ring: 2 x 1023 latency steps = 19.6 ms; tree: 2 x log2(1024) = 20 steps = 0.19 ms
    assert float(ring) == pytest.approx(2 * 1023 * IB_LAT + 1e3 * 2 * 1023 / 1024 / IB_NDR)
    assert float(tree) == pytest.approx(20 * IB_LAT + 1e3 * 2 * 1023 / 1024 / IB_NDR)


def test_flat_group_across_nodes_uses_the_network():
    # 4 ranks, 8 apart (one per node, TP 8 inside): a flat ring on IB at 0.85 efficiency.
    # t = 1e9 x 2 x 3/4 / (50e9 x 0.85) + 2 x 3 x 9.6 us
    expected = 1e9 * 1.5 / (50e9 * 0.85) + 6 * IB_LAT
    assert float(c.hierarchical_time_s("allreduce", 1e9, 4, 8, _tiers())) == pytest.approx(expected)


def test_hierarchical_allreduce_two_levels_pipelined():
    # 2 nodes x 8 H100, all-reduce of 1 GB, stride 1: k = 8 per node, g = 2 nodes. By hand:
    #   inside (reduce-scatter + all-gather on NVLink at 450 x 0.80 = 360 GB/s):
    #       bandwidth 2 x 1e9 x 7/8 / 360e9 = 4.8611 ms        latency 2 x 7 x 3.4 us = 47.6 us
    #   across (all-reduce of S/8 = 125 MB over 2 nodes, IB at 50 x 0.85 = 42.5 GB/s per GPU):
    #       bandwidth 125e6 x 2 x 1/2 / 42.5e9 = 2.9412 ms     latency 2 x 1 x 9.6 us = 19.2 us
    #   pipelined (Hu et al. 2025; NCCL 4 MiB chunks): N = 1e9 / 4,194,304 = 238.4 chunks
    #       t = 47.6 us + 19.2 us + max(4.8611, 2.9412) ms + 2.9412 ms / 238.4
    #         = 0.0668 + 4.8611 + 0.0123 = 4.9403 ms      (the serial sum was 7.8690 ms)
    #   nccl-tests busbw = 1e9 x 2 x 15/16 / 4.9403 ms = 379.5 GB/s (NVLink-bound)
    up, out = 450e9 * 0.80, 50e9 * 0.85
    inside_bw, inside_lat = 2 * 1e9 * 7 / 8 / up, 2 * 7 * NVLINK_LAT
    across_bw, across_lat = (1e9 / 8) * 2 * 1 / 2 / out, 2 * 1 * IB_LAT
    expected = (
        inside_lat + across_lat + max(inside_bw, across_bw) + min(inside_bw, across_bw) * 4 * 2**20 / 1e9
    )
    assert expected == pytest.approx(4.9403e-3, rel=1e-4)
    t = float(c.hierarchical_time_s("allreduce", 1e9, 16, 1, _tiers()))
    assert t == pytest.approx(expected, rel=1e-12)
    assert float(c.busbw_bytes_per_s("allreduce", 1e9, t, 16)) == pytest.approx(379.5e9, rel=1e-3)
    serial = inside_bw + inside_lat + across_bw + across_lat
    assert serial == pytest.approx(7.8690e-3, rel=1e-4)


def test_pipelined_time_by_hand():
    # S <= one chunk: nothing overlaps, the serial sum. 1 MiB, tiers 2 ms and 3 ms, 10 us latency.
    assert float(c.pipelined_time_s(2**20, 2e-3, 3e-3, 10e-6)) == pytest.approx(5.01e-3)
    # 400 MiB = 100 chunks of 4 MiB: 3 ms + 2 ms / 100 + 10 us = 3.03 ms
    assert float(c.pipelined_time_s(400 * 2**20, 2e-3, 3e-3, 10e-6)) == pytest.approx(3.03e-3)
    # zero bytes: latency only
    assert float(c.pipelined_time_s(0.0, 0.0, 0.0, 10e-6)) == pytest.approx(10e-6)


def test_multinode_allgather_pipelined():
    # all-gather of 1 GB output over 16 ranks (2 nodes): inside (8 ranks) on 1 GB, across (2 nodes) on S/8.
    #   inside 1e9 x 7/8 / 360e9 = 2.4306 ms + 7 x 3.4 us; across 125e6 x 1/2 / 42.5e9 = 1.4706 ms + 9.6 us
    #   t = 23.8 us + 9.6 us + 2.4306 ms + 1.4706 ms x 4 MiB / 1 GB = 2.4701 ms
    inside, across = 1e9 * 7 / 8 / 360e9, 125e6 * 0.5 / 42.5e9
    expected = 7 * NVLINK_LAT + IB_LAT + inside + across * 4 * 2**20 / 1e9
    assert float(c.hierarchical_time_s("allgather", 1e9, 16, 1, _tiers())) == pytest.approx(expected)
    assert expected == pytest.approx(2.4701e-3, rel=1e-4)


@settings(max_examples=60, deadline=None)
@given(
    size=st.floats(1.0, 1e11),
    n=st.sampled_from([16, 32, 64, 128]),
    op=st.sampled_from(["allreduce", "allgather"]),
)
def test_pipelined_between_slowest_tier_and_serial_sum(size, n, op):
    # pipelining can hide the faster tier, never the slower one, and never costs more than running in series
    tiers = _tiers()
    t = float(c.hierarchical_time_s(op, size, n, 1, tiers))
    g = n / 8
    inside_ops = ("reducescatter", "allgather") if op == "allreduce" else (op,)
    inside = sum(
        float(c.collective_time_s(o, size, 8, H100_NVLINK, NVLINK_LAT, efficiency=0.80)) for o in inside_ops
    )
    across = float(c.collective_time_s(op, size / 8, g, IB_NDR, IB_LAT, efficiency=0.85))
    assert t <= inside + across * (1 + 1e-12)
    assert t >= max(inside, across) * (1 - 1e-12)


def test_group_of_one_costs_nothing():
    assert float(c.allreduce_time_s(1e9, 1, IB_NDR, IB_LAT)) == 0.0
    assert float(c.hierarchical_time_s("allgather", 1e9, 1, 8, _tiers())) == 0.0


def test_vectorised_equals_scalar():
    sizes = np.array([1e3, 1e6, 1e9, 3e9])
    ns = np.array([2, 8, 64, 1024])
    strides = np.array([1, 1, 8, 2])
    for op in ("allreduce", "allgather", "reducescatter", "alltoall", "p2p"):
        vec = c.hierarchical_time_s(op, sizes, ns, strides, _tiers())
        for i in range(len(sizes)):
            one = c.hierarchical_time_s(op, float(sizes[i]), int(ns[i]), int(strides[i]), _tiers())
            assert float(vec[i]) == pytest.approx(float(one), rel=1e-12)


@settings(max_examples=60, deadline=None)
@given(
    size=st.floats(1.0, 1e11), n=st.integers(2, 4096), bw=st.floats(1e9, 1e12), factor=st.floats(0.05, 1.0)
)
def test_less_bandwidth_never_faster(size, n, bw, factor):
    for op in ("allreduce", "allgather", "reducescatter", "alltoall", "p2p"):
        fast = c.collective_time_s(op, size, n, bw, 5e-6)
        slow = c.collective_time_s(op, size, n, bw * factor, 5e-6)
        assert float(slow) >= float(fast)


@settings(max_examples=60, deadline=None)
@given(size=st.floats(1.0, 1e10), n=st.integers(2, 4096), stride=st.sampled_from([1, 2, 4, 8, 16]))
def test_more_bytes_never_faster(size, n, stride):
    for op in ("allreduce", "allgather", "alltoall"):
        a = c.hierarchical_time_s(op, size, n, stride, _tiers())
        b = c.hierarchical_time_s(op, size * 2, n, stride, _tiers())
        assert float(b) >= float(a)
