"""One INFO line per update (ids, chat type, language, intent, score, time; never user text).

`mark_received` runs first (handler group -1), the handlers `note_outcome`, and `log_update`
runs last (group 99) whatever happened in between.
"""

from __future__ import annotations

import logging
import time

from telegram import Update
from telegram.ext import ContextTypes

from .services import services

log = logging.getLogger("dnws_bot.updates")


async def mark_received(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Start the clock for this update's handling time."""
    services(context).received[update.update_id] = time.perf_counter()


def note_outcome(
    context: ContextTypes.DEFAULT_TYPE,
    update: Update,
    lang: str,
    intent: str | None,
    score: float,
) -> None:
    """Remember what this update produced, for the one log line per update."""
    services(context).outcomes[update.update_id] = (lang, intent or "none", score)


async def log_update(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """One INFO line per update: ids, chat type, language, intent, score, time. No user text."""
    svc = services(context)
    lang, intent, score = svc.outcomes.pop(update.update_id, ("-", "-", 0.0))
    chat = update.effective_chat
    started = svc.received.pop(update.update_id, None)
    elapsed = (time.perf_counter() - started) * 1000 if started is not None else 0.0
    log.info(
        "update=%s chat_type=%s lang=%s intent=%s score=%.3f ms=%.1f",
        update.update_id,
        chat.type if chat else "none",
        lang,
        intent,
        score,
        elapsed,
    )
    message = update.effective_message
    if message is not None and message.text and log.isEnabledFor(logging.DEBUG):
        log.debug("update=%s text=%r", update.update_id, message.text)
