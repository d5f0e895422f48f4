"""Liveness: a file `<db path>.heartbeat` holding the time the running bot last proved alive.

The bot touches it every few seconds; `dnws-bot healthcheck` (another process) reads its age.
It lives beside the store but needs no database: a bot running without persistence is alive too.
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path

log = logging.getLogger(__name__)


def heartbeat_path(db_path: str | os.PathLike[str]) -> Path:
    """`<db path>.heartbeat`, beside the store."""
    return Path(f"{os.fspath(db_path)}.heartbeat")


def touch_heartbeat(db_path: str | os.PathLike[str]) -> bool:
    """Write the current time to the heartbeat file (atomically, so the healthcheck never reads
    half a number). False and one warning when it cannot be written."""
    target = heartbeat_path(db_path)
    temporary = target.with_name(f"{target.name}.tmp")
    try:
        temporary.write_text(f"{time.time():.3f}\n", encoding="ascii")
        os.replace(temporary, target)
    except OSError as exc:
        log.warning("heartbeat: cannot write %s: %s", target, exc.strerror or exc)
        return False
    return True


def heartbeat_age(db_path: str | os.PathLike[str]) -> float | None:
    """Seconds since the bot last touched its heartbeat, or None when there is none."""
    try:
        stamp = float(heartbeat_path(db_path).read_text(encoding="ascii"))
    except (OSError, ValueError):
        return None
    return max(0.0, time.time() - stamp)
