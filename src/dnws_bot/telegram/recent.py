"""The bot's recent answers, in memory and bounded: which intent each answer message shows
(a 👍/👎 reaction on it is feedback on that intent) and which answer replied to which question
(an edited question edits its answer). Lost on restart: a reaction or an edit on an older
answer is then simply not matched.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from telegram.ext import ContextTypes

from ..engine.language import Lang

MAX_REMEMBERED = 20_000  # per map; about two days of a busy bot, a few MB


class RecentAnswers:
    """Two bounded maps keyed by (chat id, message id); the oldest entries go first."""

    def __init__(self, limit: int = MAX_REMEMBERED) -> None:
        self.limit = limit
        self._intents: OrderedDict[tuple[int, int], tuple[str, Lang]] = OrderedDict()
        self._replies: OrderedDict[tuple[int, int], int] = OrderedDict()

    def _put(
        self, table: OrderedDict[tuple[int, int], Any], key: tuple[int, int], value: Any
    ) -> None:
        table[key] = value
        table.move_to_end(key)
        while len(table) > self.limit:
            table.popitem(last=False)

    def remember(
        self,
        chat_id: int,
        question_id: int | None,
        answer_id: int,
        intent_id: str | None,
        lang: Lang,
    ) -> None:
        """The bot sent `answer_id` (showing `intent_id`, if an answer) for `question_id`."""
        if question_id is not None:
            self._put(self._replies, (chat_id, question_id), answer_id)
        if intent_id is not None:
            self._put(self._intents, (chat_id, answer_id), (intent_id, lang))
        else:
            self._intents.pop((chat_id, answer_id), None)

    def intent_of(self, chat_id: int, message_id: int) -> tuple[str, Lang] | None:
        """The intent (and language) an answer message of the bot shows, if remembered."""
        return self._intents.get((chat_id, message_id))

    def answer_to(self, chat_id: int, question_id: int) -> int | None:
        """The bot's answer message to a question message, if remembered."""
        return self._replies.get((chat_id, question_id))


def recent(context: ContextTypes.DEFAULT_TYPE) -> RecentAnswers:
    """The application's RecentAnswers (made on first use)."""
    return recent_in(context.bot_data)


def recent_in(bot_data: dict[Any, Any]) -> RecentAnswers:
    value = bot_data.get("recent_answers")
    if not isinstance(value, RecentAnswers):
        value = bot_data["recent_answers"] = RecentAnswers()
    return value
