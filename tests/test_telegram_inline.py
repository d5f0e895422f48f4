"""Inline mode: '@bot query' lists answers to post in any chat."""

from __future__ import annotations

import pytest

from botapi import updates
from conftest import RunningBot


async def test_inline_query_returns_up_to_five_answers_in_the_query_language(
    bot: RunningBot,
) -> None:
    """A Japanese query returns at most 5 article results with Japanese titles and HTML text."""
    bot.feed(updates.inline_query(3001, "北朝鮮の制裁", query_id="iq-1"))
    call = await bot.api.wait_for("answerInlineQuery")
    assert call.ok, call.description
    results = call.params["results"]
    assert 1 <= len(results) <= 5
    assert len({r["id"] for r in results}) == len(results)
    first = results[0]
    assert first["type"] == "article"
    assert first["input_message_content"]["parse_mode"] == "HTML"
    assert first["title"] in {i.title.ja for i in bot.engine.catalogue.intents}
    assert call.params.get("cache_time") is not None


async def test_empty_inline_query_lists_main_topics_personally(bot: RunningBot) -> None:
    """An empty query shows the main topics in the user's language, marked personal."""
    user = {"id": 3002, "is_bot": False, "first_name": "Ann", "language_code": "en"}
    bot.feed(updates.inline_query(user, "", query_id="iq-2"))
    call = await bot.api.wait_for("answerInlineQuery")
    assert call.ok, call.description
    assert call.params["is_personal"] is True
    titles = {i.title.en for i in bot.engine.catalogue.intents}
    assert all(r["title"] in titles for r in call.params["results"])


async def test_long_inline_query_is_answered(bot: RunningBot) -> None:
    """A 256-character query still gets a valid answer."""
    bot.feed(updates.inline_query(3003, ("what is a dnws " * 20)[:256], query_id="iq-3"))
    call = await bot.api.wait_for("answerInlineQuery")
    assert call.ok, call.description


async def test_inline_results_link_back_to_the_bot(bot: RunningBot) -> None:
    """Each result carries a URL button that opens the answer in the bot (deep link)."""
    bot.feed(updates.inline_query(3004, "P5", query_id="iq-4"))
    call = await bot.api.wait_for("answerInlineQuery")
    buttons = [
        b
        for r in call.params["results"]
        for row in r["reply_markup"]["inline_keyboard"]
        for b in row
    ]
    assert buttons
    assert all(b["url"].startswith("https://t.me/dnws_test_bot?start=") for b in buttons)


@pytest.mark.parametrize(
    ("query", "language_code"), [("P5とは", "ja"), ("what is the npt", "en"), ("", "en")]
)
async def test_every_inline_answer_has_the_ask_in_the_bot_button(
    bot: RunningBot, query: str, language_code: str
) -> None:
    """Results come with an "Ask in the bot" button above them that opens the bot (/start)."""
    user = {"id": 3005, "is_bot": False, "first_name": "Ann", "language_code": language_code}
    bot.feed(updates.inline_query(user, query, query_id=f"iq-b-{language_code}-{len(query)}"))
    call = await bot.api.wait_for("answerInlineQuery")
    assert call.ok, call.description
    button = call.params["button"]
    assert button["text"] == bot.engine.text("inline_button").get(language_code)  # type: ignore[arg-type]
    assert button["start_parameter"] == "inline"
    assert call.params["results"]


@pytest.mark.parametrize(
    ("query", "lang"), [("明日の東京の天気は?", "ja"), ("football scores", "en")]
)
async def test_inline_query_without_an_answer_says_so_with_the_button(
    bot: RunningBot, query: str, lang: str
) -> None:
    """A query the article does not answer gets one result that says so, plus the button."""
    bot.feed(updates.inline_query(3006, query, query_id=f"iq-none-{lang}"))
    call = await bot.api.wait_for("answerInlineQuery")
    assert call.ok, call.description
    (result,) = call.params["results"]
    assert result["title"] == bot.engine.text("inline_no_match_title").get(lang)  # type: ignore[arg-type]
    assert "38 North" in result["input_message_content"]["message_text"]
    assert call.params["button"]["start_parameter"] == "inline"


async def test_the_inline_button_opens_the_bot_with_a_greeting(bot: RunningBot) -> None:
    """/start inline (where the button leads) greets the user with the topics."""
    bot.feed(updates.command(3007, 3007, "start", "inline", language_code="en"))
    call = await bot.reply_to(3007)
    assert "/help" in call.result["text"]
