"""HTTP/1.1 keep-alive connections for httpx, on plain asyncio streams.

Every answer is one short POST to one host. httpx's default transport (httpcore on anyio) spends
about a quarter of the bot's main thread on that path: per request it re-checks every pooled
connection, enters anyio cancel scopes and builds socket attribute maps. This transport does only
what the Bot API needs: a LIFO pool of keep-alive connections per origin, `Content-Length` and
chunked bodies, TLS, and httpx's own timeouts and exception types, so PTB's `HTTPXRequest` (and
`sending.not_sent`) see what they would see from httpx. One difference: each timeout bounds its
whole phase (writing the request, reading the response), where httpcore bounds each socket
operation; for Bot API calls of a few kilobytes the two are the same. It speaks no proxy protocol: when
the environment names a proxy for the API (HTTPS_PROXY and the like, which httpx honours only
without a custom transport), `transport_for` leaves the choice to httpx.
"""

from __future__ import annotations

import asyncio
import ssl
import urllib.parse
import urllib.request
from collections.abc import AsyncIterator

import httpx

_HEAD_LIMIT = 64 * 1024  # status line + headers; the Bot API sends a few hundred bytes
# httpx's default: a connection idle longer than this is not reused (a NAT or proxy may have
# dropped it silently, and a send written into a dead connection is an answer lost).
KEEPALIVE_EXPIRY = 5.0


def transport_for(url: str, max_connections: int) -> KeepAliveTransport | None:
    """This transport for `url`, or None (httpx's default) when an environment proxy applies."""
    parts = urllib.parse.urlsplit(url)
    proxies = urllib.request.getproxies()
    proxy = proxies.get(parts.scheme) or proxies.get("all")
    if proxy and not urllib.request.proxy_bypass(parts.hostname or ""):
        return None
    return KeepAliveTransport(max_connections)


class _Connection:
    __slots__ = ("generation", "idle_since", "reader", "writer")

    def __init__(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, generation: int
    ) -> None:
        self.reader = reader
        self.writer = writer
        self.generation = generation
        self.idle_since = 0.0

    def reusable(self, now: float) -> bool:
        """Idle only briefly, not closed by either side, and nothing arrived while idle: no EOF
        (a server that closed an idle connection) and no bytes (a late or unsolicited response,
        such as a 408 before closing, which the next request would read as its own answer)."""
        return (
            now - self.idle_since < KEEPALIVE_EXPIRY
            and not self.writer.is_closing()
            and _nothing_arrived(self.reader)
        )

    def close(self) -> None:
        self.writer.close()


def _nothing_arrived(reader: asyncio.StreamReader) -> bool:
    # StreamReader has no public "bytes waiting" accessor (at_eof() is EOF *and* an empty
    # buffer); these two attributes have been its state since Python 3.4.
    return not reader._eof and not reader._buffer  # type: ignore[attr-defined]


class _Body(httpx.AsyncByteStream):
    """A response body already read in full: the connection is back in the pool by the time
    httpx reads it."""

    def __init__(self, body: bytes) -> None:
        self._body = body

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield self._body


class KeepAliveTransport(httpx.AsyncBaseTransport):
    """At most `max_connections` requests at once; the rest wait up to the pool timeout."""

    def __init__(self, max_connections: int, ssl_context: ssl.SSLContext | None = None) -> None:
        self._max = max_connections
        self._ssl = ssl_context
        self._idle: dict[tuple[str, str, int], list[_Connection]] = {}
        self._slots: asyncio.Semaphore | None = None
        self._generation = 0  # bumped by aclose: connections from before are not pooled again

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        timeouts = request.extensions.get("timeout", {})
        if self._slots is None:  # made here, in the loop that uses it
            self._slots = asyncio.Semaphore(self._max)
        slots = self._slots
        try:
            async with asyncio.timeout(timeouts.get("pool")):
                await slots.acquire()
        except TimeoutError:
            raise httpx.PoolTimeout("no free connection", request=request) from None
        try:
            return await self._exchange(request, timeouts)
        finally:
            slots.release()

    async def aclose(self) -> None:
        """Close the idle connections; the transport stays usable (PTB rebuilds its client
        after a shutdown with the same transport)."""
        idle, self._idle = self._idle, {}
        self._generation += 1
        for connections in idle.values():
            for connection in connections:
                connection.close()
        self._slots = None

    async def _exchange(self, request: httpx.Request, timeouts: dict[str, float]) -> httpx.Response:
        url = request.url
        origin = (url.scheme, url.host, url.port or (443 if url.scheme == "https" else 80))
        body = await request.aread()
        head = [f"{request.method} {url.raw_path.decode('ascii')} HTTP/1.1\r\n".encode()]
        head.extend(b"%s: %s\r\n" % pair for pair in _framed(request.headers.raw, len(body)))
        head.append(b"\r\n")
        connection = self._pooled(origin) or await self._connect(request, origin, timeouts)
        try:
            await _write(connection, b"".join(head) + body, request, timeouts.get("write"))
            status, headers, content, keep = await _read(connection, request, timeouts.get("read"))
        except BaseException:  # failed, timed out or cancelled: the connection's state is unknown
            connection.close()
            raise
        if keep and connection.generation == self._generation and not _asks_close(request):
            connection.idle_since = asyncio.get_running_loop().time()
            self._idle.setdefault(origin, []).append(connection)
        else:
            connection.close()
        return httpx.Response(
            status, headers=headers, stream=_Body(content), extensions={"http_version": b"HTTP/1.1"}
        )

    def _pooled(self, origin: tuple[str, str, int]) -> _Connection | None:
        idle = self._idle.get(origin)
        now = asyncio.get_running_loop().time()
        while idle:
            connection = idle.pop()  # the most recently used first: the likeliest to be alive
            if connection.reusable(now):
                return connection
            connection.close()
        return None

    async def _connect(
        self, request: httpx.Request, origin: tuple[str, str, int], timeouts: dict[str, float]
    ) -> _Connection:
        scheme, host, port = origin
        context = None
        if scheme == "https":
            context = self._ssl or httpx.create_ssl_context()
            self._ssl = context
        try:
            async with asyncio.timeout(timeouts.get("connect")):
                # Like anyio under httpcore: the next address after 0.25 s, so an IPv6 route
                # that drops packets does not time out every new connection.
                reader, writer = await asyncio.open_connection(
                    host, port, ssl=context, limit=_HEAD_LIMIT, happy_eyeballs_delay=0.25
                )
        except TimeoutError:
            raise httpx.ConnectTimeout(f"timed out connecting to {host}", request=request) from None
        except OSError as exc:
            raise httpx.ConnectError(str(exc) or type(exc).__name__, request=request) from exc
        return _Connection(reader, writer, self._generation)


def _framed(headers: list[tuple[bytes, bytes]], length: int) -> list[tuple[bytes, bytes]]:
    """The request headers for a body sent whole: a streamed body httpx marked
    `Transfer-Encoding: chunked` goes with its `Content-Length` instead."""
    kept = [pair for pair in headers if pair[0].lower() != b"transfer-encoding"]
    if len(kept) < len(headers):
        kept.append((b"Content-Length", b"%d" % length))
    return kept


def _asks_close(request: httpx.Request) -> bool:
    return "close" in request.headers.get("connection", "").lower()


async def _write(
    connection: _Connection, data: bytes, request: httpx.Request, within: float | None
) -> None:
    try:
        async with asyncio.timeout(within):
            connection.writer.write(data)
            await connection.writer.drain()
    except TimeoutError:
        raise httpx.WriteTimeout("timed out writing the request", request=request) from None
    except OSError as exc:
        raise httpx.WriteError(str(exc) or type(exc).__name__, request=request) from exc


async def _read(
    connection: _Connection, request: httpx.Request, within: float | None
) -> tuple[int, list[tuple[bytes, bytes]], bytes, bool]:
    try:
        async with asyncio.timeout(within):
            return await _read_response(connection.reader, request.method)
    except TimeoutError:
        raise httpx.ReadTimeout("timed out reading the response", request=request) from None
    except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError) as exc:
        raise httpx.ReadError(str(exc) or type(exc).__name__, request=request) from exc
    except ValueError as exc:  # not HTTP/1.x, or a malformed length
        raise httpx.RemoteProtocolError(str(exc), request=request) from exc


async def _read_response(
    reader: asyncio.StreamReader, method: str
) -> tuple[int, list[tuple[bytes, bytes]], bytes, bool]:
    """(status, headers, body, whether the connection can be reused). ValueError when the
    bytes are not HTTP/1.x."""
    while True:
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head[:-4].split(b"\r\n")
        version, _, rest = lines[0].partition(b" ")
        if not version.startswith(b"HTTP/1."):
            raise ValueError("not an HTTP/1.x response")
        status = int(rest[:3])
        if status >= 200:
            break  # 1xx interim responses (100 Continue) are skipped
    headers: list[tuple[bytes, bytes]] = []
    length: int | None = None
    chunked = False
    keep = version == b"HTTP/1.1"
    for line in lines[1:]:
        name, sep, value = line.partition(b":")
        if not sep:
            raise ValueError("malformed header line")
        value = value.strip()
        headers.append((name, value))
        lowered = name.lower()
        if lowered == b"content-length":
            length = int(value)
        elif lowered == b"transfer-encoding":
            chunked = b"chunked" in value.lower()
        elif lowered == b"connection":
            token = value.lower()
            keep = b"keep-alive" in token if version == b"HTTP/1.0" else b"close" not in token
    if method == "HEAD" or status in (204, 304):
        return status, headers, b"", keep
    if chunked:
        return status, headers, await _read_chunked(reader), keep
    if length is not None:
        if length < 0:
            raise ValueError("negative Content-Length")
        return status, headers, await reader.readexactly(length), keep
    return status, headers, await reader.read(), False  # body ends when the server closes


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    parts: list[bytes] = []
    while True:
        size_line = await reader.readuntil(b"\r\n")
        size = int(size_line.split(b";", 1)[0].strip(), 16)
        if size == 0:
            while await reader.readuntil(b"\r\n") != b"\r\n":
                pass  # trailers
            return b"".join(parts)
        parts.append((await reader.readexactly(size + 2))[:-2])
