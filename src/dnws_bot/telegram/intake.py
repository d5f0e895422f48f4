"""Reading updates safely: one update python-telegram-bot cannot parse must not stop the bot.

PTB parses a whole getUpdates batch at once and fails it as a whole, so one malformed update
(e.g. a `poll_answer` from a Bot API server older than PTB expects) would be fetched again and
again, forever. Here each update is parsed on its own; one that fails is a "poison" update:
logged once (its id and top-level keys, never its content), handed to `poison_hooks` (where the
inbox records it for the curator) and skipped, and polling moves past it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from telegram import Update

log = logging.getLogger(__name__)

# Called with (update_id or None, the raw update) for every update that cannot be handled.
PoisonHook = Callable[[int | None, Any], None]

# Update fields that carry a Message; a message always has a chat (handlers rely on it).
_MESSAGE_FIELDS = (
    "message",
    "edited_message",
    "channel_post",
    "edited_channel_post",
    "business_message",
    "edited_business_message",
)


def update_id_of(data: object) -> int | None:
    """The update's integer id, or None when the body is not an object with one."""
    if not isinstance(data, dict):
        return None
    value = data.get("update_id")
    return value if type(value) is int else None


def _has_chat(message: object) -> bool:
    return isinstance(message, dict) and isinstance(message.get("chat"), dict)


def problem_with(data: object) -> str | None:
    """Why a decoded JSON value cannot be an update the bot handles, or None when it can."""
    if not isinstance(data, dict):
        return f"not a JSON object ({type(data).__name__})"
    if update_id_of(data) is None:
        return "no integer update_id"
    for field in _MESSAGE_FIELDS:
        if field in data and not _has_chat(data[field]):
            return f"{field} without a chat"
    query = data.get("callback_query")
    if isinstance(query, dict) and "message" in query and not _has_chat(query["message"]):
        return "callback_query.message without a chat"
    return None


def parse_update(data: object, bot: Any) -> tuple[Update | None, str | None]:
    """(the Update, None) or (None, why it cannot be parsed: a reason without any content)."""
    problem = problem_with(data)
    if problem is not None:
        return None, problem
    try:
        return Update.de_json(data, bot), None  # type: ignore[arg-type]
    except RecursionError:
        return None, "nested too deeply"
    except Exception as exc:  # PTB raises TypeError, KeyError, AttributeError, ValueError...
        return None, f"unparsable ({type(exc).__name__})"


def describe(data: object) -> str:
    """Update id and top-level keys: enough to find it, nothing a user wrote."""
    if not isinstance(data, dict):
        return f"a JSON {type(data).__name__}"
    keys = ",".join(sorted(str(key)[:40] for key in data)[:12])
    return f"update {update_id_of(data)} (keys: {keys})"


def report_poison(data: object, reason: str, hooks: list[PoisonHook], source: str) -> None:
    """Log a skipped update once, without its content, and hand it to every hook."""
    log.warning("%s: skipped %s: %s", source, describe(data), reason)
    for hook in hooks:
        try:
            hook(update_id_of(data), data)
        except Exception:  # a hook must never stop intake
            log.exception("poison hook failed for update %s", update_id_of(data))
