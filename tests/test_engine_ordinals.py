"""Numbered lists: readers name a requirement, obstacle or principle by its position."""

from __future__ import annotations

from pathlib import Path

import pytest

from dnws_bot.engine import Engine
from engine_fixtures import copy_intents, edit, load_problems


@pytest.mark.parametrize(
    ("question", "intent"),
    [
        ("北朝鮮の第二の課題は何ですか", "obstacles.sanctions"),
        ("3つ目の課題", "obstacles.recognition"),
        ("ふたつめのしょうがい", "obstacles.sanctions"),
        ("the 2nd obstacle", "obstacles.sanctions"),
        ("4つ目の条件", "requirements.diplomatic_recognition"),
        ("second requirement for a de facto nuclear state", "requirements.second_strike"),
        ("1番目の要件は何", "requirements.delivery_systems"),
        ("米韓の第三原則", "response.deterrence"),
        ("first principle of the response", "response.denuclearization"),
    ],
)
def test_a_position_names_that_part_of_the_list(
    shared_engine: Engine, question: str, intent: str
) -> None:
    """ "The second obstacle" is the second part of obstacles.overview, not the overview itself."""
    result = shared_engine.match(question)
    assert (result.status, result.intent_id) == ("answer", intent)


@pytest.mark.parametrize(
    ("previous", "question", "intent"),
    [
        ("obstacles.overview", "2つ目は?", "obstacles.sanctions"),
        ("obstacles.sanctions", "3つ目は", "obstacles.recognition"),
        ("requirements.overview", "and the third?", "requirements.sanctions_endurance"),
        ("response.deterrence", "first one?", "response.denuclearization"),
    ],
)
def test_a_short_follow_up_counts_in_the_previous_list(
    shared_engine: Engine, previous: str, question: str, intent: str
) -> None:
    """After an answer from a numbered list, "2つ目は?" means that list's second part."""
    result = shared_engine.match(question, previous=previous)
    assert (result.status, result.intent_id) == ("answer", intent)


def test_without_a_list_word_or_list_context_an_ordinal_changes_nothing(
    shared_engine: Engine,
) -> None:
    """ "first, what is dnws" uses "first" as a word of speech, not a position in a list."""
    question = "first, what is dnws"
    assert shared_engine.match(question) == shared_engine.matcher.match(question)
    after_definition = shared_engine.match("2つ目は?", previous="definition.dnws")
    assert after_definition.intent_id not in {"obstacles.sanctions", "response.deny_recognition"}


@pytest.mark.parametrize(
    ("question", "intent"),
    [
        ("first of all, what is a dnws?", "definition.dnws"),
        ("まず最初に、DNWSって何?", "definition.dnws"),
    ],
)
def test_first_as_a_word_of_speech_does_not_pull_the_first_part(
    shared_engine: Engine, question: str, intent: str
) -> None:
    """Ordinals are not scored as topic words, so "first of all" does not mean the first part."""
    assert shared_engine.match(question).intent_id == intent


def test_two_positions_at_once_are_left_to_the_matcher(shared_engine: Engine) -> None:
    """ "the first and second obstacles" names two parts, so no position picks one of them."""
    question = "the first and second obstacles"
    assert shared_engine.match(question) == shared_engine.matcher.match(question)
    assert shared_engine.match("the second obstacle").candidates[0].score == 1.0  # the rule's mark


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("  obstacles.overview: [obstacle]", "  obstacles.overview: [hurdle_word]", "hurdle_word"),
        ("  obstacles.overview: [obstacle]", "  meta.great_powers: [obstacle]", "2+ parts"),
    ],
)
def test_a_numbered_list_must_name_known_concepts_and_a_list(
    tmp_path: Path, old: str, new: str, message: str
) -> None:
    """validate refuses a numbered list naming an unknown concept or an entry without parts."""
    directory = copy_intents(tmp_path)
    edit(directory / "sections.yaml", old, new)
    problems = load_problems(directory)
    assert any(p.file == "sections.yaml" and message in p.message for p in problems), problems
