"""Catalogue validation (every problem at once, located) and the shipped catalogue's content."""

from __future__ import annotations

from pathlib import Path

import pytest

from dnws_bot.engine import CatalogueError, Engine, Problem
from dnws_bot.engine.html_subset import html_problems, to_plain_text
from dnws_bot.engine.loader import MAX_ANSWER_CHARS, MIN_PARAPHRASES
from engine_fixtures import (
    copy_intents,
    edit,
    line_of,
    load_engine,
    load_problems,
    replace_line,
    required_intent_ids,
)

DNWS = "definition.dnws"
DNWS_LINE = "  - id: definition.dnws"
DNWS_ANSWER_JA = '      ja: "事実上の核武装国(DNWS)とは'
DNWS_ANSWER_EN = '      en: "A de facto nuclear weapon state (DNWS) is'
DNWS_RELATED = "    related: [requirements.overview, definition.examples, definition.de_jure_nws]"
DE_JURE = "definition.de_jure_nws"
DE_JURE_LINE = "  - id: definition.de_jure_nws"


@pytest.fixture(scope="session")
def engine() -> Engine:
    return load_engine()


@pytest.fixture
def intents(tmp_path: Path) -> Path:
    """An editable copy of the shipped intents/ directory."""
    return copy_intents(tmp_path)


@pytest.fixture
def definition(intents: Path) -> Path:
    return intents / "definition.yaml"


@pytest.fixture
def quiz(intents: Path) -> Path:
    return intents / "quiz.yaml"


@pytest.fixture
def terms(intents: Path) -> Path:
    return intents / "terms.yaml"


def reported(
    problems: list[Problem], file: str, line: int, intent_id: str | None, *words: str
) -> bool:
    """True when one problem sits at file:line for intent_id and its message has every word."""
    return any(
        p.file == file
        and p.line == line
        and p.intent_id == intent_id
        and all(w.lower() in p.message.lower() for w in words)
        for p in problems
    )


def show(problems: list[Problem]) -> str:
    return "\n".join(map(str, problems))


def load_ok(directory: Path) -> Engine:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DNWS_NO_CACHE", "1")
        return Engine.load(directory)


# --- validation of broken catalogues ---------------------------------------------------------


def test_unmodified_copy_loads(intents: Path) -> None:
    """The copied catalogue loads, so every failure below comes from its one edit."""
    assert load_ok(intents).catalogue.by_id[DNWS].id == DNWS


def test_unknown_intent_key_is_reported(definition: Path) -> None:
    """An intent key outside the format is reported at the intent's line with its id."""
    edit(definition, DNWS_LINE + "\n", DNWS_LINE + "\n    colour: red\n")
    problems = load_problems(definition.parent)
    line = line_of(definition, DNWS_LINE)
    assert reported(problems, "definition.yaml", line, DNWS, "unknown key", "colour"), show(
        problems
    )


def test_answer_without_english_is_reported(definition: Path) -> None:
    """An answer with only Japanese text is reported as missing its en text."""
    replace_line(definition, DNWS_ANSWER_EN, None)
    problems = load_problems(definition.parent)
    answer_map = line_of(definition, DNWS_ANSWER_JA)
    assert reported(problems, "definition.yaml", answer_map, DNWS, "answer", "missing en"), show(
        problems
    )


def test_duplicate_id_across_files_is_reported(intents: Path) -> None:
    """An id used in two files is reported with its id, at one place and naming the other."""
    case = intents / "case.yaml"
    edit(case, "  - id: case.pakistan", DNWS_LINE)
    problems = load_problems(intents)
    here, there = f"case.yaml:{line_of(case, DNWS_LINE)}", "definition.yaml:5"
    assert any(
        p.intent_id == DNWS and "duplicate id" in p.message and here in str(p) and there in str(p)
        for p in problems
    ), show(problems)


def test_duplicate_yaml_key_is_reported(definition: Path) -> None:
    """A key written twice in one mapping is reported at the second occurrence."""
    edit(definition, "    section: background\n", "    section: background\n    section: about\n")
    problems = load_problems(definition.parent)
    second = line_of(definition, "    section: about")
    assert any(
        p.file == "definition.yaml" and p.line == second and "duplicate key 'section'" in p.message
        for p in problems
    ), show(problems)


def test_duplicate_yaml_key_names_its_intent(definition: Path) -> None:
    """A duplicate key inside an intent is reported with that intent's id, like every rule."""
    edit(definition, "    section: background\n", "    section: background\n    section: about\n")
    problems = load_problems(definition.parent)
    assert any(p.intent_id == DNWS and "duplicate key" in p.message for p in problems), show(
        problems
    )


def test_dangling_related_id_is_reported(definition: Path) -> None:
    """A related id that names no intent is reported at the intent that points to it."""
    edit(definition, DNWS_RELATED, "    related: [requirements.overview, definition.nowhere]")
    problems = load_problems(definition.parent)
    line = line_of(definition, DNWS_LINE)
    assert reported(problems, "definition.yaml", line, DNWS, "related", "definition.nowhere"), show(
        problems
    )


@pytest.mark.parametrize(
    ("prefix", "lang", "char"), [(DNWS_ANSWER_JA, "ja", "あ"), (DNWS_ANSWER_EN, "en", "a")]
)
def test_answer_over_length_limit_is_reported(
    definition: Path, prefix: str, lang: str, char: str
) -> None:
    """An answer one character over its language's limit (ja 300, en 450) is reported."""
    limit = MAX_ANSWER_CHARS[lang]  # type: ignore[index]
    replace_line(definition, prefix, f'      {lang}: "{char * (limit + 1)}"')
    problems = load_problems(definition.parent)
    line = line_of(definition, DNWS_LINE)
    assert reported(
        problems, "definition.yaml", line, DNWS, f"answer.{lang}", str(limit + 1), str(limit)
    ), show(problems)


@pytest.mark.parametrize(
    ("prefix", "lang", "body"),
    [
        (DNWS_ANSWER_JA, "ja", "あ" * 300),
        (DNWS_ANSWER_EN, "en", "a" * 450),
        (DNWS_ANSWER_EN, "en", "<b>" + "a" * 450 + "</b>"),
    ],
)
def test_answer_at_length_limit_loads(definition: Path, prefix: str, lang: str, body: str) -> None:
    """An answer exactly at the limit loads; markup does not count towards it."""
    replace_line(definition, prefix, f'      {lang}: "{body}"')
    assert load_ok(definition.parent).catalogue.by_id[DNWS].answer.get(lang) == body  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("after", "duplicate", "twin"),
    [
        ('        - "de jure NWSとは"', "ＤＮＷＳとは！", "DNWSとは"),
        ('        - "de jure NWSとは"', "dnwsとは", "DNWSとは"),
        (
            '        - "what is a de jure nuclear weapon state"',
            "WHAT IS A DNWS?!",
            "what is a dnws",
        ),
        (
            '        - "what is a de jure nuclear weapon state"',
            "What is a ＤＮＷＳ",
            "what is a dnws",
        ),
    ],
)
def test_same_paraphrase_under_two_intents_is_reported(
    definition: Path, after: str, duplicate: str, twin: str
) -> None:
    """A paraphrase equal to another intent's after normalisation is reported at the second."""
    edit(definition, after + "\n", f'{after}\n        - "{duplicate}"\n')
    problems = load_problems(definition.parent)
    line = line_of(definition, DE_JURE_LINE)
    assert reported(problems, "definition.yaml", line, DE_JURE, duplicate, DNWS), show(problems)


@pytest.mark.parametrize(
    "html",
    [
        "Stray 1 < 2 comparison.",
        "An <div>unknown</div> tag.",
        "An <b>unclosed bold tag.",
        "A closing </i> tag with nothing open.",
        'A <a onclick="x">bad attribute</a>.',
        "An &nbsp; unknown entity.",
    ],
)
def test_answer_html_telegram_would_reject_is_reported(definition: Path, html: str) -> None:
    """Answer markup that Telegram's HTML parse mode would refuse is reported."""
    replace_line(definition, DNWS_ANSWER_EN, f"      en: '{html}'")
    problems = load_problems(definition.parent)
    line = line_of(definition, DNWS_LINE)
    assert reported(problems, "definition.yaml", line, DNWS, "answer.en", "telegram"), show(
        problems
    )


def test_too_few_paraphrases_is_reported(definition: Path) -> None:
    """A language with fewer than 8 paraphrases is reported with the count it has."""
    first = line_of(definition, '        - "what is a dnws"')
    lines = definition.read_text(encoding="utf-8").splitlines(keepends=True)
    end = first - 1
    while lines[end].startswith("        - "):
        end += 1
    keep = MIN_PARAPHRASES - 1
    del lines[first - 1 + keep : end]
    definition.write_text("".join(lines), encoding="utf-8")
    problems = load_problems(definition.parent)
    block = (line_of(definition, "    paraphrases:"), line_of(definition, DNWS_RELATED))
    assert any(
        p.file == "definition.yaml"
        and block[0] <= p.line <= block[1]
        and p.intent_id == DNWS
        and f"paraphrases.en has {keep}" in p.message
        for p in problems
    ), show(problems)


def test_unknown_section_is_reported(definition: Path) -> None:
    """A section that sections.yaml does not define is reported at the intent."""
    edit(definition, "    section: background\n", "    section: nowhere\n")
    problems = load_problems(definition.parent)
    line = line_of(definition, DNWS_LINE)
    assert reported(problems, "definition.yaml", line, DNWS, "'nowhere'", "sections.yaml"), show(
        problems
    )


def test_broken_yaml_syntax_is_reported_with_its_line(definition: Path) -> None:
    """A YAML syntax error is reported with the file and the line the parser stopped at."""
    broken = replace_line(
        definition, '    title: {ja: "事実上の核武装国とは"', '    title: {ja: "x", en: "y"'
    )
    problems = load_problems(definition.parent)
    yaml_problems = [p for p in problems if p.file == "definition.yaml" and "YAML" in p.message]
    assert yaml_problems, show(problems)
    assert broken <= yaml_problems[0].line <= broken + 2, show(problems)


def test_missing_intents_directory_names_the_path(tmp_path: Path) -> None:
    """Loading a directory that does not exist raises CatalogueError naming that path."""
    missing = tmp_path / "no-such-intents"
    problems = load_problems(missing)
    assert len(problems) == 1
    assert str(missing) in str(problems[0])
    assert "not found" in problems[0].message


@pytest.mark.parametrize(
    "tag",
    [
        '!!python/object/apply:os.system ["touch {marker}"]',
        '!!python/object/new:subprocess.check_call [["touch", "{marker}"]]',
        "!!python/object:dnws_bot.engine.catalogue.Text {{ja: a, en: b}}",
        "!!python/name:os.system",
    ],
)
def test_python_yaml_tags_are_refused(definition: Path, tmp_path: Path, tag: str) -> None:
    """Python-object YAML tags are a load error and never execute or build anything."""
    marker = tmp_path / "pwned"
    edit(definition, DNWS_LINE + "\n", f"{DNWS_LINE}\n    keywords: {tag.format(marker=marker)}\n")
    problems = load_problems(definition.parent)
    assert not marker.exists()
    assert any(p.file == "definition.yaml" and "python" in p.message for p in problems), show(
        problems
    )


def test_every_problem_is_reported_in_one_run(intents: Path, definition: Path) -> None:
    """Problems in different files and of different kinds all come back in one CatalogueError."""
    edit(definition, DNWS_LINE + "\n", DNWS_LINE + "\n    colour: red\n")
    case = intents / "case.yaml"
    edit(case, "  - id: case.pakistan\n", "  - id: case.pakistan\n    mood: sad\n")
    edit(intents / "quiz.yaml", "    correct: 1\n", "    correct: 9\n")
    problems = load_problems(intents)
    assert reported(problems, "definition.yaml", 5, DNWS, "unknown key", "colour"), show(problems)
    pakistan = line_of(case, "  - id: case.pakistan")
    assert reported(problems, "case.yaml", pakistan, "case.pakistan", "unknown key", "mood"), show(
        problems
    )
    assert any(p.file == "quiz.yaml" and p.intent_id == "q01" for p in problems), show(problems)


def test_catalogue_error_message_counts_the_problems(definition: Path) -> None:
    """CatalogueError's message says how many problems it carries."""
    edit(definition, DNWS_LINE + "\n", DNWS_LINE + "\n    colour: red\n    mood: sad\n")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DNWS_NO_CACHE", "1")
        with pytest.raises(CatalogueError) as caught:
            Engine.load(definition.parent)
    assert str(len(caught.value.problems)) in str(caught.value)
    assert len(caught.value.problems) >= 2


# --- quiz and glossary validation -----------------------------------------------------------


@pytest.mark.parametrize("correct", ["4", "-1", '"one"', "null"])
def test_quiz_correct_index_outside_options_is_reported(quiz: Path, correct: str) -> None:
    """A quiz answer index that names no option is reported at that question."""
    edit(quiz, "    correct: 1\n", f"    correct: {correct}\n")
    problems = load_problems(quiz.parent)
    line = line_of(quiz, 'id: "q01"')
    assert reported(problems, "quiz.yaml", line, "q01", "correct"), show(problems)


def test_quiz_option_over_100_characters_is_reported(quiz: Path) -> None:
    """A poll option longer than Telegram's 100 characters is reported."""
    edit(quiz, '"A state that finished nuclear tests before 1970"', f'"{"x" * 101}"')
    problems = load_problems(quiz.parent)
    line = line_of(quiz, 'id: "q01"')
    assert reported(problems, "quiz.yaml", line, "q01", "option", "100"), show(problems)


def test_quiz_option_of_exactly_100_characters_loads(quiz: Path) -> None:
    """A poll option of exactly 100 characters is accepted."""
    edit(quiz, '"A state that finished nuclear tests before 1970"', f'"{"x" * 100}"')
    assert load_ok(quiz.parent).catalogue.study.quiz[0].options["en"][0] == "x" * 100


def test_quiz_linked_to_missing_intent_is_reported(quiz: Path) -> None:
    """A quiz question whose intent does not exist is reported."""
    edit(quiz, 'intent: "definition.dnws"', 'intent: "definition.nowhere"')
    problems = load_problems(quiz.parent)
    line = line_of(quiz, 'id: "q01"')
    assert reported(problems, "quiz.yaml", line, "q01", "definition.nowhere"), show(problems)


def test_term_linked_to_missing_intent_is_reported(terms: Path) -> None:
    """A glossary term whose intent does not exist is reported."""
    edit(terms, 'intent: "definition.dnws"', 'intent: "definition.nowhere"')
    problems = load_problems(terms.parent)
    line = line_of(terms, 'id: "dnws"')
    assert reported(problems, "terms.yaml", line, "dnws", "definition.nowhere"), show(problems)


def test_duplicate_term_form_is_reported(terms: Path) -> None:
    """A surface form (after normalisation) claimed by two terms is reported at the second."""
    edit(terms, '    forms: ["de jure NWS", ', '    forms: ["ＤＮＷＳ", "de jure NWS", ')
    problems = load_problems(terms.parent)
    line = line_of(terms, 'id: "de_jure_nws"')
    assert reported(problems, "terms.yaml", line, "de_jure_nws", "ＤＮＷＳ", "dnws"), show(problems)


# --- the shipped catalogue ------------------------------------------------------------------

REQUIRED = required_intent_ids()


def test_required_intents_document_lists_ids() -> None:
    """docs/required-intents.md yields the table of required ids (guards the parser below)."""
    assert len(REQUIRED) >= 30
    assert len(set(REQUIRED)) == len(REQUIRED)


@pytest.mark.parametrize("intent_id", REQUIRED)
def test_required_intent_exists_in_both_languages(engine: Engine, intent_id: str) -> None:
    """Every required intent is in the catalogue with a title and an answer in ja and en."""
    intent = engine.catalogue.by_id[intent_id]
    for lang in ("ja", "en"):
        assert intent.title.get(lang).strip()
        assert intent.answer.get(lang).strip()


@pytest.mark.parametrize("intent_id", REQUIRED)
def test_required_intent_has_enough_paraphrases(engine: Engine, intent_id: str) -> None:
    """Every required intent has at least 8 paraphrases in each language."""
    intent = engine.catalogue.by_id[intent_id]
    assert len(intent.paraphrases["ja"]) >= MIN_PARAPHRASES
    assert len(intent.paraphrases["en"]) >= MIN_PARAPHRASES


@pytest.mark.parametrize("intent_id", REQUIRED)
def test_required_intent_answers_fit_the_limits(engine: Engine, intent_id: str) -> None:
    """Every required answer is within 300 (ja) / 450 (en) displayed characters."""
    intent = engine.catalogue.by_id[intent_id]
    assert len(to_plain_text(intent.answer.ja)) <= MAX_ANSWER_CHARS["ja"]
    assert len(to_plain_text(intent.answer.en)) <= MAX_ANSWER_CHARS["en"]


@pytest.mark.parametrize("intent_id", REQUIRED)
def test_required_intent_offers_two_or_three_follow_ups(engine: Engine, intent_id: str) -> None:
    """Every required intent relates to 2-3 other, existing intents."""
    intent = engine.catalogue.by_id[intent_id]
    assert 2 <= len(intent.related) <= 3
    assert intent_id not in intent.related
    assert set(intent.related) <= set(engine.catalogue.by_id)


def test_every_related_id_exists(engine: Engine) -> None:
    """No intent in the shipped catalogue points to a missing or to itself."""
    dangling = [
        (intent.id, rid)
        for intent in engine.catalogue.intents
        for rid in intent.related
        if rid not in engine.catalogue.by_id or rid == intent.id
    ]
    assert dangling == []


@pytest.mark.parametrize("mode", ["ja", "en", "both"])
def test_every_rendered_answer_is_valid_telegram_html(engine: Engine, mode: str) -> None:
    """Each intent's rendered answer passes the Telegram HTML check in every language mode."""
    invalid = {
        intent.id: problems
        for intent in engine.catalogue.intents
        if (problems := html_problems(engine.intent_reply(intent.id, mode).html))  # type: ignore[arg-type]
    }
    assert invalid == {}


@pytest.mark.parametrize("mode", ["ja", "en", "both"])
def test_every_rendered_answer_links_the_article(engine: Engine, mode: str) -> None:
    """Each article intent's rendered answer carries the article link as an <a href>."""
    anchor = f'<a href="{engine.catalogue.article.url}">'
    missing = [
        intent.id
        for intent in engine.catalogue.intents
        if intent.category != "smalltalk"
        and anchor not in engine.intent_reply(intent.id, mode).html  # type: ignore[arg-type]
    ]
    assert missing == []


@pytest.mark.parametrize(
    "question",
    ["thx", "ありがとう", "hi", "こんにちは", "勉強になりました", "助かりました", "very helpful"],
)
def test_small_talk_gets_a_short_reply_without_citation(engine: Engine, question: str) -> None:
    """Thanks and greetings get their short answer alone: no title, source line or link."""
    reply = engine.answer(question)
    assert reply.intent_id is not None and reply.intent_id.startswith("smalltalk.")
    intent = engine.catalogue.by_id[reply.intent_id]
    assert reply.html == intent.answer.get(reply.lang)
    assert engine.catalogue.article.url not in reply.text
    assert engine.text("source_label").get(reply.lang) not in reply.text


def test_article_link_is_https(engine: Engine) -> None:
    """The cited article link is an https URL on 38north.org."""
    assert engine.catalogue.article.url.startswith("https://www.38north.org/")


def test_shipped_catalogue_has_no_render_problems(engine: Engine) -> None:
    """The shipped catalogue renders every answer within Telegram's HTML and length rules."""
    assert engine.render_problems() == []
