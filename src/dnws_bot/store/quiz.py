"""Quiz state: which questions a chat was asked, where each poll went, and per-chat scores."""

from __future__ import annotations

from .base import StoreBase, guarded
from .connection import writing
from .rows import PollInfo

MAX_DISPLAY_NAME = 64


class QuizStore(StoreBase):
    """The quiz tables. Players are keyed by an HMAC of their id; only /score's display name
    is kept in clear, because showing it is the point."""

    @guarded(set)
    def quiz_asked(self, chat_id: int) -> set[str]:
        """Question ids this chat has already been asked (the quiz avoids repeats)."""
        rows = self._conn.execute(
            "SELECT question_id FROM quiz_asked WHERE chat_id = ?", (chat_id,)
        )
        return {str(row[0]) for row in rows}

    @guarded(bool)
    def mark_quiz_asked(self, chat_id: int, question_id: str) -> bool:
        with writing(self._conn) as db:
            db.execute(
                "INSERT OR IGNORE INTO quiz_asked (chat_id, question_id, at) VALUES (?, ?, ?)",
                (chat_id, question_id, self.clock()),
            )
        return True

    @guarded(bool)
    def reset_quiz(self, chat_id: int) -> bool:
        """Start the chat's question cycle again; scores are kept."""
        with writing(self._conn) as db:
            db.execute("DELETE FROM quiz_asked WHERE chat_id = ?", (chat_id,))
        return True

    @guarded(bool)
    def remember_poll(
        self, poll_id: str, chat_id: int, question_id: str, correct_option: int
    ) -> bool:
        """Telegram sends poll answers without the chat: keep where each quiz poll was sent."""
        with writing(self._conn) as db:
            db.execute(
                "INSERT OR REPLACE INTO polls (poll_id, chat_id, question_id, correct_option, at)"
                " VALUES (?, ?, ?, ?, ?)",
                (poll_id, chat_id, question_id, correct_option, self.clock()),
            )
        return True

    @guarded(lambda: None)
    def poll(self, poll_id: str) -> PollInfo | None:
        row = self._conn.execute(
            "SELECT poll_id, chat_id, question_id, correct_option FROM polls WHERE poll_id = ?",
            (poll_id,),
        ).fetchone()
        return PollInfo(str(row[0]), int(row[1]), str(row[2]), int(row[3])) if row else None

    @guarded(bool)
    def record_poll_answer(
        self, poll_id: str, user_id: int, display_name: str, option_ids: list[int]
    ) -> bool:
        """Score a quiz answer in the poll's chat. True when it counted; an unknown poll, a
        retracted vote or a second answer by the same user to the same poll counts nothing."""
        if not option_ids:
            return False
        player = self._pseudonym(user_id)  # same key in every chat, so migrate_chat can merge
        with writing(self._conn) as db:
            row = db.execute(
                "SELECT chat_id, correct_option FROM polls WHERE poll_id = ?", (poll_id,)
            ).fetchone()
            if row is None:
                return False
            first = db.execute(
                "INSERT OR IGNORE INTO poll_answers (poll_id, player) VALUES (?, ?)",
                (poll_id, player),
            ).rowcount
            if first != 1:
                return False
            db.execute(
                "INSERT INTO scores (chat_id, player, display_name, correct, answered)"
                " VALUES (?, ?, ?, ?, 1) ON CONFLICT (chat_id, player) DO UPDATE SET"
                " display_name = excluded.display_name,"
                " correct = correct + excluded.correct, answered = answered + 1",
                (row[0], player, display_name[:MAX_DISPLAY_NAME], int(row[1] in option_ids)),
            )
        return True

    @guarded(list)
    def top_scores(self, chat_id: int, limit: int = 10) -> list[tuple[str, int, int]]:
        """(display name, correct, answered), best first; fewer attempts break a tie."""
        rows = self._conn.execute(
            "SELECT display_name, correct, answered FROM scores WHERE chat_id = ?"
            " ORDER BY correct DESC, answered ASC, display_name LIMIT ?",
            (chat_id, limit),
        )
        return [(str(name), int(correct), int(answered)) for name, correct, answered in rows]
