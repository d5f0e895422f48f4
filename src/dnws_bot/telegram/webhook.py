"""Webhook server: Telegram POSTs updates here; /healthz answers monitors.

PTB's built-in webhook server has no extra routes, so this is the "custom webhook" setup the PTB
docs describe: an Application without an Updater, fed through `update_queue`.

The server is exposed to the internet, so every request is judged on its headers before a byte
of its body is read: the path, the method, the secret token header and the declared length.
Refusals close the connection (an unread body must not be parsed as the next request). Bodies
are streamed into a 1 MiB cap; a connection that is idle, or slow to send its headers or body,
is closed after `timeout` seconds; connections over a cap (below the open-files limit) are
closed as they arrive. Each kind of refusal is logged at most once a minute, with a count.
"""

from __future__ import annotations

import hmac
import json
import logging
import resource
import time
from collections.abc import Awaitable
from typing import Any

import tornado.web
from telegram.ext import Application
from tornado import httputil
from tornado.httpserver import HTTPServer
from tornado.iostream import IOStream

from ..logging_setup import Throttle
from .intake import parse_update, problem_with, report_poison, update_id_of
from .services import Services

log = logging.getLogger(__name__)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_BODY_BYTES = 1 << 20  # Telegram's updates are a few KiB; 1 MiB is generous
MAX_HEADER_BYTES = 16 << 10
RESERVED_DESCRIPTORS = 128  # kept free for the database, the Bot API pool and logs


def descriptor_limit() -> int:
    """Raise the soft open-files limit to the hard one (capped) and return it."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = hard if hard != resource.RLIM_INFINITY else 65536
    wanted = min(wanted, 65536)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
            soft = wanted
        except (ValueError, OSError):
            pass
    return soft if soft != resource.RLIM_INFINITY else 65536


def connection_cap(configured: int) -> int:
    """Open connections allowed: the setting (0 = 1024), never closer to the descriptor limit
    than RESERVED_DESCRIPTORS, so accept() cannot fail with EMFILE."""
    room = max(8, descriptor_limit() - RESERVED_DESCRIPTORS)
    return min(configured or 1024, room)


class Refusals:
    """Counts refused requests per kind; one INFO line per kind and minute."""

    def __init__(self) -> None:
        self.throttle = Throttle(60.0)
        self.counts: dict[str, int] = {}

    def note(self, kind: str, message: str, *args: object) -> None:
        self.counts[kind] = self.counts.get(kind, 0) + 1
        self.throttle.log(log, logging.INFO, kind, "webhook: " + message, *args)


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
            self.set_status(200)  # a well-formed update we cannot read: redelivery won't help
            return await self.finish()
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
        healthy = self.application_.running
        self.set_status(200 if healthy else 503)
        self.set_header("Content-Type", "application/json")
        self.finish(
            json.dumps(
                {
                    "status": "ok" if healthy else "stopped",
                    "catalogue": self.services.engine.version,
                    "uptime_s": round(time.monotonic() - self.services.started, 1),
                    "store": "ok"
                    if self.services.store is None or self.services.store.healthy
                    else "degraded",
                }
            )
        )

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


class _Watch(httputil.HTTPMessageDelegate):
    """Passes one request through, telling the server once the connection is busy with it."""

    def __init__(
        self, inner: httputil.HTTPMessageDelegate, server: GuardedHTTPServer, stream: object
    ) -> None:
        self.inner = inner
        self.server = server
        self.stream = stream

    def headers_received(
        self,
        start_line: httputil.RequestStartLine | httputil.ResponseStartLine,
        headers: httputil.HTTPHeaders,
    ) -> Awaitable[None] | None:
        self.server.idle.pop(self.stream, None)
        return self.inner.headers_received(start_line, headers)

    def data_received(self, chunk: bytes) -> Awaitable[None] | None:
        return self.inner.data_received(chunk)

    def finish(self) -> None:
        self.inner.finish()

    def on_connection_close(self) -> None:
        self.inner.on_connection_close()


class GuardedHTTPServer(HTTPServer):
    """HTTPServer with at most `cap` open connections.

    A connection is idle from the moment it waits for a request's headers until they are all
    in. When the cap is reached, a new connection takes the place of the longest idle one (so a
    flood of idle connections cannot lock Telegram or a monitor out); when none is idle, the
    new connection is closed at once.
    """

    cap = 1024
    refusals: Refusals
    open_connections = 0

    def initialize(self, *args: Any, **kwargs: Any) -> None:
        super().initialize(*args, **kwargs)
        self.idle: dict[object, None] = {}  # IOStreams of idle connections, oldest first

    def handle_stream(self, stream: IOStream, address: tuple[Any, ...]) -> None:
        if self.open_connections >= self.cap:
            victim = next(iter(self.idle), None)
            if victim is None:
                stream.close()
                self.refusals.note("cap", "%d connections busy; new ones closed", self.cap)
                return
            del self.idle[victim]
            victim.close()  # type: ignore[attr-defined]  # an IOStream
            self.refusals.note("cap", "%d open connections; the longest idle closed", self.cap)
        self.open_connections += 1
        self.idle[stream] = None  # idle until its first request's headers are in
        super().handle_stream(stream, address)

    def start_request(
        self, server_conn: object, request_conn: httputil.HTTPConnection
    ) -> httputil.HTTPMessageDelegate:
        # Called when the connection starts waiting for its next request: it is idle now.
        stream = getattr(server_conn, "stream", None)
        self.idle.pop(stream, None)
        self.idle[stream] = None
        return _Watch(super().start_request(server_conn, request_conn), self, stream)

    def on_close(self, server_conn: object) -> None:
        self.open_connections -= 1
        self.idle.pop(getattr(server_conn, "stream", None), None)
        super().on_close(server_conn)


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
