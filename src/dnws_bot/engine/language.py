"""Which language to answer in.

The question's script decides: any Japanese character means a Japanese answer, because a
Japanese reader asking "DNWSの条件は?" wants Japanese back even though most letters are Latin.
"""

from __future__ import annotations

from typing import Literal, get_args

from .normalize import is_japanese_char

Lang = Literal["ja", "en"]
LANGS: tuple[Lang, ...] = get_args(Lang)


def detect_language(text: str) -> Lang:
    """Return "ja" when the text holds any Japanese script, else "en"."""
    return "ja" if any(is_japanese_char(ch) for ch in text) else "en"


def parse_lang(value: str | None) -> Lang | None:
    """Return a supported language code for user input like "JA" or " en ", else None."""
    if value is None:
        return None
    cleaned = value.strip().lower()
    for lang in LANGS:
        if cleaned == lang:
            return lang
    return None
