"""The console chat: same answers as Telegram, numbered buttons, quiz by number."""

from __future__ import annotations

import io

import pytest

from dnws_bot.console import ConsoleChat
from dnws_bot.engine import Engine


def chat(engine: Engine, *lines: str) -> str:
    out = io.StringIO()
    ConsoleChat(engine, out).run(io.StringIO("".join(f"{line}\n" for line in lines)))
    return out.getvalue()


def test_quiz_is_answered_by_number_in_the_language_it_was_asked(shared_engine: Engine) -> None:
    """/quiz shows numbered options; the right number gets ⭕ and the explanation."""
    console = ConsoleChat(shared_engine, io.StringIO())
    console.handle("こんにちは")
    console.handle("/quiz")
    question = console.quiz
    assert question is not None
    console.handle(str(question.correct + 1))
    output = console.out.getvalue()  # type: ignore[attr-defined]
    assert "⭕" in output
    assert question.explanation.ja in output


@pytest.mark.parametrize("lang_line, title_lang", [("hello", "en"), ("こんにちは", "ja")])
def test_map_lists_every_intent_of_the_map(
    shared_engine: Engine, lang_line: str, title_lang: str
) -> None:
    """/map numbers each line of the article map in the conversation's language."""
    output = chat(shared_engine, lang_line, "/map")
    conclusion = shared_engine.catalogue.by_id["conclusion.summary"].title.get(title_lang)  # type: ignore[arg-type]
    assert conclusion in output


def test_follow_up_in_the_console_uses_the_previous_answer(shared_engine: Engine) -> None:
    """'パキスタンは?' right after India's answer is answered about Pakistan."""
    output = chat(
        shared_engine, "インドはどうやって核保有国として認められたの", "じゃあパキスタンは?"
    )
    assert shared_engine.catalogue.by_id["case.pakistan"].title.ja in output
