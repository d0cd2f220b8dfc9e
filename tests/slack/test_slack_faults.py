"""Every Slack fault ends in one good reply (or, with no way to post, a logged quiet stop).

The matrix runs each fault class at each call site in Socket Mode and HTTP mode against one
bot per mode (a fresh thread per case), and checks what the user sees: exactly one final
reply, no placeholder left, no duplicate, no "Something went wrong" where a retry would have
succeeded, the turn recorded for answers, nothing left queued.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from tests.slack.fault_matrix import (
    MATRIX_SETTINGS,
    Case,
    duplicates,
    matrix,
    run_case,
)
from tests.slack.harness import BotHarness, running_bot

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(scope="module", loop_scope="module", params=["socket", "http"])
async def bot(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[BotHarness]:
    tmp: Path = tmp_path_factory.mktemp(f"faults-{request.param}")
    async with running_bot(tmp, request.param, **MATRIX_SETTINGS) as h:
        yield h


@pytest.mark.parametrize("case", matrix(), ids=lambda c: c.id)
async def test_fault_ends_in_one_good_reply_or_a_quiet_stop(
    bot: BotHarness, case: Case, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    result = await run_case(bot, case)
    assert result.fault_hit, "the fault was injected where the bot really calls Slack"
    assert result.unfinished == 0, "nothing left queued once the bot is idle"
    if case.expect == "quiet_stop":
        assert result.outcome == "quiet_stop", [r.text for r in result.replies]
        assert case.fault in caplog.text, "the stop is logged with Slack's reason"
        if case.fault in ("invalid_auth", "token_revoked", "account_inactive"):
            assert any(
                r.levelno >= logging.ERROR and "SLACK_BOT_TOKEN" in r.getMessage()
                for r in caplog.records
            ), "a rejected token is reported as an operator problem"
        assert result.turns == 0
        return
    assert result.outcome == "reply", [r.text for r in result.replies]
    assert duplicates(result.replies) == 0
    if case.fault != "msg_too_long":
        assert len(result.replies) == 1, [r.text for r in result.replies]
    if case.flow == "answer":
        assert result.turns == 1, "the answer is remembered as the thread's turn, once"
