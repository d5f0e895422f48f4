"""A strict Telegram Bot API stand-in for end-to-end tests and benchmarks of the bot."""

from . import updates
from .server import ApiError, BotApiStandIn, Call, UploadedFile

__all__ = ["ApiError", "BotApiStandIn", "Call", "UploadedFile", "updates"]
