"""What the matcher learns from a catalogue (plain data, cached as JSON by snapshot.py), and the
settings it is learnt and scored with."""

from __future__ import annotations

from collections.abc import Mapping

from . import vectors
from .catalogue import Catalogue
from .features import Analysed, Analyser, coverage_units
from .language import LANGS
from .normalize import normalize_content
from .record import record
from .vectors import Postings


@record
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
    # Siblings too close to call (matching._sibling): a concept tells one intent from another
    # when at least this share of its paraphrases name it, and at most `ratio` times that share
    # of the other's (tuned on tests/data/tune.yaml: 0.3-0.6 alike, ratio 0.1 best).
    sibling_central: float = 0.5
    sibling_ratio: float = 0.1
    reading_layer: bool = True  # readings of the catalogue's kanji, and IME slips repaired
    repair_top: int = 6  # a repaired question may only confirm one of the first pass's best


@record
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


def nb_features(analysed: Analysed, gram_weight: float) -> list[tuple[str, float]]:
    return [(f"c:{f}", 1.0) for f in analysed.features] + [
        (f"g:{g}", gram_weight) for g in analysed.grams
    ]


def build_tables(
    catalogue: Catalogue,
    analyser: Analyser,
    settings: MatchSettings,
    spoken: Mapping[str, str] | None = None,
) -> Tables:
    """Per-intent concept and gram weights (share of paraphrases carrying each), and naive Bayes.
    `spoken`: readings of Japanese paraphrases, extra naive Bayes examples for kana questions."""
    spoken = spoken or {}
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
        # Read aloud, a paraphrase is what a kana question looks like (measured on the tuning
        # sets: as naive Bayes examples only; in the similarity shares they did not help).
        kana = [
            analyser.analyse_normalised(spoken[p]) for p in intent.paraphrases["ja"] if p in spoken
        ]
        examples.append([nb_features(a, settings.nb_gram_weight) for a in (*analysed, *kana)])
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
