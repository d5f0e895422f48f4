"""Telegram adapter: thin python-telegram-bot handlers over the engine. Imported only by `run`."""
