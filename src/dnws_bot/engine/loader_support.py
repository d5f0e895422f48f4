"""Read the catalogue's support files: sections.yaml (and the article), aliases.yaml, texts.yaml
and stopwords.yaml — everything in intents/ that is not an intent file or study content.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from .catalogue import Aliases, Article, Problem, Text, Topic
from .language import LANGS
from .normalize import normalize_content
from .yamlfile import Checker, line_of, read_yaml

ALIASES_FILE = "aliases.yaml"
SECTIONS_FILE = "sections.yaml"
TEXTS_FILE = "texts.yaml"
STOPWORDS_FILE = "stopwords.yaml"
NOT_COVERED_FILE = "not_covered.yaml"
# Files in intents/ that are not intent files.
RESERVED_FILES = frozenset(
    {
        ALIASES_FILE,
        SECTIONS_FILE,
        TEXTS_FILE,
        STOPWORDS_FILE,
        NOT_COVERED_FILE,
        "quiz.yaml",
        "terms.yaml",
    }
)
TOPIC_ID_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")
MAX_NEAREST = 3
TEXT_KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")
STOPWORD_PATTERN = re.compile(r"^[a-z0-9]+$")
# Interface sentences the engine itself renders; texts.yaml must define them.
ENGINE_TEXT_KEYS = (
    "source_label",
    "did_you_mean",
    "no_match",
    "empty",
    "not_covered",
    "no_followup",
)
# sections.yaml without a `map:` key (a present but empty map is reported, not skipped).
NO_MAP: Any = object()

_NO_ARTICLE = Article(publisher="", date="", url="", title=Text("", ""))


def _read(path: Path, problems: list[Problem]) -> tuple[Any, bool]:
    """The file's data, and whether a problem with it was already reported."""
    reported = len(problems)
    data = read_yaml(path, problems) if path.exists() else None
    return data, data is None and len(problems) > reported


def read_sections(
    directory: Path, problems: list[Problem]
) -> tuple[dict[str, Text], Article, Any, Any]:
    """Section titles, the article cited under every answer, the raw `map:` (or NO_MAP) and the
    raw `numbered:` lists (or None)."""
    path = directory / SECTIONS_FILE
    check = Checker(SECTIONS_FILE, problems)
    data = read_yaml(path, problems) if path.exists() else None
    if not isinstance(data, dict) or not isinstance(data.get("sections"), dict):
        check.add(1, None, "sections.yaml must exist and hold `sections:` and `article:` maps")
        return {}, _NO_ARTICLE, NO_MAP, None
    raw_map, raw_numbered = data.get("map", NO_MAP), data.get("numbered")
    keys = {"version", "sections", "article", "map", "numbered"}
    check.unknown_keys(data, keys, line_of(data, 1))
    sections: dict[str, Text] = {}
    for key, value in data["sections"].items():
        text = check.text(value, line_of(data["sections"], 1), None, f"section {key}")
        if text is not None:
            sections[str(key)] = text
    raw = data.get("article")
    line = line_of(raw, line_of(data, 1))
    if not isinstance(raw, dict):
        check.add(line, None, "article: must give publisher, date, url and title")
        return sections, _NO_ARTICLE, raw_map, raw_numbered
    title = check.text(raw.get("title"), line, None, "article.title")
    fields = {key: raw.get(key) for key in ("publisher", "date", "url")}
    for key, value in fields.items():
        if not isinstance(value, str) or not value:
            check.add(line, None, f"article.{key} must be a non-empty string")
    url = str(fields["url"] or "")
    if url and not url.startswith("https://"):
        check.add(line, None, "article.url must be an https:// link")
    if title is None:
        return sections, _NO_ARTICLE, raw_map, raw_numbered
    article = Article(str(fields["publisher"]), str(fields["date"]), url, title)
    return sections, article, raw_map, raw_numbered


def read_aliases(directory: Path, problems: list[Problem]) -> Aliases:
    """Concepts, question words, fillers and follow-up cues; a form may have one owner only."""
    path = directory / ALIASES_FILE
    check = Checker(ALIASES_FILE, problems)
    empty = Aliases(concepts={}, question_words={}, fillers={"ja": (), "en": ()})
    if not path.exists():
        return empty
    data = read_yaml(path, problems)
    if not isinstance(data, dict):
        check.add(1, None, "aliases.yaml must be a map with concepts, question_words, fillers")
        return empty
    top = line_of(data, 1)
    keys = {"version", "concepts", "question_words", "fillers", "followups", "topical"}
    check.unknown_keys(data, keys, top)

    def groups(name: str) -> dict[str, tuple[str, ...]]:
        raw = data.get(name) or {}
        if not isinstance(raw, dict):
            check.add(top, None, f"{name} must be a map of lists")
            return {}
        return {
            str(key): tuple(check.string_list(value, line_of(raw, 1), None, f"{name}.{key}"))
            for key, value in raw.items()
        }

    concepts = groups("concepts")
    question_words = groups("question_words")
    fillers = groups("fillers")
    followups = groups("followups")
    for cue in sorted(set(followups) - {"why", "more", "example"}):
        check.add(top, None, f"followups.{cue}: only why, more and example are understood")
    topical = check.string_list(data.get("topical", []), top, None, "topical")
    for concept in sorted(set(topical) - set(concepts)):
        check.add(top, None, f"topical: {concept!r} is not a concept")
    seen: dict[str, str] = {}
    for group_name, table in (("concepts", concepts), ("question_words", question_words)):
        for concept, forms in table.items():
            for form in forms:
                key = normalize_content(form)
                owner = f"{group_name}.{concept}"
                if not key:
                    check.add(top, None, f"{owner}: form {form!r} is empty")
                elif key in seen and seen[key] != owner:
                    check.add(top, None, f"form {form!r} is under both {seen[key]} and {owner}")
                seen.setdefault(key, owner)
    return Aliases(
        concepts=concepts,
        question_words=question_words,
        fillers={lang: fillers.get(lang, ()) for lang in LANGS},
        followups=followups,
        topical=frozenset(topical),
    )


def read_texts(directory: Path, problems: list[Problem]) -> dict[str, Text]:
    """Interface sentences: `texts: {key: {ja: ..., en: ...}}`, both languages required."""
    check = Checker(TEXTS_FILE, problems)
    data, reported = _read(directory / TEXTS_FILE, problems)
    if reported:
        return {}
    if not isinstance(data, dict) or not isinstance(data.get("texts"), dict):
        check.add(1, None, "texts.yaml must exist and hold a `texts:` map")
        return {}
    check.unknown_keys(data, {"version", "texts"}, line_of(data, 1))
    if data.get("version") != 1:
        check.add(line_of(data, 1), None, "version must be 1")
    raw = data["texts"]
    texts: dict[str, Text] = {}
    for key, value in raw.items():
        line = line_of(value, line_of(raw, 1))
        if not isinstance(key, str) or not TEXT_KEY_PATTERN.match(key):
            check.add(line, None, f"text key {key!r} must be snake_case")
            continue
        text = check.text(value, line, None, f"text {key}")
        if text is not None:
            texts[key] = text
    for lang in LANGS:
        if "not_covered" in texts and "{topic}" not in texts["not_covered"].get(lang):
            check.add(line_of(raw, 1), None, f"text 'not_covered'.{lang} must contain {{topic}}")
    for key in ENGINE_TEXT_KEYS:
        if key not in raw:
            check.add(line_of(raw, 1), None, f"text {key!r} is missing (the engine shows it)")
    return texts


def read_stopwords(directory: Path, problems: list[Problem]) -> frozenset[str]:
    """English words the matcher ignores: `en: [word, ...]`, each in comparison form, once."""
    check = Checker(STOPWORDS_FILE, problems)
    data, reported = _read(directory / STOPWORDS_FILE, problems)
    if reported:
        return frozenset()
    if not isinstance(data, dict) or not isinstance(data.get("en"), list):
        check.add(1, None, "stopwords.yaml must exist and hold an `en:` list of words")
        return frozenset()
    top = line_of(data, 1)
    check.unknown_keys(data, {"version", "en"}, top)
    if data.get("version") != 1:
        check.add(top, None, "version must be 1")
    words: set[str] = set()
    for word in data["en"]:
        if not isinstance(word, str) or not STOPWORD_PATTERN.match(word):
            check.add(top, None, f"stopword {word!r} must be one lowercase word (a-z, 0-9)")
        elif word in words:
            check.add(top, None, f"stopword {word!r} is listed twice")
        else:
            words.add(word)
    return frozenset(words)


def _read_combos(
    raw: Any, check: Checker, line: int, topic_id: str
) -> list[tuple[tuple[str, ...], ...]]:
    """`combos: [[group, group, ...], ...]`, each group a form or a list of forms."""
    if not isinstance(raw, list):
        check.add(line, topic_id, "combos must be a list of lists of groups")
        return []
    combos: list[tuple[tuple[str, ...], ...]] = []
    for number, combo in enumerate(raw, 1):
        if not isinstance(combo, list) or len(combo) < 2:
            check.add(line, topic_id, f"combo {number} must list at least two groups")
            continue
        groups = []
        for group in combo:
            items = [group] if isinstance(group, str) else group
            forms = check.string_list(items, line, topic_id, f"combo {number} group")
            keys = tuple(dict.fromkeys(k for f in forms if (k := normalize_content(f))))
            if not keys:
                check.add(line, topic_id, f"combo {number} has an empty group")
            groups.append(keys)
        if all(groups):
            combos.append(tuple(groups))
    return combos


def _read_topic(raw: Any, check: Checker, top: int, seen: dict[str, str]) -> Topic | None:
    if not isinstance(raw, dict):
        check.add(top, None, "each topic must be a map")
        return None
    line = line_of(raw, top)
    topic_id = raw.get("id") if isinstance(raw.get("id"), str) else None
    check.unknown_keys(raw, {"id", "name", "forms", "combos", "nearest", "note"}, line, topic_id)
    if topic_id is None or not TOPIC_ID_PATTERN.match(topic_id):
        check.add(line, topic_id, "topic id must be snake_case")
        return None
    name = check.text(raw.get("name"), line, topic_id, "name")
    forms: list[str] = []
    for form in check.string_list(raw.get("forms"), line, topic_id, "forms"):
        key = normalize_content(form)
        if not key:
            check.add(line, topic_id, f"form {form!r} is empty after normalisation")
        elif key in seen and seen[key] != topic_id:
            check.add(line, topic_id, f"form {form!r} is also under {seen[key]}")
        elif key in forms:
            continue  # a katakana form and its hiragana spelling fold to one
        else:
            seen[key] = topic_id
            forms.append(key)
    combos = _read_combos(raw.get("combos", []), check, line, topic_id)
    if not forms and not combos:
        check.add(line, topic_id, "a topic needs forms or combos")
    nearest = check.string_list(raw.get("nearest"), line, topic_id, "nearest")
    if not 1 <= len(nearest) <= MAX_NEAREST:
        check.add(line, topic_id, f"nearest must name 1 to {MAX_NEAREST} intents")
    if name is None:
        return None
    return Topic(topic_id, name, tuple(forms), tuple(combos), tuple(nearest), line)


def read_not_covered(directory: Path, problems: list[Problem]) -> tuple[Topic, ...]:
    """not_covered.yaml: `topics: [{id, name, forms, combos, nearest}]` (optional file)."""
    check = Checker(NOT_COVERED_FILE, problems)
    path = directory / NOT_COVERED_FILE
    data, reported = _read(path, problems)
    if reported or not path.exists():
        return ()
    if not isinstance(data, dict) or not isinstance(data.get("topics"), list):
        check.add(1, None, "not_covered.yaml must hold a `topics:` list")
        return ()
    top = line_of(data, 1)
    check.unknown_keys(data, {"version", "topics"}, top)
    if data.get("version") != 1:
        check.add(top, None, "version must be 1")
    seen_forms: dict[str, str] = {}
    topics: list[Topic] = []
    ids: set[str] = set()
    for raw in data["topics"]:
        topic = _read_topic(raw, check, top, seen_forms)
        if topic is None:
            continue
        if topic.id in ids:
            check.add(topic.line, topic.id, "duplicate topic id")
            continue
        ids.add(topic.id)
        topics.append(topic)
    return tuple(topics)
