"""Telegram misbehaving: flood limits, server errors, slowness, blocked users."""

from __future__ import annotations

import asyncio
import json
import logging
import time  # the 429 test checks that retry_after was waited out
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from telegram.error import BadRequest, NetworkError, TimedOut
from telegram.ext import Defaults

from botapi import BotApiStandIn, updates
from conftest import RunningBot, start_bot
from dnws_bot.engine import Engine
from dnws_bot.settings import Settings
from dnws_bot.telegram.sending import make_bot, not_sent
from raw_http import read_request


async def test_429_retry_after_is_waited_out_and_the_reply_arrives(bot: RunningBot) -> None:
    """A 429 with retry_after delays the reply by that long, but it still arrives."""
    bot.api.inject("sendMessage", status=429, retry_after=1, times=1)
    started = time.monotonic()
    call = await bot.say("NPTとは", successful=True)
    assert call.ok
    assert time.monotonic() - started >= 1.0
    statuses = [c.status for c in bot.api.calls("sendMessage")]
    assert statuses == [429, 200]


@pytest.mark.parametrize("status", [500, 502])
async def test_server_error_is_retried_and_the_reply_arrives(bot: RunningBot, status: int) -> None:
    """A 5xx on a send is retried with backoff until the reply goes through."""
    bot.api.inject("sendMessage", status=status, times=2)
    call = await bot.say("P5とは", successful=True)
    assert call.ok
    assert [c.status for c in bot.api.calls("sendMessage")] == [status, status, 200]


async def test_slow_chat_does_not_delay_other_chats(bot: RunningBot) -> None:
    """While Telegram answers one chat's send slowly, another chat's reply completes first."""
    bot.api.delay("sendMessage", 2.0, chat_id=5001, times=1)
    bot.feed(updates.private_text(5001, 5001, "NPTとは"))
    await asyncio.sleep(0.2)
    fast = await bot.say("P5とは", user_id=5002)
    slow = await bot.reply_to(5001)
    assert slow.started < fast.started  # the slow send was already in flight...
    assert fast.time < slow.time  # ...and the other chat's reply finished before it


async def test_blocked_user_is_an_info_line_not_a_traceback(
    bot: RunningBot, caplog: pytest.LogCaptureFixture
) -> None:
    """A user who blocked the bot causes one INFO line and no error-level traceback."""
    bot.api.block(5003)
    bot.feed(updates.private_text(5003, 5003, "NPTとは"))
    await bot.api.wait_for("sendMessage", lambda c: c.status == 403)
    await bot.quiet(0.3)
    assert any(
        r.levelno == logging.INFO and "unreachable" in r.getMessage() for r in caplog.records
    )
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert (await bot.say("P5とは", user_id=5004)).ok


async def test_one_log_line_per_update_without_user_text(
    bot: RunningBot, caplog: pytest.LogCaptureFixture
) -> None:
    """Each update logs one INFO line with chat type, language, intent, score and ms, no text."""
    await bot.say("秘密の質問: NPTとは")
    await bot.quiet(0.2)
    lines = [
        r.getMessage()
        for r in caplog.records
        if r.name == "dnws_bot.updates" and r.levelno == logging.INFO
    ]
    assert lines
    assert all("chat_type=" in line and "ms=" in line and "intent=" in line for line in lines)
    assert not any("秘密" in line for line in lines)


async def test_a_429_storm_delays_answers_but_drops_none(
    bot: RunningBot, caplog: pytest.LogCaptureFixture
) -> None:
    """300 flood-control answers (retry_after=1) over 60 chats: every chat still gets its reply,
    with no error and no traceback per retry."""
    bot.api.inject("sendMessage", status=429, retry_after=1, times=300)
    chats = range(7001, 7061)
    for chat in chats:
        bot.feed(updates.private_text(chat, chat, "NPTとは"))
    await bot.api.wait_for_count("sendMessage", 300 + len(chats), timeout=60)
    await bot.quiet(0.3)
    sends = bot.api.calls("sendMessage")
    assert [c.status for c in sends].count(429) == 300
    answered = sorted(int(c.params["chat_id"]) for c in sends if c.ok)
    assert answered == list(chats)  # every chat once: none dropped, none twice
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert not [r for r in caplog.records if r.exc_info or r.exc_text]


@pytest.fixture
async def impatient_bot(
    api: BotApiStandIn, tmp_path: Path, shared_engine: Engine
) -> AsyncIterator[RunningBot]:
    """The bot with a 1 s send timeout, so a slow answer from Telegram is a read timeout."""
    running, stop, task = await start_bot(api, tmp_path, shared_engine, send_timeout=1.0)
    yield running
    stop.set()
    await asyncio.wait_for(task, timeout=15)


async def test_a_send_whose_answer_timed_out_is_not_sent_again(
    impatient_bot: RunningBot, caplog: pytest.LogCaptureFixture
) -> None:
    """Telegram processed the send but answered too late: the bot sends neither a duplicate nor
    an apology, and logs a WARNING without a traceback."""
    bot = impatient_bot
    bot.api.delay("sendMessage", 2.5, chat_id=7101, times=1)
    bot.feed(updates.private_text(7101, 7101, "NPTとは"))
    await bot.api.wait_for("sendMessage", lambda c: int(c.params["chat_id"]) == 7101, timeout=10)
    assert (await bot.say("P5とは", user_id=7102)).ok  # the bot carries on
    await bot.quiet(1.5)
    to_slow_chat = [c for c in bot.api.calls("sendMessage") if int(c.params["chat_id"]) == 7101]
    assert len(to_slow_chat) == 1
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert any("not repeated" in r.getMessage() for r in caplog.records)


def _failure(exc: Exception, cause: BaseException | None) -> Exception:
    exc.__cause__ = cause
    return exc


@pytest.mark.parametrize(
    ("error", "retry"),
    [
        (_failure(NetworkError("httpx.ConnectError: refused"), httpx.ConnectError("x")), True),
        (_failure(TimedOut(), httpx.ConnectTimeout("x")), True),
        (_failure(TimedOut("Pool timeout"), httpx.PoolTimeout("x")), True),
        (_failure(TimedOut(), httpx.WriteTimeout("x")), True),
        (_failure(NetworkError("Internal Server Error"), None), True),
        (_failure(TimedOut(), httpx.ReadTimeout("x")), False),
        (_failure(NetworkError("httpx.ReadError"), httpx.ReadError("x")), False),
        (_failure(NetworkError("disconnected"), httpx.RemoteProtocolError("x")), False),
        (_failure(NetworkError("Unknown error"), RuntimeError("x")), False),
        (_failure(BadRequest("Bad Request: chat not found"), None), False),
    ],
)
def test_only_requests_that_never_reached_telegram_count_as_not_sent(
    error: NetworkError, retry: bool
) -> None:
    """Connect/pool/write failures and error statuses may be retried; lost answers may not."""
    assert not_sent(error) is retry


async def test_a_poison_update_between_two_questions_is_skipped(
    bot: RunningBot, caplog: pytest.LogCaptureFixture
) -> None:
    """An update PTB cannot parse is logged once without content and both questions around it
    are answered: polling moves past it."""
    bot.feed(updates.private_text(7201, 7201, "NPTとは"))
    poison = bot.feed(
        {
            "poll_answer": {
                "poll_id": "no-such-poll",
                "user": {"id": 7202, "is_bot": False, "first_name": "秘密の名前"},
                "option_ids": [0],
            }
        }
    )
    bot.feed(updates.private_text(7203, 7203, "P5とは"))
    sends = await bot.api.wait_for_count("sendMessage", 2, timeout=10)
    assert sorted(int(c.params["chat_id"]) for c in sends if c.ok) == [7201, 7203]
    await bot.quiet(1.0)  # several more long polls: the poison is not fetched again
    skipped = [r for r in caplog.records if "skipped" in r.getMessage()]
    assert len(skipped) == 1
    line = skipped[0].getMessage()
    assert f"update {poison['update_id']}" in line and "poll_answer" in line
    assert "秘密" not in line
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert bot.api.pending_updates == 0  # confirmed to Telegram


async def test_a_dropped_long_poll_is_one_warning_without_traceback(
    bot: RunningBot, caplog: pytest.LogCaptureFixture
) -> None:
    """Cutting the getUpdates connection logs one WARNING line, no ERROR, no traceback, and
    the bot keeps answering."""
    await asyncio.sleep(0.3)  # a long poll is in flight
    server = bot.api._server
    assert server is not None
    for _ in range(3):
        server.close_connections()
        await asyncio.sleep(0.3)
    assert (await bot.say("NPTとは", user_id=7301)).ok
    failures = [r for r in caplog.records if "getUpdates failed" in r.getMessage()]
    assert len(failures) == 1
    assert failures[0].levelno == logging.WARNING
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert not [r for r in caplog.records if r.exc_info or r.exc_text]


class _TinyApi:
    """A minimal Bot API on 127.0.0.1 whose sendMessage misbehaves as scripted: "drop" reads
    the whole request and hangs up without answering (Telegram did the work, the answer was
    lost); "503" answers a server error. getMe always works."""

    def __init__(self, script: list[str]) -> None:
        self.script = script
        self.sends = 0
        self.server: asyncio.Server | None = None

    async def __aenter__(self) -> _TinyApi:
        self.server = await asyncio.start_server(self.serve, "127.0.0.1", 0)
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self.server is not None
        self.server.close()

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.sockets[0].getsockname()[1]}"

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while (request := await read_request(reader)) is not None:
                line, _ = request
                if b"/getMe" in line:
                    result: object = {
                        "id": 123456,
                        "is_bot": True,
                        "first_name": "t",
                        "username": "t_bot",
                    }
                    status = 200
                else:
                    self.sends += 1
                    step = self.script.pop(0) if self.script else "ok"
                    if step == "drop":
                        return  # the request was read in full: hang up without an answer
                    status = 503 if step == "503" else 200
                    result = {
                        "message_id": 1,
                        "date": 0,
                        "chat": {"id": 1, "type": "private"},
                        "text": "x",
                    }
                body = json.dumps(
                    {"ok": True, "result": result}
                    if status == 200
                    else {"ok": False, "error_code": status, "description": "Service Unavailable"}
                ).encode()
                writer.write(
                    f"HTTP/1.1 {status} X\r\nContent-Type: application/json\r\n"
                    f"Content-Length: {len(body)}\r\n\r\n".encode()
                    + body
                )
                await writer.drain()
        finally:
            writer.close()


async def _send_once(tiny: _TinyApi) -> None:
    settings = Settings(token="123456:ABC-DEF1234ghIkl-zyx57W2v1u123ew11", api_url=tiny.url)
    bot = make_bot(settings, defaults=Defaults(), pool_size=4)
    async with bot:
        await bot.send_message(chat_id=1, text="x")


async def test_a_send_dropped_after_it_reached_the_api_is_not_repeated() -> None:
    """The connection drops after the API read the whole send: one send, an error, no copy."""
    async with _TinyApi(["drop"]) as tiny:
        with pytest.raises(NetworkError):
            await _send_once(tiny)
    assert tiny.sends == 1


async def test_a_send_answered_with_503_is_retried_until_it_goes_through() -> None:
    """Telegram answered 503 twice (it did nothing): the send is repeated and succeeds."""
    async with _TinyApi(["503", "503"]) as tiny:
        await _send_once(tiny)
    assert tiny.sends == 3
