"""Posting what /schedule set up when it is due: a quiz poll or a "concept of the day"
card (one answer with its buttons, in article-map order, so a group reads the whole article in
about a month).

Schedules live in the store. One JobQueue job checks every TICK_SECONDS what is due; at start
the same check runs at once, so a slot missed while the bot was down is posted if it is less
than an hour late and skipped otherwise (`schedule_spec.catch_up`). The clock is injectable."""

from __future__ import annotations

import asyncio
import logging
import random
import time
import warnings
from collections.abc import Callable
from typing import Any, cast

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.constants import ChatType, PollType
from telegram.error import Forbidden, TelegramError
from telegram.ext import Application, ContextTypes
from telegram.warnings import PTBDeprecationWarning

from ..engine import as_mode
from ..engine.html_subset import escape
from ..engine.language import Lang
from ..engine.study import pick_question
from ..schedule_spec import card_order, catch_up
from ..store import Store
from ..store.schedules import ScheduleRow
from .keyboards import answer_keyboard, deep_link
from .recent import recent_in
from .services import Services
from .study import quiz_topic
from .texts import ui

log = logging.getLogger(__name__)

TICK_SECONDS = 30.0


class Scheduler:
    """Runs due schedules, never two checks at once, by its (injectable) clock."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock
        self._lock = asyncio.Lock()

    async def run_due(self, bot: Bot, bot_data: dict[Any, Any], now: float | None = None) -> int:
        """Post every schedule due at `now` (default: the clock), or skip it when its slot is
        more than an hour late; move each to its next slot. Returns how many were posted."""
        svc = services_in(bot_data)
        if svc.store is None:
            return 0
        async with self._lock:
            now = self.clock() if now is None else now
            posted = 0
            for row in await svc.store.call(Store.due_schedules, now):
                run, following = catch_up(row.spec, row.next_run, now)
                position = row.position
                if run:
                    try:
                        position = await post(bot, svc, bot_data, row)
                        posted += 1
                    except Forbidden as exc:  # removed from the chat, or blocked
                        log.info("schedules of chat %s removed: %s", row.chat_id, exc.message)
                        await svc.store.call(Store.remove_chat_schedules, row.chat_id)
                        continue
                    except TelegramError as exc:
                        log.warning("scheduled post %s failed: %s", row.id, exc)
                else:
                    log.info("scheduled post %s skipped: its slot passed over an hour ago", row.id)
                await svc.store.call(Store.advance_schedule, row.id, following, position)
            return posted


def services_in(bot_data: dict[Any, Any]) -> Services:
    value = bot_data["services"]
    assert isinstance(value, Services)
    return value


def scheduler_of(bot_data: dict[Any, Any]) -> Scheduler:
    value = bot_data["scheduler"]
    assert isinstance(value, Scheduler)
    return value


def install(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Give the application its Scheduler and the JobQueue job that checks every tick."""
    application.bot_data["scheduler"] = Scheduler()
    if application.job_queue is None:  # pragma: no cover - the job-queue extra is a dependency
        log.warning("no JobQueue (python-telegram-bot[job-queue]): scheduled posts are off")
        return
    application.job_queue.run_repeating(_tick, TICK_SECONDS, first=TICK_SECONDS, name="schedules")


async def _tick(context: ContextTypes.DEFAULT_TYPE) -> None:
    await scheduler_of(context.bot_data).run_due(context.bot, context.bot_data)


async def start(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """At start: post what fell due while the bot was down (if less than an hour late)."""
    await scheduler_of(application.bot_data).run_due(application.bot, application.bot_data)


async def post(bot: Bot, svc: Services, bot_data: dict[Any, Any], row: ScheduleRow) -> int:
    """Send one scheduled post; returns the schedule's next card position."""
    engine = svc.engine
    mode = as_mode(await svc.chat_lang(row.chat_id)) or as_mode(row.lang) or "ja"
    lang: Lang = mode if mode in ("ja", "en") else "ja"
    topic = quiz_topic(engine, row.spec.topic) if row.spec.topic else None
    if row.spec.kind == "card":
        order = card_order(engine.catalogue)
        order = [i for i in order if topic and i.startswith(f"{topic}.")] or order
        index = row.position % len(order)
        reply = engine.intent_reply(order[index], mode)
        header = ui(engine, "card_header", lang, number=str(index + 1), total=str(len(order)))
        if row.chat_type == ChatType.CHANNEL:  # a button there would post into the channel
            label = ui(engine, "open_in_bot_label", lang)
            link = InlineKeyboardButton(label, url=deep_link(bot.username, order[index]))
            keyboard: InlineKeyboardMarkup | None = InlineKeyboardMarkup([[link]])
        else:
            keyboard = answer_keyboard(engine, reply, bot.username)
        sent = await bot.send_message(
            row.chat_id, f"{escape(header)}\n\n{reply.html}", reply_markup=keyboard
        )
        recent_in(bot_data).remember(row.chat_id, None, sent.message_id, order[index], reply.lang)
        return index + 1
    await _post_quiz(bot, svc, row, lang, topic)
    return row.position


async def _post_quiz(
    bot: Bot, svc: Services, row: ScheduleRow, lang: Lang, topic: str | None
) -> None:
    """A quiz poll like /quiz (no repeats until every question was asked); anonymous in a
    channel, where Telegram allows no other kind and no answers are scored."""
    questions = svc.engine.catalogue.study.quiz
    store = svc.store
    if not questions or store is None:
        return
    asked = await store.call(Store.quiz_asked, row.chat_id)
    question, restart = pick_question(questions, asked, topic, random.Random())
    if restart:
        await store.call(Store.reset_quiz, row.chat_id)
    anonymous = row.chat_type == ChatType.CHANNEL
    with warnings.catch_warnings():  # as in study.cmd_quiz: correct_option_id is documented
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        sent = await bot.send_poll(
            row.chat_id,
            question.question.get(lang),
            list(question.options[lang]),
            type=PollType.QUIZ,
            correct_option_id=cast(Any, question.correct),
            explanation=question.explanation.get(lang),
            is_anonymous=anonymous,
        )
    await store.call(Store.mark_quiz_asked, row.chat_id, question.id)
    if not anonymous and sent.poll is not None:
        await store.call(
            Store.remember_poll, sent.poll.id, row.chat_id, question.id, question.correct
        )
