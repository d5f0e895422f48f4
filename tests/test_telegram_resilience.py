"""Telegram misbehaving: flood limits, server errors, slowness, blocked users."""

from __future__ import annotations

import asyncio
import logging
import time  # the 429 test checks that retry_after was waited out

import pytest

from botapi import updates
from conftest import RunningBot


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
