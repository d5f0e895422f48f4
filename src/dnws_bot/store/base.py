"""The store's handle on its database: opening with fallbacks, closing, and the guard that
turns every database or file error into one warning and a neutral result."""

from __future__ import annotations

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


def guarded(default: Callable[[], object]) -> Callable[[_F], _F]:
    """Run a public method under the store lock; on any database or file error log one warning
    naming the method and return `default()`, because the bot must answer even without a store.
    Without a connection (corrupt or unopenable file, already logged at open) return quietly."""

    def decorate(method: _F) -> _F:
        @functools.wraps(method)
        def wrapper(self: StoreBase, *args: Any, **kwargs: Any) -> Any:
            try:
                with self._lock:
                    if self._db is None:
                        return default()
                    return method(self, *args, **kwargs)
            except (sqlite3.Error, OSError) as exc:
                log.warning("store: %s failed: %s", method.__name__, reason(exc))
                return default()

        return cast(_F, wrapper)

    return decorate


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
    ) -> None:
        self.path = path
        self._db = db
        self._salt = salt
        self._writable = writable
        self.clock = clock
        self._lock = threading.Lock()

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
