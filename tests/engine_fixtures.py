"""Helpers shared by the engine and CLI tests: the real engine, catalogue copies, subprocesses.

Imported by the test modules (tests/ is on sys.path, like tests/botapi); each module declares
its own small fixtures on top of these functions.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest

from dnws_bot.engine import CatalogueError, Engine, Problem

REPO = Path(__file__).resolve().parent.parent
INTENTS_DIR = REPO / "intents"
EVAL_FILE = REPO / "tests" / "data" / "eval.yaml"
REQUIRED_INTENTS_DOC = REPO / "docs" / "required-intents.md"
README = REPO / "README.md"

# The keys of `dnws-bot ask --json`, with the type each value must have.
CONTRACT_TYPES: Mapping[str, type | tuple[type, ...]] = {
    "status": str,
    "intent": (str, type(None)),
    "score": (int, float),
    "lang": str,
    "title": str,
    "answer": str,
    "html": str,
    "link": str,
    "section": str,
    "suggestions": list,
}

# Inputs a user (or an attacker) may send; none of them may crash anything.
BAD_INPUTS: Mapping[str, str] = {
    "empty": "",
    "whitespace": " \t\n \u3000 ",
    "huge": "北朝鮮の制裁 sanctions " * 500,
    "emoji_only": "😀🚀🔥💯",
    "zero_width": "\u200b\u200c\u200d\ufeff",
    "bidi_controls": "\u202eolleh\u202c\u2066x\u2069",
    "script_tag": "<script>alert(1)</script>",
    "sql_injection": "'; DROP TABLE users;--",
    "broken_html": "<b>&amp;</a>",
}


@functools.cache
def load_engine() -> Engine:
    """The shipped catalogue, validated from YAML (no compiled cache read or written)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DNWS_NO_CACHE", "1")
        return Engine.load()


def required_intent_ids() -> list[str]:
    """Ids listed in the table of docs/required-intents.md, in order."""
    text = REQUIRED_INTENTS_DOC.read_text(encoding="utf-8")
    return re.findall(r"^\|\s*([a-z][a-z0-9_]*\.[a-z][a-z0-9_]*)\s*\|", text, re.MULTILINE)


def copy_intents(tmp_path: Path) -> Path:
    """A private, editable copy of the shipped intents directory."""
    target = tmp_path / "intents"
    shutil.copytree(INTENTS_DIR, target)
    return target


def edit(path: Path, old: str, new: str) -> None:
    """Replace the first occurrence of `old` in a file (which must contain it)."""
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not found in {path.name}: the fixture needs updating"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def replace_line(path: Path, prefix: str, new_line: str | None) -> int:
    """Replace (or with None delete) the first line starting with `prefix`; return its number."""
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    for index, line in enumerate(lines):
        if line.startswith(prefix):
            lines[index : index + 1] = [] if new_line is None else [new_line + "\n"]
            path.write_text("".join(lines), encoding="utf-8")
            return index + 1
    raise AssertionError(
        f"no line starts with {prefix!r} in {path.name}: the fixture needs updating"
    )


def line_of(path: Path, needle: str) -> int:
    """1-based number of the first line of a file that contains `needle`."""
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} not found in {path.name}")


def load_problems(directory: Path) -> list[Problem]:
    """Every problem Engine.load reports for a catalogue that must not load."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DNWS_NO_CACHE", "1")
        with pytest.raises(CatalogueError) as caught:
            Engine.load(directory)
    return caught.value.problems


def run_cli(args: Sequence[str], stdin: bytes = b"") -> subprocess.CompletedProcess[bytes]:
    """Run `python -m dnws_bot.cli ARGS` in a child with the current (test-patched) environment."""
    return subprocess.run(
        [sys.executable, "-m", "dnws_bot.cli", *args],
        input=stdin,
        capture_output=True,
        env=dict(os.environ),
        cwd=REPO,
        timeout=60,
        check=False,
    )
