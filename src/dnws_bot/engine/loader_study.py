"""Read the study content beside the intents: quiz.yaml, terms.yaml and the map in sections.yaml.

Checked with the catalogue (same Problem reports), so a bad quiz option is caught by
`dnws-bot validate` rather than by Telegram refusing a poll in front of a study group.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .catalogue import MapEntry, Problem, QuizQuestion, StudyContent, Term
from .language import LANGS, Lang
from .loader_support import NO_MAP
from .normalize import normalize_content
from .yamlfile import Checker, line_of, read_yaml

# Telegram's poll limits, and ours for phone-sized explanations.
MAX_QUESTION = 300
MAX_OPTION = 100
MAX_EXPLANATION = 200
MIN_OPTIONS, MAX_OPTIONS = 2, 10
MAX_DEFINITION = {"ja": 120, "en": 160}
_QUIZ_KEYS = {"id", "intent", "question", "options", "correct", "explanation"}
_TERM_KEYS = {"id", "term", "forms", "definition", "intent"}


def _read_quiz(path: Path, intent_ids: set[str], problems: list[Problem]) -> list[QuizQuestion]:
    check = Checker(path.name, problems)
    data = read_yaml(path, problems)
    if not isinstance(data, dict) or not isinstance(data.get("questions"), list):
        check.add(1, None, "quiz.yaml needs a `questions:` list")
        return []
    questions: list[QuizQuestion] = []
    seen: set[str] = set()
    for raw in data["questions"]:
        line = line_of(raw, 1)
        if not isinstance(raw, dict):
            check.add(line, None, "each question must be a map")
            continue
        qid = str(raw.get("id", ""))
        check.unknown_keys(raw, _QUIZ_KEYS, line, qid)
        if not qid or qid in seen:
            check.add(line, qid or None, "quiz id missing or duplicated")
        seen.add(qid)
        intent = raw.get("intent")
        if intent not in intent_ids:
            check.add(line, qid, f"linked intent {intent!r} does not exist")
        question = check.text(raw.get("question"), line, qid, "question")
        explanation = check.text(raw.get("explanation"), line, qid, "explanation")
        options: dict[Lang, tuple[str, ...]] = {}
        raw_options: Any = raw.get("options")
        for lang in LANGS:
            items = raw_options.get(lang) if isinstance(raw_options, dict) else None
            values = check.string_list(items, line, qid, f"options.{lang}")
            if not MIN_OPTIONS <= len(values) <= MAX_OPTIONS:
                check.add(line, qid, f"options.{lang}: {len(values)} options (2-10 allowed)")
            for value in values:
                if len(value) > MAX_OPTION:
                    check.add(line, qid, f"option over {MAX_OPTION} characters: {value!r}")
            options[lang] = tuple(values)
        if len(set(map(len, options.values()))) > 1:
            check.add(line, qid, "ja and en must have the same number of options")
        correct = raw.get("correct")
        if (
            not isinstance(correct, int)
            or isinstance(correct, bool)
            or not 0 <= correct < len(options.get("en", ()))
        ):
            check.add(line, qid, "correct must be the index of exactly one option")
            continue
        for text, limit, what in (
            (question, MAX_QUESTION, "question"),
            (explanation, MAX_EXPLANATION, "explanation"),
        ):
            for lang in LANGS:
                if text is not None and len(text.get(lang)) > limit:
                    check.add(line, qid, f"{what}.{lang} over {limit} characters")
        if question is None or explanation is None or not isinstance(intent, str):
            continue
        questions.append(QuizQuestion(qid, intent, question, options, correct, explanation))
    return questions


def _read_terms(path: Path, intent_ids: set[str], problems: list[Problem]) -> list[Term]:
    check = Checker(path.name, problems)
    data = read_yaml(path, problems)
    if not isinstance(data, dict) or not isinstance(data.get("terms"), list):
        check.add(1, None, "terms.yaml needs a `terms:` list")
        return []
    terms: list[Term] = []
    owners: dict[str, str] = {}
    for raw in data["terms"]:
        line = line_of(raw, 1)
        if not isinstance(raw, dict):
            check.add(line, None, "each term must be a map")
            continue
        tid = str(raw.get("id", ""))
        check.unknown_keys(raw, _TERM_KEYS, line, tid)
        if not tid or len(tid) > 20 or tid in owners.values():
            check.add(line, tid or None, "term id missing, over 20 characters, or duplicated")
        term = check.text(raw.get("term"), line, tid, "term")
        definition = check.text(raw.get("definition"), line, tid, "definition")
        forms = check.string_list(raw.get("forms"), line, tid, "forms")
        for form in forms:
            key = normalize_content(form)
            if key in owners and owners[key] != tid:
                check.add(line, tid, f"form {form!r} also belongs to {owners[key]}")
            owners.setdefault(key, tid)
        intent = raw.get("intent")
        if intent is not None and intent not in intent_ids:
            check.add(line, tid, f"linked intent {intent!r} does not exist")
        if definition is not None:
            for lang in LANGS:
                if len(definition.get(lang)) > MAX_DEFINITION[lang]:
                    check.add(
                        line, tid, f"definition.{lang} over {MAX_DEFINITION[lang]} characters"
                    )
        if term is not None and definition is not None:
            terms.append(Term(tid, term, tuple(forms), definition, intent))
    return terms


def _read_map(raw: Any, intent_ids: set[str], check: Checker) -> list[MapEntry]:
    entries: list[MapEntry] = []
    if not isinstance(raw, list):
        check.add(1, None, "map must be a list of intent ids")
        return entries
    for item in raw:
        if isinstance(item, str):
            intent, parts = item, []
        elif isinstance(item, dict) and len(item) == 1:
            intent, value = next(iter(item.items()))
            parts = [str(p) for p in value] if isinstance(value, list) else []
        else:
            check.add(line_of(raw, 1), None, f"map entry {item!r} must be an id or {{id: [ids]}}")
            continue
        for intent_id in (intent, *parts):
            if intent_id not in intent_ids:
                check.add(
                    line_of(item, line_of(raw, 1)), None, f"map names unknown intent {intent_id!r}"
                )
        entries.append(MapEntry(str(intent), tuple(parts)))
    return entries


def _read_numbered(
    raw: Any, entries: list[MapEntry], concepts: set[str], check: Checker
) -> list[MapEntry]:
    """Mark the map entries whose parts are a numbered list, with the concepts naming an item."""
    if raw is None:
        return entries
    if not isinstance(raw, dict):
        check.add(1, None, "numbered must map a map entry's id to a list of concepts")
        return entries
    by_intent = {entry.intent: entry for entry in entries}
    for intent, items in raw.items():
        line = line_of(raw, 1)
        entry = by_intent.get(str(intent))
        if entry is None or len(entry.parts) < 2:
            check.add(line, None, f"numbered list {intent!r} must be a map entry with 2+ parts")
            continue
        if not isinstance(items, list) or not items:
            check.add(line, None, f"numbered list {intent!r} needs a list of concepts")
            continue
        for concept in items:
            if concept not in concepts:
                check.add(line, None, f"numbered list {intent!r}: unknown concept {concept!r}")
        by_intent[entry.intent] = MapEntry(entry.intent, entry.parts, tuple(map(str, items)))
    return [by_intent[entry.intent] for entry in entries]


def load_study(
    directory: Path,
    intent_ids: set[str],
    raw_map: Any,
    problems: list[Problem],
    raw_numbered: Any = None,
    concepts: set[str] | None = None,
) -> StudyContent:
    """Read quiz.yaml, terms.yaml and the map read from sections.yaml; problems are appended."""
    quiz_path, terms_path = directory / "quiz.yaml", directory / "terms.yaml"
    quiz = _read_quiz(quiz_path, intent_ids, problems) if quiz_path.exists() else []
    terms = _read_terms(terms_path, intent_ids, problems) if terms_path.exists() else []
    article_map: list[MapEntry] = []
    if raw_map is not NO_MAP:
        check = Checker("sections.yaml", problems)
        article_map = _read_map(raw_map, intent_ids, check)
        article_map = _read_numbered(raw_numbered, article_map, concepts or set(), check)
    return StudyContent(tuple(quiz), tuple(terms), tuple(article_map))
