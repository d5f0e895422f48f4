"""The command table: each command's handler, where it works, its menu line and its /help line.

app.py registers the handlers from it, `register_commands` sends the Telegram menus from it and
/help renders from it, so the three cannot disagree. Adding a command is one entry here.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any, Literal

from telegram import (
    BotCommand,
    BotCommandScopeAllGroupChats,
    BotCommandScopeAllPrivateChats,
    Update,
)
from telegram.ext import ContextTypes

from ..engine.catalogue import Text
from ..engine.language import Lang
from ..engine.telegram_html import escape
from . import admin, handlers, study
from .common import is_group, turn

Handler = Callable[[Update, ContextTypes.DEFAULT_TYPE], Coroutine[Any, Any, None]]
# Where a command works: private chats, groups, both, or anywhere for ADMIN_IDS only (hidden
# from the menus, listed in /help for admins).
Scope = Literal["private", "groups", "both", "admin"]
ChatKind = Literal["private", "groups"]


@dataclass(frozen=True)
class Command:
    name: str
    handler: Handler
    scope: Scope
    menu: Text  # the Telegram menu's short description
    help: Text | None = None  # the /help line, when it says more than the menu

    @property
    def help_line(self) -> Text:
        return self.help or self.menu

    def offered_in(self, chat: ChatKind) -> bool:
        return self.scope in (chat, "both")


HELP_INTRO = Text(
    "38 North の記事(2025年3月14日)「北朝鮮の事実上の核武装国化と米韓の対応戦略」について、"
    "日本語か英語で質問してください。例: 「DNWSとは?」「北朝鮮の三つの障害は?」\n"
    "グループでは /ask 質問、@メンション、またはボットへの返信で質問できます。"
    "どのチャットでも @{bot} 質問 で検索できます(インラインモード)。",
    "Ask about 38 North's article (2025-03-14) on North Korea's push for de facto nuclear "
    'weapon state status and the ROK-US response, in English or Japanese, e.g. "What is a '
    'DNWS?" or "What are North Korea\'s three obstacles?"\n'
    "In groups use /ask, mention me, or reply to my message. In any chat type @{bot} and a "
    "question (inline mode).",
)


def help_text(table: tuple[Command, ...], lang: Lang, chat: ChatKind, is_admin: bool) -> str:
    """How to ask, then one line per command this chat offers (admin ones for admins)."""
    lines = [
        f"/{c.name} — {c.help_line.get(lang)}"
        for c in table
        if c.offered_in(chat) or (is_admin and c.scope == "admin")
    ]
    return HELP_INTRO.get(lang) + "\n\n" + "\n".join(lines)


async def cmd_help(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/help: how to ask, and the command list (the same table as the Telegram menu)."""
    if (t := await turn(update, context)) is None:
        return
    user = update.effective_user
    chat: ChatKind = "groups" if is_group(update) else "private"
    text = help_text(t.svc.commands, t.lang, chat, t.svc.is_admin(user.id if user else None))
    await t.message.reply_html(escape(text.format(bot=context.bot.username)), do_quote=t.quote)


def menus(table: tuple[Command, ...], lang: Lang) -> dict[ChatKind, list[BotCommand]]:
    """setMyCommands lists for private chats and for groups, in one language."""
    return {
        chat: [BotCommand(c.name, c.menu.get(lang)) for c in table if c.offered_in(chat)]
        for chat in ("private", "groups")
    }


MENU_SCOPES = {
    "private": BotCommandScopeAllPrivateChats(),
    "groups": BotCommandScopeAllGroupChats(),
}


COMMANDS: tuple[Command, ...] = (
    Command("start", handlers.cmd_start, "both", Text("はじめに", "Start and main topics")),
    Command("help", cmd_help, "both", Text("使い方", "How to use this bot")),
    Command("topics", handlers.cmd_topics, "both", Text("トピック一覧", "Browse topics")),
    Command(
        "ask",
        handlers.cmd_ask,
        "both",
        Text(
            "質問する(グループ用) 例: /ask DNWSとは", "Ask a question (groups): /ask what is DNWS"
        ),
    ),
    Command("map", study.cmd_map, "both", Text("記事の構成図", "The article at a glance")),
    Command("glossary", study.cmd_glossary, "both", Text("用語集", "Glossary of terms")),
    Command("quiz", study.cmd_quiz, "both", Text("クイズを出す", "Take a quiz question")),
    Command(
        "score",
        study.cmd_score,
        "both",
        Text("クイズの成績(上位10人)", "Quiz leaderboard (top 10)"),
    ),
    Command(
        "lang",
        handlers.cmd_lang,
        "both",
        Text("回答言語: ja / en / both / auto", "Answer language: ja / en / both / auto"),
    ),
    Command("source", handlers.cmd_source, "both", Text("出典の記事", "The source article")),
    Command("about", handlers.cmd_about, "both", Text("このボットについて", "About this bot")),
    Command(
        "stats", admin.cmd_stats, "admin", Text("利用統計(管理者)", "Usage statistics (admins)")
    ),
    Command(
        "reload",
        admin.cmd_reload,
        "admin",
        Text("内容を再読み込み(管理者)", "Reload content (admins)"),
    ),
)
