"""Speed of `llmwalls memory` (targets on a 2-core machine): the README's main command
`llmwalls memory --model 70b --gpu h100 --json` as a whole process under 0.3 s median, and a vectorised sweep
of 100,000 (batch, context, TP) points through the engine in-process under 0.1 s (plus, for the cluster
layout search, 1,000,000 training layouts). Run: python benchmarks/bench_memory.py [runs]."""

from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run from a checkout without installing

ARGS = ["memory", "--model", "70b", "--gpu", "h100", "--json"]


def command() -> list[str]:
    script = Path(sys.executable).with_name("llmwalls")
    if script.exists():
        return [str(script)]
    found = shutil.which("llmwalls")
    return [found] if found else [sys.executable, "-m", "llmwalls"]


def bench_command(runs: int) -> float:
    samples = []
    for _ in range(runs):
        t0 = time.perf_counter()
        done = subprocess.run(command() + ARGS, capture_output=True, check=False, cwd=ROOT)
        samples.append(time.perf_counter() - t0)
        if done.returncode != 0:
            raise SystemExit(f"command failed: {done.stderr.decode()}")
    return statistics.median(samples)


def bench_sweeps(runs: int) -> tuple[float, float]:
    import numpy as np

    from llmwalls import catalogue
    from llmwalls.engine import memory as mem

    spec = catalogue.load_model("llama-3.1-70b")
    rng = np.random.default_rng(0)
    n = 100_000
    batch = rng.integers(1, 257, n)
    context = rng.integers(1, 131_073, n)
    tp = 2 ** rng.integers(0, 4, n)
    serve = []
    for _ in range(runs):
        t0 = time.perf_counter()
        mem.serving_memory_per_gpu(spec, batch=batch, context_tokens=context, tp=tp)
        serve.append(time.perf_counter() - t0)
    m = 1_000_000
    tps, pps, zs = 2 ** rng.integers(0, 4, m), rng.integers(1, 17, m), rng.integers(0, 4, m)
    train = []
    for _ in range(max(3, runs // 4)):
        t0 = time.perf_counter()
        mem.training_memory_per_gpu(spec, tp=tps, pp=pps, dp=8, micro_batch=1, seq_len=4096, zero_stage=zs)
        train.append(time.perf_counter() - t0)
    return statistics.median(serve), statistics.median(train)


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 15
    t_cmd = bench_command(runs)
    t_sweep, t_train = bench_sweeps(runs)
    print(f"llmwalls {' '.join(ARGS)}: median {t_cmd * 1e3:.0f} ms over {runs} runs (target < 300 ms)")
    print(
        f"serving sweep, 100,000 (batch, context, TP) points: median {t_sweep * 1e3:.1f} ms (target < 100 ms)"
    )
    print(f"training, 1,000,000 (TP, PP, ZeRO) layouts: median {t_train * 1e3:.0f} ms")
    ok = t_cmd < 0.3 and t_sweep < 0.1
    print("targets met" if ok else "TARGET MISSED")


if __name__ == "__main__":
    main()
