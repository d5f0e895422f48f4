"""Shared fixtures: the real bot (PTB Application over real HTTP and SQLite) against the stand-in."""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from botapi import BotApiStandIn, Call, updates
from dnws_bot.engine import Engine
from dnws_bot.engine.record import replace
from dnws_bot.settings import Settings
from dnws_bot.telegram.runner import serve

ADMIN_ID = 4242
BOT_USERNAME = "dnws_test_bot"


@pytest.fixture(autouse=True)
def _private_cache(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Tests never read or write the user's compiled-engine cache."""
    monkeypatch.setenv("DNWS_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "engine-cache"))


@pytest.fixture(scope="session")
def shared_engine() -> Engine:
    """The shipped catalogue, loaded once for the whole run."""
    return Engine.load()


@pytest.fixture
def api() -> Iterator[BotApiStandIn]:
    """A fresh Bot API stand-in on 127.0.0.1."""
    with BotApiStandIn(bot_username=BOT_USERNAME) as stand_in:
        yield stand_in


@dataclass
class RunningBot:
    """The bot under test, with helpers that read like a conversation."""

    api: BotApiStandIn
    settings: Settings
    engine: Engine

    def feed(self, update: dict[str, Any]) -> dict[str, Any]:
        return self.api.feed(update)

    async def say(
        self,
        text: str,
        *,
        user_id: int = 1001,
        language_code: str | None = "ja",
        successful: bool = False,
    ) -> Call:
        """A private message from a user; returns the bot's reply (sendMessage call)."""
        self.feed(updates.private_text(user_id, user_id, text, language_code=language_code))
        return await self.reply_to(user_id, successful=successful)

    async def reply_to(
        self,
        chat_id: int,
        method: str = "sendMessage",
        wait: float = 10.0,
        *,
        successful: bool = False,
    ) -> Call:
        """The bot's next send to a chat (with `successful`, the next one Telegram accepted)."""
        call = await self.api.wait_for(
            method,
            lambda c: int(c.params.get("chat_id", 0)) == chat_id and (c.ok or not successful),
            timeout=wait,
        )
        assert call.ok, call.description
        return call

    async def quiet(self, seconds: float = 0.4) -> list[Call]:
        """Let the bot work for a moment and return every send it made meanwhile."""
        before = len(self.api.calls())
        await asyncio.sleep(seconds)
        sends = ("sendmessage", "sendpoll", "answercallbackquery", "answerinlinequery")
        return [c for c in self.api.calls()[before:] if c.method.lower() in sends]


async def start_bot(
    api: BotApiStandIn, tmp_path: Path, engine: Engine, **overrides: Any
) -> tuple[RunningBot, asyncio.Event, asyncio.Task[None]]:
    settings = Settings(
        token=api.token,
        api_url=api.root_url,
        db_path=tmp_path / "bot.sqlite3",
        admin_ids=frozenset({ADMIN_ID}),
        max_messages_per_second=1000.0,
    )
    settings = replace(settings, **overrides)
    stop = asyncio.Event()
    task = asyncio.create_task(serve(settings, engine, stop=stop, install_signals=False))
    await api.wait_for_count("setMyCommands", 2, timeout=10)
    return RunningBot(api, settings, engine), stop, task


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@asynccontextmanager
async def webhook_bot(
    api: BotApiStandIn, engine: Engine, db_path: Path, secret: str, path: str = "/hook"
) -> AsyncIterator[tuple[int, Call]]:
    """The real bot in webhook mode on a free loopback port: yields the port and its
    setWebhook call, and stops the bot (within 15 s) on the way out."""
    port = free_port()
    settings = Settings(
        token=api.token,
        api_url=api.root_url,
        db_path=db_path,
        webhook_secret=secret,
        max_messages_per_second=1000.0,
    )
    stop = asyncio.Event()
    task = asyncio.create_task(
        serve(
            settings,
            engine,
            webhook_url=f"http://127.0.0.1:{port}{path}",
            listen="127.0.0.1",
            port=port,
            stop=stop,
            install_signals=False,
        )
    )
    try:
        yield port, await api.wait_for("setWebhook", timeout=10)
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=15)


@pytest.fixture
async def bot(
    api: BotApiStandIn, tmp_path: Path, shared_engine: Engine, caplog: pytest.LogCaptureFixture
) -> AsyncIterator[RunningBot]:
    """The real bot, long-polling the stand-in; its logs are checked for the token afterwards."""
    caplog.set_level(logging.DEBUG)
    running, stop, task = await start_bot(api, tmp_path, shared_engine)
    yield running
    stop.set()
    await asyncio.wait_for(task, timeout=15)
    for record in caplog.records:
        if record.levelno >= logging.INFO:
            assert api.token not in record.getMessage()
            assert api.token not in (record.exc_text or "")


# --- Default paths guard: the suite never touches ./data or the user's engine cache. ---------------


def _files_under(root: Path) -> dict[str, tuple[int, int]] | None:
    """Each file under `root` with its (mtime_ns, size); None when `root` does not exist."""
    if not root.exists():
        return None
    found = (p for p in sorted(root.rglob("*")) if p.is_file())
    return {str(p.relative_to(root)): (p.stat().st_mtime_ns, p.stat().st_size) for p in found}


@pytest.fixture(scope="session", autouse=True)
def _default_paths_untouched(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Fail the run if a test creates or changes the default store, heartbeat or engine cache."""
    repo_data = Path(__file__).resolve().parent.parent / "data"
    watched = {repo_data, Path.cwd() / "data"}  # the default DNWS_DB is data/dnws-bot.sqlite3
    before = {root: _files_under(root) for root in watched}
    home = tmp_path_factory.mktemp(
        "home"
    )  # ~/.cache/dnws-bot and $XDG_CACHE_HOME/dnws-bot land here
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HOME", str(home))
        patch.setenv("XDG_CACHE_HOME", str(home / ".cache"))
        for name in ("DNWS_DB", "DNWS_CACHE_DIR", "DNWS_NO_CACHE"):
            patch.delenv(name, raising=False)  # a test that forgets its own path is caught below
        yield
    touched = [str(root) for root in sorted(watched) if _files_under(root) != before[root]]
    touched += [str(p) for p in (home / ".cache" / "dnws-bot",) if p.exists()]
    if touched:
        pytest.fail(f"tests wrote to default paths (set DNWS_DB / DNWS_CACHE_DIR): {touched}")
