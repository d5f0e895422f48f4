"""The store for the event loop: any `Store` method on one dedicated thread, and a batched
question log.

One thread serialises the writes and keeps a slow disk off the loop. The question log is the
only write on every update, so its rows wait in memory and go to SQLite in one transaction per
batch (at most `flush_seconds` later, or as soon as `batch_size` rows wait); `flush()` and
`close()` write whatever waits, so a clean stop (SIGTERM) loses none.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
import logging
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Concatenate, ParamSpec, TypeVar

from .rows import QuestionRecord
from .store import Store

log = logging.getLogger("dnws_bot.store")

_P = ParamSpec("_P")
_T = TypeVar("_T")

FLUSH_SECONDS = 1.0
BATCH_SIZE = 256


class AsyncStore:
    """Run `Store` methods off the loop: `await astore.call(Store.get_chat_lang, chat_id)`."""

    flush_seconds = FLUSH_SECONDS
    batch_size = BATCH_SIZE

    def __init__(
        self, store: Store, *, flush_seconds: float | None = None, batch_size: int | None = None
    ) -> None:
        self.store = store
        if flush_seconds is not None:
            self.flush_seconds = flush_seconds
        if batch_size is not None:
            self.batch_size = batch_size
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="dnws-store")
        self._pending: list[QuestionRecord] = []
        self._timer: asyncio.TimerHandle | None = None
        self._closed = False

    @classmethod
    def open(cls, path: str | os.PathLike[str]) -> AsyncStore:
        """Open and migrate right away: it runs once at start-up, before any update is served,
        and a failure is already turned into a log line and a store without persistence."""
        return cls(Store.open(path))

    @property
    def healthy(self) -> bool:
        return self.store.healthy

    async def call(
        self, method: Callable[Concatenate[Store, _P], _T], *args: _P.args, **kwargs: _P.kwargs
    ) -> _T:
        """`method(store, *args, **kwargs)` on the store thread (in order with every other call)."""
        loop = asyncio.get_running_loop()
        work = functools.partial(method, self.store, *args, **kwargs)
        return await loop.run_in_executor(self._executor, work)

    def log_question(self, record: QuestionRecord) -> None:
        """Queue one question's outcome for the next batch; returns at once."""
        if self._closed:
            log.warning("store: log_question after close; row dropped")
            return
        self._pending.append(record)
        if len(self._pending) >= self.batch_size:
            self._write_pending()
        elif self._timer is None:
            loop = asyncio.get_running_loop()
            self._timer = loop.call_later(self.flush_seconds, self._write_pending)

    def _write_pending(self) -> concurrent.futures.Future[bool] | None:
        """Hand the queued rows to the store thread as one transaction (behind earlier calls)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        batch, self._pending = self._pending, []
        if not batch:
            return None
        return self._executor.submit(self.store.log_questions, batch)

    async def flush(self) -> None:
        """Write every queued row now and wait until it is committed."""
        written = self._write_pending()
        if written is not None:
            await asyncio.wrap_future(written)

    async def close(self) -> None:
        """Write what is queued, then close the database and the thread."""
        await self.flush()
        self._closed = True
        await self.call(Store.close)
        self._executor.shutdown(wait=True)
