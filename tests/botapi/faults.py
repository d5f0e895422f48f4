"""Scripted faults of the stand-in: errors, latency, lost responses, and what a test checks after.

Faults are scripted per method name (case-insensitive), ``"*"`` for any method, or
``"@send"`` for the methods that send or change a message (see ``SENDING_METHODS``). Each entry
applies ``times`` times (None = until ``clear_faults``), optionally only for one ``chat_id``.
Three moments are scriptable:

* before the method runs: ``inject`` answers an error instead (nothing is executed), ``delay``
  waits first;
* after the method ran and was recorded: ``drop_response`` closes the connection without an
  answer, ``delay_response`` answers late (past a client's read timeout if long enough).
  These are the faults where Telegram did the work but the bot cannot know it.
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass
from typing import Any

from .protocol import JSON, ApiError

BLOCKED = "Forbidden: bot was blocked by the user"

SENDING_METHODS = frozenset(
    {
        "sendmessage",
        "sendpoll",
        "sendchataction",
        "editmessagetext",
        "editmessagecaption",
        "editmessagereplymarkup",
        "answercallbackquery",
        "answerinlinequery",
        "deletemessage",
        "stoppoll",
    }
)
"""The methods ``"@send"`` scripts: those that write to a chat or answer a user."""


@dataclass(slots=True)
class Fault:
    """An error answered instead of running the method."""

    status: int
    description: str | None
    retry_after: int
    chat_id: int | str | None
    remaining: int | None


@dataclass(slots=True)
class Delay:
    """A wait before running the method."""

    seconds: float
    chat_id: int | str | None
    remaining: int | None


@dataclass(slots=True)
class LostResponse:
    """What happens to the answer of a method that ran: dropped, or sent ``seconds`` late."""

    drop: bool
    seconds: float
    chat_id: int | str | None
    remaining: int | None


class FaultsMixin:
    """Scripting and bookkeeping of faults; BotApiStandIn provides the tables and locks."""

    _scripted_lock: threading.Lock
    _lock: threading.Lock
    _faults: dict[str, list[Fault]]
    _delays: dict[str, list[Delay]]
    _lost: dict[str, list[LostResponse]]
    _calls_by_method: dict[str, list[Any]]

    def inject(
        self,
        method: str,
        *,
        status: int = 429,
        retry_after: int = 1,
        times: int | None = 1,
        chat_id: int | str | None = None,
        description: str | None = None,
    ) -> None:
        """Fail the next ``times`` calls of ``method`` ("*" any, "@send" sends; None = forever).

        429 carries ``parameters.retry_after``; 500 and 502 answer as Telegram's front end does
        (502 with nginx's HTML page); 403 says the user blocked the bot; any other status needs
        a ``description``. With ``chat_id`` only calls for that chat fail. Nothing is executed.
        """
        if status not in (403, 429, 500, 502) and description is None:
            raise ValueError(f"status {status} needs a description")
        with self._scripted_lock:
            self._faults.setdefault(method.lower(), []).append(
                Fault(status, description, retry_after, chat_id, times)
            )

    def flood(self, times: int, *, retry_after: int = 1, method: str = "@send") -> None:
        """A 429 storm: the next ``times`` sends answer 429 with ``retry_after`` (nothing sent)."""
        self.inject(method, status=429, retry_after=retry_after, times=times)

    def delay(
        self,
        method: str,
        seconds: float,
        *,
        times: int | None = None,
        chat_id: int | str | None = None,
    ) -> None:
        """Answer ``method`` ``seconds`` late, waiting before it runs (None = always)."""
        with self._scripted_lock:
            self._delays.setdefault(method.lower(), []).append(Delay(seconds, chat_id, times))

    def drop_response(
        self, method: str = "@send", *, times: int | None = 1, chat_id: int | str | None = None
    ) -> None:
        """Run the next ``times`` successful calls, record them, then hang up without answering.

        The message counts as sent (``calls()`` shows it with ``fate == "dropped"``), but the
        client sees its connection closed: a send whose response was lost.
        """
        with self._scripted_lock:
            self._lost.setdefault(method.lower(), []).append(
                LostResponse(True, 0.0, chat_id, times)
            )

    def delay_response(
        self,
        method: str,
        seconds: float,
        *,
        times: int | None = 1,
        chat_id: int | str | None = None,
    ) -> None:
        """Run the next ``times`` successful calls at once but answer ``seconds`` later.

        With ``seconds`` past the client's read timeout the bot gives up although the message
        was sent (``fate == "late"``).
        """
        with self._scripted_lock:
            self._lost.setdefault(method.lower(), []).append(
                LostResponse(False, seconds, chat_id, times)
            )

    def clear_faults(self) -> None:
        """Forget every injected fault, delay and lost response."""
        with self._scripted_lock:
            self._faults.clear()
            self._delays.clear()
            self._lost.clear()

    # -- what a test checks afterwards ------------------------------------------------------

    def duplicate_sends(self, method: str = "sendMessage") -> dict[tuple[Any, ...], int]:
        """Successful sends that went out more than once, by (chat id, text, replied-to id).

        Dropped and late responses count: the message was delivered either way. The text is
        the text as sent (after parsing); polls count by their question.
        """
        counts: Counter[tuple[Any, ...]] = Counter()
        with self._lock:
            calls = list(self._calls_by_method.get(method.lower(), ()))
        for call in calls:
            if call.status != 200 or not isinstance(call.result, dict):
                continue
            message = call.result
            text = (
                message.get("text")
                or message.get("caption")
                or message.get("poll", {}).get("question")
            )
            reply_to = message.get("reply_to_message", {}).get("message_id")
            counts[(message["chat"]["id"], text, reply_to)] += 1
        return {key: count for key, count in counts.items() if count > 1}

    # -- applied by the dispatcher ----------------------------------------------------------

    def _raise_injected_fault(self, name: str, params: JSON) -> None:
        fault = self._take_scripted(self._faults, name, params)
        if fault is None:
            return
        if fault.status == 429:
            raise ApiError(
                429,
                fault.description or f"Too Many Requests: retry after {fault.retry_after}",
                {"retry_after": fault.retry_after},
            )
        default = {403: BLOCKED, 500: "Internal Server Error", 502: "Bad Gateway"}
        raise ApiError(fault.status, fault.description or default[fault.status])

    def _take_scripted(self, table: dict[str, list[Any]], name: str, params: JSON) -> Any:
        """Take one use of the first scripted entry matching this call, if any."""
        keys = [name.lower()]
        if name.lower() in SENDING_METHODS:
            keys.append("@send")
        keys.append("*")
        with self._scripted_lock:
            for key in keys:
                for entry in table.get(key, ()):
                    if entry.chat_id is not None and entry.chat_id != params.get("chat_id"):
                        continue
                    if entry.remaining is not None:
                        entry.remaining -= 1
                        if entry.remaining == 0:
                            table[key].remove(entry)
                    return entry
        return None
