"""How many lines a message takes on a phone: ~35 columns, wide (East Asian) characters and
emoji count 2, words wrap whole, a collapsed expandable blockquote shows 3 lines."""

from __future__ import annotations

import json
import unicodedata
from typing import Any

COLUMNS = 35
COLLAPSED_LINES = 3  # what Telegram shows of an expandable blockquote before "show more"
QUOTE_HEADER_LINES = 2  # a reply's quote of the asker: name, then a line of their message


def char_width(ch: str) -> int:
    if unicodedata.category(ch) in ("Mn", "Me", "Cf") or ch == "\ufe0f":
        return 0
    if unicodedata.east_asian_width(ch) in ("W", "F") or ord(ch) > 0xFFFF:
        return 2
    return 1


def _tokens(line: str) -> list[str]:
    """Words (break only at spaces) and single wide characters (break anywhere)."""
    tokens: list[str] = []
    word = ""
    for ch in line:
        if ch == " " or char_width(ch) == 2:
            if word:
                tokens.append(word)
            word = ""
            tokens.append(ch)
        else:
            word += ch
    if word:
        tokens.append(word)
    return tokens


def wrapped_lines(line: str, columns: int = COLUMNS) -> int:
    """Lines one paragraph takes, wrapped greedily at `columns` (an empty one still takes 1)."""
    lines, used = 1, 0
    for token in _tokens(line):
        width = sum(char_width(ch) for ch in token)
        if token == " ":
            used = used + 1 if used + 1 <= columns else used
            continue
        if used and used + width > columns:
            lines, used = lines + 1, 0
        while width > columns:  # a word longer than the line is cut
            lines, width = lines + 1, width - columns
        used += width
    return lines


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def phone_lines(message: dict[str, Any]) -> int:
    """Lines of a sent message (Telegram's result: text and entities) on a phone screen."""
    text: str = message["text"]
    folds = [
        (e["offset"], e["offset"] + e["length"])
        for e in message.get("entities", [])
        if e["type"] == "expandable_blockquote"
    ]
    total = 0
    per_fold: dict[int, int] = {}
    offset = 0
    for line in text.split("\n"):
        count = wrapped_lines(line)
        fold = next((i for i, (a, b) in enumerate(folds) if a <= offset < b), None)
        if fold is None:
            total += count
        else:
            per_fold[fold] = per_fold.get(fold, 0) + count
        offset += _utf16_len(line) + 1
    return total + sum(min(n, COLLAPSED_LINES) for n in per_fold.values())


def keyboard_rows(params: dict[str, Any]) -> list[list[dict[str, Any]]]:
    markup = params.get("reply_markup")
    if isinstance(markup, str):
        markup = json.loads(markup)
    rows: list[list[dict[str, Any]]] = (markup or {}).get("inline_keyboard", [])
    return rows
