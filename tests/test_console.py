"""The console chat: same answers as Telegram, numbered buttons, quiz by number."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from dnws_bot.console import ConsoleChat
from dnws_bot.engine import Engine
from dnws_bot.store import Store


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


@pytest.mark.parametrize("word", ["exit", "quit", "/quit", "QUIT"])
def test_quit_words_leave_the_chat(shared_engine: Engine, word: str) -> None:
    """exit, quit and /quit end the chat: nothing typed after them is answered."""
    output = chat(shared_engine, word, "/score")
    assert output.rstrip().endswith("bye / またね")
    assert shared_engine.text("console_score").ja not in output


def test_unknown_slash_command_is_named_not_matched(shared_engine: Engine) -> None:
    """/foo is refused as an unknown command, never answered as a question."""
    output = chat(shared_engine, "/dnws")
    refusal = shared_engine.text("console_unknown_command").ja.format(command="/dnws")
    assert refusal in output
    assert shared_engine.catalogue.by_id["definition.dnws"].title.ja not in output


def test_score_explains_it_is_a_group_feature(shared_engine: Engine) -> None:
    """/score says it is a Telegram group leaderboard instead of matching a question."""
    output = chat(shared_engine, "/score")
    assert shared_engine.text("console_score").ja in output


def test_quiz_answer_outside_the_options_is_refused_and_asked_again(
    shared_engine: Engine,
) -> None:
    """A number outside the options is refused, the question is shown again and stays open."""
    out = io.StringIO()
    console = ConsoleChat(shared_engine, out)
    console.handle("/quiz")
    question = console.quiz
    assert question is not None
    count = len(question.options["ja"])
    console.handle(str(count + 1))
    output = out.getvalue()
    assert shared_engine.text("console_quiz_choose").ja.format(count=count) in output
    assert output.count(question.question.ja) == 2
    assert console.quiz is question
    console.handle(str(question.correct + 1))
    assert "⭕" in out.getvalue()
    assert console.quiz is None


def test_console_help_comes_from_texts_yaml(shared_engine: Engine) -> None:
    """/help prints the console_help sentence of intents/texts.yaml in the chat's language."""
    output = chat(shared_engine, "hello", "/help")
    assert shared_engine.text("console_help").en in output


def test_unanswered_console_questions_go_to_the_store(
    shared_engine: Engine, tmp_path: Path
) -> None:
    """With a store, an out-of-scope question is kept in the unanswered log (chat type console)."""
    with Store.open(tmp_path / "bot.sqlite3") as store:
        out = io.StringIO()
        ConsoleChat(shared_engine, out, store=store).run(io.StringIO("火星の天気は?\nDNWSとは\n"))
        rows = store.unanswered_since(1)
        stats = store.stats()
    assert [(row.text, row.chat_type) for row in rows] == [("火星の天気は", "console")]
    assert (stats.questions, stats.answered) == (2, 1)


def _chat_process(env: dict[str, str], cwd: Path) -> subprocess.Popen[str]:
    """`dnws-bot chat` as a process, with SIGINT at its default (a runner may ignore it)."""
    exe = str(Path(sys.executable).parent / "dnws-bot")
    default_sigint = (
        "import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); "
        "os.execv(sys.argv[1], sys.argv[1:])"
    )
    return subprocess.Popen(
        [sys.executable, "-c", default_sigint, exe, "chat"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
        env=env,
        cwd=cwd,
    )


def test_dnws_db_makes_console_questions_show_in_the_report(tmp_path: Path) -> None:
    """`dnws-bot chat` with DNWS_DB set logs unanswered questions that `report` then lists."""
    db = tmp_path / "bot.sqlite3"
    env = {**os.environ, "DNWS_DB": str(db)}
    chat_run = _chat_process(env, tmp_path)
    _, errors = chat_run.communicate("火星の天気は?\n", timeout=60)
    assert chat_run.returncode == 0, errors
    report = subprocess.run(
        [str(Path(sys.executable).parent / "dnws-bot"), "report", "--format", "json"],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env,
        check=True,
    )
    assert "火星の天気は" in report.stdout


def test_console_without_dnws_db_writes_no_database(tmp_path: Path) -> None:
    """Without DNWS_DB the console keeps nothing: no ./data directory appears."""
    env = {k: v for k, v in os.environ.items() if k != "DNWS_DB"}
    chat_run = _chat_process(env, tmp_path)
    _, errors = chat_run.communicate("火星の天気は?\n", timeout=60)
    assert chat_run.returncode == 0, errors
    assert list(tmp_path.iterdir()) == []


def test_ctrl_c_leaves_the_console_with_exit_0(tmp_path: Path) -> None:
    """SIGINT while the console waits for input ends it normally: exit 0, no traceback."""
    env = {k: v for k, v in os.environ.items() if k != "DNWS_DB"}
    chat_run = _chat_process(env, tmp_path)
    assert chat_run.stdout is not None
    assert chat_run.stdout.readline().startswith("dnws-bot")  # ready, waiting for a line
    chat_run.send_signal(signal.SIGINT)
    assert chat_run.wait(timeout=60) == 0  # stdin still open: the signal ended it, not EOF
    output, errors = chat_run.communicate()
    assert "Traceback" not in errors
    assert "bye / またね" in output
