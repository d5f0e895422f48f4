"""Score the engine on a question set (tests/data/*.yaml): the numbers behind the accuracy gate.

Definitions used everywhere (tests, `dnws-bot eval`, the benchmark):
- top-1: the best-ranked intent is the expected one (whatever the status);
- answered: status "answer" with the expected intent — what a user actually receives;
- confidently wrong: status "answer" with another intent (in-scope questions);
- top-3: the expected intent is among the first three candidates;
- rejection: a question that must not be answered did not get a confident answer (status
  "suggest" or "none"); `none` counts the stricter "none" only. Plain out-of-scope questions,
  near-domain ones (cases with a `topic`: intents/not_covered.yaml should catch them, counted as
  `flagged`) and two-turn cases are reported apart;
- two-turn right: a follow-up (`context`) answered with the expected intent, or, when the article
  has no answer to it (`intent: null, reason: no_followup`), not answered.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, TypeVar

import yaml

from .language import Lang
from .matching import MatchResult


@dataclass(frozen=True)
class Case:
    """One question with the intent a person would expect (None: out of scope)."""

    question: str
    lang: Lang
    intent: str | None
    style: str
    context: str | None = None  # the previous answer's intent, for two-turn follow-ups
    topic: str | None = None  # near-domain: the not-covered topic (intents/not_covered.yaml)
    reason: str | None = None  # why there is no answer (no_followup), when there is none


@dataclass
class Tally:
    total: int = 0
    top1: int = 0
    answered: int = 0
    wrong: int = 0
    top3: int = 0

    def rate(self, count: int) -> float:
        return count / self.total if self.total else 0.0


@dataclass
class Rejections:
    """Questions that must not get a confident answer: how many did not."""

    total: int = 0
    rejected: int = 0
    none: int = 0  # the stricter status "none"
    flagged: int = 0  # with the expected reason (not_covered / no_followup)

    @property
    def rate(self) -> float:
        return self.rejected / self.total if self.total else 1.0


Counts = TypeVar("Counts", Tally, Rejections)


def _sum(kind: type[Counts], parts: Iterable[Counts]) -> Counts:
    """Field-by-field sum of counters (per-language tallies into one overall figure)."""
    total = kind()
    for part in parts:
        for item in fields(kind):
            setattr(total, item.name, getattr(total, item.name) + getattr(part, item.name))
    return total


@dataclass
class Report:
    """Accuracy by language and style, rejections (plain, near-domain), two-turn cases."""

    by_lang: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    by_style: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    by_style_lang: dict[tuple[str, str], Tally] = field(default_factory=lambda: defaultdict(Tally))
    oos: dict[str, Rejections] = field(default_factory=lambda: defaultdict(Rejections))
    near: dict[str, Rejections] = field(default_factory=lambda: defaultdict(Rejections))
    near_missed_topics: Counter[str] = field(default_factory=Counter)
    two_turn: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    confusions: Counter[tuple[str, str]] = field(default_factory=Counter)
    misses: list[tuple[Case, MatchResult]] = field(default_factory=list)

    @property
    def in_scope(self) -> Tally:
        return _sum(Tally, self.by_lang.values())

    @property
    def out_of_scope(self) -> Rejections:
        """Plain out-of-scope questions (not near-domain, not two-turn)."""
        return _sum(Rejections, self.oos.values())

    @property
    def near_domain(self) -> Rejections:
        """Near-domain questions (cases with a `topic`)."""
        return _sum(Rejections, self.near.values())

    @property
    def two_turns(self) -> Tally:
        """Two-turn cases: `answered` counts the right outcome (the target, or no answer)."""
        return _sum(Tally, self.two_turn.values())

    @property
    def rejection(self) -> float:
        return self.out_of_scope.rate


def load_cases(path: Path) -> list[Case]:
    """Read a question set; raises ValueError with the reason when the file is malformed."""
    data: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict) or not isinstance(data.get("cases"), list):
        raise ValueError(f"{path}: expected a map with a `cases:` list")
    cases = []
    for number, raw in enumerate(data["cases"], 1):
        if not isinstance(raw, dict) or not isinstance(raw.get("q"), str):
            raise ValueError(f"{path}: case {number} needs a string `q`")
        lang = raw.get("lang")
        if lang not in ("ja", "en"):
            raise ValueError(f"{path}: case {number} needs lang ja or en")
        context = raw.get("context")
        style = str(raw.get("style", "followup" if context else "-"))
        topic, reason = raw.get("topic"), raw.get("reason")
        if raw.get("intent") is not None and (topic or reason):
            raise ValueError(f"{path}: case {number} has an intent, so no topic or reason")
        cases.append(Case(raw["q"], lang, raw.get("intent"), style, context, topic, reason))
    return cases


def _reject(part: Rejections, result: MatchResult, reason: str | None) -> bool:
    rejected = result.status != "answer"
    part.total += 1
    part.rejected += rejected
    part.none += result.status == "none"
    part.flagged += reason is not None and result.reason == reason
    return rejected


def evaluate(cases: Iterable[Case], match: Callable[[str, str | None], MatchResult]) -> Report:
    """Run every case through `match(question, previous_intent)` and tally the outcome."""
    report = Report()
    for case in cases:
        result = match(case.question, case.context)
        ranked = [c.intent_id for c in result.candidates]
        if case.intent is None:
            if case.topic is not None:
                rejected = _reject(report.near[case.lang], result, "not_covered")
                if not rejected:
                    report.near_missed_topics[case.topic] += 1
            elif case.context:
                rejected = result.status != "answer"
                tally = report.two_turn[case.lang]
                tally.total += 1
                tally.answered += rejected
                tally.wrong += not rejected
            else:
                rejected = _reject(report.oos[case.lang], result, case.reason)
            if not rejected:
                report.misses.append((case, result))
            continue
        top1 = bool(ranked) and ranked[0] == case.intent
        answered = result.status == "answer" and top1
        wrong = result.status == "answer" and not top1
        tallies = [
            report.by_lang[case.lang],
            report.by_style[case.style],
            report.by_style_lang[(case.style, case.lang)],
        ]
        if case.context:
            tallies.append(report.two_turn[case.lang])
        for tally in tallies:
            tally.total += 1
            tally.top1 += top1
            tally.answered += answered
            tally.wrong += wrong
            tally.top3 += case.intent in ranked[:3]
        if not answered:
            report.misses.append((case, result))
        if ranked and not top1:
            report.confusions[(case.intent, ranked[0])] += 1
    return report


def _rejections_line(name: str, part: Rejections, flag: str) -> str:
    return (
        f"{name:<13} {part.total:4d}  rejected {part.rate:6.1%}  (no match {part.none}, "
        f"{flag} {part.flagged})"
    )


def format_report(report: Report, show_misses: int = 0) -> str:
    """Human-readable tables for `dnws-bot eval`."""
    lines = ["in-scope      n    top-1  answered  wrong  top-3"]
    rows = sorted(report.by_lang.items())
    for name, tally in [*rows, ("all", report.in_scope)]:
        lines.append(
            f"{name:<10} {tally.total:4d}  {tally.rate(tally.top1):6.1%}  "
            f"{tally.rate(tally.answered):7.1%}  {tally.rate(tally.wrong):5.1%}  "
            f"{tally.rate(tally.top3):6.1%}"
        )
    lines.append("")
    lines.append("style            lang    n  answered  wrong")
    for (style, lang), tally in sorted(report.by_style_lang.items()):
        lines.append(
            f"{style:<16} {lang:<4} {tally.total:4d}  {tally.rate(tally.answered):7.1%}  "
            f"{tally.rate(tally.wrong):5.1%}"
        )
    lines.append("")
    lines.append("must not be answered   n")
    for lang, part in sorted(report.oos.items()):
        lines.append(_rejections_line(f"out-of-scope {lang}", part, "flagged"))
    lines.append(_rejections_line("out-of-scope", report.out_of_scope, "flagged"))
    for lang, part in sorted(report.near.items()):
        lines.append(_rejections_line(f"near-domain {lang}", part, "not_covered"))
    lines.append(_rejections_line("near-domain", report.near_domain, "not_covered"))
    if report.near_missed_topics:
        missed = ", ".join(f"{t} {n}" for t, n in sorted(report.near_missed_topics.items()) if n)
        lines.append(f"  answered anyway, by topic: {missed}")
    lines.append("")
    lines.append("two-turn      n    right  wrong answer")
    for name, tally in [*sorted(report.two_turn.items()), ("all", report.two_turns)]:
        lines.append(
            f"{name:<10} {tally.total:4d}  {tally.rate(tally.answered):6.1%}  "
            f"{tally.rate(tally.wrong):5.1%}"
        )
    if report.confusions:
        lines.append("")
        lines.append("most confused (expected → got):")
        for (expected, got), count in report.confusions.most_common(8):
            lines.append(f"  {count:3d}  {expected} → {got}")
    if show_misses:
        lines.append("")
        lines.append("misses:")
        for case, result in report.misses[:show_misses]:
            top = ", ".join(f"{c.intent_id}:{c.score:.2f}" for c in result.candidates)
            want = case.intent or f"no answer ({case.topic or case.reason or 'out of scope'})"
            context = f" after {case.context}" if case.context else ""
            lines.append(
                f"  [{case.lang}] {case.question!r}{context} want={want} got={result.status} {top}"
            )
    return "\n".join(lines)
