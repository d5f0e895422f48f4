"""`make bench`: every measured figure in one run, baselines beside the engine.

.venv/bin/python -m bench.run_all [--only engine|process|telegram]
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys

from . import engine_bench, telegram_bench


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--only", choices=["engine", "process", "telegram"])
    args = parser.parse_args()
    print(
        f"# dnws-bot benchmark — {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} cores, Python {platform.python_version()}\n"
    )
    if args.only in (None, "engine"):
        print("## Matching (tests/data/eval.yaml; cutoffs and thresholds tuned on tune.yaml)\n")
        print(engine_bench.table(engine_bench.run()))
        print()
        print(engine_bench.style_table())
        print()
        print(engine_bench.reading_latency())
        print()
    if args.only in (None, "process"):
        print("## `dnws-bot ask` as a whole process\n")
        # A fresh interpreter: children inherit the RSS high-water mark of whoever forks them.
        subprocess.run([sys.executable, "-m", "bench.process_bench"], check=True)
        print()
    if args.only in (None, "telegram"):
        print("## Telegram, end to end through the Bot API stand-in\n")
        print(telegram_bench.table(telegram_bench.run()))


if __name__ == "__main__":
    main()
