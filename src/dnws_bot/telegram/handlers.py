"""Handlers for messages, commands and buttons. Each reads the update, asks the engine, sends.

Every docstring says what the user sees. Language: the chat's /lang choice if any, else the
question's script (answers) or the user's Telegram language (menus and greetings).
"""

from __future__ import annotations

import logging
import time

from telegram import Message, MessageEntity, Update
from telegram.ext import ContextTypes

from ..engine import LANG_MODES, LangMode, Reply, as_mode
from ..engine.html_subset import escape
from ..engine.language import Lang, detect_language
from ..engine.normalize import normalize
from ..store import QuestionRecord, Store
from . import study
from .callbacks import decode, intent_from_payload
from .common import (
    chat_mode,
    is_group,
    note_outcome,
    turn,
    user_lang,
)
from .context import ContextKey
from .keyboards import answer_keyboard, category_keyboard, topics_keyboard
from .services import services
from .texts import ui

log = logging.getLogger("dnws_bot.updates")

# ---------------------------------------------------------------- answering


async def send_reply(
    context: ContextTypes.DEFAULT_TYPE, target: Message, reply: Reply, *, quote: bool
) -> Message:
    """Send a rendered reply under `target` (quoted in groups, same forum topic)."""
    keyboard = answer_keyboard(services(context).engine, reply, context.bot.username)
    return await target.reply_html(reply.html, reply_markup=keyboard, do_quote=quote)


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
    reply = svc.engine.answer(question, mode, previous=svc.context.recall(key))
    await send_reply(context, target, reply, quote=quote)
    if reply.intent_id is not None:
        svc.context.remember(key, reply.intent_id)
    note_outcome(context, update, reply.lang, reply.intent_id, reply.score)
    if svc.store is not None and reply.kind != "empty":
        started = svc.received.get(update.update_id)
        svc.store.log_question(
            QuestionRecord(
                at=time.time(),
                status=reply.status,
                intent_id=reply.intent_id,
                lang=reply.lang,
                chat_type=update.effective_chat.type if update.effective_chat else "unknown",
                score=reply.score,
                elapsed_ms=(time.perf_counter() - started) * 1000 if started else None,
                text=normalize(question) if reply.kind != "answer" else None,
                candidates=reply.candidates,
            )
        )


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


# ---------------------------------------------------------------- commands


async def cmd_start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/start: a greeting with topic buttons; /start <payload> answers that intent directly."""
    message = update.effective_message
    if message is None:
        return
    svc = services(context)
    mode = await chat_mode(update, svc)
    engine = svc.engine
    if context.args:
        intent_id = intent_from_payload(context.args[0])
        if intent_id is not None and intent_id in engine.catalogue.by_id:
            lang_mode: LangMode = mode or user_lang(update, None)
            reply = engine.intent_reply(intent_id, lang_mode)
            await send_reply(context, message, reply, quote=False)
            note_outcome(context, update, reply.lang, intent_id, 1.0)
            return
    lang = user_lang(update, mode)
    greeting = engine.catalogue.by_id.get("smalltalk.greeting")
    hello = greeting.answer.get(lang) if greeting else ""  # catalogue HTML, validated at load
    await message.reply_html(
        f"{hello}\n\n{escape(ui(engine, 'start_hint', lang))}".strip(),
        reply_markup=topics_keyboard(engine.catalogue, lang),
        do_quote=False,
    )


async def cmd_topics(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/topics: one button per category; each opens that category's questions."""
    if (t := await turn(update, context)) is None:
        return
    keyboard = topics_keyboard(t.svc.engine.catalogue, t.lang)
    await t.message.reply_html(escape(t.say("topics")), reply_markup=keyboard, do_quote=t.quote)


async def cmd_lang(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/lang ja|en|both|auto: this chat's answer language; without an argument, the usage."""
    message = update.effective_message
    chat = update.effective_chat
    if message is None or chat is None:
        return
    svc = services(context)
    choice = (context.args[0].lower() if context.args else "").strip()
    current = await svc.chat_lang(chat.id) or "auto"
    if choice not in LANG_MODES:
        lang = user_lang(update, as_mode(current))
        usage = ui(svc.engine, "lang_usage", lang, current=current)
        await message.reply_html(escape(usage), do_quote=is_group(update))
        return
    await svc.set_chat_lang(chat.id, choice)
    lang = user_lang(update, as_mode(choice))
    done = ui(svc.engine, "lang_set", lang, mode=choice)
    await message.reply_html(escape(done), do_quote=is_group(update))


async def cmd_source(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/source: the article's title, publisher, date and link."""
    if (t := await turn(update, context)) is None:
        return
    article = t.svc.engine.catalogue.article
    text = (
        f"<b>{escape(article.title.en)}</b>\n"
        + (f"{escape(article.title.ja)}\n" if t.lang == "ja" else "")
        + f"{escape(article.publisher)}, {article.date}\n"
        + f'<a href="{escape(article.url)}">{escape(article.url)}</a>'
    )
    await t.message.reply_html(text, do_quote=t.quote)


async def cmd_about(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/about: what this bot is, where its answers come from, what it keeps."""
    if (t := await turn(update, context)) is None:
        return
    await t.reply("about")


# ---------------------------------------------------------------- buttons


async def button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A button press: answer the intent or open the category as a new message; votes are kept."""
    query = update.callback_query
    if query is None:
        return
    svc = services(context)
    catalogue = svc.engine.catalogue
    pressed = decode(query.data)
    message = query.message if isinstance(query.message, Message) else None
    lang: Lang = detect_language(message.text or "") if message is not None else "en"
    valid = pressed is not None and (
        (pressed.action in ("intent", "vote") and pressed.value in catalogue.by_id)
        or (
            pressed.action == "category"
            and any(c.id == pressed.value for c in catalogue.categories)
        )
        or (pressed.action == "term" and any(t.id == pressed.value for t in catalogue.study.terms))
    )
    if pressed is None or not valid:
        await query.answer(ui(svc.engine, "outdated", lang))
        return
    if message is None:  # a button under an inline-mode message, or a message too old to reach
        await query.answer(ui(svc.engine, "open_in_bot", lang))
        return
    if pressed.action == "vote":
        vote = 1 if pressed.extra == "+" else -1
        if svc.store is not None:
            await svc.store.call(
                Store.record_feedback,
                message.chat.id,
                message.message_id,
                query.from_user.id,
                pressed.value,
                lang,
                vote,
            )
        await query.answer(ui(svc.engine, "voted", lang))
        return
    await query.answer()
    mode = await chat_mode(update, svc) or lang
    if pressed.action == "term":
        await study.show_term(message, svc.engine, pressed.value, lang)
    elif pressed.action == "intent":
        reply = svc.engine.intent_reply(pressed.value, mode)
        await send_reply(context, message, reply, quote=False)
        svc.context.remember(conversation_key(update), pressed.value)
        note_outcome(context, update, reply.lang, reply.intent_id, 1.0)
    else:
        title = next(c.title.get(lang) for c in catalogue.categories if c.id == pressed.value)
        await message.reply_html(
            escape(title),
            reply_markup=category_keyboard(catalogue, pressed.value, lang),
            do_quote=False,
        )


# ---------------------------------------------------------------- bookkeeping


async def log_update(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """One INFO line per update: ids, chat type, language, intent, score, time. No user text."""
    svc = services(context)
    lang, intent, score = svc.outcomes.pop(update.update_id, ("-", "-", 0.0))
    chat = update.effective_chat
    started = svc.received.pop(update.update_id, None)
    elapsed = (time.perf_counter() - started) * 1000 if started is not None else 0.0
    log.info(
        "update=%s chat_type=%s lang=%s intent=%s score=%.3f ms=%.1f",
        update.update_id,
        chat.type if chat else "none",
        lang,
        intent,
        score,
        elapsed,
    )
    message = update.effective_message
    if message is not None and message.text and log.isEnabledFor(logging.DEBUG):
        log.debug("update=%s text=%r", update.update_id, message.text)


async def mark_received(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Start the clock for this update's handling time."""
    services(context).received[update.update_id] = time.perf_counter()
