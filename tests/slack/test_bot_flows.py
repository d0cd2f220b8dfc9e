"""The Slack bot end to end, in Socket Mode and HTTP mode: what a user sees in the thread."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.fakes.openai_server import Reply
from tests.fakes.slack import events
from tests.slack.harness import CHANNEL, BotHarness, is_summary, running_bot, shown

FABRICATED = "The harbour will be sold to a private equity fund next winter"


@pytest.fixture(params=["socket", "http"])
async def harness(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[BotHarness]:
    async with running_bot(tmp_path, request.param) as h:
        yield h


async def summarised(h: BotHarness, path: str = "/tidal") -> str:
    """Mention the bot with a link and wait for the summary; returns the thread ts."""
    message, _ = await h.mention(f"<{h.web.url(path)}>")
    await h.wait_replies(message.ts, lambda rs: any(is_summary(r) for r in rs))
    return message.ts


async def test_mention_with_link_gets_a_threaded_summary(harness: BotHarness) -> None:
    h = harness
    message, _ = await h.mention(f"have a look <{h.web.url('/tidal')}|tidal pilot>")
    [reply] = await h.wait_replies(message.ts, lambda rs: any(is_summary(r) for r in rs))
    assert reply.thread_ts == message.ts
    text = shown(reply)
    assert "Port Ellery council approves tidal energy pilot" in text
    assert "Key actors" in text and "(¶" in text and "read in full" in text
    assert "Reply in this thread" in text or "follow-up" in text.lower()
    # Progress was visible before any model call: reaction and placeholder come first.
    first_llm = min(r.at for r in h.llm.chat_requests)
    first_sign = min(c.at for c in h.slack.calls_to("reactions.add"))
    placeholder = h.slack.calls_to("chat.postMessage")[0]
    assert first_sign < first_llm and placeholder.at < first_llm
    assert "Reading" in placeholder.params.get("text", "")
    await h.wait_idle()
    assert h.slack.reactions(CHANNEL, message.ts) == [], "the working reaction is removed"
    assert h.slack.link_names_calls == []


async def test_follow_up_in_thread_gets_a_streamed_grounded_answer(harness: BotHarness) -> None:
    h = harness
    thread = await summarised(h)
    await h.say("How many permanent jobs will the project bring?", thread_ts=thread)
    replies = await h.wait_replies(thread, lambda rs: len(rs) == 2 and "¶" in shown(rs[-1]))
    answer = replies[-1]
    assert "40 permanent jobs" in shown(answer)
    assert h.slack.calls_to("chat.startStream") and h.slack.calls_to("chat.stopStream")
    start = h.slack.calls_to("chat.startStream")[0].params
    assert start["recipient_user_id"] == events.USER_ID and start["recipient_team_id"]
    assert start["thread_ts"] == thread
    await h.wait_idle()
    # The turn is remembered: the next question carries it as context.
    await h.say("And what did Keane say about it?", thread_ts=thread)
    await h.wait_replies(thread, lambda rs: len(rs) == 3)
    await h.wait_idle()
    prompt = h.llm.chat_requests[-1].json["messages"][-1]["content"]
    assert "How many permanent jobs" in prompt


async def test_retries_and_double_delivery_produce_one_reply(harness: BotHarness) -> None:
    h = harness
    message, event = await h.mention(f"<{h.web.url('/tidal')}>")
    body_id = "EvDUPLICATE1"
    await h.deliver(event, event_id=body_id)
    await h.deliver(event, event_id=body_id, retry=1)
    # The same mention also arrives as a `message` event (channel history subscription).
    as_message = dict(event, type="message", channel_type="channel")
    await h.deliver(as_message)
    await h.wait_replies(message.ts, lambda rs: any(is_summary(r) for r in rs))
    await h.wait_idle()
    assert len(h.replies(message.ts)) == 1
    assert len([r for r in h.llm.chat_requests if r.task == "summary"]) == 1


async def test_restart_between_mention_and_follow_up(harness: BotHarness) -> None:
    h = harness
    thread = await summarised(h)
    await h.restart()
    await h.say("Who is Rafael Duarte?", thread_ts=thread)
    replies = await h.wait_replies(thread, lambda rs: len(rs) == 2 and "¶" in shown(rs[-1]))
    assert "Duarte" in shown(replies[-1])


async def test_model_output_never_pings(harness: BotHarness) -> None:
    h = harness
    h.llm.script_for(
        "summary",
        Reply(
            content={
                "tldr": "Council news <!channel> and <@U0BOSS> please read <!here|here>",
                "bullets": [{"text": "Ping <!everyone> now @channel", "paragraphs": [2]}],
            }
        ),
    )
    thread = await summarised(h)
    h.llm.script_for(
        "answer",
        Reply(
            content={
                "quotes": [],
                "answerable": False,
                "answer": "The article doesn't say. <!channel> <@U0BOSS> <!subteam^S1>",
            }
        ),
    )
    await h.say("Does the article mention the budget?", thread_ts=thread)
    await h.wait_replies(thread, lambda rs: len(rs) == 2)
    await h.wait_idle()
    everything = "\n".join(h.slack.all_texts())
    for ping in ("<!channel>", "<@U0BOSS>", "<!here", "<!everyone>", "<!subteam"):
        assert ping not in everything
    assert "&lt;!channel&gt;" in everything
    assert h.slack.link_names_calls == []


async def test_fabricated_quote_is_never_shown_even_mid_stream(harness: BotHarness) -> None:
    h = harness
    thread = await summarised(h)
    h.llm.script_for(
        "answer",
        Reply(
            content={
                "quotes": [{"text": FABRICATED, "paragraph": 3}],
                "answerable": True,
                "answer": f'Okafor said "{FABRICATED}" at the meeting.',
            }
        ),
    )
    await h.say("What did Okafor say about the harbour?", thread_ts=thread)
    await h.wait_replies(thread, lambda rs: len(rs) == 2)
    await h.wait_idle()
    assert not any(FABRICATED.lower() in t.lower() for t in h.slack.all_texts())
    assert "not found in the article" in shown(h.replies(thread)[-1])


async def test_llm_failure_gives_offline_result_with_a_note(harness: BotHarness) -> None:
    h = harness
    h.llm.script_for("summary", *[Reply(status=500)] * 4)
    h.llm.script_for("actors", *[Reply(status=500)] * 4)
    thread = await summarised(h)
    text = shown(h.replies(thread)[0])
    assert "language model failed" in text and "offline" in text
    assert "Key actors" in text


async def test_bad_links_get_a_clear_message_with_a_paste_hint(harness: BotHarness) -> None:
    h = harness
    for link, words in [
        ("http://10.1.2.3/secret", "not allowed"),
        (h.web.url("/paywall"), "paywall"),
        (h.web.url("/status/404"), "404"),
    ]:
        message, _ = await h.mention(f"<{link}>")
        [reply] = await h.wait_replies(
            message.ts, lambda rs: bool(rs) and "Reading" not in shown(rs[0])
        )
        assert words in shown(reply).lower() and "paste" in shown(reply).lower()


async def test_edits_deletes_and_bot_messages_are_ignored(harness: BotHarness) -> None:
    h = harness
    thread = await summarised(h)
    await h.wait_idle()
    before = len(h.slack.calls)
    original, _ = await h.say("What is the Ellery Narrows?", thread_ts=thread)
    await h.wait_replies(thread, lambda rs: len(rs) == 2)
    await h.wait_idle()
    edited = "What is the Ellery Narrows exactly?"
    noise = [
        events.message_changed(CHANNEL, original.ts, edited, original.text, events.USER_ID,
                               thread_ts=thread),
        events.message_deleted(CHANNEL, original.ts, original.text, events.USER_ID,
                               thread_ts=thread),
        events.bot_message("Automated notice in thread", CHANNEL, "1700000099.000100",
                           thread_ts=thread),
        events.bot_user_message("Another bot asks a question?", CHANNEL, "1700000099.000200",
                                thread_ts=thread),
        {"type": "reaction_added", "user": events.USER_ID, "reaction": "thumbsup",
         "item": {"type": "message", "channel": CHANNEL, "ts": thread}, "event_ts": "1.2"},
    ]  # fmt: skip
    noise_started = time.monotonic()
    for event in noise:
        assert await h.deliver(event) == 200
    await h.wait_idle()
    assert len(h.replies(thread)) == 2
    after_noise = [c for c in h.slack.calls[before:] if c.at > noise_started]
    assert not [c for c in after_noise if c.method.startswith(("chat.", "reactions."))]


async def test_people_talking_to_each_other_in_the_thread_are_left_alone(
    harness: BotHarness,
) -> None:
    h = harness
    thread = await summarised(h)
    await h.wait_idle()
    await h.say("<@U0ALICE> what do you make of this?", thread_ts=thread)
    await h.wait_idle()
    assert len(h.replies(thread)) == 1


async def test_new_link_in_thread_switches_article(harness: BotHarness) -> None:
    h = harness
    thread = await summarised(h)
    await h.say(f"<{h.web.url('/article')}>", thread_ts=thread)
    replies = await h.wait_replies(thread, lambda rs: sum(map(is_summary, rs)) == 2)
    assert "now follows the new article" in shown(replies[-1])
    await h.wait_idle()
    await h.say("When did the library reopen?", thread_ts=thread)
    replies = await h.wait_replies(thread, lambda rs: len(rs) == 3)
    await h.wait_idle()
    prompt = h.llm.chat_requests[-1].json["messages"][-1]["content"]
    assert "library" in prompt.lower() and "Port Ellery" not in prompt


async def test_several_links_reads_the_first_and_says_so(harness: BotHarness) -> None:
    h = harness
    first, second = h.web.url("/status/404"), h.web.url("/tidal")
    message, _ = await h.mention(f"<{first}> <{second}> <{h.web.url('/article')}>")
    [reply] = await h.wait_replies(message.ts, lambda rs: any(is_summary(r) for r in rs))
    text = shown(reply)
    assert "You shared 3 links" in text and "couldn't read" in text
    assert "Port Ellery" in text


async def test_empty_mention_gets_help(harness: BotHarness) -> None:
    h = harness
    message, _ = await h.mention("")
    [reply] = await h.wait_replies(message.ts, lambda rs: bool(rs))
    assert "link" in shown(reply) and "paste" in shown(reply)


async def test_direct_message_needs_no_mention(harness: BotHarness) -> None:
    h = harness
    channel = "D0DIRECT"
    message, _ = await h.say(f"<{h.web.url('/tidal')}>", channel=channel)
    await h.wait_replies(message.ts, lambda rs: any(map(is_summary, rs)), channel=channel)
    await h.say("Who chairs the fishermen's association?", channel=channel, thread_ts=message.ts)
    replies = await h.wait_replies(
        message.ts, lambda rs: len(rs) == 2 and "¶" in shown(rs[-1]), channel=channel
    )
    assert "Keane" in shown(replies[-1])


async def test_attached_text_file_is_summarised(harness: BotHarness) -> None:
    h = harness
    from tests.shared_data import SAMPLE_ARTICLE

    file = h.slack.add_file(SAMPLE_ARTICLE.read_bytes(), "tidal-pilot.md", "text/markdown")
    message, _ = await h.mention("summarise this", files=[file])
    [reply] = await h.wait_replies(message.ts, lambda rs: any(map(is_summary, rs)))
    assert "Port Ellery" in shown(reply)
    assert h.slack.downloads and h.slack.downloads[-1].authorized


async def test_unsupported_file_is_explained(harness: BotHarness) -> None:
    h = harness
    file = h.slack.add_file(b"\x89PNG\r\n\x1a\n" + b"\0" * 64, "photo.png", "image/png")
    message, _ = await h.mention("", files=[file])
    [reply] = await h.wait_replies(
        message.ts, lambda rs: bool(rs) and "Reading" not in shown(rs[0])
    )
    assert "photo.png" in shown(reply) and "paste" in shown(reply).lower()


@pytest.mark.parametrize(
    ("path", "expect"),
    [
        ("/huge", "larger than"),  # a 50 MB page: refused at the size cap
        ("/binary", "binary file"),  # not something we can read
        ("/js-only", "javascript"),
        ("/login", "log in"),
    ],
)
async def test_unreadable_pages_get_a_clear_reply(tmp_path: Path, path: str, expect: str) -> None:
    async with running_bot(tmp_path) as h:
        message, _ = await h.mention(f"<{h.web.url(path)}>")
        [reply] = await h.wait_replies(
            message.ts, lambda rs: bool(rs) and "Reading" not in shown(rs[0])
        )
        assert expect in shown(reply).lower()
        await h.wait_idle()
        job_states = {j.status for j in await h.bot.ctx.store.unfinished_jobs()}
        assert job_states == set(), "the request is finished (failed), not left hanging"


@pytest.mark.parametrize("path", ["/pdf", "/article-fr"])
async def test_pdf_and_non_english_articles_are_summarised(tmp_path: Path, path: str) -> None:
    async with running_bot(tmp_path) as h:
        message, _ = await h.mention(f"<{h.web.url(path)}>")
        [reply] = await h.wait_replies(message.ts, lambda rs: any(map(is_summary, rs)))
        assert "Key points" in shown(reply)


async def test_long_pasted_article_is_read_and_answered(tmp_path: Path) -> None:
    from tests.shared_data import SAMPLE_ARTICLE

    pasted = "\n\n".join([SAMPLE_ARTICLE.read_text()] * 8)  # ~5,000 words, a big paste
    async with running_bot(tmp_path, llm_context_window=4096, llm_output_reserve=512) as h:
        message, _ = await h.mention(pasted)
        [reply] = await h.wait_replies(message.ts, lambda rs: any(map(is_summary, rs)))
        assert "read in" in shown(reply) or "parts" in shown(reply)
        tasks = {r.task for r in h.llm.chat_requests}
        assert "chunk_notes" in tasks, "too long for one prompt: read in parts"
