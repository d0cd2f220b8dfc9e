"""`BadInput.paste_hint`: the flag and the message agree, so no one has to read the text."""

from __future__ import annotations

import pytest

from bot.errors import PASTE_HINT, BadInput, FetchFailed, NoArticleText, UnsupportedContent


@pytest.mark.parametrize("cls", [BadInput, FetchFailed, NoArticleText, UnsupportedContent])
def test_paste_hint_is_said_once_and_flagged(cls: type[BadInput]) -> None:
    hinted = cls("This page is behind a paywall.", paste_hint=True)
    plain = cls("The page was not found (HTTP 404).")
    assert hinted.paste_hint and hinted.user_message.endswith(PASTE_HINT)
    assert hinted.user_message.count(PASTE_HINT) == 1 and str(hinted) == hinted.user_message
    assert not plain.paste_hint and PASTE_HINT not in plain.user_message
