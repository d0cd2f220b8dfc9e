"""Test-wide isolation: no developer environment or `.env` leaks into a test run."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bot.config import Settings, load_settings
from bot.llm.protocol import KNOWN_SERVERS

_PREFIXES = ("LLM_", "OPENAI_", "SLACK_", "FETCH_", "QA_", "ARTICLE_", "DATA_DIR", "DATABASE_URL")

# End-to-end tests that start the bot or `articlebot` as a subprocess: seconds each, so
# `make test-fast` (-m "not slow") leaves them to `make test`. Single slow tests elsewhere
# carry @pytest.mark.slow themselves.
_SLOW_PATHS = ("tests/slack/", "tests/test_cli.py", "tests/test_eval_cli.py")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    root = config.rootpath
    for item in items:
        if item.path.relative_to(root).as_posix().startswith(_SLOW_PATHS):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith(_PREFIXES):
            monkeypatch.delenv(name, raising=False)


@pytest.fixture(autouse=True)
def _forget_llm_servers() -> None:
    """What a server supports is remembered per base URL; a port reused by a later test's
    fake server must not inherit an earlier one's traits."""
    KNOWN_SERVERS.forget()


@pytest.fixture
def make_settings(tmp_path: Path):
    """Settings for a test: a private data dir, no `.env`, and 127.0.0.1 fetchable."""

    def factory(**overrides: object) -> Settings:
        values: dict[str, object] = {
            "data_dir": tmp_path / "data",
            "fetch_allow_networks": ["127.0.0.1/32"],
        }
        values.update(overrides)
        return load_settings(_env_file=None, **values)

    return factory
