"""What the article does not cover (not_covered.yaml) and follow-ups that answer the follow-up."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from dnws_bot.engine import Engine, normalize
from dnws_bot.engine.loader_support import NOT_COVERED_FILE
from engine_fixtures import (
    CONTRACT_TYPES,
    copy_intents,
    edit,
    line_of,
    load_engine,
    load_problems,
    run_cli,
)


@pytest.fixture(scope="module")
def engine() -> Engine:
    return load_engine()


# --- not covered ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("question", "topic"),
    [
        ("北朝鮮のICBMの射程は?", "missile_range"),
        ("how many warheads does pakistan have", "weapon_count"),
        ("きむじょんうん の ねんれい は", "kim_family"),
        ("is the korean war over", "korean_war"),
        ("日本も核武装すべきという議論はある?", "other_nuclear_debates"),
    ],
)
def test_a_question_about_an_uncovered_topic_is_not_answered(
    engine: Engine, question: str, topic: str
) -> None:
    """A question whose focus is a not-covered topic gets "none" with that topic, never an answer."""
    result = engine.match(question)
    assert (result.status, result.reason, result.topic) == ("none", "not_covered", topic)


@pytest.mark.parametrize(
    "question", ["ICBMとは", "what is an icbm", "北朝鮮の核実験と再突入", "how many requirements"]
)
def test_an_article_concept_alone_is_not_a_focus(engine: Engine, question: str) -> None:
    """ICBM, nuclear tests or "how many" alone do not make a question not-covered."""
    assert engine.match(question).reason is None


def test_not_covered_reply_names_the_topic_and_offers_the_nearest(engine: Engine) -> None:
    """The reply says the article does not cover the topic, in the asker's language, with buttons."""
    topic = next(t for t in engine.catalogue.not_covered if t.id == "missile_range")
    for question, lang in (("北朝鮮のミサイルの射程は?", "ja"), ("max range of nk missiles", "en")):
        reply = engine.answer(question)
        assert (reply.kind, reply.lang, reply.reason, reply.topic) == (
            "none",
            lang,
            "not_covered",
            "missile_range",
        )
        assert topic.name.get(lang) in reply.text
        assert [b.intent_id for b in reply.buttons] == list(topic.nearest)
        assert reply.suggestions == topic.nearest


def test_ask_json_adds_reason_and_topic_only_when_not_covered() -> None:
    """`ask --json` keeps status none and adds reason and topic; other replies keep the contract."""
    result = run_cli(["ask", "--json", "-"], stdin="北朝鮮の核弾頭は何発?\nDNWSとは\n".encode())
    assert result.returncode == 0, result.stderr.decode()
    import json

    uncovered, answered = (json.loads(line) for line in result.stdout.decode().splitlines())
    assert set(uncovered) == set(CONTRACT_TYPES) | {"reason", "topic"}
    assert (uncovered["status"], uncovered["reason"], uncovered["topic"]) == (
        "none",
        "not_covered",
        "weapon_count",
    )
    assert set(answered) == set(CONTRACT_TYPES)


def test_no_catalogue_paraphrase_is_caught_as_not_covered(engine: Engine) -> None:
    """None of the catalogue's own paraphrases has a not-covered focus."""
    caught = [
        p
        for intent in engine.catalogue.intents
        for lang in ("ja", "en")
        for p in intent.paraphrases[lang]
        if engine.match(p).reason == "not_covered"
    ]
    assert caught == []


def test_focus_agrees_with_testing_each_topic_in_turn(engine: Engine) -> None:
    """The indexed focus finds the same topic as testing every topic's forms and combos in order."""
    scope = engine.scope
    forms = sorted({f for t in scope.topics for f in t.forms})
    combos = [" ".join(g[0] for g in c) for t in scope.topics for c in t.combos]
    texts = [
        "北朝鮮のICBMの射程は?",
        "how many warheads does pakistan have",
        "is the korean war over",
        "ICBMとは",
        "xrange of icbms",
        "max range of nk missiles",
    ]
    texts += [f"x{form}y" for form in forms] + [f"{form}の話" for form in forms] + combos
    texts += [f"what about {a} and {b}" for a, b in zip(forms, reversed(forms), strict=True)]

    def in_turn(norm: str) -> str | None:
        hits = (t.id for t in scope.topics if norm and scope.hit(t, norm) is not None)
        return next(hits, None)

    found = [(text, getattr(scope.focus(normalize(text)), "id", None)) for text in texts]
    assert found == [(text, in_turn(normalize(text))) for text in texts]
    assert sum(topic is not None for _, topic in found) > len(forms)


def test_not_covered_nearest_must_exist(tmp_path: Path) -> None:
    """A topic offering an intent that does not exist is reported with its file and line."""
    directory = copy_intents(tmp_path)
    path = directory / NOT_COVERED_FILE
    edit(path, "nearest: [meta.great_powers]", "nearest: [meta.nowhere]")
    problems = load_problems(directory)
    line = line_of(path, "id: elections_leaders")
    assert any(
        p.file == NOT_COVERED_FILE and p.line == line and "meta.nowhere" in p.message
        for p in problems
    ), problems


def test_not_covered_form_catching_a_paraphrase_fails_validate(tmp_path: Path) -> None:
    """A form that would catch one of the catalogue's paraphrases fails `validate` (exit 2), the
    problem located at the topic's line in not_covered.yaml."""
    directory = copy_intents(tmp_path)
    path = directory / NOT_COVERED_FILE
    edit(path, "forms: [イラン,", "forms: [NPT, イラン,")
    result = run_cli(["--intents", str(directory), "validate"])
    err = result.stderr.decode("utf-8")
    assert result.returncode == 2, err
    topic_line = line_of(path, "id: iran")
    pattern = rf"^{NOT_COVERED_FILE}:{topic_line}: \[iran\] form 'npt' catches paraphrase "
    assert re.search(pattern, err, re.M | re.I), err


# --- follow-ups -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("previous", "question", "expected"),
    [
        ("strategy.goals", "why?", "obstacles.overview"),
        ("strategy.goals", "なぜ?", "obstacles.overview"),
        ("obstacles.survivability", "どうして?", "glossary.reentry"),
        ("definition.dnws", "例は?", "definition.examples"),
        ("definition.examples", "example?", "case.india"),
    ],
)
def test_why_and_example_go_where_the_intent_says(
    engine: Engine, previous: str, question: str, expected: str
) -> None:
    """ "why?" and "example?" after an answer go to that intent's followups target."""
    assert engine.catalogue.by_id[previous].followups
    result = engine.match(question, None, previous)
    assert (result.status, result.intent_id) == ("answer", expected)


@pytest.mark.parametrize(
    ("previous", "question"),
    [("strategy.difference", "why?"), ("glossary.npt", "例は?"), ("case.pakistan", "なんで?")],
)
def test_a_follow_up_the_article_has_no_answer_for_says_so(
    engine: Engine, previous: str, question: str
) -> None:
    """Without a target, the reply says the article gives no more and offers related topics."""
    reply = engine.answer(question, previous=previous)
    related = engine.catalogue.by_id[previous].related
    assert (reply.kind, reply.reason, reply.intent_id) == ("none", "no_followup", None)
    assert engine.text("no_followup").get(reply.lang) in reply.text
    assert [b.intent_id for b in reply.buttons] == list(related[:3])


def test_entity_swaps_still_work(engine: Engine) -> None:
    """ "and pakistan?" after India's case still answers Pakistan's case."""
    result = engine.match("and pakistan?", None, "case.india")
    assert (result.status, result.intent_id) == ("answer", "case.pakistan")


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("{why: glossary.nowhere}", "does not exist"),
        ("{why: glossary.npt}", "cannot follow up to itself"),
        ("{because: glossary.p5}", "only why and example"),
    ],
)
def test_followups_are_validated(tmp_path: Path, value: str, message: str) -> None:
    """followups name existing intents other than the intent itself, under why/example only."""
    directory = copy_intents(tmp_path)
    path = directory / "glossary.yaml"
    edit(path, "  - id: glossary.npt\n", f"  - id: glossary.npt\n    followups: {value}\n")
    problems = load_problems(directory)
    assert any(p.intent_id == "glossary.npt" and message in p.message for p in problems), problems
