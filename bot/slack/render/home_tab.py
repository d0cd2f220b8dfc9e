"""The App Home tab: how to use the bot, the person's recent articles, their quota; for admins,
the workspace's usage and feedback. Article titles are untrusted text: escaped, never pings."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.slack import messages
from bot.slack.render.blocks import Block, context, header, section
from bot.slack.render.escape import escape_text
from bot.slack.render.mrkdwn import slack_link
from bot.slack.render.split import truncate_text

TITLE_CHARS = 150


@dataclass(frozen=True)
class RecentArticle:
    title: str
    permalink: str | None  # None when Slack could not link the thread (deleted, no access)


@dataclass(frozen=True)
class AdminFigures:
    tokens: int
    calls: int
    cost_usd: float
    good: int
    bad: int


def _article_line(article: RecentArticle) -> str:
    title = truncate_text(" ".join(article.title.split()), TITLE_CHARS)
    if article.permalink:
        return f"• {slack_link(article.permalink, title)}"
    return f"• {escape_text(title)}"


def home_view(
    recent: list[RecentArticle], quota_line: str, admin: AdminFigures | None
) -> dict[str, Any]:
    blocks: list[Block] = [header(messages.HOME_TITLE), section(messages.HOME_HOW)]
    blocks.append({"type": "divider"})
    lines = [_article_line(a) for a in recent] or [messages.HOME_NO_RECENT]
    blocks.append(section(messages.HOME_RECENT + "\n" + "\n".join(lines)))
    blocks.append(context(quota_line))
    if admin is not None:
        cost = f" (about ${admin.cost_usd:.2f})" if admin.cost_usd else ""
        text = messages.HOME_ADMIN.format(
            tokens=f"{admin.tokens:,}", calls=admin.calls, cost=cost, good=admin.good, bad=admin.bad
        )
        blocks += [{"type": "divider"}, section(text)]
    return {"type": "home", "blocks": blocks}
