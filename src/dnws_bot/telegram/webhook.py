"""Webhook server: Telegram POSTs updates here; /healthz answers monitors.

PTB's built-in webhook server has no extra routes, so this is the "custom webhook" setup the PTB
docs describe: an Application without an Updater, fed through `update_queue`. Requests without the
secret token header Telegram was told to send are refused with 403 before any parsing.
"""

from __future__ import annotations

import hmac
import json
import logging
import time
from typing import Any

import tornado.web
from telegram import Update
from telegram.ext import Application

from .services import Services

log = logging.getLogger(__name__)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_BODY_BYTES = 1_000_000


class UpdateHandler(tornado.web.RequestHandler):
    """POST <path>: one Update as JSON."""

    def initialize(self, bot_app: Application[Any, Any, Any, Any, Any, Any], secret: str) -> None:
        self.application_ = bot_app
        self.secret = secret

    async def post(self) -> None:
        given = self.request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), self.secret.encode()):
            self.set_status(403)
            self.finish()
            return
        if len(self.request.body) > MAX_BODY_BYTES:
            self.set_status(413)
            self.finish()
            return
        try:
            data = json.loads(self.request.body)
            update = Update.de_json(data, self.application_.bot)
        except (ValueError, TypeError, KeyError) as exc:
            log.warning("webhook: unreadable update (%s)", type(exc).__name__)
            self.set_status(400)
            self.finish()
            return
        await self.application_.update_queue.put(update)
        self.set_status(200)
        self.finish()


class HealthHandler(tornado.web.RequestHandler):
    """GET /healthz: 200 with the catalogue version and uptime while the bot runs, else 503."""

    def initialize(
        self, bot_app: Application[Any, Any, Any, Any, Any, Any], services: Services
    ) -> None:
        self.application_ = bot_app
        self.services = services

    def get(self) -> None:
        healthy = self.application_.running
        self.set_status(200 if healthy else 503)
        self.set_header("Content-Type", "application/json")
        self.finish(
            json.dumps(
                {
                    "status": "ok" if healthy else "stopped",
                    "catalogue": self.services.engine.version,
                    "uptime_s": round(time.monotonic() - self.services.started, 1),
                    "store": "ok"
                    if self.services.store is None or self.services.store.healthy
                    else "degraded",
                }
            )
        )


def make_web_app(
    application: Application[Any, Any, Any, Any, Any, Any],
    services: Services,
    path: str,
    secret: str,
) -> tornado.web.Application:
    return tornado.web.Application(
        [
            (path, UpdateHandler, {"bot_app": application, "secret": secret}),
            ("/healthz", HealthHandler, {"bot_app": application, "services": services}),
        ],
        log_function=lambda handler: None,  # one line per update is logged by the bot itself
    )
