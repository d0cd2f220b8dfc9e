"""`partial_summary`: what a half-written summary reply may show (texts only, never refs)."""

from __future__ import annotations

from typing import Any

import pytest

from bot.analysis.summarize import partial_summary


def test_partial_reply_shows_its_texts_without_references() -> None:
    partial = {
        "tldr": " The council approved the pilot ",
        "bullets": [{"text": "Seven votes to two", "paragraphs": [1]}, {"text": "  "}],
    }
    summary = partial_summary(partial)
    assert summary.tldr == "The council approved the pilot"
    assert [(b.text, b.paragraphs) for b in summary.bullets] == [("Seven votes to two", [])]


@pytest.mark.parametrize(
    "partial",
    [{}, {"tldr": None}, {"bullets": "not a list"}, {"bullets": [1, None, {"text": 3}]}],
)
def test_shapes_a_stream_can_pass_through_show_nothing(partial: dict[str, Any]) -> None:
    summary = partial_summary(partial)
    assert summary.tldr == "" and summary.bullets == []
