"""Job payloads: what intake stores is what the flow gets back, and old rows still load."""

from __future__ import annotations

import json

import pytest

from bot.slack.job_payloads import AnswerPayload, JobPayload, NoticePayload, SummaryPayload
from bot.slack.markup import parse_message

LONG = " ".join(f"word{i}" for i in range(80))


def _round_trip(payload: JobPayload) -> JobPayload:
    stored = json.loads(json.dumps(payload.model_dump(mode="json")))  # the JSON column
    return type(payload).model_validate(stored, context={"min_pasted_words": 60})


@pytest.mark.parametrize(
    "payload",
    [
        SummaryPayload(
            text="<https://a.example/x> in French",
            urls=["https://a.example/x"],
            note="in French",
            switch=True,
        ),
        SummaryPayload(text=LONG, pasted_text=LONG),
        SummaryPayload(text="", files=[{"id": "F1", "name": "a.txt", "size": 3}]),
        AnswerPayload(text="<@U0BOT> who?", question="who?"),
        NoticePayload(text="hi", message="Send me a link.", refusal=False),
        NoticePayload(text="hi", message="Not in this channel.", refusal=True),
    ],
)
def test_stored_payload_comes_back_equal(payload: JobPayload) -> None:
    assert _round_trip(payload) == payload


@pytest.mark.parametrize(
    "text",
    [
        "summarise <https://a.example/x|a link> please",
        LONG,
        "<https://a.example/1> <http://b.example>",
    ],
)
def test_a_row_stored_before_payloads_were_typed_is_parsed_like_intake_would(text: str) -> None:
    legacy = {"event_type": "app_mention", "text": text, "files": [], "switch": False}
    loaded = SummaryPayload.model_validate(legacy, context={"min_pasted_words": 60})
    parsed = parse_message(text, min_pasted_words=60)
    assert loaded.message == parsed
    assert loaded.kind == "summary" and not loaded.switch


def test_legacy_rows_honour_the_configured_pasted_text_threshold() -> None:
    text = "a short pasted note of seven words"
    loose = SummaryPayload.model_validate({"text": text}, context={"min_pasted_words": 3})
    strict = SummaryPayload.model_validate({"text": text}, context={"min_pasted_words": 60})
    assert loose.pasted_text == text and strict.pasted_text is None


def test_a_new_row_is_not_parsed_again() -> None:
    # Intake found no article text in this message; loading must not second-guess it.
    stored = SummaryPayload(text=LONG, urls=[], pasted_text=None).model_dump(mode="json")
    assert SummaryPayload.model_validate(stored).pasted_text is None


def test_an_answer_needs_its_question() -> None:
    with pytest.raises(ValueError):
        AnswerPayload.model_validate({"text": "who?"})
