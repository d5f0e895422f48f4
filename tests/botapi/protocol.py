"""What every family of methods of the stand-in shares: Telegram's error and typed parameters."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from email.parser import BytesParser
from email.policy import HTTP as HTTP_POLICY
from typing import Any
from urllib.parse import parse_qsl

JSON = dict[str, Any]


class ApiError(Exception):
    """A Bot API error: handlers raise it and the dispatcher answers with its JSON."""

    def __init__(self, status: int, description: str, parameters: JSON | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters

    def response(self) -> JSON:
        """The error body exactly as Telegram shapes it."""
        body: JSON = {"ok": False, "error_code": self.status, "description": self.description}
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def text_param(params: JSON, name: str) -> str:
    value = params.get(name)
    return value if isinstance(value, str) else ""


def int_param(params: JSON, name: str) -> int:
    value = params.get(name)
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def object_param(params: JSON, name: str, what: str) -> JSON | None:
    """A JSON-object parameter, or None when absent; malformed ones fail like Telegram."""
    value = params.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, dict):
        raise ApiError(400, f"Bad Request: can't parse {what} JSON object")
    return value


_INTEGER = re.compile(r"\s*-?\d+\s*")

_INT_PARAMS = frozenset(
    {
        "message_id",
        "offset",
        "limit",
        "timeout",
        "user_id",
        "cache_time",
        "correct_option_id",
        "open_period",
        "close_date",
        "message_thread_id",
        "reply_to_message_id",
        "max_connections",
    }
)

_BOOL_PARAMS = frozenset(
    {
        "disable_web_page_preview",
        "disable_notification",
        "protect_content",
        "allow_sending_without_reply",
        "allow_paid_broadcast",
        "show_alert",
        "is_personal",
        "is_anonymous",
        "allows_multiple_answers",
        "allows_revoting",
        "is_closed",
        "drop_pending_updates",
        "shuffle_options",
    }
)

_JSON_PARAMS = frozenset(
    {
        "reply_markup",
        "entities",
        "caption_entities",
        "reply_parameters",
        "link_preview_options",
        "allowed_updates",
        "commands",
        "scope",
        "results",
        "button",
        "options",
        "correct_option_ids",
        "question_entities",
        "explanation_entities",
        "message_ids",
        "media",
    }
)

_CHAT_ID_PARAMS = frozenset({"chat_id", "from_chat_id"})


@dataclass(frozen=True, slots=True)
class UploadedFile:
    """A file part of a multipart request, kept so tests can look at what the bot uploaded."""

    filename: str
    content_type: str
    data: bytes


class ClientGone(Exception):
    """The client of a waiting long poll hung up; there is nobody to answer."""


@dataclass(slots=True)
class Described:
    """A result that Telegram sends together with a ``description`` (the webhook methods)."""

    result: Any
    description: str


def decode_param(name: str, value: Any) -> Any:
    """Type one parameter as the Bot API reads it; undecodable values stay raw for errors."""
    if isinstance(value, UploadedFile):
        return value
    if name in _JSON_PARAMS:
        if isinstance(value, str):
            try:
                return json.loads(value)
            except ValueError:
                return value
        return value
    text = value if isinstance(value, str) else json.dumps(value)
    if name in _CHAT_ID_PARAMS or name in _INT_PARAMS:
        return int(text) if _INTEGER.fullmatch(text) else text
    if name in _BOOL_PARAMS:
        return text.strip().lower() in ("true", "1")
    return text


def read_params(query: str, content_type: str, body: bytes) -> dict[str, Any]:
    """Collect parameters from the query string and a form, JSON or multipart body."""
    params: dict[str, Any] = dict(parse_qsl(query, keep_blank_values=True))
    if not body:
        return params
    media_type = content_type.split(";", 1)[0].strip().lower()
    if media_type == "application/json":
        decoded = json.loads(body)
        if not isinstance(decoded, dict):
            raise ValueError("a JSON body must be an object")
        params.update(decoded)
    elif media_type == "multipart/form-data":
        header = f"Content-Type: {content_type}\r\n\r\n".encode()
        parsed = BytesParser(policy=HTTP_POLICY).parsebytes(header + body)
        for part in parsed.iter_parts():
            name = part.get_param("name", header="content-disposition")
            payload = part.get_payload(decode=True) or b""
            filename = part.get_filename()
            if filename is None:
                params[str(name)] = payload.decode("utf-8")
            else:
                params[str(name)] = UploadedFile(filename, part.get_content_type(), payload)
    else:
        params.update(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
    return params
