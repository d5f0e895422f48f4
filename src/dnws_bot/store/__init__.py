"""Persistence: chat settings, question outcomes, unanswered questions, feedback and quiz scores.

SQLite in WAL mode (`connection`: opening and forward-only migrations). The `Store` is
synchronous and thread-safe; `AsyncStore` runs any of its methods on one dedicated thread and
batches the question log, so the event loop never waits on the disk.

A failing store never stops the bot: every public method turns a database or file error into one
WARNING line on the "dnws_bot.store" logger and a neutral result (None, False, empty). A file
that is not a database is logged as an ERROR and left exactly as it is; the bot then runs
without persistence (`healthy` is False). A read-only database still serves reads.

Privacy: no Telegram user id is ever written. Feedback and quiz answers are keyed by an HMAC
under a random salt created with the database; only the quiz score table keeps a display name,
because showing it is the point of /score. The salt lives in the same file, so it keeps ids
unreadable and unlinkable across databases, not secret from someone who can brute-force the
file.
"""

from ..heartbeat import heartbeat_age  # re-exported for `dnws-bot healthcheck` (cli.py)
from .async_store import AsyncStore
from .connection import MIGRATIONS, SCHEMA_VERSION, SchemaTooNew
from .rows import (
    DayCount,
    IntentVotes,
    PollInfo,
    QuestionRecord,
    Stats,
    UnansweredRow,
)
from .store import Store

__all__ = [
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "AsyncStore",
    "DayCount",
    "IntentVotes",
    "PollInfo",
    "QuestionRecord",
    "SchemaTooNew",
    "Stats",
    "Store",
    "UnansweredRow",
    "heartbeat_age",
]
