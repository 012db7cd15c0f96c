"""Torus collectives (TPU ICI, NeuronLink): hand-worked values from the model of J. Austin et al., 'How to
Scale Your Model' (Google DeepMind 2025), part 3 'Sharded Matrices': AllGather over a bidirectional ring
T = V / (2B), over d axes / d; AllReduce twice that; AllToAll = the bisection bound S k_max / (8 B)."""

from __future__ import annotations

import numpy as np
import pytest

from llmwalls.engine import collectives as c

V5P_POD = (16, 20, 28)  # scaling book, part 2, table of pod sizes
LINK = 1e11  # TPU v5p ICI, one link, one direction (scaling book, part 2)
HOP = 1e-6  # about 1 us per ICI hop (scaling book, part 3)


def test_group_dims_fill_the_torus_inner_groups_first():
    # 16 consecutive chips: the whole first axis. 320 = 16 x 20: the first two axes.
    # 20 members 16 apart: the first axis is taken by the inner group, so the second axis (20).
    # 28 members 320 apart: the third axis. 3 does not divide 16: leftover on the first axis.
    got = c.torus_group_dims([16, 320, 20, 28, 3], [1, 1, 16, 320, 1], V5P_POD)
    want = [[16, 1, 1], [16, 20, 1], [1, 20, 1], [1, 1, 28], [3, 1, 1]]
    np.testing.assert_array_equal(got, want)


def test_allgather_one_axis_is_a_bidirectional_ring():
    # 16 chips on one axis, S = 1.6 GB gathered: each chip receives 15/16 S over 2 links:
    # 1.6e9 x 15/16 / 2 = 7.5e8 bytes per link / 1e11 = 7.5 ms; 16 / 2 = 8 hops x 1 us = 8 us -> 7.508 ms.
    t = c.torus_collective_time_s("allgather", 1.6e9, 16, LINK, HOP, torus_dims=V5P_POD)
    assert float(t) == pytest.approx(7.508e-3, rel=1e-12)


def test_allreduce_one_axis_is_2_k_minus_1_over_k_over_two_links():
    # Ring all-reduce of one torus dimension of 8: 2 (8-1)/8 x 8e8 bytes = 1.4e9 over 2 links = 7e8 per link
    # / 1e11 = 7 ms (no latency).
    t = c.torus_collective_time_s("allreduce", 8e8, 8, LINK, 0.0, torus_dims=(8,))
    assert float(t) == pytest.approx(7e-3, rel=1e-12)


def test_allreduce_two_axes_doubles_the_bandwidth():
    # 320 chips = 16 x 20, S = 3.2 GB: 2 x 3.2e9 x 319/320 / (2 links x 2 axes) = 1.595e9 bytes per link
    # / 1e11 = 15.95 ms; hops 2 x (8 + 10) = 36 x 1 us -> 15.986 ms.
    t = c.torus_collective_time_s("allreduce", 3.2e9, 320, LINK, HOP, torus_dims=V5P_POD)
    assert float(t) == pytest.approx(15.986e-3, rel=1e-12)


def test_alltoall_is_bisection_bound():
    # 4x4x4 = 64 chips, 8 MB send buffer each. Bisection: cut one axis of 4 -> 2 x 64/4 = 32 links; half the
    # chips send 32 x 8e6 / 64 = 4e6 bytes each across: 32 x 4e6 = 1.28e8 bytes one way / (32 x 1e11) = 40 us.
    # Cross-check by byte-hops: mean distance per axis of 4 is (0+1+2+1)/4 = 1, 3 axes: 3 x 8e6 byte-hops per
    # chip over its 6 links = 4e6 bytes per link / 1e11 = 40 us. Hops 2+2+2 = 6 x 1 us -> 46 us.
    t = c.torus_collective_time_s("alltoall", 8e6, 64, LINK, HOP, torus_dims=(4, 4, 4))
    assert float(t) == pytest.approx(46e-6, rel=1e-12)


def test_alltoall_on_a_ring_is_a_quarter_of_an_allgather():
    # Scaling book: AllToAll = AllGather / 4 on a bidirectional ring, with V = k S.
    # k = 16, S = 1e8: AllGather of V = 1.6e9 takes 1.6e9 / (2 x 1e11) = 8 ms (k/(k-1) aside); AllToAll
    # = 16 x 1e8 / (8 x 1e11) = 2 ms.
    t = c.torus_collective_time_s("alltoall", 1e8, 16, LINK, 0.0, torus_dims=(16,))
    assert float(t) == pytest.approx(2e-3, rel=1e-12)


def test_a_group_of_one_costs_nothing_and_arrays_broadcast():
    t = c.torus_collective_time_s("allreduce", [1e9, 1e9], [1, 16], LINK, HOP, torus_dims=V5P_POD)
    assert t[0] == 0.0
    # 2 x 1e9 x 15/16 / 2 / 1e11 = 9.375 ms + 2 x 8 hops = 16 us
    assert t[1] == pytest.approx(9.391e-3, rel=1e-12)


def test_hierarchical_time_uses_the_torus_inside_the_pod():
    tiers = c.Tiers(
        domain_gpus=8960,
        up_bandwidth_bytes_per_s=LINK,
        up_latency_s=HOP,
        up_efficiency=1.0,
        out_bandwidth_bytes_per_s=6.25e9,
        out_latency_s=1e-5,
        out_efficiency=1.0,
        torus_dims=V5P_POD,
    )
    # Inside one pod: the same 7.508 ms as test_allgather_one_axis_is_a_bidirectional_ring.
    assert float(c.hierarchical_time_s("allgather", 1.6e9, 16, 1, tiers)) == pytest.approx(7.508e-3)
    # Two pods, all-reduce of S = 8960e5 bytes (1e5 per chip of the pod): inside, RS + AG on the 3 axes:
    # 2 x S x 8959/8960 / (2 x 3) / 1e11 = 2.9863e-3 s; across, an all-reduce of S / 8960 = 1e5 bytes over 2
    # pods on the 6.25e9 NIC: 2 x 1/2 x 1e5 / 6.25e9 = 1.6e-5 s. Pipelined (chunk 4 MiB): max + min x
    # 4 MiB / S. Latency: inside 2 x (8 + 10 + 14) hops x 1 us = 64 us, across 2 steps x 10 us = 20 us.
    s = 8960e5
    inside = 2 * s * 8959 / 8960 / 6 / 1e11
    across = 1e5 / 6.25e9
    want = 64e-6 + 20e-6 + inside + across * 4 * 2**20 / s
    assert float(c.hierarchical_time_s("allreduce", s, 2 * 8960, 1, tiers)) == pytest.approx(want, rel=1e-9)
