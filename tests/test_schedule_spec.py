"""The pure side of /schedule: parsing, the next slot in a time zone, late slots, card order."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from dnws_bot.engine import Engine
from dnws_bot.schedule_spec import (
    MISSED_GRACE,
    Spec,
    SpecError,
    card_order,
    catch_up,
    next_run_after,
    parse,
)

TOKYO = ZoneInfo("Asia/Tokyo")
BERLIN = ZoneInfo("Europe/Berlin")


def at(tz: ZoneInfo, *fields: int) -> float:
    return datetime(*fields, tzinfo=tz).timestamp()  # type: ignore[misc]


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        ("quiz daily 09:00", Spec("quiz", "daily", 9, 0, "Asia/Tokyo")),
        ("card weekdays 21:30", Spec("card", "weekdays", 21, 30, "Asia/Tokyo")),
        ("quiz weekly mon 20:00", Spec("quiz", "mon", 20, 0, "Asia/Tokyo")),
        ("quiz weekly Friday 7:05", Spec("quiz", "fri", 7, 5, "Asia/Tokyo")),
        ("quiz sun 08:00", Spec("quiz", "sun", 8, 0, "Asia/Tokyo")),
        ("QUIZ daily 09:00 sanctions", Spec("quiz", "daily", 9, 0, "Asia/Tokyo", "sanctions")),
        (
            "card daily 06:00 obstacles Europe/Berlin",
            Spec("card", "daily", 6, 0, "Europe/Berlin", "obstacles"),
        ),
        ("quiz daily 23:59 UTC", Spec("quiz", "daily", 23, 59, "UTC")),
        ("quiz 毎日 09:00", Spec("quiz", "daily", 9, 0, "Asia/Tokyo")),
        ("card 平日 21:00", Spec("card", "weekdays", 21, 0, "Asia/Tokyo")),
        ("quiz 毎週 月曜 20:00 制裁", Spec("quiz", "mon", 20, 0, "Asia/Tokyo", "制裁")),
        ("quiz daily 09：00", Spec("quiz", "daily", 9, 0, "Asia/Tokyo")),
    ],
)
def test_schedules_parse_in_english_and_japanese(words: str, expected: Spec) -> None:
    """Kind, days, time, optional topic and optional zone come out of the command's words."""
    assert parse(words.split(), "Asia/Tokyo") == expected


@pytest.mark.parametrize(
    ("words", "key"),
    [
        ("", "schedule_usage"),
        ("poll daily 09:00", "schedule_usage"),
        ("quiz hourly 09:00", "schedule_usage"),
        ("quiz daily", "schedule_usage"),
        ("quiz daily 24:00", "schedule_usage"),
        ("quiz daily 9am", "schedule_usage"),
        ("quiz weekly 09:00", "schedule_usage"),
        ("quiz daily 09:00 Mars/Olympus", "schedule_bad_timezone"),
    ],
)
def test_malformed_schedules_name_the_sentence_that_explains(words: str, key: str) -> None:
    """Anything else is refused with the usage line, or the time-zone line for a bad zone."""
    with pytest.raises(SpecError) as refused:
        parse(words.split(), "Asia/Tokyo")
    assert refused.value.key == key


def test_describe_reads_back_as_a_command() -> None:
    """A schedule's description is the command that would make it again, plus its zone."""
    spec = parse(["quiz", "weekly", "mon", "20:00", "sanctions"], "Asia/Tokyo")
    assert spec.describe() == "quiz weekly mon 20:00 sanctions (Asia/Tokyo)"
    assert parse(spec.describe().split()[:-1], "Asia/Tokyo") == spec


def test_next_run_is_the_next_wall_clock_slot_in_the_zone() -> None:
    """Daily 09:00 Tokyo: later today before nine, tomorrow from nine on (strictly after)."""
    spec = Spec("quiz", "daily", 9, 0, "Asia/Tokyo")
    assert next_run_after(spec, at(TOKYO, 2026, 3, 2, 8, 59)) == at(TOKYO, 2026, 3, 2, 9, 0)
    assert next_run_after(spec, at(TOKYO, 2026, 3, 2, 9, 0)) == at(TOKYO, 2026, 3, 3, 9, 0)


def test_weekdays_skip_the_weekend_and_weekly_waits_for_its_day() -> None:
    """Friday evening → Monday for weekdays; a Tuesday → next Monday for weekly mon."""
    weekdays = Spec("card", "weekdays", 21, 0, "Asia/Tokyo")
    friday_late = at(TOKYO, 2026, 3, 6, 22, 0)  # 2026-03-06 is a Friday
    assert next_run_after(weekdays, friday_late) == at(TOKYO, 2026, 3, 9, 21, 0)
    weekly = Spec("quiz", "mon", 20, 0, "Asia/Tokyo")
    assert next_run_after(weekly, at(TOKYO, 2026, 3, 3, 12, 0)) == at(TOKYO, 2026, 3, 9, 20, 0)
    assert next_run_after(weekly, at(TOKYO, 2026, 3, 9, 20, 0)) == at(TOKYO, 2026, 3, 16, 20, 0)


def test_daylight_saving_keeps_the_local_time() -> None:
    """Across Berlin's spring change the post stays at 09:00 local (the UTC hour moves)."""
    spec = Spec("quiz", "daily", 9, 0, "Europe/Berlin")
    before = next_run_after(spec, at(BERLIN, 2026, 3, 27, 12, 0))
    after = next_run_after(spec, before)
    assert (
        datetime.fromtimestamp(before, BERLIN).hour
        == 9
        == datetime.fromtimestamp(after, BERLIN).hour
    )
    assert after - before == 23 * 3600  # the night of 2026-03-29 is one hour short


def test_a_slot_less_than_an_hour_late_runs_once_and_an_older_one_is_skipped() -> None:
    """catch_up: 59 minutes late → post; 61 minutes late → skip; either way the next slot."""
    spec = Spec("quiz", "daily", 9, 0, "Asia/Tokyo")
    slot = at(TOKYO, 2026, 3, 2, 9, 0)
    tomorrow = at(TOKYO, 2026, 3, 3, 9, 0)
    assert catch_up(spec, slot, slot + MISSED_GRACE - 60) == (True, tomorrow)
    assert catch_up(spec, slot, slot + MISSED_GRACE + 60) == (False, tomorrow)


def test_after_days_down_only_the_latest_missed_slot_counts() -> None:
    """Down three days, back 30 minutes after today's slot: one post (today's), not three."""
    spec = Spec("quiz", "daily", 9, 0, "Asia/Tokyo")
    first_missed = at(TOKYO, 2026, 3, 2, 9, 0)
    now = at(TOKYO, 2026, 3, 5, 9, 30)
    assert catch_up(spec, first_missed, now) == (True, at(TOKYO, 2026, 3, 6, 9, 0))
    assert catch_up(spec, first_missed, at(TOKYO, 2026, 3, 5, 8, 0)) == (
        False,
        at(TOKYO, 2026, 3, 5, 9, 0),
    )


def test_cards_follow_the_article_map_then_the_rest_once_each(shared_engine: Engine) -> None:
    """Card order: every map line top to bottom, then other content intents; no small talk."""
    order = card_order(shared_engine.catalogue)
    assert order[: len(shared_engine.map_lines("en"))] == [
        line.intent_id for line in shared_engine.map_lines("en")
    ]
    assert len(order) == len(set(order))
    assert not any(i.startswith(("smalltalk.", "meta.source")) for i in order)
    assert 28 <= len(order) <= 31 + 5  # about a month of daily cards
