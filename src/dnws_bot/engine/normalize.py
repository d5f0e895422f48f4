"""Text normalisation shared by the catalogue and every incoming question.

Both sides of every comparison go through `normalize`, so the matcher never has to care about
full/half width, letter case, katakana vs hiragana, invisible characters or punctuation.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache

# Longest question we look at: enough for any real question, and it bounds the work a
# 10,000-character paste can cause.
MAX_QUESTION_CHARS = 500

# Katakana ァ..ヶ fold onto hiragana ぁ..ゖ, so ロシア and ろしあ compare equal.
_KANA_FOLD = {code: code - 0x60 for code in range(0x30A1, 0x30F7)}

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
    }
)

# Invisible characters vanish (so "DN\u200bWS" is still "dnws"): C0/C1 controls, soft hyphen,
# zero-width and bidi marks, word joiners, BOM, interlinear annotation marks.
_INVISIBLE = re.compile(
    "[\u0000-\u0008\u000e-\u001f\u007f-\u009f\u00ad\u061c\u180e"
    "\u200b-\u200f\u202a-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb]"
)
# Everything that is not a letter, digit, ー, apostrophe or hyphen becomes a space.
_NOT_WORD = re.compile(r"[^\w'\-]|_")
# A hyphen or apostrophe joins words ("second-strike", "india's"); elsewhere it is noise.
_LOOSE_JOINERS = re.compile(r"(?<![a-z0-9])['-]|['-](?![a-z0-9])")
_POSSESSIVE = re.compile(r"'s\b")


def normalize(text: str) -> str:
    """Return the comparison form of `text`: NFKC, casefolded, kana-folded, no punctuation."""
    text = unicodedata.normalize("NFKC", text[: MAX_QUESTION_CHARS * 2])
    # str.translate looks every character up in a dict: ASCII text (half of what a build
    # normalises) is spared it, since the folds change no ASCII character but "~".
    if text.isascii():
        text = _INVISIBLE.sub("", text.replace("~", " ").casefold())
    else:
        text = _INVISIBLE.sub("", text.translate(_EXTRA_FOLDS).casefold()).translate(_KANA_FOLD)
    text = _NOT_WORD.sub(" ", text)
    if "'" in text or "-" in text:  # the only characters the joiner rules touch
        text = _LOOSE_JOINERS.sub(" ", text)
        text = _POSSESSIVE.sub("", text).replace("'", "").replace("-", " ")
    # Only spaces are left between words (_NOT_WORD), so split/join collapses and strips them.
    return " ".join(text.split())[:MAX_QUESTION_CHARS]


@cache
def normalize_content(text: str) -> str:
    """`normalize`, memoised, for catalogue text only: building an engine compares the same
    paraphrase or alias several times. Never for user input (the memo is unbounded); building
    clears it (`normalize_content.cache_clear()`) once the engine is built."""
    return normalize(text)


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
