"""Talking to the Bot API without duplicates and without losing answers to flood control.

Two rules decide whether a failed send is tried again:
* only when it provably did not reach Telegram: the connection could not be made (or the pool
  had none free), the request could not be written completely, or Telegram answered with an
  error status (429 flood control, 5xx). A send whose answer was lost after it was written (a
  read timeout, a dropped connection) is NOT repeated: Telegram may have delivered it, and a
  second copy would be a duplicate reply.
* flood control (429 with retry_after) is waited out for as long as an overall deadline allows
  (not a fixed number of retries), so a 429 storm delays answers instead of dropping them.

`DnwsBot` also parses each fetched update on its own (see intake.py), so one update PTB cannot
parse is skipped instead of stopping polling for good.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Coroutine, Sequence
from typing import Any

import httpx
from telegram import Update
from telegram._utils.defaultvalue import DEFAULT_NONE
from telegram._utils.types import JSONDict, ODVInput
from telegram.error import BadRequest, NetworkError, RetryAfter, TelegramError, TimedOut
from telegram.ext import AIORateLimiter, Defaults, ExtBot
from telegram.request import HTTPXRequest

from ..logging_setup import Throttle
from ..settings import Settings
from .intake import PoisonHook, parse_update, report_poison
from .keepalive import transport_for

log = logging.getLogger(__name__)

# httpx failures that happen before a request is completely handed to the network.
_NOT_SENT_CAUSES = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.PoolTimeout,
    httpx.WriteTimeout,
    httpx.WriteError,
)
GET_UPDATES_READ_TIMEOUT = 10.0  # added to the long-poll timeout by PTB


def not_sent(exc: TelegramError) -> bool:
    """Whether a failed request provably did not make Telegram do anything."""
    if isinstance(exc, BadRequest) or not isinstance(exc, NetworkError):
        return False
    cause = exc.__cause__
    if isinstance(exc, TimedOut) or isinstance(cause, httpx.HTTPError):
        return isinstance(cause, _NOT_SENT_CAUSES)
    # No transport cause: Telegram answered with an error status (5xx and the like).
    return cause is None or isinstance(cause, TelegramError)


def maybe_delivered(exc: BaseException | None) -> bool:
    """Whether a failed request may nevertheless have been carried out by Telegram (its
    answer was lost): such a send must be neither repeated nor followed by an apology."""
    return isinstance(exc, NetworkError) and not isinstance(exc, BadRequest) and not not_sent(exc)


class RetryingRateLimiter(AIORateLimiter):
    """AIORateLimiter's pacing, with retries that cannot duplicate a send.

    429s are waited out (all sends pause, as in AIORateLimiter) until `deadline` seconds after the
    send was first tried; requests that provably did not reach Telegram are retried with
    exponential backoff up to `network_retries` times. Retries log nothing per attempt; giving
    up logs one WARNING per minute at most, without a traceback.
    """

    def __init__(
        self,
        *,
        overall_max_rate: float,
        overall_time_period: float = 1,
        deadline: float = 60.0,
        network_retries: int = 3,
        backoff: float = 0.5,
    ) -> None:
        super().__init__(
            overall_max_rate=overall_max_rate,
            overall_time_period=overall_time_period,
            max_retries=0,
        )
        self.deadline = deadline
        self.network_retries = network_retries
        self.backoff = backoff
        self.throttle = Throttle(60.0)

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        # Which limiters apply: the same rules as AIORateLimiter.process_request.
        chat_id = data.get("chat_id")
        chat = chat_id is not None
        with contextlib.suppress(ValueError, TypeError):
            chat_id = int(chat_id)  # type: ignore[arg-type]
        group: int | str | bool = False
        if (isinstance(chat_id, int) and chat_id < 0) or isinstance(chat_id, str):
            group = chat_id
        paid = bool(data.get("allow_paid_broadcast", False))

        give_up_at = time.monotonic() + self.deadline
        failures = 0
        while True:
            try:
                return await self._run_request(
                    chat=chat,
                    group=group,
                    allow_paid_broadcast=paid,
                    callback=callback,
                    args=args,
                    kwargs=kwargs,
                )
            except RetryAfter as exc:
                seconds = exc._retry_after.total_seconds()  # what AIORateLimiter reads too
                if time.monotonic() + seconds > give_up_at:
                    self._give_up(
                        endpoint, f"flood control past the {self.deadline:.0f} s deadline"
                    )
                    raise
                log.debug("%s: flood control, waiting %.1f s", endpoint, seconds)
                self._retry_after_event.clear()
                await asyncio.sleep(seconds + 0.1)
            except BadRequest:
                raise  # Telegram refused this request; the handler decides what to do
            except NetworkError as exc:
                if not not_sent(exc):
                    self._give_up(endpoint, f"no answer after sending ({exc}); not re-sent")
                    raise
                delay = self.backoff * (2**failures)
                failures += 1
                if failures > self.network_retries or time.monotonic() + delay > give_up_at:
                    self._give_up(endpoint, f"{exc} after {failures} tries")
                    raise
                log.debug("%s not sent (%s); retry in %.1f s", endpoint, exc, delay)
                await asyncio.sleep(delay)
            finally:
                self._retry_after_event.set()

    def _give_up(self, endpoint: str, why: str) -> None:
        self.throttle.log(log, logging.WARNING, endpoint, "%s given up: %s", endpoint, why)


class DnwsBot(ExtBot[Any]):
    """ExtBot whose getUpdates parses each update on its own and skips poison ones."""

    __slots__ = ("_skip_past", "poison_hooks")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        with self._unfrozen():  # PTB freezes its objects after __init__
            self.poison_hooks: list[PoisonHook] = []
            self._skip_past: int | None = None

    async def get_updates(
        self,
        offset: int | None = None,
        limit: int | None = None,
        timeout: int | None = None,  # type: ignore[override]  # noqa: ASYNC109
        allowed_updates: Sequence[str] | None = None,
        *,
        read_timeout: ODVInput[float] = DEFAULT_NONE,
        write_timeout: ODVInput[float] = DEFAULT_NONE,
        connect_timeout: ODVInput[float] = DEFAULT_NONE,
        pool_timeout: ODVInput[float] = DEFAULT_NONE,
        api_kwargs: JSONDict | None = None,
    ) -> tuple[Update, ...]:
        skip_past = self._skip_past
        if skip_past is not None and (offset is None or 0 <= offset <= skip_past):
            offset = skip_past + 1  # confirm skipped poison updates to Telegram
        base = read_timeout if isinstance(read_timeout, (int, float)) else None
        data: JSONDict = {
            "timeout": timeout,
            "offset": offset,
            "limit": limit,
            "allowed_updates": allowed_updates,
        }
        result = await self._post(
            "getUpdates",
            data,
            read_timeout=(base or GET_UPDATES_READ_TIMEOUT) + (timeout or 0),
            write_timeout=write_timeout,
            connect_timeout=connect_timeout,
            pool_timeout=pool_timeout,
            api_kwargs=api_kwargs,
        )
        updates: list[Update] = []
        for raw in result or ():
            update, problem = parse_update(raw, self)
            if update is None:
                report_poison(raw, problem or "unparsable", self.poison_hooks, "getUpdates")
                raw_id = raw.get("update_id") if isinstance(raw, dict) else None
                if type(raw_id) is int and (self._skip_past is None or raw_id > self._skip_past):
                    self._skip_past = raw_id
                continue
            self.insert_callback_data(update)
            updates.append(update)
        return tuple(updates)


def make_bot(settings: Settings, *, defaults: Defaults, pool_size: int) -> DnwsBot:
    """The bot: our rate limiter, a send timeout for Telegram's slow moments, poison skipping,
    and the keep-alive transport (keepalive.py) unless an environment proxy applies."""
    timeout = settings.send_timeout
    return DnwsBot(
        token=settings.require_token(),
        base_url=f"{settings.api_url}/bot",
        base_file_url=f"{settings.api_url}/file/bot",
        defaults=defaults,
        request=HTTPXRequest(
            connection_pool_size=pool_size,
            connect_timeout=min(10.0, timeout),
            read_timeout=timeout,
            write_timeout=timeout,
            pool_timeout=timeout,
            httpx_kwargs={"transport": transport_for(settings.api_url, pool_size)},
        ),
        get_updates_request=HTTPXRequest(
            connection_pool_size=1,
            read_timeout=GET_UPDATES_READ_TIMEOUT,
            httpx_kwargs={"transport": transport_for(settings.api_url, 1)},
        ),
        rate_limiter=RetryingRateLimiter(
            overall_max_rate=settings.max_messages_per_second,
            overall_time_period=1,
            deadline=settings.send_deadline,
        ),
    )
