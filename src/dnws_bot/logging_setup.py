"""Logging that cannot leak secrets, whichever handler writes the record.

httpx logs each request URL at INFO, and Bot API URLs contain the token, so httpx is raised to
WARNING. Beyond that, redaction happens where records are born: a log-record factory replaces
every registered secret in the message and in the formatted exception, so no handler (ours,
pytest's, a library's) ever sees the raw token or webhook secret.
"""

from __future__ import annotations

import json
import logging
import sys
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from .redaction import REDACTED, redact_token_shapes

_secrets: list[str] = []
_lock = threading.Lock()
_installed = False
# tornado.general logs one INFO line per malformed request: a flood vector, not information.
_QUIET_LOGGERS = ("httpx", "httpcore", "tornado.access", "tornado.general")


def redact(text: str) -> str:
    for secret in _secrets:
        text = text.replace(secret, REDACTED)
    return redact_token_shapes(text)


def _redacting_factory(base: Any) -> Any:
    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record: logging.LogRecord = base(*args, **kwargs)
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message or record.args:
            record.msg, record.args = cleaned, None
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return record

    return factory


def install_redaction(secrets: Iterable[str]) -> None:
    """Register secrets (idempotent) and make sure every new log record is scrubbed of them."""
    global _installed
    with _lock:
        for secret in secrets:
            if secret and len(secret) >= 6 and secret not in _secrets:
                _secrets.append(secret)
        _secrets.sort(key=len, reverse=True)
        if not _installed:
            logging.setLogRecordFactory(_redacting_factory(logging.getLogRecordFactory()))
            _installed = True
    for name in _QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)


class Throttle:
    """Log a kind of event at most once per `interval` seconds, with how many were held back.

    For faults that can repeat thousands of times a second (a flood of bad webhook requests, a
    flapping connection): the first occurrence is logged at once, later ones only counted until
    the interval has passed, then the next line says how many happened meanwhile.
    """

    def __init__(self, interval: float = 60.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.interval = interval
        self.clock = clock
        self._last: dict[str, float] = {}
        self._held: dict[str, int] = {}

    def log(
        self, logger: logging.Logger, level: int, key: str, message: str, *args: object
    ) -> bool:
        """Log `message % args` unless `key` was logged within the interval; True if logged."""
        now = self.clock()
        last = self._last.get(key)
        if last is not None and now - last < self.interval:
            self._held[key] = self._held.get(key, 0) + 1
            return False
        self._last[key] = now
        held = self._held.pop(key, 0)
        if held:
            message += f" (and {held} more like it in the last {self.interval:.0f} s)"
        logger.log(level, message, *args)
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line, for log collectors."""

    def format(self, record: logging.LogRecord) -> str:
        payload = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_text:
            payload["exception"] = record.exc_text
        elif record.exc_info:
            payload["exception"] = self.formatException(record.exc_info)
        return json.dumps(payload, ensure_ascii=False)


def configure_logging(level: str, fmt: str, secrets: Iterable[str]) -> None:
    """One stderr handler (text or JSON lines), redaction installed before anything logs."""
    install_redaction(secrets)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        JsonFormatter()
        if fmt == "json"
        else logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    )
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(getattr(logging, level.upper(), logging.INFO))
