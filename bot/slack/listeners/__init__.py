"""Bolt listeners, one small module per event; `register` wires them to the app.

Every event is acknowledged: bolt leaves events without a matching listener unacknowledged in
Socket Mode, and Slack then delivers them again and again, so a catch-all comes last.
"""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.slack.context import SlackContext
from bot.slack.jobs import JobRunner
from bot.slack.listeners import (
    app_home_opened,
    assistant,
    catch_all,
    feedback_click,
    lifecycle,
    mention,
    message,
    org_membership,
    shortcut,
    slash_command,
)


def register(app: AsyncApp, ctx: SlackContext, runner: JobRunner) -> None:
    org_membership.register(app, ctx)
    assistant.register(app, ctx, runner)
    mention.register(app, ctx, runner)
    message.register(app, ctx, runner)
    feedback_click.register(app, ctx)
    slash_command.register(app, ctx, runner)
    shortcut.register(app, ctx, runner)
    app_home_opened.register(app, ctx, runner)
    lifecycle.register(app, ctx, runner)
    catch_all.register(app)
