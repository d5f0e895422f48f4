"""Button presses under the bot's messages: an answer, a category, a glossary term, a vote."""

from __future__ import annotations

import logging

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.error import BadRequest
from telegram.ext import ContextTypes

from ..engine.html_subset import escape
from ..engine.language import Lang, detect_language
from ..store import Store
from . import general, study
from .answers import conversation_key, send_reply
from .callbacks import decode, encode
from .keyboards import category_keyboard
from .services import services
from .texts import ui
from .turns import chat_mode, user_lang
from .update_log import note_outcome

log = logging.getLogger(__name__)


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
    reader = user_lang(update, None)  # notices and confirmations: the presser's own language
    if pressed is not None and pressed.action == "lang":
        await general.lang_button(update, context, pressed.value)
        return
    valid = pressed is not None and (
        (pressed.action in ("intent", "vote") and pressed.value in catalogue.by_id)
        or (
            pressed.action == "category"
            and any(c.id == pressed.value for c in catalogue.categories)
        )
        or (pressed.action == "term" and any(t.id == pressed.value for t in catalogue.study.terms))
    )
    if pressed is None or not valid:
        await query.answer(ui(svc.engine, "outdated", reader))
        return
    if message is None:  # a button under an inline-mode message, or a message too old to reach
        await query.answer(ui(svc.engine, "open_in_bot", reader))
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
        await query.answer(ui(svc.engine, "voted", reader))
        await show_vote(message, pressed.value, vote)
        return
    await query.answer()
    mode = await chat_mode(update, svc) or lang
    if pressed.action == "term":
        await study.show_term(message, svc.engine, pressed.value, lang)
    elif pressed.action == "intent":
        reply = svc.engine.renderer.intent_reply(pressed.value, mode, first=reader)
        keys = reader if mode == "both" else None
        await send_reply(context, message, reply, quote=False, mode=mode, reader=keys)
        svc.context.remember(conversation_key(update), pressed.value)
        note_outcome(context, update, reply.lang, reply.intent_id, 1.0)
    else:
        title = next(c.title.get(lang) for c in catalogue.categories if c.id == pressed.value)
        await message.reply_html(
            escape(title),
            reply_markup=category_keyboard(catalogue, pressed.value, lang),
            do_quote=False,
        )


def _with_vote(button: InlineKeyboardButton, intent_id: str, vote: int) -> InlineKeyboardButton:
    """A thumb button relabelled: ✓ on the one just counted, plain on the other."""
    for sign, thumb in (("+", "👍"), ("-", "👎")):
        if button.callback_data == encode("vote", intent_id, sign):
            ticked = (vote > 0) == (sign == "+")
            return InlineKeyboardButton(
                f"{thumb} ✓" if ticked else thumb, callback_data=button.callback_data
            )
    return button


async def show_vote(message: Message, intent_id: str, vote: int) -> None:
    """Edit the vote row to show the vote was counted; the same vote again changes nothing."""
    markup = message.reply_markup
    if markup is None:
        return
    rows = [[_with_vote(b, intent_id, vote) for b in row] for row in markup.inline_keyboard]
    try:
        await message.edit_reply_markup(InlineKeyboardMarkup(rows))
    except BadRequest as exc:  # the vote is stored; the tick is only its receipt
        if "not modified" not in exc.message:
            log.info("vote row not edited in chat %s: %s", message.chat.id, exc.message)
