"""Reply buttons → Telegram inline keyboards, at most three rows under an answer (phones)."""

from __future__ import annotations

from urllib.parse import quote

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from ..engine import Button, Engine, Reply
from ..engine.catalogue import SMALLTALK, Catalogue
from ..engine.language import Lang
from .callbacks import deep_link_payload, encode
from .texts import ui


def deep_link(bot_username: str, intent_id: str) -> str:
    """A t.me link that opens the bot and answers this intent (via /start <payload>)."""
    return f"https://t.me/{bot_username}?start={deep_link_payload(intent_id)}"


def share_url(bot_username: str, intent_id: str, title: str) -> str:
    """Telegram's share sheet, pre-filled with the deep link to one answer."""
    link = deep_link(bot_username, intent_id)
    return f"https://t.me/share/url?url={quote(link, safe='')}&text={quote(title, safe='')}"


def _button(catalogue: Catalogue, button: Button, lang: Lang) -> InlineKeyboardButton:
    """A reply button, labelled in `lang` (the reader's language, whatever the answer's)."""
    if button.intent_id is not None:
        title = catalogue.by_id[button.intent_id].title.get(lang)
        return InlineKeyboardButton(title, callback_data=encode("intent", button.intent_id))
    if button.category_id is not None:
        category = next(c for c in catalogue.categories if c.id == button.category_id)
        return InlineKeyboardButton(
            category.title.get(lang), callback_data=encode("category", button.category_id)
        )
    raise ValueError(f"button without a target: {button}")


MAX_RELATED = 2
MAX_TERMS = 2


def vote_row(
    engine: Engine, intent_id: str, title: str, lang: Lang, bot_username: str | None, voted: int = 0
) -> list[InlineKeyboardButton]:
    """👍 👎 ↗︎share in one row; after a vote, its thumb carries a ✓ (the vote was counted)."""
    row = [
        InlineKeyboardButton(
            "👍 ✓" if voted > 0 else "👍", callback_data=encode("vote", intent_id, "+")
        ),
        InlineKeyboardButton(
            "👎 ✓" if voted < 0 else "👎", callback_data=encode("vote", intent_id, "-")
        ),
    ]
    if bot_username:
        row.append(
            InlineKeyboardButton(
                ui(engine, "share_label", lang), url=share_url(bot_username, intent_id, title)
            )
        )
    return row


def ask_another(engine: Engine, lang: Lang) -> InlineKeyboardButton:
    """Opens "@bot " in this chat's input field, to ask again in inline mode."""
    return InlineKeyboardButton(
        ui(engine, "ask_another_label", lang), switch_inline_query_current_chat=""
    )


def reply_keyboard(
    engine: Engine,
    reply: Reply,
    bot_username: str | None,
    lang: Lang,
    terms: list[InlineKeyboardButton] | None = None,
) -> InlineKeyboardMarkup | None:
    """At most three rows under an answer: related topics, glossary terms, 👍 👎 share.

    Without terms the two related topics get a row each (long titles stay readable); other
    replies get their options and a "🔎 Ask another" button.
    """
    catalogue = engine.catalogue
    buttons = [_button(catalogue, b, lang) for b in reply.buttons]
    rows: list[list[InlineKeyboardButton]]
    if reply.kind == "answer" and reply.intent_id is not None:
        related = buttons[:MAX_RELATED]
        rows = [related, terms] if terms and related else [[b] for b in related]
        if terms and not related:
            rows = [terms]
        intent = catalogue.by_id[reply.intent_id]
        if intent.category != SMALLTALK:  # a vote or a share of "thanks" means nothing
            rows.append(vote_row(engine, intent.id, intent.title.get(lang), lang, bot_username))
        return InlineKeyboardMarkup(rows) if rows else None
    # Options (long titles) one to a row; topics (short names) three to a row.
    per_row = 3 if all(b.category_id for b in reply.buttons) else 1
    rows = [buttons[i : i + per_row] for i in range(0, len(buttons), per_row)]
    if reply.kind in ("suggest", "none") and bot_username:
        rows.append([ask_another(engine, lang)])
    return InlineKeyboardMarkup(rows) if rows else None


def category_keyboard(catalogue: Catalogue, category_id: str, lang: Lang) -> InlineKeyboardMarkup:
    """Every intent of one category, as buttons."""
    category = next(c for c in catalogue.categories if c.id == category_id)
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    catalogue.by_id[i].title.get(lang), callback_data=encode("intent", i)
                )
            ]
            for i in category.intent_ids
        ]
    )


def topics_keyboard(catalogue: Catalogue, lang: Lang) -> InlineKeyboardMarkup:
    """One button per category (smalltalk left out: nobody browses greetings)."""
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(c.title.get(lang), callback_data=encode("category", c.id))]
            for c in catalogue.categories
            if c.id != "smalltalk"
        ]
    )


def term_buttons(engine: Engine, reply: Reply, lang: Lang) -> list[InlineKeyboardButton]:
    """Glossary buttons for terms the answer's body mentions (never its title or source link),
    leaving out a term whose entry leads back to this very answer."""
    return [
        InlineKeyboardButton(f"📘 {term.term.get(lang)}", callback_data=encode("term", term.id))
        for term in engine.catalogue.study.terms_in(reply.body)
        if term.intent != reply.intent_id
    ][:MAX_TERMS]


_KEYBOARDS: dict[tuple[object, ...], InlineKeyboardMarkup | None] = {}
_MAX_CACHED = 4096


def answer_keyboard(
    engine: Engine, reply: Reply, bot_username: str | None, lang: Lang | None = None
) -> InlineKeyboardMarkup | None:
    """The full keyboard under a reply, labelled in `lang` (default: the reply's), memoised:
    it depends only on what the key names.

    Building PTB button objects costs more than matching the question, and the same few
    hundred keyboards repeat all day; the catalogue version in the key retires old ones.
    """
    lang = lang or reply.lang
    key = (engine.version, reply.kind, lang, reply.intent_id, reply.suggestions, bot_username)
    if key not in _KEYBOARDS:
        if len(_KEYBOARDS) >= _MAX_CACHED:
            _KEYBOARDS.clear()
        terms = term_buttons(engine, reply, lang) if reply.kind == "answer" else []
        _KEYBOARDS[key] = reply_keyboard(engine, reply, bot_username, lang, terms)
    return _KEYBOARDS[key]
