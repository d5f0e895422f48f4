"""Persistence: chat settings, question outcomes, unanswered questions, feedback and quiz scores.

SQLite in WAL mode with synchronous=FULL, so a committed row survives a crash or a power cut,
and readers (the curator's `report`) never block the bot. One connection per process does all
the writing, each write inside BEGIN IMMEDIATE: the write lock is taken up front, so a busy
database waits in busy_timeout instead of failing half-way. `AsyncStore` runs every call on one
dedicated thread, which serialises the writes and keeps the event loop off the disk.

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

from __future__ import annotations

import asyncio
import contextlib
import functools
import hashlib
import hmac
import json
import logging
import os
import secrets
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, NamedTuple, ParamSpec, TypeVar, cast, get_args

from .engine.language import Lang
from .engine.matching import Status
from .engine.normalize import MAX_QUESTION_CHARS

log = logging.getLogger("dnws_bot.store")

ChatLang = Literal["ja", "en", "both", "auto"]
CHAT_LANGS: tuple[ChatLang, ...] = get_args(ChatLang)

DEFAULT_BUSY_TIMEOUT_MS = 5000
TOP_CANDIDATES = 3
MAX_DISPLAY_NAME = 64
TOP_INTENTS = 10
DAY_SECONDS = 86400.0

# Forward-only migrations: version N is reached by running MIGRATIONS[N-1]. Never edit a
# released step; append a new one (databases in the field are already past the old ones).
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (  # v1: settings, question outcomes, unanswered questions, feedback
        "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID",
        "CREATE TABLE chat_settings (chat_id INTEGER PRIMARY KEY, lang TEXT NOT NULL"
        " CHECK (lang IN ('ja', 'en', 'both', 'auto')), updated_at REAL NOT NULL)",
        "CREATE TABLE questions (id INTEGER PRIMARY KEY, at REAL NOT NULL, status TEXT NOT NULL,"
        " intent_id TEXT, lang TEXT NOT NULL, chat_type TEXT NOT NULL, score REAL NOT NULL,"
        " elapsed_ms REAL)",
        "CREATE INDEX questions_at ON questions (at)",
        "CREATE TABLE unanswered (id INTEGER PRIMARY KEY, at REAL NOT NULL, text TEXT NOT NULL,"
        " lang TEXT NOT NULL, chat_type TEXT NOT NULL, status TEXT NOT NULL,"
        " candidates TEXT NOT NULL)",
        "CREATE INDEX unanswered_at ON unanswered (at)",
        "CREATE TABLE feedback (voter TEXT PRIMARY KEY, intent_id TEXT NOT NULL,"
        " lang TEXT NOT NULL, vote INTEGER NOT NULL CHECK (vote IN (-1, 1)), at REAL NOT NULL)"
        " WITHOUT ROWID",
    ),
    (  # v2: quiz state and per-chat scores
        "CREATE TABLE quiz_asked (chat_id INTEGER NOT NULL, question_id TEXT NOT NULL,"
        " at REAL NOT NULL, PRIMARY KEY (chat_id, question_id)) WITHOUT ROWID",
        "CREATE TABLE polls (poll_id TEXT PRIMARY KEY, chat_id INTEGER NOT NULL,"
        " question_id TEXT NOT NULL, correct_option INTEGER NOT NULL, at REAL NOT NULL)"
        " WITHOUT ROWID",
        "CREATE INDEX polls_chat ON polls (chat_id)",
        "CREATE TABLE poll_answers (poll_id TEXT NOT NULL, player TEXT NOT NULL,"
        " PRIMARY KEY (poll_id, player)) WITHOUT ROWID",
        "CREATE TABLE scores (chat_id INTEGER NOT NULL, player TEXT NOT NULL,"
        " display_name TEXT NOT NULL, correct INTEGER NOT NULL, answered INTEGER NOT NULL,"
        " PRIMARY KEY (chat_id, player)) WITHOUT ROWID",
    ),
)
SCHEMA_VERSION = len(MIGRATIONS)


class SchemaTooNew(sqlite3.DatabaseError):
    """The file was written by a newer dnws-bot: read it, but never write into a schema we
    do not know."""


@dataclass(frozen=True)
class Stats:
    """Totals for /stats."""

    questions: int = 0
    answered: int = 0
    unanswered: int = 0
    feedback_up: int = 0
    feedback_down: int = 0
    top_intents: tuple[tuple[str, int], ...] = ()

    @property
    def answered_share(self) -> float:
        return self.answered / self.questions if self.questions else 0.0


@dataclass(frozen=True)
class PollInfo:
    """What a quiz poll was about, to score the answers Telegram sends later."""

    poll_id: str
    chat_id: int
    question_id: str
    correct_option: int


@dataclass(frozen=True)
class UnansweredRow:
    """One logged question without a confident answer, as the curator report reads it."""

    at: float
    text: str
    lang: str
    chat_type: str
    status: str
    candidates: tuple[tuple[str, float], ...]


@dataclass(frozen=True)
class IntentVotes:
    intent_id: str
    up: int
    down: int


@dataclass(frozen=True)
class DayCount:
    day: str  # YYYY-MM-DD, UTC
    questions: int
    answered: int


_F = TypeVar("_F", bound=Callable[..., Any])
_P = ParamSpec("_P")
_T = TypeVar("_T")


def _reason(exc: BaseException) -> str:
    """The error's message with SQLite's code name, for a log line a human can act on."""
    name = getattr(exc, "sqlite_errorname", None)
    return f"{exc} ({name})" if name else str(exc) or type(exc).__name__


def _is_corrupt(exc: BaseException) -> bool:
    return getattr(exc, "sqlite_errorname", None) in ("SQLITE_NOTADB", "SQLITE_CORRUPT")


def _guarded(default: Callable[[], object]) -> Callable[[_F], _F]:
    """Run a public method under the store lock; on any database or file error log one warning
    naming the method and return `default()`, because the bot must answer even without a store.
    Without a connection (corrupt or unopenable file, already logged at open) return quietly."""

    def decorate(method: _F) -> _F:
        @functools.wraps(method)
        def wrapper(self: Store, *args: Any, **kwargs: Any) -> Any:
            try:
                with self._lock:
                    if self._db is None:
                        return default()
                    return method(self, *args, **kwargs)
            except (sqlite3.Error, OSError) as exc:
                log.warning("store: %s failed: %s", method.__name__, _reason(exc))
                return default()

        return cast(_F, wrapper)

    return decorate


@contextlib.contextmanager
def _writing(db: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """One write transaction. IMMEDIATE takes the write lock before reading, so two writers
    queue in busy_timeout instead of one failing when it upgrades a read lock."""
    db.execute("BEGIN IMMEDIATE")
    try:
        yield db
        db.execute("COMMIT")
    except BaseException:
        if db.in_transaction:  # SQLite may already have rolled back (disk full, I/O error)
            db.execute("ROLLBACK")
        raise


def _connect(uri: str, busy_timeout_ms: int) -> sqlite3.Connection:
    # `timeout` is sqlite3_busy_timeout; isolation_level=None leaves transactions to _writing.
    return sqlite3.connect(
        uri,
        timeout=busy_timeout_ms / 1000,
        isolation_level=None,
        check_same_thread=False,  # opened by one thread, used by AsyncStore's worker
        uri=True,
    )


def _user_version(db: sqlite3.Connection) -> int:
    return int(db.execute("PRAGMA user_version").fetchone()[0])


def _known_version(db: sqlite3.Connection) -> int:
    version = _user_version(db)
    if version > SCHEMA_VERSION:
        raise SchemaTooNew(f"schema version {version} is newer than this code ({SCHEMA_VERSION})")
    return version


def _read_salt(db: sqlite3.Connection) -> bytes:
    if _user_version(db) == 0:
        return b""
    row = db.execute("SELECT value FROM meta WHERE key = 'salt'").fetchone()
    return str(row[0]).encode() if row else b""


def _migrate(db: sqlite3.Connection) -> None:
    """Bring the schema to SCHEMA_VERSION in one IMMEDIATE transaction, so a crash mid-way
    keeps the old version and two processes starting together cannot both migrate. The final
    `user_version` write also proves the file is writable."""
    _known_version(db)  # the first read: a non-database fails here, before any write
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA synchronous = FULL")
    with _writing(db):
        for steps in MIGRATIONS[_known_version(db) :]:  # again, now that we hold the lock
            for sql in steps:
                db.execute(sql)
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        db.execute(
            "INSERT OR IGNORE INTO meta (key, value) VALUES ('salt', ?)", (secrets.token_hex(32),)
        )


class _Opened(NamedTuple):
    db: sqlite3.Connection
    salt: bytes
    read_only_reason: str | None  # None when writable


def _ready(db: sqlite3.Connection, *, migrate: bool) -> tuple[sqlite3.Connection, bytes]:
    """Migrate (or, read-only, just read the header) and load the salt now, so an unusable
    file fails at open rather than at the first call; close the connection if it fails."""
    try:
        if migrate:
            _migrate(db)
        return db, _read_salt(db)
    except BaseException:
        db.close()
        raise


def _open_read_write(path: Path, busy_timeout_ms: int) -> tuple[sqlite3.Connection, bytes]:
    path.parent.mkdir(parents=True, exist_ok=True)
    return _ready(_connect(f"{path.resolve().as_uri()}?mode=rwc", busy_timeout_ms), migrate=True)


def _open_read_only(path: Path, busy_timeout_ms: int) -> tuple[sqlite3.Connection, bytes]:
    """mode=ro still needs to create the -shm beside the file. In a read-only directory with no
    -wal (so no committed page lives outside the file) immutable=1 reads the file alone."""
    uri = path.resolve().as_uri()
    try:
        return _ready(_connect(f"{uri}?mode=ro", busy_timeout_ms), migrate=False)
    except sqlite3.OperationalError:
        if Path(f"{path}-wal").exists():
            raise
        return _ready(_connect(f"{uri}?mode=ro&immutable=1", busy_timeout_ms), migrate=False)


def _open_connection(path: Path, readonly: bool, busy_timeout_ms: int) -> _Opened:
    """Read-write when possible; otherwise read-only with the reason; corruption propagates."""
    if readonly:
        return _Opened(*_open_read_only(path, busy_timeout_ms), "opened read-only")
    try:
        return _Opened(*_open_read_write(path, busy_timeout_ms), None)
    except (sqlite3.Error, OSError) as exc:
        if _is_corrupt(exc):
            raise
        try:
            return _Opened(*_open_read_only(path, busy_timeout_ms), _reason(exc))
        except (sqlite3.Error, OSError) as ro_exc:
            raise ro_exc if _is_corrupt(ro_exc) else exc from None


def _top_candidates(candidates: Iterable[tuple[str, float]]) -> str:
    best = sorted(candidates, key=lambda c: c[1], reverse=True)[:TOP_CANDIDATES]
    return json.dumps([[intent_id, round(float(score), 4)] for intent_id, score in best])


def _parse_candidates(raw: str) -> tuple[tuple[str, float], ...]:
    """Stored JSON back to pairs; an unreadable value yields none rather than an exception."""
    try:
        return tuple((str(i), float(s)) for i, s in json.loads(raw))
    except (ValueError, TypeError):
        return ()


def heartbeat_path(db_path: str | os.PathLike[str]) -> Path:
    """`<db path>.heartbeat`, beside the store."""
    return Path(f"{os.fspath(db_path)}.heartbeat")


def heartbeat_age(db_path: str | os.PathLike[str]) -> float | None:
    """Seconds since the bot last touched its heartbeat, or None when there is none (for the
    healthcheck command, which runs in another process)."""
    try:
        stamp = float(heartbeat_path(db_path).read_text(encoding="ascii"))
    except (OSError, ValueError):
        return None
    return max(0.0, time.time() - stamp)


class Store:
    """The bot's database, synchronous and thread-safe. Open with `Store.open(path)`."""

    def __init__(
        self,
        path: Path,
        db: sqlite3.Connection | None,
        *,
        salt: bytes = b"",
        writable: bool = False,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.path = path
        self._db = db
        self._salt = salt
        self._writable = writable
        self._clock = clock
        self._lock = threading.Lock()

    @classmethod
    def open(
        cls,
        path: str | os.PathLike[str],
        *,
        readonly: bool = False,
        busy_timeout_ms: int = DEFAULT_BUSY_TIMEOUT_MS,
        clock: Callable[[], float] = time.time,
    ) -> Store:
        """Open (creating the directory and file) and migrate; never raises. Falls back to
        read-only, then to no persistence, logging one line that says which and why."""
        where = Path(path)
        try:
            opened = _open_connection(where, readonly, busy_timeout_ms)
        except (sqlite3.Error, OSError) as exc:
            if _is_corrupt(exc):
                log.error(
                    "store: %s is not a usable database (%s); running without persistence, "
                    "the file is left untouched",
                    where,
                    _reason(exc),
                )
            else:
                log.warning(
                    "store: cannot open %s (%s); running without persistence", where, _reason(exc)
                )
            return cls(where, None, clock=clock)
        writable = opened.read_only_reason is None
        if not writable and not readonly:
            log.warning(
                "store: %s is read-only (%s); serving reads, dropping writes",
                where,
                opened.read_only_reason,
            )
        return cls(where, opened.db, salt=opened.salt, writable=writable, clock=clock)

    @property
    def healthy(self) -> bool:
        """True when writes persist; False when read-only or running without a database."""
        return self._db is not None and self._writable

    @property
    def readable(self) -> bool:
        """True when there is a database to read (read-write or read-only)."""
        return self._db is not None

    def close(self) -> None:
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def _conn(self) -> sqlite3.Connection:
        """The open connection; public methods only reach here through `_guarded`."""
        assert self._db is not None
        return self._db

    def _pseudonym(self, *ids: int) -> str:
        """A stable key for a person that does not contain their Telegram id."""
        message = ":".join(str(i) for i in ids).encode()
        return hmac.new(self._salt, message, hashlib.sha256).hexdigest()

    def _since(self, days: float) -> float:
        return self._clock() - days * DAY_SECONDS

    # --- chat settings -------------------------------------------------------------------

    @_guarded(lambda: None)
    def get_chat_lang(self, chat_id: int) -> ChatLang | None:
        """The chat's /lang choice, or None when it never chose."""
        row = self._conn.execute(
            "SELECT lang FROM chat_settings WHERE chat_id = ?", (chat_id,)
        ).fetchone()
        return cast(ChatLang, row[0]) if row and row[0] in CHAT_LANGS else None

    @_guarded(bool)
    def set_chat_lang(self, chat_id: int, mode: str) -> bool:
        """Keep the chat's /lang choice. Takes the command's raw word: the schema refuses
        anything but ja, en, both and auto (False and one warning, without the word)."""
        with _writing(self._conn) as db:
            db.execute(
                "INSERT INTO chat_settings (chat_id, lang, updated_at) VALUES (?, ?, ?)"
                " ON CONFLICT (chat_id) DO UPDATE SET lang = excluded.lang,"
                " updated_at = excluded.updated_at",
                (chat_id, mode, self._clock()),
            )
        return True

    @_guarded(bool)
    def migrate_chat(self, old_chat_id: int, new_chat_id: int) -> bool:
        """A group became a supergroup (new id): move its settings, quiz state and scores.
        Anything the new chat already has wins; scores of the same player are added up."""
        ids = (new_chat_id, old_chat_id)
        with _writing(self._conn) as db:
            for table in ("chat_settings", "quiz_asked"):
                db.execute(f"UPDATE OR IGNORE {table} SET chat_id = ? WHERE chat_id = ?", ids)
                db.execute(f"DELETE FROM {table} WHERE chat_id = ?", (old_chat_id,))
            db.execute("UPDATE polls SET chat_id = ? WHERE chat_id = ?", ids)
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

    @_guarded(bool)
    def log_question(
        self,
        status: Status,
        intent_id: str | None,
        lang: Lang,
        chat_type: str,
        score: float,
        elapsed_ms: float | None = None,
    ) -> bool:
        """Every question's outcome, for /stats and the answer rate; nothing about the user."""
        with _writing(self._conn) as db:
            db.execute(
                "INSERT INTO questions (at, status, intent_id, lang, chat_type, score, elapsed_ms)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (self._clock(), status, intent_id, lang, chat_type, score, elapsed_ms),
            )
        return True

    @_guarded(bool)
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
        with _writing(self._conn) as db:
            db.execute(
                "INSERT INTO unanswered (at, text, lang, chat_type, status, candidates)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (
                    self._clock(),
                    text_normalised[:MAX_QUESTION_CHARS],
                    lang,
                    chat_type,
                    status,
                    _top_candidates(candidates),
                ),
            )
        return True

    # --- feedback ------------------------------------------------------------------------

    @_guarded(bool)
    def record_feedback(
        self, chat_id: int, message_id: int, user_id: int, intent_id: str, lang: Lang, vote: int
    ) -> bool:
        """A 👍 (+1) or 👎 (-1): one vote per user per message, a changed vote replaces the old
        one. True when the vote was stored or changed, False for a repeat of the same vote."""
        voter = self._pseudonym(chat_id, message_id, user_id)
        with _writing(self._conn) as db:
            changed = db.execute(
                "INSERT INTO feedback (voter, intent_id, lang, vote, at) VALUES (?, ?, ?, ?, ?)"
                " ON CONFLICT (voter) DO UPDATE SET vote = excluded.vote, at = excluded.at"
                " WHERE vote != excluded.vote",
                (voter, intent_id, lang, vote, self._clock()),
            ).rowcount
        return changed == 1

    # --- quiz ----------------------------------------------------------------------------

    @_guarded(set)
    def quiz_asked(self, chat_id: int) -> set[str]:
        """Question ids this chat has already been asked (the quiz avoids repeats)."""
        rows = self._conn.execute(
            "SELECT question_id FROM quiz_asked WHERE chat_id = ?", (chat_id,)
        )
        return {str(row[0]) for row in rows}

    @_guarded(bool)
    def mark_quiz_asked(self, chat_id: int, question_id: str) -> bool:
        with _writing(self._conn) as db:
            db.execute(
                "INSERT OR IGNORE INTO quiz_asked (chat_id, question_id, at) VALUES (?, ?, ?)",
                (chat_id, question_id, self._clock()),
            )
        return True

    @_guarded(bool)
    def reset_quiz(self, chat_id: int) -> bool:
        """Start the chat's question cycle again; scores are kept."""
        with _writing(self._conn) as db:
            db.execute("DELETE FROM quiz_asked WHERE chat_id = ?", (chat_id,))
        return True

    @_guarded(bool)
    def remember_poll(
        self, poll_id: str, chat_id: int, question_id: str, correct_option: int
    ) -> bool:
        """Telegram sends poll answers without the chat: keep where each quiz poll was sent."""
        with _writing(self._conn) as db:
            db.execute(
                "INSERT OR REPLACE INTO polls (poll_id, chat_id, question_id, correct_option, at)"
                " VALUES (?, ?, ?, ?, ?)",
                (poll_id, chat_id, question_id, correct_option, self._clock()),
            )
        return True

    @_guarded(lambda: None)
    def poll(self, poll_id: str) -> PollInfo | None:
        row = self._conn.execute(
            "SELECT poll_id, chat_id, question_id, correct_option FROM polls WHERE poll_id = ?",
            (poll_id,),
        ).fetchone()
        return PollInfo(str(row[0]), int(row[1]), str(row[2]), int(row[3])) if row else None

    @_guarded(bool)
    def record_poll_answer(
        self, poll_id: str, user_id: int, display_name: str, option_ids: list[int]
    ) -> bool:
        """Score a quiz answer in the poll's chat. True when it counted; an unknown poll, a
        retracted vote or a second answer by the same user to the same poll counts nothing."""
        if not option_ids:
            return False
        player = self._pseudonym(user_id)  # same key in every chat, so migrate_chat can merge
        with _writing(self._conn) as db:
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

    @_guarded(list)
    def top_scores(self, chat_id: int, limit: int = 10) -> list[tuple[str, int, int]]:
        """(display name, correct, answered), best first; fewer attempts break a tie."""
        rows = self._conn.execute(
            "SELECT display_name, correct, answered FROM scores WHERE chat_id = ?"
            " ORDER BY correct DESC, answered ASC, display_name LIMIT ?",
            (chat_id, limit),
        )
        return [(str(name), int(correct), int(answered)) for name, correct, answered in rows]

    # --- reading for /stats and the curator report ---------------------------------------

    @_guarded(Stats)
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

    @_guarded(list)
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

    @_guarded(list)
    def feedback_by_intent(self, days: float) -> list[IntentVotes]:
        rows = self._conn.execute(
            "SELECT intent_id, sum(vote = 1), sum(vote = -1) FROM feedback WHERE at >= ?"
            " GROUP BY intent_id ORDER BY intent_id",
            (self._since(days),),
        )
        return [IntentVotes(str(i), int(up), int(down)) for i, up, down in rows]

    @_guarded(list)
    def daily_answers(self, days: float) -> list[DayCount]:
        """Questions and confident answers per UTC day."""
        rows = self._conn.execute(
            "SELECT date(at, 'unixepoch') AS day, count(*), sum(status = 'answer')"
            " FROM questions WHERE at >= ? GROUP BY day ORDER BY day",
            (self._since(days),),
        )
        return [DayCount(str(day), int(n), int(answered)) for day, n, answered in rows]

    # --- liveness ------------------------------------------------------------------------

    def touch_heartbeat(self) -> bool:
        """Write the current time to `<db path>.heartbeat` (atomically, so the healthcheck
        never reads half a number). Works without a database: it tells that the bot is alive."""
        target = heartbeat_path(self.path)
        temporary = target.with_name(f"{target.name}.tmp")
        try:
            temporary.write_text(f"{time.time():.3f}\n", encoding="ascii")
            os.replace(temporary, target)
        except OSError as exc:
            log.warning("store: touch_heartbeat failed: %s", _reason(exc))
            return False
        return True


class AsyncStore:
    """A Store for the event loop: every call runs on one dedicated thread, so writes are
    serialised and a slow disk never blocks the loop."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="dnws-store")

    @classmethod
    def open(cls, path: str | os.PathLike[str]) -> AsyncStore:
        """Open and migrate right away: it runs once at start-up, before any update is served,
        and a failure is already turned into a log line and a store without persistence."""
        return cls(Store.open(path))

    @property
    def healthy(self) -> bool:
        return self.store.healthy

    async def _call(self, fn: Callable[_P, _T], *args: _P.args, **kwargs: _P.kwargs) -> _T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, functools.partial(fn, *args, **kwargs))

    async def close(self) -> None:
        await self._call(self.store.close)
        self._executor.shutdown(wait=True)

    async def get_chat_lang(self, chat_id: int) -> ChatLang | None:
        return await self._call(self.store.get_chat_lang, chat_id)

    async def set_chat_lang(self, chat_id: int, mode: str) -> bool:
        return await self._call(self.store.set_chat_lang, chat_id, mode)

    async def migrate_chat(self, old_chat_id: int, new_chat_id: int) -> bool:
        return await self._call(self.store.migrate_chat, old_chat_id, new_chat_id)

    async def log_question(
        self,
        status: Status,
        intent_id: str | None,
        lang: Lang,
        chat_type: str,
        score: float,
        elapsed_ms: float | None = None,
    ) -> bool:
        return await self._call(
            self.store.log_question, status, intent_id, lang, chat_type, score, elapsed_ms
        )

    async def log_unanswered(
        self,
        text_normalised: str,
        lang: Lang,
        chat_type: str,
        status: Status,
        candidates: Iterable[tuple[str, float]],
    ) -> bool:
        return await self._call(
            self.store.log_unanswered, text_normalised, lang, chat_type, status, list(candidates)
        )

    async def record_feedback(
        self, chat_id: int, message_id: int, user_id: int, intent_id: str, lang: Lang, vote: int
    ) -> bool:
        return await self._call(
            self.store.record_feedback, chat_id, message_id, user_id, intent_id, lang, vote
        )

    async def quiz_asked(self, chat_id: int) -> set[str]:
        return await self._call(self.store.quiz_asked, chat_id)

    async def mark_quiz_asked(self, chat_id: int, question_id: str) -> bool:
        return await self._call(self.store.mark_quiz_asked, chat_id, question_id)

    async def reset_quiz(self, chat_id: int) -> bool:
        return await self._call(self.store.reset_quiz, chat_id)

    async def remember_poll(
        self, poll_id: str, chat_id: int, question_id: str, correct_option: int
    ) -> bool:
        return await self._call(
            self.store.remember_poll, poll_id, chat_id, question_id, correct_option
        )

    async def poll(self, poll_id: str) -> PollInfo | None:
        return await self._call(self.store.poll, poll_id)

    async def record_poll_answer(
        self, poll_id: str, user_id: int, display_name: str, option_ids: list[int]
    ) -> bool:
        return await self._call(
            self.store.record_poll_answer, poll_id, user_id, display_name, list(option_ids)
        )

    async def top_scores(self, chat_id: int, limit: int = 10) -> list[tuple[str, int, int]]:
        return await self._call(self.store.top_scores, chat_id, limit)

    async def stats(self) -> Stats:
        return await self._call(self.store.stats)

    async def touch_heartbeat(self) -> bool:
        return await self._call(self.store.touch_heartbeat)
