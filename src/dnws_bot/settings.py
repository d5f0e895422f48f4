"""The only place that reads the environment. Every variable is listed in env.example."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path

from .engine import default_intents_dir
from .engine.record import field, record
from .redaction import redact_token_shapes

DEFAULT_API_URL = "https://api.telegram.org"
DEFAULT_TIMEZONE = "Asia/Tokyo"
# Bot tokens look like "123456789:AAH...": a numeric bot id, a colon, 30+ URL-safe characters.
TOKEN_PATTERN = re.compile(r"^\d{3,15}:[A-Za-z0-9_-]{30,}$")
WEBHOOK_SECRET_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,256}$")


class SettingsError(ValueError):
    """A setting is missing or malformed; the message is safe to print (no secret in it).

    Anything shaped like a bot token is blanked out of the message however it got there.
    """

    def __init__(self, message: str) -> None:
        super().__init__(redact_token_shapes(message))


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a number, got {raw!r}") from None
    if value <= 0:
        raise SettingsError(f"{name} must be positive, got {raw!r}")
    return value


def _count(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    if not re.fullmatch(r"[0-9]{1,9}", raw):
        raise SettingsError(f"{name} must be a whole number (ASCII digits), got {raw!r}")
    return int(raw)


_ID_SEPARATORS = re.compile(r"[,\s]+")
_ASCII_ID = re.compile(r"[0-9]{1,19}")


def _ids(env: Mapping[str, str], name: str) -> frozenset[int]:
    """Telegram user ids split on commas and/or whitespace; ASCII digits only (no `1_000`,
    no full-width digits, no signs), so a typo never silently becomes another user's id."""
    ids: set[int] = set()
    for part in _ID_SEPARATORS.split(env.get(name, "")):
        if not part:
            continue
        if not _ASCII_ID.fullmatch(part) or int(part) == 0:
            raise SettingsError(
                f"{name} must list numeric Telegram user ids separated by commas or spaces; "
                f"{part!r} is not one"
            )
        ids.add(int(part))
    return frozenset(ids)


def _api_url(env: Mapping[str, str]) -> str:
    """TELEGRAM_API_URL: the server root; a /bot<token> path would put the token in logs."""
    api_url = env.get("TELEGRAM_API_URL", "").strip().rstrip("/") or DEFAULT_API_URL
    if not api_url.startswith(("http://", "https://")):
        raise SettingsError("TELEGRAM_API_URL must start with http:// or https://")
    if re.search(r"/bot[^/]*$", api_url) or redact_token_shapes(api_url) != api_url:
        raise SettingsError(
            "TELEGRAM_API_URL must be the server root, e.g. https://api.telegram.org, "
            "without /bot<token> (the token goes in TELEGRAM_BOT_TOKEN only)"
        )
    return api_url


LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


def _log_level(env: Mapping[str, str]) -> str:
    """DNWS_LOG_LEVEL, checked: a typo must not silently mean INFO (or worse, DEBUG)."""
    level = env.get("DNWS_LOG_LEVEL", "").strip().upper() or "INFO"
    if level not in LOG_LEVELS:
        raise SettingsError(f"DNWS_LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}, got {level!r}")
    return level


def _timezone(env: Mapping[str, str]) -> str:
    """DNWS_TIMEZONE: the IANA zone /schedule uses when none is given (default Asia/Tokyo).

    A zone that is set is looked up here; zoneinfo is imported only then (every `dnws-bot ask`
    reads the settings, and only schedules use the zone)."""
    name = env.get("DNWS_TIMEZONE", "").strip()
    if not name:
        return DEFAULT_TIMEZONE
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise SettingsError(
            f"DNWS_TIMEZONE must be an IANA time zone like Asia/Tokyo, got {name!r}"
        ) from None
    return name


def _cache_dir(env: Mapping[str, str]) -> Path | None:
    """DNWS_CACHE_DIR, else $XDG_CACHE_HOME/dnws-bot, else ~/.cache/dnws-bot; DNWS_NO_CACHE=1 off."""
    if env.get("DNWS_NO_CACHE", "").strip().lower() in ("1", "true", "yes", "on"):
        return None
    explicit = env.get("DNWS_CACHE_DIR", "").strip()
    if explicit:
        return Path(explicit)
    base = env.get("XDG_CACHE_HOME", "").strip()
    return (Path(base) if base else Path.home() / ".cache") / "dnws-bot"


@record
class Settings:
    """Runtime configuration, immutable once read."""

    token: str = field(default="", repr=False)
    api_url: str = DEFAULT_API_URL
    webhook_secret: str = field(default="", repr=False)
    intents_dir: Path = field(default_factory=default_intents_dir)
    db_path: Path = Path("data/dnws-bot.sqlite3")
    db_configured: bool = False  # DNWS_DB was set (the console chat logs only then)
    max_messages_per_second: float = 30.0
    admin_ids: frozenset[int] = frozenset()
    log_level: str = "INFO"
    cache_dir: Path | None = None  # compiled-engine cache; None disables it
    # A send whose answer does not come back within this is given up, never re-sent: it may
    # have reached Telegram (a re-send would be a duplicate reply).
    send_timeout: float = 30.0
    # How long a send may keep waiting out 429 flood control (retry_after) before it is dropped.
    send_deadline: float = 60.0
    # Webhook server: a connection idle (or sending headers/body) this long is closed.
    webhook_timeout: float = 10.0
    # Webhook server: open connections allowed at once (0 = derived from the descriptor limit).
    webhook_max_connections: int = 0
    # /schedule's time zone when the command names none.
    timezone: str = DEFAULT_TIMEZONE
    # Durable inbox: each update is stored before it is confirmed to Telegram (off: bench only).
    inbox: bool = True
    # Undone updates older than this (seconds) are dropped at start instead of answered late.
    inbox_max_age: float = 86400.0
    # On SIGTERM, updates in flight get this long to finish (below systemd's 30 s stop timeout);
    # the rest stay in the inbox for the next start.
    stop_deadline: float = 20.0

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Read every DNWS_*/TELEGRAM_* variable; raises SettingsError on a malformed value."""
        env = os.environ if env is None else env
        intents = env.get("DNWS_INTENTS", "").strip()
        secret = env.get("TELEGRAM_WEBHOOK_SECRET", "").strip()
        if secret and not WEBHOOK_SECRET_PATTERN.match(secret):
            raise SettingsError(
                "TELEGRAM_WEBHOOK_SECRET may only use A-Z, a-z, 0-9, _ and - (1-256 characters)"
            )
        api_url = _api_url(env)
        return cls(
            token=env.get("TELEGRAM_BOT_TOKEN", "").strip(),
            api_url=api_url,
            webhook_secret=secret,
            intents_dir=Path(intents) if intents else default_intents_dir(),
            db_path=Path(env.get("DNWS_DB", "").strip() or "data/dnws-bot.sqlite3"),
            db_configured=bool(env.get("DNWS_DB", "").strip()),
            max_messages_per_second=_float(env, "DNWS_MAX_MESSAGES_PER_SECOND", 30.0),
            admin_ids=_ids(env, "ADMIN_IDS"),
            log_level=_log_level(env),
            cache_dir=_cache_dir(env),
            send_timeout=_float(env, "DNWS_SEND_TIMEOUT", 30.0),
            send_deadline=_float(env, "DNWS_SEND_DEADLINE", 60.0),
            webhook_timeout=_float(env, "DNWS_WEBHOOK_TIMEOUT", 10.0),
            webhook_max_connections=_count(env, "DNWS_WEBHOOK_MAX_CONNECTIONS", 0),
            timezone=_timezone(env),
            inbox=env.get("DNWS_INBOX", "").strip().lower() not in ("0", "off", "false", "no"),
            inbox_max_age=_float(env, "DNWS_INBOX_MAX_AGE", 86400.0),
            stop_deadline=_float(env, "DNWS_STOP_DEADLINE", 20.0),
        )

    def require_token(self) -> str:
        """The bot token, or SettingsError when it is missing or cannot be a Telegram token."""
        if not self.token:
            raise SettingsError("TELEGRAM_BOT_TOKEN is not set (get one from @BotFather)")
        if not TOKEN_PATTERN.match(self.token):
            raise SettingsError(
                "TELEGRAM_BOT_TOKEN is malformed (expected <digits>:<30+ letters, digits, _ or ->)"
            )
        return self.token
