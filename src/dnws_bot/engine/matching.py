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

from dataclasses import dataclass
from typing import Literal

from rapidfuzz import fuzz, process

from . import reading, vectors
from .catalogue import Catalogue
from .features import Analysed, Analyser, Question, coverage_units
from .language import LANGS, Lang
from .normalize import normalize_content
from .reading import Readings
from .vectors import Postings
from .vocabulary import build_analyser, build_readings

Status = Literal["answer", "suggest", "none"]


@dataclass(frozen=True)
class MatchSettings:
    """Weights and thresholds; tuned on tests/data/tune.yaml, reported on eval.yaml."""

    nb_alpha: float = 0.1  # naive Bayes smoothing
    nb_gram_weight: float = 0.3  # an n-gram counts this much of a concept in naive Bayes
    nb_temperature: float = 2.0  # flattens naive Bayes' overconfident posteriors
    nb_weight: float = 0.3  # share of the score from the posterior; the rest is similarity
    concept_weight: float = 0.45
    question_word_scale: float = 0.6  # a question word counts this much of an equally rare concept
    gram_weight: float = 0.30
    fuzzy_weight: float = 0.25
    coverage_power: float = 1.0
    rerank_top: int = 6
    answer_threshold: float = 0.2
    suggest_threshold: float = 0.2
    margin: float = 0.14
    sure_threshold: float = 0.5
    reading_layer: bool = True  # readings of the catalogue's kanji, and IME slips repaired
    repair_top: int = 6  # a repaired question may only confirm one of the first pass's best


@dataclass(frozen=True)
class Candidate:
    intent_id: str
    score: float


@dataclass(frozen=True)
class MatchResult:
    """The matcher's verdict: answer, suggest (did you mean) or none, with the top candidates."""

    status: Status
    lang: Lang
    candidates: tuple[Candidate, ...]

    @property
    def intent_id(self) -> str | None:
        return self.candidates[0].intent_id if self.status == "answer" else None

    @property
    def score(self) -> float:
        return self.candidates[0].score if self.candidates else 0.0


@dataclass(frozen=True)
class Tables:
    """Everything the matcher learnt from a catalogue: plain data, cached as JSON (snapshot.py)."""

    contents: list[list[str]]  # each intent's paraphrases, analysed content, for rapidfuzz
    known_units: frozenset[str]  # coverage units the catalogue knows
    concept_shares: list[dict[str, float]]  # share of an intent's paraphrases with a feature
    concept_idf: dict[str, float]
    gram_idf: dict[str, float]
    concept_postings: Postings
    gram_postings: Postings
    concept_norms: list[float]
    gram_norms: list[float]
    nb_defaults: list[float]
    nb_deltas: Postings


def _nb_features(analysed: Analysed, gram_weight: float) -> list[tuple[str, float]]:
    return [(f"c:{f}", 1.0) for f in analysed.features] + [
        (f"g:{g}", gram_weight) for g in analysed.grams
    ]


def build_tables(catalogue: Catalogue, analyser: Analyser, settings: MatchSettings) -> Tables:
    """Per-intent concept and gram weights (share of paraphrases carrying each), and naive Bayes."""
    stop = catalogue.stopwords
    concept_share: list[dict[str, float]] = []
    gram_share: list[dict[str, float]] = []
    contents: list[list[str]] = []
    known_units: set[str] = set()
    examples: list[list[list[tuple[str, float]]]] = []
    for intent in catalogue.intents:
        analysed = [
            analyser.analyse_normalised(normalize_content(p))
            for lang in LANGS
            for p in intent.paraphrases[lang]
        ]
        examples.append([_nb_features(a, settings.nb_gram_weight) for a in analysed])
        n = len(analysed)
        concept_share.append(vectors.shares((a.features for a in analysed), n))
        for keyword in intent.keywords:
            for concept in analyser.analyse_normalised(normalize_content(keyword)).concepts:
                concept_share[-1][concept] = 1.0
        gram_share.append(vectors.shares((a.grams for a in analysed), n))
        contents.append([a.content for a in analysed if a.content])
        for text in (intent.answer.ja, intent.answer.en, intent.title.ja, intent.title.en):
            known_units.update(coverage_units(normalize_content(text), stop))
        for a in analysed:
            known_units.update(a.coverage_units)
    for forms in catalogue.aliases.concepts.values():
        for form in forms:
            known_units.update(coverage_units(normalize_content(form), stop))
    count = len(catalogue.intents)
    concept_idf = vectors.idf(concept_share, count)
    for feature in concept_idf:
        if feature.startswith("?"):
            concept_idf[feature] *= settings.question_word_scale
    gram_idf = vectors.idf(gram_share, count)
    nb_defaults, nb_deltas = vectors.train_naive_bayes(examples, settings.nb_alpha)
    return Tables(
        contents=contents,
        known_units=frozenset(known_units),
        concept_shares=concept_share,
        concept_idf=concept_idf,
        gram_idf=gram_idf,
        concept_postings=vectors.postings(concept_share, concept_idf),
        gram_postings=vectors.postings(gram_share, gram_idf),
        concept_norms=vectors.norms(concept_share, concept_idf),
        gram_norms=vectors.norms(gram_share, gram_idf),
        nb_defaults=nb_defaults,
        nb_deltas=nb_deltas,
    )


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
        self.tables = tables or build_tables(catalogue, self.analyser, s)
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
        return unit.isascii() and bool(concepts.find(unit))  # a typo of an alias word

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
        grams = vectors.cosine(analysed.grams, t.gram_postings, t.gram_idf, t.gram_norms)
        if not concepts and not grams:
            return []
        features = _nb_features(analysed, s.nb_gram_weight)
        posterior = vectors.naive_bayes_posterior(
            features, t.nb_defaults, t.nb_deltas, s.nb_temperature
        )
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
        slips as the catalogue words they sound like (reading.py), and is kept only if it
        answers confidently with an intent the first pass already ranked."""
        asked = question if isinstance(question, Question) else self.question(question)
        answer_lang = lang or asked.lang
        ranked = self.ranked(asked.analysed)
        first = self._decide(asked.analysed, ranked, answer_lang)
        if first.status == "answer" or not self._needs_reading(asked.analysed):
            return first
        repaired = reading.repair(asked.text, self.readings, self._has_unknown)
        if repaired is None:
            return first
        analysed = self.question(repaired).analysed
        second = self._decide(analysed, self.ranked(analysed), answer_lang)
        allowed = {c.intent_id for c in ranked[: self.settings.repair_top]}
        if second.status == "answer" and second.candidates[0].intent_id in allowed:
            return second
        return first

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

    def _decide(self, analysed: Analysed, ranked: list[Candidate], lang: Lang) -> MatchResult:
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
        if confident:
            return MatchResult("answer", lang, top)
        suggestions = tuple(c for c in top if c.score >= s.suggest_threshold * 0.75)
        return MatchResult("suggest", lang, suggestions)

    def concept_share(self, intent_id: str, concept: str) -> float:
        """Share of an intent's paraphrases that mention a concept (0 when it never does)."""
        return self._shares_by_id.get(intent_id, {}).get(concept, 0.0)
