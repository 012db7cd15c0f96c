"""Collective communication cost: the alpha-beta model (time = latency terms + bytes / bandwidth), with the
conventions of nccl-tests so the numbers compare with a user's own `all_reduce_perf` run.

Conventions (NVIDIA/nccl-tests doc/PERFORMANCE.md; cases.toml `nccl_busbw_allreduce`):
    size S  = the buffer size nccl-tests reports (all-reduce: the buffer; all-gather: the gathered OUTPUT;
              reduce-scatter: the INPUT; all-to-all: the per-rank send buffer)
    algbw   = S / t
    busbw   = algbw x 2(n-1)/n   (all-reduce)
            = algbw x (n-1)/n    (all-gather, reduce-scatter, all-to-all)
            = algbw              (point-to-point, broadcast)
busbw is what each link actually carries, so for ring algorithms it is bounded by the per-GPU link
bandwidth and compares across n. This model inverts that: t = latency + S x factor / (link bandwidth x
efficiency).

Algorithms:
    ring: (n-1) (all-gather / reduce-scatter / all-to-all) or 2(n-1) (all-reduce) latency steps.
    tree: NCCL's double binary tree: 2 log2(n) latency steps for an all-reduce, the same bandwidth term
          (Sanders et al. 2009; NCCL 2.4 release notes): wins for small messages and large n.
    nvls: NVLink SHARP (H100/H200/B200 NVSwitch): the switch does the reduction, so each GPU sends its buffer
          once and receives the result once; the busbw formula (which assumes 2(n-1)/n traffic per GPU) then
          reports MORE than the wire bandwidth: ml-engineering measured 482.26 GB/s busbw on 8x H200 where the
          wire is 450 GB/s (cases.toml mleng_h200_node_allreduce_nvls, algbw 275.58 GB/s).

Two tiers (scale-up domain + scale-out network) are PIPELINED, not run one after the other: NCCL splits the
buffer into chunks per channel (Simple protocol: NCCL_BUFFSIZE = 4 MiB per channel, moved in NCCL_STEPS = 8
slots) and each chunk moves on as soon as the previous hop has delivered it, so the NVLink hops and the NIC
hops work on different chunks at the same time (Hu et al. 2025, 'Demystifying NCCL', arXiv:2507.04786, secs on
channels, slots and the ring/tree pipelines; Jeaugey, 'Massively Scale Your Deep Learning Training with NCCL
2.4', NVIDIA blog 2019: the trees are pipelined in chunks). With N chunks and per-tier times a, b, a two-stage
pipeline takes max(a, b) + min(a, b) / N (one chunk through the faster tier fills/drains the pipeline), plus
the latency of both tiers once: see pipelined_time_s.

Everything is numpy-vectorised: bytes, group size, bandwidth and latency broadcast against one another.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
from numpy.typing import ArrayLike

if TYPE_CHECKING:
    from llmwalls.specs import ClusterSpec

# ------------------------------------------------------------------------------------------ assumptions


@dataclass(frozen=True)
class LinkEfficiency:
    """Achievable fraction of the per-GPU, one-direction link bandwidth that a large (>= 1 GiB) ring
    collective reaches as nccl-tests busbw. Overridable from the command line (--nvlink-efficiency,
    --network-efficiency)."""

    # NVLink / NVSwitch, ring. Calibrated on measured busbw (cases.toml, category 'collective'):
    #   8x A100 (NVLink 3, 300 GB/s): 234.89 GB/s  -> 0.783   (mleng_a100_node_allreduce)
    #   8x H200 (NVLink 4, 450 GB/s): 367.61 GB/s  -> 0.817   (mleng_h200_node_allreduce_ring)
    # default = their mean, 0.80: both measurements within 2.2% of it.
    nvlink: float = 0.80
    # NVLink SHARP in-switch all-reduce: algbw / wire = 275.58 / 450 = 0.612 (mleng_h200_node_allreduce_nvls).
    nvls_algbw: float = 0.612
    # xGMI (MI300X): AMD's RCCL all-reduce busbw on 8x MI300X is ~ 0.7-0.8 of the 448 GB/s per-GPU peak
    # reported by independent tests (SemiAnalysis, 2024); take the low end (no measured case here yet).
    xgmi: float = 0.70
    # PCIe Gen5 x16 (64 GB/s): NCCL through host bridges reaches ~ 0.7 (ml-engineering network/README: PCIe
    # collectives run well below NVLink; no project case, judgement).
    pcie: float = 0.70
    # InfiniBand NDR 400 Gb/s per GPU (rail-optimised): nccl-tests multi-node all-reduce busbw typically
    # reaches ~ 40-45 GB/s of the 50 GB/s wire (NVIDIA DGX SuperPOD reference numbers; ml-engineering network
    # chapter): 0.85 is a judgement inside that range, no project case yet.
    infiniband: float = 0.85
    # RoCE / Ethernet: congestion control and ECMP collisions cost more than on IB (Llama 3 paper sec 3.3.1
    # reports tuning for this); 0.75 judgement.
    roce: float = 0.75
    # Plain Ethernet (TCP sockets / vendor TCP offload): judgement, no independent measurement in the project.
    # The one out-of-sample case (GCP A3 Mega, GPUDirect-TCPXO, docs/validation.md) implies ~ 0.90 of its
    # NIC once the tiers are pipelined; one case is not enough to move a default every Ethernet user gets.
    ethernet: float = 0.60
    # TPU ICI (torus, per link): Austin et al., 'How to Scale Your Model' (Google DeepMind 2025), part 3
    # 'Sharded Matrices', worked question 1: an AllGather over 4 TPU v5e chips computed at 560 us took 680 us
    # in the published profile -> 560 / 680 = 0.82.
    ici: float = 0.82
    # AWS NeuronLink (Trainium torus): no published collective measurement found; judgement, the NVLink ring
    # figure above (0.80). Override with --nvlink-efficiency.
    neuronlink: float = 0.80
    # AWS EFA (SRD transport over AWS's Ethernet fabric): no project measurement; judgement, as RoCE (0.75).
    efa: float = 0.75
    # Google data-centre network between TPU slices: no project measurement; judgement, as Ethernet (0.60).
    dcn: float = 0.60

    def for_fabric(self, fabric: str) -> float:
        key = {"nvswitch": "nvlink"}.get(fabric, fabric)
        return float(getattr(self, key))


DEFAULT_LINK_EFFICIENCY = LinkEfficiency()

# ----------------------------------------------------------------------------------- bus-bandwidth factors


def busbw_factor(op: str, n: npt.ArrayLike) -> np.ndarray:
    """nccl-tests busbw / algbw for an operation on n ranks (PERFORMANCE.md)."""
    n = np.asarray(n, dtype=float)
    if op == "allreduce":
        return 2.0 * (n - 1.0) / n
    if op in ("allgather", "reducescatter", "alltoall"):
        return (n - 1.0) / n
    if op in ("p2p", "broadcast", "reduce"):
        return np.ones_like(n)
    raise ValueError(f"unknown collective {op!r}")


def algbw_bytes_per_s(size_bytes: npt.ArrayLike, time_s: npt.ArrayLike) -> np.ndarray:
    """nccl-tests algorithm bandwidth: S / t."""
    return np.asarray(size_bytes, dtype=float) / np.asarray(time_s, dtype=float)


def busbw_bytes_per_s(
    op: str, size_bytes: npt.ArrayLike, time_s: npt.ArrayLike, n: npt.ArrayLike
) -> np.ndarray:
    """nccl-tests bus bandwidth: algbw x the operation's factor."""
    return algbw_bytes_per_s(size_bytes, time_s) * busbw_factor(op, n)


# ------------------------------------------------------------------------------------------- flat times


def _steps(op: str, n: npt.ArrayLike, algorithm: str) -> np.ndarray:
    n = np.asarray(n, dtype=float)
    if algorithm == "tree":
        # double binary tree: up and down the tree, log2(n) hops each (all-reduce); one way for the others.
        depth = np.ceil(np.log2(np.maximum(n, 1.0)))
        return (2.0 if op == "allreduce" else 1.0) * depth
    if algorithm == "nvls":
        return np.where(n > 1, 2.0, 0.0)  # push to switch, pull result
    return (2.0 if op == "allreduce" else 1.0) * (n - 1.0)  # ring


def collective_time_s(
    op: str,
    size_bytes: npt.ArrayLike,
    n: npt.ArrayLike,
    bandwidth_bytes_per_s: npt.ArrayLike,
    latency_s: npt.ArrayLike = 0.0,
    *,
    efficiency: npt.ArrayLike = 1.0,
    algorithm: str = "ring",
) -> np.ndarray:
    """Time of one collective on n ranks that each have `bandwidth_bytes_per_s` (one direction) of link.

    t = steps(n) x latency + S x busbw_factor(n) / (bandwidth x efficiency)         (ring, tree)
    t = 2 x latency + S / (bandwidth x efficiency)                                  (nvls all-reduce)
    A group of one rank costs nothing. Point-to-point ignores n (one transfer of S bytes).
    """
    size = np.asarray(size_bytes, dtype=float)
    n = np.asarray(n, dtype=float)
    bw = np.asarray(bandwidth_bytes_per_s, dtype=float) * np.asarray(efficiency, dtype=float)
    lat = np.asarray(latency_s, dtype=float)
    if op == "p2p":
        return lat + size / bw
    if algorithm == "nvls" and op == "allreduce":
        t = _steps(op, n, algorithm) * lat + size / bw
    else:
        t = _steps(op, n, algorithm) * lat + size * busbw_factor(op, n) / bw
    return np.where(n > 1, t, 0.0)


def allreduce_time_s(
    size_bytes: npt.ArrayLike,
    n: npt.ArrayLike,
    bandwidth_bytes_per_s: npt.ArrayLike,
    latency_s: npt.ArrayLike = 0.0,
    *,
    efficiency: npt.ArrayLike = 1.0,
    algorithm: str = "ring",
) -> np.ndarray:
    """All-reduce of S bytes over n ranks: ring t = 2(n-1) alpha + 2(n-1)/n S / (B eff)."""
    return collective_time_s(
        "allreduce",
        size_bytes,
        n,
        bandwidth_bytes_per_s,
        latency_s,
        efficiency=efficiency,
        algorithm=algorithm,
    )


def allgather_time_s(
    size_bytes: npt.ArrayLike,
    n: npt.ArrayLike,
    bandwidth_bytes_per_s: npt.ArrayLike,
    latency_s: npt.ArrayLike = 0.0,
    *,
    efficiency: npt.ArrayLike = 1.0,
    algorithm: str = "ring",
) -> np.ndarray:
    """All-gather producing S bytes on every rank: t = (n-1) alpha + (n-1)/n S / (B eff)."""
    return collective_time_s(
        "allgather",
        size_bytes,
        n,
        bandwidth_bytes_per_s,
        latency_s,
        efficiency=efficiency,
        algorithm=algorithm,
    )


def reducescatter_time_s(
    size_bytes: npt.ArrayLike,
    n: npt.ArrayLike,
    bandwidth_bytes_per_s: npt.ArrayLike,
    latency_s: npt.ArrayLike = 0.0,
    *,
    efficiency: npt.ArrayLike = 1.0,
    algorithm: str = "ring",
) -> np.ndarray:
    """Reduce-scatter of an S-byte input per rank: t = (n-1) alpha + (n-1)/n S / (B eff)."""
    return collective_time_s(
        "reducescatter",
        size_bytes,
        n,
        bandwidth_bytes_per_s,
        latency_s,
        efficiency=efficiency,
        algorithm=algorithm,
    )


def alltoall_time_s(
    size_bytes: npt.ArrayLike,
    n: npt.ArrayLike,
    bandwidth_bytes_per_s: npt.ArrayLike,
    latency_s: npt.ArrayLike = 0.0,
    *,
    efficiency: npt.ArrayLike = 1.0,
) -> np.ndarray:
    """All-to-all of an S-byte send buffer per rank ((n-1)/n of it leaves the rank): t = (n-1) alpha +
    (n-1)/n S / (B eff) (pairwise exchange; nccl-tests alltoall factor)."""
    return collective_time_s(
        "alltoall", size_bytes, n, bandwidth_bytes_per_s, latency_s, efficiency=efficiency
    )


def p2p_time_s(
    size_bytes: npt.ArrayLike,
    bandwidth_bytes_per_s: npt.ArrayLike,
    latency_s: npt.ArrayLike = 0.0,
    *,
    efficiency: npt.ArrayLike = 1.0,
) -> np.ndarray:
    """One point-to-point send of S bytes: t = alpha + S / (B eff)."""
    return collective_time_s("p2p", size_bytes, 2, bandwidth_bytes_per_s, latency_s, efficiency=efficiency)


# ------------------------------------------------------------------------------------------------ torus
# Direct-connect tori (Google TPU ICI, AWS NeuronLink): each chip has two links per torus dimension (one to
# each neighbour, wraparound closing every dimension into a ring), each with bandwidth B per direction.
# Source: J. Austin et al., 'How to Scale Your Model', Google DeepMind 2025, part 3 'Sharded Matrices'
# (https://jax-ml.github.io/scaling-book/sharding/), whose model is used here:
#   - AllGather / ReduceScatter over one axis of a bidirectional ring: T = V / W_bidi, W_bidi = 2B (each
#     chip receives the other shards over its two links of that axis). Exactly, a chip receives
#     (k-1)/k of V: T = (k-1)/k V / (2B).
#   - Over several axes at once the bandwidth grows by the number of axes: T = V / (W_bidi n_axes); here
#     T = (n-1)/n V / (2 B d), d = the torus dimensions the group spans (n chips in all).
#   - AllReduce = ReduceScatter + AllGather: twice that. With d = 1 it is the ring all-reduce of one torus
#     dimension, 2(k-1)/k of the data over 2 links.
#   - Latency: about 1 us per ICI hop; a collective takes sum_i floor(k_i / 2) hops (the longest path in the
#     group's sub-torus), twice for an all-reduce.
#   - AllToAll: bisection-bound. Cutting the longest dimension k_max in two crosses 2 n / k_max links (the
#     wraparound doubles the cut); half the chips send n/2 x S/n bytes each to the other half, n S / 4 in
#     each direction, so T = (n S / 4) / (2 n B / k_max) = S k_max / (8 B) with S the per-chip send buffer.
#     On one ring of k chips this is k S / (8 B) = (k S / 2B) / 4: the book's 'AllGather / 4 for a
#     bidirectional ring' (V = k S).
# Placement: a group of n ranks whose consecutive members are `stride` ranks apart occupies the torus
# dimensions in order, the inner parallel groups (small stride) first, as a JAX device mesh maps logical
# axes onto physical ones; every dimension a group spans is taken as a full wraparound ring (TPU v4/v5p
# slices wrap through the optical switches on every axis of size 4k; a partial axis without wraparound is
# about half as fast: not modelled). A group whose size does not divide the torus keeps the leftover
# factor on its first dimension (an approximation).


def torus_group_dims(n: ArrayLike, stride: ArrayLike, torus_dims: Sequence[int]) -> np.ndarray:
    """Extent of a group of n ranks (members `stride` apart) along each torus dimension: an array of
    shape broadcast(n, stride) + (len(torus_dims),) whose product is n."""
    n = np.asarray(np.rint(n), dtype=np.int64)
    stride = np.asarray(np.rint(stride), dtype=np.int64)
    n, stride = np.broadcast_arrays(np.maximum(n, 1), np.maximum(stride, 1))
    rem_stride, rem_n = stride.copy(), n.copy()
    extents = []
    for k in torus_dims:
        inner = np.gcd(rem_stride, k)  # this much of the dimension is taken by the inner groups
        rem_stride = rem_stride // inner
        g = np.gcd(rem_n, k // inner)
        rem_n = rem_n // g
        extents.append(g)
    out = np.stack(extents, axis=-1).astype(float)
    out[..., 0] *= rem_n  # a size that does not divide the torus: leftover on the first dimension
    return out


def torus_parts(
    op: str, size_bytes: ArrayLike, n: ArrayLike, stride: ArrayLike, torus_dims: Sequence[int]
) -> tuple[np.ndarray, np.ndarray]:
    """(hops, bytes over one link one way) of a collective on a torus group (section comment above): time =
    hops x per-hop latency + bytes / (B x efficiency). S as in nccl-tests (module docstring)."""
    size = np.asarray(size_bytes, dtype=float)
    g = torus_group_dims(n, stride, torus_dims)
    members = np.prod(g, axis=-1)
    axes = np.sum(g > 1, axis=-1)
    hops = np.sum(np.floor(g / 2.0), axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        spread = np.where(members > 1, (members - 1.0) / members / (2.0 * np.maximum(axes, 1)), 0.0)
    if op in ("allgather", "reducescatter"):
        return hops, size * spread
    if op == "allreduce":
        return 2.0 * hops, 2.0 * size * spread
    if op == "alltoall":
        return hops, np.where(members > 1, size * np.max(g, axis=-1) / 8.0, 0.0)
    if op == "p2p":
        return np.ones_like(members), size + 0.0 * members
    raise ValueError(f"unknown collective {op!r} on a torus")


def torus_collective_time_s(
    op: str,
    size_bytes: ArrayLike,
    n: ArrayLike,
    link_bandwidth_bytes_per_s: ArrayLike,
    hop_latency_s: ArrayLike = 0.0,
    *,
    stride: ArrayLike = 1,
    torus_dims: Sequence[int] = (),
    efficiency: ArrayLike = 1.0,
) -> np.ndarray:
    """Time of one collective over n ranks of a torus (TPU ICI, NeuronLink); link bandwidth is one link, one
    direction. A group of one rank costs nothing."""
    hops, link_bytes = torus_parts(op, size_bytes, n, stride, torus_dims)
    bw = np.asarray(link_bandwidth_bytes_per_s, dtype=float) * np.asarray(efficiency, dtype=float)
    t = hops * np.asarray(hop_latency_s, dtype=float) + link_bytes / bw
    return np.where(np.asarray(n, dtype=float) > 1, t, 0.0)


# --------------------------------------------------------------------------------------- tiers, placement


@dataclass(frozen=True)
class Tiers:
    """The two tiers of a cluster, per GPU and one direction, with achievable efficiencies applied later."""

    domain_gpus: int  # GPUs sharing the scale-up fabric (8 on HGX, 72 on NVL72)
    up_bandwidth_bytes_per_s: float
    up_latency_s: float
    up_efficiency: float
    out_bandwidth_bytes_per_s: float
    out_latency_s: float
    out_efficiency: float
    nvls: bool = False  # all-reduce inside the domain with NVLink SHARP
    notes: tuple[str, ...] = field(default=())
    # Shape of a direct-connect torus scale-up fabric (TPU ICI, NeuronLink), e.g. (16, 20, 28); then
    # up_bandwidth_bytes_per_s is ONE link, one direction, and up_latency_s is per hop. () = switched fabric.
    torus_dims: tuple[int, ...] = ()
    # Bytes of the buffer in one pipeline stage of a two-tier collective (see pipelined_time_s).
    pipeline_chunk_bytes: float = 0.0  # 0 = NCCL_PIPELINE_CHUNK_BYTES

    @classmethod
    def from_cluster(
        cls, cluster: ClusterSpec, eff: LinkEfficiency = DEFAULT_LINK_EFFICIENCY, *, nvls: bool = False
    ) -> Tiers:
        return cls(
            domain_gpus=int(cluster.scale_up_domain_gpus),
            up_bandwidth_bytes_per_s=float(cluster.intra_node_bandwidth_bytes_per_s),
            up_latency_s=float(cluster.intra_node_latency_s),
            up_efficiency=eff.for_fabric(cluster.scale_up_fabric),
            out_bandwidth_bytes_per_s=float(cluster.inter_node_bandwidth_bytes_per_s),
            out_latency_s=float(cluster.inter_node_latency_s),
            out_efficiency=eff.for_fabric(cluster.scale_out_fabric),
            nvls=nvls,
            torus_dims=tuple(getattr(cluster, "torus_dims", None) or ()),
        )


# One pipeline stage of a two-tier collective: NCCL's Simple-protocol buffer, NCCL_BUFFSIZE = 4 MiB per
# channel (NCCL environment-variable docs; Hu et al. 2025 sec on protocols: Simple uses the whole buffer in
# NCCL_STEPS = 8 slots). Taken per GPU: the channels run side by side, each on its share of the bandwidth, so
# one stage of every channel together is ~ one buffer's worth of the GPU's time on the faster tier. Only the
# fill term uses it; above a few hundred MiB it is < 1% of the time either way.
NCCL_PIPELINE_CHUNK_BYTES = 4.0 * 2**20


def pipelined_time_s(
    size_bytes: npt.ArrayLike,
    t_first_s: npt.ArrayLike,
    t_second_s: npt.ArrayLike,
    latency_s: npt.ArrayLike = 0.0,
    chunk_bytes: float = NCCL_PIPELINE_CHUNK_BYTES,
) -> np.ndarray:
    """Two tiers working on the same buffer in chunks, concurrently (NCCL: module docstring).

    N = S / chunk chunks; each tier takes its bandwidth time / N per chunk; a two-stage pipeline finishes
    after max(a, b) + min(a, b) / N. With S <= chunk there is one chunk: a + b, the serial sum. Latency
    (both tiers' per-step alphas) is paid once, on top: t = latency + max(a, b) + min(a, b) min(1, chunk / S).
    """
    size = np.asarray(size_bytes, dtype=float)
    a, b = np.asarray(t_first_s, dtype=float), np.asarray(t_second_s, dtype=float)
    fill = np.minimum(
        1.0, np.divide(chunk_bytes, size, out=np.full(np.broadcast(size, a).shape, np.inf), where=size > 0)
    )
    return np.asarray(latency_s, dtype=float) + np.maximum(a, b) + np.minimum(a, b) * fill


def members_in_domain(n: npt.ArrayLike, stride: npt.ArrayLike, domain_gpus: float) -> np.ndarray:
    """How many of a group's n ranks share one scale-up domain when consecutive members are `stride`
    ranks apart (Megatron rank order: TP innermost, then CP, EP/DP, PP outermost). 1 = every member in a
    different domain."""
    n = np.asarray(n, dtype=float)
    stride = np.asarray(stride, dtype=float)
    k = np.maximum(1.0, np.floor(domain_gpus / stride))
    return np.minimum(n, k)


def hierarchical_time_s(
    op: str, size_bytes: npt.ArrayLike, n: npt.ArrayLike, stride: npt.ArrayLike, tiers: Tiers
) -> np.ndarray:
    """A collective over a group laid out across the two tiers.

    k = members per domain, g = n / k domains.  k == n: all on the scale-up fabric.  k == 1: flat on the
    scale-out network (each GPU on its own NIC: rail-optimised fabric).  Otherwise two levels:
    all-reduce = reduce-scatter inside + all-reduce of S/k across + all-gather inside (the inside traffic is
    the RS and the AG together: both use the same NVLink ports); all-gather / reduce-scatter / all-to-all =
    the inside part on S, the outside part on S/k per rank (each GPU drives its NIC). The two levels are
    PIPELINED (pipelined_time_s): time = latencies + max(inside, across) + fill, not their sum.
    """
    size = np.asarray(size_bytes, dtype=float)
    n = np.asarray(n, dtype=float)
    k = members_in_domain(n, stride, tiers.domain_gpus)
    g = np.maximum(1.0, np.round(n / k))
    chunk = tiers.pipeline_chunk_bytes or NCCL_PIPELINE_CHUNK_BYTES

    torus = tiers.torus_dims

    def up(o: str, s: npt.ArrayLike, m: npt.ArrayLike, algorithm: str = "ring") -> np.ndarray:
        if torus:  # direct-connect torus: per-link bandwidth, per-hop latency (torus section above)
            return torus_collective_time_s(
                o,
                s,
                m,
                tiers.up_bandwidth_bytes_per_s,
                tiers.up_latency_s,
                stride=stride,
                torus_dims=torus,
                efficiency=tiers.up_efficiency,
            )
        return collective_time_s(
            o,
            s,
            m,
            tiers.up_bandwidth_bytes_per_s,
            tiers.up_latency_s,
            efficiency=tiers.up_efficiency,
            algorithm=algorithm,
        )

    def out(o: str, s: npt.ArrayLike, m: npt.ArrayLike) -> np.ndarray:
        return collective_time_s(
            o, s, m, tiers.out_bandwidth_bytes_per_s, tiers.out_latency_s, efficiency=tiers.out_efficiency
        )

    def two_level(inside_ops: tuple[str, ...], across_op: str) -> np.ndarray:
        # each tier split into its latency steps and its bandwidth time, then pipelined
        up_bw = tiers.up_bandwidth_bytes_per_s * tiers.up_efficiency
        out_bw = tiers.out_bandwidth_bytes_per_s * tiers.out_efficiency
        if torus:
            parts = [torus_parts(o, size, k, stride, torus) for o in inside_ops]
            lat_in = sum(np.where(k > 1, hops, 0.0) for hops, _ in parts) * tiers.up_latency_s
            bw_in = sum(np.where(k > 1, link_bytes, 0.0) for _, link_bytes in parts) / up_bw
        else:
            lat_in = sum(np.where(k > 1, _steps(o, k, "ring"), 0.0) for o in inside_ops) * tiers.up_latency_s
            bw_in = sum(np.where(k > 1, size * busbw_factor(o, k), 0.0) for o in inside_ops) / up_bw
        lat_out = _steps(across_op, g, "ring") * tiers.out_latency_s
        bw_out = size / k * busbw_factor(across_op, g) / out_bw
        return pipelined_time_s(size, bw_in, bw_out, lat_in + lat_out, chunk)

    if op == "allreduce":
        if tiers.nvls and not torus:
            inside_all = collective_time_s(
                "allreduce",
                size,
                k,
                tiers.up_bandwidth_bytes_per_s,
                tiers.up_latency_s,
                efficiency=DEFAULT_LINK_EFFICIENCY.nvls_algbw,
                algorithm="nvls",
            )
            inside_all = np.minimum(inside_all, up("allreduce", size, k))
        else:
            inside_all = up("allreduce", size, k)
        return np.where(g > 1, two_level(("reducescatter", "allgather"), "allreduce"), inside_all)
    if op == "p2p":
        return np.where(k >= 2, up("p2p", size, 2), out("p2p", size, 2))
    inside = up(op, size, k)
    return np.where(g > 1, two_level((op,), op), inside)


def bucketed_time_s(
    op: str,
    total_bytes: npt.ArrayLike,
    bucket_bytes: npt.ArrayLike,
    n: npt.ArrayLike,
    stride: npt.ArrayLike,
    tiers: Tiers,
) -> tuple[np.ndarray, np.ndarray]:
    """A reduction issued as buckets (PyTorch DDP, Megatron-LM's gradient buffers): ceil(S / B) collectives of
    at most B bytes, each paying its own latency steps (hierarchical_time_s). Returns (total, last) seconds:
    the time of all buckets back to back and of the last one, which nothing can hide (the optimizer waits
    for it). A bucket at least as large as S is one collective."""
    total = np.asarray(total_bytes, dtype=float)
    bucket = np.minimum(np.asarray(bucket_bytes, dtype=float), np.maximum(total, 1.0))
    count = np.ceil(total / bucket)
    full = hierarchical_time_s(op, bucket, n, stride, tiers)
    rest = total - (count - 1.0) * bucket
    last = hierarchical_time_s(op, rest, n, stride, tiers)
    return (count - 1.0) * full + last, last
