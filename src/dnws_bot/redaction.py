"""Blanking out token-shaped text: shared by settings (every start-up) and logging_setup.

A module of its own so that reading settings (every `dnws-bot ask`) does not import logging.
"""

from __future__ import annotations

import re

REDACTED = "[REDACTED]"

# Anything shaped like a bot token ("<bot id>:<30+ URL-safe characters>"), registered or not:
# a token pasted into TELEGRAM_API_URL or quoted by a library must not survive either.
TOKEN_SHAPE = re.compile(r"(?<![0-9])[0-9]{3,15}:[A-Za-z0-9_-]{30,}")


def redact_token_shapes(text: str) -> str:
    """Blank out every token-shaped substring (bot URLs included)."""
    return TOKEN_SHAPE.sub(REDACTED, text)
