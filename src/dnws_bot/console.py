"""The console chat: the same replies as Telegram, in a terminal, with numbered buttons."""

from __future__ import annotations

import random
import sys
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

HELP = {
    "ja": "質問を入力してください(日本語/英語)。番号でボタンを選べます。\n"
    "/topics トピック  /map 構成  /glossary 用語集  /quiz クイズ  /lang ja|en|both|auto 言語  "
    "/help ヘルプ  Ctrl-D で終了",
    "en": "Type a question in Japanese or English; type a number to press a button.\n"
    "/topics topics  /map structure  /glossary terms  /quiz a quiz  /lang ja|en|both|auto  "
    "/help this help  Ctrl-D quit",
}


class ConsoleChat:
    """One conversation: remembers the language choice and the buttons last shown."""

    def __init__(self, engine: Engine, out: TextIO = sys.stdout) -> None:
        self.engine = engine
        self.out = out
        self.mode: LangMode | None = None  # None: follow each question's script
        self.buttons: list[tuple[str, str | None, str | None]] = []
        self.quiz: QuizQuestion | None = None
        self.asked: set[str] = set()
        self.previous: str | None = None  # last answered intent, for follow-ups
        self.lang: Lang = "ja"

    def say(self, text: str) -> None:
        print(text, file=self.out, flush=True)

    def show(self, reply: Reply) -> None:
        self.say(reply.text)
        if reply.intent_id is not None:
            self.previous = reply.intent_id
        self.buttons = [(b.label, b.intent_id, b.category_id) for b in reply.buttons]
        for number, (label, _, _) in enumerate(self.buttons, 1):
            self.say(f"  [{number}] {label}")

    def topics(self, lang: str, only: str | None = None) -> None:
        catalogue = self.engine.catalogue
        lang_key: Lang = "ja" if lang == "ja" else "en"
        self.buttons = []
        for category in catalogue.categories:
            if only is not None and category.id != only:
                continue
            self.say(f"■ {category.title.get(lang_key)}")
            for intent_id in category.intent_ids:
                self.buttons.append(
                    (catalogue.by_id[intent_id].title.get(lang_key), intent_id, None)
                )
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
        self.say(f"❓ {self.quiz.question.get(lang)}")
        for number, option in enumerate(self.quiz.options[lang], 1):
            self.say(f"  {number}) {option}")

    def answer_quiz(self, number: int, lang: Lang) -> None:
        quiz, self.quiz = self.quiz, None
        assert quiz is not None
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
            self.say("?")
            return
        for term in terms:
            if term is not None:
                self.say(f"• {term.term.get(lang)} — {term.definition.get(lang)}")

    def press(self, number: int) -> None:
        if not 1 <= number <= len(self.buttons):
            self.say("?")
            return
        _, intent_id, category_id = self.buttons[number - 1]
        mode: LangMode = self.mode or self.lang
        if intent_id is not None:
            self.show(self.engine.intent_reply(intent_id, mode))
        elif category_id is not None:
            self.topics(self.lang, only=category_id)

    def handle(self, line: str) -> None:
        """React to one line of input."""
        text = line.strip()
        if self.mode in ("ja", "en"):
            self.lang = self.mode
        elif text and not text.startswith("/") and not text.isdigit():
            self.lang = detect_language(text)  # digits and commands keep the last language
        lang = self.lang
        if text.isdigit() and self.quiz is not None:
            self.answer_quiz(int(text), lang)
        elif text.isdigit() and self.buttons:
            self.press(int(text))
        elif text == "/quiz":
            self.ask_quiz(lang)
        elif text == "/map":
            self.show_map(lang)
        elif text.startswith("/glossary"):
            self.show_glossary(text.removeprefix("/glossary").strip(), lang)
        elif text in ("/help", "/start"):
            self.say(HELP["ja" if lang == "ja" else "en"])
        elif text == "/topics":
            self.topics(lang)
        elif text.startswith("/lang"):
            choice = text.removeprefix("/lang").strip().lower()
            if choice in LANG_MODES:
                self.mode = as_mode(choice)  # "auto": follow each question's script
            else:
                self.say("/lang " + " | ".join(LANG_MODES))
                return
            self.say(f"lang: {choice}")
        else:
            self.show(self.engine.answer(text, self.mode, previous=self.previous))

    def run(self, stdin: TextIO = sys.stdin) -> None:
        self.say("dnws-bot — 38 North (2025-03-14). " + HELP["en"].splitlines()[-1])
        while True:
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
        self.say("bye / またね")
