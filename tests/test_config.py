"""Settings: every one documented, invalid values named in one line, secrets kept secret."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import ValidationError

from bot.config import Settings, SettingsError, load_settings
from bot.settings_groups import (
    AnalysisSettings,
    FetchSettings,
    LLMSettings,
    SlackSettings,
    StoreSettings,
)
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


GROUPS = {
    "llm": LLMSettings,
    "fetch": FetchSettings,
    "analysis": AnalysisSettings,
    "store": StoreSettings,
    "slack": SlackSettings,
}


def _as_group_value(value: object) -> object:
    return tuple(value) if isinstance(value, list) else value


def test_each_group_mirrors_the_flat_settings_it_names(monkeypatch: pytest.MonkeyPatch) -> None:
    changed = {
        "LLM_MODEL": "llama3.1:8b",
        "LLM_BASE_URL": "http://127.0.0.1:8080/v1",
        "LLM_STRUCTURED_MODE": "json_object",
        "FETCH_MAX_BYTES": "123456",
        "FETCH_ALLOW_NETWORKS": "10.0.0.0/8, 127.0.0.1/32",
        "SUMMARY_LANGUAGE": "Deutsch",
        "DATABASE_URL": "postgresql://bot@127.0.0.1/test",
        "SLACK_ALLOWED_CHANNELS": "C1,C2",
        "SLACK_MAX_RETRIES": "7",
    }
    for name, value in changed.items():
        monkeypatch.setenv(name, value)
    settings = load_settings(_env_file=None)
    seen: dict[str, str] = {}
    for attribute, group_type in GROUPS.items():
        group = getattr(settings, attribute)
        assert type(group) is group_type
        for field in group_type.model_fields:
            flat = group_type.flat_name(field)
            assert flat in Settings.model_fields, f"{group_type.__name__}.{field}: no {flat}"
            assert seen.setdefault(flat, attribute) == attribute, f"{flat} in two groups"
            assert getattr(group, field) == _as_group_value(getattr(settings, flat))
    assert {name.lower() for name in changed} <= set(seen)
    assert settings.store.resolved_database_url == "postgresql://bot@127.0.0.1/test"
    assert settings.llm.configured and settings.fetch.allowed_networks == settings.allowed_networks


def test_settings_and_groups_cannot_change_after_start() -> None:
    settings = load_settings(_env_file=None)
    with pytest.raises(ValidationError):
        settings.llm_model = "other"  # type: ignore[misc]
    for attribute in GROUPS:
        group = getattr(settings, attribute)
        field = next(iter(type(group).model_fields))
        with pytest.raises(ValidationError):
            setattr(group, field, getattr(group, field))


def test_secrets_do_not_show_in_the_groups_repr(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LLM_API_KEY", "sk-very-secret-value-123456")
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-secret-token-value")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "signing-secret-value")
    settings = load_settings(_env_file=None)
    shown = " ".join(repr(getattr(settings, attribute)) for attribute in GROUPS)
    assert "sk-very-secret" not in shown and "xoxb-secret" not in shown
    assert "signing-secret-value" not in shown
    assert settings.llm.api_key is not None
    assert settings.llm.api_key.get_secret_value() == "sk-very-secret-value-123456"
