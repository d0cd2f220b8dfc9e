"""The 👍/👎 row: valid Block Kit in both styles (checked by the fake Slack's validator), values
that name the job, and placement under the last part of a reply."""

from __future__ import annotations

import pytest

from bot.slack.render.blocks import RenderedMessage, section
from bot.slack.render.feedback_buttons import feedback_blocks, parse_feedback_value, with_feedback
from bot.slack.render.limits import MESSAGE_BLOCKS
from tests.fakes.slack.validation import SlackError, check_blocks


@pytest.mark.parametrize("style", ["native", "plain"])
def test_feedback_row_is_valid_block_kit_and_names_its_job(style: str) -> None:
    blocks = feedback_blocks(4321, style)  # type: ignore[arg-type]
    check_blocks(blocks)
    found = {v for v in _values(blocks)}
    assert {parse_feedback_value(v) for v in found} == {(4321, "good"), (4321, "bad")}
    assert feedback_blocks(4321, "off") == []


def test_the_fake_refuses_feedback_buttons_slack_would_refuse() -> None:
    [block] = feedback_blocks(1, "native")
    del block["elements"][0]["negative_button"]
    with pytest.raises(SlackError):
        check_blocks([block])
    with pytest.raises(SlackError):
        check_blocks([{"type": "context_actions", "elements": [{"type": "button"}]}])


@pytest.mark.parametrize("value", ["", "12", "x:good", "12:meh", None, 12])
def test_foreign_values_are_not_ours(value: object) -> None:
    assert parse_feedback_value(value) is None


def test_row_goes_under_the_last_part_or_after_it_when_full() -> None:
    row = feedback_blocks(1, "native")
    short = [RenderedMessage("a", [section("a")]), RenderedMessage("b", [section("b")])]
    placed = with_feedback(short, row)
    assert placed[0] == short[0] and placed[1].blocks == [section("b"), *row]
    full = [RenderedMessage("c", [section("c")] * MESSAGE_BLOCKS)]
    placed = with_feedback(full, row)
    assert len(placed) == 2 and placed[1].blocks == row and placed[0] == full[0]


def _values(blocks: list[dict[str, object]]) -> list[str]:
    out: list[str] = []
    for block in blocks:
        for element in block["elements"]:  # type: ignore[attr-defined]
            if element["type"] == "feedback_buttons":
                out += [element["positive_button"]["value"], element["negative_button"]["value"]]
            else:
                out.append(element["value"])
    return out
