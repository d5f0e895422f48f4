"""The ceilings: PTB + HTTP with a handler that only replies (same builder setup as dnws-bot).

`noop_bot.py` replies "ok"; `noop_bot.py --rich` replies one fixed, pre-rendered dnws-bot answer
with its keyboard, so the cost of sending and parsing a message of that size is in the ceiling.
telegram_bench passes dnws-bot's connection pool and concurrency (--pool, --concurrency). The
HTTP transport is dnws-bot's own (telegram/keepalive.py); `--stock-http` keeps PTB's default
(httpx on httpcore), to show what the transport changes.
"""

from __future__ import annotations

import argparse
import os

from telegram import InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.ext import AIORateLimiter, Application, ContextTypes, MessageHandler, filters
from telegram.request import HTTPXRequest

from dnws_bot.telegram.keepalive import KeepAliveTransport

_parser = argparse.ArgumentParser()
_parser.add_argument("--rich", action="store_true")
_parser.add_argument("--pool", type=int, default=8)
_parser.add_argument("--concurrency", type=int, default=32)
_parser.add_argument("--stock-http", action="store_true")
ARGS = _parser.parse_args()
RICH = ARGS.rich
TEXT, KEYBOARD = "ok", None
if RICH:
    from dnws_bot.engine import Engine
    from dnws_bot.telegram.keyboards import answer_keyboard

    _engine = Engine.load()
    _reply = _engine.intent_reply("requirements.overview", "ja")
    TEXT = _reply.html
    KEYBOARD = answer_keyboard(_engine, _reply, "dnws_test_bot")


async def reply_ok(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if update.effective_message is not None:
        markup: InlineKeyboardMarkup | None = KEYBOARD
        await update.effective_message.reply_text(
            TEXT, parse_mode=ParseMode.HTML if RICH else None, reply_markup=markup
        )


def main() -> None:
    api = os.environ["TELEGRAM_API_URL"]
    builder = (
        Application.builder()
        .token(os.environ["TELEGRAM_BOT_TOKEN"])
        .base_url(f"{api}/bot")
        .rate_limiter(AIORateLimiter(overall_max_rate=100_000, overall_time_period=1))
        .concurrent_updates(ARGS.concurrency)
    )
    if ARGS.stock_http:
        builder = builder.connection_pool_size(ARGS.pool)
    else:
        builder = builder.request(
            HTTPXRequest(
                connection_pool_size=ARGS.pool,
                httpx_kwargs={"transport": KeepAliveTransport(ARGS.pool)},
            )
        ).get_updates_request(HTTPXRequest(httpx_kwargs={"transport": KeepAliveTransport(1)}))
    application = builder.build()
    application.add_handler(MessageHandler(filters.TEXT, reply_ok))
    application.run_polling(allowed_updates=[Update.MESSAGE])


if __name__ == "__main__":
    main()
