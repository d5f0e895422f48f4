"""Calibrate MatchSettings on tests/data/tune.yaml and tune_new.yaml (never on the eval files,
which are reported).

Scores do not depend on thresholds, so each weight setting is scored once and every threshold
combination is replayed on the cached rankings. The objective is the share of in-scope questions
answered correctly, subject to <= 1.5% confidently wrong and >= 93% out-of-scope rejected
(stricter than the gate, to leave room for questions we have not seen).

The replay models only the thresholds: not the repair pass, the sibling rule or the off-topic
and small-talk rules of `Matcher.match`. So each of the best settings is then checked with the
real `Matcher.match`, and both figures are printed; choose on the checked ones.

    .venv/bin/python -m bench.tune [--quick]
"""

from __future__ import annotations

import argparse
import itertools
from pathlib import Path

from dnws_bot.engine import Engine, MatchSettings
from dnws_bot.engine.evaluation import Case, load_cases
from dnws_bot.engine.matching import Candidate, Matcher
from dnws_bot.engine.record import replace

DATA = Path(__file__).resolve().parent.parent / "tests" / "data"
TUNE = [DATA / "tune.yaml", DATA / "tune_new.yaml"]  # tune_new.yaml until it is merged in


def outcome(ranked: list[Candidate], s: MatchSettings) -> tuple[str, str | None]:
    top = ranked[:3]
    if not top or top[0].score < s.suggest_threshold:
        return "none", None
    second = top[1].score if len(top) > 1 else 0.0
    if top[0].score >= s.answer_threshold and (
        top[0].score - second >= s.margin or top[0].score >= s.sure_threshold
    ):
        return "answer", top[0].intent_id
    return "suggest", None


def score_thresholds(
    rankings: list[tuple[Case, list[Candidate]]], s: MatchSettings
) -> tuple[float, float, float]:
    answered = wrong = inscope = oos = rejected = 0
    for case, ranked in rankings:
        status, intent = outcome(ranked, s) if ranked is not OUT else ("none", None)
        if case.intent is None:
            oos += 1
            rejected += status != "answer"
        else:
            inscope += 1
            answered += status == "answer" and intent == case.intent
            wrong += status == "answer" and intent != case.intent
    return answered / inscope, wrong / inscope, rejected / oos


MAX_WRONG, MIN_REJECTED = 0.015, 0.93
OUT: list[Candidate] = []  # the scope check (not_covered.yaml) rejects the question


def best_thresholds(
    rankings: list[tuple[Case, list[Candidate]]], base: MatchSettings
) -> tuple[float, MatchSettings, tuple[float, float, float]]:
    best: tuple[float, MatchSettings, tuple[float, float, float]] = (-1.0, base, (0, 0, 0))
    for answer_t, margin, sure in itertools.product(
        [x / 100 for x in range(20, 62, 2)],
        [0.0, 0.02, 0.04, 0.06, 0.08, 0.10, 0.14],
        [0.5, 0.6, 0.7, 0.8, 1.01],
    ):
        s = replace(
            base,
            answer_threshold=answer_t,
            margin=margin,
            sure_threshold=sure,
            suggest_threshold=min(base.suggest_threshold, answer_t),
        )
        acc, wrong, rej = score_thresholds(rankings, s)
        if wrong <= MAX_WRONG and rej >= MIN_REJECTED and acc > best[0]:
            best = (acc, s, (acc, wrong, rej))
    return best


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="thresholds only, current weights")
    args = parser.parse_args()
    cases = [c for path in TUNE if path.exists() for c in load_cases(path) if c.context is None]
    engine = Engine.load()
    catalogue = engine.catalogue
    scope = getattr(engine, "scope", None)
    covered = [
        scope is None or scope.focus(engine.matcher.question(c.question).norm) is None
        for c in cases
    ]
    base = MatchSettings()
    training = (
        [(base.nb_alpha, base.nb_gram_weight)]
        if args.quick
        else list(itertools.product([0.05, 0.1, 0.2], [0.3, 0.5, 0.8]))
    )
    query_time = (
        [base]
        if args.quick
        else [
            replace(base, nb_temperature=t, nb_weight=w, coverage_power=p)
            for t, w, p in itertools.product([2.0, 3.0, 5.0, 8.0], [0.3, 0.5, 0.7], [1.0, 2.0])
        ]
    )
    results = []
    for alpha, gram_weight in training:
        matcher = Matcher(catalogue, replace(base, nb_alpha=alpha, nb_gram_weight=gram_weight))
        for settings in query_time:
            settings = replace(settings, nb_alpha=alpha, nb_gram_weight=gram_weight)
            matcher.settings = settings
            rankings = [
                (case, matcher.scores(case.question) if ok else OUT)
                for case, ok in zip(cases, covered, strict=True)
            ]
            results.append(best_thresholds(rankings, settings))
    results.sort(key=lambda r: r[0], reverse=True)
    for _, s, (a, w, r) in results[:5]:
        real_a, real_w, real_r = checked(Matcher(catalogue, s), cases, covered)
        print(
            f"replayed: answered {a:.1%} wrong {w:.1%} oos-rejected {r:.1%}; "
            f"Matcher.match: {real_a:.1%} / {real_w:.1%} / {real_r:.1%}  {s}"
        )


def checked(matcher: Matcher, cases: list[Case], covered: list[bool]) -> tuple[float, float, float]:
    """(answered, wrong, out-of-scope rejected) with the whole decision of `Matcher.match`."""
    answered = wrong = inscope = oos = rejected = 0
    for case, ok in zip(cases, covered, strict=True):
        intent = matcher.match(case.question).intent_id if ok else None
        if case.intent is None:
            oos += 1
            rejected += intent is None
        else:
            inscope += 1
            answered += intent == case.intent
            wrong += intent is not None and intent != case.intent
    return answered / inscope, wrong / inscope, rejected / oos


if __name__ == "__main__":
    main()
