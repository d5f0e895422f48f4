"""Study-group features: quiz polls with a score table, the article map, the glossary."""

from __future__ import annotations

import logging
import random
import re
import warnings
from typing import Any, cast

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import PollType
from telegram.ext import ContextTypes
from telegram.warnings import PTBDeprecationWarning

from ..engine import Engine
from ..engine.catalogue import Term
from ..engine.html_subset import escape
from ..engine.language import Lang
from ..engine.normalize import normalize
from ..engine.study import pick_question
from ..store import Store
from .callbacks import encode
from .services import services
from .texts import ui
from .turns import chat_mode, is_group, turn, user_lang
from .update_log import note_outcome

log = logging.getLogger(__name__)

# ---------------------------------------------------------------- map


STEPS_PER_ROW = 5


def map_message(engine: Engine, lang: Lang) -> tuple[str, InlineKeyboardMarkup]:
    """The article's structure drawn once; the numbered top-level steps are buttons ("1" … "9"),
    so the titles are not listed a second time under it."""
    lines = [f"<b>{escape(ui(engine, 'map_title', lang))}</b>"]
    steps: list[InlineKeyboardButton] = []
    for line in engine.map_lines(lang):
        lines.append(f"{line.marker} {escape(line.title)}")
        if not line.marker.startswith(" "):
            number = line.marker.rstrip(".")
            steps.append(
                InlineKeyboardButton(number, callback_data=encode("intent", line.intent_id))
            )
    rows = [steps[i : i + STEPS_PER_ROW] for i in range(0, len(steps), STEPS_PER_ROW)]
    return "\n".join(lines), InlineKeyboardMarkup(rows)


async def cmd_map(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/map: definition → requirements → obstacles → goals → strategy → principles → conclusion."""
    if (t := await turn(update, context)) is None:
        return
    text, keyboard = map_message(t.svc.engine, t.lang)
    await t.message.reply_html(text, reply_markup=keyboard, do_quote=t.quote)


# ---------------------------------------------------------------- glossary


def term_message(engine: Engine, term: Term, lang: Lang) -> tuple[str, InlineKeyboardMarkup | None]:
    """One term: its name in bold, the one-line definition, a button to the full answer."""
    text = f"<b>{escape(term.term.get(lang))}</b>\n{escape(term.definition.get(lang))}"
    if term.intent is None:
        return text, None
    keyboard = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    ui(engine, "full_answer", lang), callback_data=encode("intent", term.intent)
                )
            ]
        ]
    )
    return text, keyboard


TERMS_PER_ROW = 2
_GLOSS = re.compile(r"\s*[((].*[))]\s*$")


def short_term(term: Term, lang: Lang) -> str:
    """A term's name without its parenthesised gloss ("NPT (Treaty on …)" → "NPT")."""
    name = term.term.get(lang)
    return _GLOSS.sub("", name) or name


def glossary_message(engine: Engine, lang: Lang) -> tuple[str, InlineKeyboardMarkup]:
    """One line, then every term as a button (two to a row): a phone screen, not three."""
    buttons = [
        InlineKeyboardButton(short_term(term, lang), callback_data=encode("term", term.id))
        for term in engine.catalogue.study.terms
    ]
    rows = [buttons[i : i + TERMS_PER_ROW] for i in range(0, len(buttons), TERMS_PER_ROW)]
    return escape(ui(engine, "glossary_pick", lang)), InlineKeyboardMarkup(rows)


async def cmd_glossary(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/glossary: the terms as buttons; /glossary <term> shows one definition."""
    if (t := await turn(update, context)) is None:
        return
    query = " ".join(context.args or [])
    if not query:
        text, terms = glossary_message(t.svc.engine, t.lang)
        await t.message.reply_html(text, reply_markup=terms, do_quote=t.quote)
        return
    term = t.svc.engine.catalogue.study.term(query)
    if term is None:
        await t.reply("no_term")
        return
    text, keyboard = term_message(t.svc.engine, term, t.lang)
    await t.message.reply_html(text, reply_markup=keyboard, do_quote=t.quote)


async def show_term(message: Message, engine: Engine, term_id: str, lang: Lang) -> bool:
    """Send a term's definition under `message` (button press); False if the term is gone."""
    term = next((t for t in engine.catalogue.study.terms if t.id == term_id), None)
    if term is None:
        return False
    text, keyboard = term_message(engine, term, lang)
    await message.reply_html(text, reply_markup=keyboard, do_quote=False)
    return True


# ---------------------------------------------------------------- quiz


def quiz_topic(engine: Engine, words: str) -> str | None:
    """The category a `/quiz <topic>` names (by id, title or a question about it), else None."""
    asked = engine.matcher.question(words)
    key = asked.norm
    if not key:
        return None
    for category in engine.catalogue.categories:
        titles = {normalize(category.title.ja), normalize(category.title.en), category.id}
        if key in titles or any(key in t for t in titles):
            return category.id
    match = engine.match(asked)
    return match.candidates[0].intent_id.split(".", 1)[0] if match.candidates else None


async def cmd_quiz(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/quiz [topic]: a Telegram quiz poll; no repeats in a chat until every question was asked."""
    message = update.effective_message
    chat = update.effective_chat
    if message is None or chat is None:
        return
    svc = services(context)
    engine = svc.engine
    questions = engine.catalogue.study.quiz
    if not questions:
        return
    lang = user_lang(update, await chat_mode(update, svc))
    words = " ".join(context.args or [])
    topic = quiz_topic(engine, words) if words else None
    if words and topic is None:
        sorry = ui(engine, "unknown_topic", lang)
        await message.reply_html(escape(sorry), do_quote=is_group(update))
    if topic is not None and not any(q.category == topic for q in questions):
        topic = None
    asked = await svc.store.call(Store.quiz_asked, chat.id) if svc.store else set()
    question, restart = pick_question(questions, asked, topic, random.Random())
    if restart and svc.store is not None:
        await svc.store.call(Store.reset_quiz, chat.id)
    with warnings.catch_warnings():
        # correct_option_id is the field the Bot API documents for quizzes (and Telegram still
        # accepts); PTB 22.8 prefers the newer list form and warns about the old one.
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        poll_message = await message.reply_poll(
            question.question.get(lang),
            list(question.options[lang]),
            type=PollType.QUIZ,
            correct_option_id=cast(Any, question.correct),  # validated 0..9 at load
            explanation=question.explanation.get(lang),
            is_anonymous=False,
            do_quote=False,
        )
    note_outcome(context, update, lang, question.intent, 1.0)
    if svc.store is not None and poll_message.poll is not None:
        poll_id = poll_message.poll.id
        await svc.store.call(Store.mark_quiz_asked, chat.id, question.id)
        await svc.store.call(Store.remember_poll, poll_id, chat.id, question.id, question.correct)


async def poll_answer(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A quiz answer: one point per correct first answer, in that chat's score table."""
    answer = update.poll_answer
    svc = services(context)
    if answer is None or svc.store is None or answer.user is None:
        return  # answers from anonymous voters (voter_chat) are not scored
    name = answer.user.full_name or answer.user.username or "?"
    await svc.store.call(
        Store.record_poll_answer, answer.poll_id, answer.user.id, name, list(answer.option_ids)
    )


async def cmd_score(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/score: the chat's top 10 by correct quiz answers."""
    if (t := await turn(update, context)) is None:
        return
    chat_id = t.message.chat.id
    rows = await t.svc.store.call(Store.top_scores, chat_id, 10) if t.svc.store else []
    if not rows:
        await t.reply("no_scores")
        return
    medals = ["🥇", "🥈", "🥉"]
    lines = [f"<b>{escape(t.say('score_title'))}</b>"]
    for rank, (name, correct, answered) in enumerate(rows, 1):
        badge = medals[rank - 1] if rank <= 3 else f"{rank}."
        lines.append(f"{badge} {escape(name)} — {correct}/{answered}")
    await t.message.reply_html("\n".join(lines), do_quote=t.quote)
