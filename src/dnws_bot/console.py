"""The console chat: the same replies as Telegram, in a terminal, with numbered buttons.

Its interface sentences (help, refusals) are in intents/texts.yaml under `console_*`. With a
store (the CLI opens one when DNWS_DB is set), questions without a confident answer go to the
same unanswered log as Telegram's, so `dnws-bot report` shows them.
"""

from __future__ import annotations

import random
import sys
import time
from typing import TextIO

from .engine import (
    LANG_MODES,
    Engine,
    Lang,
    LangMode,
    QuizQuestion,
    Reply,
    as_mode,
    detect_language,
    pick_question,
)
from .store import QuestionRecord, Store

QUIT_WORDS = frozenset({"exit", "quit", "/quit", "/exit"})
CHAT_TYPE = "console"  # the question log's chat type for console questions


class ConsoleChat:
    """One conversation: remembers the language choice and the buttons last shown."""

    def __init__(
        self, engine: Engine, out: TextIO = sys.stdout, store: Store | None = None
    ) -> None:
        self.engine = engine
        self.out = out
        self.store = store
        self.mode: LangMode | None = None  # None: follow each question's script
        self.buttons: list[tuple[str, str | None, str | None]] = []
        self.quiz: QuizQuestion | None = None
        self.asked: set[str] = set()
        self.previous: str | None = None  # last answered intent, for follow-ups
        self.lang: Lang = "ja"
        self.done = False

    def say(self, text: str) -> None:
        print(text, file=self.out, flush=True)

    def text(self, key: str, lang: Lang, **values: object) -> str:
        sentence = self.engine.text(key).get(lang)
        return sentence.format(**values) if values else sentence

    def show(self, reply: Reply) -> None:
        self.say(reply.text)
        if reply.intent_id is not None:
            self.previous = reply.intent_id
        self.buttons = [(b.label, b.intent_id, b.category_id) for b in reply.buttons]
        for number, (label, _, _) in enumerate(self.buttons, 1):
            self.say(f"  [{number}] {label}")

    def ask(self, question: str) -> None:
        """Answer a free-text question and log its outcome like the Telegram bot does."""
        started = time.perf_counter()
        asked = self.engine.matcher.question(question)
        reply = self.engine.answer(asked, self.mode, previous=self.previous)
        self.show(reply)
        if self.store is not None and reply.kind != "empty":
            elapsed_ms = (time.perf_counter() - started) * 1000
            self.store.log_questions([QuestionRecord.of(reply, asked.norm, CHAT_TYPE, elapsed_ms)])

    def topics(self, lang: Lang, only: str | None = None) -> None:
        catalogue = self.engine.catalogue
        self.buttons = []
        for category in catalogue.categories:
            if only is not None and category.id != only:
                continue
            self.say(f"■ {category.title.get(lang)}")
            for intent_id in category.intent_ids:
                self.buttons.append((catalogue.by_id[intent_id].title.get(lang), intent_id, None))
                self.say(f"  [{len(self.buttons)}] {self.buttons[-1][0]}")

    def ask_quiz(self, lang: Lang) -> None:
        """The same questions as the Telegram quiz polls, answered by number."""
        questions = self.engine.catalogue.study.quiz
        if not questions:
            return
        self.quiz, restart = pick_question(questions, self.asked, None, random.Random())
        if restart:
            self.asked.clear()
        self.asked.add(self.quiz.id)
        self.show_quiz(self.quiz, lang)

    def show_quiz(self, quiz: QuizQuestion, lang: Lang) -> None:
        self.say(f"❓ {quiz.question.get(lang)}")
        for number, option in enumerate(quiz.options[lang], 1):
            self.say(f"  {number}) {option}")

    def answer_quiz(self, number: int, lang: Lang) -> None:
        """Score an option number; one outside the options is refused and the question shown
        again (the quiz stays open)."""
        quiz = self.quiz
        assert quiz is not None
        count = len(quiz.options[lang])
        if not 1 <= number <= count:
            self.say(self.text("console_quiz_choose", lang, count=count))
            self.show_quiz(quiz, lang)
            return
        self.quiz = None
        mark = "⭕" if number - 1 == quiz.correct else "❌"
        self.say(f"{mark} {quiz.options[lang][quiz.correct]} — {quiz.explanation.get(lang)}")

    def show_map(self, lang: Lang) -> None:
        """The article map as drawn by the engine, each line a numbered button."""
        self.buttons = []
        for line in self.engine.map_lines(lang):
            self.buttons.append((line.title, line.intent_id, None))
            self.say(f"{line.text}  [{len(self.buttons)}]")

    def show_glossary(self, query: str, lang: Lang) -> None:
        study = self.engine.catalogue.study
        terms = [study.term(query)] if query else list(study.terms)
        if terms == [None]:
            self.say(self.text("no_term", lang))
            return
        for term in terms:
            if term is not None:
                self.say(f"• {term.term.get(lang)} — {term.definition.get(lang)}")

    def press(self, number: int) -> None:
        if not 1 <= number <= len(self.buttons):
            self.say(self.text("console_no_button", self.lang, count=len(self.buttons)))
            return
        _, intent_id, category_id = self.buttons[number - 1]
        mode: LangMode = self.mode or self.lang
        if intent_id is not None:
            self.show(self.engine.intent_reply(intent_id, mode))
        elif category_id is not None:
            self.topics(self.lang, only=category_id)

    def command(self, text: str, lang: Lang) -> None:
        """A line starting with "/": a console command, or a refusal naming the command."""
        name, _, rest = text.partition(" ")
        name = name.lower()
        rest = rest.strip()
        if name == "/quiz":
            self.ask_quiz(lang)
        elif name == "/map":
            self.show_map(lang)
        elif name == "/glossary":
            self.show_glossary(rest, lang)
        elif name in ("/help", "/start"):
            self.say(self.text("console_help", lang))
        elif name == "/topics":
            self.topics(lang)
        elif name == "/ask" and rest:
            self.ask(rest)
        elif name == "/score":
            self.say(self.text("console_score", lang))
        elif name == "/lang":
            choice = rest.lower()
            if choice in LANG_MODES:
                self.mode = as_mode(choice)  # "auto": follow each question's script
                self.say(f"lang: {choice}")
            else:
                self.say("/lang " + " | ".join(LANG_MODES))
        else:
            self.say(self.text("console_unknown_command", lang, command=name))

    def handle(self, line: str) -> None:
        """React to one line of input."""
        text = line.strip()
        if text.lower() in QUIT_WORDS:
            self.done = True
            return
        if self.mode in ("ja", "en"):
            self.lang = self.mode
        elif text and not text.startswith("/") and not text.isdigit():
            self.lang = detect_language(text)  # digits and commands keep the last language
        lang = self.lang
        if text.isdigit() and self.quiz is not None:
            self.answer_quiz(int(text), lang)
        elif text.isdigit() and self.buttons:
            self.press(int(text))
        elif text.startswith("/"):
            self.command(text, lang)
        else:
            self.ask(text)

    def run(self, stdin: TextIO = sys.stdin) -> None:
        """Read lines until end of input, a quit word or Ctrl-C (all of them a normal end)."""
        try:
            self.say("dnws-bot — 38 North (2025-03-14). " + self.text("console_hint", "en"))
            while not self.done:
                if stdin.isatty():
                    try:
                        line = input("> ")
                    except EOFError:
                        break
                else:
                    line = stdin.readline()
                    if not line:
                        break
                self.handle(line)
        except KeyboardInterrupt:
            self.say("")
        self.say("bye / またね")
