"""Text normalisation shared by the catalogue and every incoming question.

Both sides of every comparison go through `normalize`, so the matcher never has to care about
full/half width, letter case, katakana vs hiragana, invisible characters or punctuation.
"""

from __future__ import annotations

import re
import unicodedata

# Longest question we look at: enough for any real question, and it bounds the work a
# 10,000-character paste can cause.
MAX_QUESTION_CHARS = 500

_KATAKANA_START, _KATAKANA_END = 0x30A1, 0x30F6  # ァ .. ヶ
_KANA_SHIFT = 0x60

# Letters that NFKC keeps but people type interchangeably.
_EXTRA_FOLDS = str.maketrans(
    {
        "〜": "ー",
        "~": " ",
        "’": "'",
        "‘": "'",
        "“": '"',
        "”": '"',
        "－": "-",
        "‐": "-",
        "–": "-",
        "—": "-",
        "ヴ": "ゔ",
    }
)

_SPACES = re.compile(r"\s+")


def _fold_char(ch: str) -> str:
    """Map one character to its comparison form, or to a space when it is punctuation."""
    code = ord(ch)
    if _KATAKANA_START <= code <= _KATAKANA_END:
        return chr(code - _KANA_SHIFT)
    category = unicodedata.category(ch)
    if category[0] in "LN":
        return ch
    if ch == "ー":  # the long-vowel mark is a letter for our purposes (ロシア vs ろーしあ)
        return ch
    if category in ("Mn", "Mc"):  # combining marks (dakuten after NFKC stays composed)
        return ch
    if category in ("Cc", "Cf", "Co", "Cs", "Cn"):  # controls, zero-width, bidi marks, junk
        return ""
    if ch in "-'":  # keep word-internal hyphen/apostrophe handling to the caller
        return ch
    return " "  # punctuation, symbols, emoji, spaces


def normalize(text: str) -> str:
    """Return the comparison form of `text`: NFKC, casefolded, kana-folded, no punctuation."""
    text = unicodedata.normalize("NFKC", text[: MAX_QUESTION_CHARS * 2]).translate(_EXTRA_FOLDS)
    folded = "".join(_fold_char(ch) for ch in text.casefold())
    # A hyphen or apostrophe joins words ("second-strike", "india's"); elsewhere it is noise.
    folded = re.sub(r"(?<![a-z0-9])['-]|['-](?![a-z0-9])", " ", folded)
    folded = folded.replace("'s ", " ").replace("'", "")
    folded = folded.replace("-", " ")
    return _SPACES.sub(" ", folded).strip()[:MAX_QUESTION_CHARS]


def is_japanese_char(ch: str) -> bool:
    """True for hiragana, katakana and CJK ideographs (after or before normalisation)."""
    code = ord(ch)
    return (
        0x3040 <= code <= 0x30FF  # hiragana, katakana
        or 0x3400 <= code <= 0x4DBF  # CJK extension A
        or 0x4E00 <= code <= 0x9FFF  # CJK unified ideographs
        or 0xF900 <= code <= 0xFAFF  # CJK compatibility ideographs
        or 0xFF66 <= code <= 0xFF9F  # half-width katakana
        or code == 0x3005  # 々
    )
