"""Load `intents/*.yaml` into a `Catalogue`, collecting every problem before failing.

A curator fixing the catalogue wants the whole list of mistakes in one run, each with the file,
line and intent id, so loading never stops at the first error; it raises `CatalogueError` with all
of them at the end. This module reads the intent files and checks them against each other;
loader_support.py reads sections, aliases, texts and stopwords, loader_study.py the study files.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from .catalogue import Catalogue, CatalogueError, Category, Intent, Problem, Text, Topic
from .html_subset import html_problems, to_plain_text
from .language import LANGS, Lang
from .loader_study import load_study
from .loader_support import (
    NOT_COVERED_FILE,
    RESERVED_FILES,
    read_aliases,
    read_not_covered,
    read_sections,
    read_stopwords,
    read_texts,
)
from .normalize import normalize_content
from .source import catalogue_version, yaml_files
from .yamlfile import Checker, line_of, read_yaml

MAX_ANSWER_CHARS: dict[Lang, int] = {"ja": 300, "en": 450}
MIN_PARAPHRASES = 8
ID_PATTERN = re.compile(r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$")

_INTENT_FILE_KEYS = {"version", "order", "category", "intents"}
_INTENT_KEYS = {
    "id",
    "section",
    "title",
    "answer",
    "paraphrases",
    "related",
    "keywords",
    "followups",
}
_REQUIRED_INTENT_KEYS = _INTENT_KEYS - {"keywords", "followups"}
FOLLOWUP_CUES = ("why", "example")


def _check_answer(answer: Text, check: Checker, line: int, intent_id: str) -> None:
    for lang in LANGS:
        body = answer.get(lang)
        for problem in html_problems(body):
            check.add(line, intent_id, f"answer.{lang}: Telegram would reject it: {problem}")
        length = len(to_plain_text(body))
        if length > MAX_ANSWER_CHARS[lang]:
            check.add(
                line,
                intent_id,
                f"answer.{lang} is {length} characters (limit {MAX_ANSWER_CHARS[lang]})",
            )


def _read_paraphrases(
    raw: Any, check: Checker, line: int, intent_id: str
) -> dict[Lang, tuple[str, ...]]:
    paraphrases: dict[Lang, tuple[str, ...]] = {}
    if not isinstance(raw, dict):
        check.add(line, intent_id, "paraphrases must be a map with ja and en lists")
        return paraphrases
    p_line = line_of(raw, line)
    for key in raw:
        if key not in LANGS:
            check.add(p_line, intent_id, f"paraphrases: unknown language {key!r}")
    for lang in LANGS:
        items = check.string_list(raw.get(lang), p_line, intent_id, f"paraphrases.{lang}")
        if len(items) < MIN_PARAPHRASES:
            check.add(
                p_line,
                intent_id,
                f"paraphrases.{lang} has {len(items)} (at least {MIN_PARAPHRASES} needed)",
            )
        paraphrases[lang] = tuple(items)
    return paraphrases


def _read_followups(raw: Any, check: Checker, line: int, intent_id: str) -> dict[str, str]:
    """`followups: {why: id, example: id}`; the ids are checked once every intent is read."""
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        check.add(line, intent_id, "followups must be a map like {why: id, example: id}")
        return {}
    followups: dict[str, str] = {}
    for cue, target in raw.items():
        if cue not in FOLLOWUP_CUES:
            check.add(
                line, intent_id, f"followups: only {' and '.join(FOLLOWUP_CUES)} are understood"
            )
        elif not isinstance(target, str) or not target:
            check.add(line, intent_id, f"followups.{cue} must be an intent id")
        else:
            followups[cue] = target
    return followups


def _read_intent(raw: Any, category: str, check: Checker, file_line: int) -> Intent | None:
    if not isinstance(raw, dict):
        check.add(file_line, None, "each entry of intents must be a map")
        return None
    line = line_of(raw, file_line)
    intent_id = raw.get("id") if isinstance(raw.get("id"), str) else None
    check.unknown_keys(raw, _INTENT_KEYS, line, intent_id)
    for key in sorted(_REQUIRED_INTENT_KEYS - set(raw)):
        check.add(line, intent_id, f"missing key {key!r}")
    if intent_id is None:
        check.add(line, None, "missing or non-string id")
        return None
    if not ID_PATTERN.match(intent_id):
        check.add(line, intent_id, "id must look like prefix.snake_case")
    elif intent_id.split(".", 1)[0] != category:
        check.add(line, intent_id, f"id prefix must match the file name ({category}.*)")

    title = check.text(raw.get("title"), line, intent_id, "title")
    answer = check.text(raw.get("answer"), line, intent_id, "answer")
    if answer is not None:
        _check_answer(answer, check, line, intent_id)
    paraphrases = _read_paraphrases(raw.get("paraphrases"), check, line, intent_id)
    related = check.string_list(raw.get("related", []), line, intent_id, "related")
    keywords = check.string_list(raw.get("keywords", []), line, intent_id, "keywords")
    followups = _read_followups(raw.get("followups"), check, line, intent_id)
    section = raw.get("section")
    if not isinstance(section, str):
        check.add(line, intent_id, "section must be a key of sections.yaml")
        section = ""
    if title is None or answer is None or len(paraphrases) != len(LANGS):
        return None
    return Intent(
        id=intent_id,
        category=category,
        section=section,
        title=title,
        answer=answer,
        paraphrases=paraphrases,
        related=tuple(related),
        keywords=tuple(keywords),
        file=check.file,
        line=line,
        followups=followups,
    )


def _read_intent_file(path: Path, problems: list[Problem]) -> tuple[Category | None, list[Intent]]:
    check = Checker(path.name, problems)
    data = read_yaml(path, problems)
    if data is None:
        return None, []
    if not isinstance(data, dict):
        check.add(1, None, "top level must be a map with version, category and intents")
        return None, []
    check.unknown_keys(data, _INTENT_FILE_KEYS, line_of(data, 1))
    if data.get("version") != 1:
        check.add(line_of(data, 1), None, "version must be 1")
    category_id = path.stem
    title = check.text(data.get("category"), line_of(data, 1), None, "category")
    raw_intents = data.get("intents")
    if not isinstance(raw_intents, list) or not raw_intents:
        check.add(line_of(data, 1), None, "intents must be a non-empty list")
        return None, []
    intents = [
        intent
        for raw in raw_intents
        if (intent := _read_intent(raw, category_id, check, line_of(data, 1))) is not None
    ]
    order = data.get("order", 0)
    if not isinstance(order, int):
        check.add(line_of(data, 1), None, "order must be a whole number")
        order = 0
    if title is None:
        return None, intents
    return Category(category_id, title, tuple(i.id for i in intents), order), intents


def _intent_files(directory: Path) -> Iterator[Path]:
    for path in yaml_files(directory):
        if path.name not in RESERVED_FILES:
            yield path


def _cross_checks(
    intents: list[Intent], sections: Mapping[str, Text], problems: list[Problem]
) -> None:
    by_id: dict[str, Intent] = {}
    for intent in intents:
        if intent.id in by_id:
            first = by_id[intent.id]
            message = f"duplicate id (first at {first.file}:{first.line})"
            problems.append(Problem(intent.file, intent.line, intent.id, message))
        else:
            by_id[intent.id] = intent
    owner_of: dict[str, str] = {}
    for intent in intents:

        def report(message: str, intent: Intent = intent) -> None:
            problems.append(Problem(intent.file, intent.line, intent.id, message))

        if sections and intent.section not in sections:
            report(f"section {intent.section!r} is not in sections.yaml")
        for related in intent.related:
            if related not in by_id:
                report(f"related id {related!r} does not exist")
            elif related == intent.id:
                report("an intent cannot relate to itself")
        for cue, target in intent.followups.items():
            if target not in by_id:
                report(f"followups.{cue}: intent {target!r} does not exist")
            elif target == intent.id:
                report(f"followups.{cue}: an intent cannot follow up to itself")
        for lang in LANGS:
            for paraphrase in intent.paraphrases[lang]:
                key = normalize_content(paraphrase)
                if not key:
                    report(f"paraphrase {paraphrase!r} is empty after normalisation")
                    continue
                owner = owner_of.setdefault(key, intent.id)
                if owner != intent.id:
                    report(f"paraphrase {paraphrase!r} is also under {owner}")


def _check_not_covered(
    topics: tuple[Topic, ...], intents: list[Intent], problems: list[Problem]
) -> None:
    """Every nearest intent of a not-covered topic exists. (That no topic catches one of the
    catalogue's own paraphrases is `validate`'s check: selfcheck.not_covered_catches.)"""
    ids = {intent.id for intent in intents}
    for topic in topics:
        for intent_id in topic.nearest:
            if intent_id not in ids:
                message = f"nearest intent {intent_id!r} does not exist"
                problems.append(Problem(NOT_COVERED_FILE, topic.line, topic.id, message))


def load_catalogue(directory: Path) -> Catalogue:
    """Read and check the whole intents directory; raise CatalogueError listing every problem."""
    if not directory.is_dir():
        raise CatalogueError([Problem(str(directory), 0, None, "intents directory not found")])
    problems: list[Problem] = []
    files = list(_intent_files(directory))
    if not files:
        problems.append(Problem(str(directory), 0, None, "no intent files (*.yaml) found"))
    sections, article, raw_map, raw_numbered = read_sections(directory, problems)
    aliases = read_aliases(directory, problems)
    texts = read_texts(directory, problems)
    stopwords = read_stopwords(directory, problems)
    categories: list[Category] = []
    intents: list[Intent] = []
    for path in files:
        category, file_intents = _read_intent_file(path, problems)
        intents.extend(file_intents)
        if category is not None:
            categories.append(category)
    categories.sort(key=lambda c: (c.order, c.id))
    _cross_checks(intents, sections, problems)
    not_covered = read_not_covered(directory, problems)
    _check_not_covered(not_covered, intents, problems)
    intent_ids = {i.id for i in intents}
    study = load_study(
        directory, intent_ids, raw_map, problems, raw_numbered, set(aliases.concepts)
    )
    if problems:
        raise CatalogueError(problems)
    return Catalogue(
        intents=tuple(intents),
        categories=tuple(categories),
        sections=sections,
        article=article,
        aliases=aliases,
        study=study,
        version=catalogue_version(directory),
        directory=directory,
        texts=texts,
        stopwords=stopwords,
        not_covered=not_covered,
    )
