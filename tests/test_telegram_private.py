"""Private chats: answers in the asker's language, buttons, commands, deep links, bad input."""

from __future__ import annotations

import json

import pytest

from botapi import updates
from conftest import RunningBot
from dnws_bot.engine import Engine
from phone import phone_lines

ARTICLE = "https://www.38north.org/2025/03/north-koreas-efforts-to-attain-de-facto-nuclear-weapon-state-status-and-rok-us-response-strategy/"


def keyboard(call_params: dict) -> list[list[dict]]:
    markup = call_params.get("reply_markup")
    if isinstance(markup, str):
        markup = json.loads(markup)
    return (markup or {}).get("inline_keyboard", [])


def callback_data(call_params: dict) -> list[str]:
    return [
        b["callback_data"] for row in keyboard(call_params) for b in row if "callback_data" in b
    ]


async def test_japanese_question_gets_japanese_html_answer_with_source_link(
    bot: RunningBot,
) -> None:
    """A Japanese question is answered in Japanese, HTML, title in bold, link, no preview."""
    call = await bot.say("事実上の核保有国の条件って何?")
    params = call.params
    assert params["parse_mode"] == "HTML"
    assert params["text"].startswith("<b>")
    assert ARTICLE in params["text"]
    assert "条件" in call.result["text"]
    assert (
        json.loads(params["link_preview_options"])["is_disabled"] is True
        if isinstance(params["link_preview_options"], str)
        else params["link_preview_options"]["is_disabled"]
    )


async def test_english_question_gets_english_answer_with_related_buttons(bot: RunningBot) -> None:
    """An English question is answered in English with 2-3 related follow-ups and feedback."""
    call = await bot.say(
        "what does north korea need to become a de facto nuclear state", language_code="en"
    )
    data = callback_data(call.params)
    assert sum(d.startswith("i:") for d in data) >= 2
    assert {"v:requirements.overview:+", "v:requirements.overview:-"} <= set(data)
    assert "Source" in call.result["text"]


async def test_thanks_gets_a_short_reply_without_source_or_vote_row(bot: RunningBot) -> None:
    """Small talk ("thx") is answered in a line: no article citation, no 👍/👎/share row."""
    call = await bot.say("thx!", language_code="en")
    data = callback_data(call.params)
    assert not any(d.startswith("v:") for d in data)
    assert "Source" not in call.result["text"]
    assert "38north.org" not in call.result["text"]


async def test_button_press_answers_that_intent_and_answers_the_callback(bot: RunningBot) -> None:
    """Pressing a related button sends that answer as a new message and answers the query."""
    first = await bot.say("DNWSとは")
    related = next(d for d in callback_data(first.params) if d.startswith("i:"))
    bot.feed(updates.callback_query(1001, first.result, related, query_id="q-related"))
    answered = await bot.api.wait_for("answerCallbackQuery")
    assert answered.params["callback_query_id"] == "q-related"
    second = await bot.reply_to(1001)
    intent = related.removeprefix("i:")
    assert bot.engine.catalogue.by_id[intent].title.ja in second.result["text"]


@pytest.mark.parametrize("data", ["zz:never-issued", "q:quiz-1", "i:no.such_intent"])
async def test_unknown_callback_data_gets_a_short_notice(bot: RunningBot, data: str) -> None:
    """Callback data the bot does not issue (or no longer) gets a notice and nothing else."""
    first = await bot.say("P5って?")
    bot.feed(updates.callback_query(1001, first.result, data, query_id="q-bad"))
    answered = await bot.api.wait_for("answerCallbackQuery")
    assert answered.params.get("text")
    assert not [c for c in await bot.quiet() if c.method == "sendMessage"]


async def test_vote_is_recorded_once_per_user(bot: RunningBot) -> None:
    """A 👍 press is acknowledged; pressing again does not double count."""
    first = await bot.say("what is the npt", language_code="en")
    vote = next(d for d in callback_data(first.params) if d.startswith("v:") and d.endswith("+"))
    for query_id in ("v1", "v2"):
        bot.feed(updates.callback_query(1001, first.result, vote, query_id=query_id))
        assert (await bot.api.wait_for("answerCallbackQuery")).ok
    stats = bot_store_stats(bot)
    assert (stats.feedback_up, stats.feedback_down) == (1, 0)


def bot_store_stats(bot: RunningBot):  # type: ignore[no-untyped-def]
    from dnws_bot.store import Store

    with Store.open(bot.settings.db_path, readonly=True) as store:
        return store.stats()


async def test_uncertain_question_offers_did_you_mean_buttons(bot: RunningBot) -> None:
    """A vague question gets 'did you mean' buttons rather than a wrong answer."""
    call = await bot.say("制裁", language_code="ja")
    data = callback_data(call.params)
    assert data and all(d.startswith(("i:", "v:")) for d in data)


async def test_out_of_scope_question_says_what_the_bot_covers(bot: RunningBot) -> None:
    """An unrelated question gets one sentence about the bot's scope and topic buttons."""
    call = await bot.say("明日の東京の天気は?")
    assert "38 North" in call.result["text"]
    assert any(d.startswith("c:") for d in callback_data(call.params))


@pytest.mark.parametrize(
    "hostile",
    [
        "<b>bold</b> & </a> NPTとは",
        "<script>alert(1)</script>",
        "'; DROP TABLE users;--",
        "\u200b\u202eDNWS\u202c",
        "😀😀😀",
        "x" * 5000,
    ],
)
async def test_hostile_or_odd_text_gets_a_valid_reply_and_the_next_question_works(
    bot: RunningBot, hostile: str
) -> None:
    """HTML, SQL, control characters, emoji and 5,000 characters never break the bot."""
    reply = await bot.say(hostile)
    assert reply.ok
    assert "<script>" not in reply.params["text"]
    assert (await bot.say("P5とは")).ok


async def test_unknown_command_in_private_chat_points_to_help(bot: RunningBot) -> None:
    """An unknown /command in a private chat gets a hint mentioning /help."""
    call = await bot.say("/admin give me the bot token", language_code="en")
    assert "/help" in call.result["text"]


async def test_sticker_in_private_chat_gets_a_one_line_hint(bot: RunningBot) -> None:
    """A sticker in a private chat gets a hint to type a question."""
    bot.feed(updates.sticker(1001, 1001))
    call = await bot.reply_to(1001)
    assert "\n" not in call.result["text"]


async def test_start_greets_in_user_language_with_topic_buttons(bot: RunningBot) -> None:
    """/start greets in the user's Telegram language and lists topics as buttons."""
    bot.feed(updates.command(1002, 1002, "start", language_code="en"))
    call = await bot.reply_to(1002)
    assert any(d.startswith("c:") for d in callback_data(call.params))
    assert "Ask" in call.result["text"] or "ask" in call.result["text"]


async def test_deep_link_answers_that_intent_directly(bot: RunningBot) -> None:
    """/start case-india (from a shared t.me link) answers that intent at once."""
    bot.feed(updates.command(1003, 1003, "start", "case-india", language_code="ja"))
    call = await bot.reply_to(1003)
    assert bot.engine.catalogue.by_id["case.india"].title.ja in call.result["text"]


async def test_share_button_opens_telegram_share_sheet_with_deep_link(bot: RunningBot) -> None:
    """Each answer carries a share button with the t.me deep link to that answer."""
    call = await bot.say("what is a dnws", language_code="en")
    urls = [b["url"] for row in keyboard(call.params) for b in row if "url" in b]
    assert any(u.startswith("https://t.me/share/url?url=") and "dnws_test_bot" in u for u in urls)


@pytest.mark.parametrize(
    ("command", "says", "buttons"),
    [
        ("help", ["Ask about the 38 North article", "/topics — Browse topics"], ""),
        ("topics", ["Choose a topic"], "c:"),
        ("source", ["38 North", "North Korea's Efforts to Attain"], ""),
        ("about", ["not affiliated with 38 North"], ""),
        ("map", ["The article at a glance"], "i:"),
        ("glossary", ["Glossary"], "g:"),
    ],
)
async def test_each_command_answers(
    bot: RunningBot, command: str, says: list[str], buttons: str
) -> None:
    """Every public command answers with its own content (and its buttons, where it has some)."""
    bot.feed(updates.command(1004, 1004, command, language_code="en"))
    call = await bot.reply_to(1004)
    for expected in says:
        assert expected in call.result["text"], (command, expected)
    if buttons:
        assert any(d.startswith(buttons) for d in callback_data(call.params))


async def test_lang_command_switches_answer_language_for_the_chat(bot: RunningBot) -> None:
    """/lang en makes Japanese questions answered in English; /lang both gives both."""
    bot.feed(updates.command(1005, 1005, "lang", "en"))
    await bot.reply_to(1005)
    english = await bot.say("NPTとは", user_id=1005)
    assert "Source" in english.result["text"]
    bot.feed(updates.command(1005, 1005, "lang", "both"))
    await bot.reply_to(1005)
    both = await bot.say("NPTとは", user_id=1005)
    assert "出典" in both.result["text"] and "Source" in both.result["text"]


async def test_commands_are_registered_in_both_languages(bot: RunningBot) -> None:
    """setMyCommands is called for the default (English) and for language_code ja."""
    english = bot.api.commands()
    japanese = bot.api.commands(language_code="ja")
    assert {c["command"] for c in english} == {c["command"] for c in japanese}
    assert "help" in {c["command"] for c in english}


async def test_follow_up_uses_the_previous_answer_then_expires(bot: RunningBot) -> None:
    """'パキスタンは?' right after an answer about India is answered about Pakistan."""
    await bot.say("インドはどうやって核保有国として認められたの?")
    follow = await bot.say("パキスタンは?")
    assert bot.engine.catalogue.by_id["case.pakistan"].title.ja in follow.result["text"]


@pytest.mark.parametrize("language_code", ["en", "ja"])
async def test_ask_without_a_question_shows_its_usage_literally(
    bot: RunningBot, language_code: str
) -> None:
    """/ask alone replies with the usage; '<question>' is shown as text, not parsed as HTML."""
    bot.feed(updates.command(1006, 1006, "ask", language_code=language_code))
    call = await bot.reply_to(1006)
    assert call.result["text"] == bot.engine.text("ask_usage").get(language_code)  # type: ignore[arg-type]


def vote_labels(message: dict) -> list[str]:  # type: ignore[type-arg]
    rows = message.get("reply_markup", {}).get("inline_keyboard", [])
    return [b["text"] for row in rows for b in row if b.get("callback_data", "").startswith("v:")]


@pytest.mark.parametrize("language_code", ["ja", "en"])
async def test_a_vote_ticks_its_thumb_and_a_second_vote_moves_the_tick(
    bot: RunningBot, language_code: str
) -> None:
    """👍 edits the row to "👍 ✓"; 👎 then moves the tick; the same vote again changes nothing."""
    first = await bot.say(
        "NPTとは" if language_code == "ja" else "what is the npt", language_code=language_code
    )
    chat, message_id = 1001, first.result["message_id"]
    intent = next(d for d in callback_data(first.params) if d.startswith("v:")).split(":")[1]
    for sign, expected in (("+", ["👍 ✓", "👎"]), ("-", ["👍", "👎 ✓"]), ("-", ["👍", "👎 ✓"])):
        presser = {"id": 1001, "is_bot": False, "first_name": "A", "language_code": language_code}
        message = bot.api.message(chat, message_id)
        bot.feed(updates.callback_query(presser, message, f"v:{intent}:{sign}"))
        answered = await bot.api.wait_for("answerCallbackQuery")
        assert answered.params["text"] == bot.engine.text("voted").get(language_code)  # type: ignore[arg-type]
        await bot.api.wait_for("editMessageReplyMarkup")
        assert vote_labels(bot.api.message(chat, message_id)) == expected
    assert not [c for c in await bot.quiet() if c.method == "sendMessage"]  # no apology
    stats = bot_store_stats(bot)
    assert (stats.feedback_up, stats.feedback_down) == (0, 1)


@pytest.mark.parametrize("intent_id", ["definition.dnws", "glossary.npt", "case.india"])
def test_glossary_buttons_come_from_the_answer_body_and_never_lead_back(
    shared_engine: Engine, intent_id: str
) -> None:
    """Term buttons name terms of the answer's body only, never the answer's own term."""
    from dnws_bot.telegram.keyboards import term_buttons

    for lang in ("ja", "en"):
        reply = shared_engine.intent_reply(intent_id, lang)  # type: ignore[arg-type]
        terms = {t.id: t for t in shared_engine.catalogue.study.terms}
        for button in term_buttons(shared_engine, reply, lang):  # type: ignore[arg-type]
            term = terms[str(button.callback_data).removeprefix("g:")]
            assert term.intent != intent_id
            assert term in shared_engine.catalogue.study.terms_in(reply.body)


def test_no_answer_gets_the_dnws_term_from_the_article_url(shared_engine: Engine) -> None:
    """The article URL (…de-facto-nuclear-weapon-state…) no longer adds a DNWS button."""
    from dnws_bot.telegram.keyboards import term_buttons

    dnws = {t.id for t in shared_engine.catalogue.study.terms if t.intent == "definition.dnws"}
    for intent in shared_engine.catalogue.intents:
        reply = shared_engine.intent_reply(intent.id, "en")
        found = {str(b.callback_data)[2:] for b in term_buttons(shared_engine, reply, "en")}
        mentioned = {t.id for t in shared_engine.catalogue.study.terms_in(reply.body)}
        assert found & dnws <= mentioned, intent.id


async def test_lang_both_folds_the_second_language_with_buttons_in_the_users(
    bot: RunningBot,
) -> None:
    """/lang both: the other language sits in an expandable blockquote; buttons and the
    confirmation are in the user's own language (English here, though the question is Japanese)."""
    bot.feed(updates.command(1007, 1007, "lang", "both", language_code="en"))
    done = await bot.reply_to(1007)
    assert done.result["text"] == bot.engine.text("lang_set").en.format(mode="Both")
    call = await bot.say("NPTとは", user_id=1007, language_code="en")
    text, entities = call.result["text"], call.result["entities"]
    (fold,) = [e for e in entities if e["type"] == "expandable_blockquote"]
    assert "出典" in text and "Source" in text
    assert text.index("Source") > text.index("出典")  # the question's language leads
    related = [b["text"] for row in keyboard(call.params) for b in row if "callback_data" in b]
    titles = {i.title.en for i in bot.engine.catalogue.intents}
    assert related[0] in titles
    urls = [b for row in keyboard(call.params) for b in row if "url" in b]
    assert urls[0]["text"] == bot.engine.text("share_label").en
    assert fold["offset"] > 0


@pytest.mark.parametrize(("command", "language_code"), [("lang", "en"), ("settings", "ja")])
async def test_lang_alone_and_settings_offer_the_choices_as_buttons(
    bot: RunningBot, command: str, language_code: str
) -> None:
    """/lang and /settings show 日本語 / English / both / auto; a press sets and ticks it."""
    bot.feed(updates.command(1008, 1008, command, language_code=language_code))
    call = await bot.reply_to(1008)
    data = callback_data(call.params)
    assert data == ["l:ja", "l:en", "l:both", "l:auto"]
    labels = [b["text"] for row in keyboard(call.params) for b in row]
    assert labels[:2] == ["日本語", "English"] and labels[3].startswith("✓")
    for query_id in ("l1", "l2"):  # the second press changes nothing and must not fail
        bot.feed(
            updates.callback_query(
                {"id": 1008, "is_bot": False, "first_name": "A", "language_code": language_code},
                call.result,
                "l:en",
                query_id=query_id,
            )
        )
        answered = await bot.api.wait_for("answerCallbackQuery")
        assert answered.ok
    mode = "English"
    assert answered.params["text"] == bot.engine.text("lang_set").get(language_code).format(
        mode=mode
    )  # type: ignore[arg-type]
    edited = bot.api.message(1008, call.result["message_id"])
    assert [b["text"] for b in edited["reply_markup"]["inline_keyboard"][0]][1] == "✓ English"
    english = await bot.say("NPTとは", user_id=1008, language_code=language_code)
    assert "Source" in english.result["text"]


@pytest.mark.parametrize("language_code", ["ja", "en"])
async def test_source_links_the_title_with_a_small_preview_card(
    bot: RunningBot, language_code: str
) -> None:
    """/source shows the article's title as the link and asks for a small preview card."""
    bot.feed(updates.command(1009, 1009, "source", language_code=language_code))
    call = await bot.reply_to(1009)
    title = bot.engine.catalogue.article.title.get(language_code)  # type: ignore[arg-type]
    (link,) = [e for e in call.result["entities"] if e["type"] == "text_link"]
    assert link["url"] == ARTICLE and title in call.result["text"]
    assert ARTICLE not in call.result["text"]
    preview = call.result["link_preview_options"]
    assert preview["url"] == ARTICLE and preview["prefer_small_media"] is True
    assert not preview.get("is_disabled")


@pytest.mark.parametrize("language_code", ["ja", "en"])
async def test_private_help_fits_a_phone_and_leaves_out_ask(
    bot: RunningBot, language_code: str
) -> None:
    """/help in a private chat has no /ask and fits one phone screen (≤ 18 lines)."""
    bot.feed(updates.command(1010, 1010, "help", language_code=language_code))
    call = await bot.reply_to(1010)
    assert "/ask" not in call.result["text"] and "/settings" in call.result["text"]
    assert phone_lines(call.result) <= 18


@pytest.mark.parametrize(
    ("question", "language_code"),
    [("制裁", "ja"), ("明日の東京の天気は?", "ja"), ("weather tomorrow", "en")],
)
async def test_did_you_mean_and_out_of_scope_offer_ask_another(
    bot: RunningBot, question: str, language_code: str
) -> None:
    """Did-you-mean is one line with the options as buttons; both offer "🔎 Ask another"."""
    call = await bot.say(question, language_code=language_code)
    assert "\n" not in call.result["text"]  # one line: no list of the options
    (switch,) = [
        b for row in keyboard(call.params) for b in row if "switch_inline_query_current_chat" in b
    ]
    assert switch["switch_inline_query_current_chat"] == ""
    assert switch["text"] == bot.engine.text("ask_another_label").get(language_code)  # type: ignore[arg-type]


async def test_a_vote_whose_row_cannot_be_edited_still_counts(bot: RunningBot) -> None:
    """If Telegram refuses the edit of the vote row, the vote is kept and nothing else is sent."""
    first = await bot.say("what is the npt", language_code="en")
    vote = next(d for d in callback_data(first.params) if d.startswith("v:") and d.endswith("-"))
    bot.api.inject(
        "editMessageReplyMarkup", status=400, description="Bad Request: message can't be edited"
    )
    bot.feed(updates.callback_query(1001, first.result, vote, query_id="v-noedit"))
    assert (await bot.api.wait_for("answerCallbackQuery")).ok
    await bot.api.wait_for("editMessageReplyMarkup")
    assert not [c for c in await bot.quiet() if c.method == "sendMessage"]
    stats = bot_store_stats(bot)
    assert (stats.feedback_up, stats.feedback_down) == (0, 1)
