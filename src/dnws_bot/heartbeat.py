"""Liveness: a file `<db path>.heartbeat` holding the time the running bot last proved alive,
and, on a second line, why its store cannot write (absent while writes persist).

The bot touches it every few seconds; `dnws-bot healthcheck` (another process) reads its age and
that line. It lives beside the store but needs no database: a bot running without persistence
is alive too.
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


def touch_heartbeat(db_path: str | os.PathLike[str], problem: str | None = None) -> bool:
    """Write the current time (and the store's `problem`, if any) to the heartbeat file,
    atomically, so the healthcheck never reads half of it. False and one warning when it
    cannot be written."""
    target = heartbeat_path(db_path)
    temporary = target.with_name(f"{target.name}.tmp")
    text = f"{time.time():.3f}\n" + (f"{' '.join(problem.split())}\n" if problem else "")
    try:
        temporary.write_text(text, encoding="utf-8")
        os.replace(temporary, target)
    except OSError as exc:
        log.warning("heartbeat: cannot write %s: %s", target, exc.strerror or exc)
        return False
    return True


def heartbeat_age(db_path: str | os.PathLike[str]) -> float | None:
    """Seconds since the bot last touched its heartbeat, or None when there is none."""
    return read_heartbeat(db_path)[0]


def read_heartbeat(db_path: str | os.PathLike[str]) -> tuple[float | None, str | None]:
    """(seconds since the last heartbeat or None, the store problem it reported or None)."""
    try:
        lines = heartbeat_path(db_path).read_text(encoding="utf-8").splitlines()
        stamp = float(lines[0])
    except (OSError, ValueError, IndexError):
        return None, None
    problem = lines[1].strip() if len(lines) > 1 and lines[1].strip() else None
    return max(0.0, time.time() - stamp), problem
