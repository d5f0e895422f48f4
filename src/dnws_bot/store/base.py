"""The store's handle on its database: opening with fallbacks, closing, and the guard that
turns every database or file error into one warning and a neutral result."""

from __future__ import annotations

import contextlib
import functools
import hashlib
import hmac
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Self, TypeVar, cast

from .connection import DEFAULT_BUSY_TIMEOUT_MS, is_corrupt, open_connection, reason

log = logging.getLogger("dnws_bot.store")

DAY_SECONDS = 86400.0

_F = TypeVar("_F", bound=Callable[..., Any])
CHECK_SECONDS = 1.0  # how often the path is compared with the open file


def _identity(path: Path) -> tuple[int, int] | None:
    """(device, inode) of the file at `path`, None when there is none."""
    try:
        info = os.stat(path)
    except OSError:
        return None
    return info.st_dev, info.st_ino


def guarded(default: Callable[[], object]) -> Callable[[_F], _F]:
    """Run a public method under the store lock; on any database or file error return
    `default()`, because the bot must answer even without a store. Failures are logged once per
    change of state (`StoreBase.failed`), never once per write. Without a connection (corrupt or
    unopenable file, already logged at open) return quietly."""

    def decorate(method: _F) -> _F:
        @functools.wraps(method)
        def wrapper(self: StoreBase, *args: Any, **kwargs: Any) -> Any:
            try:
                with self._lock:
                    self._check_file()
                    if self._db is None:
                        if self._identity is not None:  # the file is gone and not yet back
                            self._failed(method.__name__, self._reopen_error, args)
                        return default()
                    before = self._db.total_changes
                    result = method(self, *args, **kwargs)
                    if self._failure is not None and self._db.total_changes != before:
                        self._recovered()
                    return result
            except (sqlite3.Error, OSError) as exc:
                with self._lock:
                    self._failed(method.__name__, reason(exc), args)
                return default()

        return cast(_F, wrapper)

    return decorate


def _rows(args: tuple[Any, ...]) -> int:
    """Rows a failed call meant to write: a batch's length, else one."""
    first = args[0] if args else None
    return len(first) if isinstance(first, (list, tuple)) and first else 1


class StoreBase:
    """A database connection that may be missing (no persistence) or read-only."""

    def __init__(
        self,
        path: Path,
        db: sqlite3.Connection | None,
        *,
        salt: bytes = b"",
        writable: bool = False,
        clock: Callable[[], float] = time.time,
        busy_timeout_ms: int = DEFAULT_BUSY_TIMEOUT_MS,
    ) -> None:
        self.path = path
        self._db = db
        self._salt = salt
        self._writable = writable
        self.clock = clock
        self._lock = threading.Lock()
        self._busy_timeout_ms = busy_timeout_ms
        # The file's (device, inode) while it is open read-write: a different one at the path
        # means the file was deleted or replaced and our writes would go nowhere.
        self._identity = _identity(path) if db is not None and writable else None
        self._checked = time.monotonic()
        self._reopen_error = ""
        self._failure: str | None = None  # why writes fail now, None while they persist
        self._lost = 0  # rows that could not be written since the failure began

    @classmethod
    def open(
        cls,
        path: str | os.PathLike[str],
        *,
        readonly: bool = False,
        busy_timeout_ms: int = DEFAULT_BUSY_TIMEOUT_MS,
        clock: Callable[[], float] = time.time,
    ) -> Self:
        """Open (creating the directory and file) and migrate; never raises. Falls back to
        read-only, then to no persistence, logging one line that says which and why."""
        where = Path(path)
        try:
            opened = open_connection(where, readonly, busy_timeout_ms)
        except (sqlite3.Error, OSError) as exc:
            if is_corrupt(exc):
                log.error(
                    "store: %s is not a usable database (%s); running without persistence, "
                    "the file is left untouched",
                    where,
                    reason(exc),
                )
            else:
                log.warning(
                    "store: cannot open %s (%s); running without persistence", where, reason(exc)
                )
            return cls(where, None, clock=clock)
        writable = opened.read_only_reason is None
        if not writable and not readonly:
            log.warning(
                "store: %s is read-only (%s); serving reads, dropping writes",
                where,
                opened.read_only_reason,
            )
        return cls(
            where,
            opened.db,
            salt=opened.salt,
            writable=writable,
            clock=clock,
            busy_timeout_ms=busy_timeout_ms,
        )

    @property
    def healthy(self) -> bool:
        """True when writes persist; False when read-only, failing, or without a database."""
        return self._db is not None and self._writable and self._failure is None

    @property
    def problem(self) -> str | None:
        """Why writes do not persist (for healthchecks), or None when they do."""
        if self._failure is not None:
            return f"store cannot write: {self._failure}"
        if self._db is None:
            return "store: no database (running without persistence)"
        if not self._writable:
            return "store: database is read-only"
        return None

    def check(self) -> str | None:
        """Look at the file now (deleted or replaced?) and return `problem`."""
        with self._lock:
            self._checked = 0.0
            self._check_file()
        return self.problem

    # --- the truth about the file (called under the lock) ------------------------------------

    def _check_file(self) -> None:
        """At most once a second: if the path no longer names the file we have open (deleted,
        or replaced), reopen it, recreating directory and schema, with one ERROR line."""
        if self._identity is None:
            return
        now = time.monotonic()
        if now - self._checked < CHECK_SECONDS:
            return
        self._checked = now
        if self._db is not None and _identity(self.path) == self._identity:
            return
        if self._db is not None:
            log.error(
                "store: %s was deleted or replaced while open; reopening it (rows written "
                "meanwhile are lost)",
                self.path,
            )
            with contextlib.suppress(sqlite3.Error):
                self._db.close()
            self._db = None
        try:
            opened = open_connection(self.path, False, self._busy_timeout_ms)
        except (sqlite3.Error, OSError) as exc:
            self._reopen_error = f"cannot reopen {self.path}: {reason(exc)}"
            self._failed("reopen", self._reopen_error, ())
            return
        if opened.read_only_reason is not None:
            opened.db.close()
            self._reopen_error = f"{self.path} reopened read-only: {opened.read_only_reason}"
            self._failed("reopen", self._reopen_error, ())
            return
        self._db, self._salt = opened.db, opened.salt
        self._identity = _identity(self.path)
        self._recovered()

    def _failed(self, what: str, why: str, args: tuple[Any, ...]) -> None:
        """Count the rows lost; log only when the store starts failing."""
        if what != "reopen":
            self._lost += _rows(args)
        if self._failure is None:
            self._failure = why
            log.warning(
                "store: %s failed: %s; answers go on, writes are dropped until it recovers "
                "(logged once)",
                what,
                why,
            )

    def _recovered(self) -> None:
        if self._failure is None:
            return
        log.warning(
            "store: writing again; %d row(s) could not be written while it failed (%s)",
            self._lost,
            self._failure,
        )
        self._failure, self._lost = None, 0

    @property
    def readable(self) -> bool:
        """True when there is a database to read (read-write or read-only)."""
        return self._db is not None

    def close(self) -> None:
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def _conn(self) -> sqlite3.Connection:
        """The open connection; public methods only reach here through `guarded`."""
        assert self._db is not None
        return self._db

    def _pseudonym(self, *ids: int) -> str:
        """A stable key for a person that does not contain their Telegram id."""
        message = ":".join(str(i) for i in ids).encode()
        return hmac.new(self._salt, message, hashlib.sha256).hexdigest()

    def _since(self, days: float) -> float:
        return self.clock() - days * DAY_SECONDS
