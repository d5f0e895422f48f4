"""The bot's HTTP transport: keep-alive reuse, HTTP/1.1 bodies, limits, and httpx's errors.

Each test talks to a small scripted HTTP server on 127.0.0.1 through a real `httpx.AsyncClient`,
as PTB's HTTPXRequest does.
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import shutil
import socket
import ssl
import subprocess
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from telegram.error import NetworkError, TimedOut

from dnws_bot.telegram import keepalive
from dnws_bot.telegram.keepalive import KeepAliveTransport, transport_for
from dnws_bot.telegram.sending import not_sent
from raw_http import read_request

# A handler gets the request line and body and writes whatever it likes; returning False
# hangs up after it.
Handler = Callable[[bytes, bytes, asyncio.StreamWriter], Awaitable[bool]]


def _response(body: bytes, *headers: str, status: str = "200 OK") -> bytes:
    head = [f"HTTP/1.1 {status}", f"Content-Length: {len(body)}", *headers]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


async def _echo(line: bytes, body: bytes, writer: asyncio.StreamWriter) -> bool:
    writer.write(_response(line.split()[1] + b" " + body))
    return True


class Server:
    """Counts connections and the most open at once; answers each request with `handler`."""

    def __init__(self, handler: Handler, context: ssl.SSLContext | None = None) -> None:
        self.handler = handler
        self.context = context
        self.connections = 0
        self.open = 0
        self.most_open = 0
        self.writers: list[asyncio.StreamWriter] = []
        self.server: asyncio.Server | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        port = self.server.sockets[0].getsockname()[1]
        return f"{'https' if self.context else 'http'}://127.0.0.1:{port}"

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        self.open += 1
        self.most_open = max(self.most_open, self.open)
        self.writers.append(writer)
        try:
            while (request := await read_request(reader)) is not None:
                if not await self.handler(*request, writer):
                    break
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            self.open -= 1
            writer.close()

    def hang_up_all(self) -> None:
        for writer in self.writers:
            writer.close()


@pytest.fixture
async def serve() -> AsyncIterator[Callable[..., Awaitable[Server]]]:
    servers: list[asyncio.Server] = []

    async def start(handler: Handler = _echo, context: ssl.SSLContext | None = None) -> Server:
        server = Server(handler, context)
        server.server = await asyncio.start_server(server.serve, "127.0.0.1", 0, ssl=context)
        servers.append(server.server)
        return server

    yield start
    for server in servers:
        server.close()


def _client(max_connections: int = 4, **timeouts: float) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=KeepAliveTransport(max_connections),
        timeout=httpx.Timeout(5.0, **timeouts),  # type: ignore[arg-type]
    )


async def test_requests_in_turn_share_one_connection(
    serve: Callable[..., Awaitable[Server]],
) -> None:
    server = await serve()
    async with _client() as client:
        for n in range(5):
            response = await client.post(f"{server.url}/bot1/sendMessage?n={n}", data={"a": "b"})
            assert response.status_code == 200
            assert response.content == f"/bot1/sendMessage?n={n} a=b".encode()
    assert server.connections == 1


async def test_chunked_and_gzip_bodies_arrive_decoded(
    serve: Callable[..., Awaitable[Server]],
) -> None:
    payload = b'{"ok":true,"result":[]}' * 50
    packed = gzip.compress(payload)

    async def chunked_gzip(line: bytes, body: bytes, writer: asyncio.StreamWriter) -> bool:
        writer.write(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Encoding: gzip\r\n\r\n"
        )
        for start in range(0, len(packed), 100):
            part = packed[start : start + 100]
            writer.write(b"%x;ext=1\r\n%s\r\n" % (len(part), part))
        writer.write(b"0\r\nX-Trailer: 1\r\n\r\n")
        return True

    server = await serve(chunked_gzip)
    async with _client() as client:
        for _ in range(2):
            assert (await client.get(server.url)).content == payload
    assert server.connections == 1  # the chunked body was read to its end, trailers included


async def test_a_connection_the_server_closes_is_not_reused(
    serve: Callable[..., Awaitable[Server]],
) -> None:
    async def once(line: bytes, body: bytes, writer: asyncio.StreamWriter) -> bool:
        writer.write(_response(b"bye", "Connection: close"))
        return False

    server = await serve(once)
    async with _client() as client:
        for _ in range(3):
            assert (await client.get(server.url)).content == b"bye"
    assert server.connections == 3


async def test_an_http_1_0_body_without_length_ends_at_close(
    serve: Callable[..., Awaitable[Server]],
) -> None:
    async def old(line: bytes, body: bytes, writer: asyncio.StreamWriter) -> bool:
        writer.write(b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nall of it")
        return False

    server = await serve(old)
    async with _client() as client:
        assert (await client.get(server.url)).content == b"all of it"
        assert (await client.get(server.url)).content == b"all of it"
    assert server.connections == 2


async def test_an_idle_connection_dropped_by_the_server_is_replaced_quietly(
    serve: Callable[..., Awaitable[Server]],
) -> None:
    server = await serve()
    async with _client() as client:
        assert (await client.get(f"{server.url}/a")).status_code == 200
        server.hang_up_all()
        await asyncio.sleep(0.05)
        assert (await client.get(f"{server.url}/b")).content == b"/b "
    assert server.connections == 2


@pytest.mark.parametrize(
    "late",
    [
        _response(b"STALE"),  # a second answer to the first request
        _response(b"idle too long", "Connection: close", status="408 Request Timeout"),
    ],
)
async def test_bytes_that_arrive_while_idle_are_not_read_as_the_next_answer(
    serve: Callable[..., Awaitable[Server]], late: bytes
) -> None:
    async def then_late(line: bytes, body: bytes, writer: asyncio.StreamWriter) -> bool:
        await _echo(line, body, writer)
        await writer.drain()
        await asyncio.sleep(0.05)
        writer.write(late)
        return b"408" not in late

    server = await serve(then_late)
    async with _client() as client:
        assert (await client.get(f"{server.url}/first")).content == b"/first "
        await asyncio.sleep(0.15)
        assert (await client.get(f"{server.url}/second")).content == b"/second "
    assert server.connections == 2


async def test_a_streamed_request_body_is_sent_with_its_length(
    serve: Callable[..., Awaitable[Server]],
) -> None:
    """httpx marks a body from a generator `Transfer-Encoding: chunked`; it is sent whole."""

    async def parts() -> AsyncIterator[bytes]:
        for part in (b"text=", b"hello", b"+world"):
            yield part

    server = await serve()
    async with _client() as client:
        response = await client.post(f"{server.url}/bot1/sendMessage", content=parts())
    assert response.content == b"/bot1/sendMessage text=hello+world"


async def test_an_address_that_does_not_answer_gives_way_to_the_next(
    serve: Callable[..., Awaitable[Server]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A host whose first address drops packets (a broken IPv6 route) is reached on its next
    one well before the connect timeout, as with httpx's own transport."""
    hole = socket.socket()
    hole.bind(("127.0.0.1", 0))
    hole.listen(0)
    queued = []
    for _ in range(3):  # a full accept queue: further connection attempts get no answer
        waiting = socket.socket()
        waiting.setblocking(False)
        with contextlib.suppress(BlockingIOError):
            waiting.connect(hole.getsockname())
        queued.append(waiting)
    server = await serve()
    port = int(server.url.rsplit(":", 1)[1])
    real = socket.getaddrinfo

    def two_addresses(host: object, *args: Any, **kwargs: Any) -> Any:
        if host in ("dual.test", b"dual.test"):
            return [
                (socket.AF_INET, socket.SOCK_STREAM, 6, "", hole.getsockname()),
                (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port)),
            ]
        return real(host, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(socket, "getaddrinfo", two_addresses)
    try:
        async with _client(connect=3.0) as client:
            assert (await client.get(f"http://dual.test:{port}/v4")).content == b"/v4 "
    finally:
        for sock in (*queued, hole):
            sock.close()


async def test_a_connection_idle_past_the_expiry_is_not_reused(
    serve: Callable[..., Awaitable[Server]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(keepalive, "KEEPALIVE_EXPIRY", 0.05)
    server = await serve()
    async with _client() as client:
        await client.get(server.url)
        await client.get(server.url)
        await asyncio.sleep(0.1)
        await client.get(server.url)
    assert server.connections == 2


async def test_no_more_connections_than_the_pool_allows(
    serve: Callable[..., Awaitable[Server]],
) -> None:
    async def slow(line: bytes, body: bytes, writer: asyncio.StreamWriter) -> bool:
        await asyncio.sleep(0.02)
        return await _echo(line, body, writer)

    server = await serve(slow)
    async with _client(max_connections=3) as client:
        replies = await asyncio.gather(*(client.get(f"{server.url}/{n}") for n in range(12)))
    assert [r.content for r in replies] == [f"/{n} ".encode() for n in range(12)]
    assert server.most_open == 3


@pytest.mark.filterwarnings("error::ResourceWarning")  # an unclosed connection collected
async def test_a_cancelled_request_does_not_leave_its_answer_to_the_next(
    serve: Callable[..., Awaitable[Server]],
) -> None:
    """The cancelled request's late answer must not be read as the next request's."""

    async def first_slow(line: bytes, body: bytes, writer: asyncio.StreamWriter) -> bool:
        if b"/slow" in line:
            await asyncio.sleep(0.3)
        return await _echo(line, body, writer)

    server = await serve(first_slow)
    async with _client(max_connections=1) as client:
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.1):
                await client.get(f"{server.url}/slow")
        await asyncio.sleep(0.35)  # the server answered /slow and found the connection closed
        assert server.open == 0  # not left open beside the pool
        assert (await client.get(f"{server.url}/fast")).content == b"/fast "
    assert server.connections == 2


@pytest.fixture
def certificate(tmp_path: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and its key."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("the openssl command is needed to make a test certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


async def test_tls_connections_are_verified_and_kept_alive(
    serve: Callable[..., Awaitable[Server]], certificate: tuple[Path, Path]
) -> None:
    cert, key = certificate
    server_side = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_side.load_cert_chain(cert, key)
    server = await serve(_echo, server_side)
    trusted = ssl.create_default_context(cafile=str(cert))
    async with httpx.AsyncClient(transport=KeepAliveTransport(2, trusted)) as client:
        assert (await client.get(f"{server.url}/x")).content == b"/x "
        assert (await client.get(f"{server.url}/y")).content == b"/y "
    assert server.connections == 1
    async with httpx.AsyncClient(transport=KeepAliveTransport(2)) as client:
        with pytest.raises(httpx.ConnectError):  # the system's CAs do not trust it
            await client.get(f"{server.url}/z")


async def _failure(client: httpx.AsyncClient, url: str) -> httpx.HTTPError:
    with pytest.raises(httpx.HTTPError) as caught:
        await client.post(url, data={"text": "x"})
    return caught.value


def _as_ptb(exc: httpx.HTTPError) -> NetworkError:
    """What PTB's HTTPXRequest makes of it (TimedOut for timeouts), with the cause kept."""
    error = TimedOut() if isinstance(exc, httpx.TimeoutException) else NetworkError(str(exc))
    error.__cause__ = exc
    return error


async def test_failures_are_httpx_errors_that_say_whether_the_send_left(
    serve: Callable[..., Awaitable[Server]],
) -> None:
    """Refused and pool-timeout failures never reached the server (may be retried); a hang-up
    or a timeout after the request was written may have been acted on (must not be)."""

    async def hang_up(line: bytes, body: bytes, writer: asyncio.StreamWriter) -> bool:
        return False

    async def garbage(line: bytes, body: bytes, writer: asyncio.StreamWriter) -> bool:
        writer.write(b"SSH-2.0-OpenSSH\r\n\r\n")
        return True

    async def stall(line: bytes, body: bytes, writer: asyncio.StreamWriter) -> bool:
        await asyncio.sleep(1)
        return True

    closed = await serve()
    assert closed.server is not None
    closed_url = closed.url
    closed.server.close()
    await closed.server.wait_closed()
    async with _client(read=0.2, pool=0.1) as client:
        refused = await _failure(client, closed_url)
        assert isinstance(refused, httpx.ConnectError)
        assert isinstance(await _failure(client, (await serve(hang_up)).url), httpx.ReadError)
        protocol = await _failure(client, (await serve(garbage)).url)
        assert isinstance(protocol, httpx.RemoteProtocolError)
        assert isinstance(await _failure(client, (await serve(stall)).url), httpx.ReadTimeout)
    async with _client(max_connections=1, read=1.0, pool=0.1) as client:
        stalled = (await serve(stall)).url
        busy = asyncio.create_task(client.post(stalled))
        await asyncio.sleep(0.05)
        pool = await _failure(client, stalled)
        assert isinstance(pool, httpx.PoolTimeout)
        busy.cancel()
    assert [not_sent(_as_ptb(e)) for e in (refused, pool)] == [True, True]
    assert not not_sent(_as_ptb(protocol))


async def test_closing_the_transport_leaves_it_usable(
    serve: Callable[..., Awaitable[Server]],
) -> None:
    """PTB closes its client at shutdown and builds a new one on the same transport; a request
    still in flight at the close does not put its connection back."""

    async def slow(line: bytes, body: bytes, writer: asyncio.StreamWriter) -> bool:
        await asyncio.sleep(0.1)
        return await _echo(line, body, writer)

    server = await serve(slow)
    transport = KeepAliveTransport(2)
    for _ in range(2):
        async with httpx.AsyncClient(transport=transport) as client:
            assert (await client.get(f"{server.url}/again")).content == b"/again "
    async with httpx.AsyncClient(transport=transport) as client:
        late = asyncio.create_task(client.get(f"{server.url}/late"))
        await asyncio.sleep(0.05)
        await transport.aclose()
        assert (await late).content == b"/late "
        await asyncio.sleep(0.05)
        assert server.open == 0
    assert server.connections == 3


@pytest.mark.parametrize(
    ("environment", "keep_alive"),
    [
        ({}, True),
        ({"HTTPS_PROXY": "http://proxy.example:3128"}, False),
        ({"ALL_PROXY": "socks5://proxy.example:1080"}, False),
        ({"HTTP_PROXY": "http://proxy.example:3128"}, True),  # not for an https URL
        ({"HTTPS_PROXY": "http://proxy.example:3128", "NO_PROXY": "api.telegram.org"}, True),
    ],
)
def test_an_environment_proxy_is_left_to_httpx(
    monkeypatch: pytest.MonkeyPatch, environment: dict[str, str], keep_alive: bool
) -> None:
    """This transport speaks no proxy protocol; httpx's own does, and honours these variables."""
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    chosen = transport_for("https://api.telegram.org", 8)
    assert isinstance(chosen, KeepAliveTransport) is keep_alive
