"""Wire python-telegram-bot: builder, defaults, rate limiter, handlers in a deliberate order."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from telegram import BotCommand, LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.error import Forbidden, TelegramError
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    Defaults,
    InlineQueryHandler,
    MessageHandler,
    PollAnswerHandler,
    TypeHandler,
    filters,
)

from ..engine import Engine
from ..logging_setup import install_redaction
from ..settings import Settings
from . import admin, common, handlers, inline, study
from .commands import menu
from .sending import make_bot, maybe_delivered
from .services import Services, services

log = logging.getLogger(__name__)

# Updates the bot asks Telegram for; anything else is never delivered.
ALLOWED_UPDATES = [
    Update.MESSAGE,
    Update.EDITED_MESSAGE,
    Update.CHANNEL_POST,
    Update.CALLBACK_QUERY,
    Update.INLINE_QUERY,
    Update.POLL_ANSWER,
    Update.MY_CHAT_MEMBER,
]


CONCURRENT_UPDATES = 64


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log the failure once; tell the user something went wrong when there is a chat to tell."""
    error = context.error
    if isinstance(error, Forbidden):
        chat = update.effective_chat if isinstance(update, Update) else None
        log.info("chat %s is unreachable (%s)", chat.id if chat else "?", error.message)
        return
    update_id = update.update_id if isinstance(update, Update) else None
    if maybe_delivered(error):
        # The send may well have arrived: no traceback, and no apology after a likely answer.
        log.warning("update %s: a send got no answer (%s); not repeated", update_id, error)
        return
    log.error("update %s failed: %s", update_id, error, exc_info=error)
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    if update.callback_query is not None:
        with contextlib.suppress(TelegramError):  # it may be answered or expired already
            await update.callback_query.answer(common.text_for("apology", "en"))
        return
    if update.message is not None:
        lang = common.user_lang(update, None)
        try:
            await update.message.reply_text(common.text_for("apology", lang))
        except Exception as exc:  # never let the apology itself escalate
            log.warning("could not send apology for update %s: %s", update_id, exc)


async def register_commands(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Register the command menu in both languages (default: English)."""
    bot = application.bot
    await bot.set_my_commands([BotCommand(c, d) for c, d in menu("en")])
    await bot.set_my_commands([BotCommand(c, d) for c, d in menu("ja")], language_code="ja")
    log.info("bot @%s ready, catalogue %s", bot.username, services_from(application).engine.version)


def services_from(application: Application[Any, Any, Any, Any, Any, Any]) -> Services:
    value = application.bot_data["services"]
    assert isinstance(value, Services)
    return value


def build_application(
    settings: Settings,
    engine: Engine,
    store: Any = None,
    *,
    with_updater: bool = True,
) -> Application[Any, Any, Any, Any, Any, Any]:
    """The whole bot: one Application with every handler, ready for polling or a webhook."""
    token = settings.require_token()
    install_redaction([token, settings.webhook_secret])
    defaults = Defaults(
        parse_mode=ParseMode.HTML,
        link_preview_options=LinkPreviewOptions(is_disabled=True),
        allow_sending_without_reply=True,
    )
    builder = (
        Application.builder()
        .bot(make_bot(settings, defaults=defaults, pool_size=CONCURRENT_UPDATES))
        # As many updates in flight as connections: a longer queue than the pool makes httpcore's
        # request assignment quadratic (measured in bench: 183 → 555 updates/s for a no-op bot).
        # 64 slow chats at once still leave others unaffected.
        .concurrent_updates(CONCURRENT_UPDATES)
    )
    if not with_updater:
        builder = builder.updater(None)
    application = builder.build()
    application.bot_data["services"] = Services(settings=settings, engine=engine, store=store)

    new = filters.UpdateType.MESSAGE  # edited messages and channel posts are left alone
    private = filters.ChatType.PRIVATE
    groups = filters.ChatType.GROUPS

    # -1: start the clock for the per-update log line.
    application.add_handler(TypeHandler(Update, handlers.mark_received), group=-1)

    # 0: exactly one of these answers an update. Commands first (PTB ignores /cmd@otherbot).
    commands: list[tuple[str, Callable[..., Coroutine[Any, Any, None]]]] = [
        ("start", handlers.cmd_start),
        ("help", handlers.cmd_help),
        ("topics", handlers.cmd_topics),
        ("lang", handlers.cmd_lang),
        ("source", handlers.cmd_source),
        ("about", handlers.cmd_about),
        ("ask", handlers.cmd_ask),
        ("map", study.cmd_map),
        ("glossary", study.cmd_glossary),
        ("quiz", study.cmd_quiz),
        ("score", study.cmd_score),
        ("stats", admin.cmd_stats),
        ("reload", admin.cmd_reload),
    ]
    for name, callback in commands:
        application.add_handler(CommandHandler(name, callback, filters=new))
    application.add_handler(CallbackQueryHandler(handlers.button))
    application.add_handler(InlineQueryHandler(inline.inline_query))
    application.add_handler(PollAnswerHandler(study.poll_answer))
    application.add_handler(MessageHandler(filters.StatusUpdate.MIGRATE, admin.chat_migrated))
    application.add_handler(
        MessageHandler(new & private & filters.TEXT & ~filters.COMMAND, handlers.private_text)
    )
    application.add_handler(
        MessageHandler(new & groups & filters.TEXT & ~filters.COMMAND, handlers.group_text)
    )
    application.add_handler(
        MessageHandler(new & private & filters.COMMAND, handlers.unknown_command)
    )
    application.add_handler(
        MessageHandler(
            new & ~filters.TEXT & ~filters.StatusUpdate.ALL & ~filters.COMMAND, handlers.non_text
        )
    )

    # 99: one log line per update, whatever happened above.
    application.add_handler(TypeHandler(Update, handlers.log_update), group=99)
    application.add_error_handler(on_error)
    return application


__all__ = ["ALLOWED_UPDATES", "build_application", "services"]
