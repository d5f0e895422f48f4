"""The general commands: /start (and deep links), /topics, /lang, /source, /about.

Menus and greetings are in the chat's /lang choice, else the user's Telegram language.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import ContextTypes

from ..engine import LANG_MODES, LangMode, as_mode
from ..engine.html_subset import escape
from .answers import send_reply
from .callbacks import intent_from_payload
from .keyboards import topics_keyboard
from .services import services
from .texts import ui
from .turns import chat_mode, is_group, turn, user_lang
from .update_log import note_outcome


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
