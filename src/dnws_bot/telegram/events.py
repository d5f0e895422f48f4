"""Updates around an answer: an edited question edits its answer, and a 👍/👎 reaction on an
answer is feedback, like the vote buttons."""

from __future__ import annotations

import logging
import re
from datetime import timedelta

from telegram import Message, ReactionTypeEmoji, Update
from telegram.error import BadRequest
from telegram.ext import ContextTypes

from ..store import Store
from .answers import answer_question, conversation_key, shown_html
from .keyboards import answer_keyboard
from .recent import recent
from .services import services
from .turns import chat_mode, is_group, user_lang
from .update_log import note_outcome

log = logging.getLogger(__name__)

EDIT_WINDOW = timedelta(hours=48)  # an edit of an older question is left alone
VOTES = {"👍": 1, "👎": -1}


def edited_question_text(message: Message, bot_username: str, group: bool) -> str | None:
    """The question an edited message now asks, or None when it is not one for the bot:
    in private chats any text but a command (other than /ask); in groups /ask, text that
    mentions the bot, or a reply to the bot."""
    text = (message.text or "").strip()
    ask = re.match(rf"^/ask(@{re.escape(bot_username)})?(\s|$)", text, re.IGNORECASE)
    if ask:
        return text[ask.end() :].strip() or None
    if text.startswith("/"):
        return None
    mention = re.compile(rf"@{re.escape(bot_username)}\b", re.IGNORECASE)
    replied = message.reply_to_message
    sender = replied.from_user if replied is not None else None
    to_bot = sender is not None and sender.username == bot_username
    if group and not mention.search(text) and not to_bot:
        return None
    return mention.sub(" ", text).strip() or None


async def edited_question(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A question edited within 48 hours: its answer is edited to answer the new text. Without
    a remembered answer (an /ask or private question from before a restart) it gets a new one."""
    message = update.edited_message
    if message is None or message.text is None:
        return
    edited_at = message.edit_date or message.date
    if edited_at - message.date > EDIT_WINDOW:
        return
    group = is_group(update)
    question = edited_question_text(message, context.bot.username, group)
    if question is None:
        return
    chat_id = message.chat.id
    answer_id = recent(context).answer_to(chat_id, message.message_id)
    if answer_id is None:
        await answer_question(update, context, question, message, quote=group)
        return
    svc = services(context)
    key = conversation_key(update)
    mode = await chat_mode(update, svc)
    asked = svc.engine.matcher.question(question)
    reply = svc.engine.answer(asked, mode, previous=svc.context.recall(key))
    reader = user_lang(update, None) if mode == "both" else None  # as answer_question does
    keyboard = answer_keyboard(svc.engine, reply, context.bot.username, reader)
    html = shown_html(svc.engine, reply, message.chat, mode)
    try:
        await context.bot.edit_message_text(
            html, chat_id=chat_id, message_id=answer_id, reply_markup=keyboard
        )
    except BadRequest as exc:
        if "not modified" not in exc.message:  # same answer again: nothing to change
            log.info("could not edit answer %s in chat %s: %s", answer_id, chat_id, exc.message)
            return
    answered = reply.intent_id if reply.kind == "answer" else None
    recent(context).remember(chat_id, message.message_id, answer_id, answered, reply.lang)
    if reply.intent_id is not None:
        svc.context.remember(key, reply.intent_id)
    note_outcome(context, update, reply.lang, reply.intent_id, reply.score)


def _vote(reactions: tuple[object, ...]) -> int | None:
    """+1 for 👍, -1 for 👎 (the last one if both), None without either."""
    votes = [
        VOTES[r.emoji] for r in reactions if isinstance(r, ReactionTypeEmoji) and r.emoji in VOTES
    ]
    return votes[-1] if votes else None


async def on_reaction(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """👍/👎 on one of the bot's answers counts as that user's vote on the answer (one per user
    per message, shared with the buttons); changing it changes the vote, removing it removes
    it. Anonymous reactions (an admin as the group, a channel) and other messages are ignored."""
    reaction = update.message_reaction
    svc = services(context)
    if reaction is None or reaction.user is None or svc.store is None:
        return
    known = recent(context).intent_of(reaction.chat.id, reaction.message_id)
    if known is None:
        return
    intent_id, lang = known
    vote, before = _vote(reaction.new_reaction), _vote(reaction.old_reaction)
    chat_id, message_id, user_id = reaction.chat.id, reaction.message_id, reaction.user.id
    if vote is not None:
        await svc.store.call(
            Store.record_feedback, chat_id, message_id, user_id, intent_id, lang, vote
        )
    elif before is not None:
        await svc.store.call(Store.withdraw_feedback, chat_id, message_id, user_id)
