"""The accuracy gate on tests/data/eval.yaml, the eval set's own honesty, and the README."""

from __future__ import annotations

import argparse
import re
from collections import Counter

import pytest

from dnws_bot.cli import build_parser
from dnws_bot.engine import Engine
from dnws_bot.engine.evaluation import Case, Report, evaluate, format_report, load_cases
from dnws_bot.engine.language import detect_language
from dnws_bot.engine.normalize import normalize
from engine_fixtures import EVAL_FILE, README, load_engine, required_intent_ids

MIN_TOP1_PER_LANG = 0.95
MIN_OOS_REJECTION = 0.90
MAX_CONFIDENTLY_WRONG = 0.02
MIN_TOP3 = 0.99
MIN_FOLLOWUPS, MIN_FOLLOWUP_ANSWERED = 40, 0.90
MIN_CASES, MIN_OOS = 350, 60
MIN_PER_INTENT = {"ja": 5, "en": 4}


@pytest.fixture(scope="session")
def engine() -> Engine:
    return load_engine()


@pytest.fixture(scope="session")
def cases() -> list[Case]:
    return load_cases(EVAL_FILE)


@pytest.fixture(scope="session")
def report(engine: Engine, cases: list[Case]) -> Report:
    # Same call as `dnws-bot eval`: each case with the previous answer's intent, if it has one.
    return evaluate(cases, lambda question, previous: engine.match(question, None, previous))


@pytest.fixture(scope="session")
def details(report: Report) -> str:
    """The `dnws-bot eval` table with misses, shown when a gate fails."""
    return format_report(report, show_misses=40)


# --- the gate -------------------------------------------------------------------------------


def test_two_turn_follow_ups_are_answered(report: Report, cases: list[Case], details: str) -> None:
    """At least 40 two-turn cases, and 90% of them get a confident answer with the right intent."""
    assert sum(1 for case in cases if case.context) >= MIN_FOLLOWUPS
    tally = report.by_style["followup"]
    assert tally.rate(tally.answered) >= MIN_FOLLOWUP_ANSWERED, details


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_top1_accuracy_per_language(report: Report, details: str, lang: str) -> None:
    """The right intent ranks first for at least 95% of in-scope questions in each language."""
    tally = report.by_lang[lang]
    assert tally.total > 0
    assert tally.rate(tally.top1) >= MIN_TOP1_PER_LANG, details


def test_out_of_scope_rejection(report: Report, details: str) -> None:
    """At least 90% of out-of-scope questions get no confident answer."""
    assert report.oos_total > 0
    assert report.rejection >= MIN_OOS_REJECTION, details


def test_confidently_wrong_is_rare(report: Report, details: str) -> None:
    """At most 2% of in-scope questions get a confident answer with the wrong intent."""
    in_scope = report.in_scope
    assert in_scope.rate(in_scope.wrong) <= MAX_CONFIDENTLY_WRONG, details


def test_top3_accuracy(report: Report, details: str) -> None:
    """The right intent is among the first three candidates for at least 99% of questions."""
    in_scope = report.in_scope
    assert in_scope.rate(in_scope.top3) >= MIN_TOP3, details


# --- the eval set is honest -------------------------------------------------------------------


def test_eval_set_is_large_enough(cases: list[Case]) -> None:
    """The eval set holds at least 350 questions."""
    assert len(cases) >= MIN_CASES


def test_eval_set_has_enough_out_of_scope_questions(cases: list[Case]) -> None:
    """At least 60 eval questions are out of scope."""
    assert sum(case.intent is None for case in cases) >= MIN_OOS


@pytest.mark.parametrize("intent_id", required_intent_ids())
def test_eval_set_covers_each_required_intent(cases: list[Case], intent_id: str) -> None:
    """Each required intent has at least 5 Japanese and 4 English eval questions."""
    counts = Counter(case.lang for case in cases if case.intent == intent_id)
    assert counts["ja"] >= MIN_PER_INTENT["ja"]
    assert counts["en"] >= MIN_PER_INTENT["en"]


def test_eval_intents_exist(engine: Engine, cases: list[Case]) -> None:
    """Every intent the eval set expects is in the catalogue."""
    unknown = {case.intent for case in cases if case.intent is not None} - set(
        engine.catalogue.by_id
    )
    assert unknown == set()


def test_eval_languages_match_the_script(cases: list[Case]) -> None:
    """Each eval question is labelled with the language its script implies."""
    mislabelled = [case.question for case in cases if case.lang != detect_language(case.question)]
    assert mislabelled == []


def test_no_eval_question_copies_a_paraphrase(engine: Engine, cases: list[Case]) -> None:
    """No eval question equals a catalogue paraphrase after normalisation (no copying)."""
    paraphrases = {
        normalize(p): intent.id
        for intent in engine.catalogue.intents
        for lang in ("ja", "en")
        for p in intent.paraphrases[lang]
    }
    copied = [
        f"{case.question!r} = paraphrase of {paraphrases[normalize(case.question)]}"
        for case in cases
        if normalize(case.question) in paraphrases
    ]
    assert copied == [], "\n".join(copied)


# --- the README documents the CLI -----------------------------------------------------------


def subcommands() -> list[str]:
    actions = [a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction)]
    return sorted(name for action in actions for name in action.choices)


def test_cli_has_subcommands() -> None:
    """The parser exposes the documented subcommands (guards the README check below)."""
    assert {"ask", "chat", "validate", "eval", "run"} <= set(subcommands())


@pytest.mark.parametrize("name", subcommands())
def test_readme_documents_every_subcommand(name: str) -> None:
    """Every `dnws-bot` subcommand is shown in README.md."""
    if not README.exists():
        pytest.skip("README.md does not exist yet")
    text = README.read_text(encoding="utf-8")
    assert re.search(rf"dnws-bot\b[^\n]*\b{re.escape(name)}\b", text), f"dnws-bot {name}"
