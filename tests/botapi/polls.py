"""Polls and quizzes: sendPoll and stopPoll with Telegram's limits, and votes fed as poll_answer."""

from __future__ import annotations

from typing import Any

from .html_entities import to_bot_api
from .protocol import JSON, ApiError
from .protocol import int_param as _integer
from .protocol import text_param as _text

WRONG_CORRECT_OPTION = "Bad Request: wrong correct option ID specified"  # (unconfirmed)
EXPLANATION_TOO_LONG = "Bad Request: explanation length must not exceed 200"  # (unconfirmed)
EXPLANATION_LINE_FEEDS = (
    "Bad Request: explanation can't contain more than 2 line feeds"  # (unconfirmed)
)
# Telegram's server errors for an inline results button (names as MTProto reports them).

MAX_POLL_QUESTION = 300
MAX_POLL_OPTION = 100
MIN_POLL_OPTIONS = 1  # Bot API 10.0 (PTB 22.8) lowered this from 2.
MAX_POLL_OPTIONS = 12  # Bot API 9.1 raised this from 10.
MAX_EXPLANATION = 200


class PollsMixin:
    """Poll methods and vote counting; BotApiStandIn provides the tables and sending."""

    _polls: dict[str, JSON]
    _poll_messages: dict[str, tuple[int, int]]

    def poll(self, poll_id: str) -> JSON | None:
        """A poll the bot sent, with the votes fed so far."""
        with self._lock:
            return self._polls.get(poll_id)

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

    # -- methods --------------------------------------------------------------------------

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
