"""What each `dnws-bot` command does; cli.py parses the command line and calls these.

Each command takes the parsed arguments and returns an exit code (0 ok, 1 a check failed, 2
unusable input or configuration); errors the core raises are turned into messages by cli.main.
Nothing here imports telegram, the store or YAML at module level: `ask` needs none of them.
"""

from __future__ import annotations

import gc
import json
import sys
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from .engine import CatalogueError, Engine, Reply
from .settings import Settings

if TYPE_CHECKING:
    import argparse

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def reply_json(reply: Reply) -> dict[str, Any]:
    """The stable JSON contract of `dnws-bot ask --json`; `reason` (and `topic`) only when the
    engine knows why there is no answer (README, "JSON")."""
    data: dict[str, Any] = {
        "status": reply.status,
        "intent": reply.intent_id,
        "score": round(reply.score, 4),
        "lang": reply.lang,
        "title": reply.title,
        "answer": reply.body,
        "html": reply.html,
        "link": reply.link,
        "section": reply.section,
        "suggestions": list(reply.suggestions),
    }
    if reply.reason is not None:
        data["reason"] = reply.reason
        if reply.topic is not None:
            data["topic"] = reply.topic
    return data


def _load_engine(args: argparse.Namespace, *, cached: bool = True) -> Engine:
    settings = Settings.from_env()
    directory = Path(args.intents) if args.intents else settings.intents_dir
    return Engine.load(directory, cache_dir=settings.cache_dir if cached else None)


def _utf8_lines(stream: Any) -> IO[str]:
    """Read stdin as UTF-8 no matter the locale; undecodable bytes become U+FFFD, not a crash.

    A second handle on the same descriptor (closefd=False), so sys.stdin stays usable.
    """
    return open(stream.fileno(), encoding="utf-8", errors="replace", closefd=False)


def cmd_ask(args: argparse.Namespace) -> int:
    engine = _load_engine(args)
    # A one-shot process: the engine lives until exit, so the collector need never scan it
    # again (nor at exit, which is a full collection otherwise).
    gc.freeze()
    sys.stdout.flush()
    # UTF-8 whatever the locale, on the same descriptor; closing it never closes sys.stdout.
    out = open(sys.stdout.fileno(), "w", encoding="utf-8", closefd=False, buffering=1)  # noqa: SIM115
    if args.question == ["-"]:
        for line in _utf8_lines(sys.stdin):
            reply = engine.answer(line.rstrip("\r\n"), args.lang)
            out.write(json.dumps(reply_json(reply), ensure_ascii=False) + "\n")
        out.flush()
        return EXIT_OK
    reply = engine.answer(" ".join(args.question), args.lang)
    if args.json:
        out.write(json.dumps(reply_json(reply), ensure_ascii=False) + "\n")
    else:
        out.write(reply.text + "\n")
        for button in reply.buttons:
            out.write(f"  → {button.label}\n")
    out.flush()
    return EXIT_OK


def cmd_chat(args: argparse.Namespace) -> int:
    """The console chat; Ctrl-C at any point is a normal end (exit 0, for `make run`). With
    DNWS_DB set, unanswered questions go to that database like the Telegram bot's."""
    from .console import ConsoleChat
    from .store import Store

    try:
        settings = Settings.from_env()
        engine = _load_engine(args)
        store = Store.open(settings.db_path) if settings.db_configured else None
        try:
            ConsoleChat(engine, store=store).run()
        finally:
            if store is not None:
                store.close()
    except KeyboardInterrupt:
        print(file=sys.stderr)
    return EXIT_OK


def cmd_validate(args: argparse.Namespace) -> int:
    """Load and check the catalogue, then ask it its own paraphrases: an intent that its own
    wording does not reach (e.g. words naming no concept of aliases.yaml) fails, and so does a
    not-covered form that catches a paraphrase (exit 2, like any catalogue problem)."""
    from .engine.selfcheck import (
        MIN_OWN_PARAPHRASES_ANSWERED,
        not_covered_catches,
        own_paraphrase_misses,
    )

    # Always from the YAML, never the cache: a cache hit would skip the checks validate is for,
    # and checking must not write (make test runs it; tests leave no trace in the default cache).
    engine = _load_engine(args, cached=False)  # raises CatalogueError with every problem
    catalogue = engine.catalogue
    catches = not_covered_catches(catalogue)
    if catches:
        raise CatalogueError(catches)
    misses, shares = own_paraphrase_misses(catalogue, lambda text: engine.match(text))
    strict = bool(getattr(args, "strict", False))
    failing = [m for m in misses if strict or shares[m.intent.id] < MIN_OWN_PARAPHRASES_ANSWERED]
    for miss in failing:
        print(miss.problem(), file=sys.stderr)
    total = sum(len(i.paraphrases["ja"]) + len(i.paraphrases["en"]) for i in catalogue.intents)
    if failing:
        weak = sorted({m.intent.id for m in failing})
        rule = (
            "every paraphrase must come back as its intent's answer"
            if strict
            else f"at least {MIN_OWN_PARAPHRASES_ANSWERED:.0%} of an intent's paraphrases must"
            " come back as its answer"
        )
        print(f"error: {len(weak)} intent(s) fail: {rule} ({', '.join(weak)})", file=sys.stderr)
        return EXIT_FAILED
    print(
        f"ok: {len(catalogue.intents)} intents in {len(catalogue.categories)} files, "
        f"{total} paraphrases ({total - len(misses)} come back as their own answer; "
        f"--strict lists the rest), catalogue version {catalogue.version} ({catalogue.directory})"
    )
    return EXIT_OK


def cmd_eval(args: argparse.Namespace) -> int:
    from .engine.evaluation import evaluate, format_report, load_cases

    engine = _load_engine(args)
    try:
        cases = load_cases(Path(args.file))
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    report = evaluate(cases, lambda q, previous: engine.match(q, None, previous))
    print(format_report(report, show_misses=args.misses))
    return EXIT_OK


def cmd_run(args: argparse.Namespace) -> int:
    from .telegram.runner import run_bot

    return run_bot(args)


def cmd_healthcheck(args: argparse.Namespace) -> int:
    """Exit 0 when the running bot's heartbeat is fresh and the catalogue loads (for containers)."""
    from .heartbeat import read_heartbeat

    settings = Settings.from_env()
    Engine.load(settings.intents_dir, cache_dir=settings.cache_dir)  # CatalogueError → exit 2
    age, problem = read_heartbeat(settings.db_path)
    if age is None:
        print(f"unhealthy: no heartbeat beside {settings.db_path}", file=sys.stderr)
        return EXIT_FAILED
    if age > args.max_age:
        print(
            f"unhealthy: last heartbeat {age:.0f}s ago (limit {args.max_age:.0f}s)", file=sys.stderr
        )
        return EXIT_FAILED
    if problem is not None:  # alive, but rows go nowhere: not ok
        print(f"unhealthy: {problem} (heartbeat {age:.0f}s ago)", file=sys.stderr)
        return EXIT_FAILED
    print(f"ok: heartbeat {age:.0f}s ago")
    return EXIT_OK


def cmd_map(args: argparse.Namespace) -> int:
    """The article at a glance, in the terminal."""
    for line in _load_engine(args).map_lines(args.lang):
        print(f"{line.text}  [{line.intent_id}]")
    return EXIT_OK


def _db_path(args: argparse.Namespace) -> Path:
    return Path(args.db) if args.db else Settings.from_env().db_path


def _write(text: str) -> None:
    """UTF-8 whatever the locale: questions and the 👍/👎 columns are not ASCII."""
    sys.stdout.buffer.write(text.encode("utf-8"))
    sys.stdout.buffer.flush()


def cmd_report(args: argparse.Namespace) -> int:
    from .report import ReportError, build_report, format_text, to_json

    engine = _load_engine(args)
    try:
        report = build_report(_db_path(args), engine, args.since)
    except ReportError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    _write(format_text(report) if args.format == "text" else to_json(report))
    return EXIT_OK


def cmd_export_unanswered(args: argparse.Namespace) -> int:
    from .report import ReportError, export_unanswered

    try:
        _write(export_unanswered(_db_path(args), args.format, args.since))
    except ReportError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    return EXIT_OK
