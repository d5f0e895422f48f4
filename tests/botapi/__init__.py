"""A strict Telegram Bot API stand-in for end-to-end tests and benchmarks of the bot."""

from . import updates
from .protocol import ApiError, UploadedFile
from .server import BotApiStandIn, Call

__all__ = ["ApiError", "BotApiStandIn", "Call", "UploadedFile", "updates"]
