"""The console chat: the same replies as Telegram, in a terminal, with numbered buttons."""

from __future__ import annotations

import sys
from typing import TextIO

from .engine import Engine, LangMode, Reply
from .engine.language import Lang, detect_language

HELP = {
    "ja": "質問を入力してください(日本語/英語)。番号でボタンを選べます。\n"
    "/topics トピック一覧  /lang ja|en|both|auto 言語  /help ヘルプ  Ctrl-D で終了",
    "en": "Type a question in Japanese or English; type a number to press a button.\n"
    "/topics list topics  /lang ja|en|both|auto answer language  /help this help  Ctrl-D quit",
}
_LANG_MODES = ("ja", "en", "both")


class ConsoleChat:
    """One conversation: remembers the language choice and the buttons last shown."""

    def __init__(self, engine: Engine, out: TextIO = sys.stdout) -> None:
        self.engine = engine
        self.out = out
        self.mode: LangMode | None = None  # None: follow each question's script
        self.buttons: list[tuple[str, str | None, str | None]] = []

    def say(self, text: str) -> None:
        print(text, file=self.out, flush=True)

    def show(self, reply: Reply) -> None:
        self.say(reply.text)
        self.buttons = [(b.label, b.intent_id, b.category_id) for b in reply.buttons]
        for number, (label, _, _) in enumerate(self.buttons, 1):
            self.say(f"  [{number}] {label}")

    def topics(self, lang: str) -> None:
        catalogue = self.engine.catalogue
        lang_key: Lang = "ja" if lang == "ja" else "en"
        self.buttons = []
        for category in catalogue.categories:
            self.say(f"■ {category.title.get(lang_key)}")
            for intent_id in category.intent_ids:
                self.buttons.append(
                    (catalogue.by_id[intent_id].title.get(lang_key), intent_id, None)
                )
                self.say(f"  [{len(self.buttons)}] {self.buttons[-1][0]}")

    def press(self, number: int) -> None:
        if not 1 <= number <= len(self.buttons):
            self.say("?")
            return
        _, intent_id, category_id = self.buttons[number - 1]
        mode: LangMode = self.mode or "ja"
        if intent_id is not None:
            self.show(self.engine.intent_reply(intent_id, mode))
        elif category_id is not None:
            self.topics(mode)

    def handle(self, line: str) -> None:
        """React to one line of input."""
        text = line.strip()
        lang = self.mode if self.mode in ("ja", "en") else detect_language(text) if text else "ja"
        if text.isdigit() and self.buttons:
            self.press(int(text))
        elif text in ("/help", "/start"):
            self.say(HELP["ja" if lang == "ja" else "en"])
        elif text == "/topics":
            self.topics(lang or "en")
        elif text.startswith("/lang"):
            choice = text.removeprefix("/lang").strip().lower()
            if choice == "auto":
                self.mode = None
            elif choice in _LANG_MODES:
                self.mode = choice  # type: ignore[assignment]
            else:
                self.say("/lang ja | en | both | auto")
                return
            self.say(f"lang: {choice}")
        else:
            self.show(self.engine.answer(text, self.mode))

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
