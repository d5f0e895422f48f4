"""The accuracy gate on tests/data/eval.yaml, the eval set's own honesty, and the README.

Issue 8's gates are named constants below. Where today's engine does not reach the issue's target
yet, the constant holds what it does pass (rounded down) with the target beside it.
"""

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
from engine_fixtures import EVAL_FILE, README, REPO, load_engine, required_intent_ids

TUNE_FILE = REPO / "tests" / "data" / "tune.yaml"

# Answered with the right intent, per language (in-scope questions, two-turn ones included).
MIN_ANSWERED = {
    "ja": 0.95,  # issue 8 target: 0.95 (reached with the reading layer: 95.7%)
    "en": 0.95,  # issue 8 target: 0.95 (reached with casual-English aliases and stopwords: 95.3%)
}
MIN_OOS_REJECTION = 0.95  # issue 8 target: 0.95 (out of scope, not near-domain)
MIN_NEAR_DOMAIN_REJECTION = 0.90  # issue 8 target: 0.90 (cases with a `topic`)
MAX_CONFIDENTLY_WRONG = 0.015  # issue 8 target: 0.015
MIN_TWO_TURN = 0.95  # issue 8 target: 0.95 (the target, or no answer where the article has none)
MIN_TOP1_PER_LANG = 0.95
MIN_TOP3 = 0.98
MIN_FOLLOWUPS = 40
MIN_CASES, MIN_OOS, MIN_NEAR_DOMAIN = 350, 60, 60
MIN_PER_INTENT = {"ja": 5, "en": 4}
# Issue 8: fresh questions in the styles the old set under-represented, and near-domain ones.
NEW_STYLES = {
    "ja": ({"ime", "hiragana_spaced", "katakana_slip", "polite_long"}, 100),
    "en": ({"en_long", "en_typo", "en_casual"}, 40),
}


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


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_answered_right_per_language(report: Report, details: str, lang: str) -> None:
    """In each language, in-scope questions get a confident answer with the right intent."""
    tally = report.by_lang[lang]
    assert tally.total > 0
    assert tally.rate(tally.answered) >= MIN_ANSWERED[lang], details


def test_two_turn_follow_ups_are_answered(report: Report, cases: list[Case], details: str) -> None:
    """Two-turn cases get their target, or no answer where the article gives no more."""
    assert sum(1 for case in cases if case.context) >= MIN_FOLLOWUPS
    tally = report.two_turns
    assert tally.rate(tally.answered) >= MIN_TWO_TURN, details


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_top1_accuracy_per_language(report: Report, details: str, lang: str) -> None:
    """The right intent ranks first for at least 95% of in-scope questions in each language."""
    tally = report.by_lang[lang]
    assert tally.total > 0
    assert tally.rate(tally.top1) >= MIN_TOP1_PER_LANG, details


def test_out_of_scope_rejection(report: Report, details: str) -> None:
    """Out-of-scope questions (not near-domain) get no confident answer."""
    assert report.out_of_scope.total > 0
    assert report.out_of_scope.rate >= MIN_OOS_REJECTION, details


def test_near_domain_rejection(report: Report, details: str) -> None:
    """Near-domain questions the article does not answer get no confident answer."""
    assert report.near_domain.total > 0
    assert report.near_domain.rate >= MIN_NEAR_DOMAIN_REJECTION, details


def test_confidently_wrong_is_rare(report: Report, details: str) -> None:
    """At most 1.5% of in-scope questions get a confident answer with the wrong intent."""
    in_scope = report.in_scope
    assert in_scope.rate(in_scope.wrong) <= MAX_CONFIDENTLY_WRONG, details


def test_top3_accuracy(report: Report, details: str) -> None:
    """The right intent is among the first three candidates for nearly every question."""
    in_scope = report.in_scope
    assert in_scope.rate(in_scope.top3) >= MIN_TOP3, details


# --- the eval set is honest -------------------------------------------------------------------


def test_eval_set_is_large_enough(cases: list[Case]) -> None:
    """The eval set holds at least 350 questions."""
    assert len(cases) >= MIN_CASES


def test_eval_set_has_enough_out_of_scope_questions(cases: list[Case]) -> None:
    """At least 60 eval questions are out of scope, and 60 more near-domain."""
    assert sum(case.intent is None and case.topic is None for case in cases) >= MIN_OOS
    assert sum(case.topic is not None for case in cases) >= MIN_NEAR_DOMAIN


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_eval_set_covers_the_styles_people_type(cases: list[Case], lang: str) -> None:
    """The eval set holds enough questions in the issue-8 styles and near-domain ones, per language."""
    styles, minimum = NEW_STYLES[lang]
    assert sum(case.lang == lang and case.style in styles for case in cases) >= minimum
    assert sum(case.lang == lang and case.topic is not None for case in cases) >= 30


def test_near_domain_topics_and_reasons_are_known(engine: Engine, cases: list[Case]) -> None:
    """Each case's `topic` is a not_covered.yaml topic; `reason: no_followup` needs a context."""
    topics = {topic.id for topic in engine.catalogue.not_covered}
    assert {case.topic for case in cases if case.topic} <= topics
    assert all(case.context for case in cases if case.reason == "no_followup")
    assert {case.reason for case in cases} <= {None, "no_followup"}


def test_eval_and_tune_sets_are_disjoint(cases: list[Case]) -> None:
    """No question (with its previous answer, for follow-ups) is in both eval.yaml and tune.yaml."""
    tune = {(normalize(c.question), c.context) for c in load_cases(TUNE_FILE)}
    shared = [c.question for c in cases if (normalize(c.question), c.context) in tune]
    assert shared == []


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
