"""Settings: every one documented, invalid values named in one line, secrets kept secret."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.config import Settings, SettingsError, load_settings
from tests.shared_data import REPO_ROOT


def test_every_setting_is_documented_in_env_example() -> None:
    documented = set(
        re.findall(r"^([A-Z][A-Z0-9_]+)=", (REPO_ROOT / ".env.example").read_text(), re.MULTILINE)
    )
    assert {name.upper() for name in Settings.model_fields} <= documented


def test_env_example_as_is_loads_the_defaults(tmp_path: Path) -> None:
    env = tmp_path / ".env"
    env.write_text((REPO_ROOT / ".env.example").read_text())
    settings = load_settings(_env_file=str(env))
    assert not settings.llm_configured and settings.llm_temperature is None
    assert settings.fetch_allow_networks == [] and settings.data_dir.name == "articlebot"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("LLM_TIMEOUT_SECONDS", "soon"),
        ("LLM_MAX_CONCURRENCY", "0"),
        ("FETCH_ALLOW_NETWORKS", "10.0.0.0/8,not-a-network"),
        ("LLM_STRUCTURED_MODE", "xml"),
        ("SLACK_STREAM_MODE", "carrier-pigeon"),
    ],
)
def test_invalid_value_fails_with_one_line_naming_it(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as info:
        load_settings(_env_file=None)
    message = str(info.value)
    assert name in message and "\n" not in message


def test_llm_is_configured_by_key_or_base_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:11434/v1")
    assert load_settings(_env_file=None).llm_configured


def test_secrets_do_not_show_in_repr(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LLM_API_KEY", "sk-very-secret-value-123456")
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-secret-token-value")
    settings = load_settings(_env_file=None)
    assert "sk-very-secret" not in repr(settings) and "xoxb-secret" not in repr(settings)
    assert set(settings.secret_values()) == {
        "sk-very-secret-value-123456",
        "xoxb-secret-token-value",
    }
