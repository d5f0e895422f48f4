"""The content says what the article says, in the article's voice, the same in both languages.

Each test guards one point of a bilingual fact-check against ../shared/source (issue 10). The YAML is
read with yaml.safe_load, so these checks depend on the content files only.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from dnws_bot.engine import Engine

INTENTS = Path(__file__).resolve().parent.parent / "intents"
# Files and keys that hold what users may type (matching input), not what the bot says.
INPUT_FILES = {"aliases.yaml", "stopwords.yaml"}
INPUT_KEYS = {"paraphrases", "forms", "keywords", "concepts", "related", "intent", "id", "section"}


def load(name: str) -> Any:
    return yaml.safe_load((INTENTS / name).read_text(encoding="utf-8"))


def intents() -> dict[str, dict[str, Any]]:
    """Every intent of the catalogue by id."""
    found: dict[str, dict[str, Any]] = {}
    for path in sorted(INTENTS.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for intent in data.get("intents") or []:
            found[intent["id"]] = intent
    return found


def answer(intent_id: str, lang: str) -> str:
    return str(intents()[intent_id]["answer"][lang])


def term(term_id: str) -> dict[str, Any]:
    return next(t for t in load("terms.yaml")["terms"] if t["id"] == term_id)


def question(qid: str) -> dict[str, Any]:
    return next(q for q in load("quiz.yaml")["questions"] if q["id"] == qid)


def _strings(node: Any, where: str) -> Iterator[tuple[str, str]]:
    if isinstance(node, str):
        yield where, node
    elif isinstance(node, list):
        for i, item in enumerate(node):
            yield from _strings(item, f"{where}[{i}]")
    elif isinstance(node, dict):
        for key, value in node.items():
            if key not in INPUT_KEYS:
                yield from _strings(value, f"{where}.{key}")


def user_texts() -> list[tuple[str, str]]:
    """Every string the bot can show: answers, titles, terms, quiz, sections (not paraphrases/forms)."""
    texts: list[tuple[str, str]] = []
    for path in sorted(INTENTS.glob("*.yaml")):
        if path.name not in INPUT_FILES:
            texts.extend(_strings(yaml.safe_load(path.read_text(encoding="utf-8")), path.name))
    return texts


def first_sentence(text: str, lang: str) -> str:
    if lang == "ja":
        return text.split("。")[0]
    return re.split(r"(?<=[.!?])\s", text)[0]


def sentences(text: str, lang: str) -> int:
    if lang == "ja":
        return len([s for s in text.split("。") if s.strip()])
    return len(re.findall(r"[.!?](?:\s|$)", text))


# 1. SSBN ---------------------------------------------------------------------------------------


def test_no_text_calls_an_ssbn_a_missile() -> None:
    """Wherever SSBN appears it names a submarine, never a missile (the missile is an SLBM)."""
    for where, text in user_texts():
        if "SSBN" in text:
            assert not re.search(r"(ミサイル|missiles?)\s*[((]SSBN", text, re.I), where
            assert "潜水艦" in text or "submarine" in text.lower(), where
    assert "SLBM" not in term("ssbn")["forms"]
    assert "submarine" in term("ssbn")["term"]["en"] and "潜水艦" in term("ssbn")["term"]["ja"]
    assert "SLBM" in term("slbm")["forms"]


def test_second_strike_names_ballistic_missile_submarines() -> None:
    """The second-strike answer lists SSBNs as ballistic-missile submarines in both languages."""
    assert "弾道ミサイル搭載原子力潜水艦(SSBN)" in answer("requirements.second_strike", "ja")
    assert "ballistic-missile submarines (SSBNs)" in answer("requirements.second_strike", "en")


# 2. 拡大抑止 / 6. NPT: one Japanese name shown, the other still understood ---------------------


@pytest.mark.parametrize(
    "shown, alias, concept, intent_id",
    [
        ("拡大抑止", "延長抑止", "extended_deterrence", "glossary.extended_deterrence"),
        ("核兵器不拡散条約", "核拡散防止条約", "npt", "glossary.npt"),
    ],
)
def test_one_japanese_name_is_shown_and_the_other_understood(
    shared_engine: Engine, shown: str, alias: str, concept: str, intent_id: str
) -> None:
    """The standard term is the only one the bot shows; the other still finds the same intent."""
    assert [where for where, text in user_texts() if alias in text] == []
    assert shown in intents()[intent_id]["title"]["ja"]
    assert alias in load("aliases.yaml")["concepts"][concept]
    result = shared_engine.match(f"{alias}とは")
    assert (result.status, result.intent_id) == ("answer", intent_id)


# 3. The article's voice ---------------------------------------------------------------------


def test_response_and_strategy_answers_attribute_to_the_article() -> None:
    """Every response.* and strategy.* answer says it is the article's view, in both languages."""
    checked = [i for i in intents() if i.startswith(("response.", "strategy."))]
    assert len(checked) >= 10
    for intent_id in checked:
        assert "記事" in answer(intent_id, "ja"), intent_id
        assert "article" in answer(intent_id, "en").lower(), intent_id


@pytest.mark.parametrize(
    "intent_id",
    ["strategy.goals", "strategy.three_layers", "strategy.russia", "strategy.sanctions_evasion"],
)
def test_north_korean_moves_the_article_predicts_are_predictions(intent_id: str) -> None:
    """What North Korea is expected to do is worded as a prediction, not as a fact."""
    assert "予想され" in answer(intent_id, "ja")
    assert "expected" in answer(intent_id, "en")


@pytest.mark.parametrize(
    "phrase",
    [
        "後ろ盾です",
        "backer",
        "不可欠だからです",
        "はじめて地位が固まります",
        "finally settles the status",
        "これは、米国と敵対し",
    ],
)
def test_the_bots_own_claims_are_gone(phrase: str) -> None:
    """Prescriptions and inferences once stated in the bot's own voice are no longer shown."""
    assert [where for where, text in user_texts() if phrase in text] == []


def test_prescriptions_do_not_open_in_the_bots_voice() -> None:
    """No response answer opens with 'The US and South Korea should' as if the bot prescribed it."""
    for intent_id in intents():
        if intent_id.startswith("response."):
            assert not answer(intent_id, "en").startswith("The US and South Korea should")


def test_the_1970_cutoff_is_attributed_to_the_article() -> None:
    """Every answer, term or quiz text stating the 1970 line says it is the article's account."""
    texts = [(i, a["answer"][lang], lang) for i, a in intents().items() for lang in ("ja", "en")]
    texts += [
        (t["id"], t["definition"][lang], lang)
        for t in load("terms.yaml")["terms"]
        for lang in ("ja", "en")
    ]
    for q in load("quiz.yaml")["questions"]:
        for lang in ("ja", "en"):
            texts += [(q["id"], q["question"][lang], lang), (q["id"], q["explanation"][lang], lang)]
    stated = [(where, text, lang) for where, text, lang in texts if "1970" in text]
    assert len(stated) >= 8
    for where, text, lang in stated:
        assert ("記事" in text) if lang == "ja" else ("article" in text.lower()), where


# 4. First sentence answers the question --------------------------------------------------------


@pytest.mark.parametrize(
    "intent_id, ja_opening, en_opening",
    [
        ("requirements.sanctions_endurance", "制裁耐性とは", "Sanctions endurance is"),
        ("response.deny_recognition", "外交的認知と経済援助の拒否とは", "It means"),
    ],
)
def test_what_is_answers_open_with_what_it_is(
    intent_id: str, ja_opening: str, en_opening: str
) -> None:
    """A 'what is' intent opens by saying what it is, not with 'because'."""
    assert answer(intent_id, "ja").startswith(ja_opening)
    assert answer(intent_id, "en").startswith(en_opening)


def test_only_why_intents_open_with_because() -> None:
    """An answer opens with 'Because' / '…からです' only when its title asks why."""
    for intent_id, intent in intents().items():
        asks_why = intent["title"]["en"].startswith("Why")
        if not asks_why:
            assert not answer(intent_id, "en").startswith("Because"), intent_id
            assert not first_sentence(answer(intent_id, "ja"), "ja").endswith("から"), intent_id


# 5. Same content in both languages --------------------------------------------------------------


@pytest.mark.parametrize(
    "intent_id",
    [
        "strategy.coercion",
        "glossary.unsc_2270",
        "requirements.sanctions_endurance",
        "response.deterrence",
        "response.deny_recognition",
        "meta.source",
    ],
)
def test_both_languages_say_the_same_number_of_things(intent_id: str) -> None:
    """The ja and en answers of a pair have the same number of sentences."""
    assert sentences(answer(intent_id, "ja"), "ja") == sentences(answer(intent_id, "en"), "en")


# 6. Small ones ------------------------------------------------------------------------------


def test_quiz_wording_follows_the_source() -> None:
    """q17 says 2270 was adopted in 2016; q31 reads as English; q37 says the remark was walked back."""
    q17 = question("q17")
    assert "採択" in q17["options"]["ja"][0] and "Adopted in 2016" in q17["options"]["en"][0]
    assert "call on" in question("q31")["question"]["en"]
    q37 = question("q37")
    for text in (q37["options"]["en"][0], q37["explanation"]["en"]):
        assert "walked back" in text and "then walked it back" not in text
    for text in (q37["options"]["ja"][0], q37["explanation"]["ja"]):
        assert "撤回された" in text


def test_strategic_stability_term_says_what_it_means() -> None:
    """The strategic-stability definition opens with a meaning, not with where it appears."""
    definition = term("strategic_stability")["definition"]
    assert "原則" not in definition["ja"].split("。")[0]
    assert "principle" not in definition["en"].split(";")[0]
    assert not definition["en"].startswith("Part of")


# 7. The map ---------------------------------------------------------------------------------


def test_map_follows_the_article() -> None:
    """The map opens with the great powers, includes strategy.difference, and lists three layers only."""
    entries: dict[str, list[str]] = {}
    order: list[str] = []
    for item in load("sections.yaml")["map"]:
        head, parts = (item, []) if isinstance(item, str) else next(iter(item.items()))
        entries[head] = list(parts)
        order.append(head)
    assert order[0] == "meta.great_powers"
    assert "strategy.difference" in order
    assert order.index("strategy.difference") < order.index("strategy.goals")
    assert "strategy.coercion" not in entries["strategy.three_layers"]
    assert order[-1] == "conclusion.summary"


# 8. Who wrote this? -------------------------------------------------------------------------


def test_source_says_the_author_is_not_named(shared_engine: Engine) -> None:
    """meta.source says plainly that the author is not named and points to the article link."""
    assert "著者名" in answer("meta.source", "ja") and "リンク" in answer("meta.source", "ja")
    assert "author is not named" in answer("meta.source", "en")
    assert "link" in answer("meta.source", "en")
    for asked in ("who wrote this article", "この記事の著者は誰?"):
        result = shared_engine.match(asked)
        assert (result.status, result.intent_id) == ("answer", "meta.source")
