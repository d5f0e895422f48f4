"""Score the engine on a question set (tests/data/*.yaml): the numbers behind the accuracy gate.

Definitions used everywhere (tests, `dnws-bot eval`, the benchmark):
- top-1: the best-ranked intent is the expected one (whatever the status);
- answered: status "answer" with the expected intent — what a user actually receives;
- confidently wrong: status "answer" with another intent (in-scope questions);
- top-3: the expected intent is among the first three candidates;
- rejection: an out-of-scope question did not get a confident answer (status "suggest" or "none");
  `rejected_none` counts the stricter "none" only.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .catalogue import Catalogue, Intent, Problem
from .language import LANGS, Lang
from .matching import MatchResult

# `dnws-bot validate`: each intent's own paraphrases must come back as its answer. Today's floor
# per intent (rounded down from the shipped catalogue); --strict demands every paraphrase.
# issue 8 target: 1.0
MIN_OWN_PARAPHRASES_ANSWERED = 0.80


@dataclass(frozen=True)
class Case:
    """One question with the intent a person would expect (None: out of scope)."""

    question: str
    lang: Lang
    intent: str | None
    style: str
    context: str | None = None  # the previous answer's intent, for two-turn follow-ups


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
class Report:
    """Accuracy broken down by language and style, with the most confused pairs."""

    by_lang: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    by_style: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    oos_total: int = 0
    oos_rejected: int = 0
    oos_rejected_none: int = 0
    oos_by_lang: dict[str, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0]))
    confusions: Counter[tuple[str, str]] = field(default_factory=Counter)
    misses: list[tuple[Case, MatchResult]] = field(default_factory=list)

    @property
    def in_scope(self) -> Tally:
        total = Tally()
        for tally in self.by_lang.values():
            total.total += tally.total
            total.top1 += tally.top1
            total.answered += tally.answered
            total.wrong += tally.wrong
            total.top3 += tally.top3
        return total

    @property
    def rejection(self) -> float:
        return self.oos_rejected / self.oos_total if self.oos_total else 1.0


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
        cases.append(Case(raw["q"], lang, raw.get("intent"), style, context))
    return cases


def evaluate(cases: Iterable[Case], match: Callable[[str, str | None], MatchResult]) -> Report:
    """Run every case through `match(question, previous_intent)` and tally the outcome."""
    report = Report()
    for case in cases:
        result = match(case.question, case.context)
        ranked = [c.intent_id for c in result.candidates]
        if case.intent is None:
            report.oos_total += 1
            rejected = result.status != "answer"
            report.oos_rejected += rejected
            report.oos_rejected_none += result.status == "none"
            report.oos_by_lang[case.lang][0] += 1
            report.oos_by_lang[case.lang][1] += rejected
            if not rejected:
                report.misses.append((case, result))
            continue
        top1 = bool(ranked) and ranked[0] == case.intent
        answered = result.status == "answer" and top1
        wrong = result.status == "answer" and not top1
        for tally in (report.by_lang[case.lang], report.by_style[case.style]):
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
    lines.append("style         n    top-1  answered  wrong")
    for name, tally in sorted(report.by_style.items()):
        lines.append(
            f"{name:<10} {tally.total:4d}  {tally.rate(tally.top1):6.1%}  "
            f"{tally.rate(tally.answered):7.1%}  {tally.rate(tally.wrong):5.1%}"
        )
    lines.append("")
    none_rate = report.oos_rejected_none / report.oos_total if report.oos_total else 1.0
    lines.append(
        f"out-of-scope  n={report.oos_total}  rejected {report.rejection:.1%}  "
        f"(no match: {none_rate:.1%})"
    )
    for lang, (total, rejected) in sorted(report.oos_by_lang.items()):
        lines.append(f"  {lang}: {rejected}/{total} rejected")
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
            lines.append(
                f"  [{case.lang}] {case.question!r} want={case.intent} got={result.status} {top}"
            )
    return "\n".join(lines)


@dataclass(frozen=True)
class ParaphraseMiss:
    """A paraphrase that does not come back as its own intent's answer, located in its file."""

    intent: Intent
    paraphrase: str
    line: int
    result: MatchResult

    def problem(self) -> Problem:
        top = ", ".join(f"{c.intent_id}:{c.score:.2f}" for c in self.result.candidates[:2])
        got = self.result.reason or self.result.status
        message = f"paraphrase {self.paraphrase!r} comes back as {got} ({top or 'no candidate'})"
        return Problem(self.intent.file, self.line, self.intent.id, message)


def _paraphrase_line(lines: list[str], start: int, paraphrase: str) -> int:
    """The first line at or after the intent's own that holds the paraphrase."""
    for number in range(max(start, 1), len(lines) + 1):
        if paraphrase in lines[number - 1]:
            return number
    return start


def own_paraphrase_misses(
    catalogue: Catalogue, match: Callable[[str], MatchResult]
) -> tuple[list[ParaphraseMiss], dict[str, float]]:
    """Every paraphrase whose match is not `answer` with its own intent, and each intent's share
    of paraphrases that do come back."""
    misses: list[ParaphraseMiss] = []
    shares: dict[str, float] = {}
    files: dict[str, list[str]] = {}
    for intent in catalogue.intents:
        total = missed = 0
        for lang in LANGS:
            for paraphrase in intent.paraphrases[lang]:
                total += 1
                result = match(paraphrase)
                if result.status == "answer" and result.intent_id == intent.id:
                    continue
                missed += 1
                if intent.file not in files:
                    path = catalogue.directory / intent.file
                    files[intent.file] = path.read_text(encoding="utf-8").splitlines()
                line = _paraphrase_line(files[intent.file], intent.line, paraphrase)
                misses.append(ParaphraseMiss(intent, paraphrase, line, result))
        shares[intent.id] = (total - missed) / total if total else 1.0
    return misses, shares
