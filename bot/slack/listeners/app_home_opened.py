"""`app_home_opened` on the Home tab: a job that publishes the person's view (recorded before
the ack, once per delivery, like every other request)."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp

from bot.slack.context import SlackContext
from bot.slack.job_payloads import HomePayload
from bot.slack.jobs import JobRunner


def register(app: AsyncApp, ctx: SlackContext, runner: JobRunner) -> None:
    @app.event("app_home_opened")
    async def on_home(body: dict[str, Any], ack: AsyncAck) -> None:
        event = body.get("event") or {}
        user, channel = event.get("user"), event.get("channel")
        stamp = event.get("event_ts")
        job = None
        if event.get("tab") == "home" and all(isinstance(v, str) for v in (user, channel, stamp)):
            payload = HomePayload()
            job = await ctx.store.record_request(
                event_id=body.get("event_id") if isinstance(body.get("event_id"), str) else None,
                channel=str(channel),
                ts=f"home:{stamp}"[:32],
                kind=payload.kind,
                payload=payload.model_dump(mode="json"),
                team=body.get("team_id") or ctx.team_id,
                user=str(user),
                thread_ts=f"home:{stamp}"[:32],
            )
        await ack()
        if job is not None:
            runner.submit(job)
