"""Admin-only commands and chat housekeeping (migration to a supergroup)."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from telegram import Update
from telegram.ext import ContextTypes

from ..engine.html_subset import escape
from ..store import Store
from .services import services
from .texts import ui
from .turns import is_group, user_lang

log = logging.getLogger(__name__)
Handler = Callable[[Update, ContextTypes.DEFAULT_TYPE], Coroutine[Any, Any, None]]


def _admin_user(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    """True only for a real user listed in ADMIN_IDS (an anonymous group admin is not one)."""
    user = update.effective_user
    message = update.effective_message
    if message is not None and message.sender_chat is not None:
        return False  # sent as the group or a channel: we cannot tell who it is
    return services(context).is_admin(user.id if user else None)


def admins_only(handler: Handler) -> Handler:
    """Gate a command to ADMIN_IDS; everyone else gets a short "not allowed" and nothing runs."""

    @functools.wraps(handler)
    async def gated(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        if message is None:
            return
        if not _admin_user(update, context):
            refusal = ui(services(context).engine, "admins_only", user_lang(update, None))
            await message.reply_html(escape(refusal), do_quote=is_group(update))
            return
        await handler(update, context)

    return gated


async def cmd_stats(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/stats (admins, gated by the command table): questions, answer rate, top intents, unanswered count, feedback."""
    message = update.effective_message
    svc = services(context)
    if message is None or svc.store is None:
        return
    await svc.store.flush()  # count the questions still queued for the log too
    stats = await svc.store.call(Store.stats)
    report = ui(
        svc.engine,
        "stats_report",
        user_lang(update, None),
        version=svc.engine.version,
        questions=str(stats.questions),
        answered=f"{stats.answered_share:.0%}",
        unanswered=str(stats.unanswered),
        up=str(stats.feedback_up),
        down=str(stats.feedback_down),
    )
    lines = [
        escape(report),
        *(f"  {escape(intent)}: {count}" for intent, count in stats.top_intents[:10]),
    ]
    await message.reply_html("\n".join(lines), do_quote=is_group(update))


async def cmd_reload(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/reload (admins): validate intents/ and swap it in; an invalid one is refused with errors."""
    message = update.effective_message
    if message is None:
        return
    svc = services(context)
    ok, details = await svc.reload()
    prefix = escape(
        ui(svc.engine, "reload_done" if ok else "reload_refused", user_lang(update, None))
    )
    body = escape(details)[:3500]
    await message.reply_html(f"{prefix}\n<pre>{body}</pre>", do_quote=is_group(update))


async def chat_migrated(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A group became a supergroup: carry its settings over to the new chat id."""
    message = update.effective_message
    svc = services(context)
    if message is None or message.migrate_to_chat_id is None:
        return
    await svc.migrate_chat(message.chat.id, message.migrate_to_chat_id)
    log.info("chat %s migrated to %s", message.chat.id, message.migrate_to_chat_id)
