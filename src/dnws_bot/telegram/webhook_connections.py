"""The webhook server's connections: a cap below the open-files limit, idle tracking, and
refusals counted and logged at most once a minute per kind.

At the cap a new connection takes the place of the longest idle one, so a flood of idle
connections cannot lock Telegram or a monitor out; accept() never fails with EMFILE.
"""

from __future__ import annotations

import logging
import resource
from collections.abc import Awaitable
from typing import Any

from tornado import httputil
from tornado.httpserver import HTTPServer
from tornado.iostream import IOStream

from ..logging_setup import Throttle

log = logging.getLogger("dnws_bot.telegram.webhook")
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
