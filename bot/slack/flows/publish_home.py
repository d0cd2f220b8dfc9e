"""`app_home_opened`: publish the person's App Home (views.publish).

Recent articles link to their threads (chat.getPermalink; a thread Slack can't link any more is
listed without a link). Admins (users.info) also see the workspace's usage this month and its
feedback totals.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from bot.slack import messages
from bot.slack.command_intake import cost_of
from bot.slack.context import SlackContext
from bot.slack.job_payloads import UNMETERED_KINDS, HomePayload
from bot.slack.render.home_tab import AdminFigures, RecentArticle, home_view
from bot.slack.replies import ThreadReply
from bot.slack.web_api import classify
from bot.slack.workspace import team_of
from bot.store.records import Job, ThreadState

log = logging.getLogger(__name__)

RECENT = 10


async def _permalink(ctx: SlackContext, thread: ThreadState) -> str | None:
    try:
        found = await ctx.client.chat_getPermalink(
            channel=thread.channel, message_ts=thread.thread_ts
        )
    except Exception as exc:
        if classify(exc) is None:
            raise
        return None
    link = found.get("permalink")
    return link if isinstance(link, str) else None


async def _recent(ctx: SlackContext, user: str, team: str) -> list[RecentArticle]:
    recent: list[RecentArticle] = []
    for thread in await ctx.store.user_recent_threads(user, team=team, limit=RECENT):
        article = await ctx.store.get_team_article(team, thread.content_hash)
        if article is not None:
            recent.append(RecentArticle(article.display_title, await _permalink(ctx, thread)))
    return recent


async def _quota_line(ctx: SlackContext, user: str, team: str) -> str:
    quota = ctx.settings.slack_user_quota_per_hour
    if not quota:
        return messages.HOME_NO_QUOTA
    since = ctx.store.now() - timedelta(hours=1)
    used = await ctx.store.count_requests(
        team=team, user=user, since=since, exclude_kinds=UNMETERED_KINDS
    )
    return messages.HOME_QUOTA.format(left=max(quota - used, 0), quota=quota)


async def _is_admin(ctx: SlackContext, user: str) -> bool:
    try:
        found = await ctx.client.users_info(user=user)
    except Exception as exc:
        if classify(exc) is None:
            raise
        return False  # no users:read, or Slack failing: show the non-admin view
    person = found.get("user") or {}
    return bool(person.get("is_admin") or person.get("is_owner"))


async def _admin_figures(ctx: SlackContext, team: str | None) -> AdminFigures:
    now = ctx.store.now()
    month_start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    usage = await ctx.store.team_usage_since(team, month_start)
    weeks = await ctx.store.weekly_stats(team=team)
    return AdminFigures(
        tokens=usage.prompt_tokens + usage.completion_tokens,
        calls=usage.calls,
        cost_usd=cost_of(usage, ctx.settings),
        good=sum(w.good for w in weeks),
        bad=sum(w.bad for w in weeks),
    )


async def run_home(ctx: SlackContext, job: Job, reply: ThreadReply, payload: HomePayload) -> None:
    user, team = job.user or "", team_of(job)
    admin = await _admin_figures(ctx, team) if await _is_admin(ctx, user) else None
    view = home_view(await _recent(ctx, user, team), await _quota_line(ctx, user, team), admin)
    await ctx.client.views_publish(user_id=user, view=view)
