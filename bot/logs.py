"""Logging setup shared by the CLI and the bot, with secrets scrubbed from every record.

Libraries log request URLs, headers and exception texts; a token that slips into one of them
must not reach a log file. The redacting filter replaces the configured secret values and
anything shaped like a Slack or OpenAI token, whichever logger produced the line.

Only values long enough to be secrets are scrubbed (`LLM_API_KEY=x` for a local server is not
one), and only where they stand on their own: never a piece of an ordinary word.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Iterable

_TOKEN_SHAPES = re.compile(
    r"\b(?:xox[abposr]-[\w-]{8,}|xapp-[\w-]{8,}|sk-[\w-]{16,})|(?i:bearer\s+)[\w.\-~+/]{8,}"
)
# Libraries that are chatty at INFO/DEBUG (bm25s even forces its own logger to DEBUG).
_QUIET = ("bm25s", "httpx", "httpx2", "httpcore", "openai", "slack_sdk", "trafilatura", "aiohttp")


# Shorter configured values are placeholders, not secrets.
MIN_SECRET_LENGTH = 8


class RedactSecrets(logging.Filter):
    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self.secrets = sorted(
            {s for s in secrets if s and len(s) >= MIN_SECRET_LENGTH}, key=len, reverse=True
        )
        # A secret counts where it is not glued to further word characters on either side.
        self._pattern = (
            re.compile("|".join(rf"(?<![\w-]){re.escape(s)}(?![\w-])" for s in self.secrets))
            if self.secrets
            else None
        )

    def scrub(self, text: str) -> str:
        if self._pattern is not None:
            text = self._pattern.sub("[redacted]", text)
        return _TOKEN_SHAPES.sub("[redacted]", text)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        record.msg, record.args = self.scrub(message), None
        if record.exc_text:
            record.exc_text = self.scrub(record.exc_text)
        return True


def configure_logging(level: str | int, secrets: Iterable[str] = ()) -> None:
    """Log to stderr at `level`; third-party chatter only from WARNING up."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactSecrets(secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in _QUIET:
        logging.getLogger(name).setLevel(max(logging.WARNING, root.level))
