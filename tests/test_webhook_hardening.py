"""The webhook server of a real `dnws-bot run --webhook-url` process, attacked: oversized,
slow, idle, malformed and forged requests are refused from their headers, cheaply, quietly."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from botapi import BotApiStandIn, updates
from conftest import free_port

SECRET = "hook-secret_for-tests"
PATH = "/tg-hook"
TIMEOUT = 1.0  # DNWS_WEBHOOK_TIMEOUT of the process under test
CAP = 24  # DNWS_WEBHOOK_MAX_CONNECTIONS of the process under test


@dataclass
class HookedBot:
    """The bot process in webhook mode, its port, its stand-in and its log file."""

    process: subprocess.Popen[bytes]
    port: int
    api: BotApiStandIn
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def rss_kib(self) -> int:
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        line = next(line for line in status.splitlines() if line.startswith("VmRSS:"))
        return int(line.split()[1])

    def connect(self) -> socket.socket:
        return socket.create_connection(("127.0.0.1", self.port), timeout=10)

    def exchange(self, data: bytes, *, wait: float = 10.0) -> bytes:
        """Send raw bytes and return everything the server answers until it closes."""
        with self.connect() as sock:
            sock.settimeout(wait)
            with contextlib.suppress(OSError):  # the server may close before taking it all
                sock.sendall(data)
            return read_until_closed(sock)

    def post(self, body: bytes, *, secret: str | None = SECRET, path: str = PATH) -> int:
        headers = {"Content-Type": "application/json"}
        if secret is not None:
            headers["X-Telegram-Bot-Api-Secret-Token"] = secret
        response = httpx.post(
            f"http://127.0.0.1:{self.port}{path}", content=body, headers=headers, timeout=10
        )
        return response.status_code


def read_until_closed(sock: socket.socket) -> bytes:
    """Everything received until the peer closes; raises TimeoutError if it never does."""
    received = b""
    while True:
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            return received
        if not chunk:
            return received
        received += chunk


def head(method: str, path: str, *, secret: str | None = SECRET, **extra: str) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1"]
    if secret is not None:
        lines.append(f"X-Telegram-Bot-Api-Secret-Token: {secret}")
    lines += [f"{name.replace('_', '-')}: {value}" for name, value in extra.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


@pytest.fixture(scope="module")
def hooked(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HookedBot]:
    """One webhook-mode bot process for the whole module (starting one costs seconds)."""
    tmp = tmp_path_factory.mktemp("webhook")
    port = free_port()
    log_path = tmp / "bot.log"
    with BotApiStandIn() as api, log_path.open("wb") as log_file:
        env = {
            **os.environ,
            "TELEGRAM_BOT_TOKEN": api.token,
            "TELEGRAM_API_URL": api.root_url,
            "TELEGRAM_WEBHOOK_SECRET": SECRET,
            "DNWS_DB": str(tmp / "bot.sqlite3"),
            "DNWS_CACHE_DIR": str(tmp / "cache"),
            "DNWS_LOG_LEVEL": "INFO",
            "DNWS_WEBHOOK_TIMEOUT": str(TIMEOUT),
            "DNWS_WEBHOOK_MAX_CONNECTIONS": str(CAP),
        }
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "dnws_bot.cli",
                "run",
                "--webhook-url",
                f"https://bot.example.org{PATH}",
                "--listen",
                "127.0.0.1",
                "--port",
                str(port),
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=log_file,
        )
        try:
            api.wait_for_sync("setWebhook", timeout=60)
            yield HookedBot(process, port, api, log_path)
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=30)
    log = log_path.read_text()
    assert process.returncode == 0, log
    assert "Traceback" not in log and " ERROR " not in log, log


def test_wrong_secret_is_refused_without_reading_the_body(hooked: HookedBot) -> None:
    """A forged POST announcing a body it never sends still gets 403 at once: only the headers
    were needed (waiting for the body would end in a timeout without any answer)."""
    answer = hooked.exchange(head("POST", PATH, secret="forged", Content_Length="5000"))
    assert answer.startswith(b"HTTP/1.1 403")
    answer = hooked.exchange(head("POST", PATH, secret=None, Content_Length="5000"))
    assert answer.startswith(b"HTTP/1.1 403")


def test_oversized_bodies_get_413_and_memory_stays_bounded(hooked: HookedBot) -> None:
    """Ten clients pushing 20 MB each (declared, to the update path and /healthz) get 413/405
    from the headers; the process grows by far less than one such body."""
    body = b"x" * (20 << 20)
    before = hooked.rss_kib()
    sockets = []
    for index in range(10):
        sock = hooked.connect()
        path = PATH if index % 2 else "/healthz"
        method = "POST"
        sock.sendall(head(method, path, Content_Length=str(len(body))))
        sockets.append((sock, path))
    for sock, path in sockets:
        with sock:
            sock.settimeout(10)
            with contextlib.suppress(OSError):  # closed by the server mid-body: good
                sock.sendall(body)
            answer = read_until_closed(sock)
            expected = b"HTTP/1.1 413" if path == PATH else b"HTTP/1.1 405"
            assert answer.startswith(expected), answer[:80]
    grown_kib = hooked.rss_kib() - before
    assert grown_kib < (20 << 20) // 1024 // 2, f"RSS grew by {grown_kib} KiB"


def test_a_streamed_body_without_length_is_capped(hooked: HookedBot) -> None:
    """A chunked body with the right secret is cut off with 413 once it passes 1 MiB."""
    chunk = b"x" * 65536
    piece = f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n"
    with hooked.connect() as sock:
        sock.settimeout(10)
        sock.sendall(head("POST", PATH, Transfer_Encoding="chunked"))
        try:
            for _ in range(64):  # 4 MiB offered
                sock.sendall(piece)
        except OSError:
            pass
        answer = read_until_closed(sock)
    assert answer.startswith(b"HTTP/1.1 413")


def test_slow_headers_and_idle_connections_are_closed(hooked: HookedBot) -> None:
    """A client that never finishes its headers, or never sends anything, is disconnected by
    the server after the configured timeout (1 s here)."""
    with hooked.connect() as slow, hooked.connect() as idle:
        slow.sendall(b"POST /tg-hook HTTP/1.1\r\nHost: x\r\n")
        for sock in (slow, idle):
            sock.settimeout(TIMEOUT * 10)  # a bound, not a measurement: closing must happen
            assert read_until_closed(sock) == b""


def test_malformed_bodies_get_400_with_one_line_and_no_traceback(hooked: HookedBot) -> None:
    """null, [], 123, a string, deep nesting, non-JSON and a non-integer update_id are 400;
    all of them together log one INFO line (a minute's worth) and never a traceback."""
    bodies = [
        b"null",
        b"[]",
        b"123",
        b'"update"',
        b"[" * 100_000 + b"]" * 100_000,
        b"{not json",
        b"\xff\xfe\x00",
        b'{"update_id": "7"}',
        b'{"message": {"text": "hi"}}',
    ]
    for body in bodies:
        assert hooked.post(body) == 400, body[:20]
    time.sleep(0.2)  # let the process flush its log line (not an assertion on timing)
    log = hooked.log()
    assert "Traceback" not in log
    assert len([line for line in log.splitlines() if "refused with 400" in line]) == 1


def test_an_unreadable_update_is_skipped_and_the_next_one_answered(hooked: HookedBot) -> None:
    """A message without a chat (with the right secret) is acknowledged and skipped, logged
    without its text; the next real question is answered."""
    poison = {"update_id": 990001, "message": {"message_id": 1, "date": 0, "text": "秘密"}}
    assert hooked.post(json.dumps(poison).encode()) == 200
    update = hooked.api._register_update(updates.private_text(8101, 8101, "NPTとは"))
    assert hooked.post(json.dumps(update).encode()) == 200
    reply = hooked.api.wait_for_sync(
        "sendMessage", lambda c: int(c.params["chat_id"]) == 8101, timeout=15
    )
    assert reply.ok
    log = hooked.log()
    assert "update 990001" in log and "秘密" not in log
    assert "Traceback" not in log


def test_healthz_answers_get_and_head_only(hooked: HookedBot) -> None:
    """GET and HEAD /healthz are 200; POST and DELETE are 405; unknown paths 404."""
    base = f"http://127.0.0.1:{hooked.port}"
    assert httpx.get(f"{base}/healthz").json()["status"] == "ok"
    head_response = httpx.head(f"{base}/healthz")
    assert head_response.status_code == 200 and head_response.content == b""
    assert httpx.post(f"{base}/healthz", content=b"{}").status_code == 405
    assert httpx.delete(f"{base}/healthz").status_code == 405
    assert httpx.get(f"{base}/nothing-here").status_code == 404
    assert httpx.get(f"{base}{PATH}").status_code == 405


def test_idle_connections_over_the_cap_make_room_and_are_closed(hooked: HookedBot) -> None:
    """Twice the cap of idle connections: /healthz still answers at once (the longest idle
    connection makes room), every idle one is closed, with one log line and no EMFILE."""
    sockets = [hooked.connect() for _ in range(CAP * 2)]
    try:
        health = httpx.get(f"http://127.0.0.1:{hooked.port}/healthz", timeout=TIMEOUT / 2)
        assert health.status_code == 200
        for sock in sockets:
            sock.settimeout(TIMEOUT * 10)
            assert read_until_closed(sock) == b""
    finally:
        for sock in sockets:
            sock.close()
    time.sleep(0.2)  # let the process flush its log line (not an assertion on timing)
    log = hooked.log()
    assert len([line for line in log.splitlines() if "open connections" in line]) == 1
    assert "Too many open files" not in log
