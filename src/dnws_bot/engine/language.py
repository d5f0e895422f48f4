"""Which language to answer in.

The question's script decides: any Japanese character means a Japanese answer, because a
Japanese reader asking "DNWSの条件は?" wants Japanese back even though most letters are Latin.
"""

from __future__ import annotations

import re
from typing import Literal, get_args

Lang = Literal["ja", "en"]
LANGS: tuple[Lang, ...] = get_args(Lang)

# How a chat wants its answers: one language, both, or (as a choice only) follow each question.
LangMode = Literal["ja", "en", "both"]
LangChoice = Literal["ja", "en", "both", "auto"]
ANSWER_MODES: tuple[LangMode, ...] = get_args(LangMode)
LANG_MODES: tuple[LangChoice, ...] = get_args(LangChoice)

# The characters normalize.is_japanese_char accepts, as one class: one C-level scan per question.
_JAPANESE_CHAR = re.compile(
    "[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f\u3005]"
)


def detect_language(text: str) -> Lang:
    """Return "ja" when the text holds any Japanese script, else "en"."""
    return "ja" if _JAPANESE_CHAR.search(text) else "en"


def as_mode(value: str | None) -> LangMode | None:
    """A stored language choice as an answer mode; "auto" and anything unknown mean None."""
    for mode in ANSWER_MODES:
        if value == mode:
            return mode
    return None
