"""Study-group features end to end: quiz polls and scores, the article map, the glossary."""

from __future__ import annotations

import asyncio
import json

import pytest

from botapi import updates
from conftest import RunningBot
from phone import keyboard_rows

GROUP = -1007770001


async def test_quiz_sends_a_real_quiz_poll_in_the_chat_language(bot: RunningBot) -> None:
    """/quiz sends a quiz-type poll with the correct option and an explanation."""
    bot.feed(updates.command(GROUP, 9001, "quiz", language_code="en"))
    call = await bot.reply_to(GROUP, "sendPoll")
    assert call.params["type"] == "quiz"
    assert call.params["is_anonymous"] is False
    assert call.params["explanation"]
    questions = {q.question.en for q in bot.engine.catalogue.study.quiz}
    assert call.params["question"] in questions


async def test_quiz_does_not_repeat_until_every_question_was_asked(bot: RunningBot) -> None:
    """Across as many /quiz as there are questions, no question repeats in a chat.

    A private chat, because Telegram (and the rate limiter) allow a group 20 messages a minute.
    """
    total = len(bot.engine.catalogue.study.quiz)
    assert total >= 30
    asked = []
    for _ in range(total):
        bot.feed(updates.command(9002, 9002, "quiz", language_code="en"))
        asked.append((await bot.reply_to(9002, "sendPoll")).params["question"])
    assert len(set(asked)) == total


async def test_quiz_topic_restricts_the_category(bot: RunningBot) -> None:
    """/quiz obstacles asks a question linked to an obstacles intent."""
    bot.feed(updates.command(GROUP, 9001, "quiz", "obstacles", language_code="en"))
    call = await bot.reply_to(GROUP, "sendPoll")
    by_question = {q.question.en: q for q in bot.engine.catalogue.study.quiz}
    assert by_question[call.params["question"]].category == "obstacles"


async def test_poll_answers_update_the_score_table(bot: RunningBot) -> None:
    """A right answer scores one point; answering twice does not; /score lists names."""
    bot.feed(updates.command(GROUP, 9001, "quiz", language_code="en"))
    poll_call = await bot.reply_to(GROUP, "sendPoll")
    poll = poll_call.result["poll"]
    correct = poll_call.params.get("correct_option_id")
    if correct is None:
        correct = poll_call.params["correct_option_ids"][0]
    wrong = (int(correct) + 1) % len(poll["options"])
    await wait_until_stored(bot, poll["id"])
    alice = {"id": 9101, "is_bot": False, "first_name": "Alice"}
    bob = {"id": 9102, "is_bot": False, "first_name": "Bob"}
    bot.feed(updates.poll_answer(poll["id"], alice, [int(correct)]))
    bot.feed(updates.poll_answer(poll["id"], alice, [int(correct)]))
    bot.feed(updates.poll_answer(poll["id"], bob, [wrong]))
    await bot.quiet(0.5)
    bot.feed(updates.command(GROUP, 9001, "score", language_code="en"))
    board = (await bot.reply_to(GROUP)).result["text"]
    assert "Alice — 1/1" in board
    assert "Bob — 0/1" in board


async def wait_until_stored(bot: RunningBot, poll_id: str) -> None:
    """The bot stores a poll right after Telegram returns it; answers only count after that."""
    from dnws_bot.store import Store

    for _ in range(200):
        with Store.open(bot.settings.db_path, readonly=True) as store:
            if store.poll(poll_id) is not None:
                return
        await asyncio.sleep(0.025)
    raise AssertionError(f"poll {poll_id} was never stored")


async def test_map_draws_the_tree_once_with_buttons_for_the_steps(bot: RunningBot) -> None:
    """/map draws the article's tree once; its numbered top-level steps are the only buttons."""
    for lang, word in (("en", "conclusion"), ("ja", "結論")):
        bot.feed(updates.command(9201, 9201, "map", language_code=lang))
        call = await bot.reply_to(9201)
        assert word in call.result["text"].lower()
        markup = call.params["reply_markup"]
        markup = json.loads(markup) if isinstance(markup, str) else markup
        buttons = [b for row in markup["inline_keyboard"] for b in row]
        steps = bot.engine.catalogue.study.article_map
        assert [b["text"] for b in buttons] == [str(n) for n in range(1, len(steps) + 1)]
        assert [b["callback_data"] for b in buttons] == [f"i:{s.intent}" for s in steps]
        assert len(markup["inline_keyboard"]) <= 2
        for button in buttons:  # no title is listed twice
            assert call.result["text"].count(button["text"] + ".") == 1


@pytest.mark.parametrize("lang", ["en", "ja"])
async def test_glossary_is_one_line_and_the_terms_as_buttons(bot: RunningBot, lang: str) -> None:
    """/glossary is one line of text and every term a button, two or three to a row."""
    bot.feed(updates.command(9203, 9203, "glossary", language_code=lang))
    call = await bot.reply_to(9203)
    assert "\n" not in call.result["text"]
    rows = keyboard_rows(call.params)
    data = [b["callback_data"] for row in rows for b in row]
    assert data == [f"g:{t.id}" for t in bot.engine.catalogue.study.terms]
    assert all(2 <= len(row) <= 3 for row in rows[:-1])
    assert 1 + len(rows) <= 15
    bot.feed(updates.callback_query(9203, call.result, "g:npt"))
    term = await bot.reply_to(9203)
    assert "NPT" in term.result["text"]


async def test_glossary_lists_terms_and_shows_one(bot: RunningBot) -> None:
    """/glossary NPT shows that one term with a 'full answer' button."""
    bot.feed(updates.command(9202, 9202, "glossary", "NPT", language_code="ja"))
    one = await bot.reply_to(9202)
    assert "NPT" in one.result["text"]
    markup = one.params["reply_markup"]
    markup = json.loads(markup) if isinstance(markup, str) else markup
    assert markup["inline_keyboard"][0][0]["callback_data"] == "i:glossary.npt"


async def test_terms_in_an_answer_become_glossary_buttons(bot: RunningBot) -> None:
    """An answer that mentions glossary terms carries buttons that open their definitions."""
    answer = await bot.say("北朝鮮の核戦力は生き残れるの?")
    markup = answer.params["reply_markup"]
    markup = json.loads(markup) if isinstance(markup, str) else markup
    term_data = [
        b["callback_data"]
        for row in markup["inline_keyboard"]
        for b in row
        if b.get("callback_data", "").startswith("g:")
    ]
    assert term_data
    bot.feed(updates.callback_query(1001, answer.result, term_data[0], query_id="g-1"))
    assert (await bot.api.wait_for("answerCallbackQuery")).ok
    assert (await bot.reply_to(1001)).ok
