"""The curator loop: what the bot could not answer, how its answers were rated, and how the
answer rate moves, read from the bot's database.

The database is opened read-only, so a report can run beside the live bot (in WAL mode a
reader never blocks the writer). Only this module's commands print user questions, and only to
the curator's terminal; the store never logs them.
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, Protocol

from rapidfuzz import fuzz

from .engine import MatchResult
from .engine.language import Lang
from .store import DayCount, IntentVotes, Store, UnansweredRow

# token_sort_ratio at or above this joins a group. Precision over recall: a wrong merge hides a
# question behind another one's label, a missed merge only costs the curator one more line.
SIMILARITY = 75.0
UNMATCHED = "unmatched"
# Below this score the matcher's best guess is noise (its own suggestions start at 0.21), and
# pasting the question into that intent would teach it the wrong thing.
NEAREST_FLOOR = 0.15
ExportFormat = Literal["csv", "yaml"]
CSV_HEADER = (
    "at", "text", "lang", "chat_type", "status",
    "intent_1", "score_1", "intent_2", "score_2", "intent_3", "score_3",
)  # fmt: skip


class ReportError(Exception):
    """The database cannot be read; the message is safe to print."""


class Matches(Protocol):
    """What the report needs from an engine (an `Engine`, or a stand-in in tests)."""

    def match(self, question: str, lang: Lang | None = None) -> MatchResult: ...


@dataclass(frozen=True)
class UnansweredGroup:
    """Similar unanswered questions under their most common wording."""

    label: str
    count: int
    langs: tuple[str, ...]
    texts: tuple[str, ...]  # distinct wordings, most frequent first
    nearest_intent: str | None  # what the current catalogue would come closest to
    nearest_score: float


@dataclass(frozen=True)
class Report:
    since_days: float
    generated_at: str
    unanswered_total: int
    groups: tuple[UnansweredGroup, ...]
    feedback: tuple[IntentVotes, ...]  # worst approval first
    days: tuple[DayCount, ...]
    failed_updates: int = 0  # updates the bot could not parse, kept in the inbox as failed


def _open_for_reading(store_path: str | os.PathLike[str]) -> Store:
    path = Path(store_path)
    if not path.is_file():
        raise ReportError(f"no database at {path}")
    store = Store.open(path, readonly=True)
    if not store.readable:
        raise ReportError(f"cannot read {path} (the store logged why)")
    return store


def group_texts(texts: Sequence[str], threshold: float = SIMILARITY) -> list[list[str]]:
    """Distinct texts in groups, each group's first text its most frequent. A text joins the
    first group whose label it resembles: comparing with labels only avoids chains of
    neighbours drifting into one group of unrelated questions."""
    groups: list[list[str]] = []
    for text, _ in Counter(texts).most_common():
        home = next((g for g in groups if fuzz.token_sort_ratio(text, g[0]) >= threshold), None)
        if home is None:
            groups.append([text])
        else:
            home.append(text)
    return groups


def _nearest(candidates: Iterable[tuple[str, float]]) -> tuple[str, float] | None:
    """The best candidate, if it is related enough to be worth naming."""
    best = next(iter(candidates), None)
    return best if best is not None and best[1] >= NEAREST_FLOOR else None


def _unanswered_groups(rows: Sequence[UnansweredRow], engine: Matches) -> list[UnansweredGroup]:
    counts = Counter(row.text for row in rows)
    langs: defaultdict[str, set[str]] = defaultdict(set)
    for row in rows:
        langs[row.text].add(row.lang)
    groups = []
    for texts in group_texts([row.text for row in rows]):
        nearest = _nearest((c.intent_id, c.score) for c in engine.match(texts[0]).candidates)
        groups.append(
            UnansweredGroup(
                label=texts[0],
                count=sum(counts[t] for t in texts),
                langs=tuple(sorted(set().union(*(langs[t] for t in texts)))),
                texts=tuple(texts),
                nearest_intent=nearest[0] if nearest else None,
                nearest_score=nearest[1] if nearest else 0.0,
            )
        )
    return sorted(groups, key=lambda g: -g.count)


def approval(votes: IntentVotes) -> float:
    total = votes.up + votes.down
    return votes.up / total if total else 0.0


def answer_rate(day: DayCount) -> float:
    return day.answered / day.questions if day.questions else 0.0


def build_report(store_path: str | os.PathLike[str], engine: Matches, since_days: float) -> Report:
    """Everything the curator needs for the last `since_days` days."""
    with _open_for_reading(store_path) as store:
        rows = store.unanswered_since(since_days)
        votes = store.feedback_by_intent(since_days)
        days = store.daily_answers(since_days)
        failed = store.inbox_counts().get("failed", 0)
    return Report(
        since_days=since_days,
        generated_at=datetime.now(UTC).isoformat(timespec="seconds"),
        unanswered_total=len(rows),
        groups=tuple(_unanswered_groups(rows, engine)),
        feedback=tuple(sorted(votes, key=lambda v: (approval(v), -(v.up + v.down), v.intent_id))),
        days=tuple(days),
        failed_updates=failed,
    )


def _text_days(report: Report) -> list[str]:
    lines = ["Answer rate per day (UTC)"]
    for day in report.days:
        lines.append(f"  {day.day}  {day.answered:>5}/{day.questions:<5} {answer_rate(day):>4.0%}")
    return lines if report.days else [*lines, "  (no questions)"]


def _text_groups(report: Report) -> list[str]:
    lines = [f"Unanswered questions: {report.unanswered_total} in {len(report.groups)} groups"]
    for group in report.groups:
        nearest = (
            f"{group.nearest_intent} ({group.nearest_score:.2f})"
            if group.nearest_intent
            else "no candidate"
        )
        langs = ",".join(group.langs)
        lines.append(f"  {group.count:>4}× {group.label}  [{langs}]  nearest: {nearest}")
        if len(group.texts) > 1:
            lines.append(f"        also: {' | '.join(group.texts[1:])}")
    return lines


def _text_feedback(report: Report) -> list[str]:
    lines = ["Feedback per intent (worst first)"]
    for votes in report.feedback:
        lines.append(
            f"  {votes.intent_id:<40} 👍 {votes.up:>3}  👎 {votes.down:>3}  {approval(votes):>4.0%}"
        )
    return lines if report.feedback else [*lines, "  (no votes)"]


def format_text(report: Report) -> str:
    header = f"dnws-bot report: last {report.since_days:g} days (generated {report.generated_at})"
    sections = [[header], _text_days(report), _text_groups(report), _text_feedback(report)]
    if report.failed_updates:
        sections.append(
            [f"Updates the bot could not read (kept in its inbox): {report.failed_updates}"]
        )
    return "\n\n".join("\n".join(section) for section in sections) + "\n"


def to_json(report: Report) -> str:
    data: dict[str, Any] = {
        "since_days": report.since_days,
        "generated_at": report.generated_at,
        "unanswered_total": report.unanswered_total,
        "failed_updates": report.failed_updates,
        "groups": [
            {
                "label": g.label,
                "count": g.count,
                "langs": list(g.langs),
                "texts": list(g.texts),
                "nearest_intent": g.nearest_intent,
                "nearest_score": g.nearest_score,
            }
            for g in report.groups
        ],
        "feedback": [
            {"intent": v.intent_id, "up": v.up, "down": v.down, "approval": round(approval(v), 4)}
            for v in report.feedback
        ],
        "days": [
            {
                "day": d.day,
                "questions": d.questions,
                "answered": d.answered,
                "rate": round(answer_rate(d), 4),
            }
            for d in report.days
        ],
    }
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def _spreadsheet_safe(text: str) -> str:
    """A cell starting with = + - @ runs as a formula in a spreadsheet; quote it."""
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _csv(rows: Sequence[UnansweredRow]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    for row in rows:
        padded = [*row.candidates, ("", ""), ("", ""), ("", "")][:3]
        writer.writerow(
            [
                datetime.fromtimestamp(row.at, UTC).isoformat(timespec="seconds"),
                _spreadsheet_safe(row.text),
                row.lang,
                row.chat_type,
                row.status,
                *(value for candidate in padded for value in candidate),
            ]
        )
    return out.getvalue()


def _yaml(rows: Sequence[UnansweredRow]) -> str:
    """Paraphrase lists per nearest intent (the best candidate when the question was asked),
    ready to paste; JSON string syntax is valid YAML, so every text is safely quoted."""
    by_intent: defaultdict[str, defaultdict[str, Counter[str]]] = defaultdict(
        lambda: defaultdict(Counter)
    )
    for row in rows:
        nearest = _nearest(row.candidates)
        intent = nearest[0] if nearest else UNMATCHED
        by_intent[intent][row.lang][row.text] += 1
    lines = []
    for intent in sorted(by_intent, key=lambda i: (i == UNMATCHED, i)):
        lines.append(f"{intent}:")
        langs = by_intent[intent]
        for lang in sorted(langs, key=lambda code: ({"ja": 0, "en": 1}.get(code, 2), code)):
            lines.append(f"  {lang}:")
            lines.extend(
                f"    - {json.dumps(text, ensure_ascii=False)}"
                for text, _ in langs[lang].most_common()
            )
    return "\n".join(lines) + "\n" if lines else "{}\n"


def export_unanswered(
    store_path: str | os.PathLike[str], fmt: ExportFormat, since_days: float
) -> str:
    """Unanswered questions of the last `since_days` days as CSV (one row each, with header)
    or as YAML paraphrase lists grouped by nearest intent."""
    with _open_for_reading(store_path) as store:
        rows = store.unanswered_since(since_days)
    return _csv(rows) if fmt == "csv" else _yaml(rows)
