"""Questions next to the article: a country name or one everyday word shared with it does not make
a question about the article (offtopic.py), while short article questions naming a country still
answer."""

from __future__ import annotations

import pytest

from dnws_bot.engine import Engine
from dnws_bot.engine.offtopic import RESCUE_PARAPHRASES, foreign_katakana, rescued
from engine_fixtures import load_engine


@pytest.fixture(scope="session")
def engine() -> Engine:
    return load_engine()


@pytest.mark.parametrize(
    "question",
    [
        "pakistan cricket score today",
        "how do i mail a package to india",
        "israeli street food you have to try",
        "what is a de facto partner in tax law",
        "what does a marketing strategy need",
        "パキスタンのお菓子ってどんなの?",
        "インドカレーとタイカレーの違い",
        "韓国ドラマでおすすめある?",
    ],
)
def test_a_country_or_everyday_word_beside_unknown_content_is_not_answered(
    engine: Engine, question: str
) -> None:
    """A question naming only a country or everyday words beside unknown content gets no answer."""
    assert engine.match(question).status != "answer"


@pytest.mark.parametrize(
    ("question", "intent_id"),
    [
        ("and Pakistan?", "case.pakistan"),
        ("is india a dnws", "case.india"),
        ("インドとパキスタンの違い", "strategy.difference"),
        ("三層戦略の中身", "strategy.three_layers"),
    ],
)
def test_country_questions_about_the_article_still_answer(
    engine: Engine, question: str, intent_id: str
) -> None:
    """A country name alone, or beside the article's subject, still gets its answer."""
    result = engine.match(question)
    assert (result.status, result.intent_id) == ("answer", intent_id)


def test_each_unknown_katakana_word_counts_also_beside_a_name_inside_it(engine: Engine) -> None:
    """インドカレー is a name plus an unknown word; two such words count twice; known names none."""
    matcher = engine.matcher
    concepts, fillers = matcher.analyser.concepts, matcher.analyser.fillers
    text = "\n".join(t for contents in matcher.tables.contents for t in contents)
    assert foreign_katakana("インドカレーとタイカレーの違い", fillers, concepts, text) == 2
    assert foreign_katakana("インドとパキスタンの違い", fillers, concepts, text) == 0


def test_a_rescue_needs_concepts_several_paraphrases_name() -> None:
    """Two concepts and one unknown unit answer only when each is named by enough paraphrases."""
    many = {"strategy": 23, "layer": 14, "requirement": 1}
    assert rescued(frozenset({"strategy", "layer"}), 1, many.__getitem__)
    assert not rescued(frozenset({"strategy", "requirement"}), 1, many.__getitem__)
    assert not rescued(frozenset({"strategy", "layer"}), 2, many.__getitem__)
    assert RESCUE_PARAPHRASES >= 2
