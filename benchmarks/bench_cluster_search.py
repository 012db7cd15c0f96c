"""Benchmark: candidate layouts evaluated per second by the cluster layout search (target: at least
1,000,000/s on a 2-core machine). Enumerates every valid layout of Llama-3.1-405B on a dgx-h100 cluster at
64 GPU counts, then times the full evaluation (step model + memory model + fits mask) over all of them at
once, best of 3.

    python benchmarks/bench_cluster_search.py
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing

from llmwalls import catalogue  # noqa: E402
from llmwalls.engine import training as tr  # noqa: E402
from llmwalls.engine.collectives import Tiers  # noqa: E402
from llmwalls.engine.memory import usable_bytes  # noqa: E402


def main() -> None:
    spec = catalogue.load_model("llama-3.1-405b")
    cl = catalogue.load_cluster("dgx-h100")
    gpu = catalogue.load_gpu(cl.gpu)
    tiers = Tiers.from_cluster(cl)
    seq, gb = 8192, 2048
    # every valid layout at 64 GPU counts (multiples of 256 up to 16,384): one big candidate set
    t0 = time.perf_counter()
    sets = [
        tr.enumerate_layouts(spec, n, global_batch=gb, seq_len=seq, micro_batches=(1, 2, 4, 8, 16, 32))
        for n in range(256, 16385, 256)
    ]
    layouts = {k: np.concatenate([s[k] for s in sets]) for k in sets[0]}
    t_enum = time.perf_counter() - t0
    n = len(layouts["tp"])
    # replicate to at least 2M candidates so the timing is not dominated by fixed overheads
    reps = max(1, -(-2_000_000 // n))
    layouts = {k: np.tile(v, reps) for k, v in layouts.items()}
    n = len(layouts["tp"])
    best = float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        r = tr.evaluate_layouts(
            spec, gpu, tiers, layouts, global_batch=gb, seq_len=seq, usable_bytes=usable_bytes(gpu.hbm_bytes)
        )
        best = min(best, time.perf_counter() - t0)
    print(f"enumeration: {n // reps:,} distinct valid layouts over 64 GPU counts in {t_enum:.3f} s")
    print(
        f"evaluation: {n:,} candidates in {best:.3f} s = {n / best:,.0f} layouts/s "
        f"({int(r['fits'].sum()):,} fit)"
    )


if __name__ == "__main__":
    main()
