"""What handlers share: settings, the current engine (swapped whole on reload) and the store."""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from telegram.ext import ContextTypes

from ..engine import CatalogueError, Engine
from ..settings import Settings
from ..store import AsyncStore, Store
from .context import ConversationContext
from .texts import missing_texts

if TYPE_CHECKING:
    from .commands import Command

log = logging.getLogger(__name__)
MAX_CACHED_CHATS = 100_000


@dataclass
class Services:
    """Mutable only through `engine` (atomic reference swap) and the store's own methods."""

    settings: Settings
    engine: Engine
    store: AsyncStore | None = None
    commands: tuple[Command, ...] = ()  # the command table the handlers were registered from
    started: float = field(default_factory=time.monotonic)
    reload_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    context: ConversationContext = field(default_factory=ConversationContext)
    # Per-update bookkeeping for the one log line per update (popped when it is written).
    received: dict[int, float] = field(default_factory=dict)
    outcomes: dict[int, tuple[str, str, float]] = field(default_factory=dict)
    # Chat languages read through from the store ("" = no choice); SQLite stays the truth.
    _langs: dict[int, str] = field(default_factory=dict)

    async def chat_lang(self, chat_id: int) -> str | None:
        """The chat's /lang choice, from memory after the first read."""
        if chat_id not in self._langs:
            if len(self._langs) >= MAX_CACHED_CHATS:
                self._langs.clear()
            stored = await self.store.call(Store.get_chat_lang, chat_id) if self.store else None
            self._langs[chat_id] = stored or ""
        return self._langs[chat_id] or None

    async def set_chat_lang(self, chat_id: int, mode: str) -> None:
        self._langs[chat_id] = mode
        if self.store is not None:
            await self.store.call(Store.set_chat_lang, chat_id, mode)

    async def migrate_chat(self, old_chat_id: int, new_chat_id: int) -> None:
        self._langs.pop(old_chat_id, None)
        self._langs.pop(new_chat_id, None)
        if self.store is not None:
            await self.store.call(Store.migrate_chat, old_chat_id, new_chat_id)

    async def drain(self) -> None:
        """Commit the queued question log before shutdown, so a clean stop loses no row."""
        if self.store is not None:
            await self.store.flush()

    def is_admin(self, user_id: int | None) -> bool:
        return user_id is not None and user_id in self.settings.admin_ids

    async def reload(self) -> tuple[bool, str]:
        """Load and validate intents off the loop, then swap; an invalid catalogue is refused."""
        async with self.reload_lock:
            loop = asyncio.get_running_loop()
            try:
                engine = await loop.run_in_executor(
                    None, Engine.load, self.settings.intents_dir, None, self.settings.cache_dir
                )
                if problems := missing_texts(engine.catalogue, (c.name for c in self.commands)):
                    raise CatalogueError(problems)
            except CatalogueError as exc:
                details = "\n".join(str(p) for p in exc.problems[:20])
                log.warning("reload refused: %s\n%s", exc, details)
                return False, f"{exc}\n{details}"
            old = self.engine.version
            self.engine = engine
            log.info("catalogue reloaded: %s -> %s", old, engine.version)
            return True, f"{old} → {engine.version} ({len(engine.catalogue.intents)} intents)"


def services(context: ContextTypes.DEFAULT_TYPE) -> Services:
    """The Services object stored in bot_data by build_application."""
    value: Any = context.bot_data["services"]
    assert isinstance(value, Services)
    return value
