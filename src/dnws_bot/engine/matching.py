"""Rank intents for a question (naive Bayes), then decide how sure we are (similarity, coverage).

Why this shape (measured in bench/ and bench/tune.py, numbers in the README):
- Ranking is multinomial naive Bayes over concepts, question words and character n-grams
  (features.py), trained in closed form from the paraphrases at load time (vectors.py): on the
  tuning set it ranked the right intent first for 97% of questions, against 92% for centroid
  cosine or nearest paraphrase.
- Concepts (aliases.yaml) let a question meet the intent whatever script or language it uses, and
  a Japanese question match via English paraphrases. Rare concepts weigh more (idf over intents).
- Naive Bayes posteriors are overconfident and blind to "none of these", so confidence blends the
  posterior with similarity: concept and n-gram cosine, and rapidfuzz against the paraphrases of
  the few best intents only (a near-verbatim match, without scanning every paraphrase).
- Coverage: the share of the question's content words the catalogue knows at all. A question
  about missile ranges shares "北朝鮮" and "ICBM" with the article, but "射程" is unknown, which
  is what tells a near-domain question from an in-scope one.
"""

from __future__ import annotations

from functools import cache, cached_property, partial
from typing import Literal

from rapidfuzz import fuzz, process

from . import reading, slips, vectors
from .catalogue import SMALLTALK, Catalogue
from .features import Analysed, Analyser, Question, coverage_units
from .language import Lang
from .normalize import MAX_QUESTION_CHARS
from .offtopic import asks_more, foreign_katakana, off_topic, rescued
from .reading import Readings
from .record import record
from .siblings import telling_sibling
from .tables import MatchSettings, Tables, build_tables
from .vocabulary import build_analyser, build_readings, paraphrase_readings

__all__ = ["Candidate", "MatchResult", "MatchSettings", "Matcher", "Status", "Tables"]

Status = Literal["answer", "suggest", "none"]
# Why a verdict is "none" when the engine knows better than "no match" (engine/__init__.py).
Reason = Literal["not_covered", "no_followup"]


@record
class Candidate:
    intent_id: str
    score: float


@record
class MatchResult:
    """The matcher's verdict: answer, suggest (did you mean) or none, with the top candidates."""

    status: Status
    lang: Lang
    candidates: tuple[Candidate, ...]
    reason: Reason | None = None  # set by the engine: not_covered (scope.py), no_followup
    topic: str | None = None  # the not-covered topic's id
    offer: tuple[str, ...] = ()  # intents to offer instead of an answer

    @property
    def intent_id(self) -> str | None:
        return self.candidates[0].intent_id if self.status == "answer" else None

    @property
    def score(self) -> float:
        return self.candidates[0].score if self.candidates else 0.0


class Matcher:
    """Built once per catalogue (or restored from the cache); `match` is pure and does no I/O."""

    def __init__(
        self,
        catalogue: Catalogue,
        settings: MatchSettings | None = None,
        analyser: Analyser | None = None,
        tables: Tables | None = None,
        readings: Readings | None = None,
    ) -> None:
        self.catalogue = catalogue
        self.settings = s = settings or MatchSettings()
        built = build_readings(catalogue, s.reading_layer) if analyser is None else reading.EMPTY
        self.readings = readings if readings is not None else built
        self.analyser = analyser or build_analyser(catalogue, self.readings, s.reading_layer)
        self.tables = tables or build_tables(
            catalogue, self.analyser, s, paraphrase_readings(catalogue) if s.reading_layer else None
        )
        self._ids = [intent.id for intent in catalogue.intents]
        self._shares_by_id = dict(zip(self._ids, self.tables.concept_shares, strict=True))

    def question(self, text: str) -> Question:
        """The question normalised and analysed once, for `match_question` and follow-ups."""
        return self.analyser.question(text)

    def analyse(self, text: str) -> Analysed:
        return self.analyser.analyse(text)

    def _is_known(self, unit: str) -> bool:
        concepts = self.analyser.concepts
        if unit in self.tables.known_units or unit in concepts.latin_vocabulary:
            return True
        if unit.isascii():
            return concepts.knows(unit)  # a typo of an alias word
        # One kanji beside kana (な国, 国ほ): known when the catalogue uses that kanji at all.
        kanji = [ch for ch in unit if ch >= "\u3400"]
        return len(kanji) == 1 and kanji[0] in self._known_kanji

    @cached_property
    def _grams(self) -> vectors.GramScorer:
        """Gram cosine and naive Bayes in one pass (as tables.nb_features weighs them)."""
        t, weight = self.tables, self.settings.nb_gram_weight
        return vectors.GramScorer(
            t.gram_idf, t.gram_postings, t.gram_norms, t.nb_deltas, t.nb_defaults, weight
        )

    @cached_property
    def _known_kanji(self) -> frozenset[str]:
        return frozenset(ch for unit in self.tables.known_units for ch in unit if ch >= "\u3400")

    def _coverage(self, analysed: Analysed) -> float:
        """Share of the question's content units that the catalogue knows at all."""
        units = analysed.coverage_units
        if not units:
            return 1.0
        return sum(1 for unit in units if self._is_known(unit)) / len(units)

    def _similarity(
        self, analysed: Analysed, index: int, concepts: dict[int, float], grams: dict[int, float]
    ) -> float:
        """How close the question is to one intent's wording, 0..1."""
        s = self.settings
        concept = concepts.get(index, 0.0)
        gram = grams.get(index, 0.0)
        fuzzy = 0.0
        contents = self.tables.contents[index]
        if analysed.content and contents:
            best = process.extractOne(analysed.content, contents, scorer=fuzz.ratio)
            fuzzy = best[1] / 100.0 if best else 0.0
        total = s.concept_weight + s.gram_weight + s.fuzzy_weight
        return (s.concept_weight * concept + s.gram_weight * gram + s.fuzzy_weight * fuzzy) / total

    def scores(self, question: str) -> list[Candidate]:
        """The best intents for a question, best first (empty when nothing is shared)."""
        return self.ranked(self.analyse(question))

    def ranked(self, analysed: Analysed) -> list[Candidate]:
        """As `scores`, for an analysed text."""
        s, t = self.settings, self.tables
        if not analysed.features and not analysed.grams:
            return []
        concepts = vectors.cosine(
            analysed.features, t.concept_postings, t.concept_idf, t.concept_norms
        )
        grams, posterior = self._grams.score(analysed.features, analysed.grams, s.nb_temperature)
        if not concepts and not grams:
            return []
        ranked = sorted(posterior, key=posterior.__getitem__, reverse=True)[: s.rerank_top]
        coverage = self._coverage(analysed) ** s.coverage_power
        results = [
            Candidate(
                self._ids[index],
                coverage
                * (
                    s.nb_weight * posterior[index]
                    + (1.0 - s.nb_weight) * self._similarity(analysed, index, concepts, grams)
                ),
            )
            for index in ranked
        ]
        results.sort(key=lambda c: c.score, reverse=True)
        return results

    def match(self, question: str | Question, lang: Lang | None = None) -> MatchResult:
        """Decide between a confident answer, did-you-mean suggestions and no match. When unsure
        and the question has a kanji word the catalogue does not know, a second pass reads IME
        slips as the catalogue words they sound like (reading.py) or are one kanji away from
        (slips.py), and is kept only if it answers confidently with an intent the first pass already ranked. Failing that, intents
        too close to call are told apart by the concepts the question names (`_siblings`)."""
        asked = question if isinstance(question, Question) else self.question(question)
        answer_lang, s = lang or asked.lang, self.settings
        ranked = self.ranked(asked.analysed)
        first = self._decide(asked.analysed, ranked, answer_lang, asked.text)

        def allowed(top: int) -> set[str]:
            return {c.intent_id for c in ranked[:top]}

        if first.status == "answer":
            return first
        if not self._needs_reading(asked.analysed):
            return self._siblings(asked, first)
        text = asked.text[:MAX_QUESTION_CHARS]  # bounds the analyser's work, like normalize
        # A homophone may confirm any of the first pass's best; a one-kanji slip, a weaker
        # guess (該当 is a word, not a slip of 本当), only the first pass's own first choice.
        homophone = reading.repair(text, self.readings, self._has_unknown)
        for repaired, top in (
            (homophone, s.repair_top),
            (
                None
                if homophone
                else slips.repair(
                    text, self._shapes, self._has_unknown, reading.in_dictionary_word
                ),
                1,
            ),
        ):
            if repaired is None:
                continue
            analysed = self.question(repaired).analysed
            second = self._decide(analysed, self.ranked(analysed), answer_lang, asked.text)
            if second.status == "answer" and second.intent_id in allowed(top):
                return second
        return self._siblings(asked, first)

    @cached_property
    def _shapes(self) -> slips.Shapes:
        return slips.Shapes(self.readings.words.values())

    def _siblings(self, asked: Question, decided: MatchResult) -> MatchResult:
        """A "did you mean" between intents too close to call becomes an answer when the
        question names what tells one of them from the others (`_sibling`)."""
        s, top, analysed = self.settings, decided.candidates, asked.analysed
        if decided.status != "suggest" or not analysed.concepts:
            return decided
        foreign = partial(self._foreign, asked.text)
        if off_topic(analysed, self._coverage(analysed), foreign, self.catalogue.aliases.topical):
            return decided
        close = [c for c in top if top[0].score - c.score < s.margin]
        shares = [self._shares_by_id.get(c.intent_id, {}) for c in close]
        pick = telling_sibling(analysed.concepts, shares, s.sibling_central, s.sibling_ratio)
        winner = None if pick is None else close[pick]
        if winner is None or winner.score < s.answer_threshold:
            return decided
        # The winner leads with the best score of the close ones (candidates stay best first).
        rest = tuple(c for c in top if c != winner)
        return MatchResult(
            "answer", decided.lang, (Candidate(winner.intent_id, top[0].score), *rest)
        )

    def _needs_reading(self, analysed: Analysed) -> bool:
        """Homophone repair is on and the question has a kanji unit the catalogue lacks."""
        return bool(self.readings.words) and any(
            not self._is_known(unit) for unit in analysed.coverage_units if not unit.isascii()
        )

    def _has_unknown(self, norm: str) -> bool:
        units = coverage_units(norm, self.catalogue.stopwords)
        if not units:  # one kanji: unknown when no known unit has it
            return all(norm not in unit for unit in self.tables.known_units)
        return not all(map(self._is_known, units))

    def _decide(
        self, analysed: Analysed, ranked: list[Candidate], lang: Lang, typed: str = ""
    ) -> MatchResult:
        s = self.settings
        top = tuple(Candidate(c.intent_id, round(c.score, 4)) for c in ranked[:3])
        if not top or top[0].score < s.suggest_threshold:
            return MatchResult("none", lang, top)
        second = top[1].score if len(top) > 1 else 0.0
        # A question naming no concept of the article (only generic words such as "system" or
        # "answer") may get "did you mean", never a confident answer.
        confident = (
            bool(analysed.concepts)
            and top[0].score >= s.answer_threshold
            and (top[0].score - second >= s.margin or top[0].score >= s.sure_threshold)
        )
        foreign = cache(partial(self._foreign, typed))  # read at most once per decision
        if confident and self.catalogue.by_id[top[0].intent_id].category == SMALLTALK:
            # Small talk only when nothing else is asked ("thanks, write me a poem": none).
            if asks_more(analysed, self._coverage(analysed), foreign):
                return MatchResult("none", lang, top)
        elif confident and off_topic(
            analysed, self._coverage(analysed), foreign, self.catalogue.aliases.topical
        ):
            unknown = sum(not self._is_known(unit) for unit in analysed.coverage_units)
            unknown += foreign()
            confident = rescued(analysed.concepts, unknown, partial(self._naming, top[0].intent_id))
        if confident:
            return MatchResult("answer", lang, top)
        suggestions = tuple(c for c in top if c.score >= s.suggest_threshold * 0.75)
        return MatchResult("suggest", lang, suggestions)

    def _foreign(self, typed: str) -> int:
        concepts, text = self.analyser.concepts, self._paraphrase_text
        return foreign_katakana(typed, self.analyser.fillers, concepts, text)

    @cached_property
    def _paraphrase_text(self) -> str:
        return "\n".join(text for contents in self.tables.contents for text in contents)

    def _naming(self, intent_id: str, concept: str) -> int:
        """How many of an intent's paraphrases name a concept."""
        size = sum(map(len, self.catalogue.by_id[intent_id].paraphrases.values()))
        return round(self.concept_share(intent_id, concept) * size)

    def concept_share(self, intent_id: str, concept: str) -> float:
        """Share of an intent's paraphrases that mention a concept (0 when it never does)."""
        return self._shares_by_id.get(intent_id, {}).get(concept, 0.0)
