"""Load `intents/*.yaml` into frozen dataclasses, collecting every problem before failing.

A curator fixing the catalogue wants the whole list of mistakes in one run, each with the file,
line and intent id, so loading never stops at the first error; it raises `CatalogueError` with all
of them at the end. Only `yaml.SafeLoader` is used, extended to refuse duplicate keys.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from .language import LANGS, Lang
from .normalize import normalize
from .telegram_html import html_problems, to_plain_text

if TYPE_CHECKING:
    from .study import StudyContent

MAX_ANSWER_CHARS: dict[Lang, int] = {"ja": 300, "en": 450}
MIN_PARAPHRASES = 8
ID_PATTERN = re.compile(r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$")

# Files in intents/ that are not intent files.
ALIASES_FILE = "aliases.yaml"
SECTIONS_FILE = "sections.yaml"
TEXTS_FILE = "texts.yaml"
RESERVED_FILES = frozenset({ALIASES_FILE, SECTIONS_FILE, TEXTS_FILE, "quiz.yaml", "terms.yaml"})
TEXT_KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")
# Interface sentences the engine itself renders; texts.yaml must define them.
ENGINE_TEXT_KEYS = ("source_label", "did_you_mean", "no_match", "empty")

_INTENT_FILE_KEYS = {"version", "order", "category", "intents"}
_INTENT_KEYS = {"id", "section", "title", "answer", "paraphrases", "related", "keywords"}
_REQUIRED_INTENT_KEYS = _INTENT_KEYS - {"keywords"}


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the catalogue, located for the curator."""

    file: str
    line: int
    intent_id: str | None
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}"
        return (
            f"{where}: [{self.intent_id}] {self.message}"
            if self.intent_id
            else (f"{where}: {self.message}")
        )


class CatalogueError(Exception):
    """The catalogue cannot be used; `problems` lists every reason."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__(f"{len(problems)} problem(s) in the intent catalogue")


@dataclass(frozen=True)
class Text:
    """The same short text in both languages."""

    ja: str
    en: str

    def get(self, lang: Lang) -> str:
        return self.ja if lang == "ja" else self.en


@dataclass(frozen=True)
class Intent:
    """One curated question-and-answer, the unit the matcher picks."""

    id: str
    category: str
    section: str
    title: Text
    answer: Text
    paraphrases: Mapping[Lang, tuple[str, ...]]
    related: tuple[str, ...]
    keywords: tuple[str, ...]
    file: str
    line: int


@dataclass(frozen=True)
class Category:
    """A group of intents shown together under /topics (one intent file)."""

    id: str
    title: Text
    intent_ids: tuple[str, ...]
    order: int = 0


@dataclass(frozen=True)
class Aliases:
    """Surface forms of concepts, question words and filler phrases (see docs/intent-format)."""

    concepts: Mapping[str, tuple[str, ...]]
    question_words: Mapping[str, tuple[str, ...]]
    fillers: Mapping[Lang, tuple[str, ...]]
    followups: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class Article:
    """The source article, cited under every answer."""

    publisher: str
    date: str
    url: str
    title: Text


@dataclass(frozen=True)
class Catalogue:
    """Everything the engine knows, immutable once loaded."""

    intents: tuple[Intent, ...]
    categories: tuple[Category, ...]
    sections: Mapping[str, Text]
    article: Article
    aliases: Aliases
    study: StudyContent
    version: str
    directory: Path
    texts: Mapping[str, Text] = field(default_factory=dict)
    by_id: Mapping[str, Intent] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_id", {intent.id: intent for intent in self.intents})

    def section_title(self, intent: Intent, lang: Lang) -> str:
        return self.sections[intent.section].get(lang)


class _LineDict(dict[Any, Any]):
    """A mapping that remembers the line it started on."""

    line: int = 0


# libyaml's C parser when present (10x faster); the constructor stays the safe Python one.
_SafeBase: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _StrictLoader(_SafeBase):  # type: ignore[misc]
    """Safe loader that records mapping lines and reports duplicate keys instead of overwriting."""

    def __init__(self, stream: str, file: str, problems: list[Problem]) -> None:
        super().__init__(stream)
        self.file = file
        self.problems = problems


def _construct_mapping(loader: _StrictLoader, node: yaml.MappingNode) -> _LineDict:
    loader.flatten_mapping(node)
    mapping = _LineDict()
    mapping.line = node.start_mark.line + 1
    duplicates: list[tuple[int, Any]] = []
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in mapping:
            duplicates.append((key_node.start_mark.line + 1, key))
        mapping[key] = loader.construct_object(value_node, deep=True)
    owner = mapping.get("id") if isinstance(mapping.get("id"), str) else None
    for line, key in duplicates:  # inside an intent, name it: the curator searches by id
        loader.problems.append(Problem(loader.file, line, owner, f"duplicate key {key!r}"))
    return mapping


_StrictLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
    _construct_mapping,
)


def read_yaml(path: Path, problems: list[Problem]) -> Any:
    """Parse one YAML file safely; syntax errors become problems and return None."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(Problem(path.name, 0, None, f"cannot read: {exc}"))
        return None
    loader = _StrictLoader(text, path.name, problems)
    try:
        return loader.get_single_data()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 0
        problems.append(Problem(path.name, line, None, f"invalid YAML: {exc}"))
        return None
    finally:
        loader.dispose()


def _line(value: Any, default: int) -> int:
    return value.line if isinstance(value, _LineDict) else default


class _Checker:
    """Accumulates problems for one file while reading its records."""

    def __init__(self, file: str, problems: list[Problem]) -> None:
        self.file = file
        self.problems = problems

    def add(self, line: int, intent_id: str | None, message: str) -> None:
        self.problems.append(Problem(self.file, line, intent_id, message))

    def text(self, value: Any, line: int, intent_id: str | None, what: str) -> Text | None:
        """Read a {ja: ..., en: ...} map of non-empty strings."""
        if not isinstance(value, dict):
            self.add(line, intent_id, f"{what} must be a map with ja and en")
            return None
        line = _line(value, line)
        for key in value:
            if key not in LANGS:
                self.add(line, intent_id, f"{what}: unknown language {key!r}")
        texts: dict[str, str] = {}
        for lang in LANGS:
            item = value.get(lang)
            if not isinstance(item, str) or not item.strip():
                self.add(line, intent_id, f"{what}: missing {lang} text")
            else:
                texts[lang] = item.strip()
        if len(texts) != len(LANGS):
            return None
        return Text(ja=texts["ja"], en=texts["en"])

    def string_list(self, value: Any, line: int, intent_id: str | None, what: str) -> list[str]:
        if not isinstance(value, list) or not all(isinstance(item, str | int) for item in value):
            self.add(line, intent_id, f"{what} must be a list of strings")
            return []
        return [str(item).strip() for item in value if str(item).strip()]


def _read_intent(raw: Any, category: str, check: _Checker, file_line: int) -> Intent | None:
    if not isinstance(raw, dict):
        check.add(file_line, None, "each entry of intents must be a map")
        return None
    line = _line(raw, file_line)
    intent_id = raw.get("id") if isinstance(raw.get("id"), str) else None
    for key in sorted(set(raw) - _INTENT_KEYS, key=str):
        check.add(line, intent_id, f"unknown key {key!r}")
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

    paraphrases: dict[Lang, tuple[str, ...]] = {}
    raw_paraphrases = raw.get("paraphrases")
    if not isinstance(raw_paraphrases, dict):
        check.add(line, intent_id, "paraphrases must be a map with ja and en lists")
    else:
        p_line = _line(raw_paraphrases, line)
        for key in raw_paraphrases:
            if key not in LANGS:
                check.add(p_line, intent_id, f"paraphrases: unknown language {key!r}")
        for lang in LANGS:
            items = check.string_list(
                raw_paraphrases.get(lang), p_line, intent_id, f"paraphrases.{lang}"
            )
            if len(items) < MIN_PARAPHRASES:
                check.add(
                    p_line,
                    intent_id,
                    f"paraphrases.{lang} has {len(items)} (at least {MIN_PARAPHRASES} needed)",
                )
            paraphrases[lang] = tuple(items)

    related = check.string_list(raw.get("related", []), line, intent_id, "related")
    keywords = check.string_list(raw.get("keywords", []), line, intent_id, "keywords")
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
    )


def _read_intent_file(path: Path, problems: list[Problem]) -> tuple[Category | None, list[Intent]]:
    check = _Checker(path.name, problems)
    data = read_yaml(path, problems)
    if data is None:
        return None, []
    if not isinstance(data, dict):
        check.add(1, None, "top level must be a map with version, category and intents")
        return None, []
    for key in sorted(set(data) - _INTENT_FILE_KEYS, key=str):
        check.add(_line(data, 1), None, f"unknown key {key!r}")
    if data.get("version") != 1:
        check.add(_line(data, 1), None, "version must be 1")
    category_id = path.stem
    title = check.text(data.get("category"), _line(data, 1), None, "category")
    raw_intents = data.get("intents")
    if not isinstance(raw_intents, list) or not raw_intents:
        check.add(_line(data, 1), None, "intents must be a non-empty list")
        return None, []
    intents = [
        intent
        for raw in raw_intents
        if (intent := _read_intent(raw, category_id, check, _line(data, 1))) is not None
    ]
    order = data.get("order", 0)
    if not isinstance(order, int):
        check.add(_line(data, 1), None, "order must be a whole number")
        order = 0
    if title is None:
        return None, intents
    return Category(category_id, title, tuple(i.id for i in intents), order), intents


_NO_ARTICLE = Article(publisher="", date="", url="", title=Text("", ""))


def _read_sections(directory: Path, problems: list[Problem]) -> tuple[dict[str, Text], Article]:
    path = directory / SECTIONS_FILE
    check = _Checker(SECTIONS_FILE, problems)
    data = read_yaml(path, problems) if path.exists() else None
    if not isinstance(data, dict) or not isinstance(data.get("sections"), dict):
        check.add(1, None, "sections.yaml must exist and hold `sections:` and `article:` maps")
        return {}, _NO_ARTICLE
    for key in sorted(set(data) - {"version", "sections", "article", "map"}, key=str):
        check.add(_line(data, 1), None, f"unknown key {key!r}")
    sections: dict[str, Text] = {}
    for key, value in data["sections"].items():
        text = check.text(value, _line(data["sections"], 1), None, f"section {key}")
        if text is not None:
            sections[str(key)] = text
    raw = data.get("article")
    line = _line(raw, _line(data, 1))
    if not isinstance(raw, dict):
        check.add(line, None, "article: must give publisher, date, url and title")
        return sections, _NO_ARTICLE
    title = check.text(raw.get("title"), line, None, "article.title")
    fields = {key: raw.get(key) for key in ("publisher", "date", "url")}
    for key, value in fields.items():
        if not isinstance(value, str) or not value:
            check.add(line, None, f"article.{key} must be a non-empty string")
    url = str(fields["url"] or "")
    if url and not url.startswith("https://"):
        check.add(line, None, "article.url must be an https:// link")
    if title is None:
        return sections, _NO_ARTICLE
    article = Article(str(fields["publisher"]), str(fields["date"]), url, title)
    return sections, article


def _read_aliases(directory: Path, problems: list[Problem]) -> Aliases:
    path = directory / ALIASES_FILE
    check = _Checker(ALIASES_FILE, problems)
    empty = Aliases(concepts={}, question_words={}, fillers={"ja": (), "en": ()})
    if not path.exists():
        return empty
    data = read_yaml(path, problems)
    if not isinstance(data, dict):
        check.add(1, None, "aliases.yaml must be a map with concepts, question_words, fillers")
        return empty
    for key in sorted(
        set(data) - {"version", "concepts", "question_words", "fillers", "followups"}, key=str
    ):
        check.add(_line(data, 1), None, f"unknown key {key!r}")

    def groups(name: str) -> dict[str, tuple[str, ...]]:
        raw = data.get(name) or {}
        if not isinstance(raw, dict):
            check.add(_line(data, 1), None, f"{name} must be a map of lists")
            return {}
        return {
            str(key): tuple(check.string_list(value, _line(raw, 1), None, f"{name}.{key}"))
            for key, value in raw.items()
        }

    concepts = groups("concepts")
    question_words = groups("question_words")
    fillers = groups("fillers")
    followups = groups("followups")
    for cue in sorted(set(followups) - {"why", "more", "example"}):
        check.add(
            _line(data, 1), None, f"followups.{cue}: only why, more and example are understood"
        )
    seen: dict[str, str] = {}
    for group_name, table in (("concepts", concepts), ("question_words", question_words)):
        for concept, forms in table.items():
            for form in forms:
                key = normalize(form)
                owner = f"{group_name}.{concept}"
                if not key:
                    check.add(_line(data, 1), None, f"{owner}: form {form!r} is empty")
                elif key in seen and seen[key] != owner:
                    check.add(
                        _line(data, 1),
                        None,
                        f"form {form!r} is under both {seen[key]} and {owner}",
                    )
                seen.setdefault(key, owner)
    return Aliases(
        concepts=concepts,
        question_words=question_words,
        fillers={lang: fillers.get(lang, ()) for lang in LANGS},
        followups=followups,
    )


def _read_texts(directory: Path, problems: list[Problem]) -> dict[str, Text]:
    """Interface sentences: `texts: {key: {ja: ..., en: ...}}`, both languages required."""
    path = directory / TEXTS_FILE
    check = _Checker(TEXTS_FILE, problems)
    reported = len(problems)
    data = read_yaml(path, problems) if path.exists() else None
    if data is None and len(problems) > reported:
        return {}  # unreadable or invalid YAML, already reported
    if not isinstance(data, dict) or not isinstance(data.get("texts"), dict):
        check.add(1, None, "texts.yaml must exist and hold a `texts:` map")
        return {}
    for key in sorted(set(data) - {"version", "texts"}, key=str):
        check.add(_line(data, 1), None, f"unknown key {key!r}")
    if data.get("version") != 1:
        check.add(_line(data, 1), None, "version must be 1")
    raw = data["texts"]
    texts: dict[str, Text] = {}
    for key, value in raw.items():
        line = _line(value, _line(raw, 1))
        if not isinstance(key, str) or not TEXT_KEY_PATTERN.match(key):
            check.add(line, None, f"text key {key!r} must be snake_case")
            continue
        text = check.text(value, line, None, f"text {key}")
        if text is not None:
            texts[key] = text
    for key in ENGINE_TEXT_KEYS:
        if key not in raw:
            check.add(_line(raw, 1), None, f"text {key!r} is missing (the engine shows it)")
    return texts


def _intent_files(directory: Path) -> Iterator[Path]:
    for path in sorted(directory.glob("*.yaml")):
        if path.name not in RESERVED_FILES:
            yield path


def _cross_checks(
    intents: list[Intent], sections: Mapping[str, Text], problems: list[Problem]
) -> None:
    by_id: dict[str, Intent] = {}
    for intent in intents:
        if intent.id in by_id:
            first = by_id[intent.id]
            problems.append(
                Problem(
                    intent.file,
                    intent.line,
                    intent.id,
                    f"duplicate id (first at {first.file}:{first.line})",
                )
            )
        else:
            by_id[intent.id] = intent
    owner_of: dict[str, str] = {}
    for intent in intents:
        if sections and intent.section not in sections:
            problems.append(
                Problem(
                    intent.file,
                    intent.line,
                    intent.id,
                    f"section {intent.section!r} is not in sections.yaml",
                )
            )
        for related in intent.related:
            if related not in by_id:
                problems.append(
                    Problem(
                        intent.file,
                        intent.line,
                        intent.id,
                        f"related id {related!r} does not exist",
                    )
                )
            elif related == intent.id:
                problems.append(
                    Problem(
                        intent.file, intent.line, intent.id, "an intent cannot relate to itself"
                    )
                )
        for lang in LANGS:
            for paraphrase in intent.paraphrases[lang]:
                key = normalize(paraphrase)
                if not key:
                    problems.append(
                        Problem(
                            intent.file,
                            intent.line,
                            intent.id,
                            f"paraphrase {paraphrase!r} is empty after normalisation",
                        )
                    )
                    continue
                owner = owner_of.setdefault(key, intent.id)
                if owner != intent.id:
                    problems.append(
                        Problem(
                            intent.file,
                            intent.line,
                            intent.id,
                            f"paraphrase {paraphrase!r} is also under {owner}",
                        )
                    )


def _fingerprint(directory: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(directory.glob("*.yaml")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def load_catalogue(directory: Path) -> Catalogue:
    """Read and check the whole intents directory; raise CatalogueError listing every problem."""
    if not directory.is_dir():
        raise CatalogueError([Problem(str(directory), 0, None, "intents directory not found")])
    problems: list[Problem] = []
    files = list(_intent_files(directory))
    if not files:
        problems.append(Problem(str(directory), 0, None, "no intent files (*.yaml) found"))
    sections, article = _read_sections(directory, problems)
    aliases = _read_aliases(directory, problems)
    texts = _read_texts(directory, problems)
    categories: list[Category] = []
    intents: list[Intent] = []
    for path in files:
        category, file_intents = _read_intent_file(path, problems)
        intents.extend(file_intents)
        if category is not None:
            categories.append(category)
    categories.sort(key=lambda c: (c.order, c.id))
    _cross_checks(intents, sections, problems)
    from .study import load_study  # study content refers to intents, so it loads after them

    study = load_study(directory, {i.id for i in intents}, problems)
    if problems:
        raise CatalogueError(problems)
    return Catalogue(
        intents=tuple(intents),
        categories=tuple(categories),
        sections=sections,
        article=article,
        aliases=aliases,
        study=study,
        version=_fingerprint(directory),
        directory=directory,
        texts=texts,
    )
