"""The fake Slack speaks Slack's wire protocols: proven by driving it with the real clients.

slack_sdk's AsyncWebClient / WebClient, its aiohttp SocketModeClient, its retry handler and
SignatureVerifier, and slack_bolt's AsyncApp (Socket Mode and HTTP mode) all run unmodified
against the fake on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.signature import SignatureVerifier
from slack_sdk.socket_mode.aiohttp import SocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse
from slack_sdk.web.async_client import AsyncWebClient

from tests.fakes.slack import FakeSlack, WaitTimeout, events, sign, wait_for, wait_for_async
from tests.fakes.slack.oauth import CLIENT_ID, CLIENT_SECRET

CHANNEL = "C0CHAN"
DM = "D0DM"
USER = "U0USER"


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with FakeSlack() as running:
        yield running


@pytest.fixture
async def client(fake: FakeSlack) -> AsyncIterator[AsyncWebClient]:
    web_client = AsyncWebClient(base_url=fake.api_url, token=fake.bot_token)
    yield web_client
    if web_client.session is not None:
        await web_client.session.close()


async def error_of(call: Any) -> dict[str, Any]:
    """Run a client call that must fail and return Slack's error body."""
    with pytest.raises(SlackApiError) as caught:
        await call
    return dict(caught.value.response.data)


# --- Web API: identity, tokens, recording ----------------------------------------------------


async def test_auth_test_identifies_the_bot_and_is_recorded(
    fake: FakeSlack, client: AsyncWebClient
) -> None:
    result = await client.auth_test()
    assert (result["user_id"], result["bot_id"], result["team_id"]) == (
        fake.bot_user_id,
        fake.bot_id,
        fake.team_id,
    )
    [call] = fake.calls_to("auth.test")
    assert call.headers["Authorization"] == f"Bearer {fake.bot_token}"
    assert call.token == fake.bot_token and call.ok


async def test_tokens_are_checked_like_slack(fake: FakeSlack, client: AsyncWebClient) -> None:
    wrong = AsyncWebClient(base_url=fake.api_url, token="xoxb-not-the-token")
    missing = AsyncWebClient(base_url=fake.api_url)
    app_token = AsyncWebClient(base_url=fake.api_url, token=fake.app_token)
    post = {"channel": CHANNEL, "text": "hi"}
    assert (await error_of(wrong.chat_postMessage(**post)))["error"] == "invalid_auth"
    assert (await error_of(missing.chat_postMessage(**post)))["error"] == "not_authed"
    assert (await error_of(app_token.chat_postMessage(**post)))["error"] == "not_allowed_token_type"
    # apps.connections.open wants the app token, not the bot token.
    bot_open = client.apps_connections_open(app_token=fake.bot_token)
    assert (await error_of(bot_open))["error"] == "not_allowed_token_type"
    opened = await client.apps_connections_open(app_token=fake.app_token)
    assert opened["url"].startswith(f"ws://127.0.0.1:{fake.port}/socket-mode?ticket=")
    assert fake.messages == []


async def test_unknown_method(client: AsyncWebClient) -> None:
    body = await error_of(client.api_call("chat.teleport", json={"channel": CHANNEL}))
    assert body["error"] == "unknown_method"


async def test_form_encoded_calls_and_token_field_are_understood(fake: FakeSlack) -> None:
    # No Authorization header: the token travels as a form field, blocks as a JSON string.
    tokenless = AsyncWebClient(base_url=fake.api_url)
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "*hi*"}}]
    result = await tokenless.api_call(
        "chat.postMessage",
        data={
            "token": fake.bot_token,
            "channel": CHANNEL,
            "text": "hi",
            "blocks": json.dumps(blocks),
        },
    )
    stored = fake.message(CHANNEL, result["ts"])
    assert stored is not None and stored.blocks == blocks
    [call] = fake.calls_to("chat.postMessage")
    assert call.params["blocks"] == blocks and "token" not in call.params
    assert call.token == fake.bot_token


def test_sync_web_client_works_too(fake: FakeSlack) -> None:
    sync_client = WebClient(base_url=fake.api_url, token=fake.bot_token)
    posted = sync_client.chat_postMessage(channel=CHANNEL, text="from a thread")
    assert fake.message(CHANNEL, posted["ts"]).text == "from a thread"


# --- messages, threads, history --------------------------------------------------------------


async def test_post_update_delete_and_thread_reads(fake: FakeSlack, client: AsyncWebClient) -> None:
    parent, _ = fake.user_message(CHANNEL, f"<@{fake.bot_user_id}> read this")
    first = await client.chat_postMessage(channel=CHANNEL, thread_ts=parent.ts, text="Working…")
    second = await client.chat_postMessage(channel=CHANNEL, thread_ts=parent.ts, text="Done")
    assert parent.ts < first["ts"] < second["ts"]
    assert first["ts"].split(".")[0].isdigit() and len(first["ts"].split(".")[1]) == 6
    assert first["message"]["bot_id"] == fake.bot_id

    await client.chat_update(channel=CHANNEL, ts=first["ts"], text="Summary: ...")
    assert [m.text for m in fake.bot_replies(CHANNEL, parent.ts)] == ["Summary: ...", "Done"]
    assert fake.message(CHANNEL, first["ts"]).snapshots == ["Working…", "Summary: ..."]

    replies = await client.conversations_replies(channel=CHANNEL, ts=parent.ts)
    assert [m["ts"] for m in replies["messages"]] == [parent.ts, first["ts"], second["ts"]]
    assert replies["messages"][0]["reply_count"] == 2
    assert replies["messages"][1]["parent_user_id"] == USER

    await client.chat_delete(channel=CHANNEL, ts=second["ts"])
    assert [m.ts for m in fake.thread(CHANNEL, parent.ts)] == [parent.ts, first["ts"]]
    gone = client.chat_update(channel=CHANNEL, ts=second["ts"], text="x")
    assert (await error_of(gone))["error"] == "message_not_found"
    not_ours = client.chat_update(channel=CHANNEL, ts=parent.ts, text="x")
    assert (await error_of(not_ours))["error"] == "cant_update_message"

    missing = client.conversations_replies(channel=CHANNEL, ts="1600000000.000001")
    assert (await error_of(missing))["error"] == "thread_not_found"


async def test_all_texts_keeps_every_version_for_leak_audits(
    fake: FakeSlack, client: AsyncWebClient
) -> None:
    posted = await client.chat_postMessage(
        channel=CHANNEL, text="draft", blocks=[section("draft with SECRET-1")]
    )
    await client.chat_update(channel=CHANNEL, ts=posted["ts"], text="final", blocks=[section("ok")])
    await client.chat_delete(channel=CHANNEL, ts=posted["ts"])
    await client.chat_postEphemeral(
        channel=CHANNEL, user=USER, text="eph", blocks=[section("SECRET-2")]
    )
    shown = "\n".join(fake.all_texts())
    assert "draft with SECRET-1" in shown and "SECRET-2" in shown and "final" in shown
    fake.add_message(CHANNEL, "SECRET-3 typed by a person")
    assert "SECRET-3" not in "\n".join(fake.all_texts())  # only what the bot showed


async def test_history_pages_with_cursors(fake: FakeSlack, client: AsyncWebClient) -> None:
    posted = [fake.add_message(CHANNEL, f"message {i}").ts for i in range(5)]
    fake.add_message(CHANNEL, "a reply stays out of history", thread_ts=posted[0])
    seen: list[str] = []
    cursor = None
    while True:
        page = await client.conversations_history(channel=CHANNEL, limit=2, cursor=cursor)
        seen += [m["ts"] for m in page["messages"]]
        cursor = page["response_metadata"]["next_cursor"]
        assert page["has_more"] == bool(cursor)
        if not cursor:
            break
    assert seen == list(reversed(posted))


async def test_ephemeral_and_assistant_status(fake: FakeSlack, client: AsyncWebClient) -> None:
    result = await client.chat_postEphemeral(channel=CHANNEL, user=USER, text="only you")
    assert result["message_ts"]
    assert [(e.user, e.text) for e in fake.ephemerals] == [(USER, "only you")]
    assert fake.messages == []  # ephemeral posts never enter the channel

    thread_ts = fake.add_message(DM, "question").ts
    await client.assistant_threads_setStatus(channel_id=DM, thread_ts=thread_ts, status="reading…")
    await client.assistant_threads_setStatus(channel_id=DM, thread_ts=thread_ts, status="")
    assert fake.statuses(DM, thread_ts) == ["reading…", ""]
    assert "only you" in fake.all_texts() and "reading…" in fake.all_texts()


async def test_reactions(fake: FakeSlack, client: AsyncWebClient) -> None:
    ts = fake.add_message(CHANNEL, "hello").ts
    await client.reactions_add(channel=CHANNEL, timestamp=ts, name="eyes")
    await client.reactions_add(channel=CHANNEL, timestamp=ts, name="white_check_mark")
    again = client.reactions_add(channel=CHANNEL, timestamp=ts, name="eyes")
    assert (await error_of(again))["error"] == "already_reacted"
    await client.reactions_remove(channel=CHANNEL, timestamp=ts, name="eyes")
    assert fake.reactions(CHANNEL, ts) == ["white_check_mark"]
    absent = client.reactions_remove(channel=CHANNEL, timestamp=ts, name="eyes")
    assert (await error_of(absent))["error"] == "no_reaction"
    colons = client.reactions_add(channel=CHANNEL, timestamp=ts, name=":eyes:")
    assert (await error_of(colons))["error"] == "invalid_name"
    unknown = client.reactions_add(channel=CHANNEL, timestamp="1.000001", name="eyes")
    assert (await error_of(unknown))["error"] == "message_not_found"


# --- limits ----------------------------------------------------------------------------------


def section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"text": "x" * 40_001}, "msg_too_long"),
        ({"text": "t", "blocks": [section("ok")] * 51}, "invalid_blocks"),
        ({"text": "t", "blocks": [section("x" * 3_001)]}, "invalid_blocks"),
        (
            {
                "text": "t",
                "blocks": [{"type": "header", "text": {"type": "plain_text", "text": "h" * 151}}],
            },
            "invalid_blocks",
        ),
        pytest.param(
            {"text": ""},
            "no_text",
            marks=pytest.mark.filterwarnings("ignore:The top-level `text`:UserWarning"),
        ),
    ],
)
async def test_limits_are_enforced(
    fake: FakeSlack, client: AsyncWebClient, kwargs: dict[str, Any], error: str
) -> None:
    body = await error_of(client.chat_postMessage(channel=CHANNEL, **kwargs))
    assert body["error"] == error
    if error == "invalid_blocks":
        assert any("json-pointer:/blocks" in e for e in body["errors"])
    assert fake.messages == []


async def test_limits_at_the_boundary_pass(fake: FakeSlack, client: AsyncWebClient) -> None:
    header = {"type": "header", "text": {"type": "plain_text", "text": "h" * 150}}
    blocks = [header, section("x" * 3_000)] + [section("ok")] * 48
    await client.chat_postMessage(channel=CHANNEL, text="y" * 40_000, blocks=blocks)
    assert len(fake.messages) == 1 and len(fake.messages[0].blocks or []) == 50


async def test_link_names_is_recorded(fake: FakeSlack, client: AsyncWebClient) -> None:
    await client.chat_postMessage(channel=CHANNEL, text="plain")
    assert fake.link_names_calls == []
    await client.chat_postMessage(channel=CHANNEL, text="@here ping", link_names=True)
    assert [c.params["text"] for c in fake.link_names_calls] == ["@here ping"]
    assert fake.messages[-1].link_names


# --- streaming -------------------------------------------------------------------------------


async def test_streaming_methods(fake: FakeSlack, client: AsyncWebClient) -> None:
    thread_ts = fake.add_message(CHANNEL, "question").ts
    no_user = client.chat_startStream(channel=CHANNEL, thread_ts=thread_ts)
    assert (await error_of(no_user))["error"] == "missing_recipient_user_id"
    no_team = client.chat_startStream(channel=CHANNEL, thread_ts=thread_ts, recipient_user_id=USER)
    assert (await error_of(no_team))["error"] == "missing_recipient_team_id"

    started = await client.chat_startStream(
        channel=CHANNEL,
        thread_ts=thread_ts,
        recipient_user_id=USER,
        recipient_team_id=fake.team_id,
        markdown_text="The ",
    )
    ts = started["ts"]
    await client.chat_appendStream(channel=CHANNEL, ts=ts, markdown_text="answer")
    too_long = client.chat_appendStream(channel=CHANNEL, ts=ts, markdown_text="z" * 12_001)
    assert (await error_of(too_long))["error"] == "msg_too_long"
    await client.chat_stopStream(
        channel=CHANNEL, ts=ts, markdown_text=".", blocks=[section("Sources")]
    )
    late = client.chat_appendStream(channel=CHANNEL, ts=ts, markdown_text="more")
    assert (await error_of(late))["error"] == "message_not_in_streaming_state"

    [reply] = fake.bot_replies(CHANNEL, thread_ts)
    assert reply.text == "The answer." and reply.stream_state == "stopped"
    assert reply.snapshots == ["The ", "The answer", "The answer."]
    assert reply.blocks == [section("Sources")]
    assert all("z" * 100 not in snapshot for snapshot in reply.snapshots)


async def test_streaming_in_a_dm_needs_no_recipient(
    fake: FakeSlack, client: AsyncWebClient
) -> None:
    thread_ts = fake.add_message(DM, "question").ts
    started = await client.chat_startStream(channel=DM, thread_ts=thread_ts, markdown_text="ok")
    assert fake.message(DM, started["ts"]).stream_state == "streaming"
    no_thread = client.api_call("chat.startStream", json={"channel": DM})
    assert (await error_of(no_thread))["error"] == "invalid_arguments"


async def test_sdk_chat_stream_helper(fake: FakeSlack, client: AsyncWebClient) -> None:
    thread_ts = fake.add_message(CHANNEL, "question").ts
    streamer = await client.chat_stream(
        channel=CHANNEL,
        thread_ts=thread_ts,
        recipient_user_id=USER,
        recipient_team_id=fake.team_id,
        buffer_size=10,
    )
    pieces = ["Putin met ", "Xi in ", "Moscow ", "on Monday", "."]
    for piece in pieces:
        await streamer.append(markdown_text=piece)
    await streamer.stop(blocks=[section("Quotes verified")])

    [reply] = fake.bot_replies(CHANNEL, thread_ts)
    assert reply.text == "".join(pieces)
    assert reply.stream_state == "stopped" and reply.blocks == [section("Quotes verified")]
    assert len(reply.snapshots) > 2  # it really grew over several calls
    assert {c.method for c in fake.calls} >= {"chat.startStream", "chat.appendStream"}
    assert all(c.ok for c in fake.calls)


# --- rate limits and injected failures --------------------------------------------------------


async def test_rate_limit_answers_429_with_retry_after(
    fake: FakeSlack, client: AsyncWebClient
) -> None:
    fake.rate_limit("chat.postMessage", times=1, retry_after=7)
    with pytest.raises(SlackApiError) as caught:
        await client.chat_postMessage(channel=CHANNEL, text="hi")
    response = caught.value.response
    assert response.status_code == 429 and response["error"] == "ratelimited"
    assert response.headers["Retry-After"] == "7"
    await client.chat_postMessage(channel=CHANNEL, text="hi")  # only one call was limited
    assert [c.status for c in fake.calls_to("chat.postMessage")] == [429, 200]


async def test_sdk_retry_handler_waits_and_retries(fake: FakeSlack) -> None:
    retrying = AsyncWebClient(
        base_url=fake.api_url,
        token=fake.bot_token,
        retry_handlers=[AsyncRateLimitErrorRetryHandler(max_retry_count=2)],
    )
    fake.rate_limit("chat.postMessage", times=2, retry_after=1)
    result = await retrying.chat_postMessage(channel=CHANNEL, text="eventually")
    calls = fake.calls_to("chat.postMessage")
    assert [c.status for c in calls] == [429, 429, 200]
    assert fake.message(CHANNEL, result["ts"]).text == "eventually"
    # The client honoured Retry-After (a lower bound, not a speed assertion).
    assert calls[1].at - calls[0].at >= 1.0


async def test_fail_next_injects_an_error(fake: FakeSlack, client: AsyncWebClient) -> None:
    fake.fail_next("chat.startStream", "not_allowed")
    body = await error_of(
        client.chat_startStream(channel=DM, thread_ts=fake.add_message(DM, "q").ts)
    )
    assert body["error"] == "not_allowed"


async def test_injected_faults_have_slacks_wire_shapes(fake: FakeSlack) -> None:
    """Each fault as a raw HTTP client sees it, one call each, then the method works again."""
    url = f"{fake.api_url}chat.postMessage"
    form = {"token": fake.bot_token, "channel": CHANNEL, "text": "hi"}
    async with aiohttp.ClientSession() as http:
        fake.inject_fault("chat.postMessage", "http_429", retry_after=3)
        async with http.post(url, data=form) as response:
            assert response.status == 429 and response.headers["Retry-After"] == "3"
            assert await response.json() == {"ok": False, "error": "ratelimited"}
        fake.inject_fault("chat.postMessage", "http_500")
        async with http.post(url, data=form) as response:
            assert response.status == 500 and response.content_type == "text/html"
            assert "<html>" in await response.text()
        fake.inject_fault("chat.postMessage", "http_503")
        async with http.post(url, data=form) as response:
            assert response.status == 503
            assert (await response.json())["error"] == "service_unavailable"
        fake.inject_fault("chat.postMessage", "internal_error")
        async with http.post(url, data=form) as response:
            assert response.status == 200
            assert await response.json() == {"ok": False, "error": "internal_error"}
        fake.inject_fault("chat.postMessage", "connection_reset")
        with pytest.raises(aiohttp.ClientError):
            async with http.post(url, data=form) as response:
                await response.read()
        async with http.post(url, data=form) as response:
            assert (await response.json())["ok"] is True
        posted = [m for m in fake.messages if m.channel == CHANNEL and m.bot_id == fake.bot_id]
        assert len(posted) == 1, "only the lost answer's call does the work"
        fake.inject_fault("chat.postMessage", "lost_response")
        with pytest.raises(aiohttp.ClientError):
            async with http.post(url, data=form) as response:
                await response.read()
    statuses = [c.status for c in fake.calls_to("chat.postMessage")]
    assert statuses == [429, 500, 503, 200, 0, 200, 0]
    posted = [m for m in fake.messages if m.channel == CHANNEL and m.bot_id == fake.bot_id]
    assert len(posted) == 2, "a lost answer still posted the message"


async def test_thread_metadata_only_when_asked(fake: FakeSlack, client: AsyncWebClient) -> None:
    parent = fake.add_message(CHANNEL, "question")
    metadata = {"event_type": "articlebot_reply", "event_payload": {"job": 1}}
    await client.chat_postMessage(
        channel=CHANNEL, thread_ts=parent.ts, text="answer", metadata=metadata
    )
    plain = await client.conversations_replies(channel=CHANNEL, ts=parent.ts)
    assert all("metadata" not in m for m in plain["messages"])
    full = await client.conversations_replies(
        channel=CHANNEL, ts=parent.ts, include_all_metadata=True
    )
    assert full["messages"][-1]["metadata"] == metadata


# --- files -----------------------------------------------------------------------------------


async def test_file_info_and_authenticated_download(
    fake: FakeSlack, client: AsyncWebClient
) -> None:
    content = b"Paragraph one.\n\nParagraph two.\n"
    info = fake.add_file(content, "article notes.txt", "text/plain")
    assert (await client.files_info(file=info["id"]))["file"]["size"] == len(content)
    missing = client.files_info(file="F0MISSING")
    assert (await error_of(missing))["error"] == "file_not_found"

    url = info["url_private_download"]
    assert url.startswith(f"http://127.0.0.1:{fake.port}/")
    async with aiohttp.ClientSession() as session:
        bearer = {"Authorization": f"Bearer {fake.bot_token}"}
        async with session.get(url, headers=bearer) as response:
            assert response.status == 200 and await response.read() == content
            assert response.content_type == "text/plain"
        async with session.get(url, allow_redirects=False) as response:
            assert response.status == 302 and response.headers["Location"].startswith("/?redir=")
        async with session.get(url) as response:  # following it lands on a sign-in page
            assert response.content_type == "text/html"
            assert "Sign in" in await response.text()
        async with session.get(url, headers={"Authorization": f"Bearer {fake.app_token}"}) as r:
            assert r.content_type == "text/html"
    assert [d.authorized for d in fake.downloads] == [True, False, False, False]


async def test_file_download_forbidden_mode() -> None:
    with FakeSlack(file_auth_failure="forbidden") as fake:
        info = fake.add_file(b"%PDF-1.7", "a.pdf", "application/pdf")
        async with (
            aiohttp.ClientSession() as session,
            session.get(info["url_private"]) as response,
        ):
            assert response.status == 403


# --- Socket Mode -----------------------------------------------------------------------------


async def test_socket_mode_client_receives_an_event_and_acks(fake: FakeSlack) -> None:
    received: list[SocketModeRequest] = []

    async def on_request(sm_client: SocketModeClient, request: SocketModeRequest) -> None:
        received.append(request)
        await sm_client.send_socket_mode_response(SocketModeResponse(request.envelope_id))

    web_client = AsyncWebClient(base_url=fake.api_url)
    sm = SocketModeClient(app_token=fake.app_token, web_client=web_client, ping_interval=30)
    sm.socket_mode_request_listeners.append(on_request)
    try:
        await sm.connect()
        await fake.wait_connected_async()
        # The client's own ping came back as a pong carrying its payload.
        await wait_for_async(lambda: sm.last_ping_pong_time is not None)

        msg, event = fake.user_message(CHANNEL, f"<@{fake.bot_user_id}> summarise this")
        envelope_id = fake.send_event(event, event_id="Ev0TEST0001")
        ack = await fake.wait_for_ack_async(envelope_id)
        [request] = received
        assert request.type == "events_api" and request.envelope_id == envelope_id
        assert request.retry_attempt == 0 and request.retry_reason == ""
        assert request.payload["event_id"] == "Ev0TEST0001"
        assert request.payload["event"]["type"] == "app_mention"
        assert request.payload["event"]["ts"] == msg.ts
        assert request.payload["authorizations"][0]["user_id"] == fake.bot_user_id
        assert ack.at >= fake.envelopes[0].sent_at

        # A refresh: Slack says "disconnect", the client fetches a new URL and reconnects.
        fake.disconnect_clients(close_after=1.0)
        await wait_for_async(lambda: fake.connections_opened == 2)
        await wait_for_async(lambda: fake.open_connections == 1)
        assert len(fake.calls_to("apps.connections.open")) == 2
        retry = fake.send_event(
            event, event_id="Ev0TEST0001", retry_attempt=1, retry_reason="timeout"
        )
        await fake.wait_for_ack_async(retry)
        assert received[-1].retry_attempt == 1 and received[-1].retry_reason == "timeout"
    finally:
        await sm.close()
        if web_client.session is not None:
            await web_client.session.close()


async def test_socket_tickets_are_single_use(fake: FakeSlack, client: AsyncWebClient) -> None:
    url = (await client.apps_connections_open(app_token=fake.app_token))["url"]
    async with aiohttp.ClientSession() as session:
        async with session.ws_connect(url) as ws:
            hello = await ws.receive_json(timeout=5)
            assert hello["type"] == "hello" and hello["connection_info"]["app_id"] == fake.app_id
        with pytest.raises(aiohttp.WSServerHandshakeError) as caught:
            await session.ws_connect(url)
        assert caught.value.status == 401


def test_send_event_without_a_client_fails_clearly(fake: FakeSlack) -> None:
    with pytest.raises(RuntimeError, match="no Socket Mode client"):
        fake.send_event(events.message("hi", USER, CHANNEL, "1700000000.000100"))


async def test_bolt_app_in_socket_mode(fake: FakeSlack) -> None:
    app = AsyncApp(
        client=AsyncWebClient(base_url=fake.api_url, token=fake.bot_token),
        signing_secret="unused-in-socket-mode",
    )

    @app.event("app_mention")
    async def on_mention(event: dict[str, Any], say: Any, client: AsyncWebClient) -> None:
        await client.reactions_add(channel=event["channel"], timestamp=event["ts"], name="eyes")
        await say(text="On it.", thread_ts=event["ts"])

    handler = AsyncSocketModeHandler(app, fake.app_token)
    await handler.connect_async()
    try:
        await fake.wait_connected_async()
        msg, event = fake.user_message(CHANNEL, f"<@{fake.bot_user_id}> hello")
        await fake.wait_for_ack_async(fake.send_event(event))
        await wait_for_async(
            lambda: fake.bot_replies(CHANNEL, msg.ts),
            message=lambda: f"calls so far: {[c.method for c in fake.calls]}",
        )
        assert [m.text for m in fake.bot_replies(CHANNEL, msg.ts)] == ["On it."]
        assert fake.reactions(CHANNEL, msg.ts) == ["eyes"]
        assert fake.calls_to("auth.test")  # bolt authorised through the fake
    finally:
        await handler.close_async()


# --- HTTP mode: signatures --------------------------------------------------------------------


def test_sign_matches_slack_sdk_verifier(fake: FakeSlack) -> None:
    body = json.dumps(fake.event_body(events.message("hi", USER, CHANNEL, "1.000100"))).encode()
    verifier = SignatureVerifier("s3cr3t")
    assert verifier.is_valid_request(body, sign(body, "s3cr3t"))
    assert not verifier.is_valid_request(body, sign(body, "other"))
    assert not verifier.is_valid_request(body + b" ", sign(body, "s3cr3t"))
    stale = sign(body, "s3cr3t", timestamp=int(time.time()) - 600)
    assert not verifier.is_valid_request(body, stale)


async def test_bolt_app_in_http_mode_accepts_only_signed_events(fake: FakeSlack) -> None:
    secret = "http-mode-secret"
    app = AsyncApp(
        client=AsyncWebClient(base_url=fake.api_url, token=fake.bot_token), signing_secret=secret
    )

    @app.event("message")
    async def on_message(event: dict[str, Any], say: Any) -> None:
        await say(text=f"echo: {event['text']}", thread_ts=event["ts"])

    runner = web.AppRunner(app.web_app(path="/slack/events"))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    url = f"http://127.0.0.1:{port}/slack/events"
    try:
        msg, event = fake.user_message(DM, "hello there")
        assert event["channel_type"] == "im"
        body = json.dumps(fake.event_body(event)).encode()
        async with aiohttp.ClientSession() as session:
            forged = {"Content-Type": "application/json", **sign(body, "wrong")}
            async with session.post(url, data=body, headers=forged) as response:
                assert response.status == 401
            signed = {"Content-Type": "application/json", **sign(body, secret)}
            async with session.post(url, data=body, headers=signed) as response:
                assert response.status == 200
        await wait_for_async(lambda: fake.bot_replies(DM, msg.ts))
        assert [m.text for m in fake.bot_replies(DM, msg.ts)] == ["echo: hello there"]
    finally:
        await runner.cleanup()


# --- event factories -------------------------------------------------------------------------


def rich_text_of(event: dict[str, Any]) -> str:
    """Re-render a rich_text block as mrkdwn, to check it mirrors the message text."""
    out = ""
    for element in event["blocks"][0]["elements"][0]["elements"]:
        kind = element["type"]
        if kind == "text":
            out += element["text"]
        elif kind == "user":
            out += f"<@{element['user_id']}>"
        elif kind == "link":
            out += (
                f"<{element['url']}|{element['text']}>"
                if "text" in element
                else f"<{element['url']}>"
            )
    return out


def test_event_factories_carry_slack_fields() -> None:
    text = "<@U0BOT> summarise <https://example.org/a?b=1&amp;c=2> please"
    mention = events.app_mention(text, USER, CHANNEL, "1700000000.000100", thread_ts="1699.000001")
    for name in ("client_msg_id", "team", "event_ts", "blocks", "parent_user_id"):
        assert name in mention
    assert "channel_type" not in mention  # Slack sends none on app_mention
    assert rich_text_of(mention) == text.replace("&amp;", "&")

    dm = events.direct_message("hi", USER, DM, "1700000000.000200")
    assert dm["channel_type"] == "im" and "subtype" not in dm
    shared = events.file_share("", USER, CHANNEL, "1.1", files=[{"id": "F1"}])
    assert shared["subtype"] == "file_share" and shared["files"] == [{"id": "F1"}]
    assert events.message("x", USER, "G0PRIV", "1.2")["channel_type"] == "group"

    changed = events.message_changed(CHANNEL, "1.3", "new", "old", USER)
    assert changed["hidden"] and changed["message"]["text"] == "new"
    assert changed["previous_message"]["text"] == "old" and "edited" in changed["message"]
    deleted = events.message_deleted(CHANNEL, "1.3", "old", USER)
    assert deleted["deleted_ts"] == "1.3" and deleted["previous_message"]["text"] == "old"

    assert events.bot_message("beep", CHANNEL, "1.4")["subtype"] == "bot_message"
    from_bot = events.bot_user_message("hi", CHANNEL, "1.5")
    assert "subtype" not in from_bot and from_bot["bot_id"] == events.BOT_ID


def test_event_body_wraps_like_slack(fake: FakeSlack) -> None:
    body = fake.event_body(events.message("x", USER, CHANNEL, "1.1"), team_id="T0OTHER")
    assert body["type"] == "event_callback" and body["team_id"] == "T0OTHER"
    assert body["event_id"].startswith("Ev") and body["api_app_id"] == fake.app_id
    assert body["token"] == fake.workspace.verification_token
    assert isinstance(body["event_time"], int)


# --- waiting helpers -------------------------------------------------------------------------


def test_wait_for_returns_the_value_or_explains() -> None:
    assert wait_for(lambda: [1], timeout=1) == [1]
    with pytest.raises(WaitTimeout, match="the moon"):
        wait_for(lambda: None, timeout=0.05, message="the moon")


async def test_sync_wait_refuses_to_block_a_running_loop() -> None:
    with pytest.raises(RuntimeError, match="wait_for_async"):
        wait_for(lambda: True)
    assert await wait_for_async(lambda: 42) == 42
    slow = asyncio.get_running_loop().time() + 0.05
    assert await wait_for_async(lambda: asyncio.get_running_loop().time() > slow, timeout=2)


# --- OAuth: org-wide installs and token rotation ----------------------------------------------


async def test_an_org_wide_install_answers_as_slack_does(fake: FakeSlack) -> None:
    org = fake.add_org("E0ORG")
    oauth = AsyncWebClient(base_url=fake.api_url)
    answer = await oauth.oauth_v2_access(
        client_id=CLIENT_ID, client_secret=CLIENT_SECRET, code=fake.oauth.approve(org)
    )
    assert answer["team"] is None and answer["is_enterprise_install"] is True
    assert answer["enterprise"] == {"id": "E0ORG", "name": "Org E0ORG"}
    assert "refresh_token" not in answer.data  # rotation off: a long-lived token
    identity = await AsyncWebClient(base_url=fake.api_url, token=answer["access_token"]).auth_test()
    assert identity["is_enterprise_install"] is True and identity["enterprise_id"] == "E0ORG"
    # Events from one of its workspaces name the workspace and the org-wide installation.
    body = fake.event_body(events.app_uninstalled(), team_id="T0GRIDA", installation=org)
    assert (body["team_id"], body["enterprise_id"]) == ("T0GRIDA", "E0ORG")
    assert body["authorizations"][0] | {"user_id": None} == {
        "enterprise_id": "E0ORG",
        "team_id": None,
        "user_id": None,
        "is_bot": True,
        "is_enterprise_install": True,
    }


async def test_rotating_tokens_refresh_once_and_expire(fake: FakeSlack) -> None:
    fake.oauth.rotation = True
    oauth = AsyncWebClient(base_url=fake.api_url)
    creds = {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}
    first = await oauth.oauth_v2_access(**creds, code=fake.oauth.approve())
    assert first["access_token"].startswith("xoxe.xoxb-") and first["expires_in"] == 43200
    old = AsyncWebClient(base_url=fake.api_url, token=first["access_token"])
    assert (await old.auth_test())["ok"]

    second = await oauth.oauth_v2_access(
        **creds, grant_type="refresh_token", refresh_token=first["refresh_token"]
    )
    assert second["access_token"] != first["access_token"]
    assert second["refresh_token"] != first["refresh_token"]
    # A refresh token works once.
    reused = await error_of(
        oauth.oauth_v2_access(
            **creds, grant_type="refresh_token", refresh_token=first["refresh_token"]
        )
    )
    assert reused["error"] == "invalid_refresh_token"
    bogus = await error_of(
        oauth.oauth_v2_access(**creds, grant_type="refresh_token", refresh_token="xoxe-1-nope")
    )
    assert bogus["error"] == "invalid_refresh_token"
    assert fake.oauth.valid_refresh_tokens() == {second["refresh_token"]}
    # The old token works until it expires; then Slack says so. The new one outlives it.
    assert (await old.auth_test())["ok"]
    fake.oauth.advance(43200 + 1)
    assert (await error_of(old.auth_test()))["error"] == "token_expired"
    new = AsyncWebClient(base_url=fake.api_url, token=second["access_token"])
    assert (await error_of(new.auth_test()))["error"] == "token_expired"  # 12 h for it too
    third = await oauth.oauth_v2_access(
        **creds, grant_type="refresh_token", refresh_token=second["refresh_token"]
    )
    assert (await AsyncWebClient(base_url=fake.api_url, token=third["access_token"]).auth_test())[
        "ok"
    ]
