"""A store that tells the truth: a deleted or replaced database is reopened, a full disk is
reported (once) and recovers, and the healthcheck sees what the store sees."""

from __future__ import annotations

import logging
import shutil
import sqlite3
from pathlib import Path

import httpx
import pytest

from botapi import BotApiStandIn, updates
from conftest import webhook_bot
from dnws_bot.engine import Engine
from dnws_bot.store import Store, base
from dnws_bot.store.rows import QuestionRecord


@pytest.fixture(autouse=True)
def _check_every_call(monkeypatch: pytest.MonkeyPatch) -> None:
    """The file is compared with the open one on every call, not once a second."""
    monkeypatch.setattr(base, "CHECK_SECONDS", 0.0)


@pytest.fixture
def logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.INFO, logger="dnws_bot.store")
    return caplog


def record(n: int = 0) -> QuestionRecord:
    return QuestionRecord(
        at=1000.0 + n,
        status="answer",
        intent_id="npt",
        lang="ja",
        chat_type="private",
        score=0.9,
        elapsed_ms=1.0,
    )


def count(db: Path, table: str) -> int:
    raw = sqlite3.connect(db)
    try:
        return int(raw.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
    finally:
        raw.close()


def test_deleted_directory_is_recreated_with_its_schema_and_one_error(
    tmp_path: Path, logs: pytest.LogCaptureFixture
) -> None:
    """Writes after the directory was deleted land in a new database, announced by one ERROR."""
    db = tmp_path / "data" / "bot.sqlite3"
    with Store.open(db) as store:
        assert store.set_chat_lang(1, "en")
        shutil.rmtree(db.parent)
        logs.clear()
        for chat in range(2, 12):
            assert store.set_chat_lang(chat, "ja")
        assert store.healthy and store.problem is None
    errors = [r for r in logs.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1 and "deleted or replaced" in errors[0].getMessage()
    assert count(db, "chat_settings") == 10


def test_replaced_file_is_reopened(tmp_path: Path, logs: pytest.LogCaptureFixture) -> None:
    """A database file swapped for another under the bot is reopened, and writes go to it."""
    db = tmp_path / "bot.sqlite3"
    with Store.open(db) as store:
        assert store.set_chat_lang(1, "en")
        other = tmp_path / "other.sqlite3"
        with Store.open(other) as seeded:
            assert seeded.set_chat_lang(99, "both")
        for suffix in ("-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
        other.replace(db)
        assert store.set_chat_lang(2, "ja")
        assert store.get_chat_lang(99) == "both"
    assert count(db, "chat_settings") == 2
    assert sum("deleted or replaced" in r.getMessage() for r in logs.records) == 1


def test_full_disk_is_reported_once_and_recovery_counts_the_lost_rows(
    tmp_path: Path, logs: pytest.LogCaptureFixture
) -> None:
    """While SQLite says the disk is full: unhealthy with the reason, one WARNING for many
    writes; once space is back, writes persist again and one line counts the rows lost."""
    db = tmp_path / "bot.sqlite3"
    with Store.open(db) as store:
        assert store.log_questions([record()])
        pages = store._conn.execute("PRAGMA page_count").fetchone()[0]
        store._conn.execute(f"PRAGMA max_page_count = {pages}")
        logs.clear()
        for _ in range(3):
            assert not store.log_questions([record(n) for n in range(500)])
        assert not store.healthy
        assert store.problem is not None and "full" in store.problem
        assert len(logs.records) == 1 and logs.records[0].levelno == logging.WARNING
        store._conn.execute("PRAGMA max_page_count = 1073741823")
        assert store.log_questions([record(1)])
        assert store.healthy and store.problem is None
    assert len(logs.records) == 2
    assert "1500 row(s) could not be written" in logs.records[1].getMessage()
    assert count(db, "questions") == 2


def test_store_without_a_database_names_its_problem(tmp_path: Path) -> None:
    """A store that could not open reports why writes go nowhere (for the healthcheck)."""
    garbage = tmp_path / "bot.sqlite3"
    garbage.write_bytes(b"not a database" * 100)
    with Store.open(garbage) as store:
        assert store.problem is not None and "no database" in store.problem


async def test_healthz_answers_503_with_the_reason_while_the_store_cannot_write(
    api: BotApiStandIn, tmp_path: Path, shared_engine: Engine
) -> None:
    """A webhook bot whose database is unusable still answers, but /healthz says 503 and why."""
    db = tmp_path / "bot.sqlite3"
    db.write_bytes(b"this is not a database" * 100)
    async with webhook_bot(api, shared_engine, db, "healthz-secret") as (port, _):
        assert await api.deliver_webhook(updates.private_text(7001, 7001, "NPTとは")) == 200
        assert (await api.wait_for("sendMessage", timeout=10)).ok
        async with httpx.AsyncClient() as client:
            health = await client.get(f"http://127.0.0.1:{port}/healthz")
    assert health.status_code == 503
    assert health.json()["status"] == "unhealthy"
    assert "no database" in health.json()["reason"]
