"""Message edits of the stand-in: editMessageText, editMessageCaption, editMessageReplyMarkup.

A message is addressed by ``chat_id`` + ``message_id`` (the bot's own messages, or channel
posts) or by ``inline_message_id`` (messages sent in inline mode, known once a callback query or
chosen inline result carried the id). Every successful edit is kept, so a test reads the current
state with ``message()`` / ``inline_message()`` and each version with ``edits()``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .html_entities import utf16_len
from .protocol import JSON, ApiError, text_param

NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are "
    "exactly the same as a current content and reply markup of the message"
)
MESSAGE_ID_INVALID = "Bad Request: MESSAGE_ID_INVALID"
NO_TEXT_TO_EDIT = "Bad Request: there is no text in the message to edit"
NO_CAPTION_TO_EDIT = "Bad Request: there is no caption in the message to edit"  # (unconfirmed)
CAPTION_TOO_LONG = "Bad Request: message caption is too long"
MAX_CAPTION_LENGTH = 1024

# What "not modified" compares: the content and the keyboard, not the preview options.
_COMPARED = ("text", "entities", "caption", "caption_entities", "reply_markup")


class EditsMixin:
    """The edit methods; BotApiStandIn provides the message tables and validation."""

    _lock: threading.Lock
    _messages: dict[tuple[int, int], JSON]
    _inline_messages: dict[str, JSON]
    _edits: dict[tuple[int, int] | str, list[JSON]]

    if TYPE_CHECKING:

        def _inline_keyboard(self, markup: Any) -> JSON | None: ...
        def _message_text(self, params: JSON, *, name: str = "text") -> tuple[str, list[JSON]]: ...
        def _formatted(
            self, text: str, parse_mode: str, entities: Any, *, allow_empty: bool = False
        ) -> tuple[str, list[Any]]: ...
        def _entities(self, text: str, spans: list[Any]) -> list[JSON]: ...
        def _link_preview(self, params: JSON, entities: list[JSON]) -> JSON | None: ...
        def _editable(self, params: JSON) -> JSON: ...
        def _replace_message(self, message: JSON) -> JSON: ...

    # -- inspection -------------------------------------------------------------------------

    def inline_message(self, inline_message_id: str) -> JSON | None:
        """What the bot last set on a message sent in inline mode ({} before any edit)."""
        with self._lock:
            return self._inline_messages.get(inline_message_id)

    def edits(self, chat_id: int | str, message_id: int | None = None) -> list[JSON]:
        """Every version an edit produced, oldest first: by chat and message id, or by an
        inline_message_id alone."""
        key = str(chat_id) if message_id is None else (int(chat_id), message_id)
        with self._lock:
            return list(self._edits.get(key, ()))

    # -- methods ----------------------------------------------------------------------------

    def _edit_message_text(self, params: JSON) -> JSON | bool:
        keyboard = self._inline_keyboard(params.get("reply_markup"))
        text, entities = self._message_text(params)

        def change(message: JSON) -> JSON:
            if message and "text" not in message:
                raise ApiError(400, NO_TEXT_TO_EDIT)
            edited = _without(message, "text", "entities", "reply_markup", "link_preview_options")
            edited["text"] = text
            if entities:
                edited["entities"] = entities
            preview = self._link_preview(params, entities)
            if preview is not None:
                edited["link_preview_options"] = preview
            if keyboard is not None:
                edited["reply_markup"] = keyboard
            return edited

        return self._edit(params, change)

    def _edit_message_caption(self, params: JSON) -> JSON | bool:
        keyboard = self._inline_keyboard(params.get("reply_markup"))
        caption, spans = self._formatted(
            text_param(params, "caption"),
            text_param(params, "parse_mode"),
            params.get("caption_entities"),
            allow_empty=True,
        )
        if utf16_len(caption) > MAX_CAPTION_LENGTH:
            raise ApiError(400, CAPTION_TOO_LONG)
        entities = self._entities(caption, spans)

        def change(message: JSON) -> JSON:
            if message and ("text" in message or "poll" in message):
                raise ApiError(400, NO_CAPTION_TO_EDIT)
            edited = _without(message, "caption", "caption_entities", "reply_markup")
            if caption:
                edited["caption"] = caption
            if entities:
                edited["caption_entities"] = entities
            if keyboard is not None:
                edited["reply_markup"] = keyboard
            return edited

        return self._edit(params, change)

    def _edit_message_reply_markup(self, params: JSON) -> JSON | bool:
        keyboard = self._inline_keyboard(params.get("reply_markup"))

        def change(message: JSON) -> JSON:
            edited = _without(message, "reply_markup")
            if keyboard is not None:
                edited["reply_markup"] = keyboard
            return edited

        return self._edit(params, change)

    def _edit(self, params: JSON, change: Callable[[JSON], JSON]) -> JSON | bool:
        """Apply ``change`` to the addressed message, refusing an edit that changes nothing."""
        inline_id = text_param(params, "inline_message_id")
        if inline_id:
            current = self._inline_messages.get(inline_id)
            if current is None:
                raise ApiError(400, MESSAGE_ID_INVALID)
            edited = change(current)
            if current and _same(current, edited):
                raise ApiError(400, NOT_MODIFIED)
            self._inline_messages[inline_id] = edited
            self._edits.setdefault(inline_id, []).append(edited)
            return True
        message = self._editable(params)
        edited = change(message)
        if _same(message, edited):
            raise ApiError(400, NOT_MODIFIED)
        edited["edit_date"] = int(time.time())
        key = (message["chat"]["id"], message["message_id"])
        self._edits.setdefault(key, []).append(edited)
        return self._replace_message(edited)


def _without(message: JSON, *keys: str) -> JSON:
    return {key: value for key, value in message.items() if key not in keys}


def _same(current: JSON, edited: JSON) -> bool:
    return all(current.get(key) == edited.get(key) for key in _COMPARED)
