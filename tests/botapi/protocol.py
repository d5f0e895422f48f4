"""What every family of methods of the stand-in shares: Telegram's error and typed parameters."""

from __future__ import annotations

from typing import Any

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
