"""Reply buttons → Telegram inline keyboards. One button per row: thumbs are wide, screens narrow."""

from __future__ import annotations

from urllib.parse import quote

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from ..engine import Button, Engine, Reply
from ..engine.catalogue import Catalogue
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


def _button(button: Button) -> InlineKeyboardButton:
    if button.intent_id is not None:
        return InlineKeyboardButton(button.label, callback_data=encode("intent", button.intent_id))
    if button.category_id is not None:
        return InlineKeyboardButton(
            button.label, callback_data=encode("category", button.category_id)
        )
    raise ValueError(f"button without a target: {button}")


def reply_keyboard(
    engine: Engine,
    reply: Reply,
    bot_username: str | None,
    extra: list[InlineKeyboardButton] | None = None,
) -> InlineKeyboardMarkup | None:
    """Related/suggested/topic buttons, then feedback and share under a real answer."""
    rows = [[_button(button)] for button in reply.buttons]
    if extra:
        rows.extend([b] for b in extra)
    if reply.kind == "answer" and reply.intent_id is not None:
        footer = [
            InlineKeyboardButton("👍", callback_data=encode("vote", reply.intent_id, "+")),
            InlineKeyboardButton("👎", callback_data=encode("vote", reply.intent_id, "-")),
        ]
        if bot_username:
            footer.append(
                InlineKeyboardButton(
                    ui(engine, "share_label", reply.lang),
                    url=share_url(bot_username, reply.intent_id, reply.title),
                )
            )
        rows.append(footer)
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


def term_buttons(
    engine: Engine, answer_text: str, lang: Lang, limit: int = 2
) -> list[InlineKeyboardButton]:
    """Glossary buttons for terms that appear in an answer."""
    return [
        InlineKeyboardButton(f"📘 {term.term.get(lang)}", callback_data=encode("term", term.id))
        for term in engine.catalogue.study.terms_in(answer_text)[:limit]
    ]


_KEYBOARDS: dict[tuple[object, ...], InlineKeyboardMarkup | None] = {}
_MAX_CACHED = 4096


def answer_keyboard(
    engine: Engine, reply: Reply, bot_username: str | None
) -> InlineKeyboardMarkup | None:
    """The full keyboard under a reply, memoised: it depends only on what the key names.

    Building PTB button objects costs more than matching the question, and the same few
    hundred keyboards repeat all day; the catalogue version in the key retires old ones.
    """
    key = (engine.version, reply.kind, reply.lang, reply.intent_id, reply.suggestions, bot_username)
    if key not in _KEYBOARDS:
        if len(_KEYBOARDS) >= _MAX_CACHED:
            _KEYBOARDS.clear()
        extra = term_buttons(engine, reply.text, reply.lang) if reply.kind == "answer" else []
        _KEYBOARDS[key] = reply_keyboard(engine, reply, bot_username, extra)
    return _KEYBOARDS[key]
