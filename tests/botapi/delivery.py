"""How updates reach the bot: feeding, getUpdates long polls, webhooks and allowed_updates."""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx

from .protocol import JSON, ApiError, ClientGone, Described
from .protocol import int_param as _integer
from .protocol import text_param as _text

WEBHOOK_CONFLICT = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)
POLL_TERMINATED = (
    "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running"
)
SECRET_TOKEN_INVALID = "Bad Request: secret token contains unallowed characters"  # (unconfirmed)
_DEFAULT_EXCLUDED_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
_SECRET_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,256}")

_UNSET: Any = object()


@dataclass(slots=True)
class Webhook:
    """What setWebhook registered."""

    url: str
    secret_token: str | None
    allowed_updates: list[str] | None
    max_connections: int


def _update_type(update: JSON) -> str:
    return next((key for key in update if key != "update_id"), "")


class DeliveryMixin:
    """Queues and delivers updates; BotApiStandIn provides the state, locks and registration."""

    _pending: Any
    _allowed_updates: list[str] | None
    _webhook: Webhook | None

    # -- feeding --------------------------------------------------------------------------

    def feed(self, update: JSON) -> JSON:
        """Queue an update for getUpdates and return it, numbered if it had no update_id."""
        with self._lock:
            update = self._register_update(update)
            self._pending.append(update)
            self._updates_ready.notify_all()
        return update

    def feed_many(self, batch: list[JSON]) -> list[JSON]:
        """Queue many updates at once (thousands for a soak) and return them numbered."""
        with self._lock:
            queued = [self._register_update(update) for update in batch]
            self._pending.extend(queued)
            self._updates_ready.notify_all()
        return queued

    def feed_raw(self, update: JSON) -> JSON:
        """Queue an update verbatim: not validated, not registered, only numbered if it has no
        update_id. For poison updates such as a poll_answer without option_persistent_ids."""
        with self._lock:
            if "update_id" in update:
                self._next_update_id = max(self._next_update_id, int(update["update_id"]) + 1)
            else:
                update = {"update_id": self._next_update_id, **update}
                self._next_update_id += 1
            self._pending.append(update)
            self._updates_ready.notify_all()
        return update

    async def deliver_webhook_raw(
        self,
        body: bytes,
        *,
        secret: str | None = _UNSET,
        headers: dict[str, str] | None = None,
        url: str | None = None,
    ) -> httpx.Response:
        """POST arbitrary bytes to the webhook (or ``url``): malformed bodies, null, [], 123."""
        with self._lock:
            webhook = self._webhook
        if webhook is None and url is None:
            raise RuntimeError("no webhook is set; the bot has not called setWebhook")
        sent = {"Content-Type": "application/json"}
        token = (webhook.secret_token if webhook else None) if secret is _UNSET else secret
        if token is not None:
            sent["X-Telegram-Bot-Api-Secret-Token"] = token
        sent.update(headers or {})
        target = url or (webhook.url if webhook else "")
        async with httpx.AsyncClient(timeout=10) as client:
            return await client.post(target, content=body, headers=sent)

    async def deliver_webhook(self, update: JSON, *, secret: str | None = _UNSET) -> int:
        """POST an update to the webhook setWebhook registered; return the HTTP status.

        ``secret`` defaults to the registered secret_token; pass another value (or None to send
        no header) to check that the bot rejects forged deliveries.
        """
        url, headers, body = self._prepare_delivery(update, secret)
        async with httpx.AsyncClient(timeout=10) as client:
            response = await client.post(url, content=body, headers=headers)
        return response.status_code

    def deliver_webhook_sync(self, update: JSON, *, secret: str | None = _UNSET) -> int:
        """``deliver_webhook`` for code without an event loop (the bot must run elsewhere)."""
        url, headers, body = self._prepare_delivery(update, secret)
        with httpx.Client(timeout=10) as client:
            response = client.post(url, content=body, headers=headers)
        return response.status_code

    def _prepare_delivery(
        self, update: JSON, secret: str | None
    ) -> tuple[str, dict[str, str], bytes]:
        with self._lock:
            if self._webhook is None:
                raise RuntimeError("no webhook is set; the bot has not called setWebhook")
            body = json.dumps(self._register_update(update)).encode()
            webhook = self._webhook
        headers = {"Content-Type": "application/json"}
        token = webhook.secret_token if secret is _UNSET else secret
        if token is not None:
            headers["X-Telegram-Bot-Api-Secret-Token"] = token
        return webhook.url, headers, body

    # -- inspection -----------------------------------------------------------------------

    @property
    def allowed_updates(self) -> list[str] | None:
        """The allowed_updates last requested by getUpdates or setWebhook (None = default)."""
        with self._lock:
            return None if self._allowed_updates is None else list(self._allowed_updates)

    def update_offsets(self) -> list[int | None]:
        """The ``offset`` each getUpdates call passed, oldest first (None when it passed none)."""
        with self._lock:
            calls = list(self._calls_by_method.get("getupdates", ()))
        return [call.params.get("offset") for call in calls]

    @property
    def confirmed_update_id(self) -> int:
        """The highest update_id that a getUpdates offset confirmed (0 before any)."""
        with self._lock:
            return self._confirmed

    def subscribed(self, update: JSON | str) -> bool:
        """Whether Telegram would deliver this update (or update type) under allowed_updates."""
        kind = update if isinstance(update, str) else _update_type(update)
        with self._lock:
            allowed = self._allowed_updates
        return kind in allowed if allowed else kind not in _DEFAULT_EXCLUDED_UPDATES

    @property
    def pending_updates(self) -> int:
        """Updates queued but not yet confirmed by a getUpdates offset."""
        with self._lock:
            return len(self._pending)

    @property
    def webhook_url(self) -> str | None:
        """The URL setWebhook registered, or None."""
        with self._lock:
            return None if self._webhook is None else self._webhook.url

    # -- methods --------------------------------------------------------------------------

    def _get_updates(self, params: JSON) -> list[JSON]:
        """Long-poll like Telegram: confirm by offset, filter, wait up to timeout."""
        if self._webhook is not None:
            raise ApiError(409, WEBHOOK_CONFLICT)
        allowed = params.get("allowed_updates")
        if isinstance(allowed, list):
            self._allowed_updates = [str(kind) for kind in allowed] or None
        offset = _integer(params, "offset")
        limit = _integer(params, "limit")
        limit = 100 if limit <= 0 else min(limit, 100)
        timeout = max(0, min(_integer(params, "timeout"), 50))
        self._poll_generation += 1
        generation = self._poll_generation
        self._updates_ready.notify_all()
        if offset < 0:
            while len(self._pending) > -offset:
                self._pending.popleft()
        if offset > 0:
            self._confirmed = max(self._confirmed, offset - 1)
        while self._pending and self._pending[0]["update_id"] < offset:
            self._pending.popleft()
        deadline = time.monotonic() + timeout
        while True:
            batch = self._deliverable(limit)
            remaining = deadline - time.monotonic()
            if batch or remaining <= 0 or self._stopping.is_set():
                return batch
            # Wake at least twice a second to notice a client that hung up.
            self._updates_ready.wait(min(remaining, 0.5))
            if not self._request.client_alive():
                raise ClientGone
            if self._poll_generation != generation:
                raise ApiError(409, POLL_TERMINATED)

    def _deliverable(self, limit: int) -> list[JSON]:
        """The first ``limit`` pending updates the bot subscribed to; drop the others."""
        allowed = self._allowed_updates
        batch: list[JSON] = []
        index = 0
        while index < len(self._pending) and len(batch) < limit:
            kind = _update_type(self._pending[index])
            wanted = kind in allowed if allowed else kind not in _DEFAULT_EXCLUDED_UPDATES
            if wanted:
                batch.append(self._pending[index])
                index += 1
            else:
                del self._pending[index]
        return batch

    def _set_webhook(self, params: JSON) -> Described:
        url = _text(params, "url")
        if not url:
            return self._delete_webhook(params)
        scheme = urlsplit(url).scheme.lower()
        if scheme not in ("http", "https") or not urlsplit(url).hostname:
            raise ApiError(
                400, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook"
            )
        secret = params.get("secret_token")
        if secret is not None and secret != "" and not _SECRET_TOKEN.fullmatch(str(secret)):
            raise ApiError(400, SECRET_TOKEN_INVALID)
        allowed = params.get("allowed_updates")
        if isinstance(allowed, list):
            self._allowed_updates = [str(kind) for kind in allowed] or None
        if params.get("drop_pending_updates"):
            self._pending.clear()
        new = Webhook(
            url, secret or None, self._allowed_updates, _integer(params, "max_connections") or 40
        )
        unchanged = self._webhook == new
        self._webhook = new
        self._updates_ready.notify_all()
        return Described(True, "Webhook is already set" if unchanged else "Webhook was set")

    def _delete_webhook(self, params: JSON) -> Described:
        if params.get("drop_pending_updates"):
            self._pending.clear()
        if self._webhook is None:
            return Described(True, "Webhook is already deleted")
        self._webhook = None
        return Described(True, "Webhook was deleted")

    def _get_webhook_info(self, params: JSON) -> JSON:
        info: JSON = {
            "url": "" if self._webhook is None else self._webhook.url,
            "has_custom_certificate": False,
            "pending_update_count": len(self._pending),
        }
        if self._webhook is not None:
            info["max_connections"] = self._webhook.max_connections
            info["ip_address"] = "127.0.0.1"
            if self._webhook.allowed_updates is not None:
                info["allowed_updates"] = self._webhook.allowed_updates
        return info
