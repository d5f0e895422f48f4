"""Questions in, answers out: free text in private chats, mentions and replies in groups, /ask.

Language: the chat's /lang choice if any, else the question's script. Every question's outcome
goes to the store's question log (batched); nothing about the user.
"""

from __future__ import annotations

import time

from telegram import Chat, Message, MessageEntity, Update
from telegram.constants import ChatType
from telegram.ext import ContextTypes

from ..engine import Engine, Lang, LangMode, Reply
from ..store import QuestionRecord
from .context import ContextKey
from .keyboards import answer_keyboard
from .recent import recent
from .services import services
from .turns import chat_mode, is_group, turn, user_lang
from .update_log import note_outcome

GROUPS = (ChatType.GROUP, ChatType.SUPERGROUP)


def shown_html(engine: Engine, reply: Reply, chat: Chat, mode: LangMode | None) -> str:
    """The reply's HTML as `chat` shows it: in groups an answer's short form."""
    if reply.kind == "answer" and reply.intent_id is not None and chat.type in GROUPS:
        return engine.renderer.folded_html(reply.intent_id, mode or reply.lang, reply.lang)
    return reply.html


async def send_reply(
    context: ContextTypes.DEFAULT_TYPE,
    target: Message,
    reply: Reply,
    *,
    quote: bool,
    mode: LangMode | None = None,
    reader: Lang | None = None,
) -> Message:
    """Send a rendered reply under `target` (quoted in groups, same forum topic).

    In groups an answer takes its short form (long parts folded, one source line) so the
    shared chat stays readable on a phone. Buttons are in the `reader`'s language if given.
    """
    engine = services(context).engine
    html = shown_html(engine, reply, target.chat, mode)
    keyboard = answer_keyboard(engine, reply, context.bot.username, reader)
    sent = await target.reply_html(html, reply_markup=keyboard, do_quote=quote)
    answered = reply.intent_id if reply.kind == "answer" else None
    recent(context).remember(sent.chat.id, target.message_id, sent.message_id, answered, reply.lang)
    return sent


async def answer_question(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    question: str,
    target: Message,
    *,
    quote: bool,
) -> None:
    """The best answer, did-you-mean buttons, or what the bot covers — in the right language."""
    svc = services(context)
    mode = await chat_mode(update, svc)
    key = conversation_key(update)
    asked = svc.engine.matcher.question(question)  # normalised once for the engine and the log
    reply = svc.engine.answer(asked, mode, previous=svc.context.recall(key))
    reader = user_lang(update, None) if mode == "both" else None
    await send_reply(context, target, reply, quote=quote, mode=mode, reader=reader)
    if reply.intent_id is not None:
        svc.context.remember(key, reply.intent_id)
    note_outcome(context, update, reply.lang, reply.intent_id, reply.score)
    if svc.store is not None and reply.kind != "empty":
        started = svc.received.get(update.update_id)
        elapsed_ms = (time.perf_counter() - started) * 1000 if started else None
        chat_type = update.effective_chat.type if update.effective_chat else "unknown"
        svc.store.log_question(QuestionRecord.of(reply, asked.norm, chat_type, elapsed_ms))


async def private_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Any text in a private chat gets an answer."""
    message = update.effective_message
    if message is None or message.text is None:
        return
    await answer_question(update, context, message.text, message, quote=False)


def conversation_key(update: Update) -> ContextKey:
    """Follow-up context is per chat, and per user inside groups (no leaking between users)."""
    chat_id = update.effective_chat.id if update.effective_chat else 0
    user_id = update.effective_user.id if update.effective_user and is_group(update) else None
    return chat_id, user_id


def _mentions_bot(message: Message, username: str) -> list[str]:
    mentions = message.parse_entities([MessageEntity.MENTION])
    return [text for text in mentions.values() if text.lower() == f"@{username.lower()}"]


async def group_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """In groups, answer only messages that mention the bot or reply to it; ignore chatter."""
    message = update.effective_message
    if message is None or message.text is None:
        return
    bot = context.bot
    mentions = _mentions_bot(message, bot.username)
    replied = message.reply_to_message
    to_bot = (
        replied is not None and replied.from_user is not None and replied.from_user.id == bot.id
    )
    if not mentions and not to_bot:
        return
    question = message.text
    for mention in mentions:
        question = question.replace(mention, " ")
    await answer_question(update, context, question, message, quote=True)


async def cmd_ask(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/ask <question>, or /ask as a reply to someone's question: answers it, quoting the asker."""
    message = update.effective_message
    if message is None or message.text is None:
        return
    parts = message.text.split(maxsplit=1)
    question = parts[1] if len(parts) > 1 else ""
    replied = message.reply_to_message
    if not question.strip() and replied is not None:
        question = replied.text or replied.caption or ""
    if not question.strip():
        if (t := await turn(update, context)) is not None:
            await t.reply("ask_usage")
        return
    await answer_question(update, context, question, message, quote=is_group(update))


async def unknown_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """An unknown /command in a private chat: point to /help (in groups it may be another bot's)."""
    if (t := await turn(update, context)) is None:
        return
    await t.reply("unknown_command")
    note_outcome(context, update, t.lang, None, 0.0)


async def non_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Stickers, photos, voice in a private chat: a one-line hint (groups: silence)."""
    if (t := await turn(update, context)) is None or t.quote:
        return
    await t.reply("not_text")
