"""Polling with a bounded backlog: getUpdates asks for at most as many updates as the inbox has
room for, and the next call (whose offset confirms the batch to Telegram) waits until the batch
is stored. Fetch errors are logged once per kind and minute, without a traceback.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from telegram.error import InvalidToken, TelegramError

from ..logging_setup import Throttle, redact
from .inbox import Inbox

log = logging.getLogger("dnws_bot.telegram.runner")
POLL_TIMEOUT = 30  # seconds a getUpdates long poll waits for updates
MAX_FETCH = 100  # Telegram's getUpdates limit


def polling_error_logger() -> Any:
    """getUpdates errors: one WARNING line per kind and minute, no traceback.

    A dropped long-poll connection is routine (proxies, NAT, Telegram restarts); `poll` retries
    with backoff (PTB's own updater logged ERROR with a ~90-line traceback each time).
    """
    throttle = Throttle(60.0)

    def on_error(exc: TelegramError) -> None:
        throttle.log(
            log,
            logging.WARNING,
            type(exc).__name__,
            "getUpdates failed (%s: %s); retrying",
            type(exc).__name__,
            redact(str(exc)),
        )

    return on_error


async def poll(inbox: Inbox, allowed_updates: list[str], on_error: Any) -> None:
    """Long-poll getUpdates forever (cancel to stop), never holding more than the backlog."""
    bot = inbox.application.bot
    await bot.delete_webhook()  # getUpdates answers 409 while a webhook is set
    offset: int | None = None
    pause = 1.0
    while True:
        await inbox.wait_for_room()
        limit = max(1, min(MAX_FETCH, inbox.room()))
        try:
            updates = await bot.get_updates(
                offset=offset, limit=limit, timeout=POLL_TIMEOUT, allowed_updates=allowed_updates
            )
        except InvalidToken:
            raise
        except TelegramError as exc:  # Conflict, NetworkError, RetryAfter...
            on_error(exc)
            await asyncio.sleep(pause)
            pause = min(30.0, pause * 2)
            continue
        pause = 1.0
        # Stored (and poison recorded) before the next getUpdates confirms them to Telegram.
        await inbox.admit([(update, None) for update in updates])
        if updates:
            offset = max(update.update_id for update in updates) + 1
