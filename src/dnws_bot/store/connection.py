"""Opening the SQLite file: connection settings, forward-only migrations, read-only fallbacks.

WAL mode with synchronous=FULL, so a committed row survives a crash or a power cut and readers
(the curator's `report`) never block the bot. Every write runs inside BEGIN IMMEDIATE: the write
lock is taken up front, so a busy database waits in busy_timeout instead of failing half-way.
"""

from __future__ import annotations

import contextlib
import secrets
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

DEFAULT_BUSY_TIMEOUT_MS = 5000

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
    (  # v3: scheduled study posts (store/schedules.py)
        "CREATE TABLE schedules (id INTEGER PRIMARY KEY, chat_id INTEGER NOT NULL,"
        " chat_type TEXT NOT NULL, kind TEXT NOT NULL CHECK (kind IN ('quiz', 'card')),"
        " days TEXT NOT NULL, hour INTEGER NOT NULL, minute INTEGER NOT NULL, tz TEXT NOT NULL,"
        " topic TEXT NOT NULL, lang TEXT NOT NULL, position INTEGER NOT NULL,"
        " next_run REAL NOT NULL, created_at REAL NOT NULL)",
        "CREATE INDEX schedules_chat ON schedules (chat_id)",
        "CREATE INDEX schedules_next_run ON schedules (next_run)",
    ),
)
SCHEMA_VERSION = len(MIGRATIONS)


class SchemaTooNew(sqlite3.DatabaseError):
    """The file was written by a newer dnws-bot: read it, but never write into a schema we
    do not know."""


class Opened(NamedTuple):
    db: sqlite3.Connection
    salt: bytes
    read_only_reason: str | None  # None when writable


def reason(exc: BaseException) -> str:
    """The error's message with SQLite's code name, for a log line a human can act on."""
    name = getattr(exc, "sqlite_errorname", None)
    return f"{exc} ({name})" if name else str(exc) or type(exc).__name__


def is_corrupt(exc: BaseException) -> bool:
    return getattr(exc, "sqlite_errorname", None) in ("SQLITE_NOTADB", "SQLITE_CORRUPT")


@contextlib.contextmanager
def writing(db: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
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
    # `timeout` is sqlite3_busy_timeout; isolation_level=None leaves transactions to `writing`.
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


def migrate(db: sqlite3.Connection) -> None:
    """Bring the schema to SCHEMA_VERSION in one IMMEDIATE transaction, so a crash mid-way
    keeps the old version and two processes starting together cannot both migrate. The final
    `user_version` write also proves the file is writable."""
    _known_version(db)  # the first read: a non-database fails here, before any write
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA synchronous = FULL")
    with writing(db):
        for steps in MIGRATIONS[_known_version(db) :]:  # again, now that we hold the lock
            for sql in steps:
                db.execute(sql)
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        db.execute(
            "INSERT OR IGNORE INTO meta (key, value) VALUES ('salt', ?)", (secrets.token_hex(32),)
        )


def _ready(db: sqlite3.Connection, *, migrate_it: bool) -> tuple[sqlite3.Connection, bytes]:
    """Migrate (or, read-only, just read the header) and load the salt now, so an unusable
    file fails at open rather than at the first call; close the connection if it fails."""
    try:
        if migrate_it:
            migrate(db)
        return db, _read_salt(db)
    except BaseException:
        db.close()
        raise


def _open_read_write(path: Path, busy_timeout_ms: int) -> tuple[sqlite3.Connection, bytes]:
    path.parent.mkdir(parents=True, exist_ok=True)
    uri = f"{path.resolve().as_uri()}?mode=rwc"
    return _ready(_connect(uri, busy_timeout_ms), migrate_it=True)


def _open_read_only(path: Path, busy_timeout_ms: int) -> tuple[sqlite3.Connection, bytes]:
    """mode=ro still needs to create the -shm beside the file. In a read-only directory with no
    -wal (so no committed page lives outside the file) immutable=1 reads the file alone."""
    uri = path.resolve().as_uri()
    try:
        return _ready(_connect(f"{uri}?mode=ro", busy_timeout_ms), migrate_it=False)
    except sqlite3.OperationalError:
        if Path(f"{path}-wal").exists():
            raise
        return _ready(_connect(f"{uri}?mode=ro&immutable=1", busy_timeout_ms), migrate_it=False)


def open_connection(path: Path, readonly: bool, busy_timeout_ms: int) -> Opened:
    """Read-write when possible; otherwise read-only with the reason; corruption propagates."""
    if readonly:
        return Opened(*_open_read_only(path, busy_timeout_ms), "opened read-only")
    try:
        return Opened(*_open_read_write(path, busy_timeout_ms), None)
    except (sqlite3.Error, OSError) as exc:
        if is_corrupt(exc):
            raise
        try:
            return Opened(*_open_read_only(path, busy_timeout_ms), reason(exc))
        except (sqlite3.Error, OSError) as ro_exc:
            raise ro_exc if is_corrupt(ro_exc) else exc from None
