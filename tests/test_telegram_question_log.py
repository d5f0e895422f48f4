"""The question log of a running bot: every answered update is committed, also across a stop."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from botapi import BotApiStandIn, updates
from conftest import start_bot
from dnws_bot.engine import Engine
from dnws_bot.store import AsyncStore

QUESTIONS = ["NPTとは", "P5とは", "what is a dnws", "明日の東京の天気は?", "制裁"]


def logged(db: Path) -> list[tuple[str, float | None]]:
    raw = sqlite3.connect(db)
    try:
        return raw.execute("SELECT status, elapsed_ms FROM questions ORDER BY id").fetchall()
    finally:
        raw.close()


async def test_stop_commits_the_queued_question_log_with_answer_times(
    api: BotApiStandIn, tmp_path: Path, shared_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rows still queued when the bot stops (as on SIGTERM) are committed, each with its time."""
    monkeypatch.setattr(AsyncStore, "flush_seconds", 3600.0)  # nothing is written before stop
    running, stop, task = await start_bot(api, tmp_path, shared_engine)
    try:
        for n, question in enumerate(QUESTIONS * 4):
            running.feed(updates.private_text(7000 + n, 7000 + n, question))
        await api.wait_for_count("sendMessage", len(QUESTIONS) * 4, timeout=30)
        assert logged(running.settings.db_path) == []
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=15)
    rows = logged(running.settings.db_path)
    assert len(rows) == len(QUESTIONS) * 4
    assert {status for status, _ in rows} >= {"answer", "none"}
    assert all(ms is not None and 0.0 < ms < 30_000 for _, ms in rows)


def test_sigterm_right_after_a_burst_loses_no_logged_question(tmp_path: Path) -> None:
    """`dnws-bot run` stopped by SIGTERM just after its last reply has logged every question."""
    db = tmp_path / "bot.sqlite3"
    count = 60
    with BotApiStandIn() as api:
        env = {
            **os.environ,
            "TELEGRAM_BOT_TOKEN": api.token,
            "TELEGRAM_API_URL": api.root_url,
            "DNWS_DB": str(db),
            "DNWS_MAX_MESSAGES_PER_SECOND": "10000",
        }
        bot = subprocess.Popen(
            [sys.executable, "-m", "dnws_bot.cli", "run"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            api.wait_for_count_sync("setMyCommands", 2, timeout=30)
            for n in range(count):
                api.feed(updates.private_text(8000 + n, 8000 + n, QUESTIONS[n % len(QUESTIONS)]))
            api.wait_for_count_sync("sendMessage", count, timeout=60)
        finally:
            bot.send_signal(signal.SIGTERM)
            _, stderr = bot.communicate(timeout=30)
    assert bot.returncode == 0, stderr
    assert len(logged(db)) == count
