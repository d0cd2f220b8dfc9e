"""The running Slack bot: Web API client, bolt app, listeners, job runner, Socket Mode or HTTP.

`SlackBot.start` is what `articlebot run` calls; tests call it too, in-process, pointed at a
fake Slack. Listeners run before the ack (`process_before_response`) because they only record
the job (a few milliseconds); the slow work runs in the job runner afterwards.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import aiohttp
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_bolt.authorization import AuthorizeResult
from slack_sdk.errors import SlackApiError
from slack_sdk.socket_mode.aiohttp import SocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse
from slack_sdk.web.async_client import AsyncWebClient

from bot.config import Settings
from bot.runtime import Runtime
from bot.slack.context import SlackContext
from bot.slack.flows import FLOWS
from bot.slack.jobs import JobRunner
from bot.slack.listeners import register
from bot.slack.monitoring import add_monitoring_routes, monitoring_app
from bot.slack.oauth import Distribution, oauth_mode, open_distribution
from bot.slack.web_api import SlackConfigError, web_client
from bot.store.retention import sweep_forever

log = logging.getLogger(__name__)

SHUTDOWN_GRACE_S = 10.0
# How often the retention sweeper deletes content older than DATA_RETENTION_DAYS.
RETENTION_SWEEP_EVERY_S = 3600.0
# Article extraction runs in its own process, off the event loop that acknowledges events.
EXTRACT_PROCESSES = 1
# Slack's event payloads are a few kB; aiohttp's default bound, made explicit.
MAX_EVENT_BODY_BYTES = 1024 * 1024


class AckingSocketModeHandler(AsyncSocketModeHandler):
    """Socket Mode handler that acknowledges even an envelope bolt cannot parse.

    An unacknowledged envelope is delivered again and again; one that crashes bolt's request
    parsing (a malformed event) would do so forever. Log it and let it go.
    """

    async def handle(self, client: SocketModeClient, req: SocketModeRequest) -> None:  # type: ignore[override]
        try:
            await super().handle(client, req)
        except Exception:
            log.exception("could not process a Socket Mode envelope; acknowledging it anyway")
            await client.send_socket_mode_response(SocketModeResponse(envelope_id=req.envelope_id))


def bolt_app(
    ctx: SlackContext, runner: JobRunner, distribution: Distribution | None = None
) -> AsyncApp:
    secret = ctx.settings.slack_signing_secret
    signing_secret = secret.get_secret_value() if secret else ""
    if distribution is None:
        app = AsyncApp(
            client=_tokenless_copy(ctx.client),  # the token travels in the authorize result
            signing_secret=signing_secret,
            process_before_response=True,
            authorize=_known_identity(ctx),
        )
    else:  # events are authorized against the installation store: unknown workspaces dropped
        app = AsyncApp(
            client=ctx.client,  # no token: bolt gives each request its workspace's
            signing_secret=signing_secret,
            process_before_response=True,
            oauth_flow=distribution.flow,
            installation_store=distribution.installations,
            installation_store_bot_only=True,
        )
    register(app, ctx, runner)
    return app


def _known_identity(ctx: SlackContext) -> Callable[..., Awaitable[AuthorizeResult]]:
    """Bolt's authorize for one workspace: the identity `auth.test` gave at start-up.

    Bolt's own single-workspace authorization calls `auth.test` on the first event, and
    every event that arrives before that answer calls it too: a burst after a restart made
    100 calls to Slack before the first ack. If that call fails, bolt answers the event with
    an error page that Slack takes as delivered, so the mention is lost. SLACK_BOT_TOKEN was
    checked when the bot started; events need no second check.
    """
    token = ctx.client.token

    async def authorize(
        enterprise_id: str | None, team_id: str | None, user_id: str | None
    ) -> AuthorizeResult:
        return AuthorizeResult(
            enterprise_id=enterprise_id,
            team_id=ctx.team_id or team_id,
            bot_user_id=ctx.bot_user_id,
            bot_id=ctx.bot_id,
            bot_token=token,
            user_id=user_id,
        )

    return authorize


def _tokenless_copy(client: AsyncWebClient) -> AsyncWebClient:
    """`client`'s address and retries without its token (bolt refuses a token beside an
    authorize function, and builds each request's client from this one)."""
    return AsyncWebClient(
        base_url=client.base_url,
        retry_handlers=list(client.retry_handlers or []),
        timeout=client.timeout,
    )


def oauth_routes(web_app: web.Application, app: AsyncApp) -> None:
    """`/slack/install` and `/slack/oauth_redirect`, run by bolt's OAuth flow."""
    flow = app.oauth_flow
    if flow is None:
        return

    async def install(request: web.Request) -> web.Response:
        return await to_aiohttp_response(
            await flow.handle_installation(await to_bolt_request(request))
        )

    async def redirect(request: web.Request) -> web.Response:
        return await to_aiohttp_response(await flow.handle_callback(await to_bolt_request(request)))

    web_app.router.add_get(flow.install_path, install)
    web_app.router.add_get(flow.redirect_uri_path, redirect)


async def _identity(settings: Settings) -> tuple[AsyncWebClient, dict[str, str | None]]:
    """One workspace: SLACK_BOT_TOKEN's client and whom it acts as (checked with Slack)."""
    client = web_client(settings)  # raises first if SLACK_BOT_TOKEN is missing
    try:
        identity = await client.auth_test()
    except SlackApiError as exc:
        raise SlackConfigError(
            f"Slack rejected SLACK_BOT_TOKEN ({exc.response.get('error', 'unknown error')})."
        ) from None
    except (aiohttp.ClientError, OSError):
        raise SlackConfigError(
            f"Cannot reach Slack at {settings.slack_api_url} (check SLACK_API_URL)."
        ) from None
    return client, {
        "user_id": identity["user_id"],
        "bot_id": identity.get("bot_id"),
        "team_id": identity.get("team_id"),
    }


def _check_mode(settings: Settings, *, http: bool) -> bool:
    """Whether to run the install flow; raises on settings that cannot work together."""
    oauth = oauth_mode(settings)
    if not oauth and settings.slack_bot_token is None:
        raise SlackConfigError(
            "SLACK_BOT_TOKEN is not set (or set SLACK_CLIENT_ID and SLACK_CLIENT_SECRET for the "
            "install flow, in HTTP mode)."
        )
    if http and settings.slack_signing_secret is None:
        raise SlackConfigError("HTTP mode needs SLACK_SIGNING_SECRET to verify requests.")
    if oauth and not http:
        raise SlackConfigError(
            "The install flow (SLACK_CLIENT_ID/SLACK_CLIENT_SECRET) needs HTTP mode: --http."
        )
    if not http and settings.slack_app_token is None:
        raise SlackConfigError("Socket Mode needs SLACK_APP_TOKEN (xapp-...); or run with --http.")
    return oauth


def http_app(app: AsyncApp, ctx: SlackContext) -> web.Application:
    """Events API endpoint (signature verified by bolt), `/metrics` and `/healthz`."""

    async def events(request: web.Request) -> web.Response:
        started = time.perf_counter()
        refusal = _refuse_at_the_edge(request)
        if refusal is not None:
            return refusal
        try:
            bolt_request = await to_bolt_request(request)
            response = await to_aiohttp_response(await app.async_dispatch(bolt_request))
            # Standard Server-Timing header: how long the ack took inside the bot.
            response.headers["Server-Timing"] = (
                f"ack;dur={(time.perf_counter() - started) * 1000:.1f}"
            )
            return response
        except web.HTTPRequestEntityTooLarge:  # a body without Content-Length, read too far
            return _too_large()
        except Exception:
            log.exception("could not process an Events API request")
            return web.json_response({"ok": False, "error": "malformed request"}, status=400)

    web_app = web.Application(client_max_size=MAX_EVENT_BODY_BYTES)
    web_app.router.add_post("/slack/events", events)
    add_monitoring_routes(web_app, ctx)
    oauth_routes(web_app, app)
    return web_app


def _refuse_at_the_edge(request: web.Request) -> web.Response | None:
    """What bolt would mishandle: a body over the limit (413, not 400) and a timestamp that is
    not a number (401 like any unverifiable request; bolt's `int()` would raise)."""
    if request.content_length is not None and request.content_length > MAX_EVENT_BODY_BYTES:
        return _too_large()
    timestamp = request.headers.get("X-Slack-Request-Timestamp")
    if timestamp is not None:
        try:
            int(timestamp)
        except ValueError:
            return web.json_response({"error": "invalid request"}, status=401)
    return None


def _too_large() -> web.Response:
    return web.json_response(
        {"ok": False, "error": f"request body over {MAX_EVENT_BODY_BYTES} bytes"}, status=413
    )


@dataclass
class SlackBot:
    ctx: SlackContext
    runner: JobRunner
    app: AsyncApp
    socket_handler: AsyncSocketModeHandler | None = None
    http_runner: web.AppRunner | None = None
    port: int | None = None
    retention: asyncio.Task[None] | None = None
    metrics_runner: web.AppRunner | None = None
    metrics_port: int | None = None

    @classmethod
    async def start(
        cls, settings: Settings, *, http: bool = False, host: str = "0.0.0.0", port: int = 3000
    ) -> SlackBot:
        oauth = _check_mode(settings, http=http)
        identity: dict[str, str | None] = {"user_id": "", "bot_id": None, "team_id": None}
        if oauth:  # no token of its own: each workspace's comes from its installation
            client = AsyncWebClient(base_url=settings.slack_api_url)
        else:
            client, identity = await _identity(settings)
        runtime = await Runtime.start(settings, extract_processes=EXTRACT_PROCESSES)
        distribution = await open_distribution(settings, runtime.store) if oauth else None
        ctx = SlackContext(
            runtime=runtime,
            client=client,
            bot_user_id=identity["user_id"] or "",
            bot_id=identity["bot_id"],
            team_id=identity["team_id"],
            workspaces=distribution.workspaces if distribution else None,
        )
        runner = JobRunner(ctx, FLOWS)
        bot = cls(ctx=ctx, runner=runner, app=bolt_app(ctx, runner, distribution))
        await runner.start()
        bot.retention = asyncio.create_task(
            sweep_forever(
                ctx.store.retention, settings.data_retention_days, RETENTION_SWEEP_EVERY_S
            ),
            name="retention-sweeper",
        )
        if settings.metrics_port is not None:
            bot.metrics_runner, bot.metrics_port = await _serve(
                monitoring_app(ctx), host, settings.metrics_port
            )
            log.info("serving metrics on http://%s:%d/metrics", host, bot.metrics_port)
        if http:
            bot.http_runner, bot.port = await _serve(http_app(bot.app, ctx), host, port)
            log.info("listening for Slack events on http://%s:%d/slack/events", host, bot.port)
        else:
            assert settings.slack_app_token is not None
            bot.socket_handler = AckingSocketModeHandler(
                bot.app, settings.slack_app_token.get_secret_value()
            )
            await bot.socket_handler.connect_async()
            log.info("connected to Slack in Socket Mode as %s", ctx.bot_user_id)
        return bot

    async def stop(self) -> None:
        """Stop taking events, let running jobs finish briefly, hand back the rest."""
        if self.socket_handler is not None:
            await self.socket_handler.close_async()
        if self.http_runner is not None:
            await self.http_runner.cleanup()
        if self.metrics_runner is not None:
            await self.metrics_runner.cleanup()
        if self.retention is not None:
            self.retention.cancel()
        await self.runner.stop(timeout=SHUTDOWN_GRACE_S)
        await self.ctx.runtime.close()


async def _serve(web_app: web.Application, host: str, port: int) -> tuple[web.AppRunner, int]:
    """Start serving `web_app`; returns its runner and the port bound (for port 0)."""
    runner = web.AppRunner(web_app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    return runner, site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]


async def run_until_stopped(settings: Settings, *, http: bool, host: str, port: int) -> None:
    """`articlebot run`: serve until SIGINT/SIGTERM, then shut down gracefully."""
    import signal

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    bot = await SlackBot.start(settings, http=http, host=host, port=port)
    try:
        await stop.wait()
    finally:
        log.info("shutting down")
        await bot.stop()
