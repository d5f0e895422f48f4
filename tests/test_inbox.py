"""The durable inbox in the running bot: stored before confirmed, bounded backlog, deduplication,
poison updates kept as failed, resumption after a stop, old updates dropped."""

from __future__ import annotations

import asyncio
import json
import logging
import sqlite3
import time
from pathlib import Path
from typing import Any

import pytest

from botapi import BotApiStandIn, updates
from conftest import start_bot, webhook_bot
from dnws_bot.engine import Engine
from dnws_bot.report import build_report, format_text
from dnws_bot.settings import Settings
from dnws_bot.store import Store
from dnws_bot.telegram.app import CONCURRENT_UPDATES

BACKLOG = 2 * CONCURRENT_UPDATES  # updates fetched ahead at most


def inbox_rows(db: Path) -> dict[int, tuple[str, str | None]]:
    """update_id → (state, raw) straight from the file."""
    raw = sqlite3.connect(db)
    try:
        rows = raw.execute("SELECT update_id, state, raw FROM inbox").fetchall()
    finally:
        raw.close()
    return {int(i): (str(state), r) for i, state, r in rows}


async def until(condition: Any, within: float = 20.0) -> None:
    """Wait until `condition()` is true (fails the test after `within` seconds)."""
    deadline = time.monotonic() + within
    while not condition():
        assert time.monotonic() < deadline, "condition not reached"
        await asyncio.sleep(0.05)


def questions(first_user: int, count: int) -> list[dict[str, Any]]:
    return [updates.private_text(u, u, "NPTとは") for u in range(first_user, first_user + count)]


def answered_chats(api: BotApiStandIn) -> list[int]:
    return [int(c.params["chat_id"]) for c in api.calls("sendMessage") if c.ok]


async def test_every_update_is_stored_then_marked_done_with_its_json_cleared(
    api: BotApiStandIn, tmp_path: Path, shared_engine: Engine
) -> None:
    """After a burst, each update_id has one inbox row, done, without the user's message."""
    running, stop, task = await start_bot(api, tmp_path, shared_engine)
    try:
        fed = api.feed_many(questions(20_000, 150))
        await api.wait_for_count("sendMessage", 150, timeout=30)
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=15)
    rows = inbox_rows(running.settings.db_path)
    assert {u["update_id"] for u in fed} <= set(rows)
    assert {rows[u["update_id"]] for u in fed} == {("done", None)}
    assert sorted(answered_chats(api)) == list(range(20_000, 20_150))


async def test_backlog_is_bounded_while_replies_are_slow(
    api: BotApiStandIn, tmp_path: Path, shared_engine: Engine
) -> None:
    """With every send stalled, the bot holds at most 2 × concurrency unanswered updates from
    Telegram (an unbounded fetcher would take more as soon as the first batch is stored)."""
    api.delay("sendMessage", 10.0)
    running, stop, task = await start_bot(api, tmp_path, shared_engine, stop_deadline=0.5)
    db = running.settings.db_path

    def unanswered() -> int:
        return sum(state != "done" for state, _ in inbox_rows(db).values())

    try:
        api.feed_many(questions(21_000, 600))
        await until(lambda: unanswered() >= BACKLOG)
        assert unanswered() == BACKLOG
        assert api.pending_updates >= 600 - len(inbox_rows(db))
        limits = [c.params.get("limit") for c in api.calls("getUpdates")]
        assert all(limit is not None and int(limit) <= 100 for limit in limits)
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=15)


async def test_stop_leaves_the_backlog_stored_and_the_next_start_answers_it(
    api: BotApiStandIn, tmp_path: Path, shared_engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    """A stop with slow sends ends within its deadline; the next start answers the rest first."""
    caplog.set_level(logging.INFO)
    api.delay("sendMessage", 2.0, times=CONCURRENT_UPDATES)
    running, stop, task = await start_bot(api, tmp_path, shared_engine, stop_deadline=0.5)
    fed = api.feed_many(questions(22_000, 200))
    db = running.settings.db_path
    await until(lambda: len(inbox_rows(db)) >= BACKLOG)
    stop.set()
    await asyncio.wait_for(task, timeout=10)
    left = [i for i, (state, _) in inbox_rows(db).items() if state == "new"]
    assert left, "the stop should have left stored updates"
    _, stop, task = await start_bot(api, tmp_path, shared_engine)
    try:
        await until(lambda: set(answered_chats(api)) >= set(range(22_000, 22_200)), 60)
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=15)
    assert "resuming" in caplog.text
    rows = inbox_rows(db)
    assert all(rows[u["update_id"]][0] == "done" for u in fed)


async def test_poison_update_between_two_questions_is_stored_as_failed(
    api: BotApiStandIn, tmp_path: Path, shared_engine: Engine
) -> None:
    """Both questions are answered; the unparsable one is a failed row with a note, no name."""
    running, stop, task = await start_bot(api, tmp_path, shared_engine)
    try:
        api.feed(updates.private_text(23_001, 23_001, "NPTとは"))
        poison = api.feed_raw(
            {
                "poll_answer": {
                    "poll_id": "legacy",
                    "user": {"id": 23_002, "is_bot": False, "first_name": "Secretname"},
                    "option_ids": [0],
                }
            }
        )
        api.feed(updates.private_text(23_003, 23_003, "P5とは"))
        await api.wait_for_count("sendMessage", 2, timeout=15)
        await until(lambda: api.confirmed_update_id >= poison["update_id"])
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=15)
    assert sorted(answered_chats(api)) == [23_001, 23_003]
    with Store.open(running.settings.db_path) as store:
        assert store.inbox_counts().get("failed") == 1
        [(update_id, _, note)] = store.inbox_failed()
    assert update_id == poison["update_id"]
    assert "poll_answer" in note and "Secretname" not in note
    report = build_report(running.settings.db_path, shared_engine, 30)
    assert report.failed_updates == 1
    assert "could not read (kept in its inbox): 1" in format_text(report)


async def test_webhook_redelivery_of_the_same_update_id_is_answered_once(
    api: BotApiStandIn, tmp_path: Path, shared_engine: Engine
) -> None:
    """The same update POSTed twice gets 200 both times and one reply."""
    async with webhook_bot(api, shared_engine, tmp_path / "bot.sqlite3", "redelivery-secret"):
        update = {**updates.private_text(24_001, 24_001, "NPTとは"), "update_id": 777}
        assert await api.deliver_webhook(update) == 200
        await api.wait_for("sendMessage", timeout=10)
        assert await api.deliver_webhook(update) == 200
        other = {**updates.private_text(24_002, 24_002, "P5とは"), "update_id": 778}
        assert await api.deliver_webhook(other) == 200
        await api.wait_for_count("sendMessage", 2, timeout=10)
    assert sorted(answered_chats(api)) == [24_001, 24_002]


async def test_stored_updates_are_resumed_oldest_first_and_stale_ones_dropped(
    api: BotApiStandIn, tmp_path: Path, shared_engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    """At start an unanswered update is answered; one older than the limit is dropped, logged
    once."""
    caplog.set_level(logging.INFO)
    db = tmp_path / "bot.sqlite3"
    fresh = {**updates.private_text(25_001, 25_001, "NPTとは"), "update_id": 90}
    stale = {**updates.private_text(25_002, 25_002, "P5とは"), "update_id": 80}
    api.add_chat(25_001, chat_type="private")
    api.add_chat(25_002, chat_type="private")
    with Store.open(db, clock=lambda: time.time() - 7200) as old:
        assert old.inbox_apply([(80, json.dumps(stale))]) == [True]
    with Store.open(db) as store:
        assert store.inbox_apply([(90, json.dumps(fresh))]) == [True]
    _, stop, task = await start_bot(api, tmp_path, shared_engine, inbox_max_age=3600.0)
    try:
        await api.wait_for("sendMessage", timeout=10)
        await until(lambda: inbox_rows(db)[90][0] == "done")
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=15)
    assert answered_chats(api) == [25_001]
    assert inbox_rows(db)[80] == ("dropped", None)
    assert [r.getMessage() for r in caplog.records if "dropped" in r.getMessage()] == [
        "inbox: 1 unanswered update(s) older than 3600 s dropped"
    ]


async def test_polling_after_a_restart_does_not_answer_a_stored_update_twice(
    api: BotApiStandIn, tmp_path: Path, shared_engine: Engine
) -> None:
    """An update Telegram delivers again (never confirmed) but already answered is skipped."""
    db = tmp_path / "bot.sqlite3"
    update = api.feed(updates.private_text(26_001, 26_001, "NPTとは"))
    with Store.open(db) as store:  # a previous run answered it but died before confirming
        assert store.inbox_apply([(update["update_id"], "{}")], [update["update_id"]]) == [True]
    _, stop, task = await start_bot(api, tmp_path, shared_engine)
    try:
        api.feed(updates.private_text(26_002, 26_002, "P5とは"))
        await api.wait_for("sendMessage", timeout=10)
        await until(lambda: api.confirmed_update_id > update["update_id"])
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=15)
    assert answered_chats(api) == [26_002]


def test_inbox_settings_are_read_and_checked() -> None:
    """DNWS_INBOX=0 turns the inbox off; the stop deadline and age limit must be positive."""
    from dnws_bot.settings import SettingsError

    default = Settings.from_env({})
    assert default.inbox and default.stop_deadline == 20.0 and default.inbox_max_age == 86400.0
    custom = Settings.from_env(
        {"DNWS_INBOX": "0", "DNWS_STOP_DEADLINE": "5", "DNWS_INBOX_MAX_AGE": "60"}
    )
    assert not custom.inbox and custom.stop_deadline == 5.0 and custom.inbox_max_age == 60.0
    with pytest.raises(SettingsError, match="DNWS_STOP_DEADLINE"):
        Settings.from_env({"DNWS_STOP_DEADLINE": "-1"})
