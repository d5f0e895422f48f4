"""`dnws-bot ask` as a whole process: wall time and peak RSS, cold (no cache) and warm.

Peak RSS comes from that one child's rusage (os.wait4, ru_maxrss in KiB on Linux). A child's
high-water mark starts at its parent's size at fork, so this module runs in a fresh, small
interpreter (`python -m bench.process_bench`), never inside the bigger benchmark process.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

QUESTIONS = ["DNWSの条件は?", "what is the npt", "北朝鮮の三層戦略って?", "hello"]


def _exe() -> str:
    return shutil.which("dnws-bot") or str(
        Path(__file__).resolve().parent.parent / ".venv/bin/dnws-bot"
    )


def _once(question: str, env: dict[str, str]) -> tuple[float, float]:
    started = time.perf_counter()
    child = subprocess.Popen(
        [_exe(), "ask", "--json", question],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    _, status, usage = os.wait4(child.pid, 0)
    elapsed = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        raise RuntimeError(f"dnws-bot ask exited {child.returncode}")
    return elapsed, usage.ru_maxrss / 1024


def run(rounds: int = 5) -> dict[str, tuple[float, float]]:
    """{"cold": (median seconds, peak MB), "warm": (...)}."""
    results = {}
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "DNWS_CACHE_DIR": cache}
        cold = [_once(q, {**env, "DNWS_NO_CACHE": "1"}) for q in QUESTIONS[:2] * 2]
        _once(QUESTIONS[0], env)  # builds the cache
        warm = [_once(q, env) for q in QUESTIONS * rounds]
    for name, samples in (("cold", cold), ("warm", warm)):
        results[name] = (statistics.median(s for s, _ in samples), max(m for _, m in samples))
    return results


def table(results: dict[str, tuple[float, float]]) -> str:
    lines = ["| cache | median wall s | peak RSS MB |", "|---|---|---|"]
    lines += [f"| {name} | {sec:.3f} | {mb:.1f} |" for name, (sec, mb) in results.items()]
    return "\n".join(lines)


if __name__ == "__main__":
    print(table(run()))
