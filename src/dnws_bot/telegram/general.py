"""The general commands: /start (and deep links), /topics, /lang and /settings, /source, /about.

Menus and greetings are in the chat's /lang choice, else the user's Telegram language.
"""

from __future__ import annotations

from typing import cast

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions, Message, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest
from telegram.ext import ContextTypes

from ..engine import LANG_MODES, Engine, Lang, LangMode
from ..engine.html_subset import escape
from .answers import send_reply
from .callbacks import encode, intent_from_payload
from .chat_admins import is_chat_admin
from .keyboards import topics_keyboard
from .profile import STARTGROUP_PAYLOAD, add_to_group_in_private, introduce
from .services import services
from .texts import TextKey, ui
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
    if is_group(update) and context.args == [STARTGROUP_PAYLOAD]:  # added via our link
        await introduce(context, message.chat.id, user_lang(update, mode))
        return
    if context.args:
        intent_id = intent_from_payload(context.args[0])
        if intent_id is not None and intent_id in engine.catalogue.by_id:
            reader = user_lang(update, None)
            lang_mode: LangMode = mode or reader
            reply = engine.renderer.intent_reply(intent_id, lang_mode, first=reader)
            await send_reply(context, message, reply, quote=False, mode=lang_mode, reader=reader)
            note_outcome(context, update, reply.lang, intent_id, 1.0)
            return
    lang = user_lang(update, mode)
    greeting = engine.catalogue.by_id.get("smalltalk.greeting")
    hello = greeting.answer.get(lang) if greeting else ""  # catalogue HTML, validated at load
    await message.reply_html(
        f"{hello}\n\n{escape(ui(engine, 'start_hint', lang))}".strip(),
        reply_markup=add_to_group_in_private(
            update, topics_keyboard(engine.catalogue, lang), engine, lang, context.bot.username
        ),
        do_quote=False,
    )


async def cmd_topics(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/topics: one button per category; each opens that category's questions."""
    if (t := await turn(update, context)) is None:
        return
    keyboard = topics_keyboard(t.svc.engine.catalogue, t.lang)
    await t.message.reply_html(escape(t.say("topics")), reply_markup=keyboard, do_quote=t.quote)


def lang_label(engine: Engine, choice: str, lang: Lang) -> str:
    key = cast(TextKey, f"lang_label_{choice}")
    return ui(engine, key, lang)


def lang_keyboard(engine: Engine, lang: Lang, current: str) -> InlineKeyboardMarkup:
    """日本語 / English / both / auto in one row, the current choice ticked."""
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    ("✓ " if choice == current else "") + lang_label(engine, choice, lang),
                    callback_data=encode("lang", choice),
                )
                for choice in LANG_MODES
            ]
        ]
    )


def lang_prompt(engine: Engine, lang: Lang, current: str) -> tuple[str, InlineKeyboardMarkup]:
    label = lang_label(engine, current, lang)
    text = escape(ui(engine, "lang_prompt", lang, current=label))
    return text, lang_keyboard(engine, lang, current)


async def _may_set_lang(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    chat = update.effective_chat
    if chat is None:
        return False
    return await is_chat_admin(context, chat, update.effective_user, update.effective_message)


async def cmd_lang(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/lang ja|en|both|auto sets this chat's answer language (in groups: admins only);
    /lang alone shows the choices as buttons. Replies are in the user's own language."""
    message = update.effective_message
    chat = update.effective_chat
    if message is None or chat is None:
        return
    svc = services(context)
    choice = (context.args[0].lower() if context.args else "").strip()
    lang = user_lang(update, None)
    if choice not in LANG_MODES:
        current = await svc.chat_lang(chat.id) or "auto"
        text, keyboard = lang_prompt(svc.engine, lang, current)
        await message.reply_html(text, reply_markup=keyboard, do_quote=is_group(update))
        return
    if not await _may_set_lang(update, context):
        refusal = ui(svc.engine, "lang_admins_only", lang)
        await message.reply_html(escape(refusal), do_quote=True)
        return
    await svc.set_chat_lang(chat.id, choice)
    done = ui(svc.engine, "lang_set", lang, mode=lang_label(svc.engine, choice, lang))
    await message.reply_html(escape(done), do_quote=is_group(update))


async def cmd_settings(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/settings: this chat's answer language as buttons (日本語 / English / both / auto)."""
    context.args = []
    await cmd_lang(update, context)


async def lang_button(update: Update, context: ContextTypes.DEFAULT_TYPE, choice: str) -> None:
    """A press on the language buttons: set it (admins only in groups), tick it, confirm."""
    query = update.callback_query
    if query is None:
        return
    svc = services(context)
    lang = user_lang(update, None)
    if not isinstance(query.message, Message):  # too old to reach, or under an inline message
        await query.answer(ui(svc.engine, "open_in_bot", lang))
        return
    if choice not in LANG_MODES:
        await query.answer(ui(svc.engine, "outdated", lang))
        return
    if not await _may_set_lang(update, context):
        await query.answer(ui(svc.engine, "lang_admins_only", lang), show_alert=True)
        return
    await svc.set_chat_lang(query.message.chat.id, choice)
    await query.answer(ui(svc.engine, "lang_set", lang, mode=lang_label(svc.engine, choice, lang)))
    text, keyboard = lang_prompt(svc.engine, lang, choice)
    try:
        await query.message.edit_text(text, parse_mode=ParseMode.HTML, reply_markup=keyboard)
    except BadRequest as exc:  # the same choice again: nothing to change
        if "not modified" not in exc.message:
            raise


async def cmd_source(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/source: the article's title as its link, publisher and date, and a preview card."""
    if (t := await turn(update, context)) is None:
        return
    article = t.svc.engine.catalogue.article
    text = (
        f'📖 <a href="{escape(article.url)}">{escape(article.title.get(t.lang))}</a>\n'
        f"{escape(article.publisher)}, {article.date}"
    )
    preview = LinkPreviewOptions(is_disabled=False, url=article.url, prefer_small_media=True)
    await t.message.reply_html(text, do_quote=t.quote, link_preview_options=preview)


async def cmd_about(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/about: what this bot is, where its answers come from, what it keeps."""
    if (t := await turn(update, context)) is None:
        return
    await t.reply("about")
