"""A fake Slack (Web API, Socket Mode, file downloads) on 127.0.0.1 for end-to-end tests."""

from tests.fakes.slack import events
from tests.fakes.slack.server import FakeSlack
from tests.fakes.slack.store import Message
from tests.fakes.slack.waiting import WaitTimeout, wait_for, wait_for_async
from tests.fakes.slack.web_api import Call
from tests.fakes.slack.workspace import Workspace

sign = events.sign

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
