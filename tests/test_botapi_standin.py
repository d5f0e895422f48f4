"""Tests of the Bot API stand-in itself: each rule refuses what Telegram refuses and accepts the rest.

They talk to it over plain HTTP (httpx) so the wire protocol is what is tested, and once through
a real ``telegram.Bot`` to prove python-telegram-bot accepts every object it returns.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
import telegram

from botapi import BotApiStandIn, Call, updates

USER = 7_001
OTHER_USER = 7_002
GROUP = -1_001_234_567_890


@pytest.fixture
def tg() -> Iterator[BotApiStandIn]:
    with BotApiStandIn() as stand_in:
        yield stand_in


@pytest.fixture
def api(tg: BotApiStandIn) -> Iterator[Api]:
    with httpx.Client(base_url=f"{tg.base_url}{tg.token}", timeout=10) as client:
        yield Api(client)


class Api:
    """Calls methods with a JSON body and returns (status, body)."""

    def __init__(self, client: httpx.Client) -> None:
        self.client = client

    def __call__(self, method: str, **params: Any) -> tuple[int, dict[str, Any]]:
        response = self.client.post(f"/{method}", json=params)
        return response.status_code, response.json()

    def ok(self, method: str, **params: Any) -> Any:
        status, body = self(method, **params)
        assert status == 200, body
        return body["result"]

    def error(self, method: str, **params: Any) -> str:
        status, body = self(method, **params)
        assert status == 400, body
        assert body["ok"] is False and body["error_code"] == 400
        return str(body["description"])


def keyboard(*buttons: dict[str, Any]) -> dict[str, Any]:
    return {"inline_keyboard": [list(buttons)]}


def article(result_id: str, text: str = "answer", **content: Any) -> dict[str, Any]:
    return {
        "type": "article",
        "id": result_id,
        "title": "Result",
        "input_message_content": {"message_text": text, **content},
    }


# -- routing ----------------------------------------------------------------------------------


def test_wrong_token_is_unauthorized(tg: BotApiStandIn) -> None:
    """A request with another token gets Telegram's exact 401 body."""
    response = httpx.post(f"{tg.base_url}123456:WRONG/getMe")
    assert response.status_code == 401
    assert response.json() == {"ok": False, "error_code": 401, "description": "Unauthorized"}


def test_unknown_method_is_not_found_and_names_are_case_insensitive(
    tg: BotApiStandIn, api: Api
) -> None:
    """An unknown method is a 404 Not Found, while known ones match in any case, GET or POST."""
    status, body = api("getMeNow")
    assert (status, body) == (404, {"ok": False, "error_code": 404, "description": "Not Found"})
    assert api.ok("GETME")["username"] == "dnws_test_bot"
    assert httpx.get(f"{tg.base_url}{tg.token}/getme").json()["ok"] is True


def test_get_me_describes_the_bot(api: Api) -> None:
    """getMe returns a bot User with the capability flags Telegram reports."""
    me = api.ok("getMe")
    assert me["id"] == 123456 and me["is_bot"] is True and me["username"] == "dnws_test_bot"
    assert me["can_join_groups"] is True
    assert me["can_read_all_group_messages"] is False
    assert me["supports_inline_queries"] is True


def test_parameters_come_from_query_form_json_and_multipart(tg: BotApiStandIn, api: Api) -> None:
    """Query, urlencoded (JSON-encoded objects), JSON and multipart bodies decode alike."""
    tg.add_chat(USER)
    markup = keyboard({"text": "Next", "callback_data": "next"})
    url = f"{tg.base_url}{tg.token}/sendMessage"
    form = {"chat_id": str(USER), "text": "form", "reply_markup": json.dumps(markup)}
    multipart = {key: (None, value) for key, value in form.items()}
    responses = [
        httpx.post(url, data=form),
        httpx.post(url, files=multipart),
        httpx.get(url, params=form),
        httpx.post(url, json={"chat_id": USER, "text": "form", "reply_markup": markup}),
    ]
    assert [response.json()["result"]["reply_markup"] for response in responses] == [markup] * 4
    for call in tg.calls("sendMessage"):
        assert call.params == {"chat_id": USER, "text": "form", "reply_markup": markup}


# -- HTML parse mode --------------------------------------------------------------------------


def test_html_with_nesting_links_and_entities_is_accepted(tg: BotApiStandIn, api: Api) -> None:
    """Nested tags, links, pre/code and the supported entities parse; &nbsp; stays literal."""
    tg.add_chat(USER)
    html = (
        '<b>Bold <i>both</i></b> <a href="https://example.com">link</a> '
        "&lt;tag&gt; &amp; &quot; &#65;&#x42; &nbsp; <tg-spoiler>s</tg-spoiler> "
        '<pre><code class="language-python">x = 1</code></pre> <blockquote expandable>q</blockquote>'
    )
    message = api.ok("sendMessage", chat_id=USER, text=html, parse_mode="HTML")
    assert message["text"] == 'Bold both link <tag> & " AB &nbsp; s x = 1 q'
    assert message["entities"] == [
        {"offset": 0, "length": 9, "type": "bold"},
        {"offset": 5, "length": 4, "type": "italic"},
        {"offset": 10, "length": 4, "type": "text_link", "url": "https://example.com/"},
        {"offset": 35, "length": 1, "type": "spoiler"},
        {"offset": 37, "length": 5, "type": "pre", "language": "python"},
        {"offset": 43, "length": 1, "type": "expandable_blockquote"},
    ]


def test_entity_offsets_are_utf16_code_units(tg: BotApiStandIn, api: Api) -> None:
    """Offsets count an emoji outside the BMP as two units and Japanese as one."""
    tg.add_chat(USER)
    message = api.ok(
        "sendMessage",
        chat_id=USER,
        text="😀 <b>日本語</b> <i>🇯🇵 核</i> <u>x</u>",
        parse_mode="HTML",
    )
    assert message["text"] == "😀 日本語 🇯🇵 核 x"
    assert message["entities"] == [
        {"offset": 3, "length": 3, "type": "bold"},
        {"offset": 7, "length": 6, "type": "italic"},
        {"offset": 14, "length": 1, "type": "underline"},
    ]


@pytest.mark.parametrize(
    ("html", "description"),
    [
        ("a < b", 'Unsupported start tag "" at byte offset 2'),
        ("日本<foo>x</foo>", 'Unsupported start tag "foo" at byte offset 6'),
        ("<b>bold", 'Can\'t find end tag corresponding to start tag "b"'),
        (
            "<b><i>test</b></i>",
            'Unmatched end tag at byte offset 10, expected "</i>", found "</b>"',
        ),
        ("x</b>", "Unexpected end tag at byte offset 1"),
        ("<span>x</span>", 'Tag "span" must have class "tg-spoiler" at byte offset 0'),
        ('<tg-emoji emoji-id="0">x</tg-emoji>', "Invalid custom emoji identifier specified"),
    ],
)
def test_bad_html_is_refused_in_telegrams_words(
    tg: BotApiStandIn, api: Api, html: str, description: str
) -> None:
    """Stray '<', unknown, unclosed and mismatched tags fail with tdlib's message."""
    tg.add_chat(USER)
    error = api.error("sendMessage", chat_id=USER, text=html, parse_mode="HTML")
    assert error == f"Bad Request: can't parse entities: {description}"


def test_empty_text_is_refused_before_and_after_parsing(tg: BotApiStandIn, api: Api) -> None:
    """A missing text is 'message text is empty'; one that parses or trims to nothing is not."""
    tg.add_chat(USER)
    assert api.error("sendMessage", chat_id=USER, text="") == "Bad Request: message text is empty"
    assert api.error("sendMessage", chat_id=USER) == "Bad Request: message text is empty"
    for text in ("<b></b>", " \n "):
        error = api.error("sendMessage", chat_id=USER, text=text, parse_mode="HTML")
        assert error == "Bad Request: text must be non-empty"
    assert api.ok("sendMessage", chat_id=USER, text="  trimmed \n")["text"] == "trimmed"


def test_length_limit_counts_utf16_units_after_parsing(tg: BotApiStandIn, api: Api) -> None:
    """4096 units pass and 4097 fail, counted on the parsed text (tags and entities excluded)."""
    tg.add_chat(USER)
    assert api.ok("sendMessage", chat_id=USER, text="<b>" + "x" * 4096 + "</b>", parse_mode="HTML")
    assert api.ok("sendMessage", chat_id=USER, text="&lt;" * 4096, parse_mode="HTML")
    assert api.ok("sendMessage", chat_id=USER, text="😀" * 2048)
    too_long = "Bad Request: message is too long"
    assert api.error("sendMessage", chat_id=USER, text="x" * 4097) == too_long
    assert api.error("sendMessage", chat_id=USER, text="😀" * 2048 + "a") == too_long


# -- reply markup -----------------------------------------------------------------------------


def test_callback_data_limit_is_64_bytes(tg: BotApiStandIn, api: Api) -> None:
    """21 Japanese characters plus one ASCII (64 bytes) pass; plus two (65 bytes) fail."""
    tg.add_chat(USER)
    fits, too_long = "あ" * 21 + "a", "あ" * 21 + "ab"
    assert len(fits.encode()) == 64 and len(too_long.encode()) == 65
    sent = api.ok(
        "sendMessage",
        chat_id=USER,
        text="quiz",
        reply_markup=keyboard({"text": "A", "callback_data": fits}),
    )
    assert sent["reply_markup"] == keyboard({"text": "A", "callback_data": fits})
    error = api.error(
        "sendMessage",
        chat_id=USER,
        text="quiz",
        reply_markup=keyboard({"text": "A", "callback_data": too_long}),
    )
    assert error == "Bad Request: BUTTON_DATA_INVALID"


@pytest.mark.parametrize(
    ("button", "description"),
    [
        (
            {"text": "A", "callback_data": ""},
            "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard",
        ),
        ({"callback_data": "x"}, "can't parse inline keyboard button: Can't find field \"text\""),
        (
            {"text": "A", "url": "not-a-url"},
            "inline keyboard button URL 'not-a-url' is invalid: Wrong HTTP URL",
        ),
        (
            {"text": "A", "url": "ftp://example.com"},
            "inline keyboard button URL 'ftp://example.com' is invalid: Unsupported URL protocol",
        ),
        (
            {"text": "A", "url": "https://example.com", "callback_data": "x"},
            "can't parse inline keyboard button: exactly one action field must be specified",
        ),
    ],
)
def test_bad_inline_buttons_are_refused(
    tg: BotApiStandIn, api: Api, button: dict[str, Any], description: str
) -> None:
    """A button needs text and exactly one valid action."""
    tg.add_chat(USER)
    error = api.error("sendMessage", chat_id=USER, text="x", reply_markup=keyboard(button))
    assert error == f"Bad Request: {description}"


def test_inline_keyboard_is_echoed_normalized_and_capped(tg: BotApiStandIn, api: Api) -> None:
    """URL and tg:// buttons come back normalized; more than 100 buttons are refused."""
    tg.add_chat(USER)
    sent = api.ok(
        "sendMessage",
        chat_id=USER,
        text="x",
        reply_markup=keyboard(
            {"text": "web", "url": "https://www.38north.org"},
            {"text": "app", "url": "tg://resolve?domain=dnws_test_bot"},
            {"text": "inline", "switch_inline_query_current_chat": ""},
        ),
    )
    assert sent["reply_markup"]["inline_keyboard"][0] == [
        {"text": "web", "url": "https://www.38north.org/"},
        {"text": "app", "url": "tg://resolve?domain=dnws_test_bot"},
        {"text": "inline", "switch_inline_query_current_chat": ""},
    ]
    rows = [[{"text": str(i), "callback_data": str(i)}] for i in range(101)]
    error = api.error("sendMessage", chat_id=USER, text="x", reply_markup={"inline_keyboard": rows})
    assert error == "Bad Request: reply markup is too long"


# -- chats and replies ------------------------------------------------------------------------


def test_messages_go_only_to_known_chats(tg: BotApiStandIn, api: Api) -> None:
    """A chat is unknown until it wrote to the bot or was added; chat_id may not be empty."""
    assert api.error("sendMessage", chat_id=USER, text="hi") == "Bad Request: chat not found"
    assert api.error("sendMessage", text="hi") == "Bad Request: chat_id is empty"
    tg.feed(updates.private_text(USER, USER, "こんにちは"))
    first = api.ok("sendMessage", chat_id=USER, text="hi")
    second = api.ok("sendMessage", chat_id=USER, text="again")
    assert second["message_id"] > first["message_id"]
    assert first["from"]["id"] == 123456 and first["chat"]["type"] == "private"
    assert tg.last_message(USER) == second


def test_replies_need_an_existing_message(tg: BotApiStandIn, api: Api) -> None:
    """A reply to a missing message fails unless allow_sending_without_reply is set."""
    fed = tg.feed(updates.group_text(GROUP, USER, "質問です"))["message"]
    missing = {"message_id": 999_999}
    error = api.error("sendMessage", chat_id=GROUP, text="x", reply_parameters=missing)
    assert error == "Bad Request: message to be replied not found"
    error = api.error("sendMessage", chat_id=GROUP, text="x", reply_to_message_id=999_999)
    assert error == "Bad Request: message to be replied not found"
    allowed = {**missing, "allow_sending_without_reply": True}
    assert "reply_to_message" not in api.ok(
        "sendMessage", chat_id=GROUP, text="x", reply_parameters=allowed
    )
    reply = api.ok(
        "sendMessage",
        chat_id=GROUP,
        text="回答",
        reply_parameters={"message_id": fed["message_id"]},
        message_thread_id=5,
    )
    assert reply["reply_to_message"]["message_id"] == fed["message_id"]
    assert reply["message_thread_id"] == 5


def test_edit_and_delete_follow_telegrams_rules(tg: BotApiStandIn, api: Api) -> None:
    """Edits need a changed bot message; deleting twice fails the second time."""
    tg.add_chat(USER)
    sent = api.ok("sendMessage", chat_id=USER, text="v1")
    target = {"chat_id": USER, "message_id": sent["message_id"]}
    missing = {"chat_id": USER, "message_id": 999_999}
    not_found = "Bad Request: message to edit not found"
    assert api.error("editMessageText", **missing, text="v2") == not_found
    assert api.error("editMessageText", **target, text="v1").startswith(
        "Bad Request: message is not modified"
    )
    edited = api.ok("editMessageText", **target, text="<i>v2</i>", parse_mode="HTML")
    assert edited["text"] == "v2" and "edit_date" in edited
    markup = keyboard({"text": "ok", "callback_data": "ok"})
    assert api.ok("editMessageReplyMarkup", **target, reply_markup=markup)["reply_markup"] == markup
    assert tg.message(USER, sent["message_id"])["reply_markup"] == markup
    assert api.ok("deleteMessage", **target) is True
    assert api.error("deleteMessage", **target) == "Bad Request: message to delete not found"


def test_chat_actions_are_validated(tg: BotApiStandIn, api: Api) -> None:
    """sendChatAction accepts Telegram's actions only."""
    tg.add_chat(USER)
    assert api.ok("sendChatAction", chat_id=USER, action="typing") is True
    error = api.error("sendChatAction", chat_id=USER, action="thinking")
    assert error == "Bad Request: wrong parameter action in request"


def test_chat_lookups_descriptions_and_link_previews(tg: BotApiStandIn, api: Api) -> None:
    """getChat/getChatMember describe known chats; previews and descriptions are recorded."""
    tg.feed(updates.group_text(GROUP, USER, "hi"))
    chat = api.ok("getChat", chat_id=GROUP)
    assert chat["type"] == "supergroup" and "accepted_gift_types" in chat
    assert api.ok("getChatMember", chat_id=GROUP, user_id=USER)["status"] == "member"
    assert api.error("getChatMember", chat_id=GROUP, user_id=999) == "Bad Request: user not found"
    disabled = {"is_disabled": True}
    sent = api.ok(
        "sendMessage", chat_id=GROUP, text="https://38north.org", link_preview_options=disabled
    )
    assert sent["link_preview_options"] == disabled
    legacy = api.ok(
        "sendMessage", chat_id=GROUP, text="https://38north.org", disable_web_page_preview=True
    )
    assert legacy["link_preview_options"] == disabled
    error = api.error(
        "sendMessage", chat_id=GROUP, text="x", link_preview_options={"is_disabled": "yes"}
    )
    assert error == 'Bad Request: field "is_disabled" must be of type Boolean'
    assert api.ok("setMyDescription", description="北朝鮮の核", language_code="ja")
    assert api.ok("setMyShortDescription", short_description="DNWS")
    assert tg.bot_description("ja") == "北朝鮮の核"
    assert api.ok("getMyShortDescription") == {"short_description": "DNWS"}


# -- callback and inline queries --------------------------------------------------------------


def test_callback_queries_are_answered_once(tg: BotApiStandIn, api: Api) -> None:
    """Unknown and already answered query ids are 'too old'; the text is capped at 200."""
    too_old = "Bad Request: query is too old and response timeout expired or query ID is invalid"
    assert api.error("answerCallbackQuery", callback_query_id="12345") == too_old
    tg.add_chat(USER)
    sent = api.ok("sendMessage", chat_id=USER, text="Q1", reply_markup=keyboard())
    query = tg.feed(updates.callback_query(USER, sent, "answer:1"))["callback_query"]
    error = api.error("answerCallbackQuery", callback_query_id=query["id"], text="x" * 201)
    assert error == "Bad Request: MESSAGE_TOO_LONG"
    assert api.ok(
        "answerCallbackQuery", callback_query_id=query["id"], text="正解!", show_alert=True
    )
    assert tg.callback_answer(query["id"])["show_alert"] is True
    assert api.error("answerCallbackQuery", callback_query_id=query["id"]) == too_old


def test_inline_results_are_limited_and_unique(tg: BotApiStandIn, api: Api) -> None:
    """50 results pass and 51 fail; duplicate or oversized ids fail; answered ids expire."""
    query = tg.feed(updates.inline_query(USER, "核"))["inline_query"]
    results = [article(str(i)) for i in range(51)]
    answer = {"inline_query_id": query["id"], "cache_time": 0, "is_personal": True}
    assert api.error("answerInlineQuery", **answer, results=results) == (
        "Bad Request: RESULTS_TOO_MUCH"
    )
    duplicate = [article("a"), article("a")]
    assert api.error("answerInlineQuery", **answer, results=duplicate) == (
        "Bad Request: RESULT_ID_DUPLICATE"
    )
    oversized = [article("x" * 65)]
    assert api.error("answerInlineQuery", **answer, results=oversized) == (
        "Bad Request: RESULT_ID_INVALID"
    )
    bad_html = [article("a", "<b>x", parse_mode="HTML")]
    assert api.error("answerInlineQuery", **answer, results=bad_html) == (
        "Bad Request: can't parse entities: Can't find end tag corresponding to start tag \"b\""
    )
    assert api.ok("answerInlineQuery", **answer, results=results[:50]) is True
    assert tg.inline_answer(query["id"])["is_personal"] is True
    too_old = "Bad Request: query is too old and response timeout expired or query ID is invalid"
    assert api.error("answerInlineQuery", **answer, results=[]) == too_old
    assert api.error("answerInlineQuery", inline_query_id="nope", results=[]) == too_old


# -- getUpdates and webhooks ------------------------------------------------------------------


async def test_long_poll_returns_as_soon_as_an_update_is_fed(tg: BotApiStandIn) -> None:
    """A getUpdates waiting with timeout=10 returns right after feed(), not after 10 s."""
    async with httpx.AsyncClient(base_url=f"{tg.base_url}{tg.token}", timeout=20) as client:
        started = time.monotonic()
        poll = asyncio.create_task(client.post("/getUpdates", json={"timeout": 10}))
        await asyncio.sleep(0.2)
        fed = tg.feed(updates.private_text(USER, USER, "/start"))
        body = (await poll).json()
    assert time.monotonic() - started < 1.5
    assert body == {"ok": True, "result": [fed]}


async def test_long_poll_without_updates_returns_empty_after_timeout(tg: BotApiStandIn) -> None:
    """With nothing queued, getUpdates answers [] once its timeout has passed."""
    async with httpx.AsyncClient(base_url=f"{tg.base_url}{tg.token}", timeout=20) as client:
        started = time.monotonic()
        body = (await client.post("/getUpdates", json={"timeout": 1})).json()
    assert body == {"ok": True, "result": []}
    assert 0.9 <= time.monotonic() - started < 2


def test_offset_confirms_earlier_updates(tg: BotApiStandIn, api: Api) -> None:
    """Updates stay until an offset above their id confirms them; negative offsets keep the tail."""
    fed = [tg.feed(updates.private_text(USER, USER, str(i))) for i in range(4)]
    ids = [update["update_id"] for update in fed]
    assert [u["update_id"] for u in api.ok("getUpdates")] == ids
    assert [u["update_id"] for u in api.ok("getUpdates", limit=2)] == ids[:2]
    assert [u["update_id"] for u in api.ok("getUpdates", offset=ids[2])] == ids[2:]
    assert [u["update_id"] for u in api.ok("getUpdates")] == ids[2:]
    assert [u["update_id"] for u in api.ok("getUpdates", offset=-1)] == ids[3:]
    assert api.ok("getUpdates", offset=ids[3] + 1) == []
    assert tg.pending_updates == 0


def test_allowed_updates_filter_and_persist(tg: BotApiStandIn, api: Api) -> None:
    """Unsubscribed update types are dropped; the last allowed_updates is kept and reported."""
    tg.add_chat(USER)
    sent = api.ok("sendMessage", chat_id=USER, text="Q")
    tg.feed(updates.private_text(USER, USER, "text"))
    press = tg.feed(updates.callback_query(USER, sent, "a"))
    assert api.ok("getUpdates", allowed_updates=["callback_query"]) == [press]
    assert tg.allowed_updates == ["callback_query"]
    tg.feed(updates.private_text(USER, USER, "ignored"))
    assert api.ok("getUpdates", offset=press["update_id"] + 1) == []
    assert tg.allowed_updates == ["callback_query"]


async def test_second_long_poll_terminates_the_first(tg: BotApiStandIn) -> None:
    """Two pollers conflict like two bot instances: the older request gets 409."""
    async with httpx.AsyncClient(base_url=f"{tg.base_url}{tg.token}", timeout=20) as client:
        first = asyncio.create_task(client.post("/getUpdates", json={"timeout": 5}))
        await asyncio.sleep(0.2)
        second = await client.post("/getUpdates", json={"timeout": 0})
        response = await first
    assert second.json() == {"ok": True, "result": []}
    assert response.status_code == 409
    assert response.json()["description"] == (
        "Conflict: terminated by other getUpdates request; "
        "make sure that only one bot instance is running"
    )


class _Receiver(BaseHTTPRequestHandler):
    received: list[tuple[str | None, dict[str, Any]]] = []  # noqa: RUF012 - test-local record

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        secret = self.headers.get("X-Telegram-Bot-Api-Secret-Token")
        self.received.append((secret, body))
        self.send_response(200 if secret == "s3cret_token-1" else 403)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


async def test_webhook_blocks_get_updates_and_receives_deliveries(
    tg: BotApiStandIn, api: Api
) -> None:
    """While a webhook is set getUpdates conflicts, and deliveries carry the secret header."""
    error = api.error("setWebhook", url="http://127.0.0.1:8443/hook", secret_token="bad token!")
    assert error == "Bad Request: secret token contains unallowed characters"
    receiver = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{receiver.server_address[1]}/hook"
        status, body = api("setWebhook", url=url, secret_token="s3cret_token-1")
        assert (status, body["description"]) == (200, "Webhook was set")
        status, body = api("getUpdates")
        assert status == 409
        assert body["description"] == (
            "Conflict: can't use getUpdates method while webhook is active; "
            "use deleteWebhook to delete the webhook first"
        )
        assert api.ok("getWebhookInfo")["url"] == url
        update = updates.private_text(USER, USER, "/start")
        assert await tg.deliver_webhook(update) == 200
        assert await tg.deliver_webhook(update, secret="forged") == 403
        assert _Receiver.received[0][0] == "s3cret_token-1"
        assert _Receiver.received[0][1]["message"]["text"] == "/start"
        assert api.ok("sendMessage", chat_id=USER, text="welcome")
    finally:
        receiver.shutdown()
        receiver.server_close()
    _, body = api("deleteWebhook")
    assert body["description"] == "Webhook was deleted"
    assert api.ok("getUpdates") == []


# -- faults, latency and concurrency ----------------------------------------------------------


def test_injected_429_carries_retry_after(tg: BotApiStandIn, api: Api) -> None:
    """An injected flood limit answers 429 with parameters.retry_after, then calls succeed."""
    tg.add_chat(USER)
    tg.inject("sendMessage", status=429, retry_after=3, times=1)
    status, body = api("sendMessage", chat_id=USER, text="hi")
    assert (status, body) == (
        429,
        {
            "ok": False,
            "error_code": 429,
            "description": "Too Many Requests: retry after 3",
            "parameters": {"retry_after": 3},
        },
    )
    assert api.ok("sendMessage", chat_id=USER, text="hi")["text"] == "hi"


def test_injected_server_errors_blocks_and_migrations(tg: BotApiStandIn, api: Api) -> None:
    """500, nginx's 502 page, a blocked user and a migrated group look as on Telegram."""
    tg.add_chat(USER)
    tg.add_chat(OTHER_USER)
    tg.inject("*", status=500)
    assert api("getMe") == (
        500,
        {"ok": False, "error_code": 500, "description": "Internal Server Error"},
    )
    tg.inject("sendMessage", status=502)
    response = api.client.post("/sendMessage", json={"chat_id": USER, "text": "x"})
    assert response.status_code == 502 and "502 Bad Gateway" in response.text
    tg.block(USER)
    status, body = api("sendMessage", chat_id=USER, text="x")
    assert (status, body["description"]) == (403, "Forbidden: bot was blocked by the user")
    assert api.ok("sendMessage", chat_id=OTHER_USER, text="x")
    tg.feed(updates.migrate_to_chat(-4242, -1004242, USER))
    status, body = api("sendMessage", chat_id=-4242, text="x")
    assert status == 400
    assert body["parameters"] == {"migrate_to_chat_id": -1004242}
    assert body["description"] == "Bad Request: group chat was upgraded to a supergroup chat"
    assert api.ok("sendMessage", chat_id=-1004242, text="x")["chat"]["type"] == "supergroup"


async def test_slow_chat_does_not_delay_another_chat(tg: BotApiStandIn) -> None:
    """A delayed response for one chat is served concurrently with other requests."""
    tg.add_chat(USER)
    tg.add_chat(OTHER_USER)
    tg.delay("sendMessage", 1.5, chat_id=USER)
    async with httpx.AsyncClient(base_url=f"{tg.base_url}{tg.token}", timeout=10) as client:
        started = time.monotonic()
        slow = asyncio.create_task(
            client.post("/sendMessage", json={"chat_id": USER, "text": "slow"})
        )
        await asyncio.sleep(0.05)
        fast = await client.post("/sendMessage", json={"chat_id": OTHER_USER, "text": "fast"})
        fast_elapsed = time.monotonic() - started
        await slow
        slow_elapsed = time.monotonic() - started
    assert fast.status_code == 200 and fast_elapsed < 0.5
    assert slow_elapsed >= 1.5


# -- polls ------------------------------------------------------------------------------------


def test_send_poll_enforces_telegrams_limits(tg: BotApiStandIn, api: Api) -> None:
    """Question, option and explanation lengths, option counts and quiz answers are checked."""
    tg.add_chat(USER)
    poll = {"chat_id": USER, "question": "核?", "options": ["はい", "いいえ"]}
    twelve = [str(i) for i in range(12)]
    cases = [
        ({"question": "Q" * 301}, "Bad Request: poll question length must not exceed 300"),
        ({"question": " "}, "Bad Request: text must be non-empty"),
        ({"options": []}, "Bad Request: poll must have at least one answer option"),
        ({"options": [*twelve, "13"]}, "Bad Request: poll can't have more than 12 options"),
        ({"options": ["a", "P" * 101]}, "Bad Request: poll options length must not exceed 100"),
        ({"options": "a, b"}, "Bad Request: can't parse options JSON object"),
        ({"type": "quiz"}, "Bad Request: wrong correct option ID specified"),
        (
            {"type": "quiz", "correct_option_id": 2},
            "Bad Request: wrong correct option ID specified",
        ),
        (
            {"type": "quiz", "correct_option_ids": [0], "explanation": "e" * 201},
            "Bad Request: explanation length must not exceed 200",
        ),
    ]
    for change, description in cases:
        assert api.error("sendPoll", **(poll | change)) == description, change
    sent = api.ok(
        "sendPoll",
        **poll
        | {
            "question": "Q" * 300,
            "options": [{"text": "P" * 100}, *twelve[1:]],
            "type": "quiz",
            "correct_option_ids": [1],
            "explanation": "<b>" + "e" * 200 + "</b>",
            "explanation_parse_mode": "HTML",
        },
    )["poll"]
    assert sent["type"] == "quiz" and sent["correct_option_ids"] == [1]
    assert sent["is_anonymous"] is True and len(sent["options"]) == 12
    assert sent["explanation_entities"] == [{"offset": 0, "length": 200, "type": "bold"}]
    other = api.ok("sendPoll", **poll)["poll"]
    assert other["id"] != sent["id"]


def test_poll_votes_are_counted_and_stopping_closes_once(tg: BotApiStandIn, api: Api) -> None:
    """Votes count only in non-anonymous polls; stopPoll closes a poll once."""
    tg.add_chat(USER)
    anonymous = api.ok("sendPoll", chat_id=USER, question="Q", options=["a", "b"])
    with pytest.raises(ValueError, match="non-anonymous"):
        tg.feed(updates.poll_answer(anonymous["poll"]["id"], USER, [0]))
    sent = api.ok("sendPoll", chat_id=USER, question="Q", options=["a", "b"], is_anonymous=False)
    tg.feed(updates.poll_answer(sent["poll"]["id"], USER, [1]))
    target = {"chat_id": USER, "message_id": sent["message_id"]}
    stopped = api.ok("stopPoll", **target)
    assert stopped["is_closed"] is True and stopped["total_voter_count"] == 1
    assert [option["voter_count"] for option in stopped["options"]] == [0, 1]
    assert api.error("stopPoll", **target) == "Bad Request: poll has already been closed"


# -- commands ---------------------------------------------------------------------------------


def test_commands_are_kept_per_scope_and_language(tg: BotApiStandIn, api: Api) -> None:
    """Lists are stored per (scope, language); invalid commands fail with Telegram's words."""
    english = [{"command": "start", "description": "Start"}]
    japanese = [{"command": "start", "description": "開始"}]
    private = {"type": "all_private_chats"}
    assert api.ok("setMyCommands", commands=english)
    assert api.ok("setMyCommands", commands=japanese, language_code="ja", scope=private)
    assert api.ok("getMyCommands") == english
    assert api.ok("getMyCommands", language_code="ja", scope=private) == japanese
    assert api.ok("getMyCommands", language_code="ja") == []
    assert tg.commands(private, "ja") == japanese
    cases = [
        ([{"command": "Start!", "description": "x"}], "Bad Request: BOT_COMMAND_INVALID"),
        (
            [{"command": "c" * 33, "description": "x"}],
            "Bad Request: command length must not exceed 32",
        ),
        (
            [{"command": "start", "description": " "}],
            "Bad Request: command description must be non-empty",
        ),
        (
            [{"command": "start", "description": "d" * 257}],
            "Bad Request: command description length must not exceed 256",
        ),
        (
            [{"command": f"c{i}", "description": "x"} for i in range(101)],
            "Bad Request: BOT_COMMANDS_TOO_MUCH",
        ),
    ]
    for commands, description in cases:
        assert api.error("setMyCommands", commands=commands) == description
    assert api.ok("deleteMyCommands", language_code="ja", scope=private)
    assert api.ok("getMyCommands", language_code="ja", scope=private) == []


# -- recording and waiting --------------------------------------------------------------------


async def test_wait_for_returns_each_new_matching_call_once(tg: BotApiStandIn, api: Api) -> None:
    """wait_for consumes calls in order, can filter, and times out with a useful message."""
    tg.add_chat(USER)
    for text in ("one", "two", "three"):
        api.ok("sendMessage", chat_id=USER, text=text)
    first = await tg.wait_for("sendmessage")
    third = await tg.wait_for("sendMessage", lambda call: call.result["text"] == "three")
    assert (first.result["text"], third.result["text"]) == ("one", "three")
    assert isinstance(first, Call) and first.ok and first.params["text"] == "one"
    with pytest.raises(TimeoutError, match="sendMessage"):
        await tg.wait_for("sendMessage", timeout=0.1)
    assert len(await tg.wait_for_count("sendMessage", 3)) == 3
    assert tg.wait_for_count_sync("sendMessage", 3, timeout=0.1)[2].result["text"] == "three"


# -- update builders and python-telegram-bot --------------------------------------------------


def test_builders_make_updates_ptb_parses(tg: BotApiStandIn, api: Api) -> None:
    """Every builder's update parses as a telegram.Update and registers its chat."""
    tg.add_chat(USER)
    sent = api.ok("sendMessage", chat_id=USER, text="Q")
    poll = api.ok("sendPoll", chat_id=USER, question="Q", options=["a"], is_anonymous=False)
    built = [
        updates.private_text(USER, USER, "こんにちは", language_code="en"),
        updates.group_text(GROUP, USER, "hi", is_forum=True, message_thread_id=7),
        updates.command(GROUP, USER, "start", "deep", bot_username="dnws_test_bot"),
        updates.callback_query(USER, sent, "next"),
        updates.inline_query(USER, "核", chat_type="supergroup"),
        updates.edited_message(sent | {"from": updates.user(USER)}, "edited"),
        updates.channel_post(-1009876543210, "post"),
        updates.sticker(USER, USER),
        updates.photo(GROUP, USER, caption="see https://38north.org"),
        updates.voice(USER, USER),
        updates.poll_answer(poll["poll"]["id"], USER, [0]),
        updates.my_chat_member(GROUP, USER, tg.bot_user, new_status="administrator"),
        updates.anonymous_admin_message(GROUP, "admin"),
        updates.migrate_to_chat(-555, -100555, USER),
    ]
    parsed = [telegram.Update.de_json(tg.feed(update), None) for update in built]
    for update in parsed:
        assert update.effective_chat is None or tg.chat(update.effective_chat.id) is not None
    assert len({update.update_id for update in parsed}) == len(built)
    admin = parsed[12].effective_message
    assert admin.from_user.id == updates.GROUP_ANONYMOUS_BOT_ID
    assert admin.sender_chat.id == GROUP


def test_group_text_detects_commands_and_mentions_in_utf16() -> None:
    """Entities of a user's text are detected with UTF-16 offsets, @bot suffix included."""
    text = "🇰🇵核 /quiz@dnws_test_bot @kim_jong #核"
    message = updates.group_text(GROUP, USER, text)["message"]
    assert message["entities"] == [
        {"offset": 6, "length": 19, "type": "bot_command"},
        {"offset": 26, "length": 9, "type": "mention"},
        {"offset": 36, "length": 2, "type": "hashtag"},
    ]
    assert list(telegram.Message.de_json(message, None).parse_entities().values()) == [
        "/quiz@dnws_test_bot",
        "@kim_jong",
        "#核",
    ]


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
async def test_real_ptb_bot_round_trip(tg: BotApiStandIn) -> None:
    """telegram.Bot(base_url=...) initializes, sends HTML and polls, and answers a query."""
    tg.add_chat(USER)
    async with telegram.Bot(tg.token, base_url=tg.base_url) as bot:
        assert bot.username == "dnws_test_bot"
        message = await bot.send_message(
            USER,
            "<b>北朝鮮</b>の核 😀",
            parse_mode="HTML",
            reply_markup=telegram.InlineKeyboardMarkup(
                [[telegram.InlineKeyboardButton("次へ", callback_data="next")]]
            ),
        )
        assert message.text == "北朝鮮の核 😀"
        assert message.entities[0].type == telegram.MessageEntity.BOLD
        poll = await bot.send_poll(
            USER, "Q?", ["A", telegram.InputPollOption("B")], type="quiz", correct_option_ids=[1]
        )
        assert poll.poll.correct_option_ids == (1,)
        query = tg.feed(updates.callback_query(USER, message.to_dict(), "next"))
        assert await bot.answer_callback_query(query["callback_query"]["id"], text="OK")
        with pytest.raises(telegram.error.BadRequest, match=r"(?i)message is too long"):
            await bot.send_message(USER, "x" * 4097)
        tg.inject("sendMessage", status=429, retry_after=2)
        with pytest.raises(telegram.error.RetryAfter):
            await bot.send_message(USER, "flood")
    call = await tg.wait_for("sendMessage")
    assert call.params["reply_markup"] == {
        "inline_keyboard": [[{"text": "次へ", "callback_data": "next"}]]
    }


# -- faults for durability tests --------------------------------------------------------------


def test_flood_answers_429_to_the_next_sends_only(tg: BotApiStandIn, api: Api) -> None:
    """A 429 storm hits the next N sending calls with retry_after; other methods pass."""
    tg.add_chat(USER)
    tg.flood(3, retry_after=2)
    assert api.ok("getMe")["is_bot"] is True
    for _ in range(3):
        status, body = api("sendMessage", chat_id=USER, text="hi")
        assert (status, body["parameters"]) == (429, {"retry_after": 2})
    assert api.ok("sendMessage", chat_id=USER, text="hi")["text"] == "hi"
    assert [call.status for call in tg.calls("sendMessage")] == [429, 429, 429, 200]
    assert tg.last_message(USER)["text"] == "hi"


def test_dropped_response_still_sends_and_a_retry_duplicates(tg: BotApiStandIn, api: Api) -> None:
    """A dropped response closes the connection after the message was sent; resending duplicates."""
    tg.add_chat(USER)
    question = tg.feed(updates.private_text(USER, USER, "核とは?"))["message"]
    tg.drop_response("sendMessage")
    reply = {
        "chat_id": USER,
        "text": "answer",
        "reply_parameters": {"message_id": question["message_id"]},
    }
    with pytest.raises(httpx.RemoteProtocolError):
        api("sendMessage", **reply)
    assert tg.last_message(USER)["text"] == "answer"
    assert tg.calls("sendMessage")[0].fate == "dropped"
    assert tg.duplicate_sends() == {}
    api.ok("sendMessage", **reply)
    assert tg.duplicate_sends() == {(USER, "answer", question["message_id"]): 2}
    api.ok("sendMessage", chat_id=USER, text="answer")
    assert tg.duplicate_sends() == {(USER, "answer", question["message_id"]): 2}


def test_late_response_outlasts_the_clients_timeout(tg: BotApiStandIn) -> None:
    """A response delayed after processing makes the client time out on a message that was sent."""
    tg.add_chat(USER)
    tg.delay_response("sendMessage", 1.0)
    with httpx.Client(base_url=f"{tg.base_url}{tg.token}", timeout=0.2) as client:
        with pytest.raises(httpx.ReadTimeout):
            client.post("/sendMessage", json={"chat_id": USER, "text": "slow"})
        assert tg.last_message(USER)["text"] == "slow"
        assert tg.calls("sendMessage")[0].fate == "late"


def test_raw_update_is_delivered_verbatim(tg: BotApiStandIn, api: Api) -> None:
    """feed_raw queues a poison update python-telegram-bot cannot parse, numbered in sequence."""
    before = tg.feed(updates.private_text(USER, USER, "before"))
    poison = tg.feed_raw(
        {"poll_answer": {"poll_id": "1", "user": updates.user(USER), "option_ids": [0]}}
    )
    after = tg.feed(updates.private_text(USER, USER, "after"))
    got = api.ok("getUpdates")
    assert got == [before, poison, after]
    assert before["update_id"] < poison["update_id"] < after["update_id"]
    with pytest.raises(TypeError, match="option_persistent_ids"):
        telegram.Update.de_json(got[1], None)


def test_offsets_are_recorded_and_thousands_queue_at_once(tg: BotApiStandIn, api: Api) -> None:
    """Each getUpdates offset is kept for the test; feed_many queues thousands in one call."""
    fed = tg.feed_many([updates.private_text(USER, USER, str(i)) for i in range(3000)])
    assert tg.pending_updates == 3000
    first = api.ok("getUpdates", limit=100)
    assert [update["update_id"] for update in first] == [u["update_id"] for u in fed[:100]]
    api.ok("getUpdates", offset=first[-1]["update_id"] + 1, limit=1)
    assert tg.update_offsets() == [None, first[-1]["update_id"] + 1]
    assert tg.confirmed_update_id == first[-1]["update_id"]
    assert tg.pending_updates == 2900


class _RawReceiver(BaseHTTPRequestHandler):
    bodies: list[bytes] = []  # noqa: RUF012 - test-local record

    def do_POST(self) -> None:
        self.bodies.append(self.rfile.read(int(self.headers["Content-Length"])))
        self.send_response(400)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


async def test_raw_webhook_bodies_reach_the_bot_unchanged(tg: BotApiStandIn, api: Api) -> None:
    """deliver_webhook_raw posts any bytes with the registered secret and returns the response."""
    receiver = ThreadingHTTPServer(("127.0.0.1", 0), _RawReceiver)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{receiver.server_address[1]}/hook"
        api.ok("setWebhook", url=url, secret_token="s3cret")
        for body in (b"null", b"[]", b"123", b"{"):
            assert (await tg.deliver_webhook_raw(body)).status_code == 400
    finally:
        receiver.shutdown()
        receiver.server_close()
    assert _RawReceiver.bodies == [b"null", b"[]", b"123", b"{"]


# -- chat members -----------------------------------------------------------------------------


def test_chat_member_statuses_are_configured_per_chat_and_counted(
    tg: BotApiStandIn, api: Api
) -> None:
    """getChatMember answers the status a test set, 'left' for strangers, and calls are counted."""
    tg.set_member(GROUP, USER, "creator")
    tg.set_member(GROUP, OTHER_USER, "restricted", until_date=1_900_000_000)
    tg.set_member(GROUP, 7_003, "kicked")
    tg.set_member(-1_009_999, USER, "member")
    assert api.ok("getChatMember", chat_id=GROUP, user_id=USER)["status"] == "creator"
    restricted = api.ok("getChatMember", chat_id=GROUP, user_id=OTHER_USER)
    assert (restricted["status"], restricted["until_date"]) == ("restricted", 1_900_000_000)
    assert api.ok("getChatMember", chat_id=GROUP, user_id=7_003)["status"] == "kicked"
    assert api.ok("getChatMember", chat_id=-1_009_999, user_id=OTHER_USER)["status"] == "left"
    assert api.error("getChatMember", chat_id=GROUP, user_id=999) == "Bad Request: user not found"
    assert api.error("getChatMember", chat_id=-42, user_id=USER) == "Bad Request: chat not found"
    assert api.error("getChatMember", chat_id=GROUP, user_id=0) == (
        "Bad Request: invalid user_id specified"
    )
    assert tg.count("getChatMember", chat_id=GROUP, user_id=USER) == 1
    assert tg.count("getChatMember", chat_id=GROUP) == 5
    for status in ("administrator", "creator", "member", "restricted", "left", "kicked"):
        tg.set_member(GROUP, USER, status)
        member = api.ok("getChatMember", chat_id=GROUP, user_id=USER)
        parsed = telegram.ChatMember.de_json(member, None)
        assert parsed.status == status and tg.member(GROUP, USER)["status"] == status


def test_administrators_list_creator_first_without_other_bots(tg: BotApiStandIn, api: Api) -> None:
    """getChatAdministrators lists the creator first, hides other bots unless return_bots."""
    other_bot = updates.user(8_001, first_name="Helper", is_bot=True, language_code=None)
    tg.set_member(GROUP, USER, "administrator", can_change_info=False)
    tg.set_member(GROUP, OTHER_USER, "creator")
    tg.set_member(GROUP, other_bot, "administrator")
    tg.set_member(GROUP, 7_003, "member")
    tg.set_bot_status(GROUP, "administrator")
    admins = api.ok("getChatAdministrators", chat_id=GROUP)
    ids = [admin["user"]["id"] for admin in admins]
    assert ids == [OTHER_USER, USER, tg.bot_user["id"]]
    assert admins[1]["can_change_info"] is False
    with_bots = api.ok("getChatAdministrators", chat_id=GROUP, return_bots=True)
    assert 8_001 in [admin["user"]["id"] for admin in with_bots]
    tg.add_chat(USER)
    assert api.error("getChatAdministrators", chat_id=USER) == (
        "Bad Request: there are no administrators in the private chat"
    )


def test_channel_members_need_the_bot_to_be_an_administrator(tg: BotApiStandIn, api: Api) -> None:
    """In a channel the member list and posting need the bot to be an administrator."""
    channel = -1_007_777
    tg.add_chat(channel, chat_type="channel", username="dnws_channel")
    tg.set_member(channel, USER, "creator")
    tg.set_bot_status(channel, "member")
    inaccessible = "Bad Request: member list is inaccessible"
    assert api.error("getChatMember", chat_id="@dnws_channel", user_id=USER) == inaccessible
    assert api.error("getChatAdministrators", chat_id=channel) == inaccessible
    assert api.error("sendMessage", chat_id=channel, text="post") == (
        "Bad Request: need administrator rights in the channel chat"
    )
    tg.set_bot_status(channel, "administrator")
    assert api.ok("getChatMember", chat_id="@dnws_channel", user_id=USER)["status"] == "creator"
    assert api.ok("sendMessage", chat_id=channel, text="post")["sender_chat"]["id"] == channel


def test_a_removed_bot_cannot_write_to_the_group(tg: BotApiStandIn, api: Api) -> None:
    """After my_chat_member says the bot left or was kicked, sends answer 403 like Telegram."""
    tg.feed(updates.my_chat_member(GROUP, USER, tg.bot_user, new_status="member"))
    assert api.ok("sendMessage", chat_id=GROUP, text="hello")
    assert api.ok("getChatMember", chat_id=GROUP, user_id=tg.bot_user["id"])["status"] == "member"
    tg.feed(
        updates.my_chat_member(GROUP, USER, tg.bot_user, old_status="member", new_status="kicked")
    )
    status, body = api("sendMessage", chat_id=GROUP, text="still here?")
    assert (status, body["description"]) == (
        403,
        "Forbidden: bot was kicked from the supergroup chat",
    )
    tg.feed(
        updates.my_chat_member(-4_001, USER, tg.bot_user, old_status="member", new_status="left")
    )
    status, body = api("sendMessage", chat_id=-4_001, text="x")
    assert (status, body["description"]) == (
        403,
        "Forbidden: bot is not a member of the group chat",
    )


# -- edits ------------------------------------------------------------------------------------


def test_edit_message_text_validates_like_send_and_keeps_versions(
    tg: BotApiStandIn, api: Api
) -> None:
    """editMessageText parses HTML, enforces limits, refuses no-op edits and records each version."""
    tg.add_chat(USER)
    votes = keyboard({"text": "👍", "callback_data": "up"})
    sent = api.ok("sendMessage", chat_id=USER, text="answer", reply_markup=votes)
    target = {"chat_id": USER, "message_id": sent["message_id"]}
    not_modified = (
        "Bad Request: message is not modified: specified new message content and reply markup "
        "are exactly the same as a current content and reply markup of the message"
    )
    assert api.error("editMessageText", **target, text="answer", reply_markup=votes) == (
        not_modified
    )
    assert api.error("editMessageText", **target, text="<b>x", parse_mode="HTML").startswith(
        "Bad Request: can't parse entities: "
    )
    assert api.error("editMessageText", **target, text="x" * 4097) == (
        "Bad Request: message is too long"
    )
    assert api.error("editMessageText", **target, text="") == "Bad Request: message text is empty"
    edited = api.ok(
        "editMessageText",
        **target,
        text='<blockquote expandable>訳</blockquote> <a href="https://38north.org/">38 North</a>',
        parse_mode="HTML",
        link_preview_options={"url": "https://38north.org/", "prefer_small_media": True},
    )
    assert edited["text"] == "訳 38 North" and "reply_markup" not in edited
    assert [entity["type"] for entity in edited["entities"]] == [
        "expandable_blockquote",
        "text_link",
    ]
    assert edited["link_preview_options"] == {
        "url": "https://38north.org/",
        "prefer_small_media": True,
    }
    again = api.ok("editMessageText", **target, text="answer", reply_markup=votes)
    assert [version["text"] for version in tg.edits(USER, sent["message_id"])] == [
        "訳 38 North",
        "answer",
    ]
    assert tg.message(USER, sent["message_id"]) == again and "edit_date" in again


def test_edits_need_the_bots_own_existing_message(tg: BotApiStandIn, api: Api) -> None:
    """Missing messages are 'not found'; a user's message 'can't be edited'."""
    question = tg.feed(updates.group_text(GROUP, USER, "質問"))["message"]
    user_message = {"chat_id": GROUP, "message_id": question["message_id"]}
    missing = {"chat_id": GROUP, "message_id": 999_999}
    markup = keyboard({"text": "ok", "callback_data": "ok"})
    for method, extra in (
        ("editMessageText", {"text": "x"}),
        ("editMessageReplyMarkup", {"reply_markup": markup}),
        ("editMessageCaption", {"caption": "x"}),
    ):
        assert api.error(method, **missing, **extra) == "Bad Request: message to edit not found"
        assert api.error(method, **user_message, **extra) == "Bad Request: message can't be edited"


def test_edit_reply_markup_changes_only_the_keyboard(tg: BotApiStandIn, api: Api) -> None:
    """editMessageReplyMarkup swaps or removes the keyboard and refuses the same one."""
    tg.add_chat(USER)
    first = keyboard({"text": "👍", "callback_data": "up"})
    counted = keyboard({"text": "👍 ✓", "callback_data": "up"})
    sent = api.ok("sendMessage", chat_id=USER, text="answer", reply_markup=first)
    target = {"chat_id": USER, "message_id": sent["message_id"]}
    assert api.error("editMessageReplyMarkup", **target, reply_markup=first).startswith(
        "Bad Request: message is not modified"
    )
    assert api.ok("editMessageReplyMarkup", **target, reply_markup=counted)["text"] == "answer"
    assert tg.message(USER, sent["message_id"])["reply_markup"] == counted
    assert "reply_markup" not in api.ok("editMessageReplyMarkup", **target)
    assert api.error("editMessageCaption", **target, caption="c") == (
        "Bad Request: there is no caption in the message to edit"
    )


def test_inline_messages_are_edited_by_their_id(tg: BotApiStandIn, api: Api) -> None:
    """inline_message_id edits answer True, are recorded, and unknown ids are invalid."""
    assert api.error("editMessageText", inline_message_id="AgAAAnope", text="x") == (
        "Bad Request: MESSAGE_ID_INVALID"
    )
    inline_id = "AgAAAB8tAAC9oQ4AAZ4fHB4v6QE"
    press = tg.feed(updates.callback_query(USER, None, "up", inline_message_id=inline_id))
    assert "message" not in press["callback_query"]
    telegram.Update.de_json(press, None)
    assert tg.inline_message(inline_id) == {}
    assert api.ok("editMessageText", inline_message_id=inline_id, text="counted") is True
    assert api.error("editMessageText", inline_message_id=inline_id, text="counted").startswith(
        "Bad Request: message is not modified"
    )
    markup = keyboard({"text": "👍 ✓", "callback_data": "up"})
    assert api.ok("editMessageReplyMarkup", inline_message_id=inline_id, reply_markup=markup)
    assert tg.inline_message(inline_id) == {"text": "counted", "reply_markup": markup}
    chosen = tg.feed(updates.chosen_inline_result(USER, "r1", "核", inline_message_id="AgAAAc"))
    telegram.Update.de_json(chosen, None)
    assert api.ok(
        "editMessageCaption", inline_message_id="AgAAAc", caption="<b>c</b>", parse_mode="HTML"
    )
    assert tg.edits("AgAAAc") == [
        {"caption": "c", "caption_entities": [{"offset": 0, "length": 1, "type": "bold"}]}
    ]
    assert api.error("editMessageCaption", inline_message_id="AgAAAc", caption="c" * 1025) == (
        "Bad Request: message caption is too long"
    )


async def test_ptb_edits_against_the_stand_in(tg: BotApiStandIn) -> None:
    """python-telegram-bot's edit methods parse what the stand-in returns."""
    tg.add_chat(USER)
    async with telegram.Bot(tg.token, base_url=tg.base_url) as bot:
        message = await bot.send_message(USER, "v1")
        edited = await message.edit_text("<i>v2</i>", parse_mode="HTML")
        assert isinstance(edited, telegram.Message) and edited.text == "v2"
        assert edited.edit_date is not None
        with pytest.raises(telegram.error.BadRequest, match="Message is not modified"):
            await edited.edit_text("<i>v2</i>", parse_mode="HTML")
        button = telegram.InlineKeyboardButton("ok", callback_data="ok")
        markup = telegram.InlineKeyboardMarkup([[button]])
        updated = await bot.edit_message_reply_markup(USER, message.message_id, reply_markup=markup)
        assert updated.reply_markup == markup


# -- update types and allowed_updates ---------------------------------------------------------


def _kinds(batch: list[dict[str, Any]]) -> list[str]:
    return [next(key for key in update if key != "update_id") for update in batch]


def _feed_every_kind(tg: BotApiStandIn, answer: dict[str, Any]) -> None:
    """Queue one update of each kind issues 9 and 12 rely on, all parseable by PTB."""
    question = updates.private_text(USER, USER, "核とは?")
    post = updates.channel_post(-1_005_555, "post")["channel_post"]
    group_answer = answer | {"chat": updates.group_chat(GROUP)}
    built = [
        updates.edited_message(question["message"], "核兵器とは?"),
        updates.channel_post(-1_005_555, "post", message_id=post["message_id"]),
        updates.edited_channel_post(post, "post, edited"),
        updates.my_chat_member(GROUP, USER, tg.bot_user, new_status="administrator"),
        updates.chat_member_updated(GROUP, USER, OTHER_USER, new_status="member"),
        updates.message_reaction(answer, USER, new=["👍"]),
        updates.message_reaction(
            group_answer, None, old=["👍"], new=["👎"], actor_chat=updates.group_chat(GROUP)
        ),
        updates.message_reaction_count(post, {"👍": 3}),
    ]
    for update in built:
        telegram.Update.de_json(tg.feed(update), None)


def test_default_allowed_updates_leave_out_member_and_reaction_updates(
    tg: BotApiStandIn, api: Api
) -> None:
    """Without allowed_updates, chat_member and both reaction updates are never delivered."""
    tg.add_chat(USER)
    answer = api.ok("sendMessage", chat_id=USER, text="answer")
    _feed_every_kind(tg, answer)
    assert _kinds(api.ok("getUpdates")) == [
        "edited_message",
        "channel_post",
        "edited_channel_post",
        "my_chat_member",
    ]
    assert not tg.subscribed("message_reaction") and tg.subscribed("my_chat_member")
    assert tg.member(GROUP, tg.bot_user["id"])["status"] == "administrator"


def test_explicit_allowed_updates_replace_the_default_and_persist(
    tg: BotApiStandIn, api: Api
) -> None:
    """A list replaces the default, later calls without one keep it, and [] restores it."""
    tg.add_chat(USER)
    answer = api.ok("sendMessage", chat_id=USER, text="answer")
    _feed_every_kind(tg, answer)
    wanted = ["edited_message", "message_reaction", "my_chat_member"]
    batch = api.ok("getUpdates", allowed_updates=wanted)
    assert _kinds(batch) == [
        "edited_message",
        "my_chat_member",
        "message_reaction",
        "message_reaction",
    ]
    reactions = [update["message_reaction"] for update in batch[2:]]
    assert reactions[0]["user"]["id"] == USER and reactions[0]["new_reaction"] == [
        {"type": "emoji", "emoji": "👍"}
    ]
    assert "user" not in reactions[1] and reactions[1]["actor_chat"]["id"] == GROUP
    assert reactions[1]["old_reaction"] == [{"type": "emoji", "emoji": "👍"}]
    offset = batch[-1]["update_id"] + 1
    tg.feed(updates.private_text(USER, USER, "dropped: message is not subscribed"))
    tg.feed(updates.message_reaction(answer, USER, old=["👍"], new=[]))
    assert _kinds(api.ok("getUpdates", offset=offset)) == ["message_reaction"]
    assert tg.allowed_updates == wanted
    api.ok("getUpdates", allowed_updates=[], offset=offset + 2)
    assert tg.allowed_updates is None and not tg.subscribed("message_reaction")


def test_webhook_allowed_updates_are_reported(tg: BotApiStandIn, api: Api) -> None:
    """setWebhook's allowed_updates is kept, reported by getWebhookInfo and by subscribed()."""
    wanted = ["message", "edited_message", "callback_query", "message_reaction"]
    api.ok("setWebhook", url="https://bot.example/hook", allowed_updates=wanted)
    assert api.ok("getWebhookInfo")["allowed_updates"] == wanted
    assert tg.subscribed(updates.private_text(USER, USER, "hi"))
    assert not tg.subscribed("channel_post") and tg.subscribed("message_reaction")


# -- what Telegram shows around the chat ------------------------------------------------------


def test_descriptions_are_kept_per_language_within_telegrams_limits(
    tg: BotApiStandIn, api: Api
) -> None:
    """Descriptions take 512 and short ones 120 characters per language; '' removes one."""
    assert api.ok("setMyDescription", description="d" * 512)
    assert api.ok("setMyDescription", description="説" * 512, language_code="ja")
    assert api.ok("setMyShortDescription", short_description="s" * 120, language_code="en")
    assert api.error("setMyDescription", description="d" * 513) == (
        "Bad Request: bot description is too long"
    )
    assert api.error("setMyShortDescription", short_description="s" * 121) == (
        "Bad Request: bot short description is too long"
    )
    assert api.error("setMyDescription", description="x", language_code="jpn") == (
        "Bad Request: invalid language code specified"
    )
    assert api.ok("getMyDescription") == {"description": "d" * 512}
    assert api.ok("getMyDescription", language_code="ja") == {"description": "説" * 512}
    assert api.ok("getMyShortDescription") == {"short_description": ""}
    assert tg.bot_description("en", short=True) == "s" * 120
    assert api.ok("setMyDescription", description="", language_code="ja")
    assert tg.bot_description("ja") == "" and tg.bot_description() == "d" * 512


def test_command_menus_are_kept_for_every_scope(tg: BotApiStandIn, api: Api) -> None:
    """All seven scopes keep their own list per language; chat scopes need known chats and users."""
    tg.set_member(GROUP, USER, "administrator")
    scopes = [
        {"type": "default"},
        {"type": "all_private_chats"},
        {"type": "all_group_chats"},
        {"type": "all_chat_administrators"},
        {"type": "chat", "chat_id": GROUP},
        {"type": "chat_administrators", "chat_id": str(GROUP)},
        {"type": "chat_member", "chat_id": GROUP, "user_id": USER},
    ]
    for index, scope in enumerate(scopes):
        commands = [{"command": f"c{index}", "description": f"scope {index}"}]
        assert api.ok("setMyCommands", commands=commands, scope=scope, language_code="ja")
    for index, scope in enumerate(scopes):
        expected = [{"command": f"c{index}", "description": f"scope {index}"}]
        assert api.ok("getMyCommands", scope=scope, language_code="ja") == expected
        assert api.ok("getMyCommands", scope=scope) == []
        assert tg.commands(scope | {"chat_id": GROUP} if "chat_id" in scope else scope, "ja") == (
            expected
        )
    assert tg.commands(None, "ja") == tg.commands({"type": "default"}, "ja")
    prefix = "Bad Request: can't parse BotCommandScope: "
    cases = [
        ({"type": "everyone"}, prefix + "Unsupported type specified"),
        ({"chat_id": GROUP}, prefix + 'Can\'t find field "type"'),
        ({"type": "chat"}, prefix + 'Can\'t find field "chat_id"'),
        ({"type": "chat_member", "chat_id": GROUP}, prefix + 'Can\'t find field "user_id"'),
        (
            {"type": "chat_member", "chat_id": GROUP, "user_id": 0},
            prefix + "Invalid user_id specified",
        ),
        ({"type": "chat", "chat_id": -42}, "Bad Request: chat not found"),
        ({"type": "chat_member", "chat_id": GROUP, "user_id": 999}, "Bad Request: user not found"),
    ]
    commands = [{"command": "ask", "description": "Ask"}]
    for scope, description in cases:
        assert api.error("setMyCommands", commands=commands, scope=scope) == description, scope
    assert api.error("setMyCommands", commands={"command": "ask"}) == (
        "Bad Request: expected an Array of BotCommand"
    )
    assert api.error("setMyCommands", commands=["ask"]) == (
        "Bad Request: can't parse BotCommand: expected an Object"
    )
    assert api.ok("deleteMyCommands", scope=scopes[2], language_code="ja")
    assert tg.commands(scopes[2], "ja") == []


async def test_ptb_sets_menus_and_descriptions(tg: BotApiStandIn) -> None:
    """PTB's set_my_commands with BotCommandScope objects and set_my_description round-trip."""
    tg.add_chat(GROUP)
    commands = [telegram.BotCommand("ask", "Ask a question"), telegram.BotCommand("quiz", "Quiz")]
    async with telegram.Bot(tg.token, base_url=tg.base_url) as bot:
        assert await bot.set_my_commands(commands, scope=telegram.BotCommandScopeAllGroupChats())
        assert await bot.set_my_commands(
            commands[1:], scope=telegram.BotCommandScopeChat(GROUP), language_code="ja"
        )
        assert await bot.set_my_description("Study the article", language_code="en")
        got = await bot.get_my_commands(scope=telegram.BotCommandScopeAllGroupChats())
        assert [command.command for command in got] == ["ask", "quiz"]
        assert (await bot.get_my_description("en")).description == "Study the article"
    assert tg.commands({"type": "all_group_chats"})[0]["command"] == "ask"
    assert tg.commands({"type": "chat", "chat_id": GROUP}, "ja") == [
        {"command": "quiz", "description": "Quiz"}
    ]


# -- inline mode buttons, link previews, expandable quotes ------------------------------------


def test_inline_results_button_is_validated(tg: BotApiStandIn, api: Api) -> None:
    """answerInlineQuery's button needs text and exactly one of start_parameter / web_app."""
    prefix = "Bad Request: can't parse inline query results button: "
    cases = [
        ({"start_parameter": "ask"}, prefix + 'Can\'t find field "text"'),
        (
            {"text": "Ask in the bot"},
            prefix + "InlineQueryResultsButton must have exactly one optional field",
        ),
        ({"text": "Ask", "start_parameter": "a" * 65}, "Bad Request: START_PARAM_INVALID"),
        ({"text": "Ask", "start_parameter": ""}, "Bad Request: START_PARAM_INVALID"),
        ({"text": "Ask", "start_parameter": "q=核"}, "Bad Request: START_PARAM_INVALID"),
        (
            {"text": "Ask", "web_app": {"url": "http://x.example"}},
            "Bad Request: BUTTON_URL_INVALID",
        ),
        ("[", "Bad Request: can't parse inline query results button JSON object"),
    ]
    query = tg.feed(updates.inline_query(USER, "zzz"))["inline_query"]
    for button, description in cases:
        error = api.error(
            "answerInlineQuery", inline_query_id=query["id"], results=[], button=button
        )
        assert error == description, button
    button = {"text": "Ask in the bot", "start_parameter": "inline-ask_1"}
    assert api.ok("answerInlineQuery", inline_query_id=query["id"], results=[], button=button)
    assert tg.inline_answer(query["id"])["button"] == button


def test_switch_inline_query_current_chat_buttons_are_validated(
    tg: BotApiStandIn, api: Api
) -> None:
    """switch_inline_query_current_chat must be a string (empty allowed) and is echoed back."""
    tg.add_chat(USER)
    ask = {"text": "🔎 Ask another", "switch_inline_query_current_chat": ""}
    sent = api.ok("sendMessage", chat_id=USER, text="?", reply_markup=keyboard(ask))
    assert sent["reply_markup"] == keyboard(ask)
    bad = {"text": "🔎", "switch_inline_query_current_chat": None}
    assert api.error("sendMessage", chat_id=USER, text="?", reply_markup=keyboard(bad)) == (
        "Bad Request: can't parse inline keyboard button: "
        'Field "switch_inline_query_current_chat" must be of type String'
    )
    chosen = {"text": "share", "switch_inline_query_chosen_chat": "核"}
    assert api.error("sendMessage", chat_id=USER, text="?", reply_markup=keyboard(chosen)) == (
        "Bad Request: can't parse inline keyboard button: "
        'Field "switch_inline_query_chosen_chat" must be of type Object'
    )


def test_link_preview_options_are_validated_and_recorded(tg: BotApiStandIn, api: Api) -> None:
    """A preview for a given URL is kept on the message; bad options fail like the Bot API."""
    tg.add_chat(USER)
    article = "https://www.38north.org/2024/01/de-facto-nuclear-weapon-state/"
    options = {"url": article, "prefer_small_media": True, "show_above_text": False}
    sent = api.ok(
        "sendMessage",
        chat_id=USER,
        text=f'<a href="{article}">The article</a>',
        parse_mode="HTML",
        link_preview_options=options,
    )
    assert sent["link_preview_options"] == {"url": article, "prefer_small_media": True}
    assert tg.calls("sendMessage")[0].params["link_preview_options"] == options
    plain = api.ok("sendMessage", chat_id=USER, text="no links here")
    assert "link_preview_options" not in plain
    cases = [
        ([], "Bad Request: object expected as link preview options"),
        ({"url": 5}, 'Bad Request: field "url" must be of type String'),
        (
            {"prefer_small_media": "yes"},
            'Bad Request: field "prefer_small_media" must be of type Boolean',
        ),
    ]
    for value, description in cases:
        assert api.error("sendMessage", chat_id=USER, text="x", link_preview_options=value) == (
            description
        )


def test_expandable_blockquotes_parse_from_html_and_entities(tg: BotApiStandIn, api: Api) -> None:
    """<blockquote expandable> and an expandable_blockquote entity both come back as that type."""
    tg.add_chat(USER)
    html = "<b>DNWS</b>\n<blockquote expandable>事実上の核保有国\n二行目</blockquote>"
    sent = api.ok("sendMessage", chat_id=USER, text=html, parse_mode="HTML")
    assert sent["text"] == "DNWS\n事実上の核保有国\n二行目"
    assert sent["entities"] == [
        {"offset": 0, "length": 4, "type": "bold"},
        {"offset": 5, "length": 12, "type": "expandable_blockquote"},
    ]
    plain = api.ok(
        "sendMessage", chat_id=USER, text="<blockquote>q</blockquote>", parse_mode="HTML"
    )
    assert plain["entities"] == [{"offset": 0, "length": 1, "type": "blockquote"}]
    explicit = api.ok(
        "sendMessage",
        chat_id=USER,
        text="quote",
        entities=[{"type": "expandable_blockquote", "offset": 0, "length": 5}],
    )
    assert explicit["entities"][0]["type"] == "expandable_blockquote"
    parsed = telegram.Message.de_json(sent, None)
    assert parsed.entities[1].type == telegram.MessageEntity.EXPANDABLE_BLOCKQUOTE


def test_bot_status_limits_reads_in_supergroups_and_channels(tg: BotApiStandIn, api: Api) -> None:
    """A kicked bot cannot even read a supergroup; a bot that left reads only public chats."""
    tg.set_member(GROUP, USER, "member")
    tg.set_bot_status(GROUP, "kicked")
    kicked = "Forbidden: bot was kicked from the supergroup chat"
    status, body = api("getChatMember", chat_id=GROUP, user_id=USER)
    assert (status, body["description"]) == (403, kicked)
    tg.set_bot_status(GROUP, "left")
    status, body = api("getChat", chat_id=GROUP)
    assert (status, body["description"]) == (
        403,
        "Forbidden: bot is not a member of the supergroup chat",
    )
    public = -1_006_666
    tg.add_chat(public, username="dnws_public")
    tg.set_bot_status(public, "left")
    assert api.ok("getChat", chat_id="@dnws_public")["id"] == public
    status, body = api("sendMessage", chat_id=public, text="x")
    assert (status, body["description"]) == (
        403,
        "Forbidden: bot is not a member of the supergroup chat",
    )


async def test_ptb_receives_every_update_kind_with_allowed_updates(tg: BotApiStandIn) -> None:
    """PTB's get_updates parses edited messages, channel posts, member and reaction updates."""
    tg.add_chat(USER)
    async with telegram.Bot(tg.token, base_url=tg.base_url) as bot:
        answer = await bot.send_message(USER, "answer")
        _feed_every_kind(tg, answer.to_dict())
        got = await bot.get_updates(allowed_updates=telegram.Update.ALL_TYPES)
    assert len(got) == 8
    reaction = got[5].message_reaction
    assert reaction is not None and reaction.new_reaction[0].emoji == "👍"
    assert got[3].my_chat_member.new_chat_member.status == "administrator"
    assert got[2].edited_channel_post.text == "post, edited"


def test_reactions_in_groups_need_an_administrator_bot(tg: BotApiStandIn) -> None:
    """Feeding a group reaction while the bot is a plain member is refused, as Telegram never sends it."""
    question = tg.feed(updates.group_text(GROUP, USER, "質問"))["message"]
    tg.set_bot_status(GROUP, "member")
    with pytest.raises(ValueError, match="administrator"):
        tg.feed(updates.message_reaction(question, OTHER_USER, new=["👍"]))
    tg.set_bot_status(GROUP, "administrator")
    assert tg.feed(updates.message_reaction(question, OTHER_USER, new=["👍"]))["update_id"]
