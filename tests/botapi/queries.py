"""Answers to callback queries and inline queries, validated as the Bot API does."""

from __future__ import annotations

import re
from typing import Any

from .html_entities import LinkError, check_link
from .protocol import JSON, ApiError
from .protocol import text_param as _text

QUERY_TOO_OLD = "Bad Request: query is too old and response timeout expired or query ID is invalid"
START_PARAM_INVALID = "Bad Request: START_PARAM_INVALID"  # (unconfirmed)
BUTTON_TEXT_EMPTY = "Bad Request: BUTTON_TEXT_INVALID"  # (unconfirmed)
WEB_APP_URL_INVALID = "Bad Request: BUTTON_URL_INVALID"  # (unconfirmed)
MAX_CALLBACK_ANSWER_LENGTH = 200
MAX_INLINE_RESULTS = 50
MAX_RESULT_ID_BYTES = 64
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


class QueriesMixin:
    """answerCallbackQuery and answerInlineQuery; BotApiStandIn provides the open queries."""

    _open_callback_queries: set[str]
    _open_inline_queries: set[str]
    _callback_answers: dict[str, JSON]
    _inline_answers: dict[str, JSON]

    def callback_answer(self, query_id: str) -> JSON | None:
        """The answerCallbackQuery parameters the bot gave a callback query."""
        with self._lock:
            return self._callback_answers.get(query_id)

    def inline_answer(self, query_id: str) -> JSON | None:
        """The answerInlineQuery parameters the bot gave an inline query."""
        with self._lock:
            return self._inline_answers.get(query_id)

    # -- methods --------------------------------------------------------------------------

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
