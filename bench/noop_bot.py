"""The ceiling: PTB + HTTP with a handler that does nothing but reply "ok" (same builder setup)."""

from __future__ import annotations

import os

from telegram import Update
from telegram.ext import AIORateLimiter, Application, ContextTypes, MessageHandler, filters


async def reply_ok(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if update.effective_message is not None:
        await update.effective_message.reply_text("ok")


def main() -> None:
    api = os.environ["TELEGRAM_API_URL"]
    application = (
        Application.builder()
        .token(os.environ["TELEGRAM_BOT_TOKEN"])
        .base_url(f"{api}/bot")
        .rate_limiter(AIORateLimiter(overall_max_rate=100_000, overall_time_period=1))
        .concurrent_updates(64)  # the same concurrency and pool as dnws-bot
        .connection_pool_size(64)
        .build()
    )
    application.add_handler(MessageHandler(filters.TEXT, reply_ok))
    application.run_polling(allowed_updates=[Update.MESSAGE])


if __name__ == "__main__":
    main()
