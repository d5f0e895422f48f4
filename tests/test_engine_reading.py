"""The Japanese reading layer: readings of the catalogue's kanji, IME slips read back, katakana
and acronym slips on names, and the analyser kept off the fast `ask` path.

Every question here is written for these tests (none is copied from the eval or tuning sets).
Each behaviour is checked against the same catalogue with the reading layer switched off, so a
test fails if the layer stops doing its work.
"""

from __future__ import annotations

import functools
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from dnws_bot.engine import Engine, MatchSettings, reading
from dnws_bot.engine.matching import Matcher
from dnws_bot.engine.normalize import MAX_QUESTION_CHARS
from dnws_bot.engine.reading import load_memo
from dnws_bot.engine.source import content_hash
from dnws_bot.engine.vocabulary import memo_texts
from engine_fixtures import INTENTS_DIR, load_engine


@functools.cache
def _without_readings() -> Matcher:
    return Matcher(load_engine().catalogue, MatchSettings(reading_layer=False))


def _on(question: str) -> tuple[str, str | None]:
    result = load_engine().matcher.match(question)
    return result.status, result.intent_id


def _off(question: str) -> tuple[str, str | None]:
    result = _without_readings().match(question)
    return result.status, result.intent_id


@pytest.mark.parametrize(
    ("question", "intent"),
    [
        ("山荘戦略とは", "strategy.three_layers"),  # 山荘 (さんそう) for 三層
    ],
)
def test_an_ime_homophone_is_read_as_the_catalogue_word(question: str, intent: str) -> None:
    """A kanji word the catalogue does not know, sounding like one it knows, is read as that
    word: the question is answered, where without readings it is not."""
    assert _on(question) == ("answer", intent)
    assert _off(question)[0] != "answer"


def test_the_reading_of_a_kanji_alias_names_its_concept() -> None:
    """A kanji alias typed in hiragana finds the alias's concept through its stored reading."""
    text = "たいりくかんだんどうだん の はなし"
    assert "icbm" in load_engine().matcher.analyse(text).concepts
    assert "icbm" not in _without_readings().analyse(text).concepts


def test_spaces_between_hiragana_words_do_not_split_a_term() -> None:
    """Spaced hiragana (たいりくかん だんどう だん) still meets the one-word reading."""
    text = "たいりくかん だんどう だん って なに"
    assert "icbm" in load_engine().matcher.analyse(text).concepts
    assert "icbm" not in _without_readings().analyse(text).concepts


@pytest.mark.parametrize(
    ("question", "intent"),
    [
        ("パキスダンの事例", "case.pakistan"),  # one katakana substituted
        ("what is the NTP", "glossary.npt"),  # two letters of an acronym swapped
        ("define UNCS", "glossary.unsc_2270"),
    ],
)
def test_a_slip_on_a_name_is_corrected(question: str, intent: str) -> None:
    """A katakana name one edit from a known one, or an acronym with two letters swapped, is
    read as the known name."""
    assert _on(question) == ("answer", intent)
    assert _off(question) != ("answer", intent)


def test_a_three_letter_katakana_name_is_corrected_only_for_a_look_alike() -> None:
    """ソ typed for ン in a three-letter name is corrected; any other three-letter change is not."""
    index = load_engine().matcher.analyser.concepts
    assert index.correct_kana("いそど") == "いんど"
    assert index.correct_kana("いまど") is None


def test_a_known_katakana_word_is_not_corrected() -> None:
    """A katakana word the catalogue uses is never "corrected" to a neighbouring name."""
    index = load_engine().matcher.analyser.concepts
    assert index.correct_kana("ぱきすだん") == "ぱきすたん"
    assert index.correct_kana("ぱきすたん") is None


def test_a_repair_only_confirms_an_intent_the_first_pass_ranked() -> None:
    """With no first-pass candidate allowed, the repaired reading is never taken."""
    catalogue = load_engine().catalogue
    strict = Matcher(catalogue, MatchSettings(repair_top=0))
    assert strict.match("山荘戦略とは").status != "answer"


@pytest.mark.parametrize(
    "question",
    ["金正恩の娘の名前は何", "北朝鮮の経済成長率は何パーセント", "イランの核開発の現状は"],
)
def test_out_of_scope_questions_stay_rejected_after_repair(question: str) -> None:
    """Questions the article does not answer have unknown kanji words, so the analyser is
    consulted, and they are still not answered."""
    assert _on(question)[0] != "answer"


def test_a_polite_frame_does_not_dilute_the_focus() -> None:
    """A long polite frame around a short question leaves it as confident as the short form."""
    engine = load_engine()
    short = engine.matcher.match("第二撃能力とは")
    long = engine.matcher.match(
        "第二撃能力について、記事ではどのように説明されているのか教えていただけますでしょうか?"
    )
    assert long.status == "answer" and long.intent_id == short.intent_id


_PROBE = """
import sys
from dnws_bot import cli
code = cli.main(["ask", "--json", sys.argv[1]])
print(code, "sudachipy" in sys.modules, file=sys.stderr)
"""


def _probe(question: str, cache: Path) -> list[str]:
    env = {"DNWS_CACHE_DIR": str(cache), "HOME": str(cache), "PATH": "/usr/bin:/bin"}
    result = subprocess.run(
        [sys.executable, "-c", _PROBE, question],
        capture_output=True,
        env=env,
        timeout=120,
        check=False,
    )
    return result.stderr.decode().split()[-2:]


def test_ask_imports_the_analyser_only_when_a_question_needs_it(tmp_path: Path) -> None:
    """A question the engine answers (kanji or hiragana) does not import SudachiPy, on a cache
    miss (the shipped readings memo) or a hit; a question with an unknown kanji word does."""
    cache = tmp_path / "cache"
    assert _probe("DNWSとは", cache) == ["0", "False"]  # builds the cache from YAML
    assert _probe("北朝鮮の三層戦略って?", cache) == ["0", "False"]
    assert _probe("たいりくかんだんどうだん って なに", cache) == ["0", "False"]
    assert _probe("山荘戦略とは", cache) == ["0", "True"]


def test_the_shipped_readings_memo_is_complete() -> None:
    """intents/readings.json reads every kanji alias form and Japanese paraphrase, so building
    from YAML needs no analyser (rewrite it with `python -m dnws_bot.engine.vocabulary`)."""
    catalogue = load_engine().catalogue
    missing = set(memo_texts(catalogue)) - set(load_memo(INTENTS_DIR))
    assert not missing, sorted(missing)[:5]


def test_the_readings_survive_the_cache(tmp_path: Path) -> None:
    """A restored engine holds the same readings and answers a hiragana question alike."""
    built = Engine.load(cache_dir=tmp_path)
    restored = Engine.load(cache_dir=tmp_path)
    assert restored.matcher.readings == built.matcher.readings
    assert restored.matcher.readings.words
    question = "たいりくかん だんどう だん って なに"
    assert restored.match(question) == built.match(question)


def test_a_huge_paste_of_unknown_kanji_is_read_only_up_to_the_question_limit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A 10,000-character paste of unknown kanji reaches the analyser cut to the question limit,
    and gets no answer."""
    seen: list[int] = []
    repair = reading.repair

    def spy(text: str, *args: Any) -> str | None:
        seen.append(len(text))
        return repair(text, *args)

    monkeypatch.setattr(reading, "repair", spy)
    assert load_engine().matcher.match("鬱蒼とした" * 2000).status != "answer"
    assert seen and max(seen) <= MAX_QUESTION_CHARS


def test_an_edit_to_the_readings_memo_changes_the_cache_key(tmp_path: Path) -> None:
    """The readings memo is part of the catalogue's content hash, so a cached engine never keeps
    readings the memo no longer has."""
    directory = tmp_path / "intents"
    shutil.copytree(INTENTS_DIR, directory)
    before = content_hash(directory)
    memo = directory / "readings.json"
    memo.write_text(memo.read_text(encoding="utf-8").replace("かく", "かく ", 1), encoding="utf-8")
    assert content_hash(directory) != before
