"""Read content YAML safely, remembering lines, and collect located problems while checking it.

Only `yaml.SafeLoader` (libyaml's C parser when present) is used, extended to refuse duplicate
keys, so a file can never run code. Every reader of intents/*.yaml goes through `read_yaml` and a
`Checker`, which is what makes each problem carry its file and line.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from .catalogue import Problem, Text
from .language import LANGS


class LineDict(dict[Any, Any]):
    """A mapping that remembers the line it started on."""

    line: int = 0


def line_of(value: Any, default: int) -> int:
    """The line a mapping read by `read_yaml` started on, else `default`."""
    return value.line if isinstance(value, LineDict) else default


# libyaml's C parser when present (10x faster); the constructor stays the safe Python one.
_SafeBase: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_STR_TAG = "tag:yaml.org,2002:str"


class _StrictLoader(_SafeBase):  # type: ignore[misc]
    """Safe loader that records mapping lines and reports duplicate keys instead of overwriting."""

    def __init__(self, stream: str, file: str, problems: list[Problem]) -> None:
        super().__init__(stream)
        self.file = file
        self.problems = problems

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        # Most of a content file is plain text: a string scalar is its value (what the safe
        # constructor returns for it), without the constructor's lookups.
        if node.tag == _STR_TAG and node.__class__ is yaml.ScalarNode:
            return node.value
        return super().construct_object(node, deep)


def _construct_mapping(loader: _StrictLoader, node: yaml.MappingNode) -> LineDict:
    loader.flatten_mapping(node)
    mapping = LineDict()
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


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


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


class Checker:
    """Accumulates problems for one file while reading its records."""

    def __init__(self, file: str, problems: list[Problem]) -> None:
        self.file = file
        self.problems = problems

    def add(self, line: int, intent_id: str | None, message: str) -> None:
        self.problems.append(Problem(self.file, line, intent_id, message))

    def unknown_keys(
        self, raw: dict[Any, Any], allowed: set[str], line: int, owner: str | None = None
    ) -> None:
        """Report every key of `raw` outside `allowed`, in a stable order."""
        for key in sorted(set(raw) - allowed, key=str):
            self.add(line, owner, f"unknown key {key!r}")

    def text(self, value: Any, line: int, intent_id: str | None, what: str) -> Text | None:
        """Read a {ja: ..., en: ...} map of non-empty strings."""
        if not isinstance(value, dict):
            self.add(line, intent_id, f"{what} must be a map with ja and en")
            return None
        line = line_of(value, line)
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
