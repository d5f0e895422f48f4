"""Replies as the user sees them: Telegram HTML, plain text and buttons, for any input."""

from __future__ import annotations

import re

import pytest

from dnws_bot.engine import Engine, Reply
from dnws_bot.engine.html_subset import escape, html_problems
from dnws_bot.engine.matching import Candidate, MatchResult
from engine_fixtures import BAD_INPUTS, load_engine

MODES = [None, "ja", "en", "both"]
MARKUP = re.compile(r"</?[a-zA-Z][a-zA-Z0-9-]*(\s[^>]*)?>|&(lt|gt|amp|quot);")
SUGGESTED = ("obstacles.overview", "strategy.goals", "glossary.p5")


@pytest.fixture(scope="session")
def engine() -> Engine:
    return load_engine()


@pytest.fixture(scope="session")
def dnws_ja(engine: Engine) -> Reply:
    return engine.answer("DNWSとは")


@pytest.fixture(scope="session")
def dnws_both(engine: Engine) -> Reply:
    return engine.answer("DNWSとは", "both")


@pytest.fixture(scope="session")
def suggest_en(engine: Engine) -> Reply:
    candidates = tuple(Candidate(i, 0.3) for i in SUGGESTED)
    return engine.renderer.from_match(MatchResult("suggest", "en", candidates))


@pytest.fixture(scope="session")
def none_en(engine: Engine) -> Reply:
    return engine.answer("recipe for pancakes")


# --- answers ---------------------------------------------------------------------------------


def test_answer_opens_with_the_bold_title(engine: Engine, dnws_ja: Reply) -> None:
    """An answer's HTML starts with the intent's title in bold."""
    title = engine.catalogue.by_id["definition.dnws"].title.ja
    assert dnws_ja.html.startswith(f"<b>{escape(title)}</b>\n\n")
    assert dnws_ja.title == title


def test_answer_carries_the_answer_text(engine: Engine, dnws_ja: Reply) -> None:
    """An answer's HTML contains the catalogue answer in the reply's language."""
    assert engine.catalogue.by_id["definition.dnws"].answer.ja in dnws_ja.html


def test_answer_cites_its_section(engine: Engine, dnws_ja: Reply) -> None:
    """An answer names the article section it comes from, in the reply's language."""
    intent = engine.catalogue.by_id["definition.dnws"]
    section = engine.catalogue.sections[intent.section].ja
    assert dnws_ja.section == section
    assert escape(section) in dnws_ja.html


def test_answer_links_the_article_once_as_an_anchor(engine: Engine, dnws_ja: Reply) -> None:
    """The article URL appears only inside one quoted https <a href>, never as a bare link."""
    url = engine.catalogue.article.url
    assert url.startswith("https://")
    assert dnws_ja.link == url
    assert dnws_ja.html.count(url) == 1
    assert f'<a href="{url}">' in dnws_ja.html
    assert html_problems(dnws_ja.html) == []


def test_answer_offers_related_intents_as_buttons(engine: Engine, dnws_ja: Reply) -> None:
    """An answer's buttons open its related intents, labelled in the reply's language."""
    intent = engine.catalogue.by_id["definition.dnws"]
    assert [b.intent_id for b in dnws_ja.buttons] == list(intent.related[:3])
    assert [b.label for b in dnws_ja.buttons] == [
        engine.catalogue.by_id[i].title.ja for i in intent.related[:3]
    ]


def test_both_mode_gives_japanese_then_english(engine: Engine, dnws_both: Reply) -> None:
    """In "both" mode the Japanese answer comes first, then the English one."""
    intent = engine.catalogue.by_id["definition.dnws"]
    ja_at, en_at = dnws_both.html.find(intent.answer.ja), dnws_both.html.find(intent.answer.en)
    assert 0 < ja_at < en_at
    assert dnws_both.html.find(f"<b>{escape(intent.title.en)}</b>") > ja_at
    assert dnws_both.lang == "ja"


def test_forced_english_answers_a_japanese_question_in_english(engine: Engine) -> None:
    """Forcing "en" renders the English answer even for a Japanese question."""
    reply = engine.answer("DNWSとは", "en")
    intent = engine.catalogue.by_id["definition.dnws"]
    assert (reply.lang, reply.intent_id) == ("en", intent.id)
    assert intent.answer.en in reply.html
    assert intent.answer.ja not in reply.html


# --- suggest, none, empty ------------------------------------------------------------------


def test_suggest_reply_lists_candidates_as_buttons(engine: Engine, suggest_en: Reply) -> None:
    """A did-you-mean reply is one line of text; the candidates are its buttons only."""
    assert suggest_en.status == "suggest"
    assert suggest_en.intent_id is None
    assert [b.intent_id for b in suggest_en.buttons] == list(SUGGESTED)
    assert suggest_en.suggestions == SUGGESTED
    assert suggest_en.html == escape(engine.text("did_you_mean").en)
    for intent_id in SUGGESTED:
        assert escape(engine.catalogue.by_id[intent_id].title.en) not in suggest_en.html


def test_real_suggest_reply_has_at_most_three_buttons(engine: Engine) -> None:
    """A vague question's did-you-mean reply has one to three candidate buttons."""
    reply = engine.answer("north korea")
    assert reply.status == "suggest"
    assert 1 <= len(reply.buttons) <= 3
    assert [b.intent_id for b in reply.buttons] == list(reply.suggestions)


def test_both_mode_suggest_reply_keeps_each_language_together(engine: Engine) -> None:
    """In "both" mode the Japanese sentence and titles come before the English ones."""
    candidates = tuple(Candidate(i, 0.3) for i in SUGGESTED)
    reply = engine.renderer.from_match(MatchResult("suggest", "ja", candidates), "both")
    last_ja_title = max(reply.html.find(engine.catalogue.by_id[i].title.ja) for i in SUGGESTED)
    assert last_ja_title < reply.html.find("I'm not sure")


def test_none_reply_offers_topic_buttons(engine: Engine, none_en: Reply) -> None:
    """A no-match reply offers one button per topic (category), and no intent."""
    assert none_en.status == "none"
    assert none_en.intent_id is None
    topic_ids = [c.id for c in engine.catalogue.categories if c.id != "smalltalk"]
    assert [b.category_id for b in none_en.buttons] == topic_ids
    assert all(b.intent_id is None for b in none_en.buttons)


@pytest.mark.parametrize("question", ["", "   ", "\u200b", "?!"])
def test_empty_question_asks_for_a_question(engine: Engine, question: str) -> None:
    """A question with nothing in it gets status "none" and the topic buttons."""
    reply = engine.answer(question)
    assert (reply.kind, reply.status, reply.intent_id) == ("empty", "none", None)
    assert reply.buttons
    assert all(b.category_id for b in reply.buttons)


@pytest.mark.parametrize(
    "question", ["DNWSとは", "what is extended deterrence", "north korea", "asdfgh", "", "hello"]
)
@pytest.mark.parametrize("mode", MODES)
def test_plain_text_has_no_markup(engine: Engine, question: str, mode: str | None) -> None:
    """The plain `text` of any reply carries no HTML tags or entities."""
    reply = engine.answer(question, mode)  # type: ignore[arg-type]
    assert reply.text.strip()
    assert MARKUP.search(reply.text) is None


def test_plain_text_answer_ends_with_the_article_url(engine: Engine, dnws_ja: Reply) -> None:
    """The plain-text answer spells out the article URL, since it has no anchor."""
    assert dnws_ja.text.rstrip().endswith(engine.catalogue.article.url)


@pytest.mark.parametrize("question", ["DNWSとは", "north korea", "asdfgh", ""])
@pytest.mark.parametrize("mode", MODES)
def test_every_reply_is_valid_telegram_html(
    engine: Engine, question: str, mode: str | None
) -> None:
    """Answer, suggest, none and empty replies all pass the Telegram HTML check."""
    assert html_problems(engine.answer(question, mode).html) == []  # type: ignore[arg-type]


# --- hostile and broken input ----------------------------------------------------------------


# What each hostile input gets: nothing left to read is "empty", junk is "none", and the huge
# paste still names sanctions (only its first 500 characters are read).
BAD_INPUT_KINDS = {
    "empty": "empty",
    "whitespace": "empty",
    "huge": "answer",
    "emoji_only": "empty",
    "zero_width": "empty",
    "bidi_controls": "none",
    "script_tag": "none",
    "sql_injection": "none",
    "broken_html": "none",
}


@pytest.mark.parametrize("name", BAD_INPUTS)
@pytest.mark.parametrize("mode", MODES)
def test_bad_input_gets_the_fitting_reply(engine: Engine, name: str, mode: str | None) -> None:
    """Hostile or broken input never raises: empty or junk input gets the prompt or the topics
    (in the forced language), a huge paste its answer, always as valid Telegram HTML."""
    reply = engine.answer(BAD_INPUTS[name], mode)  # type: ignore[arg-type]
    assert reply.kind == BAD_INPUT_KINDS[name]
    assert reply.lang == {None: "ja" if name == "huge" else "en", "both": "ja"}.get(mode, mode)
    if reply.kind == "answer":
        assert reply.intent_id == "obstacles.sanctions"
    else:
        assert reply.intent_id is None
        assert [b.category_id for b in reply.buttons] == [
            c.id for c in engine.catalogue.categories if c.id != "smalltalk"
        ]
        key = "empty" if reply.kind == "empty" else "no_match"
        assert escape(engine.text(key).get(reply.lang)) in reply.html
    assert html_problems(reply.html) == []


@pytest.mark.parametrize("question", BAD_INPUTS.values(), ids=BAD_INPUTS.keys())
@pytest.mark.parametrize("mode", MODES)
def test_user_text_never_reaches_html_unescaped(
    engine: Engine, question: str, mode: str | None
) -> None:
    """Nothing the user typed appears in the reply HTML as markup."""
    html = engine.answer(question, mode).html  # type: ignore[arg-type]
    assert "<script>" not in html
    if any(ch in question for ch in "<>&"):
        assert question not in html


@pytest.mark.parametrize(
    "name", ["empty", "whitespace", "emoji_only", "zero_width", "bidi_controls", "script_tag"]
)
def test_junk_input_is_not_answered(engine: Engine, name: str) -> None:
    """Input with no question in it never gets a confident answer."""
    assert engine.answer(BAD_INPUTS[name]).status != "answer"


@pytest.mark.parametrize("question", ["x" * 10_000, "北朝鮮の制裁 " * 2_000, "😀" * 10_000])
def test_huge_input_gets_a_reply(engine: Engine, question: str) -> None:
    """A 10,000-character question is answered (or declined) like any other, never an error."""
    reply = engine.answer(question)
    assert reply.status in {"answer", "suggest", "none"}
    assert len(reply.html) < 4096
