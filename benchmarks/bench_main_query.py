"""The main query's start-up against the floor of its own dependencies, as ratios measured in one run (so a
slower or busier machine moves both sides alike). Run: python benchmarks/bench_main_query.py [runs].

- floor: `python -c "import typer, rich, numpy, pydantic"`, what any run of llmwalls must pay;
- main query: `llmwalls memory --model 70b --gpu h100` (target: at most 1.25x the floor);
- TAB completion of a model name (`llmwalls memory --model 7<TAB>`; target: under 0.12 s).
Runs alternate between the commands so load on the machine falls on each alike; the median is reported."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path


def llmwalls() -> list[str]:
    script = Path(sys.executable).with_name("llmwalls")
    return [str(script)] if script.exists() else [sys.executable, "-m", "llmwalls"]


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 15
    complete_env = {
        **os.environ,
        "_LLMWALLS_COMPLETE": "complete_bash",
        "COMP_WORDS": "llmwalls memory --model 7",
        "COMP_CWORD": "3",
    }
    cases = {
        "python -c pass": ([sys.executable, "-c", "pass"], None),
        "floor: import typer, rich, numpy, pydantic": (
            [sys.executable, "-c", "import typer, rich, numpy, pydantic"],
            None,
        ),
        "llmwalls memory --model 70b --gpu h100": (
            [*llmwalls(), "memory", "--model", "70b", "--gpu", "h100"],
            None,
        ),
        "TAB completion of a model name": (llmwalls(), complete_env),
    }
    samples: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(runs):
        for name, (argv, env) in cases.items():
            t0 = time.perf_counter()
            subprocess.run(argv, capture_output=True, env=env, check=False)
            samples[name].append(time.perf_counter() - t0)
    median = {name: statistics.median(values) for name, values in samples.items()}
    floor = median["floor: import typer, rich, numpy, pydantic"]
    print(f"median of {runs} interleaved runs")
    for name, seconds in median.items():
        print(f"  {name:44s} {seconds * 1000:7.1f} ms  {seconds / floor:5.2f}x floor")
    ratio = median["llmwalls memory --model 70b --gpu h100"] / floor
    tab = median["TAB completion of a model name"]
    print(
        f"main query / floor = {ratio:.2f} (target <= 1.25); "
        f"TAB completion {tab * 1000:.0f} ms (target < 120)"
    )


if __name__ == "__main__":
    main()
