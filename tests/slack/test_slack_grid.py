"""Enterprise Grid end to end: one org-wide install serves the org's workspaces; nothing
crosses to a workspace with its own install or to another org; the org leaving takes its
installation and the data of the workspaces it served, and only those.

The fake Slack answers the org-wide install as Slack does (`team: null`, `enterprise`,
`is_enterprise_install: true`) and sends Grid-shaped events: the workspace in `team_id`, the
org in `enterprise_id`, the installation that sees the event in `authorizations[0]`.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from tests.fakes.slack import events
from tests.fakes.slack.store import Message
from tests.fakes.slack.workspace import Workspace
from tests.slack.harness import SIGNING_SECRET, BotHarness, is_summary, running_bot, tokens_used
from tests.slack.test_slack_oauth import OAUTH, _get, _start_install

pytestmark = pytest.mark.slow
ORG, OTHER_ORG = "E0ORG", "E0OTHER"
# Two workspaces served by the org-wide install; one of the org with its own install.
GRID_A, GRID_B, OWN = "T0GRIDA", "T0GRIDB", "T0OWN"
CHANNELS = {GRID_A: "C0GRIDA", GRID_B: "C0GRIDB", OWN: "C0OWN", "T0OUTSIDE": "C0OUTSIDE"}


@pytest.fixture
async def harness(tmp_path: Path) -> AsyncIterator[BotHarness]:
    async with running_bot(tmp_path, "http", **OAUTH) as h:
        yield h


async def _install(h: BotHarness, installation: Workspace) -> None:
    state = await _start_install(h)
    code = h.slack.oauth.approve(installation)
    status, page, _ = await _get(h, f"/slack/oauth_redirect?code={code}&state={state}", state)
    assert status == 200, page


async def _deliver(h: BotHarness, event: dict[str, Any], team: str, seen_by: Workspace) -> int:
    body = json.dumps(h.slack.event_body(event, team_id=team, installation=seen_by)).encode()
    headers = {"Content-Type": "application/json", **h.slack.sign(body, SIGNING_SECRET)}
    return await h.post_raw(body, headers)


async def _mention(h: BotHarness, team: str, seen_by: Workspace) -> Message:
    """Someone in workspace `team` mentions the bot with an article link."""
    channel = CHANNELS[team]
    said = f"<@{seen_by.bot_user_id}> <{h.web.url('/tidal')}>"
    message = h.slack.add_message(channel, said)
    event = events.app_mention(said, events.USER_ID, channel, message.ts, team=team)
    assert await _deliver(h, event, team, seen_by) == 200
    return message


async def _rows(h: BotHarness, sql: str) -> set[tuple[Any, ...]]:
    assert h.bot is not None
    async with h.bot.ctx.store.engine.connect() as conn:
        return {tuple(row) for row in await conn.execute(text(sql))}


@pytest.mark.parametrize("leaving", ["app_uninstalled", "tokens_revoked"])
async def test_an_org_install_serves_its_workspaces_and_leaves_with_their_data(
    harness: BotHarness, leaving: str
) -> None:
    h = harness
    org = h.slack.add_org(ORG)
    own = h.slack.add_workspace(OWN, "U0OWNBOT", enterprise_id=ORG)
    outsider = h.slack.add_org(OTHER_ORG, "U0OUTBOT")  # never installed
    await _install(h, org)
    await _install(h, own)
    assert await _rows(
        h, "SELECT enterprise_id, team_id, is_enterprise_install FROM slack_bots"
    ) == {
        (ORG, None, True),
        (ORG, OWN, False),
    }

    asked = {team: await _mention(h, team, seen_by) for team, seen_by in
             ((GRID_A, org), (GRID_B, org), (OWN, own))}  # fmt: skip
    for team, message in asked.items():
        await h.wait_replies(
            message.ts, lambda rs: any(is_summary(r) for r in rs), channel=CHANNELS[team]
        )
    await h.wait_idle()
    # Each reply went out with the token of the installation that serves its workspace.
    assert (
        tokens_used(h.slack, asked[GRID_A].ts)
        == tokens_used(h.slack, asked[GRID_B].ts)
        == {org.bot_token}
    )
    assert tokens_used(h.slack, asked[OWN].ts) == {own.bot_token}
    # Content is keyed by the workspace the message lives in; the org is remembered apart.
    assert await _rows(h, "SELECT team, channel, thread_ts FROM threads") == {
        (team, CHANNELS[team], message.ts) for team, message in asked.items()
    }
    assert await _rows(h, "SELECT team, enterprise FROM workspaces") == {
        (GRID_A, ORG),
        (GRID_B, ORG),
        (OWN, ORG),
    }
    # Another org, without an install: its event records nothing and nothing is posted.
    jobs_before = await _rows(h, "SELECT id FROM jobs")
    posts_before = len(h.slack.calls_to("chat.postMessage"))
    await _mention(h, "T0OUTSIDE", outsider)
    assert await _rows(h, "SELECT id FROM jobs") == jobs_before
    assert len(h.slack.calls_to("chat.postMessage")) == posts_before

    # The org-wide install goes (uninstalled, or its bot token revoked).
    org.revoked = True
    event = (
        events.app_uninstalled()
        if leaving == "app_uninstalled"
        else events.tokens_revoked(bot=[org.bot_user_id])
    )
    assert await _deliver(h, event, ORG, org) == 200

    assert await _rows(h, "SELECT enterprise_id, team_id FROM slack_bots") == {(ORG, OWN)}
    assert await _rows(h, "SELECT team FROM threads") == {(OWN,)}
    assert await _rows(h, "SELECT DISTINCT team FROM jobs") == {(OWN,)}
    assert await _rows(h, "SELECT team FROM workspaces") == {(OWN,)}
    # The workspace with its own install is still answered; the org's are not.
    await _mention(h, GRID_A, org)
    later = await _mention(h, OWN, own)
    await h.wait_replies(later.ts, lambda rs: any(is_summary(r) for r in rs), channel=CHANNELS[OWN])
    await h.wait_idle()
    assert await _rows(h, "SELECT team FROM threads") == {(OWN,)}


async def test_a_workspace_taken_from_the_org_install_loses_only_its_data(
    harness: BotHarness,
) -> None:
    h = harness
    org = h.slack.add_org(ORG)
    own = h.slack.add_workspace(OWN, "U0OWNBOT", enterprise_id=ORG)
    await _install(h, org)
    await _install(h, own)
    for team, seen_by in ((GRID_A, org), (GRID_B, org), (OWN, own)):
        message = await _mention(h, team, seen_by)
        await h.wait_replies(
            message.ts, lambda rs: any(is_summary(r) for r in rs), channel=CHANNELS[team]
        )
    await h.wait_idle()

    # The admin removes GRID_B and OWN from the org install; OWN installed the app itself.
    revoked = events.team_access_revoked([GRID_B, OWN])
    assert await _deliver(h, revoked, ORG, org) == 200
    assert await _rows(h, "SELECT team FROM threads") == {(GRID_A,), (OWN,)}
    assert await _rows(h, "SELECT team FROM workspaces") == {(GRID_A,), (OWN,)}
    assert await _rows(h, "SELECT enterprise_id, team_id FROM slack_bots") == {
        (ORG, None),
        (ORG, OWN),
    }
