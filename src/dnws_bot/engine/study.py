"""Study helpers over the catalogue's study content: pick a quiz question, draw the article map.

The map is drawn here once; the console, Telegram's /map and `dnws-bot map` only format lines.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .catalogue import Catalogue, QuizQuestion
from .language import Lang
from .record import record

if TYPE_CHECKING:
    import random


def pick_question(
    questions: tuple[QuizQuestion, ...], asked: set[str], topic: str | None, rng: random.Random
) -> tuple[QuizQuestion, bool]:
    """A question not yet asked in this chat (within the topic); True when the cycle restarts."""
    pool = [q for q in questions if topic is None or q.category == topic] or list(questions)
    fresh = [q for q in pool if q.id not in asked]
    if fresh:
        return rng.choice(fresh), False
    return rng.choice(pool), True


@record
class MapLine:
    """One line of the article map: "3. Obstacles", or "   ├ Sanctions" under it."""

    marker: str  # "3." for a step of the article, "   ├" / "   └" for what details it
    title: str  # plain text, in the asked language
    intent_id: str

    @property
    def text(self) -> str:
        return f"{self.marker} {self.title}"


def map_lines(catalogue: Catalogue, lang: Lang) -> list[MapLine]:
    """The article's structure, top to bottom, each line leading to an intent."""
    lines: list[MapLine] = []
    for number, entry in enumerate(catalogue.study.article_map, 1):
        lines.append(
            MapLine(f"{number}.", catalogue.by_id[entry.intent].title.get(lang), entry.intent)
        )
        for index, part in enumerate(entry.parts):
            branch = "└" if index == len(entry.parts) - 1 else "├"
            lines.append(MapLine(f"   {branch}", catalogue.by_id[part].title.get(lang), part))
    return lines
