"""A turn: what nearly every handler needs first — the message, services, the language to use
and whether to quote — and the helpers that decide them."""

from __future__ import annotations

from dataclasses import dataclass

from telegram import Message, Update
from telegram.constants import ChatType
from telegram.ext import ContextTypes

from ..engine import LangMode, as_mode
from ..engine.html_subset import escape
from ..engine.language import Lang
from .services import Services, services
from .texts import TextKey, ui


async def chat_mode(update: Update, svc: Services) -> LangMode | None:
    """The chat's stored answer language, or None for "follow the question"."""
    chat = update.effective_chat
    if chat is None:
        return None
    return as_mode(await svc.chat_lang(chat.id))


def user_lang(update: Update, mode: LangMode | None) -> Lang:
    """Language for menus: the chat's one language, else (auto, both) the user's Telegram one."""
    if mode in ("ja", "en"):
        return mode
    user = update.effective_user
    code = (user.language_code or "") if user else ""
    return "ja" if code.lower().startswith("ja") else "en"


def is_group(update: Update) -> bool:
    chat = update.effective_chat
    return chat is not None and chat.type in (ChatType.GROUP, ChatType.SUPERGROUP)


@dataclass(frozen=True)
class Turn:
    """What nearly every handler needs first: the message, services, language, quoting."""

    message: Message
    svc: Services
    lang: Lang
    quote: bool  # in groups, reply to the asker's message

    def say(self, key: TextKey, **values: str) -> str:
        """An interface sentence in this turn's language (plain text: escape it for HTML)."""
        return ui(self.svc.engine, key, self.lang, **values)

    async def reply(self, key: TextKey, **values: str) -> Message:
        """Reply with one interface sentence, quoting the asker in groups."""
        return await self.message.reply_html(escape(self.say(key, **values)), do_quote=self.quote)


async def turn(update: Update, context: ContextTypes.DEFAULT_TYPE) -> Turn | None:
    """The handler's starting point, or None for updates without a message (nothing to do)."""
    message = update.effective_message
    if message is None:
        return None
    svc = services(context)
    lang = user_lang(update, await chat_mode(update, svc))
    return Turn(message, svc, lang, is_group(update))
