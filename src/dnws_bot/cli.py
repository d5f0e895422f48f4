"""Command line: the core raises its own errors; only this module turns them into messages and
exit codes (0 ok, 1 a check failed, 2 unusable input or configuration).

`ask` is on the hot path of the product check, so nothing here imports telegram at module level.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any

from .engine import CatalogueError, Engine, Reply
from .settings import Settings, SettingsError

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
DEFAULT_SINCE_DAYS = 30.0  # how far back `report` and `export-unanswered` look


def reply_json(reply: Reply) -> dict[str, Any]:
    """The stable JSON contract of `dnws-bot ask --json`."""
    return {
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


def _load_engine(args: argparse.Namespace) -> Engine:
    settings = Settings.from_env()
    directory = Path(args.intents) if args.intents else settings.intents_dir
    return Engine.load(directory, cache_dir=settings.cache_dir)


def _utf8_lines(stream: Any) -> IO[str]:
    """Read stdin as UTF-8 no matter the locale; undecodable bytes become U+FFFD, not a crash.

    A second handle on the same descriptor (closefd=False), so sys.stdin stays usable.
    """
    return open(stream.fileno(), encoding="utf-8", errors="replace", closefd=False)


def cmd_ask(args: argparse.Namespace) -> int:
    engine = _load_engine(args)
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
    from .console import ConsoleChat

    ConsoleChat(_load_engine(args)).run()
    return EXIT_OK


def cmd_validate(args: argparse.Namespace) -> int:
    engine = _load_engine(args)  # raises CatalogueError with every problem
    catalogue = engine.catalogue
    print(
        f"ok: {len(catalogue.intents)} intents in {len(catalogue.categories)} files, "
        f"{sum(len(i.paraphrases['ja']) + len(i.paraphrases['en']) for i in catalogue.intents)} "
        f"paraphrases, catalogue version {catalogue.version} ({catalogue.directory})"
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
    from .store import heartbeat_age

    settings = Settings.from_env()
    Engine.load(settings.intents_dir, cache_dir=settings.cache_dir)  # CatalogueError → exit 2
    age = heartbeat_age(settings.db_path)
    if age is None:
        print(f"unhealthy: no heartbeat beside {settings.db_path}", file=sys.stderr)
        return EXIT_FAILED
    if age > args.max_age:
        print(
            f"unhealthy: last heartbeat {age:.0f}s ago (limit {args.max_age:.0f}s)", file=sys.stderr
        )
        return EXIT_FAILED
    print(f"ok: heartbeat {age:.0f}s ago")
    return EXIT_OK


def cmd_map(args: argparse.Namespace) -> int:
    """The article at a glance, in the terminal."""
    for line in _load_engine(args).map_lines(args.lang):
        print(f"{line.text}  [{line.intent_id}]")
    return EXIT_OK


def _days(raw: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of days: {raw!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError("--since must be positive")
    return value


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


def _store_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", help="database path (default: $DNWS_DB or data/dnws-bot.sqlite3)")
    parser.add_argument(
        "--since",
        type=_days,
        default=DEFAULT_SINCE_DAYS,
        metavar="DAYS",
        help=f"look back this many days (default {DEFAULT_SINCE_DAYS:g})",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dnws-bot",
        description="Bilingual study bot for 38 North's article on North Korea's de facto "
        "nuclear weapon state status (2025-03-14).",
    )
    parser.add_argument("--intents", help="intents directory (default: $DNWS_INTENTS or bundled)")
    sub = parser.add_subparsers(dest="command", required=True)

    ask = sub.add_parser("ask", help="answer one question (or '-' for one per stdin line)")
    ask.add_argument("--lang", choices=["ja", "en", "both"], help="force the answer language")
    ask.add_argument("--json", action="store_true", help="print the JSON contract")
    ask.add_argument("question", nargs="+", help="the question, or - to read stdin")
    ask.set_defaults(func=cmd_ask)

    chat = sub.add_parser("chat", help="interactive console chat")
    chat.set_defaults(func=cmd_chat)

    validate = sub.add_parser("validate", help="check the intent catalogue")
    validate.set_defaults(func=cmd_validate)

    ev = sub.add_parser("eval", help="accuracy on a question set (tests/data/eval.yaml)")
    ev.add_argument("file")
    ev.add_argument("--misses", type=int, default=0, help="list this many misses")
    ev.set_defaults(func=cmd_eval)

    run = sub.add_parser("run", help="run the Telegram bot (TELEGRAM_BOT_TOKEN required)")
    run.add_argument("--webhook-url", help="serve a webhook at this public https URL")
    run.add_argument("--listen", default="127.0.0.1", help="webhook listen address")
    run.add_argument("--port", type=int, default=8443, help="webhook listen port")
    run.add_argument("--log-format", choices=["text", "json"], default="text")
    run.set_defaults(func=cmd_run)

    health = sub.add_parser("healthcheck", help="exit 0 if the running bot is alive (containers)")
    health.add_argument("--max-age", type=float, default=120.0, help="heartbeat age limit, s")
    health.set_defaults(func=cmd_healthcheck)

    article_map = sub.add_parser("map", help="the article's structure")
    article_map.add_argument("--lang", choices=["ja", "en"], default="en")
    article_map.set_defaults(func=cmd_map)

    report = sub.add_parser("report", help="curator report from the bot's database")
    _store_options(report)
    report.add_argument("--format", choices=["text", "json"], default="text")
    report.set_defaults(func=cmd_report)

    export = sub.add_parser(
        "export-unanswered", help="unanswered questions as CSV or paste-ready YAML"
    )
    _store_options(export)
    export.add_argument("--format", choices=["csv", "yaml"], required=True)
    export.set_defaults(func=cmd_export_unanswered)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        code: int = args.func(args)
    except CatalogueError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except SettingsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return EXIT_OK
    return code


if __name__ == "__main__":
    sys.exit(main())
