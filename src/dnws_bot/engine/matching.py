"""Rank intents for a question (naive Bayes), then decide how sure we are (similarity, coverage).

Why this shape (measured in bench/ and bench/tune.py, numbers in the README):
- Ranking is multinomial naive Bayes over concepts, question words and character n-grams,
  trained in closed form from the paraphrases at load time: on the tuning set it ranked the right
  intent first for 97% of questions, against 92% for centroid cosine or nearest paraphrase.
- Concepts (aliases.yaml) put 制裁, せいさい and "sanctions" on one id, so a question meets the
  intent whatever script or language it uses, and a Japanese question can match via English
  paraphrases. Rare concepts weigh more (idf over intents).
- Character n-grams need no tokenizer for Japanese and forgive small wording changes; they are
  aggregated per intent so scoring touches at most one posting per intent per gram.
- Naive Bayes posteriors are overconfident and blind to "none of these", so confidence blends the
  posterior with similarity: concept and n-gram cosine, and rapidfuzz against the paraphrases of
  the few best intents only (a near-verbatim match, without scanning every paraphrase).
- Coverage: the share of the question's content words the catalogue knows at all. A question
  about missile ranges shares "北朝鮮" and "ICBM" with the article, but "射程" is unknown, which
  is what tells a near-domain question from an in-scope one.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from rapidfuzz import fuzz, process

from .catalogue import Catalogue
from .concepts import ConceptIndex, latin_words
from .language import LANGS, Lang, detect_language
from .normalize import normalize

Status = Literal["answer", "suggest", "none"]

# English words that say nothing about the topic; they neither help nor count as unknown.
_EN_STOPWORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "being",
        "am",
        "do",
        "does",
        "did",
        "doing",
        "have",
        "has",
        "had",
        "of",
        "to",
        "in",
        "on",
        "at",
        "for",
        "from",
        "by",
        "with",
        "about",
        "as",
        "into",
        "than",
        "then",
        "so",
        "and",
        "or",
        "but",
        "if",
        "it",
        "its",
        "it's",
        "this",
        "that",
        "these",
        "those",
        "there",
        "their",
        "they",
        "them",
        "he",
        "she",
        "his",
        "her",
        "we",
        "our",
        "you",
        "your",
        "i",
        "me",
        "my",
        "what",
        "whats",
        "which",
        "who",
        "whom",
        "whose",
        "why",
        "how",
        "when",
        "where",
        "can",
        "could",
        "would",
        "should",
        "will",
        "shall",
        "may",
        "might",
        "must",
        "not",
        "no",
        "yes",
        "just",
        "like",
        "really",
        "very",
        "much",
        "many",
        "any",
        "some",
        "all",
        "also",
        "too",
        "more",
        "most",
        "such",
        "only",
        "own",
        "same",
        "other",
        "else",
        "tell",
        "know",
        "want",
        "wanna",
        "gonna",
        "get",
        "got",
        "give",
        "explain",
        "mean",
        "means",
        "meaning",
        "say",
        "says",
        "said",
        "think",
        "thing",
        "things",
        "stuff",
        "one",
        "ones",
        "way",
        "ok",
        "okay",
        "pls",
        "please",
        "plz",
        "thanks",
        "hey",
        "hi",
        "lol",
        "u",
        "ur",
        "r",
        "im",
        "dont",
        "doesnt",
        "cant",
        "isnt",
        "arent",
        "wont",
        "didnt",
        "let",
        "lets",
        "us",
    ]
)


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
class _Analysed:
    """A normalised text split into what the scorers need."""

    content: str  # normalised, fillers and question words removed
    concepts: frozenset[str]
    question_words: frozenset[str]
    grams: frozenset[str]
    coverage_units: tuple[str, ...]

    @property
    def features(self) -> frozenset[str]:
        """Concepts plus question words ("?why"), the language-free view of the text."""
        return self.concepts | {f"?{q}" for q in self.question_words}


_JAPANESE_RUN = re.compile("[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3005]+")
_KANJI_FLOOR = "\u3400"  # CJK ideographs sort above every kana


def _grams(text: str) -> set[str]:
    """Character bigrams within Japanese runs, plus Latin words and their trigrams."""
    grams: set[str] = set()
    for start, end in latin_words(text):
        word = text[start:end]
        if word in _EN_STOPWORDS:
            continue
        grams.add(word)
        padded = f"<{word}>"
        grams.update(padded[i : i + 3] for i in range(len(padded) - 2))
    for run in _JAPANESE_RUN.findall(text):
        grams.update(run[i : i + 2] for i in range(len(run) - 1))
        grams.update(ch for ch in run if ch >= _KANJI_FLOOR)  # kanji carry meaning alone
    return grams


def _coverage_units(text: str) -> list[str]:
    """Content units for the coverage check: Latin content words and kanji-bearing bigrams."""
    units = [
        word
        for word in (text[s:e] for s, e in latin_words(text))
        if word not in _EN_STOPWORDS and (len(word) > 1 or word.isdigit())
    ]
    for run in _JAPANESE_RUN.findall(text):
        units.extend(
            run[i : i + 2]
            for i in range(len(run) - 1)
            if run[i] >= _KANJI_FLOOR or run[i + 1] >= _KANJI_FLOOR
        )
    return units


class Matcher:
    """Built once per catalogue; `match` is pure and does no I/O."""

    def __init__(self, catalogue: Catalogue, settings: MatchSettings | None = None) -> None:
        self.catalogue = catalogue
        self.settings = settings or MatchSettings()
        aliases = catalogue.aliases
        vocabulary = self._vocabulary(catalogue)
        # One index for concepts and question words ("?why"): each text is scanned once.
        groups = dict(aliases.concepts)
        groups.update({f"?{name}": forms for name, forms in aliases.question_words.items()})
        self._concepts = ConceptIndex(groups, vocabulary)
        self._fillers = sorted(
            {normalize(f) for lang in LANGS for f in aliases.fillers[lang] if normalize(f)},
            key=len,
            reverse=True,
        )
        self._intents = catalogue.intents
        self._build_profiles()

    @staticmethod
    def _vocabulary(catalogue: Catalogue) -> set[str]:
        words: set[str] = set()
        for intent in catalogue.intents:
            texts = [
                *intent.paraphrases["en"],
                *intent.paraphrases["ja"],
                intent.answer.en,
                intent.title.en,
            ]
            for text in texts:
                norm = normalize(text)
                words.update(norm[s:e] for s, e in latin_words(norm))
        return words

    def _strip_fillers(self, text: str) -> str:
        for filler in self._fillers:
            if filler in text:
                if all(c.isascii() for c in filler):
                    text = f" {text} ".replace(f" {filler} ", " ").strip()
                else:
                    text = text.replace(filler, " ")
        return " ".join(text.split())

    def analyse(self, question: str) -> _Analysed:
        """Normalise a text and extract concepts, question words, grams and coverage units."""
        content = self._strip_fillers(normalize(question))
        found = self._concepts.find(content)
        concepts = frozenset(f.concept for f in found if f.concept[0] != "?")
        question_words = frozenset(f.concept[1:] for f in found if f.concept[0] == "?")
        # Question words leave the text used for n-grams (they are features of their own).
        for hit in reversed(found):
            if hit.concept[0] == "?":
                content = content[: hit.start] + " " + content[hit.end :]
        content = " ".join(content.split())
        return _Analysed(
            content=content,
            concepts=concepts,
            question_words=question_words,
            grams=frozenset(_grams(content)),
            coverage_units=tuple(_coverage_units(content)),
        )

    def _build_profiles(self) -> None:
        """Per-intent concept and gram weights (share of paraphrases carrying each)."""
        count = len(self._intents)
        concept_share: list[dict[str, float]] = []
        gram_share: list[dict[str, float]] = []
        self._contents: list[list[str]] = []
        known_units: set[str] = set()
        examples: list[list[_Analysed]] = []
        for intent in self._intents:
            analysed = [self.analyse(p) for lang in LANGS for p in intent.paraphrases[lang]]
            examples.append(analysed)
            n = len(analysed)
            concept_share.append(_shares((a.features for a in analysed), n))
            for keyword in intent.keywords:
                for concept in self.analyse(keyword).concepts:
                    concept_share[-1][concept] = 1.0
            gram_share.append(_shares((a.grams for a in analysed), n))
            self._contents.append([a.content for a in analysed if a.content])
            for text in (intent.answer.ja, intent.answer.en, intent.title.ja, intent.title.en):
                known_units.update(_coverage_units(normalize(text)))
            for a in analysed:
                known_units.update(a.coverage_units)
        for forms in self.catalogue.aliases.concepts.values():
            for form in forms:
                known_units.update(_coverage_units(normalize(form)))
        self._known_units = frozenset(known_units)
        self._shares_by_id = {
            intent.id: table for intent, table in zip(self._intents, concept_share, strict=True)
        }
        self._concept_idf = _idf(concept_share, count)
        for feature in self._concept_idf:
            if feature.startswith("?"):
                self._concept_idf[feature] *= self.settings.question_word_scale
        self._gram_idf = _idf(gram_share, count)
        self._concept_postings = _postings(concept_share, self._concept_idf)
        self._gram_postings = _postings(gram_share, self._gram_idf)
        self._concept_norms = _norms(concept_share, self._concept_idf)
        self._gram_norms = _norms(gram_share, self._gram_idf)
        self._train_naive_bayes(examples)

    def _train_naive_bayes(self, examples: list[list[_Analysed]]) -> None:
        """Closed-form multinomial naive Bayes: per-intent feature log-probabilities."""
        s = self.settings
        counts: list[dict[str, float]] = []
        vocabulary: set[str] = set()
        for analysed_list in examples:
            table: dict[str, float] = defaultdict(float)
            for analysed in analysed_list:
                for feature, weight in _nb_features(analysed, s.nb_gram_weight):
                    table[feature] += weight
            counts.append(table)
            vocabulary.update(table)
        size = len(vocabulary)
        self._nb_default: list[float] = []
        postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
        for index, table in enumerate(counts):
            denominator = sum(table.values()) + s.nb_alpha * size
            default = math.log(s.nb_alpha / denominator)
            self._nb_default.append(default)
            for feature, count in table.items():
                postings[feature].append(
                    (index, math.log((count + s.nb_alpha) / denominator) - default)
                )
        self._nb_postings = dict(postings)

    def _is_known(self, unit: str) -> bool:
        if unit in self._known_units or unit in self._concepts.latin_vocabulary:
            return True
        return unit.isascii() and bool(self._concepts.find(unit))  # a typo of an alias word

    def _coverage(self, analysed: _Analysed) -> float:
        """Share of the question's content units that the catalogue knows at all."""
        units = analysed.coverage_units
        if not units:
            return 1.0
        return sum(1 for unit in units if self._is_known(unit)) / len(units)

    def _naive_bayes(self, analysed: _Analysed) -> dict[int, float]:
        """Posterior over intents from multinomial naive Bayes on concepts and n-grams."""
        s = self.settings
        loglik = [0.0] * len(self._nb_default)  # uniform prior: every intent equally likely
        seen_weight = 0.0
        for feature, weight in _nb_features(analysed, s.nb_gram_weight):
            deltas = self._nb_postings.get(feature)
            if deltas is None:
                continue  # unseen features carry no evidence for any intent
            seen_weight += weight
            for index, delta in deltas:
                loglik[index] += weight * delta
        for index, default in enumerate(self._nb_default):
            loglik[index] += seen_weight * default
        top = max(loglik)
        exps = [math.exp((value - top) / s.nb_temperature) for value in loglik]
        total = sum(exps)
        return {index: value / total for index, value in enumerate(exps)}

    def _similarity(
        self, analysed: _Analysed, index: int, concepts: dict[int, float], grams: dict[int, float]
    ) -> float:
        """How close the question is to one intent's wording, 0..1."""
        s = self.settings
        concept = concepts.get(index, 0.0)
        gram = grams.get(index, 0.0)
        fuzzy = 0.0
        if analysed.content and self._contents[index]:
            best = process.extractOne(analysed.content, self._contents[index], scorer=fuzz.ratio)
            fuzzy = best[1] / 100.0 if best else 0.0
        total = s.concept_weight + s.gram_weight + s.fuzzy_weight
        return (s.concept_weight * concept + s.gram_weight * gram + s.fuzzy_weight * fuzzy) / total

    def scores(self, question: str) -> list[Candidate]:
        """The best intents for a question, best first (empty when nothing is shared)."""
        return self._scores(self.analyse(question))

    def _scores(self, analysed: _Analysed) -> list[Candidate]:
        s = self.settings
        if not analysed.features and not analysed.grams:
            return []
        concepts = _cosine(
            analysed.features, self._concept_postings, self._concept_idf, self._concept_norms
        )
        grams = _cosine(analysed.grams, self._gram_postings, self._gram_idf, self._gram_norms)
        if not concepts and not grams:
            return []
        posterior = self._naive_bayes(analysed)
        ranked = sorted(posterior, key=posterior.__getitem__, reverse=True)[: s.rerank_top]
        coverage = self._coverage(analysed) ** s.coverage_power
        results = [
            Candidate(
                self._intents[index].id,
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

    def match(self, question: str, lang: Lang | None = None) -> MatchResult:
        """Decide between a confident answer, did-you-mean suggestions and no match."""
        s = self.settings
        answer_lang = lang or detect_language(question)
        analysed = self.analyse(question)
        ranked = self._scores(analysed)
        top = tuple(Candidate(c.intent_id, round(c.score, 4)) for c in ranked[:3])
        if not top or top[0].score < s.suggest_threshold:
            return MatchResult("none", answer_lang, top)
        second = top[1].score if len(top) > 1 else 0.0
        # A question naming no concept of the article (only generic words such as "system" or
        # "answer") may get "did you mean", never a confident answer.
        confident = (
            bool(analysed.concepts)
            and top[0].score >= s.answer_threshold
            and (top[0].score - second >= s.margin or top[0].score >= s.sure_threshold)
        )
        if confident:
            return MatchResult("answer", answer_lang, top)
        suggestions = tuple(c for c in top if c.score >= s.suggest_threshold * 0.75)
        return MatchResult("suggest", answer_lang, suggestions)

    def concept_share(self, intent_id: str, concept: str) -> float:
        """Share of an intent's paraphrases that mention a concept (0 when it never does)."""
        return self._shares_by_id.get(intent_id, {}).get(concept, 0.0)


def _nb_features(analysed: _Analysed, gram_weight: float) -> list[tuple[str, float]]:
    return [(f"c:{f}", 1.0) for f in analysed.features] + [
        (f"g:{g}", gram_weight) for g in analysed.grams
    ]


def _shares(sets: Iterable[frozenset[str]], n: int) -> dict[str, float]:
    counts: dict[str, float] = defaultdict(float)
    for items in sets:
        for item in items:
            counts[item] += 1.0
    return {item: value / n for item, value in counts.items()}


def _idf(shares: list[dict[str, float]], count: int) -> dict[str, float]:
    soft_df: dict[str, float] = defaultdict(float)
    for table in shares:
        for item, share in table.items():
            soft_df[item] += min(1.0, share * 2.0)
    return {item: math.log(1.0 + count / df) for item, df in soft_df.items()}


def _postings(
    shares: list[dict[str, float]], idf: dict[str, float]
) -> dict[str, list[tuple[int, float]]]:
    postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
    for index, table in enumerate(shares):
        for item, share in table.items():
            postings[item].append((index, share * idf[item]))
    return dict(postings)


def _norms(shares: list[dict[str, float]], idf: dict[str, float]) -> list[float]:
    return [
        math.sqrt(sum((share * idf[item]) ** 2 for item, share in table.items())) or 1.0
        for table in shares
    ]


def _cosine(
    items: frozenset[str],
    postings: dict[str, list[tuple[int, float]]],
    idf: dict[str, float],
    norms: list[float],
) -> dict[int, float]:
    """Cosine between the question's idf-weighted items and each intent's weighted profile."""
    dot: dict[int, float] = defaultdict(float)
    query_norm = 0.0
    for item in items:
        weight = idf.get(item)
        if weight is None:
            query_norm += 9.0  # an unknown item dilutes the question like a rare known one
            continue
        query_norm += weight * weight
        for index, value in postings[item]:
            dot[index] += weight * value
    if not dot:
        return {}
    query_norm = math.sqrt(query_norm)
    return {index: value / (query_norm * norms[index]) for index, value in dot.items()}
