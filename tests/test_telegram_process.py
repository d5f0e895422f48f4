"""`dnws-bot run` as a real process: answers, reloads on SIGHUP, stops cleanly on SIGTERM,
and never writes the token to its logs."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from botapi import BotApiStandIn, updates


def start(api: BotApiStandIn, tmp_path: Path, *extra: str) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": api.token,
        "TELEGRAM_API_URL": api.root_url,
        "DNWS_DB": str(tmp_path / "bot.sqlite3"),
        "DNWS_LOG_LEVEL": "INFO",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "dnws_bot.cli", "run", *extra],
        env=env,
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
    )


def stop(bot: subprocess.Popen[str]) -> tuple[int, str]:
    bot.send_signal(signal.SIGTERM)
    _, stderr = bot.communicate(timeout=30)
    return bot.returncode, stderr


def test_process_answers_reloads_on_sighup_and_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    """A question is answered; SIGHUP reloads the catalogue; SIGTERM exits 0; no token in logs."""
    with BotApiStandIn() as api:
        bot = start(api, tmp_path)
        try:
            api.wait_for_count_sync("setMyCommands", 2, timeout=30)
            api.feed(updates.private_text(101, 101, "NPTとは"))
            assert api.wait_for_sync("sendMessage", timeout=15).ok
            bot.send_signal(signal.SIGHUP)
            time.sleep(1.5)
            api.feed(updates.private_text(102, 102, "P5とは"))
            assert api.wait_for_sync("sendMessage", timeout=15).ok
        finally:
            code, stderr = stop(bot)
    assert code == 0, stderr
    assert "catalogue reloaded" in stderr
    assert "update=" in stderr and "ms=" in stderr
    assert api.token not in stderr
    assert "Traceback" not in stderr


def test_json_log_format_writes_one_json_object_per_line(tmp_path: Path) -> None:
    """--log-format json: every stderr line is a JSON object with level and message."""
    import json

    with BotApiStandIn() as api:
        bot = start(api, tmp_path, "--log-format", "json")
        try:
            api.wait_for_count_sync("setMyCommands", 2, timeout=30)
            api.feed(updates.private_text(103, 103, "DNWSとは"))
            assert api.wait_for_sync("sendMessage", timeout=15).ok
        finally:
            code, stderr = stop(bot)
    assert code == 0
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert lines
    records = [json.loads(line) for line in lines]
    assert all({"level", "message", "logger"} <= set(r) for r in records)
    assert any(r["message"].startswith("update=") for r in records)


def test_process_skips_a_poison_update_answers_around_it_and_exits_0(tmp_path: Path) -> None:
    """A poll_answer PTB cannot parse between two questions: both are answered, the log names
    the update without the user's name, and SIGTERM still exits 0."""
    with BotApiStandIn() as api:
        bot = start(api, tmp_path)
        try:
            api.wait_for_count_sync("setMyCommands", 2, timeout=30)
            api.feed(updates.private_text(111, 111, "NPTとは"))
            api.feed(
                {
                    "poll_answer": {
                        "poll_id": "legacy",
                        "user": {"id": 112, "is_bot": False, "first_name": "Secretname"},
                        "option_ids": [0],
                    }
                }
            )
            api.feed(updates.private_text(113, 113, "P5とは"))
            sends = api.wait_for_count_sync("sendMessage", 2, timeout=15)
            assert sorted(int(c.params["chat_id"]) for c in sends if c.ok) == [111, 113]
        finally:
            code, stderr = stop(bot)
    assert code == 0, stderr
    assert "skipped update" in stderr and "poll_answer" in stderr
    assert "Secretname" not in stderr
    assert "Traceback" not in stderr and "CRITICAL" not in stderr
