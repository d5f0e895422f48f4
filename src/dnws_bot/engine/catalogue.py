"""The catalogue model: every kind of content the engine serves, as frozen records.

`loader.py` builds a `Catalogue` from intents/*.yaml (checking everything first) and `snapshot.py`
rebuilds one from the compiled cache; adapters only ever read it.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cached_property
from pathlib import Path

from .language import Lang
from .normalize import normalize, normalize_content
from .record import field, record

# The small-talk category: answered alone, with no citation, vote or share (replies, offtopic).
SMALLTALK = "smalltalk"


@record
class Problem:
    """One thing wrong with the catalogue, located for the curator."""

    file: str
    line: int
    intent_id: str | None
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}"
        return (
            f"{where}: [{self.intent_id}] {self.message}"
            if self.intent_id
            else (f"{where}: {self.message}")
        )


class CatalogueError(Exception):
    """The catalogue cannot be used; `problems` lists every reason."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__(f"{len(problems)} problem(s) in the intent catalogue")


@record
class Text:
    """The same short text in both languages."""

    ja: str
    en: str

    def get(self, lang: Lang) -> str:
        return self.ja if lang == "ja" else self.en


@record
class Intent:
    """One curated question-and-answer, the unit the matcher picks."""

    id: str
    category: str
    section: str
    title: Text
    answer: Text
    paraphrases: Mapping[Lang, tuple[str, ...]]
    related: tuple[str, ...]
    keywords: tuple[str, ...]
    file: str
    line: int
    # Where a follow-up cue leads (why / example → intent id); a cue it lacks has no answer.
    followups: Mapping[str, str] = field(default_factory=dict)


@record
class Category:
    """A group of intents shown together under /topics (one intent file)."""

    id: str
    title: Text
    intent_ids: tuple[str, ...]
    order: int = 0


@record
class Aliases:
    """Surface forms of concepts, question words and filler phrases (see docs/intent-format)."""

    concepts: Mapping[str, tuple[str, ...]]
    question_words: Mapping[str, tuple[str, ...]]
    fillers: Mapping[Lang, tuple[str, ...]]
    followups: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    topical: frozenset[str] = frozenset()  # concepts of the article's own subject (offtopic.py)


@record
class Topic:
    """A subject people ask next to the article that it does not cover (not_covered.yaml).

    `forms` and `combos` are in comparison form (normalize); a combo is a tuple of groups that
    must all be present. `nearest` are the article intents offered instead.
    """

    id: str
    name: Text
    forms: tuple[str, ...]
    combos: tuple[tuple[tuple[str, ...], ...], ...]
    nearest: tuple[str, ...]
    line: int = 0


@record
class Article:
    """The source article, cited under every answer."""

    publisher: str
    date: str
    url: str
    title: Text


@record
class QuizQuestion:
    """One multiple-choice question about an intent (a Telegram quiz poll)."""

    id: str
    intent: str
    question: Text
    options: Mapping[Lang, tuple[str, ...]]
    correct: int
    explanation: Text

    @property
    def category(self) -> str:
        return self.intent.split(".", 1)[0]


@record
class Term:
    """A glossary term: its names, the forms that find it, a one-line definition."""

    id: str
    term: Text
    forms: tuple[str, ...]
    definition: Text
    intent: str | None


@record
class MapEntry:
    """One line of the article map: an intent and the intents that detail it."""

    intent: str
    parts: tuple[str, ...]
    # For a numbered list (the parts in the article's order): the concepts that name one item,
    # so "the second obstacle" is the second part (ordinals.py).
    items: tuple[str, ...] = ()


@record
class StudyContent:
    """Quiz questions, glossary terms and the article map."""

    quiz: tuple[QuizQuestion, ...]
    terms: tuple[Term, ...]
    article_map: tuple[MapEntry, ...]

    @cached_property
    def _forms(self) -> tuple[tuple[Term, frozenset[str]], ...]:
        """Each term's forms in comparison form, computed once, on first use (answers are
        scanned on every Telegram reply; `dnws-bot ask` never needs them)."""
        return tuple(
            (t, frozenset(normalize_content(f) for f in t.forms) - {""}) for t in self.terms
        )

    def term(self, query: str) -> Term | None:
        """The term whose id or any form matches the query (normalised), if one does."""
        key = normalize(query)
        return next((t for t, forms in self._forms if key == t.id or key in forms), None)

    def terms_in(self, text: str) -> list[Term]:
        """Terms that appear in a text (for glossary buttons under an answer)."""
        haystack = normalize(text)
        return [t for t, forms in self._forms if any(len(f) > 2 and f in haystack for f in forms)]


@record
class Catalogue:
    """Everything the engine knows, immutable once loaded."""

    intents: tuple[Intent, ...]
    categories: tuple[Category, ...]
    sections: Mapping[str, Text]
    article: Article
    aliases: Aliases
    study: StudyContent
    version: str
    directory: Path
    texts: Mapping[str, Text] = field(default_factory=dict)
    stopwords: frozenset[str] = frozenset()
    not_covered: tuple[Topic, ...] = ()
    by_id: Mapping[str, Intent] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_id", {intent.id: intent for intent in self.intents})

    def section_title(self, intent: Intent, lang: Lang) -> str:
        return self.sections[intent.section].get(lang)
