"""Study groups: answer only when addressed, quote the asker, stay in the forum topic."""

from __future__ import annotations

from botapi import updates
from conftest import BOT_USERNAME, RunningBot

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
    bot.feed(updates.command(old, 2001, "lang", "en"))
    await bot.reply_to(old)
    bot.feed(updates.migrate_to_chat(old, new, 2001))
    await bot.quiet(0.3)
    bot.feed(updates.command(new, 2001, "ask", "NPTとは"))
    call = await bot.reply_to(new)
    assert "Source" in call.result["text"]
