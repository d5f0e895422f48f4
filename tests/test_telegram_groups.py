"""Study groups: answer only when addressed, quote the asker, stay in the forum topic."""

from __future__ import annotations

import pytest

from botapi import updates
from conftest import BOT_USERNAME, RunningBot
from phone import phone_lines

GROUP = -1001234567890


async def test_plain_group_chatter_is_ignored(bot: RunningBot) -> None:
    """Messages that neither mention nor reply to the bot get no answer."""
    bot.feed(updates.group_text(GROUP, 2001, "DNWSって何だろうね"))
    assert not await bot.quiet()


async def test_ask_command_answers_quoting_the_asker(bot: RunningBot) -> None:
    """/ask <question> is answered as a reply to the asker's message."""
    update = bot.feed(updates.command(GROUP, 2001, "ask", "P5とは"))
    call = await bot.reply_to(GROUP)
    reply_parameters = call.params.get("reply_parameters") or {}
    assert reply_parameters.get("message_id") == update["message"]["message_id"]
    assert "P5" in call.result["text"]


async def test_ask_with_bot_username_is_answered(bot: RunningBot) -> None:
    """/ask@<botname> <question> is answered."""
    bot.feed(updates.command(GROUP, 2001, "ask", "what is the npt", bot_username=BOT_USERNAME))
    assert "NPT" in (await bot.reply_to(GROUP)).result["text"]


async def test_commands_for_other_bots_are_ignored(bot: RunningBot) -> None:
    """/ask@some_other_bot is not ours to answer."""
    bot.feed(updates.command(GROUP, 2001, "ask", "what is the npt", bot_username="other_bot"))
    assert not await bot.quiet()


async def test_mention_is_answered_with_the_mention_stripped(bot: RunningBot) -> None:
    """'@bot question' is answered; the mention does not disturb matching."""
    bot.feed(updates.group_text(GROUP, 2001, f"@{BOT_USERNAME} 再突入技術って何?"))
    call = await bot.reply_to(GROUP)
    assert bot.engine.catalogue.by_id["glossary.reentry"].title.ja in call.result["text"]


async def test_reply_to_the_bot_is_answered(bot: RunningBot) -> None:
    """Replying to one of the bot's messages asks a question."""
    bot.feed(updates.command(GROUP, 2001, "ask", "P5とは"))
    first = await bot.reply_to(GROUP)
    bot.feed(updates.group_text(GROUP, 2002, "非核化とは?", reply_to=first.result))
    second = await bot.reply_to(GROUP)
    assert "非核化" in second.result["text"]


async def test_ask_as_reply_answers_the_replied_message(bot: RunningBot) -> None:
    """/ask sent as a reply to someone's question answers that question."""
    question = bot.feed(updates.group_text(GROUP, 2003, "延長抑止ってなに"))["message"]
    bot.feed(updates.command(GROUP, 2004, "ask", reply_to=question))
    call = await bot.reply_to(GROUP)
    title = bot.engine.catalogue.by_id["glossary.extended_deterrence"].title.ja
    assert title in call.result["text"]


async def test_forum_topic_reply_stays_in_the_topic(bot: RunningBot) -> None:
    """In a forum supergroup the answer goes to the same topic thread."""
    bot.feed(updates.command(GROUP, 2001, "ask", "P5とは", is_forum=True, message_thread_id=77))
    call = await bot.reply_to(GROUP)
    assert call.params.get("message_thread_id") == 77


async def test_sticker_in_group_is_silence(bot: RunningBot) -> None:
    """A sticker in a group gets no reply at all."""
    bot.feed(updates.sticker(GROUP, 2001))
    assert not await bot.quiet()


async def test_follow_up_context_does_not_leak_between_users(bot: RunningBot) -> None:
    """User A's context resolves A's follow-up, never user B's in the same group."""
    bot.feed(updates.command(GROUP, 2001, "ask", "インドはどうやって核保有国になった?"))
    await bot.reply_to(GROUP)
    bot.feed(updates.command(GROUP, 2002, "ask", "詳しく"))
    other = await bot.reply_to(GROUP)
    bot.feed(updates.command(GROUP, 2001, "ask", "詳しく"))
    same = await bot.reply_to(GROUP)
    related_titles = [
        bot.engine.catalogue.by_id[i].title.ja
        for i in bot.engine.catalogue.by_id["case.india"].related
    ]
    assert not any(t in other.result["text"] for t in related_titles)
    assert any(t in same.result["text"] for t in related_titles)


async def test_channel_post_never_crashes(bot: RunningBot) -> None:
    """A channel post (no user) is ignored without an error."""
    bot.feed(updates.channel_post(-1009876543210, "DNWSとは"))
    assert not await bot.quiet()
    bot.feed(updates.command(GROUP, 2001, "ask", "P5とは"))
    assert (await bot.reply_to(GROUP)).ok


async def test_group_migration_keeps_the_language_setting(bot: RunningBot) -> None:
    """When a group becomes a supergroup, its /lang choice moves with it."""
    old, new = -4001, -1004001
    bot.api.set_member(old, 2001, "creator")
    bot.feed(updates.command(old, 2001, "lang", "en"))
    await bot.reply_to(old)
    bot.feed(updates.migrate_to_chat(old, new, 2001))
    await bot.quiet(0.3)
    bot.feed(updates.command(new, 2001, "ask", "NPTとは"))
    call = await bot.reply_to(new)
    assert "Source" in call.result["text"]


@pytest.mark.parametrize("language_code", ["ja", "en"])
async def test_only_group_admins_change_the_groups_language(
    bot: RunningBot, language_code: str
) -> None:
    """A member's /lang en is refused in their language; an admin's works; answers follow."""
    group = -1005550001
    bot.api.add_chat(group, chat_type="supergroup", title="study")
    bot.api.set_member(group, 2101, "member")
    bot.api.set_member(group, 2102, "administrator")
    bot.feed(updates.command(group, 2101, "lang", "en", language_code=language_code))
    refusal = await bot.reply_to(group)
    expected = bot.engine.text("lang_admins_only").get(language_code)  # type: ignore[arg-type]
    assert refusal.result["text"] == expected
    bot.feed(updates.command(group, 2101, "ask", "NPTとは", language_code=language_code))
    assert "出典" in (await bot.reply_to(group)).result["text"]
    bot.feed(updates.command(group, 2102, "lang", "en", language_code=language_code))
    await bot.reply_to(group)
    bot.feed(updates.command(group, 2101, "ask", "NPTとは", language_code=language_code))
    assert "Source" in (await bot.reply_to(group)).result["text"]


async def test_admin_lookups_are_cached_briefly(bot: RunningBot) -> None:
    """Two language changes by the same admin within a minute cost one getChatMember."""
    group = -1005550002
    bot.api.add_chat(group, chat_type="supergroup", title="study")
    bot.api.set_member(group, 2103, "creator")
    for mode in ("en", "ja"):
        bot.feed(updates.command(group, 2103, "lang", mode, language_code="en"))
        await bot.reply_to(group)
    assert bot.api.count("getChatMember", chat_id=group, user_id=2103) == 1


async def test_a_member_pressing_a_language_button_is_refused(bot: RunningBot) -> None:
    """In a group, the /settings buttons change nothing for a member (a short alert)."""
    group = -1005550003
    bot.api.add_chat(group, chat_type="supergroup", title="study")
    bot.api.set_member(group, 2104, "member")
    bot.feed(updates.command(group, 2104, "settings", language_code="en"))
    menu = await bot.reply_to(group)
    presser = {"id": 2104, "is_bot": False, "first_name": "M", "language_code": "en"}
    bot.feed(updates.callback_query(presser, menu.result, "l:en", query_id="lq-member"))
    answered = await bot.api.wait_for("answerCallbackQuery")
    assert answered.params["text"] == bot.engine.text("lang_admins_only").en
    assert answered.params.get("show_alert") is True
    bot.feed(updates.command(group, 2104, "ask", "NPTとは"))
    assert "出典" in (await bot.reply_to(group)).result["text"]


@pytest.mark.parametrize("language_code", ["ja", "en"])
async def test_group_help_puts_ask_first_and_fits_a_phone(
    bot: RunningBot, language_code: str
) -> None:
    """/help in a group starts its command list with /ask and fits a phone (≤ 18 lines)."""
    bot.feed(updates.command(GROUP, 2105, "help", language_code=language_code))
    call = await bot.reply_to(GROUP)
    commands = [line for line in call.result["text"].split("\n") if line.startswith("/")]
    assert commands[0].startswith("/ask")
    assert phone_lines(call.result) <= 18


@pytest.mark.parametrize(("question", "lang"), [("DNWSとは", "ja"), ("what is a dnws", "en")])
async def test_group_answer_quotes_the_asker_and_folds_the_long_part(
    bot: RunningBot, question: str, lang: str
) -> None:
    """A group answer quotes the asker, folds its long body, keeps one source line."""
    update = bot.feed(updates.command(GROUP, 2106, "ask", question, language_code=lang))
    call = await bot.reply_to(GROUP)
    assert call.params["reply_parameters"]["message_id"] == update["message"]["message_id"]
    assert [e["type"] for e in call.result["entities"]].count("expandable_blockquote") == 1
    assert call.result["text"].count("38 North (2025-03-14)") == 1


async def test_an_anonymous_admin_may_change_the_language(bot: RunningBot) -> None:
    """A /lang sent as the group itself (an anonymous admin) is accepted without a lookup."""
    group = -1005550004
    bot.feed(updates.anonymous_admin_message(group, "/lang en"))
    done = await bot.reply_to(group)
    assert done.result["text"] == bot.engine.text("lang_set").en.format(mode="English")
    assert bot.api.count("getChatMember", chat_id=group) == 0


def test_the_admin_cache_forgets_after_a_minute() -> None:
    """An admin answer is reused for 60 s of the injected clock, then asked again."""
    from dnws_bot.telegram.chat_admins import AdminCache

    now = [1000.0]
    cache = AdminCache(clock=lambda: now[0])
    cache.put(-1, 7, True)
    now[0] += 59.9
    assert cache.get(-1, 7) is True
    now[0] += 0.1
    assert cache.get(-1, 7) is None
    assert cache.get(-1, 8) is None
