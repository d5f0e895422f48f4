"""A bounded soak: mixed traffic against the Bot API stand-in for N minutes, then a report of
updates, replies, lost, duplicates and the bot's RSS (start, end, slope). Not part of the tests.

    .venv/bin/python -m bench.soak --minutes 5 --rate 40
    make soak SOAK_MINUTES=10

The bot runs as a real `dnws-bot run` subprocess (durable inbox on). Traffic, paced at `rate`
updates/s, rotates over many users and groups so that every per-chat structure is exercised:
private questions (most), group mentions, /start and /help, inline queries, 👍 buttons.
RSS is sampled every `sample` seconds; the slope is fitted over the second half of the run
(after warm-up) and over its last third (levelling off shows as a smaller figure), in MB/min. `--trace` runs the bot with PYTHONTRACEMALLOC, so that it
logs its top tracemalloc growth at the end, to find what grows in the Python heap.
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from botapi import BotApiStandIn, updates  # noqa: E402
from dnws_bot.engine.evaluation import load_cases  # noqa: E402

USERS = 5000
GROUPS = 200
BOT_USERNAME = "dnws_soak_bot"


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def slope_per_minute(samples: list[tuple[float, float]]) -> float:
    """Least-squares slope of (seconds, MB) in MB/min."""
    if len(samples) < 3:
        return float("nan")
    xs = [t for t, _ in samples]
    ys = [m for _, m in samples]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    den = sum((x - mx) ** 2 for x in xs)
    return 60 * sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / den if den else 0.0


def traffic(
    index: int, questions: list[str], api: BotApiStandIn, users: int = USERS
) -> tuple[str, dict[str, Any]]:
    """The index-th update of the mix: (kind, update)."""
    user = 100_000 + index % users
    question = questions[index % len(questions)]
    slot = index % 20
    if slot < 13:
        return "private", updates.private_text(user, user, question)
    if slot < 16:
        group = -(1_000_000 + index % GROUPS)
        return "group", updates.group_text(group, user, f"@{BOT_USERNAME} {question}")
    if slot == 16:
        return "command", updates.command(user, user, "start" if index % 2 else "help")
    if slot == 17:
        return "inline", updates.inline_query(user, question[:40])
    if slot == 18:
        # a 👍 on an earlier reply to this user, when there is one
        for call in reversed(api.calls("sendMessage")[-200:]):
            markup = call.params.get("reply_markup")
            if call.ok and int(call.params.get("chat_id", 0)) > 0 and markup:
                data = _first_button(markup)
                if data:
                    return "button", updates.callback_query(
                        int(call.params["chat_id"]), call.result, data
                    )
        return "private", updates.private_text(user, user, question)
    return "private", updates.private_text(user, user, "こんにちは")


def _first_button(markup: Any) -> str | None:
    import json

    data = json.loads(markup) if isinstance(markup, str) else markup
    for row in data.get("inline_keyboard", []):
        for button in row:
            if "callback_data" in button:
                return str(button["callback_data"])
    return None


def answered(api: BotApiStandIn) -> list[Any]:
    sends = ("sendmessage", "answerinlinequery", "answercallbackquery")
    return [c for c in api.calls() if c.method.lower() in sends and c.ok]


def key_of(update: dict[str, Any]) -> tuple[Any, ...]:
    """What identifies the update's answer: the message it replies to, or the query id."""
    if "message" in update:
        message = update["message"]
        return ("message", message["chat"]["id"], message["message_id"])
    if "inline_query" in update:
        return ("inline", update["inline_query"]["id"])
    return ("callback", update["callback_query"]["id"])


def answers_by_key(api: BotApiStandIn) -> Counter[tuple[Any, ...]]:
    """Successful answers per update key (a message answer counts when it replies to it)."""
    counts: Counter[tuple[Any, ...]] = Counter()
    for call in answered(api):
        method = call.method.lower()
        if method == "answerinlinequery":
            counts[("inline", str(call.params.get("inline_query_id")))] += 1
        elif method == "answercallbackquery":
            counts[("callback", str(call.params.get("callback_query_id")))] += 1
        elif isinstance(call.result, dict) and "reply_to_message" in call.result:
            reply_to = call.result["reply_to_message"]["message_id"]
            counts[("message", call.result["chat"]["id"], reply_to)] += 1
        elif isinstance(call.result, dict):  # private answers do not quote: count per chat
            counts[("chat", call.result["chat"]["id"])] += 1
    return counts


def tally(keys: list[tuple[Any, ...]], counts: Counter[tuple[Any, ...]]) -> tuple[int, int]:
    """(lost, duplicates): per quoted message or query; lost also per chat for unquoted
    answers."""
    expected: Counter[tuple[Any, ...]] = Counter()
    for key in keys:
        quoted = key[0] != "message" or counts[key] > 0 or key[1] < 0
        expected[key if quoted else ("chat", key[1])] += 1
    lost = sum(max(0, n - counts[key]) for key, n in expected.items())
    # Only where one answer per update is certain (a button may add a message to the chat).
    duplicates = sum(max(0, counts[key] - n) for key, n in expected.items() if key[0] != "chat")
    return lost, duplicates


def soak(
    minutes: float, rate: float, sample: float, trace: bool, users: int = USERS
) -> dict[str, Any]:
    questions = [c.question for c in load_cases(ROOT / "tests" / "data" / "eval.yaml")]
    exe = str(Path(sys.executable).parent / "dnws-bot")
    with tempfile.TemporaryDirectory() as tmp, BotApiStandIn(bot_username=BOT_USERNAME) as api:
        env = {
            **os.environ,
            "TELEGRAM_BOT_TOKEN": api.token,
            "TELEGRAM_API_URL": api.root_url,
            "DNWS_DB": str(Path(tmp) / "soak.sqlite3"),
            "DNWS_CACHE_DIR": str(Path(tmp) / "cache"),
            "DNWS_MAX_MESSAGES_PER_SECOND": "1000",
            "DNWS_LOG_LEVEL": "WARNING",
        }
        if trace:
            env["PYTHONTRACEMALLOC"] = "1"
        log_path = Path(tmp) / "bot.log"
        with log_path.open("w") as log_file:
            bot = subprocess.Popen(
                [exe, "run"], env=env, stdout=subprocess.DEVNULL, stderr=log_file, text=True
            )
            try:
                api.wait_for_count_sync("setMyCommands", 2, timeout=60)
                kinds: Counter[str] = Counter()
                keys: list[tuple[Any, ...]] = []
                started = time.monotonic()
                end = started + minutes * 60
                samples: list[tuple[float, float]] = []
                next_sample = started
                index = 0
                while (now := time.monotonic()) < end:
                    if now >= next_sample:
                        samples.append((now - started, rss_mb(bot.pid)))
                        print(f"  {now - started:6.0f}s  rss {samples[-1][1]:.1f} MB", flush=True)
                        next_sample += sample
                    kind, update = traffic(index, questions, api, users)
                    keys.append(key_of(api.feed(update)))
                    kinds[kind] += 1
                    index += 1
                    time.sleep(max(0.0, started + index / rate - time.monotonic()))
                deadline = time.monotonic() + 60
                while time.monotonic() < deadline:
                    if tally(keys, answers_by_key(api))[0] == 0:
                        break
                    time.sleep(0.5)
                samples.append((time.monotonic() - started, rss_mb(bot.pid)))
            finally:
                bot.send_signal(signal.SIGTERM)
                code = bot.wait(timeout=60)
        lost, duplicates = tally(keys, answers_by_key(api))
        second_half = [s for s in samples if s[0] >= minutes * 30]
        last_third = [s for s in samples if s[0] >= minutes * 40]
        log_tail = log_path.read_text(errors="replace").splitlines()
        return {
            "minutes": minutes,
            "updates": index,
            "by_kind": dict(kinds),
            "replies": len(answered(api)),
            "lost": lost,
            "duplicates": duplicates,
            "rss_start_mb": samples[0][1],
            "rss_end_mb": samples[-1][1],
            "rss_slope_mb_per_min": slope_per_minute(second_half),
            "rss_slope_last_third_mb_per_min": slope_per_minute(last_third),
            "exit_code": code,
            "log_lines": len(log_tail),
            "log_tail": log_tail[-40:] if trace else log_tail[-5:],
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=5.0)
    parser.add_argument("--rate", type=float, default=40.0, help="updates per second")
    parser.add_argument("--sample", type=float, default=10.0, help="seconds between RSS samples")
    parser.add_argument("--users", type=int, default=USERS, help="distinct users in the mix")
    parser.add_argument("--trace", action="store_true", help="tracemalloc top growth in the bot")
    args = parser.parse_args()
    result = soak(args.minutes, args.rate, args.sample, args.trace, args.users)
    for line in result.pop("log_tail"):
        print(f"  bot: {line}")
    for key, value in result.items():
        print(f"{key}: {value:.2f}" if isinstance(value, float) else f"{key}: {value}")


if __name__ == "__main__":
    main()
