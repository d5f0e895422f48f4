"""A strict stand-in for the Telegram Bot API server, for end-to-end tests and benchmarks.

It serves the Bot API's HTTP protocol on 127.0.0.1 from its own threads, so a real
python-telegram-bot ``Bot`` or ``Application`` runs against it unchanged and never shares an
event loop with it. It validates requests the way Telegram does and answers with Telegram's
descriptions, so a test fails where production would; it records every call, queues fed updates
for getUpdates, and can inject faults (429, 5xx, blocked users, migrated groups) and latency.

This module holds the HTTP loop, routing, recording, chats and messages, and sending; each
family of methods lives in its own mixin module (delivery, edits, commands, queries, polls,
members, faults), all sharing the state that ``BotApiStandIn.__init__`` creates. See README.md.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import re
import select
import socket
import socketserver
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import formatdate
from http import HTTPStatus
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

from . import updates
from .commands import CommandsMixin
from .delivery import DeliveryMixin, Webhook
from .edits import EditsMixin
from .faults import BLOCKED, Delay, Fault, FaultsMixin, LostResponse
from .html_entities import (
    EntityParseError,
    LinkError,
    Span,
    check_link,
    finalize,
    find_auto_entities,
    parse_html,
    to_bot_api,
    utf16_len,
    utf16_to_index,
)
from .members import MembersMixin
from .polls import PollsMixin
from .protocol import JSON, ApiError, ClientGone, Described, decode_param, read_params
from .protocol import int_param as _integer
from .protocol import object_param as _object
from .protocol import text_param as _text
from .queries import QueriesMixin

# Telegram's descriptions. Most are confirmed by suites that run against the real Bot API or by
# tdlib's source; those marked (unconfirmed) follow tdlib's style where no source was found.
MESSAGE_TEXT_EMPTY = "Bad Request: message text is empty"
TEXT_MUST_BE_NON_EMPTY = "Bad Request: text must be non-empty"
MESSAGE_TOO_LONG = "Bad Request: message is too long"
CHAT_ID_EMPTY = "Bad Request: chat_id is empty"
CHAT_NOT_FOUND = "Bad Request: chat not found"
REPLY_NOT_FOUND = "Bad Request: message to be replied not found"
MIGRATED = "Bad Request: group chat was upgraded to a supergroup chat"
TEXT_BUTTONS_UNALLOWED = (
    "Bad Request: can't parse inline keyboard button: "
    "Text buttons are unallowed in the inline keyboard"
)
# Stricter than Telegram, which silently keeps the first action of a button with several.
SEVERAL_BUTTON_ACTIONS = (
    "Bad Request: can't parse inline keyboard button: exactly one action field must be specified"
)
REPLY_MARKUP_TOO_LONG = "Bad Request: reply markup is too long"  # (unconfirmed for >100 buttons)
MAX_TEXT_LENGTH = 4096
MAX_CALLBACK_DATA_BYTES = 64
MAX_BUTTONS = 100
_CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "record_audio",
        "upload_audio",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
        "cancel",
    }
)
_INPUT_ENTITY_TYPES = frozenset(
    {
        "mention",
        "hashtag",
        "cashtag",
        "bot_command",
        "url",
        "email",
        "phone_number",
        "bold",
        "italic",
        "underline",
        "strikethrough",
        "spoiler",
        "blockquote",
        "expandable_blockquote",
        "code",
        "pre",
        "text_link",
        "text_mention",
        "custom_emoji",
    }
)
_BUTTON_STRING_ACTIONS = ("url", "callback_data")
_BUTTON_OTHER_ACTIONS = (
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "web_app",
    "login_url",
    "callback_game",
    "pay",
    "copy_text",
)
_BUTTON_STRING_FIELDS = frozenset(
    {"url", "callback_data", "switch_inline_query", "switch_inline_query_current_chat"}
)
_BUTTON_OBJECT_FIELDS = frozenset(
    {"switch_inline_query_chosen_chat", "web_app", "login_url", "copy_text"}
)
_PATH = re.compile(r"/bot([^/]*)/([^/]*)")


# How form values are typed: the Bot API reads every parameter from a string by its type.
@dataclass(frozen=True, slots=True)
class Call:
    """One request the stand-in answered, as a test asserts on it."""

    method: str
    params: JSON
    status: int
    response: JSON
    started: float
    time: float
    fate: str = "answered"
    """How the answer went: "answered", "dropped" (connection closed) or "late"."""

    @property
    def ok(self) -> bool:
        """Whether the call succeeded."""
        return self.status == 200

    @property
    def result(self) -> Any:
        """The ``result`` of a successful call."""
        return self.response.get("result")

    @property
    def description(self) -> str | None:
        """Telegram's description of an error, or a webhook method's success note."""
        return self.response.get("description")


def _without_reply(message: JSON) -> JSON:
    return {key: value for key, value in message.items() if key != "reply_to_message"}


class _Server(socketserver.ThreadingTCPServer):
    """A thread-per-connection TCP server whose keep-alive connections are closed on stop."""

    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, stand_in: BotApiStandIn) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.stand_in = stand_in
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Stay quiet: clients that hang up mid-long-poll are normal, not errors."""

    def close_connections(self) -> None:
        """Shut down idle keep-alive connections so no request is served after stop()."""
        with self.connections_lock:
            connections = list(self.connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)


class _Handler(socketserver.StreamRequestHandler):
    """A lean HTTP/1.1 keep-alive loop: http.server's header parsing would cost more than
    the Bot API logic itself, and a benchmark runs the bot in the same process."""

    disable_nagle_algorithm = True
    server: _Server

    def handle(self) -> None:
        with self.server.connections_lock:
            self.server.connections.add(self.connection)
        try:
            while self._serve_one():
                pass
        finally:
            with self.server.connections_lock:
                self.server.connections.discard(self.connection)

    def _serve_one(self) -> bool:
        """Answer one request; return whether the connection stays open."""
        request_line = self.rfile.readline(65537)
        parts = request_line.split()
        if len(parts) != 3:
            return False
        version = parts[2]
        headers: dict[bytes, bytes] = {}
        while (line := self.rfile.readline(65537)) not in (b"\r\n", b"\n", b""):
            name, _, value = line.partition(b":")
            headers[name.strip().lower()] = value.strip()
        if headers.get(b"expect", b"").lower() == b"100-continue":
            self.wfile.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        if headers.get(b"transfer-encoding", b"").lower() == b"chunked":
            body = self._read_chunked()
        else:
            body = self.rfile.read(int(headers.get(b"content-length") or 0))
        connection = headers.get(b"connection", b"").lower()
        keep_alive = connection != b"close" and (
            version == b"HTTP/1.1" or connection == b"keep-alive"
        )
        answer = self.server.stand_in._dispatch(
            parts[1].decode("latin-1"),
            headers.get(b"content-type", b"").decode("latin-1"),
            body,
            self._client_alive,
        )
        if answer is None:
            return False
        status, payload, content_type = answer
        head = (
            f"HTTP/1.1 {status} {HTTPStatus(status).phrase}\r\n"
            "Server: nginx/1.18.0\r\n"
            f"Date: {formatdate(usegmt=True)}\r\n"
            f"Content-Type: {content_type}\r\n"
            f"Content-Length: {len(payload)}\r\n"
            f"Connection: {'keep-alive' if keep_alive else 'close'}\r\n\r\n"
        )
        self.wfile.write(head.encode() + payload)
        return keep_alive

    def _client_alive(self) -> bool:
        """Whether the client still holds the connection open; pollers may hang up."""
        try:
            readable, _, _ = select.select([self.connection], [], [], 0)
            return not readable or bool(self.connection.recv(1, socket.MSG_PEEK))
        except OSError:
            return False

    def _read_chunked(self) -> bytes:
        chunks = []
        while size := int(self.rfile.readline().split(b";")[0], 16):
            chunks.append(self.rfile.read(size))
            self.rfile.readline()
        while self.rfile.readline() not in (b"\r\n", b"\n", b""):
            pass
        return b"".join(chunks)


class BotApiStandIn(
    DeliveryMixin,
    EditsMixin,
    CommandsMixin,
    QueriesMixin,
    PollsMixin,
    MembersMixin,
    FaultsMixin,
):
    """The Telegram Bot API on 127.0.0.1, strict like Telegram, scripted by the test.

    Use it as a context manager (or ``start()``/``stop()``), point the bot at ``base_url``, feed
    updates built with ``botapi.updates`` and assert on ``calls()`` / ``wait_for()``.
    """

    def __init__(
        self,
        token: str = "123456:ABC-DEF1234ghIkl-zyx57W2v1u123ew11",
        bot_username: str = "dnws_test_bot",
        *,
        bot_first_name: str = "DNWS study bot",
    ) -> None:
        self.token = token
        self.bot_user: JSON = {
            "id": int(token.split(":", 1)[0]),
            "is_bot": True,
            "first_name": bot_first_name,
            "username": bot_username,
        }
        self._lock = threading.Lock()
        self._scripted_lock = threading.Lock()
        self._updates_ready = threading.Condition(self._lock)
        self._calls_recorded = threading.Condition(self._lock)
        self._stopping = threading.Event()
        self._request = threading.local()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self.errors: list[BaseException] = []
        self._methods: dict[str, tuple[str, Callable[[JSON], Any]]] = {
            name.lower(): (name, handler)
            for name, handler in (
                ("getMe", self._get_me),
                ("getUpdates", self._get_updates),
                ("setWebhook", self._set_webhook),
                ("deleteWebhook", self._delete_webhook),
                ("getWebhookInfo", self._get_webhook_info),
                ("setMyCommands", self._set_my_commands),
                ("getMyCommands", self._get_my_commands),
                ("deleteMyCommands", self._delete_my_commands),
                ("setMyDescription", self._set_my_description),
                ("getMyDescription", self._get_my_description),
                ("setMyShortDescription", self._set_my_short_description),
                ("getMyShortDescription", self._get_my_short_description),
                ("sendMessage", self._send_message),
                ("editMessageText", self._edit_message_text),
                ("editMessageCaption", self._edit_message_caption),
                ("editMessageReplyMarkup", self._edit_message_reply_markup),
                ("deleteMessage", self._delete_message),
                ("sendChatAction", self._send_chat_action),
                ("answerCallbackQuery", self._answer_callback_query),
                ("answerInlineQuery", self._answer_inline_query),
                ("sendPoll", self._send_poll),
                ("stopPoll", self._stop_poll),
                ("getChat", self._get_chat),
                ("getChatMember", self._get_chat_member),
                ("getChatAdministrators", self._get_chat_administrators),
                ("close", self._close),
                ("logOut", self._log_out),
            )
        }
        # Everything below is guarded by self._lock.
        self._calls: list[Call] = []
        self._calls_by_method: dict[str, list[Call]] = {}
        self._cursors: dict[str, int] = {}
        self._pending: deque[JSON] = deque()
        self._next_update_id = 100_000_001
        self._allowed_updates: list[str] | None = None
        self._confirmed = 0
        self._poll_generation = 0
        self._webhook: Webhook | None = None
        self._chats: dict[int, JSON] = {}
        self._usernames: dict[str, int] = {}
        self._users: dict[int, JSON] = {self.bot_user["id"]: self.bot_user}
        self._members: dict[int, dict[int, JSON]] = {}
        self._messages: dict[tuple[int, int], JSON] = {}
        self._bot_messages: dict[int, list[int]] = {}
        self._open_callback_queries: set[str] = set()
        self._open_inline_queries: set[str] = set()
        self._callback_answers: dict[str, JSON] = {}
        self._inline_answers: dict[str, JSON] = {}
        self._inline_messages: dict[str, JSON] = {}
        self._edits: dict[tuple[int, int] | str, list[JSON]] = {}
        self._polls: dict[str, JSON] = {}
        self._poll_messages: dict[str, tuple[int, int]] = {}
        self._poll_ids = itertools.count(5_123_456_789_012_345_001)
        self._commands: dict[tuple[str, str], list[JSON]] = {}
        self._descriptions: dict[tuple[str, str], str] = {}
        self._faults: dict[str, list[Fault]] = {}
        self._delays: dict[str, list[Delay]] = {}
        self._lost: dict[str, list[LostResponse]] = {}
        self._blocked: set[int] = set()
        self._migrated: dict[int, int] = {}

    # -- lifecycle -------------------------------------------------------------------------

    @property
    def port(self) -> int:
        """The ephemeral port the server listens on."""
        if self._server is None:
            raise RuntimeError("the stand-in is not running; call start() first")
        return int(self._server.server_address[1])

    @property
    def root_url(self) -> str:
        """``http://127.0.0.1:PORT``."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        """The ``base_url`` for ``telegram.Bot``, which appends the token and ``/method``."""
        return f"{self.root_url}/bot"

    def start(self) -> BotApiStandIn:
        """Listen on an ephemeral port and serve from a dedicated thread."""
        if self._server is not None:
            raise RuntimeError("the stand-in is already running")
        self._server = _Server(self)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="botapi-standin",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Release long polls and delays, close connections and stop serving."""
        self._stopping.set()
        with self._lock:
            self._updates_ready.notify_all()
        if self._server is not None:
            self._server.shutdown()
            self._server.close_connections()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> BotApiStandIn:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
        if exc is None and self.errors:
            raise RuntimeError("the stand-in failed while serving a request") from self.errors[0]

    # -- scripting -------------------------------------------------------------------------

    def add_chat(
        self,
        chat_id: int,
        *,
        chat_type: str | None = None,
        title: str = "DNWS study group",
        first_name: str = "Taro",
        username: str | None = None,
        is_forum: bool = False,
    ) -> JSON:
        """Make a chat known, as if it had talked to the bot, and return its Chat object."""
        if chat_type == "private" or (chat_type is None and chat_id > 0):
            sender = updates.user(chat_id, first_name=first_name, username=username)
            chat = updates.private_chat(sender)
            with self._lock:
                self._register_user(sender)
        else:
            chat = updates.group_chat(
                chat_id, title=title, chat_type=chat_type, is_forum=is_forum, username=username
            )
        with self._lock:
            self._register_chat(chat)
        return chat

    def block(self, chat_id: int) -> None:
        """Make the user of a private chat block the bot: sends answer 403 until unblock()."""
        with self._lock:
            self._blocked.add(chat_id)

    def unblock(self, chat_id: int) -> None:
        """Let the bot write to that user again."""
        with self._lock:
            self._blocked.discard(chat_id)

    def migrate_chat(self, chat_id: int, new_chat_id: int) -> JSON:
        """Upgrade a group to a supergroup: calls for the old id answer 400 migrate_to_chat_id."""
        with self._lock:
            return self._migrate(chat_id, new_chat_id)

    # -- inspection ------------------------------------------------------------------------

    def calls(self, method: str | None = None) -> list[Call]:
        """Every recorded call, or those of one method (case-insensitive), oldest first."""
        with self._lock:
            if method is None:
                return list(self._calls)
            return list(self._calls_by_method.get(method.lower(), ()))

    async def wait_for(
        self,
        method: str,
        predicate: Callable[[Call], bool] | None = None,
        timeout: float = 5.0,  # noqa: ASYNC109 - mirrors wait_for_sync; a deadline, not a cancel
    ) -> Call:
        """Return the first not yet returned call of ``method`` matching ``predicate``.

        Calls are consumed in order: each wait_for returns a later call than the one before it
        for that method, so a test can wait for the bot's first, second, ... reply in turn. It
        polls instead of blocking, so the bot can keep running on the same event loop.
        """
        deadline = time.monotonic() + timeout
        while True:
            found = self._take(method, predicate)
            if found is not None:
                return found
            if time.monotonic() >= deadline:
                raise TimeoutError(self._timeout_message(method, timeout))
            await asyncio.sleep(0.005)

    async def wait_for_count(
        self,
        method: str,
        count: int,
        timeout: float = 5.0,  # noqa: ASYNC109 - mirrors wait_for_count_sync
    ) -> list[Call]:
        """Wait until ``method`` was called at least ``count`` times; return all its calls."""
        deadline = time.monotonic() + timeout
        while True:
            calls = self.calls(method)
            if len(calls) >= count:
                return calls
            if time.monotonic() >= deadline:
                raise TimeoutError(self._timeout_message(method, timeout, count))
            await asyncio.sleep(0.005)

    def wait_for_sync(
        self,
        method: str,
        predicate: Callable[[Call], bool] | None = None,
        timeout: float = 5.0,
    ) -> Call:
        """Blocking ``wait_for`` for threads without an event loop, such as a benchmark."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                found = self._take_locked(method, predicate)
                if found is not None:
                    return found
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._calls_recorded.wait(remaining)
        raise TimeoutError(self._timeout_message(method, timeout))

    def wait_for_count_sync(self, method: str, count: int, timeout: float = 5.0) -> list[Call]:
        """Blocking ``wait_for_count``."""
        deadline = time.monotonic() + timeout
        key = method.lower()
        with self._lock:
            while len(self._calls_by_method.get(key, ())) < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._calls_recorded.wait(remaining)
            else:
                return list(self._calls_by_method[key])
        raise TimeoutError(self._timeout_message(method, timeout, count))

    def count(self, method: str, **params: Any) -> int:
        """How many calls of ``method`` were made whose parameters include ``params``.

        E.g. ``count("getChatMember", chat_id=GROUP, user_id=USER)`` to check caching.
        """
        return sum(
            all(call.params.get(key) == value for key, value in params.items())
            for call in self.calls(method)
        )

    def _take(self, method: str, predicate: Callable[[Call], bool] | None) -> Call | None:
        with self._lock:
            return self._take_locked(method, predicate)

    def _take_locked(self, method: str, predicate: Callable[[Call], bool] | None) -> Call | None:
        key = method.lower()
        calls = self._calls_by_method.get(key, [])
        for index in range(self._cursors.get(key, 0), len(calls)):
            if predicate is None or predicate(calls[index]):
                self._cursors[key] = index + 1
                return calls[index]
        return None

    def _timeout_message(self, method: str, timeout: float, count: int | None = None) -> str:
        with self._lock:
            seen = {key: len(calls) for key, calls in self._calls_by_method.items()}
        wanted = f"{count} calls of {method}" if count else f"a new matching call of {method}"
        return f"no {wanted} within {timeout}s; calls so far: {seen}"

    def chat(self, chat_id: int) -> JSON | None:
        """The known Chat object for an id."""
        with self._lock:
            return self._chats.get(chat_id)

    def message(self, chat_id: int, message_id: int) -> JSON | None:
        """A message the bot sent or the stand-in was fed, as it currently stands."""
        with self._lock:
            return self._messages.get((chat_id, message_id))

    def last_message(self, chat_id: int) -> JSON | None:
        """The latest message the bot sent to a chat that still exists."""
        with self._lock:
            ids = self._bot_messages.get(chat_id, [])
            while ids and (chat_id, ids[-1]) not in self._messages:
                ids.pop()
            return self._messages[(chat_id, ids[-1])] if ids else None

    # -- registration of fed updates -------------------------------------------------------

    def _register_update(self, update: JSON) -> JSON:
        """Number an update (update_id first, as Telegram orders it) and learn what it carries."""
        if "update_id" in update:
            self._next_update_id = max(self._next_update_id, update["update_id"] + 1)
        else:
            update = {"update_id": self._next_update_id, **update}
            self._next_update_id += 1
        for key in ("message", "edited_message", "channel_post", "edited_channel_post"):
            if key in update:
                self._register_message(update[key])
        if "callback_query" in update:
            query = update["callback_query"]
            self._register_user(query["from"])
            if "message" in query:
                message = query["message"]
                current = self._messages.get((message["chat"]["id"], message["message_id"]))
                if current is None:
                    self._register_message(message)
                else:  # Telegram attaches the message as it is now, edits included
                    update = update | {"callback_query": query | {"message": current}}
            if "inline_message_id" in query:
                self._inline_messages.setdefault(query["inline_message_id"], {})
            self._open_callback_queries.add(query["id"])
        if "chosen_inline_result" in update:
            chosen = update["chosen_inline_result"]
            self._register_user(chosen["from"])
            if "inline_message_id" in chosen:
                self._inline_messages.setdefault(chosen["inline_message_id"], {})
        for key in ("message_reaction", "message_reaction_count"):
            if key in update:
                chat = update[key]["chat"]
                bot = self._members.get(chat["id"], {}).get(self.bot_user["id"], {})
                if chat["type"] != "private" and bot.get("status", "administrator") not in (
                    "administrator",
                    "creator",
                ):
                    raise ValueError("Telegram sends reaction updates only to administrator bots")
                self._register_chat(chat)
                if "user" in update[key]:
                    self._register_user(update[key]["user"])
                if "actor_chat" in update[key]:
                    self._register_chat(update[key]["actor_chat"])
        if "inline_query" in update:
            self._register_user(update["inline_query"]["from"])
            self._open_inline_queries.add(update["inline_query"]["id"])
        if "poll_answer" in update:
            self._register_vote(update["poll_answer"])
        for key in ("my_chat_member", "chat_member"):
            if key in update:
                change = update[key]
                self._register_chat(change["chat"])
                self._register_user(change["from"])
                member = change["new_chat_member"]
                chat_id = change["chat"]["id"]
                if change["chat"]["type"] == "private":  # the user blocked or unblocked the bot
                    if member["status"] == "kicked":
                        self._blocked.add(chat_id)
                    else:
                        self._blocked.discard(chat_id)
                    continue
                self._members.setdefault(chat_id, {})[member["user"]["id"]] = member
        return update

    def _register_chat(self, chat: JSON) -> None:
        self._chats[chat["id"]] = chat
        if "username" in chat:
            self._usernames[chat["username"].lower()] = chat["id"]

    def _register_user(self, user: JSON) -> None:
        self._users[user["id"]] = user

    def _register_message(self, message: JSON) -> None:
        chat = message["chat"]
        self._register_chat(chat)
        updates.message_ids.advance_past(message["message_id"])
        if "from" in message:
            self._register_user(message["from"])
            members = self._members.setdefault(chat["id"], {})
            members.setdefault(message["from"]["id"], {"user": message["from"], "status": "member"})
        if "reply_to_message" in message:
            self._register_message(message["reply_to_message"])
        self._messages[(chat["id"], message["message_id"])] = message
        if "migrate_to_chat_id" in message:
            self._migrate(chat["id"], message["migrate_to_chat_id"])

    def _migrate(self, chat_id: int, new_chat_id: int) -> JSON:
        old = self._chats.get(chat_id, {"title": "DNWS study group"})
        chat = updates.group_chat(new_chat_id, title=old.get("title", ""), chat_type="supergroup")
        self._register_chat(chat)
        self._migrated[chat_id] = new_chat_id
        return chat

    # -- dispatch --------------------------------------------------------------------------

    def _dispatch(
        self, target: str, content_type: str, body: bytes, client_alive: Callable[[], bool]
    ) -> tuple[int, bytes, str] | None:
        """Answer one HTTP request: route, decode, script, validate, record.

        Returns None, recording nothing, for a long poll whose client hung up: Telegram
        answers nobody then, so a test should not see a call. Also returns None, after
        recording the call, when a scripted lost response drops the answer.
        """
        started = time.monotonic()
        self._request.client_alive = client_alive
        name, handler, params = self._route(target, content_type, body)
        if handler is not None:
            delay = self._take_scripted(self._delays, name, params)
            if delay is not None:
                self._stopping.wait(delay.seconds)
        with self._lock:
            try:
                status, response = self._respond(handler, params, name)
            except ClientGone:
                return None
            payload = json.dumps(response, ensure_ascii=False).encode()
            lost = self._take_scripted(self._lost, name, params) if status == 200 else None
            fate = "answered" if lost is None else "dropped" if lost.drop else "late"
            call = Call(name, params, status, response, started, time.monotonic(), fate)
            self._calls.append(call)
            self._calls_by_method.setdefault(name.lower(), []).append(call)
            self._calls_recorded.notify_all()
        if lost is not None:
            if lost.drop:
                return None
            self._stopping.wait(lost.seconds)
        if status == 502:
            return status, _BAD_GATEWAY_PAGE, "text/html"
        return status, payload, "application/json"

    def _route(
        self, target: str, content_type: str, body: bytes
    ) -> tuple[str, Callable[[JSON], Any] | ApiError, JSON]:
        """Find the method a request calls, or the error Telegram answers before any method."""
        parts = urlsplit(target)
        route = _PATH.fullmatch(parts.path)
        if route is None:
            return parts.path, ApiError(404, "Not Found"), {}
        if route.group(1) != self.token:
            return route.group(2), ApiError(401, "Unauthorized"), {}
        entry = self._methods.get(route.group(2).lower())
        if entry is None:
            return route.group(2), ApiError(404, "Not Found"), {}
        name, handler = entry
        try:
            raw = read_params(parts.query, content_type, body)
        except ValueError as error:
            return name, ApiError(400, f"Bad Request: can't parse request body: {error}"), {}
        return name, handler, {key: decode_param(key, value) for key, value in raw.items()}

    def _respond(
        self, handler: Callable[[JSON], Any] | ApiError, params: JSON, name: str
    ) -> tuple[int, JSON]:
        """Run a handler under the lock and shape its outcome as Telegram's JSON."""
        try:
            if isinstance(handler, ApiError):
                raise handler
            self._raise_injected_fault(name, params)
            result = handler(params)
        except ApiError as error:
            return error.status, error.response()
        except ClientGone:
            raise
        except Exception as error:  # a stand-in bug: answer like Telegram's 500, report later
            self.errors.append(error)
            return 500, ApiError(500, "Internal Server Error").response()
        if isinstance(result, Described):
            return 200, {"ok": True, "result": result.result, "description": result.description}
        return 200, {"ok": True, "result": result}

    # -- shared validation -----------------------------------------------------------------

    def _resolve_chat(self, params: JSON, *, sending: bool = False, access: str = "read") -> JSON:
        """The chat a call addresses, failing as Telegram does for unknown, migrated, blocked,
        or where the bot's status forbids ``access`` ("read", "members", "edit", "write";
        ``sending`` means "write")."""
        chat_id = params.get("chat_id")
        if chat_id is None or chat_id == "":
            raise ApiError(400, CHAT_ID_EMPTY)
        if isinstance(chat_id, str):
            chat_id = self._usernames.get(chat_id.lower().removeprefix("@"), 0)
        if chat_id in self._migrated:
            raise ApiError(400, MIGRATED, {"migrate_to_chat_id": self._migrated[chat_id]})
        chat = self._chats.get(chat_id)
        if chat is None:
            raise ApiError(400, CHAT_NOT_FOUND)
        if sending and chat_id in self._blocked:
            raise ApiError(403, BLOCKED)
        self._check_access(chat, "write" if sending else access)
        return chat

    def _formatted(
        self, text: str, parse_mode: str, entities: Any, *, allow_empty: bool = False
    ) -> tuple[str, list[Span]]:
        """Parse text as Telegram does for ``parse_mode`` or explicit entities, then normalize."""
        mode = parse_mode.lower()
        if mode == "html":
            try:
                text, spans = parse_html(text)
            except EntityParseError as error:
                raise ApiError(400, f"Bad Request: can't parse entities: {error}") from None
        elif mode in ("markdown", "markdownv2"):
            spans = []  # accepted as plain text: the bot under test uses HTML
        elif mode in ("", "none"):
            spans = self._explicit_spans(text, entities) if entities else []
        else:
            raise ApiError(400, "Bad Request: unsupported parse_mode")
        text, spans = finalize(text, spans)
        if not text and not allow_empty:
            raise ApiError(400, TEXT_MUST_BE_NON_EMPTY)
        return text, spans

    def _explicit_spans(self, text: str, entities: Any) -> list[Span]:
        """Validate an ``entities`` list (UTF-16 offsets) as the Bot API does."""
        if not isinstance(entities, list):
            raise ApiError(400, "Bad Request: can't parse entities JSON object")
        boundaries = utf16_to_index(text)
        total = utf16_len(text)
        spans = []
        for entity in entities:
            if not isinstance(entity, dict) or entity.get("type") not in _INPUT_ENTITY_TYPES:
                raise ApiError(
                    400, "Bad Request: can't parse MessageEntity: Unsupported type specified"
                )
            offset, length = entity.get("offset", 0), entity.get("length", 0)
            if not isinstance(offset, int) or offset < 0:
                raise ApiError(
                    400, f"Bad Request: receive an entity with incorrect offset {offset}"
                )
            if not isinstance(length, int) or length <= 0:
                raise ApiError(
                    400, f"Bad Request: receive an entity with incorrect length {length}"
                )
            if offset > total:
                raise ApiError(
                    400,
                    f"Bad Request: entity begins after the end of the text at UTF-16 offset {offset}",
                )
            if offset + length > total:
                raise ApiError(
                    400,
                    f"Bad Request: entity beginning at UTF-16 offset {offset} ends after the end "
                    f"of the text at UTF-16 offset {offset + length}",
                )
            if offset not in boundaries or offset + length not in boundaries:
                raise ApiError(400, "Bad Request: entity is in the middle of a UTF-16 character")
            spans.append(
                Span(
                    boundaries[offset],
                    boundaries[offset + length],
                    entity["type"],
                    self._entity_extra(entity),
                )
            )
        return spans

    def _entity_extra(self, entity: JSON) -> JSON:
        kind = entity["type"]
        required = {"text_link": "url", "text_mention": "user", "custom_emoji": "custom_emoji_id"}
        field = required.get(kind)
        if field is not None and field not in entity:
            raise ApiError(
                400, f"Bad Request: can't parse MessageEntity: Can't find field \"{field}\""
            )
        if kind == "text_link":
            try:
                return {"url": check_link(str(entity["url"]))}
            except LinkError as error:
                raise ApiError(
                    400, f"Bad Request: entity URL '{entity['url']}' is invalid: {error}"
                ) from None
        if kind == "text_mention":
            user = self._users.get(
                entity["user"].get("id") if isinstance(entity["user"], dict) else 0
            )
            if user is None:
                raise ApiError(400, "Bad Request: user not found")
            return {"user": user}
        if kind == "custom_emoji":
            return {"custom_emoji_id": str(entity["custom_emoji_id"])}
        if kind == "pre" and entity.get("language"):
            return {"language": str(entity["language"])}
        return {}

    def _entities(self, text: str, spans: list[Span]) -> list[JSON]:
        """Bot API entities of a sent text: parsed ones plus those Telegram detects itself."""
        resolved = []
        for span in spans:
            if span.type == "text_mention":
                user = self._users.get(span.extra["user_id"])
                if user is None:
                    continue  # Telegram drops mentions of users the bot cannot see
                span = Span(span.start, span.end, span.type, {"user": user})
            resolved.append(span)
        return to_bot_api(text, resolved + find_auto_entities(text, resolved))

    def _message_text(self, params: JSON, *, name: str = "text") -> tuple[str, list[JSON]]:
        """Validate a message text parameter fully: presence, markup, emptiness, length."""
        raw = _text(params, name)
        if not raw:
            raise ApiError(400, MESSAGE_TEXT_EMPTY)
        text, spans = self._formatted(raw, _text(params, "parse_mode"), params.get("entities"))
        if utf16_len(text) > MAX_TEXT_LENGTH:
            raise ApiError(400, MESSAGE_TOO_LONG)
        return text, self._entities(text, spans)

    def _inline_keyboard(self, markup: Any) -> JSON | None:
        """Validate reply_markup; return the inline keyboard Telegram echoes, if it is one."""
        if markup is None or markup == "":
            return None
        if not isinstance(markup, dict):
            raise ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")
        for flag in (
            "force_reply",
            "remove_keyboard",
            "selective",
            "resize_keyboard",
            "one_time_keyboard",
            "is_persistent",
        ):
            if flag in markup and not isinstance(markup[flag], bool):
                raise ApiError(400, f'Bad Request: field "{flag}" must be of type Boolean')
        if "keyboard" in markup and not isinstance(markup["keyboard"], list):
            raise ApiError(400, 'Bad Request: field "keyboard" must be of type Array')
        if "inline_keyboard" not in markup:
            return None
        rows = markup["inline_keyboard"]
        if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
            raise ApiError(400, 'Bad Request: field "inline_keyboard" must be of type Array')
        if sum(len(row) for row in rows) > MAX_BUTTONS:
            raise ApiError(400, REPLY_MARKUP_TOO_LONG)
        return {"inline_keyboard": [[self._button(button) for button in row] for row in rows]}

    def _button(self, button: Any) -> JSON:
        """Validate one inline button and return it as Telegram echoes it."""
        prefix = "Bad Request: can't parse inline keyboard button: "
        if not isinstance(button, dict):
            raise ApiError(400, prefix + "InlineKeyboardButton must be an Object")
        if "text" not in button:
            raise ApiError(400, prefix + 'Can\'t find field "text"')
        if not isinstance(button["text"], str):
            raise ApiError(400, prefix + 'Field "text" must be of type String')
        actions = [key for key in _BUTTON_STRING_ACTIONS if button.get(key)]
        actions += [key for key in _BUTTON_OTHER_ACTIONS if key in button]
        if not actions:
            raise ApiError(400, TEXT_BUTTONS_UNALLOWED)
        if len(actions) > 1:
            raise ApiError(400, SEVERAL_BUTTON_ACTIONS)
        action = actions[0]
        value = button[action]
        if action in _BUTTON_STRING_FIELDS and not isinstance(value, str):
            raise ApiError(400, prefix + f'Field "{action}" must be of type String')
        if action in _BUTTON_OBJECT_FIELDS and not isinstance(value, dict):
            raise ApiError(400, prefix + f'Field "{action}" must be of type Object')
        if action == "callback_data" and len(str(value).encode()) > MAX_CALLBACK_DATA_BYTES:
            raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
        if action == "url":
            try:
                value = check_link(str(value))
            except LinkError as error:
                raise ApiError(
                    400, f"Bad Request: inline keyboard button URL '{value}' is invalid: {error}"
                ) from None
        if action == "web_app":
            url = value.get("url", "") if isinstance(value, dict) else ""
            try:
                value = {"url": check_link(url, https_only=True)}
            except LinkError as error:
                raise ApiError(
                    400,
                    f"Bad Request: inline keyboard button Web App URL '{url}' is invalid: {error}",
                ) from None
        if action in ("pay", "callback_game"):
            raise ApiError(400, "Bad Request: BUTTON_TYPE_INVALID")
        return {"text": button["text"], action: value}

    def _link_preview(self, params: JSON, entities: list[JSON]) -> JSON | None:
        """Validate link preview options and return what Telegram reports on the message."""
        options = params.get("link_preview_options")
        if options is None or options == "":
            options = {}
        if isinstance(options, str):
            raise ApiError(400, "Bad Request: can't parse link preview options JSON object")
        if not isinstance(options, dict):
            raise ApiError(400, "Bad Request: object expected as link preview options")
        if "url" in options and not isinstance(options["url"], str):
            raise ApiError(400, 'Bad Request: field "url" must be of type String')
        for flag in ("is_disabled", "prefer_small_media", "prefer_large_media", "show_above_text"):
            if flag in options and not isinstance(options[flag], bool):
                raise ApiError(400, f'Bad Request: field "{flag}" must be of type Boolean')
        if "url" in options:
            try:
                check_link(str(options["url"]))
            except LinkError:
                raise ApiError(400, "Bad Request: WEBPAGE_URL_INVALID") from None
        has_link = any(entity["type"] in ("url", "text_link") for entity in entities)
        if params.get("disable_web_page_preview") or options.get("is_disabled"):
            return {"is_disabled": True} if has_link else None
        shown = {key: value for key, value in options.items() if value}
        return shown if shown and (has_link or "url" in shown) else None

    def _reply_target(self, chat: JSON, params: JSON) -> JSON | None:
        """The message a send replies to, failing as Telegram does when it does not exist."""
        reply = _object(params, "reply_parameters", "reply parameters")
        if reply is not None:
            if "message_id" not in reply:
                raise ApiError(400, 'Bad Request: can\'t find field "message_id"')
            message_id = reply["message_id"]
            allow_missing = bool(reply.get("allow_sending_without_reply"))
        elif _integer(params, "reply_to_message_id"):
            message_id = params["reply_to_message_id"]
            allow_missing = bool(params.get("allow_sending_without_reply"))
        else:
            return None
        target = self._messages.get((chat["id"], message_id))
        if target is None and not allow_missing:
            raise ApiError(400, REPLY_NOT_FOUND)
        return None if target is None else _without_reply(target)

    def _store_bot_message(self, chat: JSON, params: JSON, content: JSON) -> JSON:
        """Create, keep and return a message the bot sent, shaped like Telegram's."""
        message: JSON = {"message_id": updates.message_ids.next()}
        if chat["type"] == "channel":
            message["sender_chat"] = chat
        else:
            message["from"] = self.bot_user
        message["chat"] = chat
        message["date"] = int(time.time())
        thread_id = _integer(params, "message_thread_id")
        if thread_id:
            message["message_thread_id"] = thread_id
            if chat.get("is_forum"):
                message["is_topic_message"] = True
        reply_to = self._reply_target(chat, params)
        if reply_to is not None:
            message["reply_to_message"] = reply_to
        message.update(content)
        self._messages[(chat["id"], message["message_id"])] = message
        self._bot_messages.setdefault(chat["id"], []).append(message["message_id"])
        return message

    def _editable(self, params: JSON) -> JSON:
        """The bot's message an edit addresses, failing with Telegram's descriptions."""
        chat = self._resolve_chat(params, access="edit")
        message_id = _integer(params, "message_id")
        if message_id <= 0:
            raise ApiError(400, "Bad Request: message identifier is not specified")
        message = self._messages.get((chat["id"], message_id))
        if message is None:
            raise ApiError(400, "Bad Request: message to edit not found")
        if not self._sent_by_bot(message) and chat["type"] != "channel":
            raise ApiError(400, "Bad Request: message can't be edited")
        return message

    def _sent_by_bot(self, message: JSON) -> bool:
        return bool(message.get("from", {}).get("id") == self.bot_user["id"])

    def _replace_message(self, message: JSON) -> JSON:
        self._messages[(message["chat"]["id"], message["message_id"])] = message
        return message

    # -- methods ---------------------------------------------------------------------------

    def _get_me(self, params: JSON) -> JSON:
        return self.bot_user | {
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": True,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    def _send_message(self, params: JSON) -> JSON:
        keyboard = self._inline_keyboard(params.get("reply_markup"))
        text, entities = self._message_text(params)
        chat = self._resolve_chat(params, sending=True)
        content: JSON = {"text": text}
        if entities:
            content["entities"] = entities
        preview = self._link_preview(params, entities)
        if preview is not None:
            content["link_preview_options"] = preview
        if keyboard is not None:
            content["reply_markup"] = keyboard
        return self._store_bot_message(chat, params, content)

    def _delete_message(self, params: JSON) -> bool:
        chat = self._resolve_chat(params, access="edit")
        key = (chat["id"], _integer(params, "message_id"))
        message = self._messages.get(key)
        if message is None:
            raise ApiError(400, "Bad Request: message to delete not found")
        own = self._sent_by_bot(message)
        status = self._members.get(chat["id"], {}).get(self.bot_user["id"], {}).get("status")
        if not own and chat["type"] != "private" and status not in ("administrator", "creator"):
            raise ApiError(400, "Bad Request: message can't be deleted")
        del self._messages[key]
        return True

    def _send_chat_action(self, params: JSON) -> bool:
        if _text(params, "action") not in _CHAT_ACTIONS:
            raise ApiError(400, "Bad Request: wrong parameter action in request")
        self._resolve_chat(params, sending=True)
        return True

    def _get_chat(self, params: JSON) -> JSON:
        chat = self._resolve_chat(params)
        return chat | {
            "accent_color_id": chat["id"] % 7,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        }

    def _close(self, params: JSON) -> bool:
        return True

    def _log_out(self, params: JSON) -> bool:
        return True


_BAD_GATEWAY_PAGE = (
    b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    b"<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx/1.18.0</center>\r\n"
    b"</body>\r\n</html>\r\n"
)
