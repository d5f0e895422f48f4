"""`dnws-bot ask` as a whole process, beside the floor of `python -c "import rapidfuzz, yaml"`.

Warm is a cache hit (every run after the first), cold is no cache at all (DNWS_NO_CACHE=1: parse,
validate, build). The floor, warm and cold runs are interleaved, so load from anything else on
the machine falls on all three alike, and each is reported as a ratio of the floor's median.

Peak RSS comes from that one child's rusage (os.wait4, ru_maxrss in KiB on Linux). A child's
high-water mark starts at its parent's size at fork, so this module runs in a fresh, small
interpreter (`python -m bench.process_bench`), never inside the bigger benchmark process.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

QUESTIONS = ["DNWSの条件は?", "what is the npt", "北朝鮮の三層戦略って?", "hello"]
# Questions with a kanji word the catalogue does not know: the Japanese analyser is loaded.
ANALYSER_QUESTIONS = ["山荘戦略とは", "金正恩の娘の名前は何?"]
FLOOR = [sys.executable, "-c", "import rapidfuzz, yaml"]
# Targets of issue 11, on the reference machine.
WARM_LIMIT_S, COLD_LIMIT_S, WARM_RSS_LIMIT_MIB, RATIO_LIMIT = 0.11, 0.35, 32.0, 2.5


def _exe() -> str:
    return shutil.which("dnws-bot") or str(
        Path(__file__).resolve().parent.parent / ".venv/bin/dnws-bot"
    )


def _once(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall seconds and peak RSS (MiB) of one child process, which must succeed."""
    started = time.perf_counter()
    child = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(child.pid, 0)
    elapsed = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"{command[0]} exited {os.waitstatus_to_exitcode(status)}")
    return elapsed, usage.ru_maxrss / 1024


def run(rounds: int = 8) -> dict[str, list[tuple[float, float]]]:
    """Samples per kind (floor, warm and cold, with and without the analyser), interleaved."""
    kinds = ["floor", "warm", "cold", "warm + analyser", "cold + analyser"]
    samples: dict[str, list[tuple[float, float]]] = {kind: [] for kind in kinds}
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "DNWS_CACHE_DIR": cache}
        env.pop("DNWS_NO_CACHE", None)
        _once([_exe(), "ask", "--json", QUESTIONS[0]], env)  # builds the cache
        for index in range(rounds):
            question = QUESTIONS[index % len(QUESTIONS)]
            ask = [_exe(), "ask", "--json", question]
            reading = [_exe(), "ask", "--json", ANALYSER_QUESTIONS[index % 2]]
            samples["floor"].append(_once(FLOOR, env))
            samples["warm"].append(_once(ask, env))
            samples["cold"].append(_once(ask, {**env, "DNWS_NO_CACHE": "1"}))
            samples["warm + analyser"].append(_once(reading, env))
            samples["cold + analyser"].append(_once(reading, {**env, "DNWS_NO_CACHE": "1"}))
    return samples


def table(samples: dict[str, list[tuple[float, float]]]) -> str:
    floor = statistics.median(s for s, _ in samples["floor"])
    lines = [
        "| run | median wall s | range s | × floor | peak RSS MiB |",
        "|---|---|---|---|---|",
    ]
    for name, runs in samples.items():
        times = [s for s, _ in runs]
        median = statistics.median(times)
        lines.append(
            f"| {name} | {median:.3f} | {min(times):.3f}-{max(times):.3f} | "
            f"{median / floor:.2f} | {max(m for _, m in runs):.1f} |"
        )
    lines.append(
        f"\nfloor: `{' '.join(FLOOR[1:])}`; targets: warm ≤ {WARM_LIMIT_S} s and "
        f"≤ {RATIO_LIMIT}× floor, ≤ {WARM_RSS_LIMIT_MIB:g} MiB; cold ≤ {COLD_LIMIT_S} s; "
        f"a question the engine answers never loads the analyser (issue 8: ≤ 0.25 s, ≤ 45 MB); "
        f'"+ analyser": {" / ".join(ANALYSER_QUESTIONS)} (an unknown kanji word: SudachiPy loads)'
    )
    return "\n".join(lines)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=8)
    print(table(run(parser.parse_args().rounds)))
