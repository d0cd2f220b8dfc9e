"""👍/👎 under a summary or an answer: Slack's feedback buttons, or a plain actions block.

Each button's value names the job the reply answered and the rating (`"42:good"`), so a click
needs nothing but the store to be recorded.
"""

from __future__ import annotations

from typing import Any, Literal

from bot.slack.render.blocks import Block, RenderedMessage
from bot.slack.render.limits import MESSAGE_BLOCKS

FeedbackStyle = Literal["native", "plain", "off"]
FeedbackRating = Literal["good", "bad"]
FEEDBACK_ACTION = "articlebot_feedback"
_LABELS = {"good": "This reply was helpful", "bad": "This reply was not helpful"}
_EMOJI = {"good": "👍", "bad": "👎"}


def _plain_text(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text, "emoji": True}


def _feedback_button(job_id: int, rating: FeedbackRating) -> dict[str, Any]:
    return {
        "text": _plain_text(_EMOJI[rating]),
        "accessibility_label": _LABELS[rating],
        "value": f"{job_id}:{rating}",
    }


def feedback_blocks(job_id: int, style: FeedbackStyle) -> list[Block]:
    """The feedback row for the reply to job `job_id` ([] when feedback is off)."""
    if style == "off":
        return []
    if style == "native":
        buttons = {
            "type": "feedback_buttons",
            "action_id": FEEDBACK_ACTION,
            "positive_button": _feedback_button(job_id, "good"),
            "negative_button": _feedback_button(job_id, "bad"),
        }
        return [{"type": "context_actions", "elements": [buttons]}]
    elements = [
        {
            "type": "button",
            "action_id": f"{FEEDBACK_ACTION}_{rating}",
            "text": _plain_text(_EMOJI[rating]),
            "accessibility_label": _LABELS[rating],
            "value": f"{job_id}:{rating}",
        }
        for rating in ("good", "bad")
    ]
    return [{"type": "actions", "block_id": FEEDBACK_ACTION, "elements": elements}]


def with_feedback(parts: list[RenderedMessage], blocks: list[Block]) -> list[RenderedMessage]:
    """`parts` with the feedback row under the last one (as a message of its own if full)."""
    if not blocks or not parts:
        return parts
    *head, last = parts
    if len(last.blocks) + len(blocks) <= MESSAGE_BLOCKS:
        return [*head, RenderedMessage(text=last.text, blocks=[*last.blocks, *blocks])]
    return [*parts, RenderedMessage(text=last.text, blocks=blocks)]


def parse_feedback_value(value: object) -> tuple[int, FeedbackRating] | None:
    """(job id, rating) from a button's value; None if it is not one of ours."""
    if not isinstance(value, str):
        return None
    job, _, rating = value.partition(":")
    if not job.isdigit() or rating not in ("good", "bad"):
        return None
    return int(job), "good" if rating == "good" else "bad"


def rating_emoji(rating: FeedbackRating) -> str:
    return _EMOJI[rating]
