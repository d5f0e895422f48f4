"""Starting the bot: token checks before any network call, webhook mode, health endpoint."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from botapi import BotApiStandIn, updates
from conftest import webhook_bot
from dnws_bot.engine import Engine, reading
from dnws_bot.engine.record import replace
from dnws_bot.settings import Settings
from dnws_bot.telegram.runner import serve


def run_cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dnws_bot.cli", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **env},
    )


@pytest.mark.parametrize("token", ["", "not-a-token", "123:short"])
def test_run_without_a_valid_token_fails_fast_with_one_line(token: str) -> None:
    """Missing or malformed TELEGRAM_BOT_TOKEN: a one-line error, exit 2, no traceback."""
    result = run_cli(
        "run", env={"TELEGRAM_BOT_TOKEN": token, "TELEGRAM_API_URL": "http://127.0.0.1:9"}
    )
    assert result.returncode == 2
    assert "TELEGRAM_BOT_TOKEN" in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    if token:
        assert token not in result.stderr


async def test_webhook_mode_accepts_the_secret_and_refuses_forgeries(
    api: BotApiStandIn, tmp_path: Path, shared_engine: Engine
) -> None:
    """setWebhook registers the secret; a wrong or missing header gets 403; /healthz says ok."""
    async with webhook_bot(
        api, shared_engine, tmp_path / "bot.sqlite3", "s3cret-for-tests_only", "/tg-hook"
    ) as (port, registered):
        assert registered.params["secret_token"] == "s3cret-for-tests_only"
        assert (
            await api.deliver_webhook(updates.private_text(6001, 6001, "NPTとは"), secret="wrong")
            == 403
        )
        assert (
            await api.deliver_webhook(updates.private_text(6001, 6001, "NPTとは"), secret=None)
            == 403
        )
        assert await api.deliver_webhook(updates.private_text(6001, 6001, "P5とは")) == 200
        reply = await api.wait_for("sendMessage", timeout=10)
        assert reply.ok and "P5" in reply.result["text"]
        assert len(api.calls("sendMessage")) == 1
        async with httpx.AsyncClient() as client:
            health = await client.get(f"http://127.0.0.1:{port}/healthz")
        assert health.status_code == 200
        assert health.json()["catalogue"] == shared_engine.version


async def test_store_that_cannot_write_leaves_the_bot_answering(
    api: BotApiStandIn, tmp_path: Path, shared_engine: Engine
) -> None:
    """A corrupt database file never stops answers, and the file is left untouched."""
    db = tmp_path / "bot.sqlite3"
    db.write_bytes(b"this is not a database" * 100)
    before = db.read_bytes()
    settings = Settings(
        token=api.token, api_url=api.root_url, db_path=db, max_messages_per_second=1000.0
    )
    stop = asyncio.Event()
    task = asyncio.create_task(serve(settings, shared_engine, stop=stop, install_signals=False))
    try:
        api.feed(updates.private_text(6002, 6002, "NPTとは"))
        reply = await api.wait_for("sendMessage", timeout=10)
        assert reply.ok
        api.feed(updates.command(6002, 6002, "lang", "en"))
        assert (await api.wait_for("sendMessage", timeout=10)).ok
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=15)
    assert db.read_bytes() == before


async def test_locked_database_leaves_the_bot_answering(
    api: BotApiStandIn, tmp_path: Path, shared_engine: Engine
) -> None:
    """Another process holding an exclusive lock on the store does not stop answers."""
    import sqlite3

    db = tmp_path / "bot.sqlite3"
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("PRAGMA journal_mode=WAL")
    holder.execute("CREATE TABLE IF NOT EXISTS hold (x)")
    holder.execute("BEGIN EXCLUSIVE")
    settings = replace(
        Settings(token=api.token, api_url=api.root_url, db_path=db, max_messages_per_second=1000.0)
    )
    stop = asyncio.Event()
    task = asyncio.create_task(serve(settings, shared_engine, stop=stop, install_signals=False))
    try:
        api.feed(updates.private_text(6003, 6003, "P5とは"))
        assert (await api.wait_for("sendMessage", timeout=30)).ok
    finally:
        holder.execute("ROLLBACK")
        holder.close()
        stop.set()
        await asyncio.wait_for(task, timeout=30)


@pytest.fixture
def read_only_store(tmp_path: Path) -> Iterator[Path]:
    """A store that chose English for chat 6004, then made read-only (file and directory)."""
    from dnws_bot.store import Store

    db = tmp_path / "bot.sqlite3"
    with Store.open(db) as store:
        store.set_chat_lang(6004, "en")
    db.chmod(0o444)
    tmp_path.chmod(0o555)
    yield db
    tmp_path.chmod(0o755)
    db.chmod(0o644)


async def test_read_only_database_leaves_the_bot_answering(
    api: BotApiStandIn, read_only_store: Path, shared_engine: Engine
) -> None:
    """A store the bot may not write: answers still go out, the stored choice is still read."""
    from privileges import file_modes_enforced

    settings = Settings(
        token=api.token,
        api_url=api.root_url,
        db_path=read_only_store,
        max_messages_per_second=1000.0,
    )
    with file_modes_enforced():
        stop = asyncio.Event()
        task = asyncio.create_task(serve(settings, shared_engine, stop=stop, install_signals=False))
        try:
            api.feed(updates.private_text(6004, 6004, "NPTとは"))
            reply = await api.wait_for("sendMessage", timeout=10)
            assert reply.ok and "Source" in reply.result["text"]
            api.feed(updates.command(6004, 6004, "lang", "ja"))
            assert (await api.wait_for("sendMessage", timeout=10)).ok
        finally:
            stop.set()
            await asyncio.wait_for(task, timeout=15)


def test_token_rejected_by_telegram_is_one_redacted_line(
    api: BotApiStandIn, tmp_path: Path
) -> None:
    """A well-formed token that Telegram refuses: exit 2, one line, the token never printed."""
    wrong = "987654321:ZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZ"
    result = run_cli(
        "run",
        env={
            "TELEGRAM_BOT_TOKEN": wrong,
            "TELEGRAM_API_URL": api.root_url,
            "DNWS_DB": str(tmp_path / "bot.sqlite3"),
        },
    )
    assert result.returncode == 2
    assert wrong not in result.stderr
    assert "rejected" in result.stderr
    assert "Traceback" not in result.stderr


async def test_startup_preloads_the_japanese_analyser_in_a_worker_thread(
    api: BotApiStandIn, tmp_path: Path, shared_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """serve() loads the analyser once, off the event loop, before it answers the first update."""
    loaded_in: list[int] = []
    replies_before: list[int] = []

    def spy() -> bool:
        loaded_in.append(threading.get_ident())
        replies_before.append(len(api.calls("sendMessage")))
        return True

    monkeypatch.setattr(reading, "preload", spy)
    settings = Settings(token=api.token, api_url=api.root_url, db_path=tmp_path / "bot.sqlite3")
    stop = asyncio.Event()
    task = asyncio.create_task(serve(settings, shared_engine, stop=stop, install_signals=False))
    try:
        api.feed(updates.private_text(6003, 6003, "NPTとは"))
        assert (await api.wait_for("sendMessage", timeout=10)).ok
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=15)
    assert len(loaded_in) == 1
    assert loaded_in[0] != threading.get_ident()
    assert replies_before == [0]
