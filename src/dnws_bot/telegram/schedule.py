"""/schedule and /unschedule: who may change a chat's scheduled posts, and the commands.

In groups only administrators change schedules (anyone may list them); a channel's are set
from a private chat by one of its administrators, with the bot an administrator there too —
both asked via getChatMember (a person's answer cached briefly, in `chat_admins`). Posting is in `schedule_posts`.
"""

from __future__ import annotations

from datetime import datetime
from typing import cast

from telegram import Chat, Message, Update
from telegram.constants import ChatMemberStatus, ChatType
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from ..engine.html_subset import escape
from ..engine.language import Lang
from ..schedule_spec import SpecError, next_run_after, parse, zone
from ..store import Store
from ..store.schedules import MAX_SCHEDULES_PER_CHAT, ScheduleRow
from .chat_admins import is_chat_admin
from .schedule_posts import install, scheduler_of, services_in, start
from .services import Services
from .texts import TextKey, ui
from .turns import chat_mode, is_group, user_lang

__all__ = ["cmd_schedule", "cmd_unschedule", "install", "start"]
_ADMINS = (ChatMemberStatus.OWNER, ChatMemberStatus.ADMINISTRATOR)


class _Refused(Exception):
    """The command cannot go on; `key` is the sentence that says why."""

    def __init__(self, key: TextKey) -> None:
        self.key = key


async def _target(
    update: Update, context: ContextTypes.DEFAULT_TYPE, words: list[str], changing: bool
) -> tuple[int, str]:
    """The chat a command is about (id, type), popping a leading @channel from `words`.
    Raises _Refused unless the sender may do this there."""
    message, chat, user = update.effective_message, update.effective_chat, update.effective_user
    assert message is not None and chat is not None
    if words and words[0].startswith("@"):
        if chat.type != ChatType.PRIVATE:
            raise _Refused("schedule_channel_from_private")
        try:
            channel = await context.bot.get_chat(words.pop(0))
            # The bot's own rights, asked every time (not cached): it may have just been made
            # an administrator.
            me = await context.bot.get_chat_member(channel.id, context.bot.id)
        except TelegramError:
            raise _Refused("schedule_no_channel") from None
        if channel.type == ChatType.PRIVATE or me.status not in _ADMINS:
            raise _Refused("schedule_no_channel")
        if not await is_chat_admin(context, Chat(channel.id, channel.type), user, None):
            raise _Refused("schedule_admins_only")
        return channel.id, channel.type
    if changing and not await is_chat_admin(context, chat, user, message):
        raise _Refused("schedule_admins_only")
    return chat.id, chat.type


def _listing(rows: list[ScheduleRow], svc: Services, lang: Lang) -> str:
    if not rows:
        return ui(svc.engine, "schedule_none", lang)
    lines = [ui(svc.engine, "schedule_list", lang)]
    lines += [f"{n}. {row.spec.describe()}" for n, row in enumerate(rows, 1)]
    return "\n".join(lines)


def _when(t: float, tz: str) -> str:
    local = datetime.fromtimestamp(t, zone(tz))
    return local.strftime("%a %Y-%m-%d %H:%M")


async def _reply(update: Update, text: str) -> Message | None:
    message = update.effective_message
    if message is None:
        return None
    return await message.reply_html(escape(text), do_quote=is_group(update))


async def cmd_schedule(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/schedule [@channel] [quiz|card daily|weekdays|weekly <day> HH:MM [topic] [Area/City]]:
    without a schedule, the chat's list; with one, adds it (administrators, in groups)."""
    svc = services_in(context.bot_data)
    lang = user_lang(update, await chat_mode(update, svc))
    words = list(context.args or [])
    changing = bool(words) and not (len(words) == 1 and words[0].startswith("@"))
    try:
        chat_id, chat_type = await _target(update, context, words, changing)
        if not changing:
            rows = await svc.store.call(Store.schedules, chat_id) if svc.store else []
            await _reply(update, _listing(rows, svc, lang))
            return
        spec = parse(words, svc.settings.timezone)
    except _Refused as refused:
        await _reply(update, ui(svc.engine, refused.key, lang))
        return
    except SpecError as error:
        await _reply(update, ui(svc.engine, cast(TextKey, error.key), lang))
        return
    following = next_run_after(spec, scheduler_of(context.bot_data).clock())
    added = None
    if svc.store is not None:
        added = await svc.store.call(Store.add_schedule, chat_id, chat_type, spec, lang, following)
    if added is None:
        await _reply(
            update, ui(svc.engine, "schedule_full", lang, limit=str(MAX_SCHEDULES_PER_CHAT))
        )
        return
    rows = await svc.store.call(Store.schedules, chat_id) if svc.store else []
    number = next((n for n, row in enumerate(rows, 1) if row.id == added), len(rows))
    done = ui(
        svc.engine,
        "schedule_added",
        lang,
        number=str(number),
        what=spec.describe(),
        next=_when(following, spec.tz),
    )
    await _reply(update, done)


async def cmd_unschedule(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/unschedule [@channel] N: remove the chat's Nth schedule (administrators, in groups)."""
    svc = services_in(context.bot_data)
    lang = user_lang(update, await chat_mode(update, svc))
    words = list(context.args or [])
    try:
        chat_id, _ = await _target(update, context, words, changing=True)
    except _Refused as refused:
        await _reply(update, ui(svc.engine, refused.key, lang))
        return
    rows = await svc.store.call(Store.schedules, chat_id) if svc.store else []
    number = int(words[0]) if len(words) == 1 and words[0].isascii() and words[0].isdigit() else 0
    if not 1 <= number <= len(rows) or svc.store is None:
        await _reply(update, ui(svc.engine, "schedule_not_found", lang))
        return
    await svc.store.call(Store.remove_schedule, chat_id, rows[number - 1].id)
    await _reply(update, ui(svc.engine, "schedule_removed", lang, number=str(number)))
