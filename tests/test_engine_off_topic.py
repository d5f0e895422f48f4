"""Questions the article does not answer: small talk beside an unrelated request, and unrelated
questions that share one everyday word with the article (goal, strategy, 要件, 構造)."""

from __future__ import annotations

from pathlib import Path

import pytest

from dnws_bot.engine import Engine
from dnws_bot.engine.offtopic import CHAT
from engine_fixtures import copy_intents, edit, load_engine, load_problems


@pytest.fixture(scope="session")
def engine() -> Engine:
    return load_engine()


@pytest.mark.parametrize(
    "question",
    [
        "thanks, write me a poem",
        "hi, what's the weather in tokyo",
        "ありがとう、ところで今日の天気は?",
        "hello! can you suggest a nice hotel in rome",
        "こんにちは、おすすめのアニメある?",
        "おはよう、パンケーキの焼き方おしえて",
    ],
)
def test_small_talk_beside_an_unrelated_request_is_not_small_talk(
    engine: Engine, question: str
) -> None:
    """A greeting or thanks followed by something the article does not cover gets no answer."""
    assert engine.match(question).status == "none"


@pytest.mark.parametrize(
    ("question", "intent_id"),
    [
        ("hello", "smalltalk.greeting"),
        ("ありがとう", "smalltalk.thanks"),
        ("thank you so much!", "smalltalk.thanks"),
        ("hi, what can you do", "smalltalk.greeting"),
        ("thanks! and what is extended deterrence?", "glossary.extended_deterrence"),
        ("hi, what's a DNWS?", "definition.dnws"),
        ("ありがとう、じゃあ三つの障害は?", "obstacles.overview"),
    ],
)
def test_small_talk_alone_or_beside_an_article_question_is_answered(
    engine: Engine, question: str, intent_id: str
) -> None:
    """Small talk alone gets its reply; small talk before an article question answers the question."""
    result = engine.match(question)
    assert (result.status, result.intent_id) == ("answer", intent_id)


@pytest.mark.parametrize(
    "question",
    [
        "what's the goal of the mcu",
        "what is the best strategy in chess",
        "what's the difference between a virus and bacteria",
        "three layers of the earth's crust?",
        "how does a submarine work",
        "NPO法人の要件は",
        "三層構造の建物って何",
        "ダイエットの目標ってどう決めればいい?",
        "将棋の戦略でおすすめは",
    ],
)
def test_one_everyday_word_shared_with_the_article_is_not_enough(
    engine: Engine, question: str
) -> None:
    """A question naming only everyday words beside unknown content gets no confident answer."""
    assert engine.match(question).status != "answer"


@pytest.mark.parametrize(
    ("question", "intent_id"),
    [
        ("what are the goals?", "strategy.goals"),
        ("what are the four requirements", "requirements.overview"),
        ("三層戦略の中身", "strategy.three_layers"),
        ("北朝鮮の目標は?", "strategy.goals"),
        ("結論をサクッと教えて", "conclusion.summary"),
        ("thanks, that was really useful", "smalltalk.thanks"),
    ],
)
def test_everyday_words_the_catalogue_fully_knows_are_answered(
    engine: Engine, question: str, intent_id: str
) -> None:
    """Everyday words alone still answer when nothing unknown is asked, or when they name the intent."""
    result = engine.match(question)
    assert (result.status, result.intent_id) == ("answer", intent_id)


def test_chat_concepts_exist(engine: Engine) -> None:
    """Every concept id the matcher treats as small talk is a concept of aliases.yaml."""
    assert CHAT - set(engine.catalogue.aliases.concepts) == set()


def test_topical_concepts_come_from_aliases_yaml(engine: Engine) -> None:
    """The article's own subject is listed in aliases.yaml (`topical:`), not in code."""
    topical = engine.catalogue.aliases.topical
    assert {"north_korea", "dnws", "sanctions"} <= topical
    assert not topical & {"goal", "strategy", "difference"}


def test_a_topical_name_that_is_no_concept_is_refused(tmp_path: Path) -> None:
    """validate refuses `topical:` naming a concept aliases.yaml does not define."""
    directory = copy_intents(tmp_path)
    edit(
        directory / "aliases.yaml",
        "  strategic_stability, arms_control",
        "  strategic_stabilty, arms_control",
    )
    problems = load_problems(directory)
    assert any("strategic_stabilty" in p.message and p.file == "aliases.yaml" for p in problems), (
        problems
    )
