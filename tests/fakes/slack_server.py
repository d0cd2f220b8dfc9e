"""Shortcut import path for the fake Slack (the implementation lives in `tests.fakes.slack`)."""

from tests.fakes.slack import (
    Call,
    FakeSlack,
    Message,
    WaitTimeout,
    Workspace,
    events,
    sign,
    wait_for,
    wait_for_async,
)

__all__ = [
    "Call",
    "FakeSlack",
    "Message",
    "WaitTimeout",
    "Workspace",
    "events",
    "sign",
    "wait_for",
    "wait_for_async",
]
