"""What `/articlebot` shows: the ephemeral summary with its Share button, and usage figures."""

from __future__ import annotations

from bot.slack import messages
from bot.slack.render.blocks import FOLLOW_UP, Block, RenderedMessage, context
from bot.slack.render.limits import MESSAGE_BLOCKS

SHARE_ACTION = "articlebot_share"


def share_block(job_id: int) -> Block:
    button = {
        "type": "button",
        "action_id": SHARE_ACTION,
        "text": {"type": "plain_text", "text": messages.SHARE_BUTTON, "emoji": True},
        "style": "primary",
        "value": str(job_id),
    }
    return {"type": "actions", "block_id": SHARE_ACTION, "elements": [button]}


def with_share_button(parts: list[RenderedMessage], job_id: int) -> list[RenderedMessage]:
    """An ephemeral summary: no "ask in this thread" (it has none), a Share button at the end."""
    follow_up = context(FOLLOW_UP)
    cleaned = [RenderedMessage(p.text, [b for b in p.blocks if b != follow_up]) for p in parts]
    *head, last = cleaned
    if len(last.blocks) < MESSAGE_BLOCKS:
        return [*head, RenderedMessage(last.text, [*last.blocks, share_block(job_id)])]
    return [*cleaned, RenderedMessage(last.text, [share_block(job_id)])]


def usage_text(*, quota: int, used: int, tokens: int, calls: int, cost_usd: float | None) -> str:
    cost = f" (about ${cost_usd:.2f})" if cost_usd else ""
    if not quota:
        return messages.COMMAND_USAGE_NO_QUOTA.format(tokens=f"{tokens:,}", calls=calls, cost=cost)
    return messages.COMMAND_USAGE.format(
        left=max(quota - used, 0), quota=quota, tokens=f"{tokens:,}", calls=calls, cost=cost
    )
