"""What the store hands back and takes in: plain frozen rows, no SQLite types."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..engine.language import Lang
from ..engine.matching import Status

if TYPE_CHECKING:
    from ..engine import Reply


@dataclass(frozen=True)
class QuestionRecord:
    """One question's outcome for the log; `unanswered` rows also keep the normalised text and
    the best candidates, for the curator. Nothing about the user."""

    at: float
    status: Status
    intent_id: str | None
    lang: Lang
    chat_type: str
    score: float
    elapsed_ms: float | None = None
    text: str | None = None  # set only for questions without a confident answer
    candidates: tuple[tuple[str, float], ...] = ()

    @classmethod
    def of(
        cls, reply: Reply, question_norm: str, chat_type: str, elapsed_ms: float | None
    ) -> QuestionRecord:
        """The row for one reply, the same from every chat: the normalised question is kept
        only when it got no confident answer, so the curator sees what to add."""
        return cls(
            at=time.time(),
            status=reply.status,
            intent_id=reply.intent_id,
            lang=reply.lang,
            chat_type=chat_type,
            score=reply.score,
            elapsed_ms=elapsed_ms,
            text=question_norm if reply.kind != "answer" else None,
            candidates=reply.candidates,
        )


@dataclass(frozen=True)
class Stats:
    """Totals for /stats."""

    questions: int = 0
    answered: int = 0
    unanswered: int = 0
    feedback_up: int = 0
    feedback_down: int = 0
    top_intents: tuple[tuple[str, int], ...] = ()

    @property
    def answered_share(self) -> float:
        return self.answered / self.questions if self.questions else 0.0


@dataclass(frozen=True)
class PollInfo:
    """What a quiz poll was about, to score the answers Telegram sends later."""

    poll_id: str
    chat_id: int
    question_id: str
    correct_option: int


@dataclass(frozen=True)
class UnansweredRow:
    """One logged question without a confident answer, as the curator report reads it."""

    at: float
    text: str
    lang: str
    chat_type: str
    status: str
    candidates: tuple[tuple[str, float], ...]


@dataclass(frozen=True)
class IntentVotes:
    intent_id: str
    up: int
    down: int


@dataclass(frozen=True)
class DayCount:
    day: str  # YYYY-MM-DD, UTC
    questions: int
    answered: int
