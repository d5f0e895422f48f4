"""Wire python-telegram-bot: builder, defaults, rate limiter, handlers in a deliberate order."""

from __future__ import annotations

import contextlib
import logging
from typing import Any

from telegram import LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.error import Forbidden, TelegramError
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    ContextTypes,
    Defaults,
    InlineQueryHandler,
    MessageHandler,
    MessageReactionHandler,
    PollAnswerHandler,
    TypeHandler,
    filters,
)
from telegram.ext.filters import BaseFilter

from ..engine import CatalogueError, Engine
from ..engine.html_subset import escape
from ..engine.language import Lang
from ..logging_setup import install_redaction
from ..settings import Settings
from . import (
    admin,
    answers,
    buttons,
    commands,
    events,
    inline,
    profile,
    schedule,
    study,
    update_log,
)
from .commands import MENU_SCOPES, Command, menus
from .sending import make_bot, maybe_delivered
from .services import Services, services
from .texts import missing_texts, ui
from .turns import user_lang

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
    Update.MESSAGE_REACTION,
]


# Chosen by measurement (bench/telegram_bench.py against the stand-in, 2 shared cores). On
# httpx's stock transport a small pool was fastest (httpcore checks every pooled connection on
# every request); on keepalive.py's transport 4, 8 and 16 connections are within a few percent
# (464-470, 459-482 and 485-496 updates/s in two rounds), so 16: more sends can wait out a slow
# moment of Telegram's at once. More updates in flight than 32 only queue for connections; 32
# still let 31 chats wait out a slow send or a flood limit while the others are answered.
CONCURRENT_UPDATES = 32
CONNECTION_POOL_SIZE = 16


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
    engine = services(context).engine
    if update.callback_query is not None:
        with contextlib.suppress(TelegramError):  # it may be answered or expired already
            await update.callback_query.answer(ui(engine, "apology", "en"))
        return
    if update.message is not None:
        lang = user_lang(update, None)
        try:
            await update.message.reply_html(escape(ui(engine, "apology", lang)))
        except Exception as exc:  # never let the apology itself escalate
            log.warning("could not send apology for update %s: %s", update_id, exc)


async def register_commands(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Send the menus from the command table, in English (the default) and Japanese. The
    default scope and all private chats carry the private-chat menu; all group chats get their
    own. Then the bot's descriptions, and scheduled posts that were due while it was down."""
    bot = application.bot
    svc = services_from(application)
    languages: tuple[tuple[Lang, str | None], ...] = (("en", None), ("ja", "ja"))
    for lang, code in languages:
        await bot.set_my_commands(
            menus(svc.commands, svc.engine, lang)["private"], language_code=code
        )
    for lang, code in languages:
        group_menu = menus(svc.commands, svc.engine, lang)["groups"]
        await bot.set_my_commands(group_menu, scope=MENU_SCOPES["groups"], language_code=code)
    for lang, code in languages:  # explicit too: a client may not fall back to the default
        private_menu = menus(svc.commands, svc.engine, lang)["private"]
        await bot.set_my_commands(private_menu, scope=MENU_SCOPES["private"], language_code=code)
    await profile.set_descriptions(bot, svc.engine)
    await schedule.start(application)
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
    command_table: tuple[Command, ...] | None = None,
) -> Application[Any, Any, Any, Any, Any, Any]:
    """The whole bot: one Application with every handler, ready for polling or a webhook.
    `command_table` defaults to `commands.COMMANDS` (read when called)."""
    token = settings.require_token()
    install_redaction([token, settings.webhook_secret])
    defaults = Defaults(
        parse_mode=ParseMode.HTML,
        link_preview_options=LinkPreviewOptions(is_disabled=True),
        allow_sending_without_reply=True,
    )
    builder = (
        Application.builder()
        .bot(make_bot(settings, defaults=defaults, pool_size=CONNECTION_POOL_SIZE))
        .concurrent_updates(CONCURRENT_UPDATES)
    )
    if not with_updater:
        builder = builder.updater(None)
    application = builder.build()
    table = commands.COMMANDS if command_table is None else command_table
    if problems := missing_texts(engine.catalogue, (c.name for c in table)):
        raise CatalogueError(problems)
    application.bot_data["services"] = Services(
        settings=settings, engine=engine, store=store, commands=table
    )

    new = filters.UpdateType.MESSAGE  # edited messages and channel posts are left alone
    private = filters.ChatType.PRIVATE
    groups = filters.ChatType.GROUPS

    # -1: start the clock for the per-update log line.
    application.add_handler(TypeHandler(Update, update_log.mark_received), group=-1)

    # 0: exactly one of these answers an update. Commands first, from the command table (PTB
    # ignores /cmd@otherbot); a command outside its scope falls through to the handlers below.
    where: dict[str, BaseFilter] = {"private": new & private, "groups": new & groups}
    for command in table:
        callback = (
            admin.admins_only(command.handler) if command.scope == "admin" else command.handler
        )
        application.add_handler(
            CommandHandler(command.name, callback, filters=where.get(command.scope, new))
        )
    application.add_handler(CallbackQueryHandler(buttons.on_button))
    application.add_handler(InlineQueryHandler(inline.inline_query))
    application.add_handler(PollAnswerHandler(study.poll_answer))
    application.add_handler(ChatMemberHandler(profile.on_my_chat_member))
    application.add_handler(MessageReactionHandler(events.on_reaction))
    application.add_handler(
        MessageHandler(filters.UpdateType.EDITED_MESSAGE & filters.TEXT, events.edited_question)
    )
    application.add_handler(MessageHandler(filters.StatusUpdate.MIGRATE, admin.chat_migrated))
    application.add_handler(
        MessageHandler(new & private & filters.TEXT & ~filters.COMMAND, answers.private_text)
    )
    application.add_handler(
        MessageHandler(new & groups & filters.TEXT & ~filters.COMMAND, answers.group_text)
    )
    application.add_handler(
        MessageHandler(new & private & filters.COMMAND, answers.unknown_command)
    )
    application.add_handler(
        MessageHandler(
            new & ~filters.TEXT & ~filters.StatusUpdate.ALL & ~filters.COMMAND, answers.non_text
        )
    )

    schedule.install(application)

    # 99: one log line per update, whatever happened above.
    application.add_handler(TypeHandler(Update, update_log.log_update), group=99)
    application.add_error_handler(on_error)
    return application


__all__ = ["ALLOWED_UPDATES", "build_application", "services"]
