"""Enterprise Grid: which workspace and org a Slack request comes from, read as bolt reads it.

Events carry the workspace in `team_id` and the org in `enterprise_id` and in
`authorizations[0]`, whose `is_enterprise_install` says whether the installation serving the
event is org-wide (then its `team_id` is null). Slash commands carry `team_id`/`enterprise_id`;
interactions `team` (null for org-wide installs: `user.team_id` then) and `enterprise`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from slack_bolt.request.internals import extract_enterprise_id, extract_is_enterprise_install


@dataclass(frozen=True)
class Scope:
    team: str | None  # the workspace the request comes from
    enterprise: str | None  # its Grid org; None for a standalone workspace
    org_install: bool  # served by an org-wide installation


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def scope_of(body: dict[str, Any]) -> Scope:
    team = _str(body.get("team_id"))
    if team is None:
        team_field = body.get("team")
        team = _str(team_field.get("id")) if isinstance(team_field, dict) else _str(team_field)
    if team is None and isinstance(body.get("user"), dict):
        team = _str(body["user"].get("team_id"))
    return Scope(
        team=team,
        enterprise=_str(extract_enterprise_id(body)),
        org_install=bool(extract_is_enterprise_install(body)),
    )
