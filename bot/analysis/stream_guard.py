"""Hold back quoted spans of a streamed answer until they are verified.

The bot streams answers into Slack as the model writes them, and a fabricated quote must never be
shown, not even for a moment. Text outside quotation marks passes straight through; from an
opening double quote the text is held until its closing mark, then checked with `QuoteVerifier`:

- verified: shown between the same marks, in the article's exact wording (the model's trailing
  punctuation inside the marks is kept);
- not verified: the whole quotation, marks included, is *replaced* by the note. We replace rather
  than append because readers take text between quotation marks as evidence and a flag after it
  is easy to miss; the fabricated words are never shown, only the fact that a quote was dropped;
- under three words (scare quotes such as "snapshot"): shown unchanged, it is not offered as
  evidence.

A quotation cannot run across a line break (article quotes never span paragraphs), so a newline
inside one ends it: it is verified as written so far. The same happens to an unclosed quote at
`finish()`. Apostrophes and single quotes are not quote marks. A straight `"` opens or closes
depending on pairing. Decisions depend only on the characters seen, never on how the stream was
split into deltas, so the streamed output always equals the output for the whole text.
"""

from __future__ import annotations

import re

from bot.analysis.models import Quote
from bot.analysis.quotes import MIN_WORDS, QuoteVerifier
from bot.analysis.text import word_count

# Opening mark -> marks that close it (models mix straight and curly marks).
_CLOSERS = {'"': '"”', "“": '”"', "„": '“”"', "«": "»"}
_CANONICAL_CLOSE = {'"': '"', "“": "”", "„": "“", "«": "»"}
_OPENER_RE = re.compile("[" + re.escape("".join(_CLOSERS)) + "]")
_CLOSER_RES = {
    mark: re.compile("[" + re.escape(closers) + "\n]") for mark, closers in _CLOSERS.items()
}
_TRAILING_PUNCT = ".,;:!?"

DEFAULT_NOTE = " [not found in the article]"


class QuoteStreamGuard:
    """Feed model deltas in, get back the text that is safe to show now."""

    def __init__(self, verifier: QuoteVerifier, *, not_found_note: str = DEFAULT_NOTE) -> None:
        self.verifier = verifier
        self.note = not_found_note.strip()
        self.verified: list[Quote] = []
        self.unverified = 0
        self._open: str | None = None
        self._held: list[str] = []

    def feed(self, delta: str) -> str:
        out: list[str] = []
        pos = 0
        while pos < len(delta):
            if self._open is None:
                m = _OPENER_RE.search(delta, pos)
                if m is None:
                    out.append(delta[pos:])
                    break
                out.append(delta[pos : m.start()])
                self._open = m.group()
                self._held = []
                pos = m.end()
            else:
                m = _CLOSER_RES[self._open].search(delta, pos)
                if m is None:
                    self._held.append(delta[pos:])
                    break
                self._held.append(delta[pos : m.start()])
                if m.group() == "\n":
                    out.append(self._resolve(None))
                    out.append("\n")
                else:
                    out.append(self._resolve(m.group()))
                pos = m.end()
        return "".join(out)

    def finish(self) -> str:
        """Flush an unclosed quotation (verified as written) at the end of the stream."""
        return "" if self._open is None else self._resolve(None)

    @property
    def holding(self) -> bool:
        """True while a quotation is being held back."""
        return self._open is not None

    def _resolve(self, close: str | None) -> str:
        opener = self._open or '"'
        content = "".join(self._held)
        self._open, self._held = None, []
        if word_count(content) < MIN_WORDS:
            return opener + content + (close or "")
        quote = self.verifier.match(content)
        if quote is None:
            self.unverified += 1
            return self.note
        if quote not in self.verified:
            self.verified.append(quote)
        text = quote.text
        written = content.rstrip()
        if written.endswith(("...", "…")) and not text.endswith(("...", "…")):
            text += "…"
        elif written and written[-1] in _TRAILING_PUNCT and not text.endswith(written[-1]):
            text += written[-1]
        return opener + text + (close or _CANONICAL_CLOSE[opener])
