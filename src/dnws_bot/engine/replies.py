"""Turn a match into a `Reply`: Telegram-safe HTML, plain text and buttons, as data.

Telegram, the console chat and the JSON CLI all render the same `Reply`, so the tests can check
what a user would see without any network. Every string from the catalogue is trusted HTML
(validated at load time); everything else is escaped here.
"""

from __future__ import annotations

import unicodedata
from typing import Literal

from .catalogue import SMALLTALK, Catalogue, Intent, Text
from .html_subset import escape, to_plain_text
from .language import LANGS, Lang, LangMode
from .matching import MatchResult, Reason, Status
from .record import record, replace

ReplyKind = Literal["answer", "suggest", "none", "empty"]


@record
class Button:
    """A button under a reply: opens an intent, or lists a category's intents."""

    label: str
    intent_id: str | None = None
    category_id: str | None = None


@record
class Reply:
    """What the user sees, independent of the channel that shows it."""

    kind: ReplyKind
    lang: Lang
    intent_id: str | None
    score: float
    title: str
    text: str  # the whole reply as plain text (title, answer, source, link)
    html: str  # Telegram HTML (parse_mode=HTML)
    body: str  # just the answer (or the message) as plain text, without title and source
    link: str
    section: str
    buttons: tuple[Button, ...]
    suggestions: tuple[str, ...]
    # The matcher's top candidates with scores (kept for the curator's unanswered log).
    candidates: tuple[tuple[str, float], ...] = ()
    # Why there is no answer, when the engine knows: not_covered (with the topic's id) or
    # no_followup; None for every other reply.
    reason: Reason | None = None
    topic: str | None = None

    @property
    def status(self) -> Status:
        return "none" if self.kind == "empty" else self.kind


def _langs(mode: LangMode, first: Lang | None = None) -> tuple[Lang, ...]:
    """The languages of a reply, the main one first (in "both", `first` leads if given)."""
    if mode != "both":
        return (mode,)
    lead = first or LANGS[0]
    return (lead, *(lang for lang in LANGS if lang != lead))


def _fold(html: str) -> str:
    """Telegram shows an expandable blockquote as three lines and a "show more"."""
    return f"<blockquote expandable>{html}</blockquote>"


# An answer wider than this (columns; a Japanese character takes two) is folded when the chat
# needs it short: about two lines of a phone.
FOLD_ABOVE_COLUMNS = 70


def _columns(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


class Renderer:
    """Renders replies for one catalogue."""

    def __init__(self, catalogue: Catalogue) -> None:
        self.catalogue = catalogue

    def _answer_block(self, intent: Intent, lang: Lang) -> str:
        article = self.catalogue.article
        section = escape(self.catalogue.section_title(intent, lang))
        source = (
            f"📖 {self.catalogue.texts['source_label'].get(lang)}: {section} — "
            f'<a href="{escape(article.url)}">{escape(article.publisher)} ({article.date})</a>'
        )
        return f"<b>{escape(intent.title.get(lang))}</b>\n\n{intent.answer.get(lang)}\n\n{source}"

    def intent_reply(
        self, intent_id: str, mode: LangMode, score: float = 1.0, *, first: Lang | None = None
    ) -> Reply:
        """The full answer for one intent, with its related intents as buttons; in "both" the
        second language comes folded in an expandable blockquote. Small talk ("thx", "hi") gets
        just its short answer, no title or citation."""
        intent = self.catalogue.by_id[intent_id]
        langs = _langs(mode, first)
        chat = intent.category == SMALLTALK
        blocks = [
            intent.answer.get(lang) if chat else self._answer_block(intent, lang) for lang in langs
        ]
        html = "\n".join(block if i == 0 else _fold(block) for i, block in enumerate(blocks))
        primary = langs[0]
        buttons = tuple(
            Button(self.catalogue.by_id[rid].title.get(primary), intent_id=rid)
            for rid in intent.related[:3]
        )
        return Reply(
            kind="answer",
            lang=primary,
            intent_id=intent.id,
            score=score,
            title=intent.title.get(primary),
            text=to_plain_text(html) + ("" if chat else f"\n{self.catalogue.article.url}"),
            html=html,
            body="\n\n".join(to_plain_text(intent.answer.get(lang)) for lang in langs),
            link=self.catalogue.article.url,
            section=self.catalogue.section_title(intent, primary),
            buttons=buttons,
            suggestions=(),
        )

    def folded_html(self, intent_id: str, mode: LangMode, first: Lang | None = None) -> str:
        """A group's short form of an answer: title, the answer folded when long (Telegram
        shows three lines and "show more"), the second language folded whole, and a one-line
        source (publisher, date, link; the section is in the full answer)."""
        intent = self.catalogue.by_id[intent_id]
        langs = _langs(mode, first)
        lead = langs[0]
        answer = intent.answer.get(lead)
        parts = [f"<b>{escape(intent.title.get(lead))}</b>"]
        parts.append(
            _fold(answer) if _columns(to_plain_text(answer)) > FOLD_ABOVE_COLUMNS else answer
        )
        parts.extend(
            _fold(f"<b>{escape(intent.title.get(lang))}</b>\n{intent.answer.get(lang)}")
            for lang in langs[1:]
        )
        # The source, short (publisher and date: one phone line), where the full answer cites.
        block = self._answer_block(intent, lead)
        head = f"<b>{escape(intent.title.get(lead))}</b>\n\n{answer}"
        if block.startswith(head) and block.removeprefix(head).strip():
            article = self.catalogue.article
            parts.append(
                f"📖 {self.catalogue.texts['source_label'].get(lead)}: "
                f'<a href="{escape(article.url)}">{escape(article.publisher)} ({article.date})</a>'
            )
        return "\n".join(parts)

    def from_match(self, match: MatchResult, mode: LangMode | None = None) -> Reply:
        """Render a matcher verdict in the question's language, or the chat's chosen mode."""
        mode = mode or match.lang
        candidates = tuple((c.intent_id, c.score) for c in match.candidates)
        if match.status == "answer" and match.intent_id is not None:
            reply = self.intent_reply(match.intent_id, mode, match.score, first=match.lang)
            return replace(reply, candidates=candidates)
        lang = _langs(mode, match.lang)[0]
        if match.reason is not None:
            offer = tuple(i for i in match.offer if i in self.catalogue.by_id)
            topic = next((t for t in self.catalogue.not_covered if t.id == match.topic), None)
            reply = self._message_reply(
                "none",
                match.reason,
                mode,
                match.score,
                offer,
                tuple(Button(self.catalogue.by_id[i].title.get(lang), intent_id=i) for i in offer)
                or self.topic_buttons(lang),
                topic.name if topic is not None else None,
            )
            return replace(reply, candidates=candidates, reason=match.reason, topic=match.topic)
        if match.status == "suggest":
            ids = tuple(c.intent_id for c in match.candidates)
            reply = self._message_reply(
                "suggest",
                "did_you_mean",
                mode,
                match.score,
                ids,
                tuple(Button(self.catalogue.by_id[i].title.get(lang), intent_id=i) for i in ids),
            )
            return replace(reply, candidates=candidates)
        reply = self._message_reply(
            "none", "no_match", mode, match.score, (), self.topic_buttons(lang)
        )
        return replace(reply, candidates=candidates)

    def empty(self, mode: LangMode) -> Reply:
        return self._message_reply(
            "empty", "empty", mode, 0.0, (), self.topic_buttons(_langs(mode)[0])
        )

    def _message_reply(
        self,
        kind: ReplyKind,
        key: str,
        mode: LangMode,
        score: float,
        suggestions: tuple[str, ...],
        buttons: tuple[Button, ...],
        topic: Text | None = None,
    ) -> Reply:
        langs = _langs(mode)
        blocks = []
        for lang in langs:
            message = self.catalogue.texts[key].get(lang)
            if topic is not None:
                message = message.replace("{topic}", topic.get(lang))
            # One line: the options are the buttons (listing them twice costs a phone screen).
            blocks.append(escape(message))
        html = "\n\n".join(blocks)
        return Reply(
            kind=kind,
            lang=langs[0],
            intent_id=None,
            score=score,
            title="",
            text=to_plain_text(html),
            html=html,
            body=to_plain_text(html),
            link=self.catalogue.article.url,
            section="",
            buttons=buttons,
            suggestions=suggestions,
        )

    def topic_buttons(self, lang: Lang) -> tuple[Button, ...]:
        """One button per category: the main topics."""
        return tuple(
            Button(category.title.get(lang), category_id=category.id)
            for category in self.catalogue.categories
            if category.id != "smalltalk"
        )
