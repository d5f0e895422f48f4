"""What Telegram shows before and around the chat: the bot's descriptions, the "Add to a study
group" button, and a short intro when the bot is added to a group."""

from __future__ import annotations

import logging
import time

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ChatMemberStatus, ChatType
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from ..engine import Engine, Lang
from ..engine.html_subset import escape
from ..store import Store
from .services import services
from .texts import ui
from .turns import chat_mode, user_lang

log = logging.getLogger(__name__)

# (language, language_code): English is the default every other language falls back to.
PROFILE_LANGUAGES: tuple[tuple[Lang, str | None], ...] = (("en", None), ("ja", "ja"))
# The payload of the "Add to a study group" link: Telegram then posts "/start start" in the
# group as well as the my_chat_member update; both lead to the one intro.
STARTGROUP_PAYLOAD = "start"
INTRO_GAP_SECONDS = 600.0  # one intro per group in this long, whichever update comes first
_OUTSIDE = (ChatMemberStatus.LEFT, ChatMemberStatus.BANNED)
_INSIDE = (ChatMemberStatus.MEMBER, ChatMemberStatus.ADMINISTRATOR)


async def set_descriptions(bot: Bot, engine: Engine) -> None:
    """setMyDescription (the empty chat's "What can this bot do?") and setMyShortDescription
    (profile and share cards), in English and Japanese. A failure is logged, not fatal."""
    for lang, code in PROFILE_LANGUAGES:
        try:
            await bot.set_my_description(ui(engine, "bot_description", lang), language_code=code)
            await bot.set_my_short_description(
                ui(engine, "bot_short_description", lang), language_code=code
            )
        except TelegramError as exc:
            log.warning("could not set the bot's %s descriptions: %s", lang, exc)


def add_to_group_button(engine: Engine, lang: Lang, bot_username: str) -> InlineKeyboardButton:
    """Telegram's "choose a group" link for this bot."""
    url = f"https://t.me/{bot_username}?startgroup={STARTGROUP_PAYLOAD}"
    return InlineKeyboardButton(ui(engine, "add_to_group", lang), url=url)


def with_add_to_group(
    markup: InlineKeyboardMarkup | None, engine: Engine, lang: Lang, bot_username: str
) -> InlineKeyboardMarkup:
    """`markup` (or nothing) with an "Add to a study group" row at the bottom."""
    rows = [list(row) for row in markup.inline_keyboard] if markup else []
    return InlineKeyboardMarkup([*rows, [add_to_group_button(engine, lang, bot_username)]])


def add_to_group_in_private(
    update: Update,
    markup: InlineKeyboardMarkup | None,
    engine: Engine,
    lang: Lang,
    bot_username: str,
) -> InlineKeyboardMarkup | None:
    """For /start and /help: in a private chat, `markup` plus the "Add to a study group" row;
    in a group (the bot is already there) `markup` unchanged."""
    chat = update.effective_chat
    if chat is None or chat.type != ChatType.PRIVATE:
        return markup
    return with_add_to_group(markup, engine, lang, bot_username)


async def on_my_chat_member(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Added to a group: one three-line intro. Removed from a chat: its schedules go too."""
    changed = update.my_chat_member
    if changed is None:
        return
    chat = changed.chat
    old, new = changed.old_chat_member.status, changed.new_chat_member.status
    svc = services(context)
    if new in _OUTSIDE and chat.type != ChatType.PRIVATE:
        if svc.store is not None:
            await svc.store.call(Store.remove_chat_schedules, chat.id)
        return
    if chat.type not in (ChatType.GROUP, ChatType.SUPERGROUP):
        return
    if old in _OUTSIDE and new in _INSIDE:
        await introduce(context, chat.id, user_lang(update, await chat_mode(update, svc)))


async def introduce(context: ContextTypes.DEFAULT_TYPE, chat_id: int, lang: Lang) -> None:
    """The three-line intro (how to ask: /ask, mention, reply), at most once per group in
    INTRO_GAP_SECONDS: joining via the link brings both my_chat_member and /start."""
    sent: dict[int, float] = context.bot_data.setdefault("introduced", {})
    now = time.monotonic()
    if now - sent.get(chat_id, -INTRO_GAP_SECONDS) < INTRO_GAP_SECONDS:
        return
    if len(sent) > 10_000:
        sent.clear()
    sent[chat_id] = now  # before the await: the other update sees it at once
    intro = ui(services(context).engine, "group_intro", lang, bot=context.bot.username)
    try:
        await context.bot.send_message(chat_id, escape(intro))
    except TelegramError as exc:  # e.g. a group where members may not write
        log.info("no intro in chat %s: %s", chat_id, exc)
