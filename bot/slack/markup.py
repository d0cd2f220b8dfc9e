"""What a message asks us to read: links, pasted text, and the user's own note.

Slack sends message text in its own markup: links as `<https://x|label>` or `<https://x>`,
mentions as `<@U123>`, broadcasts as `<!here>`, channels as `<#C1|name>`, and `&`, `<`, `>`
escaped as entities. The CLI and pasted text may carry bare URLs. This module turns either into
a `ParsedMessage`; it never fetches anything.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

from bot.domain.article import count_words

# <...> Slack tokens: links, mentions, channels, broadcasts, user groups.
_SLACK_TOKEN = re.compile(r"<([^<>\s|]+)(?:\|([^<>]*))?>")
# Bare http(s) URLs; trailing punctuation is trimmed afterwards.
_BARE_URL = re.compile(r"https?://[^\s<>\"']+", re.IGNORECASE)
_TRAILING = ".,;:!?)]}'\"”’»"
_QUOTE_PREFIX = re.compile(r"^(?:>|&gt;)\s?", re.MULTILINE)


@dataclass(frozen=True)
class ParsedMessage:
    """The links in a message, any pasted article text, and the remaining note."""

    urls: list[str] = field(default_factory=list)
    # Text long enough to be the article itself (links and mentions removed), else None.
    pasted_text: str | None = None
    # What the user wrote besides links: a request ("summarise in French") or a question.
    note: str = ""

    @property
    def has_article(self) -> bool:
        return bool(self.urls) or self.pasted_text is not None


def _trim_url(url: str) -> str:
    while url and url[-1] in _TRAILING:
        # Keep a closing paren that balances one inside the URL (Wikipedia-style links).
        if url[-1] == ")" and url.count("(") >= url.count(")"):
            break
        url = url[:-1]
    return url


def _replace_token(match: re.Match[str], urls: list[str]) -> str:
    target, label = match.group(1), match.group(2)
    if target.startswith(("@", "!", "#")):
        # Mentions and broadcasts vanish; a channel reference keeps its readable name.
        return f"#{label}" if target.startswith("#") and label else ""
    if re.match(r"https?://", target, re.IGNORECASE):
        urls.append(html.unescape(target))
        return ""
    # mailto: and other schemes: keep what the user saw, never fetch it.
    return label or target


def parse_message(text: str, *, min_pasted_words: int = 60) -> ParsedMessage:
    """Split a Slack-formatted (or plain) message into links, pasted text and a note."""
    urls: list[str] = []
    without_tokens = _SLACK_TOKEN.sub(lambda m: _replace_token(m, urls), text or "")
    plain = html.unescape(_QUOTE_PREFIX.sub("", without_tokens))

    def take_bare(match: re.Match[str]) -> str:
        url = _trim_url(match.group(0))
        urls.append(url)
        return match.group(0)[len(url) :]

    remainder = _BARE_URL.sub(take_bare, plain)
    remainder = re.sub(r"[ \t]+", " ", remainder).strip()
    unique = list(dict.fromkeys(urls))
    if count_words(remainder) >= min_pasted_words:
        # Long text is the article itself; links inside it belong to the article.
        return ParsedMessage(urls=[], pasted_text=remainder, note="")
    return ParsedMessage(urls=unique, pasted_text=None, note=" ".join(remainder.split()))
