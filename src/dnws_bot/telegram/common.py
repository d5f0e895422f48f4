"""Helpers every handler module shares: interface texts, language choice, bookkeeping."""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

from telegram import Message, Update
from telegram.constants import ChatType
from telegram.ext import ContextTypes

from ..engine import LangMode
from ..engine.language import Lang
from .services import Services, services

TEXTS = {
    "not_text": {
        "ja": "文字で質問してください(スタンプ・画像・音声には対応していません)。/help",
        "en": "Please ask in text — I can't read stickers, photos or voice messages. /help",
    },
    "ask_usage": {
        "ja": "使い方: /ask 質問(例: /ask DNWSとは)。質問のメッセージに返信して /ask でも答えます。",
        "en": "Usage: /ask <question> (e.g. /ask what is a DNWS), or reply /ask to a question.",
    },
    "lang_usage": {
        "ja": "使い方: /lang ja | en | both | auto(現在: {current})",
        "en": "Usage: /lang ja | en | both | auto (now: {current})",
    },
    "lang_set": {
        "ja": "回答言語を「{mode}」にしました。",
        "en": 'Answer language set to "{mode}".',
    },
    "topics": {"ja": "トピックを選んでください:", "en": "Choose a topic:"},
    "unknown_command": {
        "ja": "そのコマンドはありません。/help で使い方を表示します。",
        "en": "I don't know that command. /help lists what I can do.",
    },
    "outdated": {
        "ja": "このボタンは古くなっています。/topics からどうぞ。",
        "en": "This button is out of date — try /topics.",
    },
    "open_in_bot": {
        "ja": "ボットとのチャットで開いてください。",
        "en": "Open the bot's chat to use this button.",
    },
    "voted": {"ja": "フィードバックありがとうございます!", "en": "Thanks for the feedback!"},
    "apology": {
        "ja": "すみません、エラーが発生しました。もう一度お試しください。",
        "en": "Sorry, something went wrong. Please try again.",
    },
    "about": {
        "ja": "dnws-bot は、38 North の記事(2025年3月14日)だけを根拠に日英で答える学習用ボットです。"
        "38 North とは無関係です。質問文は回答率の改善のため匿名で記録されることがあります"
        "(ユーザーIDや名前は保存しません)。",
        "en": "dnws-bot is a study bot that answers in Japanese or English from one 38 North "
        "article (2025-03-14) and nothing else. It is not affiliated with 38 North. Unanswered "
        "questions may be kept anonymously to improve answers (no user ids or names).",
    },
}
LANG_MODES = ("ja", "en", "both", "auto")


def text_for(key: str, lang: Lang, **values: str) -> str:
    return TEXTS[key][lang].format(**values)


def as_mode(value: str | None) -> LangMode | None:
    """A stored /lang word as an answer mode; "auto" and anything else mean None."""
    return cast(LangMode, value) if value in ("ja", "en", "both") else None


async def chat_mode(update: Update, svc: Services) -> LangMode | None:
    """The chat's stored answer language, or None for "follow the question"."""
    chat = update.effective_chat
    if chat is None:
        return None
    return as_mode(await svc.chat_lang(chat.id))


def user_lang(update: Update, mode: LangMode | None) -> Lang:
    """Language for menus: the chat's choice, else the user's Telegram language."""
    if mode in ("ja", "en"):
        return mode
    if mode == "both":
        return "ja"
    user = update.effective_user
    code = (user.language_code or "") if user else ""
    return "ja" if code.lower().startswith("ja") else "en"


def note_outcome(
    context: ContextTypes.DEFAULT_TYPE,
    update: Update,
    lang: str,
    intent: str | None,
    score: float,
) -> None:
    """Remember what this update produced, for the one log line per update."""
    services(context).outcomes[update.update_id] = (lang, intent or "none", score)


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


async def turn(update: Update, context: ContextTypes.DEFAULT_TYPE) -> Turn | None:
    """The handler's starting point, or None for updates without a message (nothing to do)."""
    message = update.effective_message
    if message is None:
        return None
    svc = services(context)
    lang = user_lang(update, await chat_mode(update, svc))
    return Turn(message, svc, lang, is_group(update))
