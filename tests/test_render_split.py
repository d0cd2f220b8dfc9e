"""Splitting rendered text and Block Kit payloads within Slack's limits."""

from __future__ import annotations

import random
import re

import pytest
from slack_sdk.models.blocks import Block

from bot.slack.render.limits import (
    CONTEXT_ELEMENTS,
    HEADER_TEXT_CHARS,
    MARKDOWN_TEXT_CHARS,
    MESSAGE_BLOCKS,
    SECTION_TEXT_CHARS,
)
from bot.slack.render.split import (
    MIN_LIMIT,
    block_chars,
    hard_cut,
    pack_blocks,
    split_text,
    truncate_text,
)

SENTENCE = "The council voted {n} to 2 on Tuesday &amp; the harbour waited."


def words(text: str) -> list[str]:
    """Word sequence without the markup a split may add (`>` prefixes, code fences)."""
    return [w for w in text.split() if w not in {">", "```"}]


def assert_lossless(text: str, chunks: list[str], limit: int) -> None:
    assert all(0 < len(c) <= limit for c in chunks)
    assert [w for c in chunks for w in words(c)] == words(text)


def test_short_text_is_one_chunk_and_blank_is_none() -> None:
    assert split_text("hello\n\nworld\n", 100) == ["hello\n\nworld"]
    assert split_text(" \n\n ", 100) == []


def test_leading_blank_lines_are_kept_for_appended_tails() -> None:
    assert split_text("\n\n> quote", 100) == ["\n\n> quote"]
    chunks = split_text("\n\n" + "word " * 100, 100)
    assert chunks[0].startswith("\n\nword") and len(chunks[0]) <= 100


def test_limit_below_minimum_is_refused() -> None:
    with pytest.raises(ValueError):
        split_text("x" * 100, MIN_LIMIT - 1)


def test_paragraph_boundaries_are_preferred() -> None:
    paragraphs = [" ".join(SENTENCE.format(n=n) for n in range(i, i + 4)) for i in range(12)]
    text = "\n\n".join(paragraphs)
    chunks = split_text(text, 1000)
    assert_lossless(text, chunks, 1000)
    assert len(chunks) > 1
    for chunk in chunks:
        assert all(p in paragraphs for p in chunk.split("\n\n"))


def test_lines_then_sentences() -> None:
    long_line = " ".join(SENTENCE.format(n=n) for n in range(60))
    text = "Intro line.\n" + long_line + "\nLast line."
    chunks = split_text(text, 500)
    assert_lossless(text, chunks, 500)
    assert chunks[0] == "Intro line."
    # Inside the long line every cut falls after a full stop.
    assert all(c.endswith(".") for c in chunks)


def test_list_items_and_quotes_are_never_cut() -> None:
    items = [f"• Point {n}: " + SENTENCE.format(n=n) + f" (¶{n})" for n in range(40)]
    quotes = [f"> “Quote {n} with <https://a.example/{n}|a link>.” ¶{n}" for n in range(40)]
    nested = [f"    ◦ nested {n} " + SENTENCE.format(n=n) for n in range(10)]
    text = "*Key points*\n" + "\n".join(items + nested) + "\n\n" + "\n".join(quotes)
    chunks = split_text(text, 700)
    assert_lossless(text, chunks, 700)
    for line in items + quotes + nested:
        assert sum(line in c.split("\n") for c in chunks) == 1, line


def test_list_item_continuation_lines_stay_with_their_item() -> None:
    item = "• Item with a second line\n  that continues it"
    text = "\n".join(["intro " * 10] + [item] * 12)
    chunks = split_text(text, 120)
    assert_lossless(text, chunks, 120)
    for chunk in chunks:
        assert not chunk.startswith("  that")


def test_an_oversized_quote_is_cut_at_sentences_and_keeps_its_marker() -> None:
    quote = "> “" + " ".join(SENTENCE.format(n=n) for n in range(50)) + "” ¶4"
    chunks = split_text(quote, 400)
    assert_lossless(quote, chunks, 400)
    assert len(chunks) > 3
    assert all(c.startswith("> ") for c in chunks)
    assert all(c.endswith(".") for c in chunks[:-1])


def test_slack_entities_are_atomic() -> None:
    link = "<https://news.example.com/a|the full article text>"
    text = " ".join([link] * 30)
    chunks = split_text(text, 150)
    assert_lossless(text, chunks, 150)
    assert all(c.count("<") == c.count(">") for c in chunks)
    for chunk in chunks:
        assert all(part == link for part in re.findall(r"<[^>]*>", chunk))


@pytest.mark.parametrize("size", range(95, 110))
def test_hard_cut_never_splits_an_entity(size: int) -> None:
    word = "x" * 100 + "&amp;" + "y" * 100 + "&lt;" + "z" * 50
    parts = hard_cut(word, size)
    assert "".join(parts) == word
    assert all(len(p) <= size for p in parts)
    for part in parts:
        assert not re.search(r"&[a-z]*$", part)
        assert not re.match(r"^[a-z]*;", part)


def test_a_giant_word_is_cut_as_a_last_resort() -> None:
    text = "Before. " + "https://x.example/" + "a" * 500 + " after"
    chunks = split_text(text, 100)
    assert all(len(c) <= 100 for c in chunks)
    assert "".join(c.replace(" ", "") for c in chunks) == text.replace(" ", "")


def test_code_blocks_are_closed_and_reopened() -> None:
    code = "```\n" + "\n".join(f"line {n} = value" for n in range(80)) + "\n```"
    text = "Here is code:\n" + code + "\nDone."
    chunks = split_text(text, 300)
    assert_lossless(text, chunks, 300)
    for chunk in chunks:
        fences = [line for line in chunk.split("\n") if line.startswith("```")]
        assert len(fences) % 2 == 0, chunk
    body = [line for c in chunks for line in c.split("\n") if line.startswith("line ")]
    assert body == [f"line {n} = value" for n in range(80)]
    assert chunks[0] == "Here is code:"


def test_truncate_text_respects_words_and_entities() -> None:
    text = "Tidal &amp; wave power in the Narrows " * 10
    short = truncate_text(text, 50)
    assert len(short) <= 50 and short.endswith("…")
    assert text.startswith(short[:-1])
    assert not re.search(r"&[a-z]*…$", short)
    assert truncate_text("short", 50) == "short"


def _section(text: str) -> dict:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text, "verbatim": True}}


def assert_valid(message: list[dict]) -> None:
    assert 0 < len(message) <= MESSAGE_BLOCKS
    for block in message:
        parsed = Block.parse(block)
        assert parsed is not None
        parsed.validate_json()
        assert parsed.to_dict() == block


def test_pack_blocks_respects_block_count() -> None:
    blocks = [_section(f"Block {n}") for n in range(120)]
    messages = pack_blocks(blocks)
    assert [len(m) for m in messages] == [50, 50, 20]
    assert [b for m in messages for b in m] == blocks
    for message in messages:
        assert_valid(message)


def test_pack_blocks_splits_long_sections_without_losing_text() -> None:
    text = "\n".join("• " + SENTENCE.format(n=n) for n in range(200))
    messages = pack_blocks([_section(text)])
    sections = [b for m in messages for b in m]
    assert len(sections) > 1
    for message in messages:
        assert_valid(message)
    assert all(len(b["text"]["text"]) <= SECTION_TEXT_CHARS for b in sections)
    assert "\n".join(b["text"]["text"] for b in sections) == text


def test_pack_blocks_total_size_and_markdown_budget() -> None:
    sections = [_section("x " * 1400) for _ in range(40)]
    messages = pack_blocks(sections, max_chars=10_000)
    assert all(sum(map(block_chars, m)) <= 10_000 for m in messages)
    markdown = [{"type": "markdown", "text": "word " * 1000} for _ in range(6)]
    md_messages = pack_blocks(markdown)
    assert all(sum(len(b["text"]) for b in m) <= MARKDOWN_TEXT_CHARS for m in md_messages)
    assert len(md_messages) == 3


def test_pack_blocks_fits_headers_contexts_and_markdown() -> None:
    header = {"type": "header", "text": {"type": "plain_text", "text": "T " * 200, "emoji": True}}
    ctx = {
        "type": "context",
        "elements": [{"type": "mrkdwn", "text": f"e{n}", "verbatim": True} for n in range(23)],
    }
    big_md = {"type": "markdown", "text": "word " * 5000}
    messages = pack_blocks([header, ctx, big_md])
    flat = [b for m in messages for b in m]
    assert len(flat[0]["text"]["text"]) <= HEADER_TEXT_CHARS
    contexts = [b for b in flat if b["type"] == "context"]
    assert [len(c["elements"]) for c in contexts] == [CONTEXT_ELEMENTS, CONTEXT_ELEMENTS, 3]
    markdowns = [b for b in flat if b["type"] == "markdown"]
    assert all(len(b["text"]) <= MARKDOWN_TEXT_CHARS for b in markdowns)
    assert " ".join(b["text"] for b in markdowns).split() == big_md["text"].split()
    for message in messages:
        for block in message:
            if block["type"] != "markdown":  # slack_sdk validates markdown blocks differently
                Block.parse(block).validate_json()


def test_a_header_is_never_the_last_block_of_a_message() -> None:
    header = {"type": "header", "text": {"type": "plain_text", "text": "Key actors", "emoji": True}}
    blocks = [_section(f"b{n}") for n in range(49)] + [header, _section("after")]
    messages = pack_blocks(blocks)
    assert messages[0][-1]["type"] == "section"
    assert messages[1][0] == header


def _random_mrkdwn(rng: random.Random) -> str:
    vocabulary = ["tide", "&amp;", "turbine.", "<https://a.example/x|the link>", "crab,", "1–2"]
    lines: list[str] = []
    for _ in range(rng.randint(5, 60)):
        kind = rng.choice(["text", "bullet", "nested", "quote", "blank", "code"])
        body = " ".join(rng.choice(vocabulary) for _ in range(rng.randint(1, 80)))
        if kind == "code":
            lines += ["```", *(f"x{n} = {n}" for n in range(rng.randint(1, 30))), "```"]
        else:
            prefix = {"text": "", "bullet": "• ", "nested": "    ◦ ", "quote": "> ", "blank": ""}
            lines.append("" if kind == "blank" else prefix[kind] + body)
    return "\n".join(lines)


@pytest.mark.parametrize("seed", range(60))
def test_random_documents_split_losslessly(seed: int) -> None:
    rng = random.Random(seed)
    text = _random_mrkdwn(rng).strip()
    limit = rng.choice([MIN_LIMIT, 80, 200, 500, 3000])
    chunks = split_text(text, limit)
    assert_lossless(text, chunks, limit)
    for chunk in chunks:
        assert not re.search(r"&[a-z]*$", chunk) and not re.match(r"^[a-z]*;", chunk)
        fences = [line for line in chunk.split("\n") if line.startswith("```")]
        assert len(fences) % 2 == 0
    # Lines that fit are never cut.
    for line in text.split("\n"):
        if line.strip() and len(line) <= limit:
            assert any(line in chunk.split("\n") for chunk in chunks), line
