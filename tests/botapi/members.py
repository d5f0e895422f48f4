"""Chat members of the stand-in: who is what in each chat, and getChatMember/getChatAdministrators.

Statuses come from what was fed (a message makes its sender a ``member``, ``my_chat_member`` and
``chat_member`` updates set their new status) or from ``set_member``. A user nobody configured is
``left``. The bot's own status also decides what it may do there, as telegram-bot-api checks it: 403
for a group or channel the bot left or was removed from, 400 for posts or member lookups in a
channel where it is not an administrator.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from . import updates
from .protocol import JSON, ApiError, int_param

USER_NOT_FOUND = "Bad Request: user not found"
INVALID_USER_ID = "Bad Request: invalid user_id specified"
MEMBER_LIST_INACCESSIBLE = "Bad Request: member list is inaccessible"
NO_ADMINS_IN_PRIVATE = "Bad Request: there are no administrators in the private chat"
NEED_CHANNEL_ADMIN = "Bad Request: need administrator rights in the channel chat"

STATUSES = ("creator", "administrator", "member", "restricted", "left", "kicked")
_ADMINS = ("creator", "administrator")


class MembersMixin:
    """Member tables and methods; BotApiStandIn provides the state and chat resolution."""

    _lock: threading.Lock
    bot_user: JSON
    _chats: dict[int, JSON]
    _users: dict[int, JSON]
    _members: dict[int, dict[int, JSON]]

    if TYPE_CHECKING:

        def _resolve_chat(
            self, params: JSON, *, sending: bool = False, access: str = "read"
        ) -> JSON: ...
        def _register_user(self, user: JSON) -> None: ...
        def add_chat(self, chat_id: int, **kwargs: Any) -> JSON: ...

    # -- scripting --------------------------------------------------------------------------

    def set_member(
        self, chat_id: int, user: int | JSON, status: str = "member", **fields: Any
    ) -> JSON:
        """Make ``user`` (an id or a User) have ``status`` in a chat; return the ChatMember.

        ``fields`` override ChatMember fields, e.g. ``can_change_info=False`` for an
        administrator or ``until_date`` for a restricted or kicked user. Unknown chats are
        added (a negative id is a group).
        """
        if status not in STATUSES:
            raise ValueError(f"status must be one of {STATUSES}")
        if chat_id not in self._chats:
            self.add_chat(chat_id)
        person = updates.user(user, language_code=None) if isinstance(user, int) else user
        member = updates.chat_member(person, status) | fields
        with self._lock:
            self._register_user(person)
            self._members.setdefault(chat_id, {})[person["id"]] = member
        return member

    def set_bot_status(self, chat_id: int, status: str, **fields: Any) -> JSON:
        """Set the bot's own status in a chat (as a my_chat_member update would)."""
        return self.set_member(chat_id, self.bot_user, status, **fields)

    def member(self, chat_id: int, user_id: int) -> JSON | None:
        """The ChatMember the stand-in holds for a user in a chat, if any."""
        with self._lock:
            return self._members.get(chat_id, {}).get(user_id)

    # -- rules shared with every method that addresses a chat -------------------------------

    def _check_access(self, chat: JSON, access: str) -> None:
        """Refuse what the bot's known status forbids, as telegram-bot-api's check_chat_access.

        ``access`` is "read", "members" (another user's membership), "edit" or "write". A bot
        whose status in a chat was never set or fed counts as a member (administrator in a
        channel): tests that do not care about membership are not affected.
        """
        if chat["type"] == "private":
            return
        status = self._members.get(chat["id"], {}).get(self.bot_user["id"], {}).get("status")
        kind = chat["type"]
        editing = access in ("edit", "write")
        if kind == "group":
            editing = editing or access == "members"  # deactivated groups hide their members
            if status == "kicked" and editing:
                raise ApiError(403, "Forbidden: bot was kicked from the group chat")
            if status == "left" and editing:
                raise ApiError(403, "Forbidden: bot is not a member of the group chat")
            return
        if status == "kicked":
            raise ApiError(403, f"Forbidden: bot was kicked from the {kind} chat")
        public = "username" in chat
        if status == "left" and (editing or not public):
            raise ApiError(403, f"Forbidden: bot is not a member of the {kind} chat")
        if kind == "channel" and status is not None and status not in _ADMINS:
            if access == "write":
                raise ApiError(400, NEED_CHANNEL_ADMIN)
            if access == "members":
                raise ApiError(400, MEMBER_LIST_INACCESSIBLE)

    # -- methods ----------------------------------------------------------------------------

    def _get_chat_member(self, params: JSON) -> JSON:
        user_id = int_param(params, "user_id")
        if user_id <= 0:
            raise ApiError(400, INVALID_USER_ID)
        access = "read" if user_id == self.bot_user["id"] else "members"
        chat = self._resolve_chat(params, access=access)
        user = self._users.get(user_id)
        if user is None:
            raise ApiError(400, USER_NOT_FOUND)
        if chat["type"] == "private":
            return {
                "user": user,
                "status": "member" if user_id in (chat["id"], self.bot_user["id"]) else "left",
            }
        member = self._members.get(chat["id"], {}).get(user_id)
        return member or {"user": user, "status": "left"}

    def _get_chat_administrators(self, params: JSON) -> list[JSON]:
        chat = self._resolve_chat(params, access="members")
        if chat["type"] == "private":
            raise ApiError(400, NO_ADMINS_IN_PRIVATE)
        return_bots = bool(params.get("return_bots"))
        admins = [
            member
            for member in self._members.get(chat["id"], {}).values()
            if member["status"] in _ADMINS
            and (
                return_bots
                or not member["user"].get("is_bot")
                or member["user"]["id"] == self.bot_user["id"]
            )
        ]
        admins.sort(key=lambda member: member["status"] != "creator")
        return admins
