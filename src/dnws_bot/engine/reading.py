"""Japanese readings: what the catalogue's kanji sound like, and IME slips read back.

People type Japanese through an IME: when the kanji does not come they write hiragana
(かくだいよくし), and when the IME picks the wrong kanji they send a homophone (定議 for 定義).
Both are recovered through readings:

- At build time the catalogue's kanji vocabulary (alias forms, paraphrase words) is read once
  with Sudachi (SudachiPy + sudachidict_small, Apache-2.0). The readings go into the compiled
  cache as plain data, so a hiragana question meets the kanji without the analyser.
- At question time the analyser is imported only when a question has a kanji word the catalogue
  does not know and the first pass is unsure (`Matcher.match`): then each unknown word's readings
  (the best one and every dictionary entry's, `Dictionary.lookup`) are compared with the
  catalogue's, and a word that sounds like a catalogue word is read as that word.

The analyser costs ~40-55 MB and ~50 ms to load, so `dnws-bot ask` on a question the engine
already answers never imports it (tests/test_engine_reading.py checks this).
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Callable, Iterable, Mapping
from functools import cache
from pathlib import Path
from typing import Any

from .normalize import normalize, normalize_content
from .record import record

# Compiled on first use: only building and the analyser's path test for kanji, never a cache hit.
_KANJI = "[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3005]"
_SKIPPED_POS = ("空白", "補助記号")
MAX_ALTERNATIVES = 4  # readings tried per word (best reading first, then dictionary entries)
MAX_WINDOW = 3  # words joined into one candidate compound (比較|化 → ひかくか → 非核化)


@cache
def _kanji() -> re.Pattern[str]:
    return re.compile(_KANJI)


def has_kanji(text: str) -> bool:
    return _kanji().search(text) is not None


@record
class Word:
    """One analysed word: as typed, and its readings in comparison form (hiragana)."""

    surface: str
    readings: tuple[str, ...]  # best first


class _Sudachi:
    """The analyser, imported and loaded on first use only."""

    def __init__(self) -> None:
        from sudachipy import Dictionary, SplitMode  # type: ignore[import-untyped]

        self.dictionary = Dictionary(dict="small")
        self.tokenizer = self.dictionary.tokenizer(mode=SplitMode.C)


_loaded: _Sudachi | None = None
_unavailable = False


def _analyser() -> _Sudachi | None:
    """The shared analyser, or None when SudachiPy or its dictionary is not installed."""
    global _loaded, _unavailable
    if _loaded is None and not _unavailable:
        try:
            _loaded = _Sudachi()
        except Exception:  # ImportError, or a dictionary that fails to load: no readings
            _unavailable = True
    return _loaded


def is_loaded() -> bool:
    """True once the analyser has been imported and loaded in this process."""
    return _loaded is not None


def preload() -> bool:
    """Load the analyser now (the long-running bot does this at start); False when missing."""
    return _analyser() is not None


def words(text: str, alternatives: bool = False, keep_all: bool = False) -> list[Word]:
    """The words of `text` with their readings (empty when the analyser is missing); spaces and
    punctuation are left out unless `keep_all` (then they come back with no reading)."""
    sudachi = _analyser()
    if sudachi is None:
        return []
    found: list[Word] = []
    for morpheme in sudachi.tokenizer.tokenize(text):
        surface = morpheme.surface()
        if morpheme.part_of_speech()[0] in _SKIPPED_POS:
            if keep_all:
                found.append(Word(surface, ()))
            continue
        readings = [normalize(morpheme.reading_form())]
        if alternatives and has_kanji(surface):
            for entry in sudachi.dictionary.lookup(surface):
                readings.append(normalize(entry.reading_form()))
        unique = tuple(dict.fromkeys(r for r in readings if r))[:MAX_ALTERNATIVES]
        found.append(Word(surface, unique or (normalize(surface),)))
    return found


def in_dictionary_word(text: str, index: int) -> bool:
    """True when the character at `index` belongs to a word of two or more characters that the
    analyser's dictionary knows (動 in 運動手段, 当 in 該当): changing it changes a real word,
    not an IME slip. Without the analyser, True: nothing is guessed."""
    sudachi = _analyser()
    if sudachi is None:
        return True
    for morpheme in sudachi.tokenizer.tokenize(text):
        if morpheme.begin() <= index < morpheme.end():
            return morpheme.end() - morpheme.begin() > 1 and not morpheme.is_oov()
    return False


def reading(text: str) -> str:
    """Hiragana reading of `text` in comparison form; spaces and punctuation dropped."""
    return "".join(word.readings[0] for word in words(text))


@record
class Readings:
    """What the catalogue's kanji sound like (built once, cached as data).

    `forms`: reading → concept, extra concept forms so hiragana finds the kanji's concept.
    `words`: reading → catalogue word with kanji, for reading an IME slip as the word meant.
    """

    forms: dict[str, str]
    words: dict[str, str]

    def to_data(self) -> dict[str, Any]:
        return {"forms": self.forms, "words": self.words}

    @classmethod
    def from_data(cls, data: Any) -> Readings:
        if not isinstance(data, dict):
            raise ValueError("readings: expected a map")
        tables = []
        for name in ("forms", "words"):
            table = data[name]
            if not isinstance(table, dict) or not all(
                type(k) is str and type(v) is str for k, v in table.items()
            ):
                raise ValueError(f"readings.{name}: expected a map of strings")
            tables.append(table)
        return cls(*tables)


EMPTY = Readings({}, {})
MIN_FORM_KANA = 4  # shorter readings (かく, いじ) sit inside too many ordinary words


# The catalogue's texts already read, shipped beside the intents so that building an engine from
# YAML (a cold `ask`) needs no analyser while the texts are unchanged. A text it lacks is read by
# the analyser; `python -m dnws_bot.engine.vocabulary` rewrites it (a test checks it is complete).
MEMO_FILE = "readings.json"
Memo = Mapping[str, list[tuple[str, str]]]


def load_memo(directory: Path) -> dict[str, list[tuple[str, str]]]:
    """The memo in `directory` (empty when missing or malformed: the analyser reads instead)."""
    try:
        data = json.loads((directory / MEMO_FILE).read_text(encoding="utf-8"))
        return {
            str(text): [(str(surface), str(spoken)) for surface, spoken in pairs]
            for text, pairs in data["texts"].items()
        }
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}


def memo_text(texts: Iterable[str]) -> str:
    """The memo file's content for these texts (reads each with the analyser), a text a line."""
    lines = [
        json.dumps(text, ensure_ascii=False)
        + ": "
        + json.dumps([[w.surface, w.readings[0]] for w in words(text)], ensure_ascii=False)
        for text in sorted(set(texts))
    ]
    return '{"version": 1, "texts": {\n' + ",\n".join(lines) + "\n}}\n"


def _read(text: str, memo: Memo) -> list[tuple[str, str]]:
    found = memo.get(text)
    if found is None:
        found = [(word.surface, word.readings[0]) for word in words(text)]
    return found


def read_text(text: str, memo: Memo) -> str:
    """Reading of a catalogue text, words separated by spaces (from the memo when it has it)."""
    return " ".join(spoken for _, spoken in _read(text, memo))


def build_readings(
    concept_forms: dict[str, tuple[str, ...]], japanese_texts: Iterable[str], memo: Memo
) -> Readings:
    """Readings of every kanji alias form (as concept forms) and of the catalogue's kanji words,
    from the memo where it has them, else from the analyser (no readings without either)."""
    texts = list(japanese_texts)
    kanji_forms = [f for forms in concept_forms.values() for f in forms if has_kanji(f)]
    if any(t not in memo for t in (*texts, *kanji_forms)) and _analyser() is None:
        return EMPTY
    taken = {normalize_content(form) for forms in concept_forms.values() for form in forms}
    forms: dict[str, str] = {}
    vocabulary: dict[str, str] = {}
    for concept, surfaces in concept_forms.items():
        for surface in surfaces:
            if not has_kanji(surface):
                continue
            spoken = "".join(r for _, r in _read(surface, memo))
            if spoken not in vocabulary:
                vocabulary[spoken] = normalize_content(surface)
            if len(spoken) >= MIN_FORM_KANA and spoken not in taken and not concept.startswith("?"):
                forms.setdefault(spoken, concept)
    for text in texts:
        for surface, spoken in _read(text, memo):
            if len(spoken) >= 2 and spoken not in vocabulary and has_kanji(surface):
                vocabulary[spoken] = normalize_content(surface)
    return Readings(forms, vocabulary)


def repair(text: str, readings: Readings, is_unknown: Callable[[str], bool]) -> str | None:
    """`text` with each unknown kanji word that sounds like a catalogue word replaced by that
    word (leftmost-longest), or None when nothing was replaced. `is_unknown(normalised)` says
    whether the catalogue does not know a stretch of text."""
    analysed = words(text, alternatives=True, keep_all=True)
    out: list[str] = []
    changed = False
    position = 0
    while position < len(analysed):
        for size in range(min(MAX_WINDOW, len(analysed) - position), 0, -1):
            span = analysed[position : position + size]
            surface = "".join(w.surface for w in span)
            if any(not w.readings for w in span) or not has_kanji(surface):
                continue
            if not is_unknown(normalize(surface)):
                continue
            target = None
            for combo in itertools.product(*(w.readings for w in span)):
                target = readings.words.get("".join(combo))
                if target is not None and target != normalize(surface):
                    break
                target = None
            if target is not None:
                out.append(target)
                position += size
                changed = True
                break
        else:
            out.append(analysed[position].surface)
            position += 1
    return "".join(out) if changed else None
