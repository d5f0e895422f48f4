"""The answer engine: catalogue → normalise → match → render. Knows nothing of Telegram.

`Engine` is the only object adapters need. It is immutable after construction, so a reload
builds a new one and swaps the reference: no question ever sees a half-loaded catalogue.
Loading YAML (loader.py) is imported only when the compiled cache misses.
"""

from __future__ import annotations

import gc
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from .cache import EngineCache
from .catalogue import Catalogue, CatalogueError, Problem, QuizQuestion, Term, Text
from .features import Question
from .html_subset import MAX_MESSAGE_CHARS, escape, html_problems, telegram_length
from .language import (
    ANSWER_MODES,
    LANG_MODES,
    LANGS,
    Lang,
    LangChoice,
    LangMode,
    as_mode,
    detect_language,
)
from .matching import Candidate, Matcher, MatchResult, MatchSettings
from .normalize import normalize, normalize_content
from .ordinals import numbered_part
from .record import record
from .replies import Button, Renderer, Reply
from .scope import Scope
from .snapshot import SnapshotError, engine_from_data, engine_to_data
from .study import MapLine, map_lines, pick_question

if TYPE_CHECKING:
    from .followup import Cues

__all__ = [
    "ANSWER_MODES",
    "LANGS",
    "LANG_MODES",
    "Button",
    "Catalogue",
    "CatalogueError",
    "Engine",
    "Lang",
    "LangChoice",
    "LangMode",
    "MapLine",
    "MatchResult",
    "MatchSettings",
    "Problem",
    "Question",
    "QuizQuestion",
    "Reply",
    "Term",
    "Text",
    "as_mode",
    "default_intents_dir",
    "detect_language",
    "escape",
    "normalize",
    "pick_question",
]


def default_intents_dir() -> Path:
    """The intents/ shipped inside the installed package (a symlink in a source checkout)."""
    return Path(__file__).resolve().parent.parent / "intents"


@record
class Engine:
    """A loaded catalogue with its matcher and renderer."""

    catalogue: Catalogue
    matcher: Matcher
    renderer: Renderer

    @cached_property
    def cues(self) -> Cues:
        """Follow-up cues, prepared on the first question that has a previous answer."""
        from .followup import Cues  # `dnws-bot ask` never has a previous answer

        return Cues(self.catalogue)

    @cached_property
    def scope(self) -> Scope:
        """The not-covered topics (not_covered.yaml), checked before any answer is given."""
        return Scope(self.catalogue.not_covered)

    @classmethod
    def from_catalogue(cls, catalogue: Catalogue, settings: MatchSettings | None = None) -> Engine:
        engine = cls._assemble(catalogue, Matcher(catalogue, settings))
        normalize_content.cache_clear()  # memoised for the build only
        problems = engine.render_problems()
        if problems:
            raise CatalogueError(problems)
        return engine

    @classmethod
    def _assemble(cls, catalogue: Catalogue, matcher: Matcher) -> Engine:
        return cls(catalogue, matcher, Renderer(catalogue))

    @classmethod
    def load(
        cls,
        directory: Path | None = None,
        settings: MatchSettings | None = None,
        cache_dir: Path | None = None,
    ) -> Engine:
        """Load and fully validate a catalogue; raises CatalogueError listing every problem.

        With `cache_dir`, a catalogue that validated once is kept compiled there (cache.py);
        custom match settings always build afresh.
        """
        directory = directory or default_intents_dir()
        if not directory.is_dir():
            raise CatalogueError([Problem(str(directory), 0, None, "intents directory not found")])
        cache = EngineCache(cache_dir, directory) if cache_dir and settings is None else None
        if cache is not None:
            engine = cls._from_cache(cache)
            if engine is not None:
                return engine
        from .loader import load_catalogue  # YAML is parsed only when the cache misses

        # Building creates many long-lived objects and little garbage: the collector, paused,
        # is spared rescanning them (~8% of a cold `dnws-bot ask`).
        enabled = gc.isenabled()
        gc.disable()
        try:
            engine = cls.from_catalogue(load_catalogue(directory), settings)
        finally:
            if enabled:
                gc.enable()
        if cache is not None:
            cache.write(engine_to_data(engine.catalogue, engine.matcher))
        return engine

    @classmethod
    def _from_cache(cls, cache: EngineCache) -> Engine | None:
        # Hundreds of thousands of long-lived objects at once, and no garbage: the collector
        # would only rescan them while they load, so it is paused.
        enabled = gc.isenabled()
        gc.disable()
        try:
            data = cache.read()
            return None if data is None else cls._assemble(*engine_from_data(data))
        except SnapshotError:
            return None
        finally:
            if enabled:
                gc.enable()

    @property
    def version(self) -> str:
        return self.catalogue.version

    def text(self, key: str) -> Text:
        """An interface sentence from intents/texts.yaml (KeyError for a key it lacks)."""
        return self.catalogue.texts[key]

    def map_lines(self, lang: Lang) -> list[MapLine]:
        """The article map, drawn once for every front end (study.map_lines)."""
        return map_lines(self.catalogue, lang)

    def match(
        self, question: str | Question, lang: Lang | None = None, previous: str | None = None
    ) -> MatchResult:
        """Rank intents; with `previous` (the last answer's intent) short follow-ups resolve.

        A question whose focus the article does not cover (scope.py) is "none" with reason
        not_covered, whatever the matcher thinks; a "why?"/"example?" the previous answer has no
        target for is "none" with reason no_followup (never a different question's answer).
        """
        # Normalised and analysed once, then passed along (matching, follow-up cues, swaps).
        asked = question if isinstance(question, Question) else self.matcher.question(question)
        standalone = self.matcher.match(asked, lang)
        topic = self.scope.focus(asked.norm)
        if topic is not None:
            return MatchResult(
                "none",
                standalone.lang,
                standalone.candidates,
                reason="not_covered",
                topic=topic.id,
                offer=topic.nearest,
            )
        if previous is not None:
            from .followup import is_short

            if not is_short(asked.norm):
                previous = None  # a full question of its own; only short ones lean on the last
        # "the second obstacle", "2つ目は?": a part of a numbered list, by position (ordinals.py).
        first = standalone.candidates[0].intent_id if standalone.candidates else None
        part = numbered_part(asked.norm, asked.analysed.concepts, self.catalogue, first, previous)
        if part is not None:
            return MatchResult("answer", standalone.lang, (Candidate(part, 1.0),))
        if previous is not None:
            from .followup import resolve_followup

            resolved = resolve_followup(asked, previous, self.matcher, self.cues, standalone)
            if resolved is not None and resolved.intent_id is not None:
                return MatchResult("answer", standalone.lang, (Candidate(resolved.intent_id, 1.0),))
            if resolved is not None:
                return MatchResult(
                    "none",
                    standalone.lang,
                    standalone.candidates,
                    reason="no_followup",
                    offer=resolved.offer,
                )
        return standalone

    def answer(
        self, question: str | Question, mode: LangMode | None = None, previous: str | None = None
    ) -> Reply:
        """Best reply to a free-text question; `mode` forces the answer language."""
        asked = question if isinstance(question, Question) else self.matcher.question(question)
        if not asked.norm:
            return self.renderer.empty(mode or asked.lang)
        forced: Lang | None = mode if mode in LANGS else None
        return self.renderer.from_match(self.match(asked, forced, previous), mode)

    def intent_reply(self, intent_id: str, mode: LangMode) -> Reply:
        return self.renderer.intent_reply(intent_id, mode)

    def render_problems(self) -> list[Problem]:
        """Check every rendered answer the way Telegram would (HTML and length)."""
        problems: list[Problem] = []
        for intent in self.catalogue.intents:
            for mode in ANSWER_MODES:
                reply = self.renderer.intent_reply(intent.id, mode)
                where = (intent.file, intent.line, intent.id)
                for problem in html_problems(reply.html):
                    problems.append(Problem(*where, f"rendered {mode} answer: {problem}"))
                if telegram_length(reply.html) > MAX_MESSAGE_CHARS:
                    problems.append(
                        Problem(*where, f"rendered {mode} answer exceeds {MAX_MESSAGE_CHARS}")
                    )
        return problems
