"""The durable inbox at work: every update is stored before Telegram learns it arrived, handled
with bounded concurrency, and marked done once its handlers finished (reply sent, or silence
decided).

* Polling: `poll` fetches at most as many updates as the backlog has room for, stores them, and
  only then asks for the next batch (whose offset confirms this one to Telegram). A crash can
  strand at most one backlog, and those updates are in the store, handled first at the next
  start. A webhook POST is stored before its HTTP 200 (`accept`), and waits while the backlog
  is full, so Telegram slows down instead of the bot queueing without bound.
* An update_id seen before (Telegram redelivering after a restart, a webhook retry) is not
  handled again: the store's primary key says so, and a bounded memory of recent ids covers a
  store that cannot write.
* Writes are group-committed: while one transaction runs, the next batch of stored updates,
  done marks and poison records gathers, so the inbox costs one commit per batch, not per update.
* Stopping: fetching stops, updates in flight get `deadline` seconds, the rest stay stored.

Promise: every update is answered at least once, and at most once unless a send timed out after
reaching Telegram (or the process died between a send and its done mark).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Sequence
from typing import Any

from telegram import Update

from ..store import AsyncStore, Store
from .intake import describe, parse_update

log = logging.getLogger(__name__)

RECENT_IDS = 4096  # ids remembered in memory: dedup of concurrent redelivery and without a store
PRUNE_SECONDS = 3600.0


class _Writer:
    """Group commit of inbox writes on the store thread, in arrival order."""

    def __init__(self, store: AsyncStore | None) -> None:
        self.store = store
        self._received: list[tuple[list[tuple[int, str]], asyncio.Future[list[bool]]]] = []
        self._done: list[int] = []
        self._failed: list[tuple[int, str]] = []
        self._task: asyncio.Task[None] | None = None
        self._idle = asyncio.Event()
        self._idle.set()

    async def receive(self, rows: list[tuple[int, str]]) -> list[bool]:
        """Store updates (update_id, JSON); per update, whether it is new."""
        if self.store is None:
            return [True] * len(rows)
        future: asyncio.Future[list[bool]] = asyncio.get_running_loop().create_future()
        self._received.append((rows, future))
        self._kick()
        return await future

    def done(self, update_id: int) -> None:
        self._done.append(update_id)
        self._kick()

    def failed(self, update_id: int, note: str) -> None:
        self._failed.append((update_id, note))
        self._kick()

    async def flush(self) -> None:
        """Wait until everything queued so far is committed."""
        self._kick()
        await self._idle.wait()

    def _kick(self) -> None:
        if self.store is None:
            self._done.clear()
            self._failed.clear()
            return
        if self._task is None and (self._received or self._done or self._failed):
            self._idle.clear()
            self._task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        assert self.store is not None
        try:
            while self._received or self._done or self._failed:
                received, self._received = self._received, []
                done, self._done = self._done, []
                failed, self._failed = self._failed, []
                rows = [row for batch, _ in received for row in batch]
                try:
                    fresh = await self.store.call(Store.inbox_apply, rows, done, failed)
                except Exception:  # never leave a waiting update behind
                    log.exception("inbox: write failed")
                    fresh = None
                if fresh is None:  # the store cannot write: handle everything (memory dedups)
                    fresh = [True] * len(rows)
                start = 0
                for batch, future in received:
                    if not future.done():
                        future.set_result(fresh[start : start + len(batch)])
                    start += len(batch)
        finally:
            self._task = None
            self._idle.set()


class Inbox:
    """Admits updates (stored first), handles them with bounded concurrency, marks them done."""

    def __init__(
        self,
        application: Any,
        store: AsyncStore | None,
        *,
        concurrency: int,
        backlog: int | None = None,
        max_age: float = 86400.0,
    ) -> None:
        self.application = application
        self.writer = _Writer(store)
        self.store = store
        self.concurrency = concurrency
        self.backlog = backlog or 2 * concurrency
        self.max_age = max_age
        self.stopping = False
        self._slots = asyncio.Semaphore(concurrency)
        self._active: set[int] = set()  # admitted, not finished
        self._tasks: set[asyncio.Task[None]] = set()
        self._room = asyncio.Event()
        self._room.set()
        self._recent: dict[int, None] = {}
        self.handled = 0
        self.duplicates = 0

    # --- admission -----------------------------------------------------------------------

    def room(self) -> int:
        return max(0, self.backlog - len(self._active))

    async def wait_for_room(self) -> None:
        while len(self._active) >= self.backlog:
            self._room.clear()
            await self._room.wait()

    def poison(self, update_id: int | None, raw: object) -> None:
        """intake's poison hook: record an update that cannot be parsed as failed."""
        if update_id is not None:
            self._remember(update_id)
            self.writer.failed(update_id, describe(raw)[:300])

    async def admit(self, items: Sequence[tuple[Update, str | None]]) -> int:
        """Store updates (with their raw JSON when known) and start handling the new ones;
        returns when they are stored. Also commits any poison records waiting."""
        fresh_items = [(u, raw) for u, raw in items if u.update_id not in self._recent]
        self.duplicates += len(items) - len(fresh_items)
        rows = [(u.update_id, raw if raw is not None else u.to_json()) for u, raw in fresh_items]
        if rows:
            fresh = await self.writer.receive(rows)
        else:
            fresh = []
            await self.writer.flush()
        started = 0
        for (update, _), new in zip(fresh_items, fresh, strict=True):
            if update.update_id in self._recent:  # admitted meanwhile (a concurrent POST)
                self.duplicates += 1
                continue
            self._remember(update.update_id)
            if not new:
                self.duplicates += 1
                continue
            self._start(update)
            started += 1
        return started

    async def accept(self, update: Update, raw: str) -> None:
        """One webhook update: wait for room, then store it (the caller answers 200 after)."""
        await self.wait_for_room()
        await self.admit([(update, raw)])

    def _remember(self, update_id: int) -> None:
        self._recent[update_id] = None
        if len(self._recent) > RECENT_IDS:
            del self._recent[next(iter(self._recent))]

    def _start(self, update: Update) -> None:
        self._active.add(update.update_id)
        task = asyncio.get_running_loop().create_task(self._handle(update))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _handle(self, update: Update) -> None:
        finished = False
        try:
            async with self._slots:
                if self.stopping:  # left in the inbox for the next start
                    return
                await self.application.process_update(update)
                finished = True
        except Exception:  # process_update hands handler errors to on_error; this is a bug
            log.exception("update %s: handling failed", update.update_id)
            finished = True
        finally:
            if finished:
                self.writer.done(update.update_id)
                self.handled += 1
            self._active.discard(update.update_id)
            self._room.set()

    # --- start and stop ------------------------------------------------------------------

    async def recover(self) -> int:
        """Handle the updates a previous run stored but never finished, oldest first; those
        older than `max_age` are dropped with one log line. Returns how many were resumed."""
        if self.store is None:
            return 0
        await self.store.call(Store.inbox_prune, max(self.max_age, 86400.0))
        dropped, rows = await self.store.call(Store.inbox_pending, self.max_age)
        if dropped:
            log.warning(
                "inbox: %d unanswered update(s) older than %.0f s dropped", dropped, self.max_age
            )
        if rows:
            log.info("inbox: resuming %d unanswered update(s) from the last run", len(rows))
        for update_id, raw in rows:
            self._remember(update_id)
            try:
                data = json.loads(raw)
            except ValueError:
                data = None
            update, problem = parse_update(data, self.application.bot)
            if update is None:
                log.warning("inbox: stored update %s unreadable (%s)", update_id, problem)
                self.writer.failed(update_id, f"stored update unreadable: {problem}")
                continue
            await self.wait_for_room()
            self._start(update)
        return len(rows)

    async def stop(self, deadline: float) -> None:
        """Stop starting updates; give those in flight `deadline` seconds; commit done marks."""
        self.stopping = True
        pending = set(self._tasks)
        if pending:
            _, late = await asyncio.wait(pending, timeout=deadline)
            if late:
                log.warning(
                    "inbox: %d update(s) still in flight after %.0f s; they stay in the inbox",
                    len(late),
                    deadline,
                )
                for task in late:
                    task.cancel()
                await asyncio.gather(*late, return_exceptions=True)
        left = len(self._active)
        await self.writer.flush()
        log.info("inbox: stopped; %d update(s) left for the next start", left)

    async def prune_forever(self) -> None:
        """Forget old answered ids once an hour (the table stays about a day long)."""
        while self.store is not None:
            await asyncio.sleep(PRUNE_SECONDS)
            await self.store.call(Store.inbox_prune, max(self.max_age, 86400.0))


@contextlib.asynccontextmanager
async def running_inbox(inbox: Inbox) -> Any:
    """Recover the last run's updates, prune hourly; stop the pruning on exit."""
    pruning = asyncio.get_running_loop().create_task(inbox.prune_forever())
    started = time.monotonic()
    try:
        await inbox.recover()
        log.debug("inbox: recovery took %.3f s", time.monotonic() - started)
        yield inbox
    finally:
        pruning.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await pruning
