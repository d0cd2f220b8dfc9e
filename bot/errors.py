"""The errors users can see.

Every error that reaches a user carries `user_message`: one short sentence, safe to show in
Slack or on a terminal (no secrets, no stack traces). `BadInput` means the user's source is the
problem (the CLI exits 2); anything else is a failure on our side or the LLM's (exit 1).
"""

from __future__ import annotations

PASTE_HINT = "You can paste the article text instead."


class ArticlebotError(Exception):
    """Base class: `str(err)` is the user-facing message."""

    def __init__(self, user_message: str) -> None:
        super().__init__(user_message)
        self.user_message = user_message


class BadInput(ArticlebotError):
    """The source cannot be turned into an article (unreadable, blocked, empty...).

    `paste_hint=True` when pasting the text is the way round the problem (a paywall, a binary
    file, a scan): the message then ends with PASTE_HINT, and the Slack reply adds no second one.
    """

    def __init__(self, user_message: str, *, paste_hint: bool = False) -> None:
        super().__init__(f"{user_message} {PASTE_HINT}" if paste_hint else user_message)
        self.paste_hint = paste_hint


class BlockedAddress(BadInput):
    """The URL points at an address the bot must never fetch (internal, loopback...)."""


class FetchFailed(BadInput):
    """The page could not be downloaded: dead link, timeout, HTTP error, too many redirects."""


class UnsupportedContent(BadInput):
    """The download is not something we can read (image, archive, binary)."""


class TooLarge(BadInput):
    """The page or article exceeds the configured size limits."""


class NoArticleText(BadInput):
    """Too little text, or a paywall / login / JavaScript-only page."""


class LLMError(ArticlebotError):
    """The language model call failed after retries, or its output was unusable."""


class LLMTimeout(LLMError):
    pass


class LLMRateLimited(LLMError):
    pass


class LLMUnavailable(LLMError):
    """Connection refused, 5xx after retries, authentication or model errors."""


class LLMInvalidOutput(LLMError):
    """Output that is not valid JSON for the schema, even after one repair attempt."""


class LLMTruncated(LLMError):
    """The model stopped at its token limit (finish_reason "length")."""


class BudgetExceeded(LLMError):
    """Prompt plus reserved output would not fit the configured context window."""
