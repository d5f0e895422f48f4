"""Command line: the `dnws-bot` program's arguments (cli_commands.py does the work); the core
raises its own errors, and only this module turns them into messages and exit codes (0 ok,
1 a check failed, 2 unusable input or configuration).

`ask` is on the hot path of the product check: its plain shapes skip argparse (quick_ask), and
nothing here imports telegram, the store or YAML at module level.
"""

from __future__ import annotations

import gc
import sys
from collections.abc import Sequence
from types import SimpleNamespace
from typing import TYPE_CHECKING, cast

# The engine's modules create many objects and no garbage: no collection while they import.
_collecting = gc.isenabled()
gc.disable()
from .cli_commands import (  # noqa: E402
    EXIT_OK,
    EXIT_USAGE,
    cmd_ask,
    cmd_chat,
    cmd_eval,
    cmd_export_unanswered,
    cmd_healthcheck,
    cmd_map,
    cmd_report,
    cmd_run,
    cmd_validate,
)
from .engine import ANSWER_MODES, LANGS, CatalogueError  # noqa: E402
from .settings import SettingsError  # noqa: E402

if _collecting:
    gc.enable()

if TYPE_CHECKING:
    import argparse  # imported by build_parser: `ask`'s plain shapes never need it

DEFAULT_SINCE_DAYS = 30.0  # how far back `report` and `export-unanswered` look


def _days(raw: str) -> float:
    import argparse

    try:
        value = float(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of days: {raw!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError("--since must be positive")
    return value


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
    import argparse

    parser = argparse.ArgumentParser(
        prog="dnws-bot",
        description="Bilingual study bot for 38 North's article on North Korea's de facto "
        "nuclear weapon state status (2025-03-14).",
    )
    parser.add_argument("--intents", help="intents directory (default: $DNWS_INTENTS or bundled)")
    sub = parser.add_subparsers(dest="command", required=True)

    ask = sub.add_parser("ask", help="answer one question (or '-' for one per stdin line)")
    ask.add_argument("--lang", choices=ANSWER_MODES, help="force the answer language")
    ask.add_argument("--json", action="store_true", help="print the JSON contract")
    ask.add_argument("question", nargs="+", help="the question, or - to read stdin")
    ask.set_defaults(func=cmd_ask)

    chat = sub.add_parser("chat", help="interactive console chat")
    chat.set_defaults(func=cmd_chat)

    validate = sub.add_parser("validate", help="check the intent catalogue")
    validate.add_argument(
        "--strict", action="store_true", help="every paraphrase must come back as its answer"
    )
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
    article_map.add_argument("--lang", choices=LANGS, default="en")
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


def quick_ask(argv: Sequence[str]) -> argparse.Namespace | None:
    """`ask`'s arguments without argparse, for the plain shapes only: [--intents DIR] ask
    [--json] [--lang MODE] WORDS... Anything else (help, `--lang=x`, a word starting with "-",
    an error) returns None and goes through the full parser; the result is the same either way
    (argparse's gettext lookups cost `ask` more than its answer does)."""
    # The attributes the full parser would set; a SimpleNamespace spares importing argparse.
    args = SimpleNamespace(intents=None, command="ask", lang=None, json=False, func=cmd_ask)
    rest = list(argv)
    if rest[:1] == ["--intents"] and len(rest) > 1 and not rest[1].startswith("-"):
        args.intents, rest = rest[1], rest[2:]
    if rest[:1] != ["ask"]:
        return None
    rest = rest[1:]
    while rest and rest[0] in ("--json", "--lang"):
        if rest[0] == "--json":
            args.json, rest = True, rest[1:]
        elif len(rest) > 1 and rest[1] in ANSWER_MODES:
            args.lang, rest = rest[1], rest[2:]
        else:
            return None
    if not rest or any(word.startswith("-") and word != "-" for word in rest):
        return None
    args.question = rest
    return cast("argparse.Namespace", args)


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = quick_ask(argv) or build_parser().parse_args(argv)
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
