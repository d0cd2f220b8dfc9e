"""`incoming_from`: which Slack event bodies are a person's new message, and what they carry."""

from __future__ import annotations

from typing import Any

import pytest

from bot.slack.events import incoming_from

BOT_USER = "U0BOT"
BOT_ID = "B0BOT"


def body(**event: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "type": "message",
        "user": "U0PERSON",
        "channel": "C0CHAN",
        "channel_type": "channel",
        "ts": "1700000000.000100",
        "text": "hello",
    }
    return {"event_id": "Ev1", "team_id": "T1", "event": {**base, **event}}


def test_a_person_message_is_kept_with_its_fields() -> None:
    inc = incoming_from(body(), bot_user_id=BOT_USER, bot_id=BOT_ID)
    assert inc is not None
    assert (inc.user, inc.channel, inc.ts, inc.text) == (
        "U0PERSON",
        "C0CHAN",
        "1700000000.000100",
        "hello",
    )
    assert (inc.event_id, inc.team, inc.thread_ts) == ("Ev1", "T1", None)
    assert inc.reply_thread == inc.ts


@pytest.mark.parametrize(
    "event",
    [
        {"subtype": "message_changed"},
        {"subtype": "message_deleted"},
        {"subtype": "bot_message"},
        {"subtype": "channel_join"},
        {"hidden": True},
        {"bot_id": "B0OTHER"},
        {"bot_id": BOT_ID},
        {"user": BOT_USER},
        {"type": "reaction_added"},
        {"user": None},
        {"ts": 17},
        {"channel": None},
    ],
)
def test_anything_but_a_persons_new_message_is_ignored(event: dict[str, Any]) -> None:
    assert incoming_from(body(**event), bot_user_id=BOT_USER, bot_id=BOT_ID) is None


@pytest.mark.parametrize("subtype", [None, "", "file_share", "thread_broadcast", "me_message"])
def test_person_subtypes_are_kept(subtype: str | None) -> None:
    assert incoming_from(body(subtype=subtype), bot_user_id=BOT_USER) is not None


def test_a_body_without_an_event_is_ignored() -> None:
    assert incoming_from({"type": "url_verification"}, bot_user_id=BOT_USER) is None
    assert incoming_from({"event": "x"}, bot_user_id=BOT_USER) is None


@pytest.mark.parametrize("text", [None, 42, {"a": 1}])
def test_missing_or_odd_text_becomes_empty(text: object) -> None:
    inc = incoming_from(body(text=text), bot_user_id=BOT_USER)
    assert inc is not None and inc.text == ""


def test_mentions_are_told_apart() -> None:
    inc = incoming_from(body(text=f"<@{BOT_USER}> and <@U0OTHER|bob>"), bot_user_id=BOT_USER)
    assert inc is not None and inc.mentions_bot and inc.mentions_others
    inc = incoming_from(body(text="<@U0OTHER> look"), bot_user_id=BOT_USER)
    assert inc is not None and not inc.mentions_bot and inc.mentions_others
    inc = incoming_from(body(type="app_mention", text="no tag"), bot_user_id=BOT_USER)
    assert inc is not None and inc.mentions_bot and not inc.mentions_others


def test_thread_ts_equal_to_ts_is_a_thread_parent_not_a_reply() -> None:
    parent = incoming_from(body(thread_ts="1700000000.000100"), bot_user_id=BOT_USER)
    reply = incoming_from(body(thread_ts="1690000000.000001"), bot_user_id=BOT_USER)
    assert parent is not None and parent.thread_ts is None
    assert reply is not None and reply.reply_thread == "1690000000.000001"


def test_dm_channel_type_is_inferred_from_the_channel_id() -> None:
    inc = incoming_from(body(channel="D0DM", channel_type=None), bot_user_id=BOT_USER)
    assert inc is not None and inc.channel_type == "im" and inc.is_dm


def test_files_keep_only_what_a_flow_needs() -> None:
    files = [{"id": "F1", "name": "a.txt", "secret_field": "x", "size": None}, "not a dict"]
    inc = incoming_from(body(subtype="file_share", files=files), bot_user_id=BOT_USER)
    assert inc is not None and inc.files == [{"id": "F1", "name": "a.txt"}]
