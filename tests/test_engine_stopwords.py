"""The English stopwords in intents/stopwords.yaml: validated like content, used by the matcher."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dnws_bot.engine import Engine
from engine_fixtures import copy_intents, edit, load_engine, load_problems


@pytest.fixture
def stopwords(tmp_path: Path) -> Path:
    """stopwords.yaml inside an editable copy of the shipped intents/ directory."""
    return copy_intents(tmp_path) / "stopwords.yaml"


def messages(directory: Path) -> list[str]:
    return [p.message for p in load_problems(directory) if p.file == "stopwords.yaml"]


def test_shipped_stopwords_reach_the_catalogue() -> None:
    """Common English words are in the catalogue's stopword set; topic words are not."""
    stop = load_engine().catalogue.stopwords
    assert {"the", "what", "please"} <= stop
    assert not {"sanctions", "nuclear", "korea"} & stop


@pytest.mark.parametrize(
    ("word", "message"),
    [
        ("The", "'The' must be one lowercase word"),
        ("it's", '"it\'s" must be one lowercase word'),
        ("two words", "'two words' must be one lowercase word"),
        ("the", "'the' is listed twice"),
    ],
)
def test_bad_stopword_is_reported(stopwords: Path, word: str, message: str) -> None:
    """A stopword not in comparison form, or listed twice, is reported."""
    edit(stopwords, "en: [\n", f"en: [\n    {json.dumps(word)},\n")
    assert any(message in m for m in messages(stopwords.parent)), messages(stopwords.parent)


def test_missing_stopwords_file_is_reported(stopwords: Path) -> None:
    """The matcher needs the list: a catalogue without stopwords.yaml does not load."""
    stopwords.unlink()
    assert any("stopwords.yaml must exist" in m for m in messages(stopwords.parent))


def test_the_matcher_ignores_exactly_the_listed_words(stopwords: Path) -> None:
    """A word taken off the list becomes a scored n-gram of the question."""

    def grams(engine: Engine) -> frozenset[str]:
        return engine.matcher.analyse("the stuff about sanctions").grams

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DNWS_NO_CACHE", "1")
        assert "stuff" not in grams(Engine.load(stopwords.parent))
        edit(stopwords, " stuff,", "")
        assert "stuff" in grams(Engine.load(stopwords.parent))
