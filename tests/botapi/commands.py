"""The bot's command menus and descriptions: setMyCommands & co. per scope and language."""

from __future__ import annotations

import json
import re
from typing import Any

from .protocol import JSON, ApiError, decode_param
from .protocol import text_param as _text

MAX_COMMANDS = 100
_COMMAND_SCOPES = frozenset(
    {
        "default",
        "all_private_chats",
        "all_group_chats",
        "all_chat_administrators",
        "chat",
        "chat_administrators",
        "chat_member",
    }
)
_BOT_COMMAND = re.compile(r"[a-z0-9_]+")
_LANGUAGE_CODE = re.compile(r"(?:[a-z]{2})?")


class CommandsMixin:
    """Command lists and descriptions; BotApiStandIn provides the tables and chat lookup."""

    _commands: dict[tuple[str, str], list[JSON]]
    _descriptions: dict[tuple[str, str], str]
    _usernames: dict[str, int]
    _users: dict[int, JSON]

    def commands(self, scope: JSON | None = None, language_code: str = "") -> list[JSON]:
        """The command list the bot set for a scope and language."""
        with self._lock:
            return list(self._commands.get((self._scope_key(scope), language_code), []))

    def bot_description(self, language_code: str = "", *, short: bool = False) -> str:
        """The description (or short description) the bot set for a language."""
        with self._lock:
            return self._descriptions.get(("short" if short else "long", language_code), "")

    # -- methods --------------------------------------------------------------------------

    def _scope_key(self, scope: JSON | None) -> str:
        if scope is not None and "chat_id" in scope:  # a test may name the chat by @username
            chat_id = scope["chat_id"]
            if isinstance(chat_id, str):
                chat_id = self._usernames.get(chat_id.lower().removeprefix("@"), chat_id)
            scope = scope | {"chat_id": chat_id}
        return json.dumps(scope or {"type": "default"}, sort_keys=True)

    def _commands_target(self, params: JSON) -> tuple[str, str]:
        """The (scope, language) key of a command list, scope checked as the Bot API does."""
        scope = self._command_scope(params.get("scope"))
        language = _text(params, "language_code")
        if not _LANGUAGE_CODE.fullmatch(language):
            raise ApiError(400, "Bad Request: invalid language code specified")
        return self._scope_key(scope), language

    def _command_scope(self, scope: Any) -> JSON | None:
        prefix = "Bad Request: can't parse BotCommandScope: "
        if scope is None or scope == "":
            return None
        if isinstance(scope, str):
            raise ApiError(400, "Bad Request: can't parse BotCommandScope JSON object")
        if not isinstance(scope, dict):
            raise ApiError(400, prefix + "BotCommandScope must be an Object")
        kind = scope.get("type")
        if not isinstance(kind, str):
            raise ApiError(400, prefix + 'Can\'t find field "type"')
        if kind not in _COMMAND_SCOPES:
            raise ApiError(400, prefix + "Unsupported type specified")
        if kind not in ("chat", "chat_administrators", "chat_member"):
            return {"type": kind}
        if "chat_id" not in scope:
            raise ApiError(400, prefix + 'Can\'t find field "chat_id"')
        if scope["chat_id"] == "":
            raise ApiError(400, prefix + "Empty chat_id specified")
        chat = self._resolve_chat({"chat_id": decode_param("chat_id", scope["chat_id"])})
        if kind != "chat_member":
            return {"type": kind, "chat_id": chat["id"]}
        user_id = scope.get("user_id")
        if user_id is None:
            raise ApiError(400, prefix + 'Can\'t find field "user_id"')
        if not isinstance(user_id, int) or user_id <= 0:
            raise ApiError(400, prefix + "Invalid user_id specified")
        if user_id not in self._users:
            raise ApiError(400, "Bad Request: user not found")
        return {"type": kind, "chat_id": chat["id"], "user_id": user_id}

    def _set_my_commands(self, params: JSON) -> bool:
        commands = params.get("commands") or []
        if isinstance(commands, str):
            raise ApiError(400, "Bad Request: can't parse commands JSON object")
        if not isinstance(commands, list):
            raise ApiError(400, "Bad Request: expected an Array of BotCommand")
        if len(commands) > MAX_COMMANDS:
            raise ApiError(400, "Bad Request: BOT_COMMANDS_TOO_MUCH")
        cleaned = []
        for item in commands:
            if not isinstance(item, dict):
                raise ApiError(400, "Bad Request: can't parse BotCommand: expected an Object")
            if not isinstance(item.get("command"), str):
                raise ApiError(
                    400, "Bad Request: can't parse BotCommand: Can't find field \"command\""
                )
            if not isinstance(item.get("description"), str):
                raise ApiError(
                    400, "Bad Request: can't parse BotCommand: Can't find field \"description\""
                )
            command = item["command"].strip().removeprefix("/")
            description = item["description"].strip()
            if not command:
                raise ApiError(400, "Bad Request: command must be non-empty")
            if len(command) > 32:
                raise ApiError(400, "Bad Request: command length must not exceed 32")
            if not description:
                raise ApiError(400, "Bad Request: command description must be non-empty")
            if len(description) > 256:
                raise ApiError(400, "Bad Request: command description length must not exceed 256")
            if not _BOT_COMMAND.fullmatch(command):
                raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
            cleaned.append({"command": command, "description": description})
        key = self._commands_target(params)
        if cleaned:
            self._commands[key] = cleaned
        else:
            self._commands.pop(key, None)
        return True

    def _get_my_commands(self, params: JSON) -> list[JSON]:
        return self._commands.get(self._commands_target(params), [])

    def _delete_my_commands(self, params: JSON) -> bool:
        self._commands.pop(self._commands_target(params), None)
        return True

    def _set_description(self, params: JSON, field: str, kind: str, limit: int) -> bool:
        language = _text(params, "language_code")
        if not _LANGUAGE_CODE.fullmatch(language):
            raise ApiError(400, "Bad Request: invalid language code specified")
        text = _text(params, field).strip()
        if len(text) > limit:
            raise ApiError(400, f"Bad Request: bot {field.replace('_', ' ')} is too long")
        self._descriptions[(kind, language)] = text
        return True

    def _set_my_description(self, params: JSON) -> bool:
        return self._set_description(params, "description", "long", 512)

    def _get_my_description(self, params: JSON) -> JSON:
        return {"description": self._descriptions.get(("long", _text(params, "language_code")), "")}

    def _set_my_short_description(self, params: JSON) -> bool:
        return self._set_description(params, "short_description", "short", 120)

    def _get_my_short_description(self, params: JSON) -> JSON:
        key = ("short", _text(params, "language_code"))
        return {"short_description": self._descriptions.get(key, "")}
