"""Streamed answers: links and pings are neutralised however the text is split into deltas."""

from __future__ import annotations

import random

import pytest

from bot.slack.render.stream import StreamLinkGuard

ALLOWED = "https://news.example/story"
HOSTILE = (
    "Read [the full report](https://evil.example/steal?x=1) now, or visit www.attacker.io "
    f"and https://evil.example/a.b. The source is {ALLOWED} itself. <!channel> @here "
    "**Bold** stays bold.\n\nNew paragraph: http://other.example"
)


def streamed(text: str, seed: int) -> str:
    guard, rng, out, i = StreamLinkGuard([ALLOWED]), random.Random(seed), [], 0
    while i < len(text):
        size = rng.randint(1, 9)
        out.append(guard.feed(text[i : i + size]))
        i += size
    out.append(guard.finish())
    return "".join(out)


@pytest.mark.parametrize("seed", range(40))
def test_any_split_gives_the_same_safe_text(seed: int) -> None:
    whole = StreamLinkGuard([ALLOWED])
    expected = whole.feed(HOSTILE) + whole.finish()
    assert streamed(HOSTILE, seed) == expected


def test_planted_links_are_defanged_and_the_article_link_kept() -> None:
    guard = StreamLinkGuard([ALLOWED])
    out = guard.feed(HOSTILE) + guard.finish()
    for planted in ("https://evil.example", "www.attacker.io", "http://other.example"):
        assert planted not in out
    assert "hxxps://evil\\[.]example" in out and ALLOWED in out
    assert "](" not in out.replace("\\[", "") or "\\[the full report]" in out
    assert "<!channel>" not in out and "&lt;!channel&gt;" in out
    assert "@here" not in out and "**Bold**" in out


def test_nothing_is_held_back_after_a_word_ends() -> None:
    guard = StreamLinkGuard()
    assert guard.feed("The council voted ") == "The council voted "
    assert guard.feed("7") == ""
    assert guard.feed(" to 2.") == "7 to "
    assert guard.finish() == "2."
