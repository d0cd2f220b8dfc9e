"""Block Kit messages for summaries and answers: shapes, limits, escaping, splitting."""

from __future__ import annotations

import re
from typing import Any

import pytest
from slack_sdk.models.blocks import Block

from bot.analysis.models import (
    Actor,
    Answer,
    AnswerResult,
    Bullet,
    Quote,
    Summary,
    SummaryResult,
)
from bot.analysis.offline import offline_actors, offline_answer, offline_summary
from bot.domain.article import Article
from bot.ingest.extract.plain_text import extract_text
from bot.slack.render import (
    NOT_SAID,
    UNSUPPORTED_WARNING,
    RenderedMessage,
    answer_message,
    answer_stream_tail,
    error_message,
    escape_markdown_stream,
    status_message,
    summary_message,
)
from bot.slack.render.limits import (
    CONTEXT_ELEMENTS,
    FALLBACK_TEXT_CHARS,
    HEADER_TEXT_CHARS,
    MESSAGE_BLOCKS,
    MESSAGE_TEXT_CHARS,
    SECTION_TEXT_CHARS,
)
from tests.shared_data import SAMPLE_ARTICLE

URL = "https://harbour.example.com/news/tidal-pilot"
ENTITY = re.compile(r"<([^<>]*)>")
BARE_PINGS = re.compile(r"@(channel|here|everyone)\b", re.IGNORECASE)
HOSTILE = "<!channel> <!here> <!everyone> <@U123> <#C123> <!subteam^S1> <https://evil.example|x>"


@pytest.fixture(scope="module")
def article() -> Article:
    return extract_text(SAMPLE_ARTICLE.read_text(encoding="utf-8"), kind="markdown", url=URL)


@pytest.fixture(scope="module")
def offline_result(article: Article) -> SummaryResult:
    return SummaryResult(
        summary=offline_summary(article), actors=offline_actors(article), engine="offline"
    )


def texts(value: Any) -> list[str]:
    """Every text string in a block structure."""
    if isinstance(value, dict):
        out = []
        for key, item in value.items():
            out += [item] if key == "text" and isinstance(item, str) else texts(item)
        return out
    if isinstance(value, list):
        return [t for item in value for t in texts(item)]
    return []


def section_texts(messages: list[RenderedMessage]) -> list[str]:
    return [b["text"]["text"] for m in messages for b in m.blocks if b["type"] == "section"]


def assert_valid(messages: list[RenderedMessage]) -> None:
    """Valid Block Kit within Slack's limits, with an escaped fallback text."""
    assert messages
    for message in messages:
        assert message.text and len(message.text) <= FALLBACK_TEXT_CHARS
        assert "<" not in ENTITY.sub("", message.text)
        assert 0 < len(message.blocks) <= MESSAGE_BLOCKS
        assert sum(len(t) for t in texts(message.blocks)) <= MESSAGE_TEXT_CHARS
        for block in message.blocks:
            parsed = Block.parse(block)
            assert parsed is not None
            parsed.validate_json()
            assert parsed.to_dict() == block
            if block["type"] == "section":
                assert block["text"]["type"] == "mrkdwn" and block["text"]["verbatim"] is True
                assert len(block["text"]["text"]) <= SECTION_TEXT_CHARS
            if block["type"] == "header":
                assert block["text"]["type"] == "plain_text"
                assert len(block["text"]["text"]) <= HEADER_TEXT_CHARS
            if block["type"] == "context":
                assert len(block["elements"]) <= CONTEXT_ELEMENTS


def assert_inert(messages: list[RenderedMessage], allowed: tuple[str, ...] = ()) -> None:
    """No ping and no link other than the allowed URLs anywhere in the messages."""
    for message in messages:
        for text in [message.text, *texts(message.blocks)]:
            assert not BARE_PINGS.search(text), text
            for target in ENTITY.findall(text):
                assert target.split("|")[0] in allowed, text
            assert "https://evil" not in text and "http://evil" not in text


def test_summary_of_the_sample_article(article: Article, offline_result: SummaryResult) -> None:
    messages = summary_message(article, offline_result)
    assert_valid(messages)
    assert_inert(messages, allowed=(URL,))
    assert len(messages) == 1
    blocks = messages[0].blocks
    assert blocks[0]["type"] == "header"
    assert blocks[0]["text"]["text"] == article.title
    meta = blocks[1]["elements"][0]["text"]
    assert f"<{URL}|harbour.example.com>" in meta
    assert "Harbour Gazette" in meta and "Marta Lindqvist" in meta
    assert f"{article.words:,} words" in meta and "read in full" in meta
    sections = section_texts(messages)
    assert sections[0].startswith("*TL;DR* ")
    bullets = next(s for s in sections if s.startswith("*Key points*"))
    for bullet in offline_result.summary.bullets:
        refs = ", ".join(f"¶{n}" for n in sorted(set(bullet.paragraphs)))
        assert f"({refs})" in bullets
    assert sections[1] == bullets
    assert sections[2].startswith("*Key actors*\n*")
    for actor in offline_result.actors:
        block = next(s for s in sections if f"*{actor.name}*" in s)
        for quote in actor.quotes:
            assert f"> “{quote.text}” ¶{quote.paragraph}" in block
    assert blocks[-1]["type"] == "context"
    assert "follow-up" in blocks[-1]["elements"][0]["text"]
    assert "Summary of" in messages[0].text


def test_partial_coverage_notice_and_notes(article: Article, offline_result: SummaryResult) -> None:
    result = offline_result.model_copy(
        update={"coverage": 0.62, "notice": "Offline mode: <!here> extractive result."}
    )
    messages = summary_message(
        article, result, read_note="You shared 3 links; I read the first.", extra_note="@channel"
    )
    assert_valid(messages)
    assert_inert(messages, allowed=(URL,))
    blocks = messages[0].blocks
    total = len(article.paragraphs)
    meta = blocks[1]["elements"][0]["text"]
    assert f"read 62% (paragraphs 1–{round(0.62 * total)} of {total})" in meta
    notes = [b["elements"][0]["text"] for b in blocks[2:5]]
    assert all(b["type"] == "context" for b in blocks[2:5])
    assert "Offline mode: &lt;!here&gt; extractive result." in notes[0]
    assert "You shared 3 links; I read the first." in notes[1]


def hostile_summary() -> tuple[Article, SummaryResult]:
    article = Article.build(
        ["Paragraph one <!channel>.", "Paragraph two."],
        title="<!channel> Big news @here " + "very long title " * 20,
        url=URL,
        author="<@U123>",
        site_name="<https://evil.example|Gazette>",
        published="@everyone",
    )
    result = SummaryResult(
        summary=Summary(
            tldr=f"Click [here]({URL}) or [there](https://evil.example/p) {HOSTILE} @here",
            bullets=[Bullet(text=f"**Bold** {HOSTILE} www.evil.example", paragraphs=[2, 1, 2])],
        ),
        actors=[
            Actor(
                name="<@U999> *Mallory*",
                kind="person",
                role="<!everyone> boss",
                did="visit https://evil.example/x @channel",
                quotes=[Quote(text=f"{HOSTILE} see https://evil.example", paragraph=1)],
            )
        ],
        engine="llm",
        notice="<!here> notice",
    )
    return article, result


def test_hostile_summary_is_inert() -> None:
    article, result = hostile_summary()
    messages = summary_message(article, result, extra_note="<!channel>")
    assert_valid(messages)
    assert_inert(messages, allowed=(URL,))
    blocks = messages[0].blocks
    assert blocks[0]["text"]["text"].startswith("&lt;!channel&gt; Big news @\u2060here")
    sections = section_texts(messages)
    assert f"<{URL}|here>" in sections[0]
    assert "there (hxxps://evil[.]example/p)" in sections[0]
    assert "*Bold* &lt;!channel&gt;" in sections[1] and "(¶1, ¶2)" in sections[1]
    actor = sections[2]
    assert actor.startswith(
        "*Key actors*\n*&lt;@U999&gt; Mallory* · person — &lt;!everyone&gt; boss"
    )
    assert "> “&lt;!channel&gt; &lt;!here&gt;" in actor


def test_huge_summary_is_split_without_cutting_items(article: Article) -> None:
    bullets = [
        Bullet(text=f"Point {n}: " + "the turbines and the crab grounds " * 9, paragraphs=[n])
        for n in range(1, 81)
    ]
    actors = [
        Actor(
            name=f"Person {n}",
            kind="person",
            role="councillor",
            did="argued about the pilot " * 5,
            quotes=[
                Quote(text=f"Quote {n}.{q} " + "we fish until told " * 10, paragraph=q)
                for q in (1, 2, 3)
            ],
        )
        for n in range(70)
    ]
    result = SummaryResult(
        summary=Summary(tldr="A long one.", bullets=bullets), actors=actors, engine="llm"
    )
    messages = summary_message(article, result)
    assert len(messages) > 1
    assert_valid(messages)
    assert_inert(messages, allowed=(URL,))
    assert "(part 2 of" in messages[1].text
    lines = [line for s in section_texts(messages) for line in s.split("\n")]
    for bullet in bullets:
        expected = f"• {' '.join(bullet.text.split())} (¶{bullet.paragraphs[0]})"
        assert lines.count(expected) == 1
    for actor in actors:
        assert lines.count(f"*{actor.name}* · person — councillor") == 1
        for quote in actor.quotes:
            assert lines.count(f"> “{' '.join(quote.text.split())}” ¶{quote.paragraph}") == 1
    assert messages[-1].blocks[-1]["type"] == "context"


def answer(text: str, **kwargs: Any) -> AnswerResult:
    fields = {"answerable": True, "supported": True, "quotes": []} | kwargs
    return AnswerResult(answer=Answer(answer=text, **fields), engine="llm")


def test_answer_from_the_offline_engine(article: Article) -> None:
    result = AnswerResult(
        answer=offline_answer(article, "How many turbines will the pilot place?"),
        engine="offline",
        notice="Offline mode.",
    )
    messages = answer_message(result, allowed_links=[URL])
    assert_valid(messages)
    assert_inert(messages, allowed=(URL,))
    sections = section_texts(messages)
    assert result.answer.quotes
    quotes = sections[-1].split("\n")
    assert quotes == [f"> “{q.text}” ¶{q.paragraph}" for q in result.answer.quotes]
    assert UNSUPPORTED_WARNING not in " ".join(sections)
    assert messages[0].blocks[-1] == {
        "type": "context",
        "elements": [{"type": "mrkdwn", "text": "ℹ️ Offline mode.", "verbatim": True}],
    }


def test_answer_markdown_is_converted_and_links_checked() -> None:
    result = answer(
        f"**Yes.** See [the article]({URL}) and [this](https://evil.example). {HOSTILE}",
        quotes=[Quote(text="Six turbines <!here>", paragraph=2)],
    )
    messages = answer_message(result, allowed_links=[URL])
    assert_valid(messages)
    assert_inert(messages, allowed=(URL,))
    first = section_texts(messages)[0]
    assert first.startswith(f"*Yes.* See <{URL}|the article> and this (hxxps://evil[.]example).")


def test_unsupported_answer_carries_a_visible_warning() -> None:
    messages = answer_message(answer("The mayor resigned.", supported=False))
    assert_valid(messages)
    sections = section_texts(messages)
    assert sections[0] == f"⚠️ *{UNSUPPORTED_WARNING}*"
    assert sections[1] == "The mayor resigned."


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", [f"*{NOT_SAID}*"]),
        (NOT_SAID, [NOT_SAID]),
        ("The article does not mention the cost.", ["The article does not mention the cost."]),
        ("Only the vote count is given.", [f"*{NOT_SAID}*", "Only the vote count is given."]),
    ],
)
def test_not_answerable_is_stated_plainly(text: str, expected: list[str]) -> None:
    messages = answer_message(answer(text, answerable=False, supported=False))
    assert_valid(messages)
    sections = section_texts(messages)
    assert sections == expected
    assert UNSUPPORTED_WARNING not in " ".join(sections)
    assert messages[0].text.startswith(("The article does", NOT_SAID))


def test_huge_answer_is_split_and_reassembles() -> None:
    paragraphs = [" ".join(f"Sentence {p}.{n} about tides." for n in range(30)) for p in range(40)]
    quotes = [Quote(text=f"Quote number {n} " + "word " * 30, paragraph=n) for n in range(1, 60)]
    result = answer("\n\n".join(paragraphs), quotes=quotes)
    messages = answer_message(result)
    assert_valid(messages)
    sections = section_texts(messages)
    body = [s for s in sections if s.startswith("Sentence")]
    assert " ".join(body).split() == "\n\n".join(paragraphs).split()
    quote_lines = [line for s in sections for line in s.split("\n") if line.startswith("> ")]
    assert quote_lines == [f"> “{' '.join(q.text.split())}” ¶{q.paragraph}" for q in quotes]


def test_stream_tail_is_standard_markdown() -> None:
    result = AnswerResult(
        answer=Answer(
            answer="Six turbines.",
            answerable=True,
            supported=False,
            quotes=[
                Quote(
                    text="six underwater turbines [click](https://evil.example) <!here>",
                    paragraph=2,
                ),
                Quote(text="up to 12 megawatts", paragraph=2),
            ],
        ),
        engine="llm",
        notice="The model failed, so <@U1> this is *offline*.",
    )
    tail = answer_stream_tail(result)
    parts = tail.split("\n\n")
    assert parts[0] == ""
    assert parts[1] == f"⚠️ **{UNSUPPORTED_WARNING}**"
    assert parts[2] == (
        r"> “six underwater turbines \[click\](hxxps://evil\[.\]example) &lt;!here&gt;” ¶2"
    )
    assert parts[3] == "> “up to 12 megawatts” ¶2"
    assert parts[4] == r"ℹ️ _The model failed, so &lt;@U1&gt; this is \*offline\*._"


def test_stream_tail_for_unanswerable_and_plain_answers() -> None:
    assert answer_stream_tail(answer("Yes.")) == ""
    unanswerable = answer("Only the vote count.", answerable=False, supported=False)
    assert answer_stream_tail(unanswerable) == f"\n\n**{NOT_SAID}**"
    said = answer("The article doesn't say.", answerable=False, supported=False)
    assert answer_stream_tail(said) == ""


def test_escape_markdown_stream_is_exported_for_deltas() -> None:
    assert escape_markdown_stream("a <!here> & @channel") == "a &lt;!here&gt; &amp; @\u2060channel"


def test_status_and_error_messages() -> None:
    status = status_message("Reading https://evil.example/a <!channel>…")
    assert_valid([status])
    assert_inert([status])
    assert status.blocks[0]["type"] == "context"
    error = error_message("Could not fetch <@U1>'s link.", hint="You can paste the article text.")
    assert_valid([error])
    assert [b["type"] for b in error.blocks] == ["section", "context"]
    assert error.blocks[0]["text"]["text"] == "⚠️ Could not fetch &lt;@U1&gt;'s link."
    assert error.text == "Could not fetch &lt;@U1&gt;'s link."
    long_error = error_message("x " * 5000)
    assert_valid([long_error])
