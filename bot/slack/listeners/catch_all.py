"""Any other event: acknowledge and ignore, so Slack does not deliver it again."""

from __future__ import annotations

import re

from slack_bolt.async_app import AsyncAck, AsyncApp


def register(app: AsyncApp) -> None:
    @app.event(re.compile(".*"))
    async def ignore(ack: AsyncAck) -> None:
        await ack()
