"""Secrets never reach logs, whichever logger writes them."""

from __future__ import annotations

import logging

import pytest

from bot.logs import configure_logging


def test_configured_secrets_and_token_shapes_are_redacted(capsys: pytest.CaptureFixture) -> None:
    configure_logging(logging.INFO, secrets=["my-local-llm-password"])
    log = logging.getLogger("somewhere.else")
    log.info("calling with key %s", "my-local-llm-password")
    log.warning("slack said no to xoxb-1234-5678-abcdefgh and Bearer abc.def-123456")
    try:
        raise RuntimeError("failed with sk-abcdefghijklmnopqrstuvwx")
    except RuntimeError:
        log.exception("boom")
    err = capsys.readouterr().err
    assert "my-local-llm-password" not in err and "xoxb-1234" not in err
    assert "abc.def-123456" not in err and "sk-abcdefghij" not in err
    assert err.count("[redacted]") >= 4


def test_noisy_libraries_stay_quiet_at_info(capsys: pytest.CaptureFixture) -> None:
    configure_logging(logging.INFO)
    logging.getLogger("bm25s").debug("Building index from tokens")
    assert "Building index" not in capsys.readouterr().err


def test_short_values_and_word_pieces_are_not_redacted(capsys: pytest.CaptureFixture) -> None:
    """`LLM_API_KEY=x` (usual for local servers) must not garble every word with an x in it,
    and a real secret is scrubbed where it stands alone, not inside a longer word."""
    configure_logging(logging.INFO, secrets=["x", "test", "hunter22secret"])
    log = logging.getLogger("somewhere.else")
    log.info("extracted text from the test page")
    log.info("key=hunter22secret url=https://h/v1?k=hunter22secret; hunter22secrets is a word")
    err = capsys.readouterr().err
    assert "extracted text from the test page" in err
    assert err.count("[redacted]") == 2 and "hunter22secrets is a word" in err
