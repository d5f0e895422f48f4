"""Which language to answer in.

The question's script decides: any Japanese character means a Japanese answer, because a
Japanese reader asking "DNWSの条件は?" wants Japanese back even though most letters are Latin.
"""

from __future__ import annotations

from typing import Literal, get_args

from .normalize import is_japanese_char

Lang = Literal["ja", "en"]
LANGS: tuple[Lang, ...] = get_args(Lang)

# How a chat wants its answers: one language, both, or (as a choice only) follow each question.
LangMode = Literal["ja", "en", "both"]
LangChoice = Literal["ja", "en", "both", "auto"]
ANSWER_MODES: tuple[LangMode, ...] = get_args(LangMode)
LANG_MODES: tuple[LangChoice, ...] = get_args(LangChoice)


def detect_language(text: str) -> Lang:
    """Return "ja" when the text holds any Japanese script, else "en"."""
    return "ja" if any(is_japanese_char(ch) for ch in text) else "en"


def as_mode(value: str | None) -> LangMode | None:
    """A stored language choice as an answer mode; "auto" and anything unknown mean None."""
    for mode in ANSWER_MODES:
        if value == mode:
            return mode
    return None
