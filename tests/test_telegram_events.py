"""Around the chat: descriptions and menus at start, the intro when added to a group, the
"Add to a study group" button, edited questions, and 👍/👎 reactions as feedback."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from botapi import updates
from conftest import BOT_USERNAME, RunningBot
from dnws_bot.store import Store

GROUP = -1008880001
ADD_URL = f"https://t.me/{BOT_USERNAME}?startgroup=start"
LANGS = ["en", "ja"]


async def answer(
    bot: RunningBot, caplog: pytest.LogCaptureFixture, update: dict[str, Any]
) -> dict[str, Any]:
    """Feed a question; return the bot's answer once every handler of the update is done
    (its one log line is written), so the bot already knows which answer it sent."""
    fed = bot.feed(update)
    chat_id = fed["message"]["chat"]["id"]
    sent = (await bot.reply_to(chat_id)).result
    needle = f"update={fed['update_id']} "
    for _ in range(200):
        if any(r.getMessage().startswith(needle) for r in caplog.records):
            return sent
        await asyncio.sleep(0.05)
    raise AssertionError(f"update {fed['update_id']} was never logged")


def buttons(params: dict[str, Any]) -> list[dict[str, Any]]:
    markup = params.get("reply_markup") or {}
    return [b for row in markup.get("inline_keyboard", []) for b in row]


async def feedback_totals(bot: RunningBot, expected: tuple[int, int]) -> tuple[int, int]:
    """(👍, 👎) in the store once they equal `expected`, or whatever they are after 5 s."""
    totals = (-1, -1)
    with Store.open(bot.settings.db_path, readonly=True) as store:
        for _ in range(100):
            stats = store.stats()
            totals = (stats.feedback_up, stats.feedback_down)
            if totals == expected:
                break
            await asyncio.sleep(0.05)
    return totals


# --- start: descriptions and menus ------------------------------------------------------------


async def test_descriptions_are_set_in_english_and_japanese_within_limits(bot: RunningBot) -> None:
    """setMyDescription / setMyShortDescription: English as the default, Japanese for ja."""
    await bot.api.wait_for_count("setMyShortDescription", 2, timeout=10)
    texts = bot.engine.catalogue.texts
    for code, lang in (("", "en"), ("ja", "ja")):
        long = bot.api.bot_description(code)
        short = bot.api.bot_description(code, short=True)
        assert long == texts["bot_description"].get(lang) and len(long) <= 512
        assert short == texts["bot_short_description"].get(lang) and len(short) <= 120
    assert "38 North" in bot.api.bot_description("ja", short=True)


@pytest.mark.parametrize("lang", ["", "ja"])
async def test_menus_leave_ask_out_of_private_chats_and_put_it_first_in_groups(
    bot: RunningBot, lang: str
) -> None:
    """The private menus (default and all private chats) lack /ask; the group menu opens with it."""
    await bot.api.wait_for_count("setMyCommands", 6, timeout=10)
    for scope in (None, {"type": "all_private_chats"}):
        names = [c["command"] for c in bot.api.commands(scope, language_code=lang)]
        assert "ask" not in names and "help" in names and "schedule" in names
    group = [c["command"] for c in bot.api.commands({"type": "all_group_chats"}, lang)]
    assert group[0] == "ask" and "schedule" in group


# --- added to a group ---------------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
async def test_added_to_a_group_the_bot_introduces_itself_in_three_lines(
    bot: RunningBot, lang: str
) -> None:
    """my_chat_member left → member: one three-line intro (/ask, mention, reply), in the
    language of whoever added the bot."""
    adder = updates.user(2001, language_code=lang)
    bot.feed(updates.my_chat_member(GROUP, adder, bot.api.bot_user, new_status="member"))
    text = (await bot.reply_to(GROUP)).result["text"]
    assert len(text.splitlines()) == 3
    assert "/ask" in text and f"@{BOT_USERNAME}" in text
    assert ("質問" in text) == (lang == "ja")


@pytest.mark.parametrize("start_first", [False, True])
async def test_joining_via_the_link_gives_one_intro_not_two(
    bot: RunningBot, start_first: bool
) -> None:
    """The startgroup link brings my_chat_member and "/start start" (either order): one intro."""
    joined = updates.my_chat_member(GROUP, 2001, bot.api.bot_user, new_status="member")
    start = updates.command(GROUP, 2001, "start", "start", bot_username=BOT_USERNAME)
    for update in (start, joined) if start_first else (joined, start):
        bot.feed(update)
    intro = (await bot.reply_to(GROUP)).result["text"]
    assert len(intro.splitlines()) == 3 and "/ask" in intro
    assert not await bot.quiet()


async def test_promotion_or_a_channel_gets_no_intro(bot: RunningBot) -> None:
    """member → administrator is not an arrival; a channel gets no public intro post."""
    bot.feed(
        updates.my_chat_member(
            GROUP, 2001, bot.api.bot_user, old_status="member", new_status="administrator"
        )
    )
    bot.feed(
        updates.my_chat_member(
            -1008880002, 2001, bot.api.bot_user, new_status="administrator", chat_type="channel"
        )
    )
    assert not await bot.quiet()


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("command", ["start", "help"])
async def test_start_and_help_offer_add_to_a_study_group_in_private(
    bot: RunningBot, lang: str, command: str
) -> None:
    """/start and /help in a private chat end with a startgroup link button; not in groups."""
    bot.feed(updates.command(1001, 1001, command, language_code=lang))
    private = buttons((await bot.reply_to(1001)).params)
    label = bot.engine.catalogue.texts["add_to_group"].get(lang)  # type: ignore[arg-type]
    assert private[-1] == {"text": label, "url": ADD_URL}
    bot.feed(updates.command(GROUP, 2001, command, language_code=lang))
    assert all("url" not in b for b in buttons((await bot.reply_to(GROUP)).params))


# --- edited questions ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "first", "second", "intent"),
    [
        ("ja", "NPTとは", "P5とは", "glossary.p5"),
        ("en", "what is the NPT", "what is the P5", "glossary.p5"),
    ],
)
async def test_an_edited_private_question_edits_its_answer(
    bot: RunningBot,
    caplog: pytest.LogCaptureFixture,
    lang: str,
    first: str,
    second: str,
    intent: str,
) -> None:
    """Editing a question re-answers it in place (editMessageText), with no new message."""
    update = updates.private_text(1001, 1001, first, language_code=lang)
    reply = await answer(bot, caplog, update)
    bot.feed(updates.edited_message(update["message"], second))
    edit = await bot.api.wait_for("editMessageText", timeout=10)
    assert edit.ok and edit.params["message_id"] == reply["message_id"]
    title = bot.engine.catalogue.by_id[intent].title.get(lang)  # type: ignore[arg-type]
    assert title in bot.api.message(1001, reply["message_id"])["text"]
    assert buttons(edit.params)  # the new answer's own buttons
    assert not [c for c in await bot.quiet() if c.method == "sendMessage"]


async def test_an_edit_that_keeps_the_answer_is_quiet(
    bot: RunningBot, caplog: pytest.LogCaptureFixture
) -> None:
    """A typo fixed without changing the answer: Telegram's "not modified" is no error."""
    update = updates.private_text(1002, 1002, "NPTとは")
    await answer(bot, caplog, update)
    bot.feed(updates.edited_message(update["message"], "NPTとは?"))
    edit = await bot.api.wait_for("editMessageText", timeout=10)
    assert not edit.ok and "not modified" in (edit.description or "")
    assert not [c for c in await bot.quiet() if c.method == "sendMessage"]


async def test_an_edit_after_48_hours_is_left_alone(bot: RunningBot) -> None:
    """A question sent 49 hours ago and edited now gets neither an edit nor a new answer."""
    old = int(time.time()) - 49 * 3600
    question = bot.feed(updates.private_text(1003, 1003, "NPTとは", date=old))["message"]
    await bot.reply_to(1003)
    bot.feed(updates.edited_message(question, "P5とは"))
    assert not await bot.quiet()
    assert not bot.api.calls("editMessageText")


async def test_an_edited_question_the_bot_never_answered_gets_an_answer(bot: RunningBot) -> None:
    """No remembered answer (e.g. sent before a restart): the edit is answered as new."""
    question = updates.private_text(1004, 1004, "NPTとは")["message"]
    bot.feed(updates.edited_message(question, "P5とは"))
    reply = await bot.reply_to(1004)
    assert bot.engine.catalogue.by_id["glossary.p5"].title.ja in reply.result["text"]


@pytest.mark.parametrize("lang", LANGS)
async def test_an_edited_ask_in_a_group_edits_its_answer(
    bot: RunningBot, caplog: pytest.LogCaptureFixture, lang: str
) -> None:
    """/ask edited in a group: the quoted answer is edited; edited chatter stays ignored."""
    update = updates.command(GROUP, 2001, "ask", "NPT", language_code=lang)
    reply = await answer(bot, caplog, update)
    bot.feed(updates.edited_message(update["message"], "/ask P5"))
    edit = await bot.api.wait_for("editMessageText", timeout=10)
    assert edit.ok and edit.params["message_id"] == reply["message_id"]
    assert "P5" in edit.result["text"]
    chatter = bot.feed(updates.group_text(GROUP, 2002, "NPTかな"))["message"]
    bot.feed(updates.edited_message(chatter, "P5かな"))
    assert not await bot.quiet()
    assert len(bot.api.calls("editMessageText")) == 1


# --- reactions ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("lang", "question"), [("ja", "NPTとは"), ("en", "what is the NPT")])
async def test_thumb_reactions_count_as_feedback_once_per_user(
    bot: RunningBot, caplog: pytest.LogCaptureFixture, lang: str, question: str
) -> None:
    """👍 counts; switching to 👎 moves the vote; removing it takes it back; a second user
    counts separately — the same feedback the buttons give."""
    reply = await answer(
        bot, caplog, updates.private_text(1011, 1011, question, language_code=lang)
    )
    bot.feed(updates.message_reaction(reply, 1011, new=["👍"]))
    assert await feedback_totals(bot, (1, 0)) == (1, 0)
    bot.feed(updates.message_reaction(reply, 1011, new=["👎"], old=["👍"]))
    assert await feedback_totals(bot, (0, 1)) == (0, 1)
    bot.feed(updates.message_reaction(reply, 1011, new=[], old=["👎"]))
    assert await feedback_totals(bot, (0, 0)) == (0, 0)
    bot.feed(updates.message_reaction(reply, 1012, new=["🔥", "👍"]))
    assert await feedback_totals(bot, (1, 0)) == (1, 0)


async def test_a_reaction_and_a_button_vote_are_one_vote(
    bot: RunningBot, caplog: pytest.LogCaptureFixture
) -> None:
    """A user who pressed 👍 under the answer and then reacted 👎 has one 👎 vote."""
    reply = await answer(bot, caplog, updates.private_text(1013, 1013, "NPTとは"))
    vote = next(
        b["callback_data"]
        for b in buttons({"reply_markup": reply["reply_markup"]})
        if b["text"] == "👍"
    )
    bot.feed(updates.callback_query(1013, reply, vote))
    await bot.api.wait_for("answerCallbackQuery", timeout=10)
    assert await feedback_totals(bot, (1, 0)) == (1, 0)
    bot.feed(updates.message_reaction(reply, 1013, new=["👎"]))
    assert await feedback_totals(bot, (0, 1)) == (0, 1)


async def test_other_reactions_and_other_messages_count_nothing(
    bot: RunningBot, caplog: pytest.LogCaptureFixture
) -> None:
    """🔥 on an answer, 👍 on a did-you-mean or a user's message, or an anonymous 👍: no vote."""
    known = await answer(bot, caplog, updates.private_text(1014, 1014, "NPTとは"))
    unsure = await answer(bot, caplog, updates.private_text(1014, 1014, "核"))
    mine = bot.feed(updates.private_text(1015, 1015, "hello there"))["message"]
    in_group = await answer(bot, caplog, updates.command(GROUP, 2001, "ask", "NPT"))
    bot.feed(updates.message_reaction(known, 1014, new=["🔥"]))
    bot.feed(updates.message_reaction(unsure, 1014, new=["👍"]))
    bot.feed(updates.message_reaction(mine, 1015, new=["👍"]))
    chat = updates.group_chat(GROUP)
    bot.feed(updates.message_reaction(in_group, None, new=["👍"], actor_chat=chat))
    await bot.quiet()
    assert await feedback_totals(bot, (0, 0)) == (0, 0)


async def test_reactions_in_a_group_count_per_member(
    bot: RunningBot, caplog: pytest.LogCaptureFixture
) -> None:
    """In a group (the bot an administrator), two members' 👍 on one answer are two votes."""
    bot.api.set_bot_status(GROUP, "administrator")
    reply = await answer(bot, caplog, updates.command(GROUP, 2001, "ask", "P5とは"))
    bot.feed(updates.message_reaction(reply, 2001, new=["👍"]))
    bot.feed(updates.message_reaction(reply, 2002, new=["👍"]))
    assert await feedback_totals(bot, (2, 0)) == (2, 0)


async def test_message_reaction_is_subscribed(bot: RunningBot) -> None:
    """getUpdates asks for message_reaction (Telegram leaves it out by default)."""
    await bot.say("NPTとは")
    assert bot.api.subscribed("message_reaction") and bot.api.subscribed("my_chat_member")
