"""Callback data and deep-link payloads: short ASCII codes, never user text.

Telegram allows 1-64 bytes of callback_data and [A-Za-z0-9_-]{1,64} in a /start payload, so
buttons carry an action letter and an id ("i:case.india"), and deep links swap the id's dot for
a hyphen ("case-india"), which ids never contain otherwise.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

Action = Literal["intent", "category", "vote", "term", "lang"]

_CODES: dict[Action, str] = {
    "intent": "i",
    "category": "c",
    "vote": "v",
    "term": "g",
    "lang": "l",
}
_ACTIONS = {code: action for action, code in _CODES.items()}
MAX_CALLBACK_BYTES = 64
_PAYLOAD = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


@dataclass(frozen=True)
class Callback:
    """A decoded button press."""

    action: Action
    value: str
    extra: str = ""


def encode(action: Action, value: str, extra: str = "") -> str:
    """Encode a button; raises ValueError if Telegram would refuse it (a bug, not user input)."""
    data = f"{_CODES[action]}:{value}" + (f":{extra}" if extra else "")
    if len(data.encode()) > MAX_CALLBACK_BYTES:
        raise ValueError(f"callback data over {MAX_CALLBACK_BYTES} bytes: {data!r}")
    return data


def decode(data: str | None) -> Callback | None:
    """Decode callback data; None for anything we never issued."""
    if not data or len(data.encode()) > MAX_CALLBACK_BYTES:
        return None
    parts = data.split(":")
    action = _ACTIONS.get(parts[0])
    if action is None or len(parts) not in (2, 3) or not parts[1]:
        return None
    return Callback(action, parts[1], parts[2] if len(parts) == 3 else "")


def deep_link_payload(intent_id: str) -> str:
    return intent_id.replace(".", "-")


def intent_from_payload(payload: str) -> str | None:
    """The intent id a /start payload names, if it is well-formed (existence checked later)."""
    if not _PAYLOAD.match(payload) or payload.count("-") != 1:
        return None
    return payload.replace("-", ".")
