"""Scheduled study posts, as data: parse `/schedule quiz daily 09:00 …`, find the next slot,
decide what a late slot does, and the order of the "concept of the day" cards.

Pure: no Telegram, no store, no wall clock (every function takes the time it reasons about).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .engine.catalogue import Catalogue

Kind = Literal["quiz", "card"]
KINDS: tuple[Kind, ...] = ("quiz", "card")
DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# Japanese spellings a study group may type: 毎日 / 平日 / 毎週 月 (or 月曜, 月曜日).
_JA_DAYS = "月火水木金土日"
_ALIASES = {"毎日": "daily", "平日": "weekdays", "毎週": "weekly", "everyday": "daily"}
MISSED_GRACE = 3600.0  # a slot missed (bot down) runs once at start if less late than this
_TIME = re.compile(r"^([01]?\d|2[0-3])[:：]([0-5]\d)$")
_MAX_TOPIC = 64


class SpecError(ValueError):
    """The words do not make a schedule; `key` names the texts.yaml sentence that says why."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


@dataclass(frozen=True)
class Spec:
    """What to post and when: `days` is "daily", "weekdays" or a day name ("mon" … "sun")."""

    kind: Kind
    days: str
    hour: int
    minute: int
    tz: str
    topic: str = ""

    @property
    def weekdays(self) -> frozenset[int]:
        """The days (Monday = 0) the post goes out, in the schedule's time zone."""
        if self.days == "daily":
            return frozenset(range(7))
        if self.days == "weekdays":
            return frozenset(range(5))
        return frozenset({DAY_NAMES.index(self.days)})

    def describe(self) -> str:
        """The schedule as it would be typed again: "quiz weekly mon 20:00 Asia/Tokyo"."""
        days = self.days if self.days in ("daily", "weekdays") else f"weekly {self.days}"
        topic = f" {self.topic}" if self.topic else ""
        return f"{self.kind} {days} {self.hour:02d}:{self.minute:02d}{topic} ({self.tz})"


def _day(word: str) -> str | None:
    word = word.lower().removesuffix("曜日").removesuffix("曜")
    if word[:3] in DAY_NAMES and len(word) >= 3:
        return word[:3]
    return DAY_NAMES[_JA_DAYS.index(word)] if len(word) == 1 and word in _JA_DAYS else None


def zone(name: str) -> ZoneInfo | None:
    """The IANA time zone, or None for an unknown or malformed name."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def parse(words: list[str], default_tz: str) -> Spec:
    """`quiz|card daily|weekdays|weekly <day> HH:MM [topic …] [Area/City]`, raising SpecError."""
    rest = [w for w in words if w]
    if not rest or rest[0].lower() not in KINDS:
        raise SpecError("schedule_usage")
    kind: Kind = "quiz" if rest.pop(0).lower() == "quiz" else "card"
    when = _ALIASES.get(rest[0].lower(), rest[0].lower()) if rest else ""
    if when in ("daily", "weekdays"):
        days = when
        rest.pop(0)
    elif when == "weekly" and len(rest) > 1 and (day := _day(rest[1])) is not None:
        days = day
        del rest[:2]
    elif rest and (day := _day(rest[0])) is not None:  # "mon 20:00" reads as weekly
        days = day
        rest.pop(0)
    else:
        raise SpecError("schedule_usage")
    match = _TIME.match(rest.pop(0)) if rest else None
    if match is None:
        raise SpecError("schedule_usage")
    tz = default_tz
    if rest and ("/" in rest[-1] or rest[-1].upper() == "UTC"):
        tz = rest.pop()
        if zone(tz) is None:
            raise SpecError("schedule_bad_timezone")
    topic = " ".join(rest)[:_MAX_TOPIC]
    return Spec(kind, days, int(match[1]), int(match[2]), tz, topic)


def next_run_after(spec: Spec, t: float) -> float:
    """The first slot strictly after unix time `t`: the wall-clock time in the schedule's zone
    on one of its days (across DST changes the local time stays, the UTC offset moves)."""
    tz = zone(spec.tz) or ZoneInfo("UTC")
    start: date = datetime.fromtimestamp(t, tz).date()
    at = time(spec.hour, spec.minute)
    for offset in range(8):
        day = start + timedelta(days=offset)
        if day.weekday() not in spec.weekdays:
            continue
        slot = datetime.combine(day, at, tzinfo=tz).timestamp()
        if slot > t:
            return slot
    raise AssertionError("every schedule has a day within a week")  # pragma: no cover


def catch_up(
    spec: Spec, next_run: float, now: float, grace: float = MISSED_GRACE
) -> tuple[bool, float]:
    """At `now`, a schedule whose stored slot is `next_run` (≤ now): post once if the latest
    slot that passed is less than `grace` late, else skip it; either way, the next slot."""
    latest = next_run
    while (following := next_run_after(spec, latest)) <= now:
        latest = following
    return now - latest < grace, next_run_after(spec, now)


def card_order(catalogue: Catalogue) -> list[str]:
    """The concept-of-the-day sequence: the article map top to bottom, then the remaining
    content intents in catalogue order (no small talk or bot meta), each once."""
    order = [entry.intent for entry in catalogue.study.article_map]
    for entry in catalogue.study.article_map:
        at = order.index(entry.intent) + 1
        order[at:at] = list(entry.parts)
    seen = set(order)
    order += [
        i.id
        for i in catalogue.intents
        if i.id not in seen and i.id.split(".", 1)[0] not in ("smalltalk", "meta")
    ]
    return order
