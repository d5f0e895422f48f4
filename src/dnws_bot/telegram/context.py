"""Short-lived conversation context for follow-ups: memory only, per chat (per user in groups).

"and Pakistan?" only means something right after an answer about India, so the last answered
intent is remembered for a few minutes. Nothing is written to disk, and the table is bounded.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable

ContextKey = tuple[int, int | None]  # (chat id, user id in groups / None in private chats)

DEFAULT_TTL_SECONDS = 300.0
MAX_ENTRIES = 10_000


class ConversationContext:
    """Last answered intent per conversation, forgotten after `ttl` seconds."""

    def __init__(
        self,
        ttl: float = DEFAULT_TTL_SECONDS,
        clock: Callable[[], float] = time.monotonic,
        max_entries: int = MAX_ENTRIES,
    ) -> None:
        self.ttl = ttl
        self.clock = clock
        self.max_entries = max_entries
        self._entries: OrderedDict[ContextKey, tuple[str, float]] = OrderedDict()

    def remember(self, key: ContextKey, intent_id: str) -> None:
        self._entries[key] = (intent_id, self.clock())
        self._entries.move_to_end(key)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)

    def recall(self, key: ContextKey) -> str | None:
        """The intent answered last in this conversation, if it is recent enough."""
        entry = self._entries.get(key)
        if entry is None:
            return None
        intent_id, at = entry
        if self.clock() - at > self.ttl:
            del self._entries[key]
            return None
        return intent_id
