"""The command table: each command's handler, where it works, and (by name, in
intents/texts.yaml) its menu line and its /help line.

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

from ..engine import Engine, Lang
from ..engine.html_subset import escape
from . import admin, answers, general, schedule, study
from .profile import add_to_group_in_private
from .texts import command_text, ui
from .turns import is_group, turn

Handler = Callable[[Update, ContextTypes.DEFAULT_TYPE], Coroutine[Any, Any, None]]
# Where a command works: private chats, groups, both, or anywhere for ADMIN_IDS only (hidden
# from the menus, listed in /help for admins).
Scope = Literal["private", "groups", "both", "admin"]
ChatKind = Literal["private", "groups"]


@dataclass(frozen=True)
class Command:
    """One command. Its menu line is text `command_<name>` in intents/texts.yaml; its /help
    line is `command_<name>_help` when the menu line is too short to explain it."""

    name: str
    handler: Handler
    scope: Scope

    def offered_in(self, chat: ChatKind) -> bool:
        return self.scope in (chat, "both")


def help_text(
    table: tuple[Command, ...], engine: Engine, lang: Lang, chat: ChatKind, is_admin: bool
) -> str:
    """How to ask here, then one line per command this chat offers (admin ones for admins):
    private chats leave out /ask (any text is a question), groups put it first. One phone
    screen."""
    shown = [
        c
        for c in table
        if (c.offered_in(chat) or (is_admin and c.scope == "admin"))
        and not (chat == "private" and c.name == "ask")
    ]
    shown.sort(key=lambda c: c.name != "ask")  # stable: /ask first, the table's order after
    lines = [f"/{c.name} — {command_text(engine, c.name, for_help=True).get(lang)}" for c in shown]
    intro = ui(engine, "help_private_intro" if chat == "private" else "help_group_intro", lang)
    return intro + "\n\n" + "\n".join(lines)


async def cmd_help(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/help: how to ask, and the command list (the same table as the Telegram menu)."""
    if (t := await turn(update, context)) is None:
        return
    user = update.effective_user
    chat: ChatKind = "groups" if is_group(update) else "private"
    is_admin = t.svc.is_admin(user.id if user else None)
    text = help_text(t.svc.commands, t.svc.engine, t.lang, chat, is_admin)
    button = add_to_group_in_private(update, None, t.svc.engine, t.lang, context.bot.username)
    await t.message.reply_html(
        escape(text.format(bot=context.bot.username)), reply_markup=button, do_quote=t.quote
    )


def menus(
    table: tuple[Command, ...], engine: Engine, lang: Lang
) -> dict[ChatKind, list[BotCommand]]:
    """setMyCommands lists for private chats and for groups, in one language. In private chats
    any text is a question, so GROUP_FIRST commands stay out of that menu (they still work);
    in groups they come first."""
    private = [c for c in table if c.offered_in("private") and c.name not in GROUP_FIRST]
    groups = [c for c in table if c.offered_in("groups")]
    groups.sort(key=lambda c: c.name not in GROUP_FIRST)  # stable: the table order otherwise
    listed: tuple[tuple[ChatKind, list[Command]], ...] = (("private", private), ("groups", groups))
    return {
        chat: [BotCommand(c.name, command_text(engine, c.name).get(lang)) for c in commands]
        for chat, commands in listed
    }


# How a group asks: first in the group menu, left out of the private one.
GROUP_FIRST = ("ask",)


MENU_SCOPES = {
    "private": BotCommandScopeAllPrivateChats(),
    "groups": BotCommandScopeAllGroupChats(),
}


COMMANDS: tuple[Command, ...] = (
    Command("start", general.cmd_start, "both"),
    Command("help", cmd_help, "both"),
    Command("topics", general.cmd_topics, "both"),
    Command("ask", answers.cmd_ask, "both"),
    Command("map", study.cmd_map, "both"),
    Command("glossary", study.cmd_glossary, "both"),
    Command("quiz", study.cmd_quiz, "both"),
    Command("score", study.cmd_score, "both"),
    Command("lang", general.cmd_lang, "both"),
    Command("settings", general.cmd_settings, "both"),
    Command("source", general.cmd_source, "both"),
    Command("about", general.cmd_about, "both"),
    Command("schedule", schedule.cmd_schedule, "both"),
    Command("unschedule", schedule.cmd_unschedule, "both"),
    Command("stats", admin.cmd_stats, "admin"),
    Command("reload", admin.cmd_reload, "admin"),
)
