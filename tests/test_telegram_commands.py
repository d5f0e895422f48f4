"""The command table is the one source of the handlers, the Telegram menus and /help."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from telegram import Update
from telegram.ext import ContextTypes

from botapi import BotApiStandIn, updates
from conftest import ADMIN_ID, RunningBot, start_bot
from dnws_bot.engine import CatalogueError, Engine, default_intents_dir
from dnws_bot.settings import Settings
from dnws_bot.telegram import commands
from dnws_bot.telegram.app import build_application
from dnws_bot.telegram.commands import COMMANDS, Command

GROUP = -1001234567890
GROUP_MENU = {"type": "all_group_chats"}
PRIVATE_MENU = {"type": "all_private_chats"}


async def pong(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The fake command's handler."""
    assert update.effective_message is not None
    await update.effective_message.reply_text("pong")


FAKE = (Command("ping", pong, "private"), Command("secret", pong, "admin"))
FAKE_TEXTS = """
  command_ping: {ja: ピン, en: Ping the bot}
  command_ping_help: {ja: 応答確認, en: Is it alive?}
  command_secret: {ja: 秘密, en: Secret (admins)}
"""


@pytest.fixture(scope="module")
def engine_with_fake_texts(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    """The shipped catalogue plus the menu and help lines of the fake commands."""
    intents = tmp_path_factory.mktemp("catalogue") / "intents"
    shutil.copytree(default_intents_dir(), intents)
    with (intents / "texts.yaml").open("a", encoding="utf-8") as texts:
        texts.write(FAKE_TEXTS)
    return Engine.load(intents)


@pytest.fixture
async def bot_with_fakes(
    api: BotApiStandIn,
    tmp_path: Path,
    engine_with_fake_texts: Engine,
    monkeypatch: pytest.MonkeyPatch,
) -> AsyncIterator[RunningBot]:
    """The real bot, built from the shipped table plus a private-only and an admin command."""
    monkeypatch.setattr(commands, "COMMANDS", COMMANDS + FAKE)
    running, stop, task = await start_bot(api, tmp_path, engine_with_fake_texts)
    await api.wait_for_count("setMyCommands", 4, timeout=10)
    yield running
    stop.set()
    await asyncio.wait_for(task, timeout=15)


def menu(api: BotApiStandIn, scope: dict[str, str] | None = None, lang: str = "") -> dict[str, str]:
    return {c["command"]: c["description"] for c in api.commands(scope, language_code=lang)}


async def test_a_new_table_entry_reaches_handlers_menus_and_help(
    bot_with_fakes: RunningBot,
) -> None:
    """One entry in the table is handled, shown in its scope's menus and listed in /help."""
    bot = bot_with_fakes
    assert (await bot.say("/ping", language_code="en")).result["text"] == "pong"
    assert menu(bot.api)["ping"] == "Ping the bot"
    assert menu(bot.api, lang="ja")["ping"] == "ピン"
    assert "ping" not in menu(bot.api, GROUP_MENU)  # private-only
    bot.feed(updates.command(1001, 1001, "help", language_code="en"))
    assert "/ping — Is it alive?" in (await bot.reply_to(1001)).result["text"]
    bot.feed(updates.command(GROUP, 2001, "help", language_code="en"))
    assert "/ping" not in (await bot.reply_to(GROUP)).result["text"]
    bot.feed(updates.command(GROUP, 2001, "ping"))
    assert not await bot.quiet()


async def test_admin_entries_are_gated_hidden_from_menus_and_in_admin_help(
    bot_with_fakes: RunningBot,
) -> None:
    """An admin-scoped entry answers admins only, is in no menu, and is in /help for admins."""
    bot = bot_with_fakes
    assert "secret" not in menu(bot.api) and "secret" not in menu(bot.api, GROUP_MENU)
    assert (await bot.say("/secret", user_id=ADMIN_ID)).result["text"] == "pong"
    assert "admins only" in (await bot.say("/secret", language_code="en")).result["text"]
    bot.feed(updates.command(ADMIN_ID, ADMIN_ID, "help", language_code="en"))
    assert "/secret — Secret (admins)" in (await bot.reply_to(ADMIN_ID)).result["text"]
    bot.feed(updates.command(1001, 1001, "help", language_code="en"))
    assert "/secret" not in (await bot.reply_to(1001)).result["text"]


async def test_menus_list_every_public_command_of_the_table_in_both_languages(
    bot: RunningBot,
) -> None:
    """Menus are the table's non-admin entries in order, in English and Japanese; /ask is left
    out of the private menus (default and all private chats) and comes first in groups."""
    await bot.api.wait_for_count("setMyCommands", 6, timeout=10)
    public = [c.name for c in COMMANDS if c.scope != "admin"]
    private = [c for c in public if c != "ask"]
    texts = bot.engine.catalogue.texts
    expected = ((None, private), (PRIVATE_MENU, private), (GROUP_MENU, ["ask", *private]))
    for scope, names in expected:
        assert list(menu(bot.api, scope).items()) == [(c, texts[f"command_{c}"].en) for c in names]
        assert list(menu(bot.api, scope, "ja").items()) == [
            (c, texts[f"command_{c}"].ja) for c in names
        ]


def test_a_table_entry_without_its_menu_text_is_refused_when_the_bot_is_built(
    api: BotApiStandIn, shared_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A command whose menu line is missing from texts.yaml is a catalogue error at start."""
    monkeypatch.setattr(commands, "COMMANDS", COMMANDS + FAKE)
    settings = Settings(token=api.token, api_url=api.root_url)
    with pytest.raises(CatalogueError) as failure:
        build_application(settings, shared_engine)
    problems = [str(p) for p in failure.value.problems]
    assert len(problems) == 2 and "'command_ping' is missing" in problems[0]
