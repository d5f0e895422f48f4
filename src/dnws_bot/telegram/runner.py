"""`dnws-bot run`: start the bot in polling or webhook mode and stop cleanly on SIGTERM/SIGINT.

SIGHUP reloads intents/ without a restart (validated first, swapped atomically).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import secrets
import signal
from dataclasses import replace
from typing import Any
from urllib.parse import urlsplit

from telegram.error import InvalidToken, NetworkError, TelegramError
from tornado.httpserver import HTTPServer

from ..engine import Engine
from ..heartbeat import touch_heartbeat
from ..logging_setup import Throttle, configure_logging, install_redaction, redact
from ..settings import Settings, SettingsError
from ..store import AsyncStore
from .app import ALLOWED_UPDATES, build_application, register_commands, services_from
from .webhook import make_server

log = logging.getLogger(__name__)
HEARTBEAT_SECONDS = 30.0


async def _heartbeat(store: AsyncStore) -> None:
    """Prove liveness to `dnws-bot healthcheck` (a file beside the store)."""
    while True:
        await asyncio.to_thread(touch_heartbeat, store.store.path)
        await asyncio.sleep(HEARTBEAT_SECONDS)


def polling_error_logger() -> Any:
    """PTB's getUpdates error callback: one WARNING line per kind and minute, no traceback.

    A dropped long-poll connection is routine (proxies, NAT, Telegram restarts); PTB retries
    on its own, and its default logs ERROR with a ~90-line traceback each time.
    """
    throttle = Throttle(60.0)

    def on_error(exc: TelegramError) -> None:
        throttle.log(
            log,
            logging.WARNING,
            type(exc).__name__,
            "getUpdates failed (%s: %s); retrying",
            type(exc).__name__,
            redact(str(exc)),
        )

    return on_error


def _install_signals(stop: asyncio.Event, on_hup: Any) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    loop.add_signal_handler(signal.SIGHUP, on_hup)


async def serve(
    settings: Settings,
    engine: Engine,
    *,
    webhook_url: str | None = None,
    listen: str = "127.0.0.1",
    port: int = 8443,
    stop: asyncio.Event | None = None,
    install_signals: bool = True,
) -> None:
    """Run until `stop` is set (or a signal arrives); tests call this directly."""
    store = AsyncStore.open(settings.db_path)
    application = build_application(settings, engine, store, with_updater=webhook_url is None)
    services = services_from(application)
    stop = stop or asyncio.Event()
    reloads: set[asyncio.Task[Any]] = set()

    def on_hup() -> None:
        task = asyncio.get_running_loop().create_task(services.reload())
        reloads.add(task)
        task.add_done_callback(reloads.discard)

    if install_signals:
        _install_signals(stop, on_hup)
    heartbeat = asyncio.get_running_loop().create_task(_heartbeat(store))
    server: HTTPServer | None = None
    try:
        async with application:
            await register_commands(application)
            if webhook_url is None:
                assert application.updater is not None
                await application.updater.start_polling(
                    allowed_updates=ALLOWED_UPDATES,
                    timeout=30,
                    error_callback=polling_error_logger(),
                )
            else:
                secret = settings.webhook_secret or secrets.token_urlsafe(32)
                install_redaction([secret])
                path = urlsplit(webhook_url).path or "/"
                server = make_server(
                    application,
                    services,
                    path,
                    secret,
                    timeout=settings.webhook_timeout,
                    max_connections=settings.webhook_max_connections,
                )
                server.listen(port, listen)
                await application.bot.set_webhook(
                    webhook_url, secret_token=secret, allowed_updates=ALLOWED_UPDATES
                )
                log.info("webhook listening on %s:%d%s", listen, port, path)
            await application.start()
            await stop.wait()
            log.info("stopping")
            if application.updater is not None and application.updater.running:
                await application.updater.stop()
            await application.stop()
            await services.drain()
    finally:
        if server is not None:
            server.stop()
        heartbeat.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await heartbeat
        await store.close()


def run_bot(args: argparse.Namespace) -> int:
    """Entry point of `dnws-bot run`: validate settings before any network call."""
    settings = Settings.from_env()
    token = settings.require_token()  # SettingsError → one line, exit 2 (in cli.main)
    if args.webhook_url and not args.webhook_url.startswith("https://"):
        raise SettingsError("--webhook-url must be an https:// URL (Telegram requires TLS)")
    if args.webhook_url and not settings.webhook_secret:
        settings = replace(settings, webhook_secret=secrets.token_urlsafe(32))
    configure_logging(settings.log_level, args.log_format, [token, settings.webhook_secret])
    engine = Engine.load(settings.intents_dir, cache_dir=settings.cache_dir)
    try:
        asyncio.run(
            serve(
                settings, engine, webhook_url=args.webhook_url, listen=args.listen, port=args.port
            )
        )
    except InvalidToken:
        # PTB's own message quotes the token; ours must not (it goes to stderr, past the logs).
        raise SettingsError(
            f"Telegram rejected TELEGRAM_BOT_TOKEN at {settings.api_url} "
            "(wrong token, or TELEGRAM_API_URL is not a Bot API server)"
        ) from None
    except NetworkError as exc:
        raise SettingsError(
            f"cannot reach the Bot API at {settings.api_url}: {redact(str(exc))}"
        ) from None
    return 0
