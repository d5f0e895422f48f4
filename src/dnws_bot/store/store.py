"""The bot's database: chat settings, the question log, feedback, and the reads of /stats and
the curator report (quiz state is in `quiz`). Synchronous and thread-safe; `AsyncStore` runs it
off the event loop.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import cast

from ..engine.language import LANG_MODES, Lang, LangChoice
from ..engine.matching import Status
from ..engine.normalize import MAX_QUESTION_CHARS
from .base import guarded
from .connection import writing
from .quiz import QuizStore
from .rows import (
    DayCount,
    IntentVotes,
    QuestionRecord,
    Stats,
    UnansweredRow,
)
from .schedules import ScheduleStore

TOP_CANDIDATES = 3
TOP_INTENTS = 10

_INSERT_QUESTION = (
    "INSERT INTO questions (at, status, intent_id, lang, chat_type, score, elapsed_ms)"
    " VALUES (?, ?, ?, ?, ?, ?, ?)"
)
_INSERT_UNANSWERED = (
    "INSERT INTO unanswered (at, text, lang, chat_type, status, candidates)"
    " VALUES (?, ?, ?, ?, ?, ?)"
)


def _top_candidates(candidates: Iterable[tuple[str, float]]) -> str:
    best = sorted(candidates, key=lambda c: c[1], reverse=True)[:TOP_CANDIDATES]
    return json.dumps([[intent_id, round(float(score), 4)] for intent_id, score in best])


def _parse_candidates(raw: str) -> tuple[tuple[str, float], ...]:
    """Stored JSON back to pairs; an unreadable value yields none rather than an exception."""
    try:
        return tuple((str(i), float(s)) for i, s in json.loads(raw))
    except (ValueError, TypeError):
        return ()


class Store(QuizStore, ScheduleStore):
    """The bot's database, synchronous and thread-safe. Open with `Store.open(path)`."""

    # --- chat settings -------------------------------------------------------------------

    @guarded(lambda: None)
    def get_chat_lang(self, chat_id: int) -> LangChoice | None:
        """The chat's /lang choice, or None when it never chose."""
        row = self._conn.execute(
            "SELECT lang FROM chat_settings WHERE chat_id = ?", (chat_id,)
        ).fetchone()
        return cast(LangChoice, row[0]) if row and row[0] in LANG_MODES else None

    @guarded(bool)
    def set_chat_lang(self, chat_id: int, mode: str) -> bool:
        """Keep the chat's /lang choice. Takes the command's raw word: the schema refuses
        anything but ja, en, both and auto (False and one warning, without the word)."""
        with writing(self._conn) as db:
            db.execute(
                "INSERT INTO chat_settings (chat_id, lang, updated_at) VALUES (?, ?, ?)"
                " ON CONFLICT (chat_id) DO UPDATE SET lang = excluded.lang,"
                " updated_at = excluded.updated_at",
                (chat_id, mode, self.clock()),
            )
        return True

    @guarded(bool)
    def migrate_chat(self, old_chat_id: int, new_chat_id: int) -> bool:
        """A group became a supergroup (new id): move its settings, quiz state and scores.
        Anything the new chat already has wins; scores of the same player are added up."""
        ids = (new_chat_id, old_chat_id)
        with writing(self._conn) as db:
            for table in ("chat_settings", "quiz_asked"):
                db.execute(f"UPDATE OR IGNORE {table} SET chat_id = ? WHERE chat_id = ?", ids)
                db.execute(f"DELETE FROM {table} WHERE chat_id = ?", (old_chat_id,))
            db.execute("UPDATE polls SET chat_id = ? WHERE chat_id = ?", ids)
            db.execute("UPDATE schedules SET chat_id = ? WHERE chat_id = ?", ids)
            db.execute(
                "INSERT INTO scores (chat_id, player, display_name, correct, answered)"
                " SELECT ?, player, display_name, correct, answered FROM scores WHERE chat_id = ?"
                " ON CONFLICT (chat_id, player) DO UPDATE SET"
                " correct = correct + excluded.correct, answered = answered + excluded.answered",
                ids,
            )
            db.execute("DELETE FROM scores WHERE chat_id = ?", (old_chat_id,))
        return True

    # --- question log --------------------------------------------------------------------

    @guarded(bool)
    def log_questions(self, records: Sequence[QuestionRecord]) -> bool:
        """Many questions' outcomes in one transaction (the bot batches them); the unanswered
        ones also keep their normalised text and best three candidates for the curator."""
        if not records:
            return True
        with writing(self._conn) as db:
            db.executemany(
                _INSERT_QUESTION,
                [
                    (r.at, r.status, r.intent_id, r.lang, r.chat_type, r.score, r.elapsed_ms)
                    for r in records
                ],
            )
            db.executemany(
                _INSERT_UNANSWERED,
                [
                    (
                        r.at,
                        r.text[:MAX_QUESTION_CHARS],
                        r.lang,
                        r.chat_type,
                        r.status,
                        _top_candidates(r.candidates),
                    )
                    for r in records
                    if r.text is not None
                ],
            )
        return True

    @guarded(bool)
    def log_question(
        self,
        status: Status,
        intent_id: str | None,
        lang: Lang,
        chat_type: str,
        score: float,
        elapsed_ms: float | None = None,
    ) -> bool:
        """One question's outcome, for /stats and the answer rate; nothing about the user."""
        with writing(self._conn) as db:
            db.execute(
                _INSERT_QUESTION,
                (self.clock(), status, intent_id, lang, chat_type, score, elapsed_ms),
            )
        return True

    @guarded(bool)
    def log_unanswered(
        self,
        text_normalised: str,
        lang: Lang,
        chat_type: str,
        status: Status,
        candidates: Iterable[tuple[str, float]],
    ) -> bool:
        """A question without a confident answer, with its best three candidates, so the
        curator can add the missing paraphrase or intent. No user id or name is kept."""
        with writing(self._conn) as db:
            db.execute(
                _INSERT_UNANSWERED,
                (
                    self.clock(),
                    text_normalised[:MAX_QUESTION_CHARS],
                    lang,
                    chat_type,
                    status,
                    _top_candidates(candidates),
                ),
            )
        return True

    # --- feedback ------------------------------------------------------------------------

    @guarded(bool)
    def record_feedback(
        self, chat_id: int, message_id: int, user_id: int, intent_id: str, lang: Lang, vote: int
    ) -> bool:
        """A 👍 (+1) or 👎 (-1): one vote per user per message, a changed vote replaces the old
        one. True when the vote was stored or changed, False for a repeat of the same vote."""
        voter = self._pseudonym(chat_id, message_id, user_id)
        with writing(self._conn) as db:
            changed = db.execute(
                "INSERT INTO feedback (voter, intent_id, lang, vote, at) VALUES (?, ?, ?, ?, ?)"
                " ON CONFLICT (voter) DO UPDATE SET vote = excluded.vote, at = excluded.at"
                " WHERE vote != excluded.vote",
                (voter, intent_id, lang, vote, self.clock()),
            ).rowcount
        return changed == 1

    # --- reading for /stats and the curator report ---------------------------------------

    @guarded(Stats)
    def stats(self) -> Stats:
        db = self._conn
        total, answered = db.execute(
            "SELECT count(*), coalesce(sum(status = 'answer'), 0) FROM questions"
        ).fetchone()
        top = db.execute(
            "SELECT intent_id, count(*) AS n FROM questions WHERE intent_id IS NOT NULL"
            " GROUP BY intent_id ORDER BY n DESC, intent_id LIMIT ?",
            (TOP_INTENTS,),
        ).fetchall()
        (unanswered,) = db.execute("SELECT count(*) FROM unanswered").fetchone()
        up, down = db.execute(
            "SELECT coalesce(sum(vote = 1), 0), coalesce(sum(vote = -1), 0) FROM feedback"
        ).fetchone()
        return Stats(
            questions=int(total),
            answered=int(answered),
            unanswered=int(unanswered),
            feedback_up=int(up),
            feedback_down=int(down),
            top_intents=tuple((str(i), int(n)) for i, n in top),
        )

    @guarded(list)
    def unanswered_since(self, days: float) -> list[UnansweredRow]:
        """Unanswered questions of the last `days` days, oldest first."""
        rows = self._conn.execute(
            "SELECT at, text, lang, chat_type, status, candidates FROM unanswered"
            " WHERE at >= ? ORDER BY at, id",
            (self._since(days),),
        )
        return [
            UnansweredRow(float(at), str(text), str(lang), str(ct), str(st), _parse_candidates(c))
            for at, text, lang, ct, st, c in rows
        ]

    @guarded(list)
    def feedback_by_intent(self, days: float) -> list[IntentVotes]:
        rows = self._conn.execute(
            "SELECT intent_id, sum(vote = 1), sum(vote = -1) FROM feedback WHERE at >= ?"
            " GROUP BY intent_id ORDER BY intent_id",
            (self._since(days),),
        )
        return [IntentVotes(str(i), int(up), int(down)) for i, up, down in rows]

    @guarded(list)
    def daily_answers(self, days: float) -> list[DayCount]:
        """Questions and confident answers per UTC day."""
        rows = self._conn.execute(
            "SELECT date(at, 'unixepoch') AS day, count(*), sum(status = 'answer')"
            " FROM questions WHERE at >= ? GROUP BY day ORDER BY day",
            (self._since(days),),
        )
        return [DayCount(str(day), int(n), int(answered)) for day, n, answered in rows]
