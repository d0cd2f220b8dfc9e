"""What operators scrape: Prometheus `/metrics` and `/healthz`.

Served on the Events API server in HTTP mode and, when `METRICS_PORT` is set, on a port of
their own (Socket Mode has no HTTP server otherwise). Queue depth and the oldest job's age are
read from the store at scrape time, so they are right even when another replica accepted the
jobs; everything else is counted where it happens (`bot/metrics.py`).
"""

from __future__ import annotations

import logging

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from bot.metrics import OLDEST_JOB_AGE, QUEUE_DEPTH
from bot.slack.context import SlackContext

log = logging.getLogger(__name__)


async def refresh_queue_gauges(ctx: SlackContext) -> None:
    depth, oldest = await ctx.store.queue_stats()
    QUEUE_DEPTH.set(depth)
    age = 0.0 if oldest is None else (ctx.store.now() - oldest).total_seconds()
    OLDEST_JOB_AGE.set(max(0.0, age))


def add_monitoring_routes(web_app: web.Application, ctx: SlackContext) -> None:
    async def metrics(_: web.Request) -> web.Response:
        try:
            await refresh_queue_gauges(ctx)
        except Exception:  # the counters are still worth serving
            log.exception("metrics: could not read the job queue from the store")
        response = web.Response(body=generate_latest())
        response.headers["Content-Type"] = CONTENT_TYPE_LATEST
        return response

    async def healthz(_: web.Request) -> web.Response:
        try:
            await ctx.store.get_result("healthz")
        except Exception:
            log.exception("health check: store unreachable")
            return web.json_response({"ok": False, "store": "unreachable"}, status=503)
        return web.json_response({"ok": True})

    web_app.router.add_get("/metrics", metrics)
    web_app.router.add_get("/healthz", healthz)


def monitoring_app(ctx: SlackContext) -> web.Application:
    """The app for `METRICS_PORT`: only the two read-only pages."""
    web_app = web.Application()
    add_monitoring_routes(web_app, ctx)
    return web_app
