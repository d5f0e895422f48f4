"""Is this user an administrator of this chat? Asked with getChatMember, remembered briefly.

Group settings (the group's answer language) are for the group's administrators. One lookup a
minute per user and chat is plenty: promotions are rare, and a button pressed twice in a row
must not cost two API calls.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from telegram import Chat, Message, User
from telegram.constants import ChatMemberStatus
from telegram.error import TelegramError
from telegram.ext import ContextTypes

log = logging.getLogger(__name__)
CACHE_SECONDS = 60.0
MAX_CACHED = 10_000
_ADMIN_STATUSES = (ChatMemberStatus.OWNER, ChatMemberStatus.ADMINISTRATOR)


class AdminCache:
    """(chat, user) → (is admin, when it was asked), for `ttl` seconds."""

    def __init__(self, ttl: float = CACHE_SECONDS, clock: Callable[[], float] = time.monotonic):
        self.ttl = ttl
        self.clock = clock
        self._seen: dict[tuple[int, int], tuple[bool, float]] = {}

    def get(self, chat_id: int, user_id: int) -> bool | None:
        hit = self._seen.get((chat_id, user_id))
        if hit is None or self.clock() - hit[1] >= self.ttl:
            return None
        return hit[0]

    def put(self, chat_id: int, user_id: int, is_admin: bool) -> None:
        if len(self._seen) >= MAX_CACHED:
            self._seen.clear()
        self._seen[(chat_id, user_id)] = (is_admin, self.clock())


def admin_cache(context: ContextTypes.DEFAULT_TYPE) -> AdminCache:
    """The application's cache (kept in bot_data, so each running bot has its own)."""
    value: Any = context.bot_data.setdefault("chat_admins", AdminCache())
    assert isinstance(value, AdminCache)
    return value


async def is_chat_admin(
    context: ContextTypes.DEFAULT_TYPE, chat: Chat, user: User | None, message: Message | None
) -> bool:
    """True in private chats, for the group's creator and administrators, and for a message
    sent as the group itself (an anonymous administrator); False when Telegram cannot tell."""
    if chat.type == Chat.PRIVATE:
        return True
    if message is not None and message.sender_chat is not None:
        return message.sender_chat.id == chat.id
    if user is None:
        return False
    cache = admin_cache(context)
    known = cache.get(chat.id, user.id)
    if known is not None:
        return known
    try:
        member = await context.bot.get_chat_member(chat.id, user.id)
    except TelegramError as exc:
        log.info("getChatMember failed in chat %s: %s", chat.id, exc)
        return False
    answer = member.status in _ADMIN_STATUSES
    cache.put(chat.id, user.id, answer)
    return answer
