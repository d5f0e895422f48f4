"""`dnws-bot` as a user runs it: subprocesses, real stdin/stdout, exit codes."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from engine_fixtures import (
    BAD_INPUTS,
    CONTRACT_TYPES,
    EVAL_FILE,
    REPO,
    copy_intents,
    edit,
    line_of,
    load_engine,
    run_cli,
)

DNWS_JA = "DNWSとは"


@pytest.fixture(scope="session")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("dnws-cache")


@pytest.fixture(autouse=True)
def isolated_env(
    monkeypatch: pytest.MonkeyPatch, cache_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """Children cache in a temp dir and see a temp home, never the user's own cache."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("DNWS_CACHE_DIR", str(cache_dir))
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / ".cache"))
    monkeypatch.setenv("PYTHONIOENCODING", "utf-8")
    for name in ("DNWS_INTENTS", "DNWS_NO_CACHE", "TELEGRAM_BOT_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    return home


def json_lines(result: subprocess.CompletedProcess[bytes]) -> list[dict[str, Any]]:
    return [json.loads(line) for line in result.stdout.decode("utf-8").splitlines()]


def ask_json(*args: str) -> dict[str, Any]:
    result = run_cli(["ask", "--json", *args])
    assert result.returncode == 0, result.stderr.decode()
    (reply,) = json_lines(result)
    return reply


def assert_contract(reply: dict[str, Any]) -> None:
    assert set(reply) == set(CONTRACT_TYPES)
    for key, kind in CONTRACT_TYPES.items():
        assert isinstance(reply[key], kind), (key, reply[key])
    assert reply["status"] in {"answer", "suggest", "none"}
    assert reply["lang"] in {"ja", "en"}
    assert 0.0 <= reply["score"] <= 1.0
    assert all(isinstance(s, str) for s in reply["suggestions"])


# --- ask -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "question", [DNWS_JA, "What is a de facto nuclear weapon state?", "north korea", "asdfgh"]
)
def test_ask_json_prints_exactly_the_contract(question: str) -> None:
    """`ask --json` prints one object with exactly the contract keys, each of the right type."""
    assert_contract(ask_json(question))


def test_ask_json_answer_fields() -> None:
    """An answered question reports its intent, language, title, link and section."""
    engine = load_engine()
    reply = ask_json(DNWS_JA)
    intent = engine.catalogue.by_id["definition.dnws"]
    assert (reply["status"], reply["intent"], reply["lang"]) == ("answer", intent.id, "ja")
    assert reply["title"] == intent.title.ja
    assert reply["link"] == engine.catalogue.article.url
    assert reply["section"] == engine.catalogue.sections[intent.section].ja
    assert reply["suggestions"] == []


def test_ask_json_suggest_lists_candidate_ids() -> None:
    """A did-you-mean reply lists one to three existing intent ids and names no intent."""
    reply = ask_json("north korea")
    assert (reply["status"], reply["intent"]) == ("suggest", None)
    assert 1 <= len(reply["suggestions"]) <= 3
    assert set(reply["suggestions"]) <= set(load_engine().catalogue.by_id)


def test_ask_lang_en_answers_a_japanese_question_in_english() -> None:
    """`--lang en` gives the English answer to a Japanese question."""
    reply = ask_json("--lang", "en", DNWS_JA)
    intent = load_engine().catalogue.by_id["definition.dnws"]
    assert (reply["lang"], reply["intent"]) == ("en", intent.id)
    assert intent.answer.en in reply["answer"]
    assert intent.answer.ja not in reply["answer"]


def test_ask_without_json_prints_text_and_buttons() -> None:
    """Plain `ask` prints the answer text and its buttons, without HTML."""
    result = run_cli(["ask", "what is extended deterrence"])
    out = result.stdout.decode("utf-8")
    assert result.returncode == 0
    assert load_engine().catalogue.by_id["glossary.extended_deterrence"].answer.en in out
    assert "  → " in out
    assert "<b>" not in out


def test_ask_stdin_writes_one_object_per_line_in_order() -> None:
    """`ask --json -` answers every stdin line, blank ones included, in input order."""
    questions = [DNWS_JA, "", "hello", "recipe for pancakes", "what is extended deterrence"]
    result = run_cli(["ask", "--json", "-"], stdin="\n".join(questions).encode() + b"\n")
    assert result.returncode == 0, result.stderr.decode()
    replies = json_lines(result)
    assert [r["intent"] for r in replies] == [
        "definition.dnws",
        None,
        "smalltalk.greeting",
        None,
        "glossary.extended_deterrence",
    ]
    for reply in replies:
        assert_contract(reply)


def test_ask_stdin_survives_invalid_utf8() -> None:
    """Undecodable bytes on stdin still give one JSON line per input line and exit 0."""
    stdin = b"DNWS\xff\xfe\xe3\x81\n\xc3(\r\n\x80\x80\x80\nhello\n"
    result = run_cli(["ask", "--json", "-"], stdin=stdin)
    assert result.returncode == 0, result.stderr.decode()
    replies = json_lines(result)
    assert len(replies) == 4
    for reply in replies:
        assert_contract(reply)
    assert replies[-1]["intent"] == "smalltalk.greeting"


def test_ask_stdin_handles_hostile_lines() -> None:
    """Hostile lines on stdin each get a valid reply whose HTML never echoes them as markup."""
    lines = [q for q in BAD_INPUTS.values() if "\n" not in q]
    result = run_cli(["ask", "--json", "-"], stdin="\n".join(lines).encode() + b"\n")
    assert result.returncode == 0, result.stderr.decode()
    replies = json_lines(result)
    assert len(replies) == len(lines)
    for reply in replies:
        assert_contract(reply)
        assert "<script>" not in reply["html"]


@pytest.mark.parametrize("question", BAD_INPUTS.values(), ids=BAD_INPUTS.keys())
def test_ask_argument_handles_hostile_input(question: str) -> None:
    """Hostile text as the command-line question gets a valid reply and exit 0."""
    reply = ask_json(question)
    assert_contract(reply)
    assert "<script>" not in reply["html"]
    if any(ch in question for ch in "<>&"):
        assert question not in reply["html"]


def test_ask_is_independent_of_hash_seed() -> None:
    """Two processes with different hash seeds give byte-identical answers."""
    questions = [case["q"] for case in _eval_cases()[::7] if "\n" not in case["q"]]
    stdin = "\n".join(questions).encode() + b"\n"
    outputs = []
    for seed in ("1", "2"):
        result = subprocess.run(
            [sys.executable, "-m", "dnws_bot.cli", "ask", "--json", "-"],
            input=stdin,
            capture_output=True,
            env={**_env(), "PYTHONHASHSEED": seed, "DNWS_NO_CACHE": "1"},
            cwd=REPO,
            timeout=120,
            check=False,
        )
        assert result.returncode == 0, result.stderr.decode()
        outputs.append(result.stdout)
    assert outputs[0] == outputs[1]


def test_ask_needs_a_question() -> None:
    """`ask` without a question is a usage error (exit 2)."""
    assert run_cli(["ask"]).returncode == 2


def test_ask_caches_only_in_dnws_cache_dir(cache_dir: Path, isolated_env: Path) -> None:
    """The compiled-engine cache goes to DNWS_CACHE_DIR and nowhere under the home directory."""
    assert run_cli(["ask", "--json", "hello"]).returncode == 0
    assert list(cache_dir.glob("engine-*.json"))
    assert not any(isolated_env.rglob("engine-*"))


_PROBE = """
import sys
from dnws_bot import cli
code = cli.main(["ask", "--json", "hi"])
print(code, any(m == "telegram" or m.startswith("telegram.") for m in sys.modules), file=sys.stderr)
"""


def test_ask_never_imports_telegram() -> None:
    """Answering a question does not import the python-telegram-bot package."""
    result = subprocess.run(
        [sys.executable, "-c", _PROBE], capture_output=True, env=_env(), timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr.decode()
    assert result.stderr.decode().split() == ["0", "False"]


# Modules `ask` must not import when the compiled cache hits: the YAML parser, the event loop,
# the Bot API client, the database, the curator report; and what only costs start-up time
# (dataclasses: engine/record.py; argparse: cli.quick_ask; zoneinfo: only a set DNWS_TIMEZONE).
_HEAVY = (
    "yaml",
    "asyncio",
    "telegram",
    "sqlite3",
    "dnws_bot.store",
    "dnws_bot.report",
    "dataclasses",
    "argparse",
    "zoneinfo",
)
_IMPORTS_PROBE = """
import sys
from dnws_bot import cli
code = cli.main(["ask", "--json", "DNWSとは"])
heavy = sorted({m.split(".")[0] if not m.startswith("dnws_bot") else m for m in sys.modules
                if any(m == h or m.startswith(h + ".") for h in sys.argv[1:])})
print(code, *heavy, file=sys.stderr)
"""


def test_ask_on_a_cache_hit_imports_nothing_heavy() -> None:
    """With the engine cached, `ask` answers without importing YAML, asyncio, telegram or the
    store (the same probe on a cache miss does import yaml, so the check can fail)."""
    probe = [sys.executable, "-c", _IMPORTS_PROBE, *_HEAVY]
    miss = subprocess.run(
        probe, capture_output=True, env={**_env(), "DNWS_NO_CACHE": "1"}, timeout=60, check=False
    )
    assert miss.stderr.decode().split() == ["0", "yaml"], miss.stderr.decode()
    assert run_cli(["ask", "hello"]).returncode == 0  # the cache is written
    hit = subprocess.run(probe, capture_output=True, env=_env(), timeout=60, check=False)
    assert hit.stderr.decode().split() == ["0"], hit.stderr.decode()


def test_main_leaves_stdout_usable() -> None:
    """Calling cli.main in-process does not close the caller's stdout."""
    probe = 'from dnws_bot import cli\ncli.main(["ask", "--json", "hi"])\nprint("still open")\n'
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, env=_env(), timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr.decode()
    assert result.stdout.decode().splitlines()[-1] == "still open"


# --- validate ------------------------------------------------------------------------------


def test_validate_accepts_the_shipped_catalogue() -> None:
    """`validate` exits 0 and reports the intent count for the shipped catalogue."""
    result = run_cli(["validate"])
    assert result.returncode == 0, result.stderr.decode()
    count = len(load_engine().catalogue.intents)
    assert result.stdout.decode().startswith(f"ok: {count} intents")


def test_validate_checks_the_yaml_and_writes_no_cache(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """`validate` builds from the YAML every time and leaves the cache directory untouched
    (`make test` runs it, and checks must leave no trace)."""
    cache = tmp_path / "cache"
    monkeypatch.setenv("DNWS_CACHE_DIR", str(cache))
    result = run_cli(["validate"])
    assert result.returncode == 0, result.stderr.decode()
    assert not cache.exists()


def test_validate_lists_every_problem_with_file_and_line(tmp_path: Path) -> None:
    """`validate` on a broken copy exits 2 and prints each problem as file:line: [id] message."""
    intents = copy_intents(tmp_path)
    edit(
        intents / "definition.yaml",
        "  - id: definition.dnws\n",
        "  - id: definition.dnws\n    colour: red\n",
    )
    edit(intents / "case.yaml", "    section: requirements\n", "    section: nowhere\n")
    result = run_cli(["--intents", str(intents), "validate"])
    err = result.stderr.decode("utf-8")
    assert result.returncode == 2
    assert re.search(r"^definition\.yaml:5: \[definition\.dnws\] unknown key 'colour'$", err, re.M)
    assert re.search(r"^case\.yaml:\d+: \[case\.india\] section 'nowhere'", err, re.M)
    assert "error:" in err


_UNREACHABLE_INTENT = """
  - id: meta.unreachable
    section: about
    title: {ja: "到達不能", en: "Unreachable"}
    answer: {ja: "テスト用の答え。", en: "A test answer."}
    paraphrases:
      ja: [ぽにょぽにょ, ぷにゅぷにゅ, もにょもにょ, ふにゃふにゃ, ぺにょぺにょ, ぴにゃぴにゃ, むにゅむにゅ, ぽよぽよ]
      en: [zorblax, quibbleflux, snorkwane, flumbertide, grizzlequap, wobbleknot, plinthwarp, zizzleboom]
    related: [meta.source]
"""


def test_validate_fails_when_an_intent_cannot_be_reached_by_its_own_paraphrases(
    tmp_path: Path,
) -> None:
    """An intent whose paraphrases name no concept fails validate, each paraphrase located."""
    intents = copy_intents(tmp_path)
    path = intents / "meta.yaml"
    path.write_text(path.read_text(encoding="utf-8") + _UNREACHABLE_INTENT, encoding="utf-8")
    result = run_cli(["--intents", str(intents), "validate"])
    err = result.stderr.decode("utf-8")
    assert result.returncode == 1, err
    line = line_of(path, "zorblax")
    assert re.search(
        rf"^meta\.yaml:{line}: \[meta\.unreachable\] paraphrase 'zorblax' comes back as", err, re.M
    ), err
    assert "meta.unreachable" in err.splitlines()[-1]


def test_validate_strict_lists_every_paraphrase_that_misses() -> None:
    """`validate --strict` exits 1 unless every paraphrase comes back as its own answer."""
    result = run_cli(["validate", "--strict"])
    engine = load_engine()
    misses = [
        p
        for intent in engine.catalogue.intents
        for lang in ("ja", "en")
        for p in intent.paraphrases[lang]
        if engine.match(p).intent_id != intent.id
    ]
    assert result.returncode == (1 if misses else 0)
    assert len(result.stderr.decode("utf-8").splitlines()) == len(misses) + (1 if misses else 0)


@pytest.mark.parametrize("command", [["validate"], ["ask", "--json", "hello"], ["chat"]])
def test_missing_intents_directory_is_a_clear_error(tmp_path: Path, command: list[str]) -> None:
    """A missing intents directory exits 2 with an error naming that path, for any command."""
    missing = tmp_path / "no-such-intents"
    result = run_cli(["--intents", str(missing), *command])
    assert result.returncode == 2
    assert str(missing) in result.stderr.decode("utf-8")
    assert result.stdout == b""


def test_missing_intents_directory_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """DNWS_INTENTS pointing nowhere is reported like --intents: exit 2, path named."""
    missing = tmp_path / "gone"
    monkeypatch.setenv("DNWS_INTENTS", str(missing))
    result = run_cli(["validate"])
    assert result.returncode == 2
    assert str(missing) in result.stderr.decode("utf-8")


# --- eval ----------------------------------------------------------------------------------


def test_eval_prints_per_language_and_out_of_scope_lines() -> None:
    """`eval` prints per language, per style and language, out-of-scope, near-domain and
    two-turn lines, and exits 0."""
    result = run_cli(["eval", str(EVAL_FILE)])
    out = result.stdout.decode("utf-8")
    assert result.returncode == 0, result.stderr.decode()
    for lang in ("ja", "en", "all"):
        assert re.search(rf"^{lang}\s+\d+\s+[\d.]+%", out, re.M), out
    assert re.search(r"^ime\s+ja\s+\d+\s+[\d.]+%", out, re.M), out
    assert re.search(r"^en_typo\s+en\s+\d+\s+[\d.]+%", out, re.M), out
    for name in ("out-of-scope", "near-domain"):
        assert re.search(rf"^{name}\s+\d+\s+rejected\s+[\d.]+%", out, re.M), out
    assert re.search(r"^two-turn\s+n\s+right", out, re.M), out


def test_eval_of_a_missing_file_is_a_usage_error(tmp_path: Path) -> None:
    """`eval` on a file that does not exist exits 2 with an error message."""
    result = run_cli(["eval", str(tmp_path / "nope.yaml")])
    assert result.returncode == 2
    assert "error" in result.stderr.decode("utf-8")


# --- chat ----------------------------------------------------------------------------------


def chat(*lines: str) -> str:
    result = run_cli(["chat"], stdin="".join(f"{line}\n" for line in lines).encode())
    assert result.returncode == 0, result.stderr.decode()
    return result.stdout.decode("utf-8")


def test_chat_session_through_stdin() -> None:
    """A scripted chat (help, language, topics, a question, a button, EOF) prints each reply."""
    catalogue = load_engine().catalogue
    dnws = catalogue.by_id["definition.dnws"]
    first_related = catalogue.by_id[dnws.related[0]]
    out = chat("/help", "/lang en", "/topics", "What is a de facto nuclear weapon state?", "1")
    assert "/topics" in out
    assert "lang: en" in out
    for category in catalogue.categories:
        assert f"■ {category.title.en}" in out
    assert dnws.answer.en in out
    assert first_related.answer.en in out
    assert out.rstrip().endswith("bye / またね")


def test_chat_answers_japanese_in_japanese_by_default() -> None:
    """Without /lang, a Japanese question gets the Japanese answer."""
    out = chat(DNWS_JA)
    assert load_engine().catalogue.by_id["definition.dnws"].answer.ja in out


def test_chat_both_mode_prints_both_answers() -> None:
    """After /lang both, an answer is printed in Japanese and then in English."""
    dnws = load_engine().catalogue.by_id["definition.dnws"]
    out = chat("/lang both", DNWS_JA)
    assert 0 < out.index(dnws.answer.ja) < out.index(dnws.answer.en)


def test_chat_survives_junk_lines() -> None:
    """Empty lines, unknown commands, bad numbers and hostile text do not end the chat."""
    out = chat("", "/lang klingon", "99", "<script>alert(1)</script>", "/nonsense", "hello")
    assert "/lang ja | en | both | auto" in out
    assert load_engine().catalogue.by_id["smalltalk.greeting"].answer.en in out


def test_chat_button_follows_the_language_of_its_reply() -> None:
    """Pressing a button under an English answer opens the English answer."""
    catalogue = load_engine().catalogue
    first_related = catalogue.by_id[catalogue.by_id["definition.dnws"].related[0]]
    out = chat("What is a de facto nuclear weapon state?", "1")
    assert first_related.answer.en in out


# --- helpers -------------------------------------------------------------------------------


def _env() -> dict[str, str]:
    return dict(os.environ)


def _eval_cases() -> list[dict[str, Any]]:
    cases: list[dict[str, Any]] = yaml.safe_load(EVAL_FILE.read_text(encoding="utf-8"))["cases"]
    return cases


# --- the argument fast path of `ask` ----------------------------------------------------------

PLAIN_ASKS = [
    ["ask", "x"],
    ["ask", "--json", "what", "is", "dnws"],
    ["ask", "--lang", "ja", "--json", "x"],
    ["--intents", "somewhere", "ask", "-"],
    ["ask", "--json", "--lang", "both", "--json", "q"],
    ["ask", "--lang", "en", "--lang", "ja", "q"],
]
OTHER_ARGVS = [
    ["ask"],
    ["ask", "--json"],
    ["ask", "-h"],
    ["ask", "--lang", "fr", "x"],
    ["ask", "--lang=ja", "x"],
    ["ask", "x", "--json"],
    ["ask", "-1"],
    ["ask", "--js", "x"],
    ["validate"],
    ["--intents", "ask"],
]


@pytest.mark.parametrize("argv", PLAIN_ASKS, ids=" ".join)
def test_quick_ask_parses_plain_asks_exactly_like_argparse(argv: list[str]) -> None:
    """For the plain shapes of `ask`, the fast path gives argparse's own result."""
    from dnws_bot import cli

    quick = cli.quick_ask(argv)
    assert quick is not None
    assert vars(quick) == vars(cli.build_parser().parse_args(argv))


@pytest.mark.parametrize("argv", OTHER_ARGVS, ids=" ".join)
def test_quick_ask_leaves_everything_else_to_argparse(argv: list[str]) -> None:
    """Help, errors, other spellings and other commands go through argparse."""
    from dnws_bot import cli

    assert cli.quick_ask(argv) is None
