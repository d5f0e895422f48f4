"""Every reply as a phone shows it: lines at ~35 columns and keyboard rows (issue 9)."""

from __future__ import annotations

from typing import Any

import pytest

from botapi import Call, updates
from conftest import RunningBot
from dnws_bot.engine import Engine, escape
from phone import QUOTE_HEADER_LINES, keyboard_rows, phone_lines, wrapped_lines

GROUP = -1009000000001
MAX_GROUP_LINES = 11  # under 12, the asker's quote included
MAX_ANSWER_ROWS = 3
LANGS = ["ja", "en"]


def test_the_phone_model_wraps_words_and_counts_wide_characters_twice() -> None:
    """35 columns: 18 kanji take two lines, 35 ASCII letters one, a long word moves whole."""
    assert wrapped_lines("核" * 17) == 1
    assert wrapped_lines("核" * 18) == 2
    assert wrapped_lines("a" * 35) == 1
    assert wrapped_lines("a" * 30 + " " + "b" * 10) == 2
    assert wrapped_lines("") == 1


def test_a_collapsed_expandable_blockquote_counts_three_lines() -> None:
    """Ten lines inside an expandable blockquote show as three on the phone."""
    text = "title\n" + "\n".join(["x"] * 10)
    message = {
        "text": text,
        "entities": [{"type": "expandable_blockquote", "offset": 6, "length": len(text) - 6}],
    }
    assert phone_lines(message) == 1 + 3


async def press_in_group(
    bot: RunningBot, menu: dict[str, Any], data: str, number: int, lang: str, mode: str = ""
) -> Call:
    """A button press under the group's menu, answered in a group of its own: Telegram (and the
    bot's limiter) allow a group 20 messages a minute, and this walks every intent."""
    group = GROUP - number
    bot.api.add_chat(group, chat_type="supergroup", title="DNWS study group")
    bot.api.set_member(group, 2001, "administrator")
    if mode:
        bot.feed(updates.command(group, 2001, "lang", mode))
        await bot.reply_to(group)
    chat = {**menu["chat"], "id": group}
    presser = {"id": 2001, "is_bot": False, "first_name": "A", "language_code": lang}
    bot.feed(updates.callback_query(presser, {**menu, "chat": chat}, data))
    return await bot.reply_to(group)


@pytest.mark.parametrize("lang", LANGS)
async def test_every_answer_in_a_group_fits_a_phone_with_three_rows(
    bot: RunningBot, lang: str
) -> None:
    """Each intent's answer in a group is under 12 phone lines (with the quote) and ≤ 3 rows."""
    bot.feed(updates.command(GROUP, 2001, "topics", language_code=lang))
    menu = await bot.reply_to(GROUP)
    too_long = {}
    for number, intent in enumerate(bot.engine.catalogue.intents, 1):
        call = await press_in_group(bot, menu.result, f"i:{intent.id}", number, lang)
        assert intent.title.get(lang) in call.result["text"]  # type: ignore[arg-type]
        lines = QUOTE_HEADER_LINES + phone_lines(call.result)
        if lines > MAX_GROUP_LINES:
            too_long[intent.id] = lines
        assert len(keyboard_rows(call.params)) <= MAX_ANSWER_ROWS, intent.id
    assert not too_long


@pytest.mark.parametrize("lang", LANGS)
async def test_every_private_answer_has_at_most_three_keyboard_rows(
    bot: RunningBot, lang: str
) -> None:
    """Each intent's answer (deep link) in a private chat has ≤ 3 rows, votes in one row (small
    talk has nothing to vote on and no vote row)."""
    for intent in bot.engine.catalogue.intents:
        payload = intent.id.replace(".", "-")
        bot.feed(updates.command(1101, 1101, "start", payload, language_code=lang))
        call = await bot.reply_to(1101)
        rows = keyboard_rows(call.params)
        assert len(rows) <= MAX_ANSWER_ROWS, intent.id
        if intent.category == "smalltalk":
            assert not any(b.get("callback_data", "").startswith("v:") for r in rows for b in r)
            continue
        votes = rows[-1]
        assert [b["text"] for b in votes][:2] == ["👍", "👎"], intent.id
        assert len(votes) == 3 and "url" in votes[2]


@pytest.mark.parametrize("lang", LANGS)
async def test_both_languages_in_a_group_fit_a_phone(bot: RunningBot, lang: str) -> None:
    """With /lang both, a group's answers fold the second language and stay under 12 lines."""
    bot.feed(updates.command(GROUP, 2001, "topics", language_code=lang))
    menu = await bot.reply_to(GROUP)
    for number, intent in enumerate(bot.engine.catalogue.intents, 1):
        call = await press_in_group(bot, menu.result, f"i:{intent.id}", number, lang, "both")
        folds = [e for e in call.result["entities"] if e["type"] == "expandable_blockquote"]
        assert folds, intent.id
        lead = intent.title.get(lang)  # type: ignore[arg-type]
        assert call.result["text"].startswith(lead), intent.id  # the reader's language leads
        assert QUOTE_HEADER_LINES + phone_lines(call.result) <= MAX_GROUP_LINES, intent.id


@pytest.mark.parametrize(
    ("question", "lang"),
    [
        ("制裁", "ja"),
        ("sanctions", "en"),
        ("明日の東京の天気は?", "ja"),
        ("weather tomorrow", "en"),
    ],
)
async def test_did_you_mean_and_out_of_scope_fit_a_group(
    bot: RunningBot, question: str, lang: str
) -> None:
    """Did-you-mean and "not covered" replies in a group are under 12 lines with the quote."""
    bot.feed(updates.command(GROUP, 2001, "ask", question, language_code=lang))
    call = await bot.reply_to(GROUP)
    assert QUOTE_HEADER_LINES + phone_lines(call.result) <= MAX_GROUP_LINES
    assert len(keyboard_rows(call.params)) <= 5


@pytest.mark.parametrize(("first", "second"), [("ja", "en"), ("en", "ja")])
def test_both_mode_folds_the_second_language(
    shared_engine: Engine, first: str, second: str
) -> None:
    """In "both" the first language is shown whole, the second inside an expandable blockquote."""
    for intent in shared_engine.catalogue.intents:
        html = shared_engine.renderer.intent_reply(intent.id, "both", first=first).html  # type: ignore[arg-type]
        lead, folded = html.split("\n<blockquote expandable>", 1)
        if intent.category == "smalltalk":  # no title: its short answer leads
            heads = [intent.answer.get(lang) for lang in (first, second)]  # type: ignore[arg-type]
        else:
            heads = [f"<b>{escape(intent.title.get(lang))}</b>" for lang in (first, second)]  # type: ignore[arg-type]
        assert lead.startswith(heads[0])
        assert folded.startswith(heads[1])
        assert folded.endswith("</blockquote>") and folded.count("<blockquote") == 0


def test_the_group_form_cites_the_article_once_on_one_line(shared_engine: Engine) -> None:
    """A group's short answer ends with one source line linking the article (where the full
    answer cites it)."""
    url = shared_engine.catalogue.article.url
    for intent in shared_engine.catalogue.intents:
        for mode in ("ja", "en", "both"):
            html = shared_engine.renderer.folded_html(intent.id, mode)  # type: ignore[arg-type]
            if url not in shared_engine.intent_reply(intent.id, mode).html:  # type: ignore[arg-type]
                continue
            assert html.count(url) == 1, (intent.id, mode)
            assert html.rsplit("\n", 1)[1].startswith("📖 ")
