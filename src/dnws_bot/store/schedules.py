"""Scheduled study posts (`/schedule`) and reaction votes taken back.

Rows keep no user id: a schedule belongs to its chat, and who may change it is asked of
Telegram (chat administrators) each time.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..schedule_spec import Kind, Spec
from .base import StoreBase, guarded
from .connection import writing

MAX_SCHEDULES_PER_CHAT = 10


@dataclass(frozen=True)
class ScheduleRow:
    """One schedule: where it posts, what and when, its language, its place in the card
    sequence and its next slot (unix time)."""

    id: int
    chat_id: int
    chat_type: str
    spec: Spec
    lang: str
    position: int
    next_run: float


_COLUMNS = "id, chat_id, chat_type, kind, days, hour, minute, tz, topic, lang, position, next_run"


def _row(values: Any) -> ScheduleRow:
    id_, chat_id, chat_type, kind, days, hour, minute, tz, topic, lang, position, next_run = values
    kind_: Kind = "quiz" if kind == "quiz" else "card"
    spec = Spec(kind_, str(days), int(hour), int(minute), str(tz), str(topic))
    return ScheduleRow(
        int(id_), int(chat_id), str(chat_type), spec, str(lang), int(position), float(next_run)
    )


class ScheduleStore(StoreBase):
    """The schedules table, and taking back a reaction vote from the feedback table."""

    @guarded(lambda: None)
    def add_schedule(
        self, chat_id: int, chat_type: str, spec: Spec, lang: str, next_run: float
    ) -> int | None:
        """Keep a new schedule; its id, or None when the chat already has the most allowed."""
        with writing(self._conn) as db:
            (count,) = db.execute(
                "SELECT count(*) FROM schedules WHERE chat_id = ?", (chat_id,)
            ).fetchone()
            if count >= MAX_SCHEDULES_PER_CHAT:
                return None
            cursor = db.execute(
                "INSERT INTO schedules (chat_id, chat_type, kind, days, hour, minute, tz, topic,"
                " lang, position, next_run, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?)",
                (
                    chat_id,
                    chat_type,
                    spec.kind,
                    spec.days,
                    spec.hour,
                    spec.minute,
                    spec.tz,
                    spec.topic,
                    lang,
                    next_run,
                    self.clock(),
                ),
            )
            return cursor.lastrowid

    @guarded(list)
    def schedules(self, chat_id: int) -> list[ScheduleRow]:
        """A chat's schedules in the order they were made (the numbers /unschedule takes)."""
        rows = self._conn.execute(
            f"SELECT {_COLUMNS} FROM schedules WHERE chat_id = ? ORDER BY id", (chat_id,)
        )
        return [_row(r) for r in rows]

    @guarded(list)
    def due_schedules(self, now: float) -> list[ScheduleRow]:
        """Every schedule whose next slot is at or before `now`, the most overdue first."""
        rows = self._conn.execute(
            f"SELECT {_COLUMNS} FROM schedules WHERE next_run <= ? ORDER BY next_run, id", (now,)
        )
        return [_row(r) for r in rows]

    @guarded(bool)
    def advance_schedule(self, schedule_id: int, next_run: float, position: int) -> bool:
        """After a slot (posted or skipped): the next slot and the card position."""
        with writing(self._conn) as db:
            db.execute(
                "UPDATE schedules SET next_run = ?, position = ? WHERE id = ?",
                (next_run, position, schedule_id),
            )
        return True

    @guarded(bool)
    def remove_schedule(self, chat_id: int, schedule_id: int) -> bool:
        with writing(self._conn) as db:
            removed = db.execute(
                "DELETE FROM schedules WHERE chat_id = ? AND id = ?", (chat_id, schedule_id)
            ).rowcount
        return removed == 1

    @guarded(int)
    def remove_chat_schedules(self, chat_id: int) -> int:
        """Every schedule of a chat the bot can no longer post in; how many there were."""
        with writing(self._conn) as db:
            return db.execute("DELETE FROM schedules WHERE chat_id = ?", (chat_id,)).rowcount

    @guarded(bool)
    def withdraw_feedback(self, chat_id: int, message_id: int, user_id: int) -> bool:
        """A 👍/👎 reaction was removed: forget that user's vote on that message (a vote made
        with the buttons on the same message is the same vote). True when one was removed."""
        voter = self._pseudonym(chat_id, message_id, user_id)
        with writing(self._conn) as db:
            return db.execute("DELETE FROM feedback WHERE voter = ?", (voter,)).rowcount == 1
