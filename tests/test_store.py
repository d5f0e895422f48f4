"""The store: migrations, durability, concurrency, privacy and every way the disk can fail."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from dnws_bot.heartbeat import heartbeat_age, heartbeat_path, touch_heartbeat
from dnws_bot.store import MIGRATIONS, AsyncStore, PollInfo, QuestionRecord, Stats, Store
from privileges import file_modes_enforced

CHAT = -1001
NEW_CHAT = -1009001
FEEDBACK_USER_ID = 7493015286
FEEDBACK_USER_NAME = "Mallory Feedbacker"
PLAYER_ID = 5820397146
PLAYER_NAME = "Quinn Quizzer"
QUESTION = "how far can the hwasong missiles fly"
WORKER = Path(__file__).with_name("store_worker.py")


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "bot.sqlite3"


@pytest.fixture
def store(db_path: Path) -> Iterator[Store]:
    with Store.open(db_path) as opened:
        yield opened


@pytest.fixture
def warnings(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.WARNING, logger="dnws_bot.store")
    return caplog


def seed(store: Store) -> None:
    """One row of everything, so reads have something to return."""
    assert store.set_chat_lang(CHAT, "en")
    assert store.mark_quiz_asked(CHAT, "q1")
    assert store.remember_poll("p1", CHAT, "q1", 2)
    assert store.record_poll_answer("p1", PLAYER_ID, PLAYER_NAME, [2])
    assert store.log_question("none", None, "en", "group", 0.12, 3.5)
    assert store.log_unanswered(QUESTION, "en", "group", "none", [("obstacles.sanctions", 0.2)])
    assert store.record_feedback(CHAT, 42, FEEDBACK_USER_ID, "obstacles.sanctions", "en", -1)


WRITES: dict[str, Callable[[Store], bool]] = {
    "set_chat_lang": lambda s: s.set_chat_lang(CHAT, "ja"),
    "migrate_chat": lambda s: s.migrate_chat(CHAT, NEW_CHAT),
    "log_question": lambda s: s.log_question("answer", "a.b", "en", "private", 0.9, 1.0),
    "log_unanswered": lambda s: s.log_unanswered(QUESTION, "en", "private", "none", []),
    "record_feedback": lambda s: s.record_feedback(CHAT, 43, FEEDBACK_USER_ID, "a.b", "en", 1),
    "mark_quiz_asked": lambda s: s.mark_quiz_asked(CHAT, "q2"),
    "reset_quiz": lambda s: s.reset_quiz(CHAT),
    "remember_poll": lambda s: s.remember_poll("p2", CHAT, "q2", 0),
    "record_poll_answer": lambda s: s.record_poll_answer("p1", PLAYER_ID + 1, "Other", [1]),
}
READS: dict[str, Callable[[Store], object]] = {
    "get_chat_lang": lambda s: s.get_chat_lang(CHAT),
    "quiz_asked": lambda s: s.quiz_asked(CHAT),
    "poll": lambda s: s.poll("p1"),
    "top_scores": lambda s: s.top_scores(CHAT),
    "stats": lambda s: s.stats(),
    "unanswered_since": lambda s: s.unanswered_since(30),
    "feedback_by_intent": lambda s: s.feedback_by_intent(30),
    "daily_answers": lambda s: s.daily_answers(30),
}
READ_DEFAULTS: dict[str, object] = {
    "get_chat_lang": None,
    "quiz_asked": set(),
    "poll": None,
    "top_scores": [],
    "stats": Stats(),
    "unanswered_since": [],
    "feedback_by_intent": [],
    "daily_answers": [],
}


def read_all(store: Store) -> dict[str, object]:
    return {name: read(store) for name, read in READS.items()}


def assert_writes_dropped(store: Store, caplog: pytest.LogCaptureFixture, reason: str) -> None:
    """Every write returns False and logs exactly one warning naming itself and the reason."""
    for name, write in WRITES.items():
        caplog.clear()
        assert write(store) is False, name
        assert [r.levelno for r in caplog.records] == [logging.WARNING], name
        assert name in caplog.text and reason in caplog.text, caplog.text


# Root ignores file modes, so as root the read-only tests drop the two capabilities that let
# it, for the calling thread only (Linux capabilities are per thread) and restore them after.
# --- migrations -------------------------------------------------------------------------------


def schema(path: Path) -> list[tuple[str, str, str]]:
    """Every table and index with its SQL, and the schema version: what a migration produces."""
    raw = sqlite3.connect(path)
    try:
        rows = raw.execute(
            "SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY name"
        ).fetchall()
        version = raw.execute("PRAGMA user_version").fetchone()[0]
    finally:
        raw.close()
    return [*rows, ("user_version", "", str(version))]


def test_open_creates_directory_and_a_wal_database_with_a_salt(db_path: Path) -> None:
    """Opening a path in a missing directory creates both, in WAL mode, with a random salt."""
    with Store.open(db_path) as store:
        assert store.healthy
    raw = sqlite3.connect(db_path)
    assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert raw.execute("SELECT length(value) FROM meta WHERE key = 'salt'").fetchone()[0] == 64


@pytest.mark.parametrize("version", range(1, len(MIGRATIONS)))
def test_every_older_schema_migrates_to_the_schema_of_a_new_file(
    tmp_path: Path, version: int
) -> None:
    """A file left at any older version ends with exactly the tables of a freshly created one."""
    with Store.open(tmp_path / "fresh.sqlite3"):
        pass
    old = tmp_path / "old.sqlite3"
    raw = sqlite3.connect(old, isolation_level=None)
    for steps in MIGRATIONS[:version]:
        for sql in steps:
            raw.execute(sql)
    raw.execute(f"PRAGMA user_version = {version}")
    raw.close()
    with Store.open(old) as store:
        assert store.healthy
    assert schema(old) == schema(tmp_path / "fresh.sqlite3")


def test_open_migrates_an_empty_file(tmp_path: Path) -> None:
    """A zero-byte file (as `touch` leaves it) is migrated from nothing and then works."""
    path = tmp_path / "empty.sqlite3"
    path.touch()
    with Store.open(path) as store:
        assert store.healthy
        assert store.set_chat_lang(CHAT, "both")
        assert store.get_chat_lang(CHAT) == "both"


def test_open_migrates_a_v1_database_and_keeps_its_data(tmp_path: Path) -> None:
    """A database written by schema v1 gains the quiz tables; its rows and salt are kept."""
    path = tmp_path / "v1.sqlite3"
    raw = sqlite3.connect(path, isolation_level=None)
    for sql in MIGRATIONS[0]:
        raw.execute(sql)
    raw.execute("PRAGMA user_version = 1")
    raw.execute("INSERT INTO meta VALUES ('salt', 'v1-salt')")
    raw.execute("INSERT INTO chat_settings VALUES (?, 'both', 0)", (CHAT,))
    raw.execute(
        "INSERT INTO questions (at, status, intent_id, lang, chat_type, score, elapsed_ms)"
        " VALUES (0, 'answer', 'requirements.definition', 'ja', 'private', 0.8, 12)"
    )
    raw.close()

    with Store.open(path) as store:
        assert store.healthy
        assert store.get_chat_lang(CHAT) == "both"
        assert store.stats().top_intents == (("requirements.definition", 1),)
        assert store.mark_quiz_asked(CHAT, "q1")
        assert store.quiz_asked(CHAT) == {"q1"}
    raw = sqlite3.connect(path)
    assert raw.execute("SELECT value FROM meta WHERE key = 'salt'").fetchone()[0] == "v1-salt"
    assert raw.execute("SELECT elapsed_ms FROM questions").fetchall() == [(12.0,)]


def test_newer_schema_is_read_but_never_written(
    db_path: Path, warnings: pytest.LogCaptureFixture
) -> None:
    """A database from a newer version is served read-only instead of being written blindly."""
    with Store.open(db_path) as store:
        seed(store)
    raw = sqlite3.connect(db_path)
    raw.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    raw.close()
    with Store.open(db_path) as store:
        assert not store.healthy
        assert store.get_chat_lang(CHAT) == "en"
        assert store.set_chat_lang(CHAT, "ja") is False
    assert "newer than this code" in warnings.text


# --- durability and concurrency -----------------------------------------------------------------


def test_kill_9_mid_burst_loses_no_committed_row(db_path: Path) -> None:
    """SIGKILL during a burst of writes keeps every row the child reported as committed."""
    child = subprocess.Popen(
        [sys.executable, str(WORKER), str(db_path)], stdout=subprocess.PIPE, text=True
    )
    assert child.stdout is not None
    printed = [int(child.stdout.readline()) for _ in range(300)]
    child.kill()
    child.wait()
    printed += [int(line) for line in child.stdout.read().split()]
    child.stdout.close()
    assert child.returncode == -9

    with Store.open(db_path) as store:
        missing = [n for n in printed if store.poll(f"poll-{n}") is None]
    assert missing == []
    raw = sqlite3.connect(db_path)
    assert raw.execute("PRAGMA integrity_check").fetchall() == [("ok",)]


async def test_200_concurrent_presses_through_async_store(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """200 simultaneous 👍/👎 presses on the event loop are all counted, none locked out."""
    astore = AsyncStore.open(tmp_path / "bot.sqlite3")
    presses = [
        astore.call(Store.record_feedback, CHAT, 7, user, "a.b", "en", -1 if user % 4 == 0 else 1)
        for user in range(1000, 1200)
    ]
    assert all(await asyncio.gather(*presses))
    stats = await astore.call(Store.stats)
    await astore.close()
    assert (stats.feedback_up, stats.feedback_down) == (150, 50)
    assert "locked" not in caplog.text


def test_200_concurrent_presses_from_threads_on_two_connections(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """200 presses from threads over two connections (two processes' worth) count exactly once."""
    path = tmp_path / "bot.sqlite3"
    stores = [Store.open(path), Store.open(path)]
    start = threading.Barrier(200, timeout=30)  # fail, never hang, if the pool were smaller

    def press(n: int) -> bool:
        user = 2000 + n // 2  # every user presses twice, once through each connection
        start.wait()
        return stores[n % 2].record_feedback(CHAT, 8, user, "a.b", "en", -1 if user % 4 else 1)

    with ThreadPoolExecutor(200) as pool:
        results = list(pool.map(press, range(200)))
    stats = stores[0].stats()
    for store in stores:
        store.close()
    assert results.count(True) == 100  # the second press of the same vote changes nothing
    assert (stats.feedback_up, stats.feedback_down) == (25, 75)
    assert "locked" not in caplog.text


# --- failures never stop the bot ---------------------------------------------------------------


def test_read_only_file_serves_reads_and_drops_writes(
    db_path: Path, warnings: pytest.LogCaptureFixture
) -> None:
    """A chmod 444 database answers reads, and each write returns False with one warning."""
    with Store.open(db_path) as store:
        seed(store)
        expected = read_all(store)
    db_path.chmod(0o444)
    warnings.clear()
    with file_modes_enforced(), Store.open(db_path) as store:
        assert [r.levelno for r in warnings.records] == [logging.WARNING]
        assert "read-only" in warnings.text
        assert not store.healthy and store.readable
        warnings.clear()
        assert read_all(store) == expected
        assert warnings.records == []
        assert_writes_dropped(store, warnings, "readonly")


def test_read_only_directory_serves_reads_and_never_raises(
    db_path: Path, warnings: pytest.LogCaptureFixture
) -> None:
    """In a read-only directory an existing database is still read, and a new one is simply off."""
    with Store.open(db_path) as store:
        seed(store)
        expected = read_all(store)
    directory = db_path.parent
    directory.chmod(0o555)
    try:
        with file_modes_enforced():
            warnings.clear()
            with Store.open(db_path) as store:
                assert len(warnings.records) == 1 and not store.healthy
                assert read_all(store) == expected
                assert_writes_dropped(store, warnings, "readonly")
                warnings.clear()
                assert touch_heartbeat(db_path) is False
                assert len(warnings.records) == 1 and "heartbeat" in warnings.text

            warnings.clear()
            with Store.open(directory / "sub" / "new.sqlite3") as off:
                assert not off.readable
                assert read_all(off) == READ_DEFAULTS
                assert all(write(off) is False for write in WRITES.values())
            assert len(warnings.records) == 1 and "without persistence" in warnings.text
    finally:
        directory.chmod(0o755)


def test_locked_database_serves_reads_and_drops_writes(
    db_path: Path, warnings: pytest.LogCaptureFixture
) -> None:
    """While another connection holds BEGIN EXCLUSIVE, writes give up after busy_timeout."""
    with Store.open(db_path) as seeded:
        seed(seeded)
        expected = read_all(seeded)
    store = Store.open(db_path, busy_timeout_ms=50)
    locker = sqlite3.connect(db_path, isolation_level=None)
    locker.execute("BEGIN EXCLUSIVE")
    try:
        warnings.clear()
        assert read_all(store) == expected
        assert_writes_dropped(store, warnings, "database is locked")
        warnings.clear()
        with Store.open(db_path, busy_timeout_ms=50) as late:
            assert late.readable and not late.healthy
        assert len(warnings.records) == 1 and "locked" in warnings.text
    finally:
        locker.execute("ROLLBACK")
        locker.close()
        store.close()
    assert QUESTION not in warnings.text


def test_corrupt_file_is_logged_once_and_left_untouched(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A file that is not a database: one ERROR, defaults everywhere, not one byte changed."""
    caplog.set_level(logging.DEBUG, logger="dnws_bot.store")
    path = tmp_path / "bot.sqlite3"
    garbage = b"this is not a database\n" * 200 + bytes(range(256))
    path.write_bytes(garbage)
    with Store.open(path) as store:
        assert not store.healthy and not store.readable
        assert read_all(store) == READ_DEFAULTS
        assert all(write(store) is False for write in WRITES.values())
    assert [r.levelno for r in caplog.records] == [logging.ERROR]
    assert "not a usable database" in caplog.text
    assert path.read_bytes() == garbage
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bot.sqlite3"]


# --- privacy ------------------------------------------------------------------------------------


def test_no_user_id_and_no_feedback_name_in_the_database_bytes(store: Store, db_path: Path) -> None:
    """User ids never reach the file; only the quiz score table keeps a display name."""
    seed(store)
    assert store.record_feedback(CHAT, 43, FEEDBACK_USER_ID, "a.b", "en", 1)
    raw = sqlite3.connect(db_path)
    raw.execute("PRAGMA wal_checkpoint(FULL)")
    raw.close()
    data = b"".join(Path(f"{db_path}{suffix}").read_bytes() for suffix in ("", "-wal"))
    assert PLAYER_NAME.encode() in data  # by design, and proof the scan sees stored text
    assert QUESTION.encode() in data
    assert FEEDBACK_USER_NAME.encode() not in data
    for user_id in (FEEDBACK_USER_ID, PLAYER_ID):
        assert str(user_id).encode() not in data
        assert user_id.to_bytes(6, "big") not in data  # SQLite's integer encoding


def test_unanswered_keeps_the_best_three_candidates(store: Store) -> None:
    """Only the three best candidates of an unanswered question are kept, best first."""
    candidates = [("a", 0.1), ("b", 0.4), ("c", 0.3), ("d", 0.2)]
    assert store.log_unanswered(QUESTION, "en", "private", "suggest", candidates)
    (row,) = store.unanswered_since(1)
    assert (row.text, row.status) == (QUESTION, "suggest")
    assert row.candidates == (("b", 0.4), ("c", 0.3), ("d", 0.2))


# --- behaviour ----------------------------------------------------------------------------------


def test_chat_migration_moves_settings_quiz_state_and_scores(store: Store) -> None:
    """When a group becomes a supergroup its language, asked questions, polls and scores follow."""
    seed(store)
    assert store.migrate_chat(CHAT, NEW_CHAT)
    assert store.get_chat_lang(CHAT) is None
    assert store.get_chat_lang(NEW_CHAT) == "en"
    assert store.quiz_asked(NEW_CHAT) == {"q1"} and store.quiz_asked(CHAT) == set()
    assert store.poll("p1") == PollInfo("p1", NEW_CHAT, "q1", 2)
    assert store.top_scores(NEW_CHAT) == [(PLAYER_NAME, 1, 1)] and store.top_scores(CHAT) == []


def test_unknown_language_mode_is_refused_without_logging_it(
    store: Store, warnings: pytest.LogCaptureFixture
) -> None:
    """/lang with a word that is not a mode stores nothing and keeps the word out of the log."""
    assert store.set_chat_lang(CHAT, "klingon") is False
    assert store.get_chat_lang(CHAT) is None
    assert len(warnings.records) == 1 and "klingon" not in warnings.text


def test_changed_vote_replaces_the_old_one(store: Store) -> None:
    """Pressing 👎 after 👍 on the same message moves the vote; repeating a vote changes nothing."""
    assert store.record_feedback(CHAT, 5, FEEDBACK_USER_ID, "a.b", "en", 1)
    assert store.record_feedback(CHAT, 5, FEEDBACK_USER_ID, "a.b", "en", 1) is False
    assert (store.stats().feedback_up, store.stats().feedback_down) == (1, 0)
    assert store.record_feedback(CHAT, 5, FEEDBACK_USER_ID, "a.b", "en", -1)
    assert (store.stats().feedback_up, store.stats().feedback_down) == (0, 1)
    assert store.record_feedback(CHAT, 6, FEEDBACK_USER_ID, "a.b", "en", 1)  # another message
    assert (store.stats().feedback_up, store.stats().feedback_down) == (1, 1)


def test_poll_answer_counts_once_per_user(store: Store) -> None:
    """A user's second answer to the same poll never counts; unknown polls count nothing."""
    assert store.remember_poll("p9", CHAT, "q9", 1)
    assert store.record_poll_answer("p9", PLAYER_ID, PLAYER_NAME, [1])
    assert store.record_poll_answer("p9", PLAYER_ID, PLAYER_NAME, [1]) is False
    assert store.record_poll_answer("p9", PLAYER_ID + 1, "Wrong Answerer", [0])
    assert store.record_poll_answer("unknown", PLAYER_ID, PLAYER_NAME, [1]) is False
    assert store.record_poll_answer("p9", PLAYER_ID + 2, "Retracted", []) is False
    assert store.top_scores(CHAT) == [(PLAYER_NAME, 1, 1), ("Wrong Answerer", 0, 1)]


def test_quiz_reset_clears_asked_questions_only(store: Store) -> None:
    """Restarting the quiz cycle forgets asked questions but keeps the scores."""
    seed(store)
    assert store.reset_quiz(CHAT)
    assert store.quiz_asked(CHAT) == set()
    assert store.top_scores(CHAT) == [(PLAYER_NAME, 1, 1)]


def test_stats_totals(store: Store) -> None:
    """/stats counts questions, the answered share, top intents, unanswered and votes."""
    seed(store)
    for _ in range(3):
        store.log_question("answer", "requirements.definition", "ja", "private", 0.9, 2.0)
    stats = store.stats()
    assert (stats.questions, stats.answered, stats.answered_share) == (4, 3, 0.75)
    assert stats.top_intents == (("requirements.definition", 3),)
    assert (stats.unanswered, stats.feedback_up, stats.feedback_down) == (1, 0, 1)


def test_heartbeat_is_written_beside_the_store(db_path: Path) -> None:
    """touch_heartbeat writes <db>.heartbeat, and heartbeat_age reads its age back."""
    db_path.parent.mkdir()
    assert heartbeat_age(db_path) is None
    assert touch_heartbeat(db_path)
    assert heartbeat_path(db_path) == db_path.with_name("bot.sqlite3.heartbeat")
    age = heartbeat_age(db_path)
    assert age is not None and 0.0 <= age < 60.0


async def test_async_store_runs_any_store_method_on_its_thread(tmp_path: Path) -> None:
    """AsyncStore.call runs a Store method with its arguments off the loop and returns its result."""
    astore = AsyncStore.open(tmp_path / "bot.sqlite3")
    assert astore.healthy
    assert await astore.call(Store.set_chat_lang, CHAT, "ja")
    assert await astore.call(Store.get_chat_lang, CHAT) == "ja"
    assert await astore.call(Store.remember_poll, "p1", CHAT, "q1", correct_option=0)
    assert await astore.call(Store.record_poll_answer, "p1", PLAYER_ID, PLAYER_NAME, [0])
    assert await astore.call(Store.poll, "p1") == PollInfo("p1", CHAT, "q1", 0)
    assert await astore.call(Store.top_scores, CHAT, 5) == [(PLAYER_NAME, 1, 1)]
    await astore.close()


def record(n: int, *, answered: bool = True) -> QuestionRecord:
    return QuestionRecord(
        at=1_700_000_000.0 + n,
        status="answer" if answered else "suggest",
        intent_id="a.b" if answered else None,
        lang="en",
        chat_type="private",
        score=0.5,
        elapsed_ms=float(n),
        text=None if answered else f"question {n}",
        candidates=() if answered else (("a.b", 0.3),),
    )


def count_rows(path: Path, table: str) -> int:
    raw = sqlite3.connect(path)
    try:
        return int(raw.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
    finally:
        raw.close()


async def test_queued_question_log_is_written_on_close(tmp_path: Path) -> None:
    """Rows still waiting for their batch are committed by close(), with every column."""
    path = tmp_path / "bot.sqlite3"
    astore = AsyncStore(Store.open(path), flush_seconds=3600, batch_size=1000)
    for n in range(50):
        astore.log_question(record(n, answered=n % 5 != 0))
    assert count_rows(path, "questions") == 0  # still queued: the interval is an hour
    await astore.close()
    assert count_rows(path, "questions") == 50
    with Store.open(path) as store:
        unanswered = store.unanswered_since(days=10_000)
    assert [row.text for row in unanswered] == [f"question {n}" for n in range(0, 50, 5)]
    assert unanswered[0].candidates == (("a.b", 0.3),)
    raw = sqlite3.connect(path)
    assert raw.execute("SELECT sum(elapsed_ms) FROM questions").fetchone()[0] == sum(range(50))


async def test_a_full_batch_is_written_without_waiting_for_the_interval(tmp_path: Path) -> None:
    """When batch_size rows wait they go to the database at once, in one transaction."""
    path = tmp_path / "bot.sqlite3"
    astore = AsyncStore(Store.open(path), flush_seconds=3600, batch_size=10)
    for n in range(25):
        astore.log_question(record(n))
    await astore.call(Store.stats)  # the store thread runs in order: both batches come first
    assert count_rows(path, "questions") == 20
    await astore.flush()
    assert count_rows(path, "questions") == 25
    await astore.close()
