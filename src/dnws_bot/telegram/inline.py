"""Inline mode: `@bot question` in any chat lists up to five answers to post, under an "Ask in
the bot" button; a question the article does not answer gets one result that says so."""

from __future__ import annotations

import re

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InlineQueryResultsButton,
    InputTextMessageContent,
    LinkPreviewOptions,
    Update,
)
from telegram.constants import ParseMode
from telegram.ext import ContextTypes

from ..engine import Engine
from ..engine.html_subset import escape
from ..engine.language import Lang, detect_language
from .keyboards import deep_link
from .services import services
from .texts import ui
from .turns import user_lang
from .update_log import note_outcome

MAX_RESULTS = 5
CACHE_SECONDS = 300
_SENTENCE_END = re.compile(r"(?<=[。!?])|(?<=[.!?])\s")


def first_sentence(text: str, limit: int = 120) -> str:
    """The first sentence of an answer, for the result's one-line description."""
    sentence = _SENTENCE_END.split(text.strip(), maxsplit=1)[0].strip()
    return sentence if len(sentence) <= limit else sentence[: limit - 1] + "…"


def main_topics(engine: Engine) -> list[str]:
    """The first intent of each category except small talk: the article's main topics."""
    return [c.intent_ids[0] for c in engine.catalogue.categories if c.id != "smalltalk"]


def inline_results(
    engine: Engine, query: str, lang: Lang, bot_username: str
) -> list[InlineQueryResultArticle]:
    """Articles for the best intents (or the main topics for an empty query)."""
    if query.strip():
        floor = engine.matcher.settings.suggest_threshold
        ids = [c.intent_id for c in engine.matcher.scores(query)[:MAX_RESULTS] if c.score >= floor]
    else:
        ids = main_topics(engine)[: MAX_RESULTS * 2]
    results = []
    for intent_id in ids:
        reply = engine.intent_reply(intent_id, lang)
        intent = engine.catalogue.by_id[intent_id]
        results.append(
            InlineQueryResultArticle(
                id=f"{intent_id}:{lang}",
                title=reply.title,
                description=first_sentence(intent.answer.get(lang)),
                input_message_content=InputTextMessageContent(
                    reply.html,
                    parse_mode=ParseMode.HTML,
                    link_preview_options=LinkPreviewOptions(is_disabled=True),
                ),
                reply_markup=InlineKeyboardMarkup(
                    [
                        [
                            InlineKeyboardButton(
                                ui(engine, "open_in_bot_label", lang),
                                url=deep_link(bot_username, intent_id),
                            )
                        ]
                    ]
                ),
            )
        )
    if not results and query.strip():
        results.append(no_match_result(engine, lang))
    return results


def no_match_result(engine: Engine, lang: Lang) -> InlineQueryResultArticle:
    """The one result for a query the article does not answer: it says so (posting it says so
    too), and the button above the results leads to the bot."""
    text = ui(engine, "inline_no_match_text", lang)
    return InlineQueryResultArticle(
        id=f"none:{lang}",
        title=ui(engine, "inline_no_match_title", lang),
        description=text,
        input_message_content=InputTextMessageContent(
            escape(text),
            parse_mode=ParseMode.HTML,
            link_preview_options=LinkPreviewOptions(is_disabled=True),
        ),
    )


START_PARAMETER = "inline"


def ask_button(engine: Engine, lang: Lang) -> InlineQueryResultsButton:
    """ "Ask in the bot" above the results: opens a private chat (/start inline)."""
    return InlineQueryResultsButton(
        ui(engine, "inline_button", lang), start_parameter=START_PARAMETER
    )


async def inline_query(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Results in the query's language; an empty query shows the main topics in the user's."""
    query = update.inline_query
    if query is None:
        return
    svc = services(context)
    text = query.query or ""
    personal = not text.strip()  # only the empty query depends on who asks (their language)
    lang = user_lang(update, None) if personal else detect_language(text)
    results = inline_results(svc.engine, text, lang, context.bot.username)
    button = ask_button(svc.engine, lang)
    await query.answer(results, cache_time=CACHE_SECONDS, is_personal=personal, button=button)
    found = results[0].id.split(":")[0] if results else None
    note_outcome(context, update, lang, found if found != "none" else None, 0.0)
