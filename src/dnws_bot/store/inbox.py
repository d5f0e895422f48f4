"""The durable inbox: every update is written here before Telegram is told it arrived.

A row per `update_id` (the primary key, so a redelivered update is recognised): `new` while it
waits or is being handled, `done` once answered (its JSON is then cleared, only the id stays to
deduplicate), `failed` for an update the bot cannot parse (kept for the curator with a note of
its id and top-level keys, never its content), `dropped` for one found too old at start.
"""

from __future__ import annotations

from collections.abc import Sequence

from .base import StoreBase, guarded
from .connection import writing

FAILED_KEEP_SECONDS = 30 * 86400.0  # failed updates stay this long for the curator


class InboxStore(StoreBase):
    """The inbox table, written in one transaction per batch by the telegram layer."""

    @guarded(lambda: None)
    def inbox_apply(
        self,
        received: Sequence[tuple[int, str]],
        done: Sequence[int] = (),
        failed: Sequence[tuple[int, str]] = (),
    ) -> list[bool] | None:
        """One transaction: store the received updates (update_id, JSON), mark `done` ones
        answered, record `failed` ones (update_id, note). Returns, per received update, whether
        it was new (False: already in the inbox, so not to be handled again); None when the
        store cannot write."""
        now = self.clock()
        fresh: list[bool] = []
        with writing(self._conn) as db:
            for update_id, raw in received:
                cursor = db.execute(
                    "INSERT OR IGNORE INTO inbox (update_id, received_at, state, raw)"
                    " VALUES (?, ?, 'new', ?)",
                    (update_id, now, raw),
                )
                fresh.append(cursor.rowcount == 1)
            if done:
                db.executemany(
                    "UPDATE inbox SET state = 'done', raw = NULL WHERE update_id = ?",
                    [(update_id,) for update_id in done],
                )
            if failed:
                db.executemany(
                    "INSERT INTO inbox (update_id, received_at, state, note) VALUES (?, ?,"
                    " 'failed', ?) ON CONFLICT (update_id) DO UPDATE SET state = 'failed',"
                    " raw = NULL, note = excluded.note",
                    [(update_id, now, note) for update_id, note in failed],
                )
        return fresh

    @guarded(lambda: (0, []))
    def inbox_pending(self, max_age: float) -> tuple[int, list[tuple[int, str]]]:
        """Updates stored but never answered, oldest first, after marking those older than
        `max_age` seconds as dropped. Returns (how many were dropped, [(update_id, JSON)])."""
        cutoff = self.clock() - max_age
        with writing(self._conn) as db:
            dropped = db.execute(
                "UPDATE inbox SET state = 'dropped', raw = NULL"
                " WHERE state = 'new' AND received_at < ?",
                (cutoff,),
            ).rowcount
            rows = db.execute(
                "SELECT update_id, raw FROM inbox WHERE state = 'new' ORDER BY update_id"
            ).fetchall()
        return int(dropped), [(int(update_id), str(raw)) for update_id, raw in rows]

    @guarded(int)
    def inbox_prune(self, keep_seconds: float) -> int:
        """Forget answered and dropped ids older than `keep_seconds` (Telegram redelivers for at
        most 24 h) and failed ones after FAILED_KEEP_SECONDS; returns how many rows went."""
        now = self.clock()
        with writing(self._conn) as db:
            gone = db.execute(
                "DELETE FROM inbox WHERE (state IN ('done', 'dropped') AND received_at < ?)"
                " OR (state = 'failed' AND received_at < ?)",
                (now - keep_seconds, now - FAILED_KEEP_SECONDS),
            ).rowcount
        return int(gone)

    @guarded(dict)
    def inbox_counts(self) -> dict[str, int]:
        """Rows per state, e.g. {"done": 120, "failed": 1}: the curator report shows failed."""
        rows = self._conn.execute("SELECT state, count(*) FROM inbox GROUP BY state")
        return {str(state): int(n) for state, n in rows}

    @guarded(list)
    def inbox_failed(self, limit: int = 20) -> list[tuple[int, float, str]]:
        """The latest failed updates: (update_id, received_at, note), newest first."""
        rows = self._conn.execute(
            "SELECT update_id, received_at, coalesce(note, '') FROM inbox WHERE state = 'failed'"
            " ORDER BY received_at DESC, update_id DESC LIMIT ?",
            (limit,),
        )
        return [(int(i), float(at), str(note)) for i, at, note in rows]
