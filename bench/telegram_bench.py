"""The bot end to end through the Bot API stand-in: throughput, update→reply latency, losses.

The bot runs as a real `dnws-bot run` subprocess (its own core), the stand-in in this process.
Its rate limit is raised so that the bot itself is measured. A no-op PTB bot through the same
stand-in, with the same pool, concurrency and HTTP transport, gives the ceiling of PTB + HTTP on
this machine; one more no-op bot on PTB's stock transport (httpx on httpcore) shows what dnws-bot's
keep-alive transport changes.

    .venv/bin/python -m bench.telegram_bench      (DNWS_BENCH_ROUNDS=3 by default)
"""

from __future__ import annotations

import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from botapi import BotApiStandIn, updates  # noqa: E402
from dnws_bot.engine.evaluation import load_cases  # noqa: E402

USERS = 200
QUESTIONS = 3000
PACED_RATE = 30.0
PACED_COUNT = 450
ROUNDS = int(os.environ.get("DNWS_BENCH_ROUNDS", "3"))


@dataclass
class Run:
    name: str
    throughput: float
    p50_ms: float
    p99_ms: float
    lost: int
    paced_p50_ms: float
    paced_p99_ms: float
    peak_rss_mb: float
    cpu_ms_per_update: float  # the bot's own CPU, start-up included: robust on a busy machine


def _start(
    command: list[str], api: BotApiStandIn, workdir: Path, extra_env: dict[str, str]
) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": api.token,
        "TELEGRAM_API_URL": api.root_url,
        "DNWS_DB": str(workdir / "bench.sqlite3"),
        "DNWS_MAX_MESSAGES_PER_SECOND": "100000",
        "DNWS_CACHE_DIR": str(workdir / "cache"),
        **extra_env,
    }
    return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _send_and_collect(
    api: BotApiStandIn, questions: list[str], first_user: int, rate: float | None
) -> tuple[list[float], int, float]:
    """Feed questions round-robin over USERS users; return latencies (ms), lost, elapsed."""
    fed: dict[int, list[float]] = defaultdict(list)
    before = len(api.calls("sendMessage"))
    started = time.monotonic()
    for index, question in enumerate(questions):
        user = first_user + index % USERS
        if rate is not None:
            time.sleep(max(0.0, started + index / rate - time.monotonic()))
        api.feed(updates.private_text(user, user, question))
        fed[user].append(time.monotonic())
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        replies = [c for c in api.calls("sendMessage")[before:] if c.ok]
        if len(replies) >= len(questions):
            break
        time.sleep(0.05)
    replies = [c for c in api.calls("sendMessage")[before:] if c.ok]
    failed = [c for c in api.calls("sendMessage")[before:] if not c.ok]
    if failed:
        print(f"  ({len(failed)} sends refused: {sorted({c.description for c in failed})[:3]})")
    by_chat: dict[int, list[float]] = defaultdict(list)
    for call in replies:
        by_chat[int(call.params["chat_id"])].append(call.started)
    latencies = []
    for user, times in fed.items():
        for sent, answered in zip(times, sorted(by_chat.get(user, [])), strict=False):
            latencies.append((answered - sent) * 1000)
    elapsed = (max(c.time for c in replies) - started) if replies else float("inf")
    return latencies, len(questions) - len(replies), elapsed


def _peak_rss_mb(pid: int) -> float:
    """VmHWM of the running bot: the peak of its own (post-exec) memory, not its parent's."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[int(len(ordered) * 0.99)]


def measure(
    name: str, command: list[str], questions: list[str], extra_env: dict[str, str] | None = None
) -> Run:
    own_before = os.times()
    fed = 200 + QUESTIONS + PACED_COUNT
    with tempfile.TemporaryDirectory() as tmp, BotApiStandIn() as api:
        bot = _start(command, api, Path(tmp), extra_env or {})
        try:
            api.wait_for_count_sync("deleteWebhook", 1, timeout=60)
            time.sleep(0.5)
            warm, _, _ = _send_and_collect(api, questions[:200], 10_000, None)
            burst = (questions * (QUESTIONS // len(questions) + 1))[:QUESTIONS]
            latencies, lost, elapsed = _send_and_collect(api, burst, 20_000, None)
            p50, p99 = _percentiles(latencies)
            paced, paced_lost, _ = _send_and_collect(api, burst[:PACED_COUNT], 40_000, PACED_RATE)
            paced_p50, paced_p99 = _percentiles(paced)
            peak_mb = _peak_rss_mb(bot.pid)
        finally:
            bot.send_signal(signal.SIGTERM)
            _, _, usage = os.wait4(bot.pid, 0)
            bot_cpu = usage.ru_utime + usage.ru_stime
            own = os.times()
            driver = own.user + own.system - own_before.user - own_before.system
            print(f"  {name}: bot cpu {bot_cpu:.1f}s, stand-in+driver cpu {driver:.1f}s")
    del warm
    return Run(
        name,
        QUESTIONS / elapsed,
        p50,
        p99,
        lost + paced_lost,
        paced_p50,
        paced_p99,
        peak_mb,
        bot_cpu * 1000 / fed,
    )


def run() -> list[list[Run]]:
    """ROUNDS rounds with the four bots interleaved in each, so a busy (shared) machine slows
    every bot alike; the table reports the median and the range over the rounds."""
    questions = [c.question for c in load_cases(ROOT / "tests" / "data" / "eval.yaml")]
    exe = str(Path(sys.executable).parent / "dnws-bot")
    # The ceilings run with dnws-bot's own pool, concurrency and transport, so the ratio compares
    # like with like (read here, in the driver: the no-op process imports only the transport).
    from dnws_bot.telegram.app import CONCURRENT_UPDATES, CONNECTION_POOL_SIZE

    noop = [
        sys.executable,
        str(ROOT / "bench" / "noop_bot.py"),
        f"--pool={CONNECTION_POOL_SIZE}",
        f"--concurrency={CONCURRENT_UPDATES}",
    ]
    bots: list[tuple[str, list[str], dict[str, str]]] = [
        ("dnws-bot (engine + store + inbox + logging)", [exe, "run"], {}),
        ("dnws-bot without the inbox", [exe, "run"], {"DNWS_INBOX": "0"}),
        ('no-op handler replying "ok" (ceiling)', noop, {}),
        ("no-op handler replying one fixed rich answer", [*noop, "--rich"], {}),
        ('no-op "ok" on PTB\'s stock HTTP transport', [*noop, "--stock-http"], {}),
    ]
    return [
        [measure(name, command, questions, env) for name, command, env in bots]
        for _ in range(ROUNDS)
    ]


def _spread(values: list[float], digits: int = 0) -> str:
    """Median, and min–max when there is more than one round."""
    middle = f"{statistics.median(values):.{digits}f}"
    if len(values) == 1:
        return middle
    return f"{middle} ({min(values):.{digits}f}–{max(values):.{digits}f})"


def table(rounds: list[list[Run]]) -> str:
    lines = [
        f"{len(rounds)} round(s), median (min–max)\n",
        f"| bot | updates/s (burst of {QUESTIONS}, {USERS} users) | p50 ms | p99 ms | "
        f"p50 / p99 ms at {PACED_RATE:.0f}/s | lost replies | peak RSS MB | bot CPU ms/update |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for runs in zip(*rounds, strict=True):
        lines.append(
            f"| {runs[0].name} | {_spread([r.throughput for r in runs])} | "
            f"{_spread([r.p50_ms for r in runs])} | {_spread([r.p99_ms for r in runs])} | "
            f"{_spread([r.paced_p50_ms for r in runs], 1)} / "
            f"{_spread([r.paced_p99_ms for r in runs], 1)} | {sum(r.lost for r in runs)} | "
            f"{max(r.peak_rss_mb for r in runs):.0f} | "
            f"{_spread([r.cpu_ms_per_update for r in runs], 2)} |"
        )
    inbox_ratio = [ours.throughput / off.throughput for ours, off, *_ in rounds]
    inbox_cpu = [ours.cpu_ms_per_update / off.cpu_ms_per_update for ours, off, *_ in rounds]
    ok_ratio = [ours.throughput / ok.throughput for ours, _, ok, *_ in rounds]
    rich_ratio = [ours.throughput / rich.throughput for ours, _, _, rich, _ in rounds]
    stock_ratio = [ok.throughput / stock.throughput for _, _, ok, _, stock in rounds]
    lines.append(
        f"\nthroughput with the durable inbox / without it (same rounds): "
        f"{_spread(inbox_ratio, 2)} (target >= 0.90); bot CPU per update: {_spread(inbox_cpu, 2)}"
    )
    lines.append(
        f'throughput of dnws-bot / "ok" ceiling, per round: {_spread(ok_ratio, 2)}; '
        f"/ rich-answer ceiling: {_spread(rich_ratio, 2)}"
    )
    lines.append(
        f'"ok" ceiling on the keep-alive transport / on PTB\'s stock transport: '
        f"{_spread(stock_ratio, 2)}"
    )
    return "\n".join(lines)


if __name__ == "__main__":
    print(table(run()))
