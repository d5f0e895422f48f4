"""Admin commands: gated to ADMIN_IDS everywhere; /reload swaps a valid catalogue atomically."""

from __future__ import annotations

import asyncio
import json
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from botapi import BotApiStandIn, updates
from conftest import ADMIN_ID, RunningBot, start_bot
from dnws_bot.engine import Engine, default_intents_dir
from dnws_bot.engine.record import replace

GROUP = -1005550001


@pytest.mark.parametrize("command", ["stats", "reload"])
@pytest.mark.parametrize("where", ["private", "group", "anonymous_admin"])
async def test_admin_commands_refuse_everyone_else(
    bot: RunningBot, command: str, where: str
) -> None:
    """A non-admin (also in a group, also an anonymous group admin) gets 'not allowed'."""
    if where == "private":
        bot.feed(updates.command(7001, 7001, command))
        chat = 7001
    elif where == "group":
        bot.feed(updates.command(GROUP, 7001, command))
        chat = GROUP
    else:
        bot.feed(updates.anonymous_admin_message(GROUP, f"/{command}"))
        chat = GROUP
    call = await bot.reply_to(chat)
    assert "admin" in call.result["text"] or "管理者" in call.result["text"]


async def test_admin_sees_stats(bot: RunningBot) -> None:
    """/stats from an admin shows questions, answer rate and feedback."""
    await bot.say("NPTとは")
    bot.feed(updates.command(ADMIN_ID, ADMIN_ID, "stats", language_code="en"))
    call = await bot.reply_to(ADMIN_ID)
    assert "questions: 1" in call.result["text"]
    assert "answered" in call.result["text"]


async def test_stats_speak_the_admins_language(bot: RunningBot) -> None:
    """/stats labels come from texts.yaml in the admin's language, not English typed in Python."""
    await bot.say("NPTとは")
    bot.feed(updates.command(ADMIN_ID, ADMIN_ID, "stats", language_code="ja"))
    call = await bot.reply_to(ADMIN_ID)
    assert "質問数: 1" in call.result["text"]
    assert "questions:" not in call.result["text"]


@pytest.fixture
def editable_intents(tmp_path: Path) -> Path:
    target = tmp_path / "intents"
    shutil.copytree(default_intents_dir(), target)
    return target


@pytest.fixture
async def editable_bot(
    api: BotApiStandIn, tmp_path: Path, editable_intents: Path
) -> AsyncIterator[RunningBot]:
    """The bot serving a copy of intents/ that the test may edit and then /reload."""
    engine = Engine.load(editable_intents)
    running, stop, task = await start_bot(api, tmp_path, engine, intents_dir=editable_intents)
    yield running
    stop.set()
    await asyncio.wait_for(task, timeout=15)


async def test_reload_refuses_an_invalid_catalogue_and_keeps_serving(
    editable_bot: RunningBot, editable_intents: Path
) -> None:
    """An invalid intents/ is refused with its errors; the old catalogue keeps answering."""
    path = editable_intents / "glossary.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("related:", "relatd:", 1), encoding="utf-8")
    editable_bot.feed(updates.command(ADMIN_ID, ADMIN_ID, "reload", language_code="en"))
    call = await editable_bot.reply_to(ADMIN_ID)
    assert "refused" in call.result["text"] and "glossary.yaml" in call.result["text"]
    assert (await editable_bot.say("P5とは")).ok


async def test_reload_refuses_a_catalogue_without_the_bots_sentences(
    editable_bot: RunningBot, editable_intents: Path
) -> None:
    """A texts.yaml that lacks a sentence the bot shows is refused, naming the missing key."""
    path = editable_intents / "texts.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("  share_label:", "  shared_label:", 1), encoding="utf-8")
    editable_bot.feed(updates.command(ADMIN_ID, ADMIN_ID, "reload", language_code="en"))
    call = await editable_bot.reply_to(ADMIN_ID)
    assert "refused" in call.result["text"] and "'share_label' is missing" in call.result["text"]
    answer = await editable_bot.say("what is the npt", language_code="en")
    assert "↗ Share" in json.dumps(answer.params["reply_markup"], ensure_ascii=False)


async def test_reload_swaps_a_valid_catalogue_while_questions_are_in_flight(
    editable_bot: RunningBot, editable_intents: Path
) -> None:
    """A valid edit is live after /reload; questions sent during the reload all get answers."""
    path = editable_intents / "glossary.yaml"
    text = path.read_text(encoding="utf-8")
    new_title = "P5(改訂版)"
    edited = text.replace('title: {ja: "P5とは"', f'title: {{ja: "{new_title}"', 1)
    assert edited != text
    path.write_text(edited, encoding="utf-8")
    for user in range(8101, 8121):
        editable_bot.feed(updates.private_text(user, user, "P5とは"))
    editable_bot.feed(updates.command(ADMIN_ID, ADMIN_ID, "reload", language_code="en"))
    for user in range(8121, 8141):
        editable_bot.feed(updates.private_text(user, user, "P5とは"))
    sent = await editable_bot.api.wait_for_count("sendMessage", 41, timeout=20)
    answered = {int(c.params["chat_id"]) for c in sent if c.ok}
    assert answered >= set(range(8101, 8141)) | {ADMIN_ID}
    confirmation = next(c for c in sent if int(c.params["chat_id"]) == ADMIN_ID)
    assert "reloaded" in confirmation.result["text"]
    after = await editable_bot.say("P5とは", user_id=8200)
    assert new_title in after.result["text"]


def test_settings_override_is_plain_data() -> None:
    """Settings are immutable values; overriding one field leaves the original untouched."""
    from dnws_bot.settings import Settings

    base = Settings()
    changed = replace(base, max_messages_per_second=5.0)
    assert base.max_messages_per_second == 30.0 and changed.max_messages_per_second == 5.0
