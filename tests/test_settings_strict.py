"""Strict settings: admin ids that cannot be misread, and no token in any error line."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from dnws_bot.logging_setup import Throttle, redact
from dnws_bot.settings import Settings, SettingsError

TOKEN = "123456:ABC-DEF1234ghIkl-zyx57W2v1u123ew11"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("9001 9002", {9001, 9002}),
        ("9001,9002", {9001, 9002}),
        (" 9001 ,\t9002\n9003 ", {9001, 9002, 9003}),
        ("9001,,9002,", {9001, 9002}),
        ("", set()),
    ],
)
def test_admin_ids_split_on_commas_and_whitespace(raw: str, expected: set[int]) -> None:
    """ADMIN_IDS separated by commas, spaces or both give one admin per number."""
    assert Settings.from_env({"ADMIN_IDS": raw}).admin_ids == expected


@pytest.mark.parametrize("bad", ["1_000", "１２", "-5", "+7", "12a", "0x10", "1.5", "0"])
def test_admin_ids_reject_anything_but_ascii_digits_naming_the_entry(bad: str) -> None:
    """An ADMIN_IDS entry that is not plain ASCII digits is refused, and the error names it."""
    with pytest.raises(SettingsError) as caught:
        Settings.from_env({"ADMIN_IDS": f"9001, {bad}"})
    assert repr(bad) in str(caught.value)


def test_bad_admin_ids_make_run_exit_2_naming_the_entry(tmp_path: Path) -> None:
    """`dnws-bot run` with ADMIN_IDS="9001 1_000" exits 2 with one line naming '1_000'."""
    env = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "ADMIN_IDS": "9001 1_000",
        "DNWS_DB": str(tmp_path / "bot.sqlite3"),
    }
    done = subprocess.run(
        [sys.executable, "-m", "dnws_bot.cli", "run"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "'1_000'" in done.stderr
    assert "Traceback" not in done.stderr


def test_token_in_api_url_is_refused_without_printing_it(tmp_path: Path) -> None:
    """TELEGRAM_API_URL=…/bot<token> exits 2 and the error line does not contain the token."""
    env = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_URL": f"https://api.telegram.org/bot{TOKEN}",
        "DNWS_DB": str(tmp_path / "bot.sqlite3"),
    }
    done = subprocess.run(
        [sys.executable, "-m", "dnws_bot.cli", "run"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "TELEGRAM_API_URL" in done.stderr
    assert TOKEN not in done.stderr
    assert TOKEN.split(":")[1] not in done.stderr


def test_token_shapes_are_redacted_even_when_not_registered() -> None:
    """A token-shaped string inside a URL is blanked by redact() even if never registered."""
    other = "987654321:ZZZyyyXXXwwwVVVuuuTTTsssRRRqqqPPP"
    text = redact(f"POST https://api.example.org/bot{other}/sendMessage failed")
    assert other not in text
    assert "/bot[REDACTED]/sendMessage" in text


def test_numeric_settings_are_checked() -> None:
    """Send and webhook settings are read from the environment and malformed ones refused."""
    settings = Settings.from_env(
        {
            "DNWS_SEND_TIMEOUT": "12",
            "DNWS_SEND_DEADLINE": "90",
            "DNWS_WEBHOOK_TIMEOUT": "2.5",
            "DNWS_WEBHOOK_MAX_CONNECTIONS": "300",
        }
    )
    assert (settings.send_timeout, settings.send_deadline) == (12.0, 90.0)
    assert (settings.webhook_timeout, settings.webhook_max_connections) == (2.5, 300)
    with pytest.raises(SettingsError, match="DNWS_WEBHOOK_MAX_CONNECTIONS"):
        Settings.from_env({"DNWS_WEBHOOK_MAX_CONNECTIONS": "１０"})
    with pytest.raises(SettingsError, match="DNWS_SEND_TIMEOUT"):
        Settings.from_env({"DNWS_SEND_TIMEOUT": "-1"})


def test_throttle_logs_once_per_interval_with_a_count(caplog: pytest.LogCaptureFixture) -> None:
    """Repeated events of one kind give one line per interval, the next one counting the rest."""
    now = [0.0]
    throttle = Throttle(60.0, clock=lambda: now[0])
    logger = logging.getLogger("dnws_bot.test_throttle")
    caplog.set_level(logging.INFO, logger=logger.name)
    for _ in range(500):
        throttle.log(logger, logging.WARNING, "drop", "connection dropped")
    throttle.log(logger, logging.WARNING, "other", "something else")
    now[0] = 61.0
    throttle.log(logger, logging.WARNING, "drop", "connection dropped")
    lines = [r.getMessage() for r in caplog.records if r.name == logger.name]
    assert lines == [
        "connection dropped",
        "something else",
        "connection dropped (and 499 more like it in the last 60 s)",
    ]


def test_library_log_lines_never_show_a_token_shaped_url(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Once redaction is installed, an httpx/PTB-style line with a bot URL is logged without
    the token, even a token that was never registered."""
    from dnws_bot.logging_setup import install_redaction

    install_redaction([])
    caplog.set_level(logging.DEBUG)
    other = "555555:QQQwwwEEErrrTTTyyyUUUiiiOOOpppAAA"
    logging.getLogger("httpx").warning("HTTP Request: POST https://x.org/bot%s/getMe", other)
    logging.getLogger("telegram.ext.Updater").error("failed", exc_info=ValueError(f"bot{other}"))
    assert caplog.records
    for record in caplog.records:
        assert other not in record.getMessage()
        assert other not in (record.exc_text or "")
