"""Japanese filler removal respects katakana word boundaries (えっと is not cut out of ダイエット)."""

from __future__ import annotations

import pytest

from dnws_bot.engine.concepts import ConceptIndex
from dnws_bot.engine.features import Analyser, katakana_words

FILLERS = sorted(["えっと", "さくっと", "教えて", "ねえ", "please"], key=len, reverse=True)


@pytest.fixture
def analyser() -> Analyser:
    """An analyser with a few fillers and one concept (目標), independent of the catalogue."""
    return Analyser(ConceptIndex({"goal": ("目標",)}), FILLERS, frozenset({"the"}))


@pytest.mark.parametrize(
    ("question", "content"),
    [
        ("えっとダイエットの目標", "だいえっとの目標"),
        ("ダイエットの目標教えて", "だいえっとの目標"),
        ("ﾀﾞｲｴｯﾄの目標", "だいえっとの目標"),
        ("ねえ、えっとダイエット", "だいえっと"),
    ],
)
def test_filler_inside_a_katakana_word_stays(
    analyser: Analyser, question: str, content: str
) -> None:
    """A filler that sits inside a katakana word typed by the user is part of that word."""
    assert analyser.question(question).analysed.content == content
    assert analyser.analyse(question).content == content


@pytest.mark.parametrize(
    ("question", "content"),
    [
        ("えっと、目標は", "目標は"),
        ("えっと目標", "目標"),
        ("サクッと目標を教えて", "目標を"),
        ("ねえねえ目標", "目標"),
        ("えっとダイエットじゃなくてえっと目標", "だいえっとじゃなくて 目標"),
        ("please 目標 please", "目標"),
    ],
)
def test_fillers_outside_katakana_words_still_go(
    analyser: Analyser, question: str, content: str
) -> None:
    """Fillers standing alone, or covering a whole katakana word (サクッと), are removed as before."""
    assert analyser.question(question).analysed.content == content


def test_hiragana_text_keeps_substring_removal(analyser: Analyser) -> None:
    """Without katakana in the question, a Japanese filler is still removed wherever it occurs."""
    assert analyser.analyse("もくひょうえっと教えて").content == "もくひょう"


def test_katakana_words_are_found_as_typed_without_the_analyser() -> None:
    """Katakana words come from the typed text (half-width joined, ー kept, lone ー or kana out)."""
    assert katakana_words("ﾀﾞｲｴｯﾄとコーヒー、ーー、ア") == {"だいえっと", "こーひー"}


def test_shipped_catalogue_keeps_diet_as_content() -> None:
    """With the shipped fillers, ダイエット survives filler removal and stays unknown content."""
    from engine_fixtures import load_engine

    content = load_engine().matcher.question("えっと、ダイエットの目標ってなに").analysed.content
    assert "だいえっと" in content


@pytest.mark.parametrize(
    "question",
    [
        "ロシアンルーレットって何",
        "アメリカンドッグの作り方",
        "インドネシアの首都は",
        "インドカレーの違い",
    ],
)
def test_country_inside_a_longer_katakana_word_is_not_the_country(question: str) -> None:
    """A country name that is only the start of another katakana word (インドネシア) names no concept
    and gets no confident answer."""
    from engine_fixtures import load_engine

    engine = load_engine()
    analysed = engine.matcher.question(question).analysed
    assert not analysed.concepts & {"russia", "us", "india"}
    assert engine.match(question).status != "answer"


@pytest.mark.parametrize(
    ("question", "concepts"),
    [
        ("インドパキスタンの違い", {"india", "pakistan", "difference"}),
        ("キムジョンウンの目標", {"north_korea", "goal"}),
        ("アメリカ本土への脅威", {"us_mainland", "threat"}),
    ],
)
def test_katakana_words_made_of_concepts_keep_them(question: str, concepts: set[str]) -> None:
    """A katakana word that concepts cover whole (インドパキスタン typed without ・) keeps them."""
    from engine_fixtures import load_engine

    assert concepts <= load_engine().matcher.question(question).analysed.concepts
