"""Interface sentences in intents/texts.yaml: loaded, validated like content, used by replies."""

from __future__ import annotations

from pathlib import Path

import pytest

from dnws_bot.engine import LANG_MODES, Engine, Problem, Text, as_mode
from engine_fixtures import copy_intents, edit, line_of, load_engine, load_problems

SOURCE_EN = "    en: Source\n"
SOURCE_JA = "    ja: 出典\n"


@pytest.fixture
def texts(tmp_path: Path) -> Path:
    """texts.yaml inside an editable copy of the shipped intents/ directory."""
    return copy_intents(tmp_path) / "texts.yaml"


def at(problems: list[Problem], line: int, *words: str) -> bool:
    """True when one texts.yaml problem sits at `line` and its message has every word."""
    return any(
        p.file == "texts.yaml" and p.line == line and all(w in p.message for w in words)
        for p in problems
    )


def load(directory: Path) -> Engine:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DNWS_NO_CACHE", "1")
        return Engine.load(directory)


def test_shipped_texts_are_available_by_key() -> None:
    """engine.text(key) returns the bilingual sentence written in texts.yaml."""
    assert load_engine().text("source_label") == Text("出典", "Source")
    assert load_engine().catalogue.texts["source_label"].get("ja") == "出典"


def test_unknown_text_key_raises() -> None:
    """Asking for a sentence texts.yaml does not define is a KeyError, not an empty string."""
    with pytest.raises(KeyError):
        load_engine().text("no_such_sentence")


def test_text_without_english_is_reported_at_its_line(texts: Path) -> None:
    """A sentence with only Japanese is reported at its file:line as missing its en text."""
    edit(texts, SOURCE_EN, "")
    problems = load_problems(texts.parent)
    assert at(problems, line_of(texts, SOURCE_JA.strip()), "source_label", "missing en"), problems


def test_unknown_language_in_a_text_is_reported(texts: Path) -> None:
    """A third language under a sentence is reported as an unknown language."""
    edit(texts, SOURCE_EN, SOURCE_EN + "    fr: Source\n")
    problems = load_problems(texts.parent)
    assert at(problems, line_of(texts, SOURCE_JA.strip()), "unknown language 'fr'"), problems


def test_unknown_top_level_key_is_reported(texts: Path) -> None:
    """A top-level key other than version and texts is reported."""
    edit(texts, "version: 1\n", "version: 1\nstrings: {}\n")
    problems = load_problems(texts.parent)
    assert any(p.file == "texts.yaml" and "unknown key 'strings'" in p.message for p in problems)


def test_duplicate_text_key_is_reported_at_the_second(texts: Path) -> None:
    """A sentence key written twice is reported at the second occurrence."""
    edit(texts, "  # --- engine ---\n", "  # --- engine ---\n  empty: {ja: 空, en: Empty}\n")
    problems = load_problems(texts.parent)
    second = [n for n, line in enumerate(texts.read_text().splitlines(), 1) if "  empty:" in line]
    assert at(problems, second[1], "duplicate key 'empty'"), problems


def test_sentence_the_engine_needs_is_required(texts: Path) -> None:
    """Deleting a sentence the engine renders is reported by its key."""
    edit(texts, "  source_label:\n" + SOURCE_JA + SOURCE_EN, "")
    problems = load_problems(texts.parent)
    assert any(
        p.file == "texts.yaml" and "'source_label' is missing" in p.message for p in problems
    )


def test_text_key_must_be_snake_case(texts: Path) -> None:
    """A key that is not snake_case is reported (keys are looked up from code)."""
    edit(texts, "  # --- engine ---\n", "  # --- engine ---\n  Bad-Key: {ja: あ, en: a}\n")
    problems = load_problems(texts.parent)
    assert any("'Bad-Key' must be snake_case" in p.message for p in problems), problems


def test_replies_use_the_sentences_from_yaml(texts: Path) -> None:
    """An edited sentence in texts.yaml is what the no-match reply shows."""
    edit(texts, "Pick a topic below or rephrase.", "Choose a topic below.")
    reply = load(texts.parent).answer("zzqx blorp wibble", "en")
    assert reply.kind == "none"
    assert reply.html.endswith("Choose a topic below.")


def test_language_modes_and_their_answer_modes() -> None:
    """The four language choices; only ja, en and both force an answer language."""
    assert LANG_MODES == ("ja", "en", "both", "auto")
    assert [as_mode(m) for m in (*LANG_MODES, "fr", None)] == ["ja", "en", "both", None, None, None]
