"""Making a streamed Markdown answer safe piece by piece: pings and links.

`escape_markdown_stream` is per character, so it is safe on any split. Links are not: a URL
can arrive in several deltas. `StreamLinkGuard` holds back the word being written until it
ends (at whitespace), then defangs any URL in it that is not allowed (the article's own link),
and backslash-escapes `[` so Markdown link syntax (`[click](...)`) never forms. The delay is one
word, invisible in a stream.
"""

from __future__ import annotations

from collections.abc import Iterable

from bot.slack.render.escape import URL_PATTERN, defang_url, escape_markdown_stream, trim_url
from bot.slack.render.mrkdwn import is_allowed, normalise_links


class StreamLinkGuard:
    def __init__(self, allowed_links: Iterable[str] = ()) -> None:
        self.allowed = normalise_links(allowed_links)
        self._word = ""

    def feed(self, delta: str) -> str:
        """Escaped Markdown safe to append now; the unfinished last word is held back."""
        text = self._word + delta
        cut = max(text.rfind(" "), text.rfind("\n"), text.rfind("\t"))
        self._word = text[cut + 1 :]
        return self._render(text[: cut + 1])

    def finish(self) -> str:
        rest, self._word = self._word, ""
        return self._render(rest)

    def _render(self, text: str) -> str:
        out, pos = [], 0
        for match in URL_PATTERN.finditer(text):
            url = trim_url(match.group(0))
            if not url or is_allowed(url, self.allowed):
                continue
            out += [text[pos : match.start()], defang_url(url)]
            pos = match.start() + len(url)
        out.append(text[pos:])
        return escape_markdown_stream("".join(out)).replace("[", "\\[")
