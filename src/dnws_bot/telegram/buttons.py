"""Button presses under the bot's messages: an answer, a category, a glossary term, a vote."""

from __future__ import annotations

from telegram import Message, Update
from telegram.ext import ContextTypes

from ..engine.html_subset import escape
from ..engine.language import Lang, detect_language
from ..store import Store
from . import study
from .answers import conversation_key, send_reply
from .callbacks import decode
from .keyboards import category_keyboard
from .services import services
from .texts import ui
from .turns import chat_mode
from .update_log import note_outcome


async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
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
