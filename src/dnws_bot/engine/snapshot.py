"""A built engine as plain JSON data and back: the catalogue model and the matcher's tables.

Only dicts, lists, strings and numbers go in, so reading a snapshot can never run code; a
snapshot that does not have the expected shape raises `SnapshotError` (the cache then rebuilds
from YAML). Floats survive JSON exactly, so a restored matcher scores exactly like a built one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar, cast

from .catalogue import (
    Aliases,
    Article,
    Catalogue,
    Category,
    Intent,
    MapEntry,
    QuizQuestion,
    StudyContent,
    Term,
    Text,
    Topic,
)
from .concepts import ConceptIndex
from .features import Analyser
from .language import Lang
from .matching import Matcher, MatchSettings, Tables
from .reading import Readings
from .vectors import Postings

FORMAT = 3  # 2: not_covered topics and follow-ups; 3: readings of the catalogue's kanji
T = TypeVar("T")


class SnapshotError(ValueError):
    """The data is not a snapshot this code wrote."""


def _text(t: Text) -> list[str]:
    return [t.ja, t.en]


def catalogue_to_data(c: Catalogue) -> dict[str, Any]:
    a, s = c.aliases, c.study
    return {
        "intents": [
            [
                i.id,
                i.category,
                i.section,
                _text(i.title),
                _text(i.answer),
                i.paraphrases["ja"],
                i.paraphrases["en"],
                i.related,
                i.keywords,
                i.file,
                i.line,
                i.followups,
            ]
            for i in c.intents
        ],
        "categories": [[g.id, _text(g.title), g.intent_ids, g.order] for g in c.categories],
        "sections": {key: _text(t) for key, t in c.sections.items()},
        "article": [c.article.publisher, c.article.date, c.article.url, _text(c.article.title)],
        "aliases": [a.concepts, a.question_words, a.fillers, a.followups, sorted(a.topical)],
        "quiz": [
            [
                q.id,
                q.intent,
                _text(q.question),
                q.options["ja"],
                q.options["en"],
                q.correct,
                _text(q.explanation),
            ]
            for q in s.quiz
        ],
        "terms": [[t.id, _text(t.term), t.forms, _text(t.definition), t.intent] for t in s.terms],
        "map": [[m.intent, m.parts, m.items] for m in s.article_map],
        "texts": {key: _text(t) for key, t in c.texts.items()},
        "stopwords": sorted(c.stopwords),
        "not_covered": [
            [t.id, _text(t.name), t.forms, t.combos, t.nearest, t.line] for t in c.not_covered
        ],
        "version": c.version,
        "directory": str(c.directory),
    }


def _check(value: Any, kind: type[T]) -> T:
    if type(value) is not kind:  # exact: bool is not an int, a dict subclass is not data
        raise SnapshotError(f"expected {kind.__name__}, got {type(value).__name__}")
    return value


def _str(value: Any) -> str:
    return _check(value, str)


def _strs(value: Any) -> tuple[str, ...]:
    return tuple(_str(item) for item in _check(value, list))


def _t(value: Any) -> Text:
    ja, en = _check(value, list)
    return Text(_str(ja), _str(en))


def _table(value: Any, read: Callable[[Any], T]) -> dict[str, T]:
    return {_str(key): read(item) for key, item in _check(value, dict).items()}


def catalogue_from_data(d: Mapping[str, Any]) -> Catalogue:
    intents = tuple(
        Intent(
            _str(i),
            _str(cat),
            _str(sec),
            _t(title),
            _t(answer),
            {"ja": _strs(ja), "en": _strs(en)},
            _strs(rel),
            _strs(kw),
            _str(f),
            _check(ln, int),
            _table(fu, _str),
        )
        for i, cat, sec, title, answer, ja, en, rel, kw, f, ln, fu in _check(d["intents"], list)
    )
    not_covered = tuple(
        Topic(
            _str(i),
            _t(name),
            _strs(forms),
            tuple(tuple(_strs(g) for g in _check(combo, list)) for combo in _check(combos, list)),
            _strs(nearest),
            _check(line, int),
        )
        for i, name, forms, combos, nearest, line in _check(d["not_covered"], list)
    )
    categories = tuple(
        Category(_str(i), _t(title), _strs(ids), _check(order, int))
        for i, title, ids, order in _check(d["categories"], list)
    )
    publisher, date, url, title = _check(d["article"], list)
    concepts, question_words, fillers, followups, topical = _check(d["aliases"], list)
    langs: dict[Lang, tuple[str, ...]] = {}
    for lang, forms in _table(fillers, _strs).items():
        if lang not in ("ja", "en"):
            raise SnapshotError(f"unknown language {lang!r}")
        langs[cast(Lang, lang)] = forms
    quiz = tuple(
        QuizQuestion(
            _str(i),
            _str(intent),
            _t(q),
            {"ja": _strs(ja), "en": _strs(en)},
            _check(correct, int),
            _t(explanation),
        )
        for i, intent, q, ja, en, correct, explanation in _check(d["quiz"], list)
    )
    terms = tuple(
        Term(
            _str(i),
            _t(term),
            _strs(forms),
            _t(definition),
            None if intent is None else _str(intent),
        )
        for i, term, forms, definition, intent in _check(d["terms"], list)
    )
    article_map = tuple(
        MapEntry(_str(i), _strs(parts), _strs(items)) for i, parts, items in _check(d["map"], list)
    )
    return Catalogue(
        intents=intents,
        categories=categories,
        sections=_table(d["sections"], _t),
        article=Article(_str(publisher), _str(date), _str(url), _t(title)),
        aliases=Aliases(
            _table(concepts, _strs),
            _table(question_words, _strs),
            langs,
            _table(followups, _strs),
            frozenset(_strs(topical)),
        ),
        study=StudyContent(quiz, terms, article_map),
        version=_str(d["version"]),
        directory=Path(_str(d["directory"])),
        texts=_table(d["texts"], _t),
        stopwords=frozenset(_strs(d["stopwords"])),
        not_covered=not_covered,
    )


def matcher_to_data(m: Matcher) -> dict[str, Any]:
    t = m.tables
    return {
        "concepts": m.analyser.concepts.to_data(),
        "fillers": m.analyser.fillers,
        "contents": t.contents,
        "known_units": sorted(t.known_units),
        "concept_shares": t.concept_shares,
        "concept_idf": t.concept_idf,
        "gram_idf": t.gram_idf,
        "concept_postings": t.concept_postings.packed,
        "gram_postings": t.gram_postings.packed,
        "concept_norms": t.concept_norms,
        "gram_norms": t.gram_norms,
        "nb_defaults": t.nb_defaults,
        "nb_deltas": t.nb_deltas.packed,
        "readings": m.readings.to_data(),
    }


def matcher_from_data(catalogue: Catalogue, d: Mapping[str, Any]) -> Matcher:
    """A matcher over `catalogue` from its tables. The large tables are only shape-checked at
    the top (their content is covered by the cache entry's authentication tag)."""
    count = len(catalogue.intents)
    lists = [_check(d[name], list) for name in ("contents", "concept_shares")]
    vectors = [_check(d[name], list) for name in ("concept_norms", "gram_norms", "nb_defaults")]
    if any(len(v) != count for v in (*lists, *vectors)):
        raise SnapshotError("tables do not match the catalogue's intents")
    tables = Tables(
        contents=d["contents"],
        known_units=frozenset(_strs(d["known_units"])),
        concept_shares=d["concept_shares"],
        concept_idf=_check(d["concept_idf"], dict),
        gram_idf=_check(d["gram_idf"], dict),
        concept_postings=Postings(_check(d["concept_postings"], dict)),
        gram_postings=Postings(_check(d["gram_postings"], dict)),
        concept_norms=d["concept_norms"],
        gram_norms=d["gram_norms"],
        nb_defaults=d["nb_defaults"],
        nb_deltas=Postings(_check(d["nb_deltas"], dict)),
    )
    analyser = Analyser(
        ConceptIndex.from_data(_check(d["concepts"], dict)),
        list(_strs(d["fillers"])),
        catalogue.stopwords,
    )
    return Matcher(catalogue, MatchSettings(), analyser, tables, Readings.from_data(d["readings"]))


def engine_to_data(catalogue: Catalogue, matcher: Matcher) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "catalogue": catalogue_to_data(catalogue),
        "matcher": matcher_to_data(matcher),
    }


def engine_from_data(data: Any) -> tuple[Catalogue, Matcher]:
    """The catalogue and matcher in a snapshot; SnapshotError when it is not one."""
    try:
        if _check(data, dict).get("format") != FORMAT:
            raise SnapshotError("unknown snapshot format")
        catalogue = catalogue_from_data(_check(data["catalogue"], dict))
        return catalogue, matcher_from_data(catalogue, _check(data["matcher"], dict))
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise SnapshotError(f"not an engine snapshot: {exc}") from exc
