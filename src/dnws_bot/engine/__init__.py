"""The answer engine: catalogue → normalise → match → render. Knows nothing of Telegram.

`Engine` is the only object adapters need. It is immutable after construction, so a reload
builds a new one and swaps the reference: no question ever sees a half-loaded catalogue.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .cache import cache_key, load_cached, store_cached
from .catalogue import Catalogue, CatalogueError, Problem, Text, load_catalogue
from .followup import Cues, resolve_followup
from .language import LANG_MODES, LANGS, Lang, LangChoice, LangMode, as_mode, detect_language
from .matching import Candidate, Matcher, MatchResult, MatchSettings
from .normalize import normalize
from .replies import Button, Renderer, Reply
from .telegram_html import MAX_MESSAGE_CHARS, html_problems, telegram_length

__all__ = [
    "LANG_MODES",
    "Button",
    "Catalogue",
    "CatalogueError",
    "Engine",
    "Lang",
    "LangChoice",
    "LangMode",
    "MatchResult",
    "MatchSettings",
    "Problem",
    "Reply",
    "Text",
    "as_mode",
    "default_intents_dir",
    "detect_language",
]


def default_intents_dir() -> Path:
    """The intents/ shipped inside the installed package (a symlink in a source checkout)."""
    return Path(__file__).resolve().parent.parent / "intents"


@dataclass(frozen=True)
class Engine:
    """A loaded catalogue with its matcher and renderer."""

    catalogue: Catalogue
    matcher: Matcher
    renderer: Renderer
    cues: Cues

    @classmethod
    def from_catalogue(cls, catalogue: Catalogue, settings: MatchSettings | None = None) -> Engine:
        engine = cls(catalogue, Matcher(catalogue, settings), Renderer(catalogue), Cues(catalogue))
        problems = engine.render_problems()
        if problems:
            raise CatalogueError(problems)
        return engine

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
        key = cache_key(directory) if cache_dir is not None and settings is None else None
        if key is not None and cache_dir is not None:
            cached = load_cached(cache_dir, key)
            if isinstance(cached, Engine):
                return cached
        engine = cls.from_catalogue(load_catalogue(directory), settings)
        if key is not None and cache_dir is not None:
            store_cached(cache_dir, key, engine)
        return engine

    @property
    def version(self) -> str:
        return self.catalogue.version

    def text(self, key: str) -> Text:
        """An interface sentence from intents/texts.yaml (KeyError for a key it lacks)."""
        return self.catalogue.texts[key]

    def match(
        self, question: str, lang: Lang | None = None, previous: str | None = None
    ) -> MatchResult:
        """Rank intents; with `previous` (the last answer's intent) short follow-ups resolve."""
        standalone = self.matcher.match(question, lang)
        if previous is not None:
            intent_id = resolve_followup(question, previous, self.matcher, self.cues, standalone)
            if intent_id is not None:
                return MatchResult("answer", standalone.lang, (Candidate(intent_id, 1.0),))
        return standalone

    def answer(
        self, question: str, mode: LangMode | None = None, previous: str | None = None
    ) -> Reply:
        """Best reply to a free-text question; `mode` forces the answer language."""
        if not normalize(question):
            return self.renderer.empty(mode or detect_language(question))
        forced: Lang | None = mode if mode in LANGS else None
        return self.renderer.from_match(self.match(question, forced, previous), mode)

    def intent_reply(self, intent_id: str, mode: LangMode) -> Reply:
        return self.renderer.intent_reply(intent_id, mode)

    def render_problems(self) -> list[Problem]:
        """Check every rendered answer the way Telegram would (HTML and length)."""
        problems: list[Problem] = []
        for intent in self.catalogue.intents:
            for mode in ("ja", "en", "both"):
                reply = self.renderer.intent_reply(intent.id, mode)
                for problem in html_problems(reply.html):
                    problems.append(
                        Problem(
                            intent.file,
                            intent.line,
                            intent.id,
                            f"rendered {mode} answer: {problem}",
                        )
                    )
                if telegram_length(reply.html) > MAX_MESSAGE_CHARS:
                    problems.append(
                        Problem(
                            intent.file,
                            intent.line,
                            intent.id,
                            f"rendered {mode} answer exceeds {MAX_MESSAGE_CHARS}",
                        )
                    )
        return problems
