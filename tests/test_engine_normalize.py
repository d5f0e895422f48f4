"""Normalisation and language detection: the shared first step of every comparison."""

from __future__ import annotations

import pytest

from dnws_bot.engine.language import detect_language
from dnws_bot.engine.normalize import MAX_QUESTION_CHARS, normalize


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ＤＮＷＳ", "dnws"),
        ("ＮＰＴ", "npt"),
        ("１９９８年", "1998年"),
        ("ﾛｼｱ", "ろしあ"),
        ("ｻﾝｸｼｮﾝ", "さんくしょん"),
    ],
)
def test_full_and_half_width_forms_fold_to_one_spelling(text: str, expected: str) -> None:
    """Full-width Latin/digits and half-width katakana fold (NFKC) to their ordinary forms."""
    assert normalize(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("DNWS", "dnws"),
        ("North KOREA", "north korea"),
        ("ExTeNdEd DeTeRrEnCe", "extended deterrence"),
    ],
)
def test_letter_case_is_folded(text: str, expected: str) -> None:
    """Upper and mixed case compare equal to lower case."""
    assert normalize(text) == expected


@pytest.mark.parametrize(("katakana", "hiragana"), [("ロシア", "ろしあ"), ("ミサイル", "みさいる")])
def test_katakana_folds_onto_hiragana(katakana: str, hiragana: str) -> None:
    """Katakana and the same word in hiragana normalise identically."""
    assert normalize(katakana) == normalize(hiragana) == hiragana


@pytest.mark.parametrize(
    "text",
    [
        "DN\u200bWS",  # zero-width space
        "D\u200cN\u200dWS",  # zero-width non-joiner / joiner
        "\ufeffDNWS",  # byte-order mark
        "DN\u2060WS",  # word joiner
        "\u202eDNWS\u202c",  # right-to-left override ... pop
        "\u200fDNWS\u200e",  # right-to-left / left-to-right marks
        "\u2066DNWS\u2069",  # left-to-right isolate ... pop isolate
        "DN\u00adWS",  # soft hyphen
    ],
)
def test_invisible_and_bidi_control_characters_are_removed(text: str) -> None:
    """Zero-width, BOM, soft hyphen and bidi controls vanish without splitting the word."""
    assert normalize(text) == "dnws"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("hello, world!", "hello world"),
        ("sanctions?!🚀🔥", "sanctions"),
        ("制裁は？", "制裁は"),
        ("北朝鮮、ロシア。", "北朝鮮 ろしあ"),
        ("「核の傘」とは", "核の傘 とは"),
        ("😀", ""),
        ("(P5)", "p5"),
    ],
)
def test_punctuation_and_emoji_become_spaces(text: str, expected: str) -> None:
    """Punctuation and emoji separate words but never survive into the normalised text."""
    assert normalize(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("second-strike", "second strike"),
        ("second‐strike", "second strike"),  # U+2010 hyphen
        ("re-entry", "re entry"),
        ("-- second strike --", "second strike"),
        ("North Korea's", "north korea"),
        ("North Korea’s", "north korea"),  # typographic apostrophe
        ("'quoted'", "quoted"),
    ],
)
def test_hyphens_and_possessives_read_as_plain_words(text: str, expected: str) -> None:
    """Hyphenated compounds split into words, and a possessive 's is dropped."""
    assert normalize(text) == expected


@pytest.mark.parametrize("text", ["x" * 10_000, "あ" * 10_000, "a " * 10_000, "😀" * 10_000])
def test_huge_input_is_bounded(text: str) -> None:
    """A 10,000-character paste normalises to at most MAX_QUESTION_CHARS characters."""
    assert len(normalize(text)) <= MAX_QUESTION_CHARS


@pytest.mark.parametrize("text", ["", " ", "\t\n", "\u3000\u3000", "\u200b\u200b", "?!。、"])
def test_blank_input_normalises_to_empty(text: str) -> None:
    """Whitespace, ideographic spaces, invisible characters and bare punctuation leave nothing."""
    assert normalize(text) == ""


@pytest.mark.parametrize(
    "text",
    [
        "ＤＮＷＳってなに？",
        "North Korea's second-strike",
        "ﾛｼｱとの同盟",
        "D\u200bN WS!!",
        "x" * 10_000,
    ],
)
def test_normalize_is_idempotent(text: str) -> None:
    """Normalising an already normalised text changes nothing."""
    once = normalize(text)
    assert normalize(once) == once


@pytest.mark.parametrize(
    "text",
    [
        "DNWSの条件は?",
        "ロシア",
        "ﾛｼｱ",
        "核",
        "ひらがな",
        "what is 核の傘",
        "々",
    ],
)
def test_any_japanese_character_means_japanese(text: str) -> None:
    """A question with any kana or kanji is answered in Japanese, even if mostly Latin."""
    assert detect_language(text) == "ja"


@pytest.mark.parametrize(
    "text", ["what is dnws", "ＤＮＷＳ", "😀🚀", "1998", "", "<script>alert(1)</script>", "Привет"]
)
def test_text_without_japanese_script_means_english(text: str) -> None:
    """Latin, digits, full-width Latin, emoji, other scripts or nothing at all mean English."""
    assert detect_language(text) == "en"
