"""`dnws-bot run`: start the bot in polling or webhook mode and stop cleanly on SIGTERM/SIGINT.

SIGHUP reloads intents/ without a restart (validated first, swapped atomically).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import logging
import secrets
import signal
import tracemalloc
from typing import Any
from urllib.parse import urlsplit

from telegram.error import InvalidToken, NetworkError
from tornado.httpserver import HTTPServer

from ..engine import Engine, reading
from ..engine.record import replace
from ..heartbeat import touch_heartbeat
from ..logging_setup import configure_logging, install_redaction, redact
from ..settings import Settings, SettingsError
from ..store import AsyncStore, Store
from .app import (
    ALLOWED_UPDATES,
    CONCURRENT_UPDATES,
    build_application,
    register_commands,
    services_from,
)
from .inbox import Inbox, running_inbox
from .polling import poll, polling_error_logger
from .webhook import make_server

log = logging.getLogger(__name__)
HEARTBEAT_SECONDS = 5.0


async def _heartbeat(store: AsyncStore) -> None:
    """Prove liveness to `dnws-bot healthcheck` (a file beside the store), with the store's
    problem when it cannot write. Looking at the store first also notices a deleted database
    (and recreates it, directory included) when no update arrives to notice it."""
    while True:
        problem = await store.call(Store.check)
        await asyncio.to_thread(touch_heartbeat, store.store.path, problem)
        await asyncio.sleep(HEARTBEAT_SECONDS)


def _memory_growth(baseline: tracemalloc.Snapshot | None) -> None:
    """Under PYTHONTRACEMALLOC (bench/soak.py --trace): log what grew since start-up."""
    if baseline is None or not tracemalloc.is_tracing():
        return
    top = tracemalloc.take_snapshot().compare_to(baseline, "lineno")[:15]
    for stat in top:
        log.warning("memory growth: %s", stat)


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
    application = build_application(settings, engine, store, with_updater=False)
    services = services_from(application)
    inbox = Inbox(
        application,
        store if settings.inbox else None,
        concurrency=CONCURRENT_UPDATES,
        max_age=settings.inbox_max_age,
    )
    application.bot.poison_hooks.append(inbox.poison)
    application.bot_data["inbox"] = inbox
    stop = stop or asyncio.Event()
    reloads: set[asyncio.Task[Any]] = set()

    def on_hup() -> None:
        task = asyncio.get_running_loop().create_task(services.reload())
        reloads.add(task)
        task.add_done_callback(reloads.discard)

    if install_signals:
        _install_signals(stop, on_hup)
    heartbeat = asyncio.get_running_loop().create_task(_heartbeat(store))
    # The Japanese analyser loads in a thread while PTB initialises, so that the first question
    # that needs it (an IME slip) does not pay the load; `dnws-bot ask` keeps loading it lazily.
    analyser = asyncio.get_running_loop().create_task(asyncio.to_thread(reading.preload))
    server: HTTPServer | None = None
    polling: asyncio.Task[None] | None = None
    try:
        async with application:
            await register_commands(application)
            await application.start()
            if not await analyser:
                log.info("Japanese analyser not installed: readings come from the memo only")
            async with running_inbox(inbox):
                if webhook_url is None:
                    polling = asyncio.get_running_loop().create_task(
                        poll(inbox, ALLOWED_UPDATES, polling_error_logger())
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
                baseline = tracemalloc.take_snapshot() if tracemalloc.is_tracing() else None
                await _wait(stop, polling)
                log.info("stopping")
                _memory_growth(baseline)
                if polling is not None:
                    polling.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await polling
                if server is not None:
                    server.stop()  # no new connections; a POST now waits, then gets no 200
                await inbox.stop(settings.stop_deadline)
            await application.stop()
            await services.drain()
    finally:
        if server is not None:
            server.stop()
        if not analyser.done():
            with contextlib.suppress(Exception):
                await analyser  # a thread cannot be cancelled; let it finish before closing
        heartbeat.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await heartbeat
        await store.close()


async def _wait(stop: asyncio.Event, polling: asyncio.Task[None] | None) -> None:
    """Until `stop` is set; a polling loop that dies (a revoked token) ends the run too."""
    stopped = asyncio.get_running_loop().create_task(stop.wait())
    waiting: set[asyncio.Future[Any]] = {stopped}
    if polling is not None:
        waiting.add(polling)
    await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
    stopped.cancel()
    if polling is not None and polling.done() and not polling.cancelled():
        polling.result()  # re-raise InvalidToken and the like


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
    # The engine and the imported modules live as long as the process: moved out of the
    # collector's generations, full collections under load no longer walk them every time.
    gc.collect()
    gc.freeze()
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
