"""Time of the serving search (engine.serving.search) for a few models and GPU lists: replica
configurations, operating points and the best of a few runs. Run: python benchmarks/bench_serve.py [runs]."""

from __future__ import annotations

import sys
import time

from llmwalls import catalogue
from llmwalls.engine import serving as sv

CASES = (
    ("llama-3.1-70b", ("h100-sxm",)),
    ("llama-3.1-70b", ("h100-sxm", "h200-sxm", "a100-80gb-sxm", "b200")),
    ("llama-3.1-70b", None),  # every GPU profile
    ("mixtral-8x7b", ("h100-sxm", "h200-sxm")),
    ("deepseek-v3", ("h200-sxm", "b200", "mi300x")),
)


def main(runs: int = 3) -> None:
    workload = sv.Workload(40.0, sv.Lengths(2000, p99=8000), sv.Lengths(500))
    slo = sv.Slo(ttft_p99_s=2.0, tpot_p99_s=0.05)
    for model, names in CASES:
        spec = catalogue.load_model(model)
        names = names or tuple(e.name for e in catalogue.entries("gpu"))
        gpus = [catalogue.load_gpu(n) for n in names]
        prices = {g.name: 2.0 for g in gpus}
        sv.search(spec, gpus, workload, slo, usd_per_gpu_hour=prices)  # warm the profile caches
        best = float("inf")
        for _ in range(runs):
            t0 = time.perf_counter()
            r = sv.search(spec, gpus, workload, slo, usd_per_gpu_hour=prices)
            best = min(best, time.perf_counter() - t0)
        print(
            f"{model:15s} {len(gpus):2d} GPU types  {r.configurations:4d} configurations  "
            f"{r.points:7,d} points  {best * 1000:6.0f} ms"
        )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 3)
