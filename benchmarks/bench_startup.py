"""Start-up time of the CLI as a whole process (target: `llmwalls --help` under 0.12 s median on a
2-core machine). Run: python benchmarks/bench_startup.py [runs]. Uses the installed `llmwalls` script if it
is on PATH next to this interpreter, else `python -m llmwalls`."""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path


def command() -> list[str]:
    script = Path(sys.executable).with_name("llmwalls")
    if script.exists():
        return [str(script)]
    found = shutil.which("llmwalls")
    return [found] if found else [sys.executable, "-m", "llmwalls"]


def time_it(args: list[str], runs: int, env: dict | None = None) -> float:
    samples = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run(command() + args, capture_output=True, env=env, check=False)
        samples.append(time.perf_counter() - t0)
    return statistics.median(samples)


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    t_python = statistics.median(
        [
            (lambda t0: (subprocess.run([sys.executable, "-c", "pass"]), time.perf_counter() - t0)[1])(
                time.perf_counter()
            )
            for _ in range(runs)
        ]
    )
    complete_env = {
        **os.environ,
        "_LLMWALLS_COMPLETE": "complete_bash",
        "COMP_WORDS": "llmwalls profiles show h1",
        "COMP_CWORD": "3",
    }
    rows = [
        ("python -c pass (floor)", t_python, None),
        ("llmwalls --help", time_it(["--help"], runs), 0.12),
        ("llmwalls profiles --help", time_it(["profiles", "--help"], runs), 0.12),
        ("TAB completion (profile names)", time_it([], runs, complete_env), 0.15),
        ("llmwalls profiles list", time_it(["profiles", "list"], runs), None),
    ]
    print(f"median of {runs} runs, {' '.join(command())}")
    for name, seconds, target in rows:
        verdict = "" if target is None else ("  ok" if seconds <= target else f"  OVER target {target:.2f} s")
        print(f"  {name:34s} {seconds * 1000:7.1f} ms{verdict}")


if __name__ == "__main__":
    main()
