"""Webhook server: Telegram POSTs updates here; /healthz answers monitors.

PTB's built-in webhook server has no extra routes, so this is the "custom webhook" setup the PTB
docs describe: an Application without an Updater, fed through `update_queue`.

The server is exposed to the internet, so every request is judged on its headers before a byte
of its body is read: the path, the method, the secret token header and the declared length.
Refusals close the connection (an unread body must not be parsed as the next request). Bodies
are streamed into a 1 MiB cap; a connection that is idle, or slow to send its headers or body,
is closed after `timeout` seconds; connections over a cap (below the open-files limit) are
closed as they arrive (webhook_connections.py). Each kind of refusal is logged at most once a
minute, with a count.

An update is stored in the inbox before the 200 (so a crash cannot lose it and Telegram's
redelivery of the same update_id is answered once); while the inbox backlog is full the answer
waits, which slows Telegram down instead of queueing without bound.
"""

from __future__ import annotations

import hmac
import json
import logging
import time
from collections.abc import Awaitable
from typing import Any

import tornado.web
from telegram.ext import Application

from .intake import parse_update, problem_with, report_poison, update_id_of
from .services import Services
from .webhook_connections import GuardedHTTPServer, Refusals, connection_cap

log = logging.getLogger(__name__)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_BODY_BYTES = 1 << 20  # Telegram's updates are a few KiB; 1 MiB is generous
MAX_HEADER_BYTES = 16 << 10


class _Guarded(tornado.web.RequestHandler):
    """Base: every method reaches prepare(), which may refuse before the body is read."""

    SUPPORTED_METHODS = ("GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS")
    refusals: Refusals
    body_started = False  # set once data_received has been called

    async def refuse(self, status: int, kind: str, message: str, *args: object) -> None:
        """Answer `status` with an empty body and close the connection (its body stays unread)."""
        self.refusals.note(kind, message, *args)
        self.set_status(status)
        self.set_header("Connection", "close")
        await self.finish()
        connection = self.request.connection
        if self.body_started:
            connection.close()  # type: ignore[union-attr]  # tornado's reader stops quietly
        else:
            # Before the body: take the connection from tornado so it does not go on to read
            # (or complain about) the body, then drop it.
            connection.detach().close()  # type: ignore[union-attr]

    def log_exception(self, typ: Any, value: Any, tb: Any) -> None:
        """No tracebacks from request handling: one throttled line per kind instead."""
        name = getattr(typ, "__name__", str(typ))
        if isinstance(value, tornado.web.HTTPError):  # a client's mistake, found by tornado
            self.refusals.note(f"http-{value.status_code}", "request refused (%s)", value)
        else:  # our bug: worth a WARNING, still without the request in the log
            self.refusals.throttle.log(
                log, logging.WARNING, f"error-{name}", "webhook: request failed (%s)", name
            )


@tornado.web.stream_request_body
class UpdateHandler(_Guarded):
    """POST <path>: one Update as JSON, with the secret Telegram was given."""

    def initialize(
        self,
        bot_app: Application[Any, Any, Any, Any, Any, Any],
        secret: str,
        refusals: Refusals,
    ) -> None:
        self.application_ = bot_app
        self.secret = secret
        self.refusals = refusals
        self.chunks: list[bytes] = []
        self.size = 0
        self.refused = False

    async def prepare(self) -> None:
        if self.request.method != "POST":
            self.refused = True
            return await self.refuse(
                405, "405", "%s on the update path refused", self.request.method
            )
        given = self.request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), self.secret.encode()):
            self.refused = True
            return await self.refuse(403, "403", "request without the right secret refused")
        length = self.request.headers.get("Content-Length")
        if length is not None and (not length.isdigit() or int(length) > MAX_BODY_BYTES):
            self.refused = True
            return await self.refuse(413, "413", "body of %s bytes refused", length[:20])
        # data_received answers 413 past MAX_BODY_BYTES; tornado's own cap (a bare 400) is only
        # a backstop for a single chunk that declares more than that.
        self.request.connection.set_max_body_size(2 * MAX_BODY_BYTES)  # type: ignore[union-attr]
        return None

    def data_received(self, chunk: bytes) -> Awaitable[None] | None:
        if self.refused:
            return None
        self.body_started = True
        self.size += len(chunk)
        if self.size > MAX_BODY_BYTES:  # a body without Content-Length grew past the cap
            self.refused = True
            self.chunks.clear()
            return self.refuse(413, "413", "streamed body over %d bytes refused", MAX_BODY_BYTES)
        self.chunks.append(chunk)
        return None

    async def post(self) -> None:
        if self.refused:
            return None
        body, self.chunks = b"".join(self.chunks), []
        try:
            data = json.loads(body)
        except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
            return await self.bad_request(f"not JSON ({type(exc).__name__})")
        if update_id_of(data) is None:  # not an update at all: the sender is wrong, say so
            return await self.bad_request(problem_with(data) or "not an update")
        update, problem = parse_update(data, self.application_.bot)
        if update is None:
            report_poison(data, problem or "unparsable", self.poison_hooks(), "webhook")
            inbox = self.application_.bot_data.get("inbox")
            if inbox is not None:
                await inbox.admit([])  # the poison record is committed before the 200
            self.set_status(200)  # a well-formed update we cannot read: redelivery won't help
            return await self.finish()
        inbox = self.application_.bot_data.get("inbox")
        if inbox is not None:
            await inbox.accept(update, body.decode())
        else:
            await self.application_.update_queue.put(update)
        self.set_status(200)
        await self.finish()
        return None

    def poison_hooks(self) -> list[Any]:
        hooks = getattr(self.application_.bot, "poison_hooks", [])
        return hooks if isinstance(hooks, list) else []

    async def bad_request(self, why: str) -> None:
        self.refusals.note("400", "body refused with 400: %s", why)
        self.set_status(400)
        await self.finish()


@tornado.web.stream_request_body
class HealthHandler(_Guarded):
    """GET/HEAD /healthz: 200 with the catalogue version and uptime while the bot runs, else 503."""

    def initialize(
        self,
        bot_app: Application[Any, Any, Any, Any, Any, Any],
        services: Services,
        refusals: Refusals,
    ) -> None:
        self.application_ = bot_app
        self.services = services
        self.refusals = refusals

    async def prepare(self) -> None:
        if self.request.method not in ("GET", "HEAD"):
            return await self.refuse(405, "405", "%s /healthz refused", self.request.method)
        if self.request.headers.get("Content-Length", "0") != "0" or (
            "Transfer-Encoding" in self.request.headers
        ):
            return await self.refuse(413, "413", "/healthz with a body refused")
        return None

    def data_received(self, chunk: bytes) -> None:
        return None

    def get(self) -> None:
        running = self.application_.running
        store = self.services.store
        problem = store.store.problem if store is not None else None
        self.set_status(200 if running and problem is None else 503)
        self.set_header("Content-Type", "application/json")
        body: dict[str, object] = {
            "status": "stopped" if not running else "ok" if problem is None else "unhealthy",
            "catalogue": self.services.engine.version,
            "uptime_s": round(time.monotonic() - self.services.started, 1),
            "store": "ok" if problem is None else "degraded",
        }
        if problem is not None:
            body["reason"] = problem
        self.finish(json.dumps(body))

    head = get


@tornado.web.stream_request_body
class NotFoundHandler(_Guarded):
    """Any other path: 404 before reading the body."""

    def initialize(self, refusals: Refusals) -> None:
        self.refusals = refusals

    async def prepare(self) -> None:
        await self.refuse(404, "404", "request for an unknown path refused")

    def data_received(self, chunk: bytes) -> None:
        return None


def make_web_app(
    application: Application[Any, Any, Any, Any, Any, Any],
    services: Services,
    path: str,
    secret: str,
    refusals: Refusals | None = None,
) -> tornado.web.Application:
    refusals = refusals or Refusals()
    return tornado.web.Application(
        [
            (path, UpdateHandler, {"bot_app": application, "secret": secret, "refusals": refusals}),
            (
                "/healthz",
                HealthHandler,
                {"bot_app": application, "services": services, "refusals": refusals},
            ),
        ],
        default_handler_class=NotFoundHandler,
        default_handler_args={"refusals": refusals},
        log_function=lambda handler: None,  # one line per update is logged by the bot itself
    )


def make_server(
    application: Application[Any, Any, Any, Any, Any, Any],
    services: Services,
    path: str,
    secret: str,
    *,
    timeout: float,
    max_connections: int,
) -> GuardedHTTPServer:
    """The webhook HTTP server with every limit applied."""
    refusals = Refusals()
    server = GuardedHTTPServer(
        make_web_app(application, services, path, secret, refusals),
        idle_connection_timeout=timeout,  # also the deadline for a request's headers
        body_timeout=timeout,
        max_header_size=MAX_HEADER_BYTES,
        max_body_size=2 * MAX_BODY_BYTES,
        max_buffer_size=4 * MAX_BODY_BYTES,
        decompress_request=False,
    )
    server.cap = connection_cap(max_connections)
    server.refusals = refusals
    return server


__all__ = ["make_server", "make_web_app"]
