"""The compiled-engine cache: data only, authenticated, private, keyed by content, bounded."""

from __future__ import annotations

import json
import logging
import os
import pickle
import stat
from pathlib import Path

import pytest

from dnws_bot.engine import Engine, loader
from dnws_bot.engine.cache import KEY_FILE, EngineCache
from engine_fixtures import copy_intents, edit

QUESTION = "DNWSとは?"
EVIL = "https://evil.example/phish"


@pytest.fixture
def intents(tmp_path: Path) -> Path:
    return copy_intents(tmp_path)


@pytest.fixture
def cache_dir(tmp_path: Path) -> Path:
    return tmp_path / "cache" / "dnws-bot"


def entries(cache_dir: Path) -> list[Path]:
    return sorted(cache_dir.glob("engine-*"))


def no_yaml(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make any load from YAML fail, so only a cache hit can produce an engine."""

    def refuse(directory: Path) -> None:
        raise AssertionError("the catalogue was read from YAML")

    monkeypatch.setattr(loader, "load_catalogue", refuse)


def test_first_load_writes_private_json(intents: Path, cache_dir: Path) -> None:
    """A miss writes one JSON entry and a key: directory 0700, files 0600, no pickle."""
    Engine.load(intents, cache_dir=cache_dir)
    assert stat.S_IMODE(cache_dir.stat().st_mode) == 0o700
    (entry,) = entries(cache_dir)
    assert entry.suffix == ".json"
    assert stat.S_IMODE(entry.stat().st_mode) == 0o600
    assert stat.S_IMODE((cache_dir / KEY_FILE).stat().st_mode) == 0o600
    assert not list(cache_dir.glob("*.pickle"))


def test_hit_answers_exactly_like_yaml_without_reading_it(
    intents: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A second load comes from the cache alone and gives byte-identical replies."""
    built = Engine.load(intents, cache_dir=cache_dir)
    no_yaml(monkeypatch)
    cached = Engine.load(intents, cache_dir=cache_dir)
    for question in (QUESTION, "what are the sanctions", "なぜ?", "zzqx", ""):
        assert cached.answer(question) == built.answer(question)
    assert cached.match("なぜ?", previous="definition.dnws") == built.match(
        "なぜ?", previous="definition.dnws"
    )
    assert cached.catalogue == built.catalogue


def test_tampered_entry_is_not_served(intents: Path, cache_dir: Path) -> None:
    """A well-formed entry edited after writing (another link) is rebuilt from YAML."""
    Engine.load(intents, cache_dir=cache_dir)
    (entry,) = entries(cache_dir)
    blob = entry.read_bytes()
    head, payload = blob.split(b"\n\n", 1)
    data = json.loads(payload)
    url = data["snapshot"]["catalogue"]["article"][2]
    data["snapshot"]["catalogue"]["article"][2] = EVIL
    entry.write_bytes(head + b"\n\n" + json.dumps(data, ensure_ascii=False).encode())
    reply = Engine.load(intents, cache_dir=cache_dir).answer(QUESTION)
    assert reply.link == url and EVIL not in reply.html


def test_planted_pickle_is_never_run(intents: Path, cache_dir: Path) -> None:
    """A pickle planted under the entry's name or an old name is neither executed nor used."""
    marker = cache_dir.parent / "pwned"

    class Payload:
        def __reduce__(self) -> tuple[object, tuple[str]]:
            return (os.mkdir, (str(marker),))

    cache_dir.mkdir(parents=True, mode=0o700)
    planted = EngineCache(cache_dir, intents)
    hostile = pickle.dumps(Payload())
    planted.path.write_bytes(hostile)
    planted.path.with_suffix(".pickle").write_bytes(hostile)
    engine = Engine.load(intents, cache_dir=cache_dir)
    assert not marker.exists()
    assert engine.answer(QUESTION).intent_id == "definition.dnws"
    assert not planted.path.with_suffix(".pickle").exists()  # old pickles are pruned


def test_file_writable_by_others_is_ignored_with_one_log_line(
    intents: Path,
    cache_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """An entry that group or others could have written is never read, and said so once."""
    Engine.load(intents, cache_dir=cache_dir)
    (entry,) = entries(cache_dir)
    entry.chmod(0o666)
    no_yaml(monkeypatch)
    with caplog.at_level(logging.WARNING, logger="dnws_bot.engine.cache"):
        for _ in range(2):
            with pytest.raises(AssertionError, match="read from YAML"):
                Engine.load(intents, cache_dir=cache_dir)
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 1 and "writable by group or others" in lines[0], lines


def test_files_of_another_user_are_ignored(
    intents: Path,
    cache_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A cache directory owned by someone else is not read (seen as another uid)."""
    Engine.load(intents, cache_dir=cache_dir)
    no_yaml(monkeypatch)
    monkeypatch.setattr(os, "getuid", lambda: os.stat(cache_dir).st_uid + 1)
    with (
        caplog.at_level(logging.WARNING, logger="dnws_bot.engine.cache"),
        pytest.raises(AssertionError, match="read from YAML"),
    ):
        Engine.load(intents, cache_dir=cache_dir)
    assert any("not owned by the current user" in r.getMessage() for r in caplog.records)


def test_key_readable_by_others_is_ignored(
    intents: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The authentication key must be private: a world-readable key means no cache hits."""
    Engine.load(intents, cache_dir=cache_dir)
    (cache_dir / KEY_FILE).chmod(0o644)
    no_yaml(monkeypatch)
    with pytest.raises(AssertionError, match="read from YAML"):
        Engine.load(intents, cache_dir=cache_dir)


def test_edited_content_is_a_miss_and_only_two_entries_are_kept(
    intents: Path, cache_dir: Path
) -> None:
    """Each content edit builds afresh (no stale answer); older entries are pruned to two."""
    answers = []
    for n in range(3):
        edit(
            intents / "definition.yaml",
            "事実上の核武装国(DNWS)とは",
            f"[{n}]事実上の核武装国(DNWS)とは",
        )
        answers.append(Engine.load(intents, cache_dir=cache_dir).answer(QUESTION).body)
    assert [a.count("[") for a in answers] == [1, 2, 3]
    assert len(entries(cache_dir)) == 2


def test_custom_settings_neither_read_nor_write_the_cache(intents: Path, cache_dir: Path) -> None:
    """Tuning runs (custom MatchSettings) always build from YAML and leave no entry."""
    from dnws_bot.engine import MatchSettings

    Engine.load(intents, MatchSettings(margin=0.2), cache_dir=cache_dir)
    assert entries(cache_dir) == []
