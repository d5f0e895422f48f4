"""One-kanji IME slips are read as the catalogue word meant, and real words are left alone."""

from __future__ import annotations

import pytest

from dnws_bot.engine import Engine
from dnws_bot.engine.slips import Shapes


def test_the_one_word_a_kanji_away_is_found_and_two_are_not_guessed() -> None:
    """北朝選 is one kanji from 北朝鮮 only; 結諭 is one kanji from both 結論 and 結局."""
    shapes = Shapes(["北朝鮮", "結論", "結局", "制裁"])
    assert shapes.nearest("北朝選") == ("北朝鮮", 2)
    assert shapes.nearest("結諭") is None
    assert shapes.nearest("北朝鮮") is None  # a known word is no slip


@pytest.mark.parametrize(
    ("question", "intent"),
    [
        ("北朝選の課題", "obstacles.overview"),
        ("運般手段との統合って何", "requirements.delivery_systems"),
    ],
)
def test_a_one_kanji_slip_is_answered_as_the_word_meant(
    shared_engine: Engine, question: str, intent: str
) -> None:
    """A kanji slip the reading layer cannot hear (北朝選, 運般) still reaches its answer."""
    result = shared_engine.match(question)
    assert (result.status, result.intent_id) == ("answer", intent)


@pytest.mark.parametrize(
    "question",
    ["事実上の核保有国に該当する国を教えてください", "運動手段って何", "北朝霞駅への行き方"],
)
def test_real_words_are_not_read_as_slips(shared_engine: Engine, question: str) -> None:
    """該当 and 運動 are words, not slips of 本当 or 運搬: no confident answer is made of them."""
    result = shared_engine.match(question)
    assert result.intent_id not in {"definition.dnws", "requirements.delivery_systems"}
