"""The matcher's arithmetic: per-intent feature shares, idf weights, postings, cosine similarity
and a closed-form multinomial naive Bayes, all over plain dicts and lists (so they cache as data).

Features are aggregated per intent, so scoring touches at most one posting per intent per feature.
"""

from __future__ import annotations

import base64
import math
from array import array
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import TypeAlias

Row: TypeAlias = "tuple[array[int], array[float]]"  # a feature's intent indices and weights


class Postings:
    """For each feature, the (intent index, weight) pairs that carry it.

    Kept packed (base64 of the int32 indices then the float64 weights, one string per feature,
    in this machine's byte order) and unpacked only for the features a question has: a restored
    cache parses a few thousand strings instead of tens of thousands of tiny lists. Unpacked,
    a feature stays two flat arrays (indices, weights): scoring a long question walks a few
    hundred postings, and flat rows keep them in a few cache lines instead of scattered tuples.
    Postings built in this process stay unpacked until a cache entry is written (a cold `ask`
    never packs).
    """

    def __init__(self, packed: Mapping[str, str]) -> None:
        self._packed: Mapping[str, str] | None = packed
        self._unpacked: dict[str, Row] = {}  # at most one each

    @classmethod
    def of(cls, pairs: Mapping[str, list[tuple[int, float]]]) -> Postings:
        """Postings built in this process: kept as rows, packed only for a cache entry."""
        built = cls({})
        built._packed = None
        built._unpacked = {
            key: (array("i", [i for i, _ in items]), array("d", [w for _, w in items]))
            for key, items in pairs.items()
        }
        return built

    @property
    def packed(self) -> Mapping[str, str]:
        if self._packed is None:
            self._packed = {
                key: base64.b64encode(indices.tobytes() + weights.tobytes()).decode()
                for key, (indices, weights) in self._unpacked.items()
            }
            self._unpacked = {}  # from now on unpacked per feature, as in a restored engine
        return self._packed

    def row(self, feature: str) -> Row | None:
        """A feature's intent indices and weights, in step (None for an unknown feature)."""
        found = self._unpacked.get(feature)
        if found is not None or self._packed is None:  # built here: every feature is unpacked
            return found
        packed = self._packed.get(feature)
        if packed is None:
            return None
        raw = base64.b64decode(packed)
        split = len(raw) // 12 * 4
        indices, weights = array("i"), array("d")
        indices.frombytes(raw[:split])
        weights.frombytes(raw[split:])
        found = self._unpacked[feature] = (indices, weights)
        return found

    def get(self, feature: str) -> list[tuple[int, float]] | None:
        found = self.row(feature)
        return None if found is None else list(zip(*found, strict=True))

    def __getitem__(self, feature: str) -> list[tuple[int, float]]:
        found = self.get(feature)
        if found is None:
            raise KeyError(feature)
        return found


class GramScorer:
    """Gram cosine and naive Bayes posterior in one pass: each of a question's grams has its idf
    weight, postings and naive Bayes deltas looked up once (memoised for the grams the tables
    know). The same sums in the same order as `cosine(grams, …)` and
    `naive_bayes_posterior(tables.nb_features(…), …)`, so the same floats; a test checks."""

    def __init__(
        self,
        idf: dict[str, float],
        postings: Postings,
        norms: Sequence[float],
        deltas: Postings,
        defaults: Sequence[float],
        gram_weight: float,
    ) -> None:
        self.idf, self.postings, self.norms = idf, postings, norms
        self.deltas, self.defaults, self.gram_weight = deltas, defaults, gram_weight
        self._grams: dict[str, tuple[float | None, Row | None, Row | None]] = {}

    def _lookup(self, gram: str) -> tuple[float | None, Row | None, Row | None]:
        found = self._grams.get(gram)
        if found is None:
            found = (self.idf.get(gram), self.postings.row(gram), self.deltas.row(f"g:{gram}"))
            if found != (None, None, None):  # user input never fills the memo
                self._grams[gram] = found
        return found

    def score(
        self, features: frozenset[str], grams: frozenset[str], temperature: float
    ) -> tuple[dict[int, float], dict[int, float]]:
        """(gram cosine per intent touched, posterior per intent) for a question's concept
        features ("c:" in naive Bayes, weight 1) and grams ("g:", weight `gram_weight`)."""
        loglik = [0.0] * len(self.defaults)
        seen_weight = 0.0
        for feature in features:
            found = self.deltas.row(f"c:{feature}")
            if found is None:
                continue  # unseen features carry no evidence for any intent
            seen_weight += 1.0
            for index, delta in zip(*found, strict=True):
                loglik[index] += 1.0 * delta
        dot: dict[int, float] = defaultdict(float)
        query_norm, gram_weight = 0.0, self.gram_weight
        for gram in grams:
            weight, row, deltas = self._lookup(gram)
            if weight is None:
                query_norm += 9.0  # as in cosine
            else:
                query_norm += weight * weight
                for intent, value in zip(*(row or _missing(gram)), strict=True):
                    dot[intent] += weight * value
            if deltas is not None:
                seen_weight += gram_weight
                for index, delta in zip(*deltas, strict=True):
                    loglik[index] += gram_weight * delta
        cosines: dict[int, float] = {}
        if dot:
            query_norm = math.sqrt(query_norm)
            cosines = {i: value / (query_norm * self.norms[i]) for i, value in dot.items()}
        return cosines, _posterior(loglik, seen_weight, self.defaults, temperature)


def _missing(feature: str) -> Row:
    raise KeyError(feature)  # a weighted item always has postings: the tables are corrupt


def shares(sets: Iterable[frozenset[str]], n: int) -> dict[str, float]:
    """Share of `n` examples that carry each item."""
    counts: dict[str, float] = defaultdict(float)
    for items in sets:
        for item in items:
            counts[item] += 1.0
    return {item: value / n for item, value in counts.items()}


def idf(tables: list[dict[str, float]], count: int) -> dict[str, float]:
    """Inverse document frequency over intents, with a soft document count from the shares."""
    soft_df: dict[str, float] = defaultdict(float)
    for table in tables:
        for item, share in table.items():
            soft_df[item] += min(1.0, share * 2.0)
    return {item: math.log(1.0 + count / df) for item, df in soft_df.items()}


def postings(tables: list[dict[str, float]], weights: dict[str, float]) -> Postings:
    """Each item's idf-weighted share in every intent that has it."""
    found: dict[str, list[tuple[int, float]]] = defaultdict(list)
    for index, table in enumerate(tables):
        for item, share in table.items():
            found[item].append((index, share * weights[item]))
    return Postings.of(found)


def norms(tables: list[dict[str, float]], weights: dict[str, float]) -> list[float]:
    """Euclidean length of each intent's idf-weighted profile (1.0 for an empty one)."""
    return [
        math.sqrt(sum((share * weights[item]) ** 2 for item, share in table.items())) or 1.0
        for table in tables
    ]


def cosine(
    items: frozenset[str], index: Postings, weights: dict[str, float], lengths: Sequence[float]
) -> dict[int, float]:
    """Cosine between the question's idf-weighted items and each intent's weighted profile."""
    dot: dict[int, float] = defaultdict(float)
    query_norm = 0.0
    rows, unpack = index._unpacked, index.row  # the hot path: one lookup per item
    for item in items:
        weight = weights.get(item)
        if weight is None:
            query_norm += 9.0  # an unknown item dilutes the question like a rare known one
            continue
        query_norm += weight * weight
        indices, values = rows.get(item) or unpack(item) or _missing(item)
        for intent, value in zip(indices, values, strict=True):
            dot[intent] += weight * value
    if not dot:
        return {}
    query_norm = math.sqrt(query_norm)
    return {intent: value / (query_norm * lengths[intent]) for intent, value in dot.items()}


def train_naive_bayes(
    examples: list[list[list[tuple[str, float]]]], alpha: float
) -> tuple[list[float], Postings]:
    """Closed-form multinomial naive Bayes from each intent's weighted example features.

    Returns each intent's log-probability of an unseen feature, and for every seen feature the
    intents whose log-probability differs from that default, with the difference.
    """
    counts: list[dict[str, float]] = []
    vocabulary: set[str] = set()
    for intent_examples in examples:
        table: dict[str, float] = defaultdict(float)
        for features in intent_examples:
            for feature, weight in features:
                table[feature] += weight
        counts.append(table)
        vocabulary.update(table)
    size = len(vocabulary)
    defaults: list[float] = []
    deltas: dict[str, list[tuple[int, float]]] = defaultdict(list)
    for index, table in enumerate(counts):
        denominator = sum(table.values()) + alpha * size
        default = math.log(alpha / denominator)
        defaults.append(default)
        for feature, count in table.items():
            deltas[feature].append((index, math.log((count + alpha) / denominator) - default))
    return defaults, Postings.of(deltas)


def naive_bayes_posterior(
    features: list[tuple[str, float]],
    defaults: Sequence[float],
    deltas: Postings,
    temperature: float,
) -> dict[int, float]:
    """Posterior over intents (uniform prior) for weighted features, flattened by `temperature`."""
    loglik = [0.0] * len(defaults)
    seen_weight = 0.0
    rows, unpack = deltas._unpacked, deltas.row  # the hot path: one lookup per feature
    for feature, weight in features:
        found = rows.get(feature) or unpack(feature)
        if found is None:
            continue  # unseen features carry no evidence for any intent
        seen_weight += weight
        for index, delta in zip(*found, strict=True):
            loglik[index] += weight * delta
    return _posterior(loglik, seen_weight, defaults, temperature)


def _posterior(
    loglik: list[float], seen_weight: float, defaults: Sequence[float], temperature: float
) -> dict[int, float]:
    loglik = [
        value + seen_weight * default for value, default in zip(loglik, defaults, strict=True)
    ]
    top = max(loglik)
    exps = [math.exp((value - top) / temperature) for value in loglik]
    total = sum(exps)
    return dict(enumerate(value / total for value in exps))
