"""The curator report and the unanswered-question export, on a seeded store."""

from __future__ import annotations

import csv
import io
import json
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from dnws_bot import cli, cli_commands
from dnws_bot.engine import MatchResult
from dnws_bot.engine.language import Lang
from dnws_bot.engine.matching import Candidate
from dnws_bot.report import (
    CSV_HEADER,
    ReportError,
    build_report,
    export_unanswered,
    format_text,
    group_texts,
    to_json,
)
from dnws_bot.store import Store

DAY = 86400.0
NOW = time.time()
MISSILE = "what is the missile range"
MISSILE_2 = "what about the missile range"
SANCTIONS = "制裁は効くの"
SANCTIONS_2 = "制裁は効くのか"
KIM = "who is kim jong un"


class FakeEngine:
    """Nearest intents by keyword, so the report does not depend on the live catalogue."""

    def match(self, question: str, lang: Lang | None = None) -> MatchResult:
        if "制裁" in question:
            return MatchResult("suggest", "ja", (Candidate("obstacles.sanctions", 0.4),))
        if "missile" in question:
            return MatchResult("none", "en", (Candidate("strategy.deterrence", 0.3),))
        return MatchResult("none", "en", (Candidate("meta.about", 0.05),))  # too weak to name


class Clock:
    """A settable time source for seeding rows on past days."""

    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> float:
        return self.now


def day_of(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).date().isoformat()


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    """A store with two days of questions, unanswered questions, votes and one stale row."""
    path = tmp_path / "bot.sqlite3"
    clock = Clock()
    with Store.open(path, clock=clock) as store:
        clock.now = NOW - 40 * DAY  # outside --since 30
        store.log_unanswered("an old question", "en", "private", "none", [])
        clock.now = NOW - 2 * DAY
        for status in ("answer", "answer", "none", "suggest"):
            store.log_question(status, "a.b" if status == "answer" else None, "en", "private", 0.5)
        for _ in range(3):
            store.log_unanswered(MISSILE, "en", "group", "none", [("strategy.deterrence", 0.3)])
        store.log_unanswered(MISSILE_2, "en", "private", "none", [("strategy.deterrence", 0.29)])
        clock.now = NOW - 1 * DAY
        for _ in range(2):
            store.log_question("answer", "a.b", "ja", "private", 0.9)
        for text in (SANCTIONS, SANCTIONS, SANCTIONS_2):
            store.log_unanswered(text, "ja", "private", "suggest", [("obstacles.sanctions", 0.35)])
        store.log_unanswered(KIM, "en", "private", "none", [("meta.about", 0.05)])
        votes = {"x.good": (1, 1, 1, -1), "y.bad": (-1, -1), "z.mixed": (1, -1)}
        for n, (intent, intent_votes) in enumerate(votes.items()):
            for user, vote in enumerate(intent_votes):
                store.record_feedback(-5, n, user, intent, "en", vote)
    return path


def test_group_texts_joins_similar_wordings_under_the_most_common() -> None:
    """Similar wordings join the most frequent one's group; unrelated questions stay apart."""
    texts = [MISSILE_2, MISSILE, MISSILE, KIM, SANCTIONS_2, SANCTIONS, SANCTIONS]
    assert group_texts(texts) == [[MISSILE, MISSILE_2], [SANCTIONS, SANCTIONS_2], [KIM]]


def test_report_text(db_path: Path) -> None:
    """The text report shows the daily answer rate, grouped unanswered questions and votes."""
    text = format_text(build_report(db_path, FakeEngine(), 30))
    lines = [" ".join(line.split()) for line in text.splitlines()]  # columns, not exact spaces
    assert lines[0].startswith("dnws-bot report: last 30 days")
    assert f"{day_of(NOW - 2 * DAY)} 2/4 50%" in lines
    assert f"{day_of(NOW - DAY)} 2/2 100%" in lines
    assert "Unanswered questions: 8 in 3 groups" in lines
    assert f"4× {MISSILE} [en] nearest: strategy.deterrence (0.30)" in lines
    assert f"also: {MISSILE_2}" in lines
    assert f"3× {SANCTIONS} [ja] nearest: obstacles.sanctions (0.40)" in lines
    assert f"1× {KIM} [en] nearest: no candidate" in lines
    assert "an old question" not in text
    feedback = lines[lines.index("Feedback per intent (worst first)") + 1 :]
    assert feedback == ["y.bad 👍 0 👎 2 0%", "z.mixed 👍 1 👎 1 50%", "x.good 👍 3 👎 1 75%"]


def test_report_json(db_path: Path) -> None:
    """The JSON report carries the same facts as numbers, for dashboards and scripts."""
    data = json.loads(to_json(build_report(db_path, FakeEngine(), 30)))
    assert data["since_days"] == 30 and data["unanswered_total"] == 8
    assert data["groups"][0] == {
        "label": MISSILE,
        "count": 4,
        "langs": ["en"],
        "texts": [MISSILE, MISSILE_2],
        "nearest_intent": "strategy.deterrence",
        "nearest_score": 0.3,
    }
    assert [g["nearest_intent"] for g in data["groups"]] == [
        "strategy.deterrence",
        "obstacles.sanctions",
        None,
    ]
    assert data["feedback"][0] == {"intent": "y.bad", "up": 0, "down": 2, "approval": 0.0}
    assert data["days"] == [
        {"day": day_of(NOW - 2 * DAY), "questions": 4, "answered": 2, "rate": 0.5},
        {"day": day_of(NOW - DAY), "questions": 2, "answered": 2, "rate": 1.0},
    ]


def test_export_csv(db_path: Path) -> None:
    """The CSV export has a header and one row per unanswered question in the window."""
    rows = list(csv.reader(io.StringIO(export_unanswered(db_path, "csv", 30))))
    assert tuple(rows[0]) == CSV_HEADER
    assert len(rows) == 1 + 8
    first = dict(zip(CSV_HEADER, rows[1], strict=True))
    assert first["text"] == MISSILE and first["lang"] == "en" and first["chat_type"] == "group"
    assert (first["intent_1"], first["score_1"], first["intent_2"]) == (
        "strategy.deterrence",
        "0.3",
        "",
    )
    assert datetime.fromisoformat(first["at"]).date().isoformat() == day_of(NOW - 2 * DAY)


def test_export_yaml_is_paste_ready(db_path: Path) -> None:
    """The YAML export lists distinct questions per nearest intent and language, quoted; a
    question whose best candidate is too weak goes under "unmatched", not into that intent."""
    out = export_unanswered(db_path, "yaml", 30)
    assert f'obstacles.sanctions:\n  ja:\n    - "{SANCTIONS}"\n    - "{SANCTIONS_2}"\n' in out
    assert yaml.safe_load(out) == {
        "obstacles.sanctions": {"ja": [SANCTIONS, SANCTIONS_2]},
        "strategy.deterrence": {"en": [MISSILE, MISSILE_2]},
        "unmatched": {"en": [KIM]},
    }
    assert out.rstrip().endswith(f'- "{KIM}"')  # the unmatched block comes last


def test_missing_database_is_an_error_not_an_empty_report(tmp_path: Path) -> None:
    """Reporting on a path with no database raises ReportError and creates nothing."""
    with pytest.raises(ReportError, match="no database"):
        export_unanswered(tmp_path / "absent.sqlite3", "csv", 30)
    assert list(tmp_path.iterdir()) == []


def _run(argv: list[str]) -> int:
    args = cli.build_parser().parse_args(argv)
    code: int = args.func(args)
    return code


def test_cli_commands(
    db_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`report` and `export-unanswered` read --db and print UTF-8; a missing file exits 2."""
    monkeypatch.setattr(cli_commands, "_load_engine", lambda args: FakeEngine())
    assert _run(["report", "--db", str(db_path), "--format", "json", "--since", "30"]) == 0
    assert json.loads(capsys.readouterr().out)["unanswered_total"] == 8
    assert _run(["export-unanswered", "--format", "yaml", "--db", str(db_path)]) == 0
    assert f'- "{SANCTIONS}"' in capsys.readouterr().out
    monkeypatch.setenv("DNWS_DB", str(db_path.with_name("absent.sqlite3")))
    assert _run(["report"]) == 2
    assert "error: no database" in capsys.readouterr().err
