"""/schedule end to end: real Applications on one SQLite file against the stand-in, with an
injected clock (no sleeps): adding, listing, removing, administrator gating in groups and
channels, posting quizzes and concept cards, and schedules across a restart."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from botapi import BotApiStandIn, Call, updates
from dnws_bot.engine import Engine
from dnws_bot.schedule_spec import card_order, parse
from dnws_bot.settings import Settings, SettingsError
from dnws_bot.store import AsyncStore, Store
from dnws_bot.telegram.app import ALLOWED_UPDATES, build_application, register_commands
from dnws_bot.telegram.schedule_posts import scheduler_of

USER = 3001
GROUP = -1009990001
CHANNEL = -1009990002
TOKYO = ZoneInfo("Asia/Tokyo")
MONDAY_8AM = datetime(2026, 3, 2, 8, 0, tzinfo=TOKYO).timestamp()
MONDAY_9AM = datetime(2026, 3, 2, 9, 0, tzinfo=TOKYO).timestamp()
DAY = 86400.0


class Clock:
    """The time the scheduler sees; tests move it by hand."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class Bot:
    """One running Application: feed commands, read replies, run the due-check."""

    def __init__(self, api: BotApiStandIn, application: Any, clock: Clock) -> None:
        self.api, self.application, self.clock = api, application, clock

    async def command(self, chat_id: int, text: str, lang: str = "en", **kw: Any) -> str:
        name, _, args = text.partition(" ")
        self.api.feed(updates.command(chat_id, USER, name, args, language_code=lang, **kw))
        return (await self.sent(chat_id)).result["text"]

    async def sent(self, chat_id: int, method: str = "sendMessage") -> Call:
        call = await self.api.wait_for(
            method, lambda c: int(c.params.get("chat_id", 0)) == chat_id, timeout=10
        )
        assert call.ok, call.description
        return call

    async def run_due(self, now: float) -> int:
        self.clock.now = now
        app = self.application
        return await scheduler_of(app.bot_data).run_due(app.bot, app.bot_data)


@asynccontextmanager
async def running(
    api: BotApiStandIn, db: Path, engine: Engine, now: float, timezone: str = "Asia/Tokyo"
) -> AsyncIterator[Bot]:
    """Start the bot as `dnws-bot run` does, with the scheduler's clock at `now`."""
    settings = Settings(
        token=api.token,
        api_url=api.root_url,
        db_path=db,
        max_messages_per_second=1000.0,
        timezone=timezone,
    )
    store = AsyncStore.open(db)
    application = build_application(settings, engine, store)
    clock = Clock(now)
    scheduler_of(application.bot_data).clock = clock
    try:
        async with application:
            await register_commands(application)  # runs what fell due while the bot was down
            assert application.updater is not None
            await application.updater.start_polling(allowed_updates=ALLOWED_UPDATES, timeout=1)
            await application.start()
            try:
                yield Bot(api, application, clock)
            finally:
                await application.updater.stop()
                await application.stop()
    finally:
        await store.close()


@pytest.fixture
async def bot(api: BotApiStandIn, tmp_path: Path, shared_engine: Engine) -> AsyncIterator[Bot]:
    async with running(api, tmp_path / "bot.sqlite3", shared_engine, MONDAY_8AM) as running_bot:
        yield running_bot


def texts(engine: Engine, key: str, lang: str, **values: str) -> str:
    text = engine.catalogue.texts[key].get(lang)  # type: ignore[arg-type]
    return text.format(**values) if values else text


# --- private chats: add, list, post, remove ----------------------------------------------------


@pytest.mark.parametrize("lang", ["en", "ja"])
async def test_a_private_schedule_is_added_listed_posted_and_removed(
    bot: Bot, shared_engine: Engine, lang: str
) -> None:
    """/schedule quiz daily 09:00 → confirmed with the next slot; listed; at 09:00 a quiz
    poll goes out (once); /unschedule 1 removes it and the list is empty."""
    added = await bot.command(USER, "schedule quiz daily 09:00", lang)
    assert added.startswith("✅") and "quiz daily 09:00 (Asia/Tokyo)" in added
    assert "2026-03-02 09:00" in added
    listing = await bot.command(USER, "schedule", lang)
    assert listing.splitlines()[0] == texts(shared_engine, "schedule_list", lang)
    assert listing.splitlines()[1] == "1. quiz daily 09:00 (Asia/Tokyo)"
    assert await bot.run_due(MONDAY_9AM - 60) == 0
    assert await bot.run_due(MONDAY_9AM + 5) == 1
    poll = await bot.sent(USER, "sendPoll")
    questions = {q.question.get(lang) for q in shared_engine.catalogue.study.quiz}  # type: ignore[arg-type]
    assert poll.params["question"] in questions and poll.params["type"] == "quiz"
    assert await bot.run_due(MONDAY_9AM + 10) == 0  # the slot moved to tomorrow
    removed = await bot.command(USER, "unschedule 1", lang)
    assert removed == texts(shared_engine, "schedule_removed", lang, number="1")
    assert await bot.command(USER, "schedule", lang) == texts(shared_engine, "schedule_none", lang)
    assert await bot.run_due(MONDAY_9AM + DAY) == 0


@pytest.mark.parametrize("lang", ["en", "ja"])
async def test_bad_commands_get_the_usage_or_a_reason(
    bot: Bot, shared_engine: Engine, lang: str
) -> None:
    """A malformed schedule shows the usage; a bad zone or number says what is wrong."""
    usage = texts(shared_engine, "schedule_usage", lang)
    assert await bot.command(USER, "schedule quiz hourly", lang) == usage
    bad_zone = texts(shared_engine, "schedule_bad_timezone", lang)
    assert await bot.command(USER, "schedule card daily 09:00 Mars/Base", lang) == bad_zone
    missing = texts(shared_engine, "schedule_not_found", lang)
    assert await bot.command(USER, "unschedule 3", lang) == missing


async def test_a_chat_has_at_most_ten_schedules(bot: Bot, shared_engine: Engine) -> None:
    """The eleventh schedule in one chat is refused."""
    for hour in range(10):
        assert (await bot.command(USER, f"schedule card daily {hour:02d}:00")).startswith("✅")
    full = texts(shared_engine, "schedule_full", "en", limit="10")
    assert await bot.command(USER, "schedule card daily 11:00") == full


# --- concept cards --------------------------------------------------------------------------


async def test_cards_walk_the_article_map_one_a_day(bot: Bot, shared_engine: Engine) -> None:
    """Each day's card is the next intent in map order, numbered n/total, with its buttons."""
    await bot.command(USER, "schedule card daily 09:00")
    order = card_order(shared_engine.catalogue)
    for day in range(3):
        assert await bot.run_due(MONDAY_9AM + day * DAY + 1) == 1
        card = await bot.sent(USER)
        title = shared_engine.catalogue.by_id[order[day]].title.en
        header = texts(
            shared_engine, "card_header", "en", number=str(day + 1), total=str(len(order))
        )
        assert card.result["text"].startswith(f"{header}\n\n{title}")
        assert card.params["reply_markup"]["inline_keyboard"]


async def test_a_card_topic_keeps_to_its_category(bot: Bot, shared_engine: Engine) -> None:
    """/schedule card daily 09:00 obstacles posts only obstacles intents."""
    await bot.command(USER, "schedule card daily 09:00 obstacles")
    await bot.run_due(MONDAY_9AM + 1)
    text = (await bot.sent(USER)).result["text"]
    titles = [i.title.en for i in shared_engine.catalogue.intents if i.id.startswith("obstacles.")]
    assert any(t in text for t in titles)


# --- groups: administrators only -------------------------------------------------------------


@pytest.mark.parametrize("lang", ["en", "ja"])
async def test_only_group_administrators_change_schedules(
    bot: Bot, shared_engine: Engine, lang: str
) -> None:
    """A member is refused (anyone may list); an administrator adds and removes; the
    getChatMember answer is cached briefly; an anonymous administrator is trusted."""
    refusal = texts(shared_engine, "schedule_admins_only", lang)
    assert await bot.command(GROUP, "schedule quiz daily 09:00", lang) == refusal
    assert await bot.command(GROUP, "unschedule 1", lang) == refusal
    assert await bot.command(GROUP, "schedule", lang) == texts(shared_engine, "schedule_none", lang)
    bot.api.set_member(GROUP, USER, "creator")
    bot.api.set_member(GROUP, USER + 1, "administrator")
    bot.api.feed(updates.command(GROUP, USER + 1, "schedule", "card weekdays 21:00"))
    assert (await bot.sent(GROUP)).result["text"].startswith("✅")
    bot.api.feed(updates.command(GROUP, USER + 1, "schedule", "quiz weekly fri 20:00"))
    assert (await bot.sent(GROUP)).result["text"].startswith("✅")
    assert bot.api.count("getChatMember", chat_id=GROUP, user_id=USER + 1) == 1
    bot.api.feed(updates.anonymous_admin_message(GROUP, "/unschedule 2"))
    assert (await bot.sent(GROUP)).result["text"] == texts(
        shared_engine, "schedule_removed", "en", number="2"
    )
    assert (await bot.command(GROUP, "schedule", lang)).splitlines()[1:] == [
        "1. card weekdays 21:00 (Asia/Tokyo)"
    ]


async def test_being_removed_from_a_group_drops_its_schedules(bot: Bot, tmp_path: Path) -> None:
    """my_chat_member → kicked deletes the group's schedules; a 403 at posting time too."""
    bot.api.set_member(GROUP, USER, "administrator")
    await bot.command(GROUP, "schedule quiz daily 09:00")
    bot.api.feed(
        updates.my_chat_member(
            GROUP, USER, bot.api.bot_user, old_status="member", new_status="kicked"
        )
    )
    await bot.command(USER, "schedule card daily 09:00")  # in order behind the update above
    with Store.open(tmp_path / "bot.sqlite3", readonly=True) as store:
        for _ in range(100):
            if not store.schedules(GROUP):
                break
            await asyncio.sleep(0.05)
        assert store.schedules(GROUP) == []
        bot.api.block(USER)
        assert await bot.run_due(MONDAY_9AM + 1) == 0
        assert store.schedules(USER) == []


# --- channels: from a private chat -------------------------------------------------------------


@pytest.mark.parametrize("lang", ["en", "ja"])
async def test_a_channel_admin_schedules_the_channel_from_a_private_chat(
    bot: Bot, shared_engine: Engine, lang: str
) -> None:
    """/schedule @channel … in a private chat: refused unless the sender and the bot are the
    channel's administrators; then quizzes go to the channel as anonymous polls."""
    bot.api.add_chat(CHANNEL, chat_type="channel", title="DNWS daily", username="dnwsdaily")
    no_channel = texts(shared_engine, "schedule_no_channel", lang)
    assert await bot.command(USER, "schedule @nosuchchannel quiz daily 09:00", lang) == no_channel
    bot.api.set_bot_status(CHANNEL, "member")
    assert await bot.command(USER, "schedule @dnwsdaily quiz daily 09:00", lang) == no_channel
    bot.api.set_bot_status(CHANNEL, "administrator")
    bot.api.set_member(CHANNEL, USER, "member")
    refusal = texts(shared_engine, "schedule_admins_only", lang)
    assert await bot.command(USER, "schedule @dnwsdaily quiz daily 09:00", lang) == refusal
    bot.api.set_member(CHANNEL, USER + 5, "administrator")
    bot.api.feed(updates.command(USER + 5, USER + 5, "schedule", "@dnwsdaily quiz daily 09:00"))
    assert (await bot.sent(USER + 5)).result["text"].startswith("✅")
    bot.api.feed(updates.command(USER + 5, USER + 5, "schedule", "@dnwsdaily"))
    assert (await bot.sent(USER + 5)).result["text"].endswith("1. quiz daily 09:00 (Asia/Tokyo)")
    assert await bot.run_due(MONDAY_9AM + 1) == 1
    poll = await bot.sent(CHANNEL, "sendPoll")
    assert poll.params["is_anonymous"] is True
    bot.api.feed(updates.command(USER + 5, USER + 5, "schedule", "@dnwsdaily card daily 21:00"))
    assert (await bot.sent(USER + 5)).result["text"].startswith("✅")
    assert await bot.run_due(MONDAY_9AM + 12 * 3600 + 1) == 1
    card = await bot.sent(CHANNEL)
    [[button]] = card.params["reply_markup"]["inline_keyboard"]  # no callback into the channel
    assert button["url"].startswith(f"https://t.me/{bot.api.bot_user['username']}?start=")
    in_group = texts(shared_engine, "schedule_channel_from_private", lang)
    bot.api.set_member(GROUP, USER, "administrator")
    assert await bot.command(GROUP, "schedule @dnwsdaily card daily 09:00", lang) == in_group


# --- restarts and missed slots ----------------------------------------------------------------


async def test_schedules_survive_a_restart_and_a_missed_slot_runs_once_if_recent(
    api: BotApiStandIn, tmp_path: Path, shared_engine: Engine
) -> None:
    """Made by one Application, a schedule is run by the next on the same database: a slot
    missed by 30 minutes is posted once at start; one missed by two hours is skipped."""
    db = tmp_path / "bot.sqlite3"
    async with running(api, db, shared_engine, MONDAY_8AM) as first:
        await first.command(USER, "schedule card daily 09:00")
        await first.command(USER, "schedule quiz daily 09:00")
    async with running(api, db, shared_engine, MONDAY_9AM + 30 * 60) as second:
        assert api.count("sendPoll", chat_id=USER) == 1
        card = await second.sent(USER)
        assert card.result["text"].startswith("📖 Concept of the day 1/")
        listing = await second.command(USER, "schedule")
        assert listing.splitlines()[1:] == [
            "1. card daily 09:00 (Asia/Tokyo)",
            "2. quiz daily 09:00 (Asia/Tokyo)",
        ]
        assert await second.run_due(MONDAY_9AM + 40 * 60) == 0
    async with running(api, db, shared_engine, MONDAY_9AM + DAY + 2 * 3600) as third:
        assert api.count("sendPoll", chat_id=USER) == 1  # tuesday's slot: two hours late
        assert await third.run_due(MONDAY_9AM + 2 * DAY + 60) == 2
        card = await third.sent(USER)
        assert card.result["text"].startswith("📖 Concept of the day 2/")  # position kept
    assert (
        len([c for c in api.calls("sendMessage") if "Concept of the day" in c.params["text"]]) == 2
    )


# --- time zones and feedback on cards -----------------------------------------------------------


def test_dnws_timezone_is_read_and_checked() -> None:
    """DNWS_TIMEZONE defaults to Asia/Tokyo, takes an IANA name and refuses anything else."""
    assert Settings.from_env({}).timezone == "Asia/Tokyo"
    assert Settings.from_env({"DNWS_TIMEZONE": "Europe/Berlin"}).timezone == "Europe/Berlin"
    with pytest.raises(SettingsError, match="DNWS_TIMEZONE"):
        Settings.from_env({"DNWS_TIMEZONE": "Tokyo"})


async def test_the_default_zone_comes_from_the_setting(
    api: BotApiStandIn, tmp_path: Path, shared_engine: Engine
) -> None:
    """With DNWS_TIMEZONE=Europe/Berlin, "daily 09:00" means 09:00 in Berlin."""
    berlin = ZoneInfo("Europe/Berlin")
    async with running(
        api, tmp_path / "bot.sqlite3", shared_engine, MONDAY_8AM, "Europe/Berlin"
    ) as bot:
        added = await bot.command(USER, "schedule quiz daily 09:00")
        assert "(Europe/Berlin)" in added and "Mon 2026-03-02 09:00" in added
        slot = datetime(2026, 3, 2, 9, 0, tzinfo=berlin).timestamp()
        assert await bot.run_due(slot - 1) == 0
        assert await bot.run_due(slot + 1) == 1


async def test_a_thumbs_up_on_a_card_is_feedback_on_its_intent(
    bot: Bot, tmp_path: Path, shared_engine: Engine
) -> None:
    """The bot knows which intent a scheduled card shows: 👍 on it is a vote for that intent."""
    await bot.command(USER, "schedule card daily 09:00")
    await bot.run_due(MONDAY_9AM + 1)
    card = (await bot.sent(USER)).result
    bot.api.feed(updates.message_reaction(card, USER, new=["👍"]))
    first = card_order(shared_engine.catalogue)[0]
    with Store.open(tmp_path / "bot.sqlite3", readonly=True) as store:
        for _ in range(100):
            if store.feedback_by_intent(1):
                break
            await asyncio.sleep(0.05)
        votes = store.feedback_by_intent(1)
    assert [(v.intent_id, v.up, v.down) for v in votes] == [(first, 1, 0)]


def test_a_group_that_becomes_a_supergroup_keeps_its_schedules(tmp_path: Path) -> None:
    """migrate_chat moves schedules to the supergroup's new id."""
    with Store.open(tmp_path / "bot.sqlite3") as store:
        spec = parse(["quiz", "daily", "09:00"], "Asia/Tokyo")
        assert store.add_schedule(-4001, "group", spec, "en", MONDAY_9AM) is not None
        assert store.migrate_chat(-4001, GROUP)
        assert store.schedules(-4001) == []
        [moved] = store.schedules(GROUP)
        assert (moved.spec, moved.lang, moved.next_run) == (spec, "en", MONDAY_9AM)


async def test_the_job_queue_checks_schedules_on_each_tick(bot: Bot) -> None:
    """One repeating JobQueue job; when it runs it posts what is due by the scheduler's clock."""
    await bot.command(USER, "schedule quiz daily 09:00")
    job_queue = bot.application.job_queue
    [job] = job_queue.get_jobs_by_name("schedules")
    bot.clock.now = MONDAY_9AM + 1
    await job.run(bot.application)
    assert (await bot.sent(USER, "sendPoll")).ok
    await job.run(bot.application)
    assert bot.api.count("sendPoll", chat_id=USER) == 1
