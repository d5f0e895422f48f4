"""A strict stand-in for the Telegram Bot API server, for end-to-end tests and benchmarks.

It serves the Bot API's HTTP protocol on 127.0.0.1 from its own threads, so a real
python-telegram-bot ``Bot`` or ``Application`` runs against it unchanged and never shares an
event loop with it. It validates requests the way Telegram does and answers with Telegram's
descriptions, so a test fails where production would; it records every call, queues fed updates
for getUpdates, and can inject faults (429, 5xx, blocked users, migrated groups) and latency.
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
from email.parser import BytesParser
from email.policy import HTTP as HTTP_POLICY
from email.utils import formatdate
from http import HTTPStatus
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx

from . import updates
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
from .protocol import JSON, ApiError
from .protocol import int_param as _integer
from .protocol import object_param as _object
from .protocol import text_param as _text

# Telegram's descriptions. Most are confirmed by suites that run against the real Bot API or by
# tdlib's source; those marked (unconfirmed) follow tdlib's style where no source was found.
MESSAGE_TEXT_EMPTY = "Bad Request: message text is empty"
TEXT_MUST_BE_NON_EMPTY = "Bad Request: text must be non-empty"
MESSAGE_TOO_LONG = "Bad Request: message is too long"
CHAT_ID_EMPTY = "Bad Request: chat_id is empty"
CHAT_NOT_FOUND = "Bad Request: chat not found"
REPLY_NOT_FOUND = "Bad Request: message to be replied not found"
MIGRATED = "Bad Request: group chat was upgraded to a supergroup chat"
QUERY_TOO_OLD = "Bad Request: query is too old and response timeout expired or query ID is invalid"
WEBHOOK_CONFLICT = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)
POLL_TERMINATED = (
    "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running"
)
TEXT_BUTTONS_UNALLOWED = (
    "Bad Request: can't parse inline keyboard button: "
    "Text buttons are unallowed in the inline keyboard"
)
# Stricter than Telegram, which silently keeps the first action of a button with several.
SEVERAL_BUTTON_ACTIONS = (
    "Bad Request: can't parse inline keyboard button: exactly one action field must be specified"
)
REPLY_MARKUP_TOO_LONG = "Bad Request: reply markup is too long"  # (unconfirmed for >100 buttons)
WRONG_CORRECT_OPTION = "Bad Request: wrong correct option ID specified"  # (unconfirmed)
EXPLANATION_TOO_LONG = "Bad Request: explanation length must not exceed 200"  # (unconfirmed)
EXPLANATION_LINE_FEEDS = (
    "Bad Request: explanation can't contain more than 2 line feeds"  # (unconfirmed)
)
# Telegram's server errors for an inline results button (names as MTProto reports them).
START_PARAM_INVALID = "Bad Request: START_PARAM_INVALID"  # (unconfirmed)
BUTTON_TEXT_EMPTY = "Bad Request: BUTTON_TEXT_INVALID"  # (unconfirmed)
WEB_APP_URL_INVALID = "Bad Request: BUTTON_URL_INVALID"  # (unconfirmed)
SECRET_TOKEN_INVALID = "Bad Request: secret token contains unallowed characters"  # (unconfirmed)

MAX_TEXT_LENGTH = 4096
MAX_CALLBACK_ANSWER_LENGTH = 200
MAX_CALLBACK_DATA_BYTES = 64
MAX_BUTTONS = 100
MAX_INLINE_RESULTS = 50
MAX_RESULT_ID_BYTES = 64
MAX_POLL_QUESTION = 300
MAX_POLL_OPTION = 100
MIN_POLL_OPTIONS = 1  # Bot API 10.0 (PTB 22.8) lowered this from 2.
MAX_POLL_OPTIONS = 12  # Bot API 9.1 raised this from 10.
MAX_EXPLANATION = 200
MAX_COMMANDS = 100

_DEFAULT_EXCLUDED_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
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
_COMMAND_SCOPES = frozenset(
    {
        "default",
        "all_private_chats",
        "all_group_chats",
        "all_chat_administrators",
        "chat",
        "chat_administrators",
        "chat_member",
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
_INLINE_RESULT_TYPES = frozenset(
    {
        "article",
        "photo",
        "gif",
        "mpeg4_gif",
        "video",
        "audio",
        "voice",
        "document",
        "location",
        "venue",
        "contact",
        "game",
        "sticker",
    }
)
_START_PARAMETER = re.compile(r"[A-Za-z0-9_-]{1,64}")
_SECRET_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,256}")
_BOT_COMMAND = re.compile(r"[a-z0-9_]+")
_LANGUAGE_CODE = re.compile(r"(?:[a-z]{2})?")
_INTEGER = re.compile(r"\s*-?\d+\s*")
_PATH = re.compile(r"/bot([^/]*)/([^/]*)")

# How form values are typed: the Bot API reads every parameter from a string by its type.
_INT_PARAMS = frozenset(
    {
        "message_id",
        "offset",
        "limit",
        "timeout",
        "user_id",
        "cache_time",
        "correct_option_id",
        "open_period",
        "close_date",
        "message_thread_id",
        "reply_to_message_id",
        "max_connections",
    }
)
_BOOL_PARAMS = frozenset(
    {
        "disable_web_page_preview",
        "disable_notification",
        "protect_content",
        "allow_sending_without_reply",
        "allow_paid_broadcast",
        "show_alert",
        "is_personal",
        "is_anonymous",
        "allows_multiple_answers",
        "allows_revoting",
        "is_closed",
        "drop_pending_updates",
        "shuffle_options",
    }
)
_JSON_PARAMS = frozenset(
    {
        "reply_markup",
        "entities",
        "caption_entities",
        "reply_parameters",
        "link_preview_options",
        "allowed_updates",
        "commands",
        "scope",
        "results",
        "button",
        "options",
        "correct_option_ids",
        "question_entities",
        "explanation_entities",
        "message_ids",
        "media",
    }
)
_CHAT_ID_PARAMS = frozenset({"chat_id", "from_chat_id"})
_UNSET: Any = object()


@dataclass(frozen=True, slots=True)
class UploadedFile:
    """A file part of a multipart request, kept so tests can look at what the bot uploaded."""

    filename: str
    content_type: str
    data: bytes


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


class _ClientGone(Exception):
    """The client of a waiting long poll hung up; there is nobody to answer."""


@dataclass(slots=True)
class _Described:
    """A result that Telegram sends together with a ``description`` (the webhook methods)."""

    result: Any
    description: str


@dataclass(slots=True)
class _Webhook:
    url: str
    secret_token: str | None
    allowed_updates: list[str] | None
    max_connections: int


def _decode(name: str, value: Any) -> Any:
    """Type one parameter as the Bot API reads it; undecodable values stay raw for errors."""
    if isinstance(value, UploadedFile):
        return value
    if name in _JSON_PARAMS:
        if isinstance(value, str):
            try:
                return json.loads(value)
            except ValueError:
                return value
        return value
    text = value if isinstance(value, str) else json.dumps(value)
    if name in _CHAT_ID_PARAMS or name in _INT_PARAMS:
        return int(text) if _INTEGER.fullmatch(text) else text
    if name in _BOOL_PARAMS:
        return text.strip().lower() in ("true", "1")
    return text


def _read_params(query: str, content_type: str, body: bytes) -> dict[str, Any]:
    """Collect parameters from the query string and a form, JSON or multipart body."""
    params: dict[str, Any] = dict(parse_qsl(query, keep_blank_values=True))
    if not body:
        return params
    media_type = content_type.split(";", 1)[0].strip().lower()
    if media_type == "application/json":
        decoded = json.loads(body)
        if not isinstance(decoded, dict):
            raise ValueError("a JSON body must be an object")
        params.update(decoded)
    elif media_type == "multipart/form-data":
        header = f"Content-Type: {content_type}\r\n\r\n".encode()
        parsed = BytesParser(policy=HTTP_POLICY).parsebytes(header + body)
        for part in parsed.iter_parts():
            name = part.get_param("name", header="content-disposition")
            payload = part.get_payload(decode=True) or b""
            filename = part.get_filename()
            if filename is None:
                params[str(name)] = payload.decode("utf-8")
            else:
                params[str(name)] = UploadedFile(filename, part.get_content_type(), payload)
    else:
        params.update(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
    return params


def _without_reply(message: JSON) -> JSON:
    return {key: value for key, value in message.items() if key != "reply_to_message"}


def _update_type(update: JSON) -> str:
    return next((key for key in update if key != "update_id"), "")


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


class BotApiStandIn(EditsMixin, MembersMixin, FaultsMixin):
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
        self._webhook: _Webhook | None = None
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

    def poll(self, poll_id: str) -> JSON | None:
        """A poll the bot sent, with the votes fed so far."""
        with self._lock:
            return self._polls.get(poll_id)

    def callback_answer(self, query_id: str) -> JSON | None:
        """The answerCallbackQuery parameters the bot gave a callback query."""
        with self._lock:
            return self._callback_answers.get(query_id)

    def inline_answer(self, query_id: str) -> JSON | None:
        """The answerInlineQuery parameters the bot gave an inline query."""
        with self._lock:
            return self._inline_answers.get(query_id)

    def commands(self, scope: JSON | None = None, language_code: str = "") -> list[JSON]:
        """The command list the bot set for a scope and language."""
        with self._lock:
            return list(self._commands.get((self._scope_key(scope), language_code), []))

    def bot_description(self, language_code: str = "", *, short: bool = False) -> str:
        """The description (or short description) the bot set for a language."""
        with self._lock:
            return self._descriptions.get(("short" if short else "long", language_code), "")

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
                self._register_chat(update[key]["chat"])
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

    def _register_vote(self, answer: JSON) -> None:
        self._register_user(answer["user"])
        poll = self._polls.get(answer["poll_id"])
        if poll is None:
            return
        if poll["is_anonymous"]:
            raise ValueError("Telegram sends poll_answer updates only for non-anonymous polls")
        options = [dict(option) for option in poll["options"]]
        for option_id in answer["option_ids"]:
            options[option_id]["voter_count"] += 1
        votes = 1 if answer["option_ids"] else 0
        self._replace_poll(
            poll | {"options": options, "total_voter_count": poll["total_voter_count"] + votes}
        )

    def _replace_poll(self, poll: JSON) -> None:
        """Store a new version of a poll; stored objects are never changed in place."""
        self._polls[poll["id"]] = poll
        key = self._poll_messages[poll["id"]]
        self._messages[key] = self._messages[key] | {"poll": poll}

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
            except _ClientGone:
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
            raw = _read_params(parts.query, content_type, body)
        except ValueError as error:
            return name, ApiError(400, f"Bad Request: can't parse request body: {error}"), {}
        return name, handler, {key: _decode(key, value) for key, value in raw.items()}

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
        except _ClientGone:
            raise
        except Exception as error:  # a stand-in bug: answer like Telegram's 500, report later
            self.errors.append(error)
            return 500, ApiError(500, "Internal Server Error").response()
        if isinstance(result, _Described):
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
                raise _ClientGone
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

    def _set_webhook(self, params: JSON) -> _Described:
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
        new = _Webhook(
            url, secret or None, self._allowed_updates, _integer(params, "max_connections") or 40
        )
        unchanged = self._webhook == new
        self._webhook = new
        self._updates_ready.notify_all()
        return _Described(True, "Webhook is already set" if unchanged else "Webhook was set")

    def _delete_webhook(self, params: JSON) -> _Described:
        if params.get("drop_pending_updates"):
            self._pending.clear()
        if self._webhook is None:
            return _Described(True, "Webhook is already deleted")
        self._webhook = None
        return _Described(True, "Webhook was deleted")

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

    def _scope_key(self, scope: JSON | None) -> str:
        if scope is not None and "chat_id" in scope:  # a test may name the chat by @username
            chat_id = scope["chat_id"]
            if isinstance(chat_id, str):
                chat_id = self._usernames.get(chat_id.lower().removeprefix("@"), chat_id)
            scope = scope | {"chat_id": chat_id}
        return json.dumps(scope or {"type": "default"}, sort_keys=True)

    def _commands_target(self, params: JSON) -> tuple[str, str]:
        """The (scope, language) key of a command list, scope checked as the Bot API does."""
        scope = self._command_scope(params.get("scope"))
        language = _text(params, "language_code")
        if not _LANGUAGE_CODE.fullmatch(language):
            raise ApiError(400, "Bad Request: invalid language code specified")
        return self._scope_key(scope), language

    def _command_scope(self, scope: Any) -> JSON | None:
        prefix = "Bad Request: can't parse BotCommandScope: "
        if scope is None or scope == "":
            return None
        if isinstance(scope, str):
            raise ApiError(400, "Bad Request: can't parse BotCommandScope JSON object")
        if not isinstance(scope, dict):
            raise ApiError(400, prefix + "BotCommandScope must be an Object")
        kind = scope.get("type")
        if not isinstance(kind, str):
            raise ApiError(400, prefix + 'Can\'t find field "type"')
        if kind not in _COMMAND_SCOPES:
            raise ApiError(400, prefix + "Unsupported type specified")
        if kind not in ("chat", "chat_administrators", "chat_member"):
            return {"type": kind}
        if "chat_id" not in scope:
            raise ApiError(400, prefix + 'Can\'t find field "chat_id"')
        if scope["chat_id"] == "":
            raise ApiError(400, prefix + "Empty chat_id specified")
        chat = self._resolve_chat({"chat_id": _decode("chat_id", scope["chat_id"])})
        if kind != "chat_member":
            return {"type": kind, "chat_id": chat["id"]}
        user_id = scope.get("user_id")
        if user_id is None:
            raise ApiError(400, prefix + 'Can\'t find field "user_id"')
        if not isinstance(user_id, int) or user_id <= 0:
            raise ApiError(400, prefix + "Invalid user_id specified")
        if user_id not in self._users:
            raise ApiError(400, "Bad Request: user not found")
        return {"type": kind, "chat_id": chat["id"], "user_id": user_id}

    def _set_my_commands(self, params: JSON) -> bool:
        commands = params.get("commands") or []
        if isinstance(commands, str):
            raise ApiError(400, "Bad Request: can't parse commands JSON object")
        if not isinstance(commands, list):
            raise ApiError(400, "Bad Request: expected an Array of BotCommand")
        if len(commands) > MAX_COMMANDS:
            raise ApiError(400, "Bad Request: BOT_COMMANDS_TOO_MUCH")
        cleaned = []
        for item in commands:
            if not isinstance(item, dict):
                raise ApiError(400, "Bad Request: can't parse BotCommand: expected an Object")
            if not isinstance(item.get("command"), str):
                raise ApiError(
                    400, "Bad Request: can't parse BotCommand: Can't find field \"command\""
                )
            if not isinstance(item.get("description"), str):
                raise ApiError(
                    400, "Bad Request: can't parse BotCommand: Can't find field \"description\""
                )
            command = item["command"].strip().removeprefix("/")
            description = item["description"].strip()
            if not command:
                raise ApiError(400, "Bad Request: command must be non-empty")
            if len(command) > 32:
                raise ApiError(400, "Bad Request: command length must not exceed 32")
            if not description:
                raise ApiError(400, "Bad Request: command description must be non-empty")
            if len(description) > 256:
                raise ApiError(400, "Bad Request: command description length must not exceed 256")
            if not _BOT_COMMAND.fullmatch(command):
                raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
            cleaned.append({"command": command, "description": description})
        key = self._commands_target(params)
        if cleaned:
            self._commands[key] = cleaned
        else:
            self._commands.pop(key, None)
        return True

    def _get_my_commands(self, params: JSON) -> list[JSON]:
        return self._commands.get(self._commands_target(params), [])

    def _delete_my_commands(self, params: JSON) -> bool:
        self._commands.pop(self._commands_target(params), None)
        return True

    def _set_description(self, params: JSON, field: str, kind: str, limit: int) -> bool:
        language = _text(params, "language_code")
        if not _LANGUAGE_CODE.fullmatch(language):
            raise ApiError(400, "Bad Request: invalid language code specified")
        text = _text(params, field).strip()
        if len(text) > limit:
            raise ApiError(400, f"Bad Request: bot {field.replace('_', ' ')} is too long")
        self._descriptions[(kind, language)] = text
        return True

    def _set_my_description(self, params: JSON) -> bool:
        return self._set_description(params, "description", "long", 512)

    def _get_my_description(self, params: JSON) -> JSON:
        return {"description": self._descriptions.get(("long", _text(params, "language_code")), "")}

    def _set_my_short_description(self, params: JSON) -> bool:
        return self._set_description(params, "short_description", "short", 120)

    def _get_my_short_description(self, params: JSON) -> JSON:
        key = ("short", _text(params, "language_code"))
        return {"short_description": self._descriptions.get(key, "")}

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

    def _answer_callback_query(self, params: JSON) -> bool:
        if len(_text(params, "text")) > MAX_CALLBACK_ANSWER_LENGTH:
            raise ApiError(400, "Bad Request: MESSAGE_TOO_LONG")
        query_id = _text(params, "callback_query_id")
        if query_id not in self._open_callback_queries:
            raise ApiError(400, QUERY_TOO_OLD)
        self._open_callback_queries.discard(query_id)
        self._callback_answers[query_id] = params
        return True

    def _answer_inline_query(self, params: JSON) -> bool:
        results = params.get("results")
        if not isinstance(results, list):
            raise ApiError(400, "Bad Request: can't parse inline query results JSON object")
        if len(results) > MAX_INLINE_RESULTS:
            raise ApiError(400, "Bad Request: RESULTS_TOO_MUCH")
        seen: set[str] = set()
        for result in results:
            result_id = self._inline_result(result)
            if result_id in seen:
                raise ApiError(400, "Bad Request: RESULT_ID_DUPLICATE")
            seen.add(result_id)
        if len(_text(params, "next_offset").encode()) > 64:
            raise ApiError(400, "Bad Request: NEXT_OFFSET_INVALID")
        self._inline_results_button(params.get("button"))
        query_id = _text(params, "inline_query_id")
        if query_id not in self._open_inline_queries:
            raise ApiError(400, QUERY_TOO_OLD)
        self._open_inline_queries.discard(query_id)
        self._inline_answers[query_id] = params
        return True

    def _inline_results_button(self, button: Any) -> None:
        """Validate InlineQueryResultsButton as the Bot API parses it, then Telegram's checks."""
        prefix = "Bad Request: can't parse inline query results button: "
        if button is None or button == "":
            return
        if isinstance(button, str):
            raise ApiError(400, "Bad Request: can't parse inline query results button JSON object")
        if not isinstance(button, dict):
            raise ApiError(400, prefix + "InlineQueryResultsButton must be an Object")
        if "text" not in button:
            raise ApiError(400, prefix + 'Can\'t find field "text"')
        if not isinstance(button["text"], str):
            raise ApiError(400, prefix + 'Field "text" must be of type String')
        if not button["text"].strip():
            raise ApiError(400, BUTTON_TEXT_EMPTY)
        if "start_parameter" in button:  # wins over web_app, as in the Bot API server
            parameter = button["start_parameter"]
            if not isinstance(parameter, str):
                raise ApiError(400, prefix + 'Field "start_parameter" must be of type String')
            if not _START_PARAMETER.fullmatch(parameter):
                raise ApiError(400, START_PARAM_INVALID)
            return
        if "web_app" in button:
            web_app = button["web_app"]
            if not isinstance(web_app, dict):
                raise ApiError(400, prefix + 'Field "web_app" must be of type Object')
            if not isinstance(web_app.get("url"), str):
                raise ApiError(400, prefix + 'Can\'t find field "url"')
            try:
                check_link(web_app["url"], https_only=True)
            except LinkError:
                raise ApiError(400, WEB_APP_URL_INVALID) from None
            return
        raise ApiError(
            400, prefix + "InlineQueryResultsButton must have exactly one optional field"
        )

    def _inline_result(self, result: Any) -> str:
        """Validate one InlineQueryResult and return its id."""
        prefix = "Bad Request: can't parse inline query result: "
        if not isinstance(result, dict):
            raise ApiError(400, prefix + "InlineQueryResult must be an Object")
        for field in ("type", "id"):
            if not isinstance(result.get(field), str):
                raise ApiError(400, prefix + f'Can\'t find field "{field}"')
        if result["type"] not in _INLINE_RESULT_TYPES:
            raise ApiError(400, prefix + "Unsupported type specified")
        if not 1 <= len(result["id"].encode()) <= MAX_RESULT_ID_BYTES:
            raise ApiError(400, "Bad Request: RESULT_ID_INVALID")
        self._inline_keyboard(result.get("reply_markup"))
        if result["type"] == "article":
            for field in ("title", "input_message_content"):
                if field not in result:
                    raise ApiError(400, prefix + f'Can\'t find field "{field}"')
        content = result.get("input_message_content")
        if isinstance(content, dict) and "message_text" in content:
            self._message_text({**content, "text": content["message_text"]})
        elif content is not None and not isinstance(content, dict):
            raise ApiError(400, prefix + "InputMessageContent must be an Object")
        return result["id"]

    def _send_poll(self, params: JSON) -> JSON:
        keyboard = self._inline_keyboard(params.get("reply_markup"))
        question, question_spans = self._formatted(
            _text(params, "question"),
            _text(params, "question_parse_mode"),
            params.get("question_entities"),
        )
        if len(question) > MAX_POLL_QUESTION:
            raise ApiError(
                400, f"Bad Request: poll question length must not exceed {MAX_POLL_QUESTION}"
            )
        options = self._poll_options(params.get("options"))
        kind = _text(params, "type") or "regular"
        if kind not in ("regular", "quiz"):
            raise ApiError(400, "Bad Request: unsupported poll type specified")
        poll: JSON = {
            "id": str(next(self._poll_ids)),
            "question": question,
            "options": options,
            "total_voter_count": 0,
            "is_closed": bool(params.get("is_closed")),
            "is_anonymous": params.get("is_anonymous", True),
            "type": kind,
            "allows_multiple_answers": bool(params.get("allows_multiple_answers"))
            and kind == "regular",
            "allows_revoting": params.get("allows_revoting", kind == "regular"),
            "members_only": False,
        }
        custom_emoji = [span for span in question_spans if span.type == "custom_emoji"]
        if custom_emoji:
            poll["question_entities"] = to_bot_api(question, custom_emoji)
        if kind == "quiz":
            poll["correct_option_ids"] = self._correct_options(params, len(options))
            explanation = self._explanation(params)
            if explanation is not None:
                poll.update(explanation)
        for field in ("open_period", "close_date"):
            if _integer(params, field):
                poll[field] = params[field]
        chat = self._resolve_chat(params, sending=True)
        content: JSON = {"poll": poll}
        if keyboard is not None:
            content["reply_markup"] = keyboard
        message = self._store_bot_message(chat, params, content)
        self._polls[poll["id"]] = poll
        self._poll_messages[poll["id"]] = (chat["id"], message["message_id"])
        return message

    def _poll_options(self, options: Any) -> list[JSON]:
        if options is None or isinstance(options, str):
            raise ApiError(400, "Bad Request: can't parse options JSON object")
        if not isinstance(options, list):
            raise ApiError(400, "Bad Request: expected an Array of InputPollOption")
        if len(options) < MIN_POLL_OPTIONS:
            raise ApiError(400, "Bad Request: poll must have at least one answer option")
        if len(options) > MAX_POLL_OPTIONS:
            raise ApiError(
                400, f"Bad Request: poll can't have more than {MAX_POLL_OPTIONS} options"
            )
        result = []
        for index, option in enumerate(options):
            if isinstance(option, str):
                option = {"text": option}
            if not isinstance(option, dict):
                raise ApiError(
                    400,
                    "Bad Request: can't parse InputPollOption: Expected InputPollOption to be an Object",
                )
            if not isinstance(option.get("text"), str):
                raise ApiError(
                    400, "Bad Request: can't parse InputPollOption: Can't find field \"text\""
                )
            text, spans = self._formatted(
                option["text"], str(option.get("text_parse_mode", "")), option.get("text_entities")
            )
            if len(text) > MAX_POLL_OPTION:
                raise ApiError(
                    400, f"Bad Request: poll options length must not exceed {MAX_POLL_OPTION}"
                )
            rendered: JSON = {"persistent_id": str(index), "text": text, "voter_count": 0}
            custom_emoji = [span for span in spans if span.type == "custom_emoji"]
            if custom_emoji:
                rendered["text_entities"] = to_bot_api(text, custom_emoji)
            result.append(rendered)
        return result

    def _correct_options(self, params: JSON, option_count: int) -> list[int]:
        ids = params.get("correct_option_ids")
        if ids is None and "correct_option_id" in params:
            ids = [params["correct_option_id"]]
        if (
            not isinstance(ids, list)
            or not ids
            or any(not isinstance(i, int) or not 0 <= i < option_count for i in ids)
            or ids != sorted(set(ids))
        ):
            raise ApiError(400, WRONG_CORRECT_OPTION)
        return ids

    def _explanation(self, params: JSON) -> JSON | None:
        raw = _text(params, "explanation")
        if not raw:
            return None
        text, spans = self._formatted(
            raw,
            _text(params, "explanation_parse_mode"),
            params.get("explanation_entities"),
            allow_empty=True,
        )
        if len(text) > MAX_EXPLANATION:
            raise ApiError(400, EXPLANATION_TOO_LONG)
        if text.count("\n") > 2:
            raise ApiError(400, EXPLANATION_LINE_FEEDS)
        if not text:
            return None
        explanation: JSON = {"explanation": text}
        entities = self._entities(text, spans)
        if entities:
            explanation["explanation_entities"] = entities
        return explanation

    def _stop_poll(self, params: JSON) -> JSON:
        keyboard = self._inline_keyboard(params.get("reply_markup"))
        chat = self._resolve_chat(params, access="edit")
        message = self._messages.get((chat["id"], _integer(params, "message_id")))
        if message is None or "poll" not in message or not self._sent_by_bot(message):
            raise ApiError(400, "Bad Request: message with poll to stop not found")
        poll = message["poll"]
        if poll["is_closed"]:
            raise ApiError(400, "Bad Request: poll has already been closed")
        closed = poll | {"is_closed": True}
        self._replace_poll(closed)
        if keyboard is not None:
            self._replace_message(
                self._messages[(chat["id"], message["message_id"])] | {"reply_markup": keyboard}
            )
        return closed

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
