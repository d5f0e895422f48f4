"""`dnws-bot healthcheck`: healthy only with a fresh heartbeat and a loadable catalogue."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from dnws_bot.heartbeat import touch_heartbeat


def healthcheck(
    db: Path, *extra: str, intents: str | None = None
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DNWS_DB": str(db)}
    if intents is not None:
        env["DNWS_INTENTS"] = intents
    return subprocess.run(
        [sys.executable, "-m", "dnws_bot.cli", "healthcheck", *extra],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_fresh_heartbeat_is_healthy(tmp_path: Path) -> None:
    """A heartbeat written just now by the store means exit 0."""
    db = tmp_path / "bot.sqlite3"
    assert touch_heartbeat(db)
    result = healthcheck(db)
    assert result.returncode == 0, result.stderr


def test_stale_heartbeat_is_unhealthy(tmp_path: Path) -> None:
    """A heartbeat older than --max-age means exit 1."""
    db = tmp_path / "bot.sqlite3"
    assert touch_heartbeat(db)
    old = time.time() - 600
    heartbeat = Path(f"{db}.heartbeat")
    os.utime(heartbeat, (old, old))
    heartbeat.write_text(str(old))
    os.utime(heartbeat, (old, old))
    result = healthcheck(db, "--max-age", "60")
    assert result.returncode == 1


def test_broken_catalogue_is_unhealthy(tmp_path: Path) -> None:
    """An intents directory that does not load means exit 2, even with a fresh heartbeat."""
    db = tmp_path / "bot.sqlite3"
    assert touch_heartbeat(db)
    result = healthcheck(db, intents=str(tmp_path / "missing"))
    assert result.returncode == 2
    assert "missing" in result.stderr
