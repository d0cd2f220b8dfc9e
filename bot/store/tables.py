"""The schema: what the bot remembers between restarts.

Long free-form keys (URLs, cache keys) are stored with their SHA-256 as the primary key,
because PostgreSQL cannot index arbitrarily long text and a hash lookup is all we need.
Every column added after v1 must also get a step in `migrations.py`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

# Integer ids that are BIGINT on PostgreSQL but stay SQLite's rowid alias (INTEGER PRIMARY KEY).
Id = BigInteger().with_variant(Integer(), "sqlite")


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on every backend (SQLite keeps no zone: store UTC, restore it)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: the store only accepts timezone-aware datetimes")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


metadata = MetaData()

schema_version = Table(
    "schema_version",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),  # always 1: a single row
    Column("version", Integer, nullable=False),
    Column("upgraded_at", UTCDateTime, nullable=False),
)

articles = Table(
    "articles",
    metadata,
    Column("content_hash", String(64), primary_key=True),
    Column("data", Text, nullable=False),  # Article.model_dump_json()
    Column("stored_at", UTCDateTime, nullable=False),
)

article_urls = Table(
    "article_urls",
    metadata,
    Column("url_hash", String(64), primary_key=True),
    Column("normalized_url", Text, nullable=False),
    Column(
        "content_hash",
        String(64),
        ForeignKey("articles.content_hash", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("fetched_at", UTCDateTime, nullable=False),
)

results = Table(
    "results",
    metadata,
    Column("key_hash", String(64), primary_key=True),
    Column("key", Text, nullable=False),
    Column("value", Text, nullable=False),  # JSON text
    Column("stored_at", UTCDateTime, nullable=False),
)

usage = Table(
    "usage",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("task", String(64), nullable=False),
    Column("model", String(200), nullable=False),
    Column("mode", String(32), nullable=False),
    Column("streamed", Boolean, nullable=False),
    Column("latency_ms", Float, nullable=False),
    Column("calls", Integer, nullable=False),
    Column("prompt_tokens", Integer, nullable=False),
    Column("completion_tokens", Integer, nullable=False),
    Column("cached_tokens", Integer, nullable=False),
    Column("team", String(64)),
    Column("channel", String(64)),
    Column("user", String(64)),
    Index("ix_usage_team", "team"),
    Index("ix_usage_channel", "channel"),
    Index("ix_usage_user", "user"),
)

jobs = Table(
    "jobs",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("kind", String(32), nullable=False),
    Column("payload", JSON, nullable=False),
    Column("channel", String(64), nullable=False),
    Column("thread_ts", String(32), nullable=False),
    Column("ts", String(32), nullable=False),
    Column("team", String(64)),
    Column("user", String(64)),
    Column("status", String(16), nullable=False),  # pending running done failed expired
    Column("attempts", Integer, nullable=False, default=0),
    Column("worker", String(200)),
    Column("lease_until", UTCDateTime),
    Column("created_at", UTCDateTime, nullable=False),
    Column("finished_at", UTCDateTime),
    Column("note", Text, nullable=False, server_default=""),  # added in schema v2
    # ts of the bot's reply message once posted, so a resumed job edits it instead of
    # posting a second reply (schema v3).
    Column("reply_ts", String(32)),
    Index("ix_jobs_status_created", "status", "created_at"),
    Index("ix_jobs_user_created", "user", "created_at"),
    Index("ix_jobs_team_channel", "team", "channel"),
)

# One row per Slack delivery we accepted: the unique keys are what makes intake exactly-once.
# NULL event_ids (slash commands, interactions) are exempt from the first key on both backends.
seen_events = Table(
    "seen_events",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("event_id", String(64)),
    Column("channel", String(64), nullable=False),
    Column("ts", String(32), nullable=False),
    Column("job_id", Id, ForeignKey("jobs.id", ondelete="CASCADE"), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    UniqueConstraint("event_id", name="uq_seen_events_event_id"),
    UniqueConstraint("channel", "ts", name="uq_seen_events_channel_ts"),
)

# Team-scoped rows: `team` is the Slack workspace ("" outside Slack); every lookup filters on it,
# so one workspace never reads another's threads, turns or pasted texts (schema v4).
threads = Table(
    "threads",
    metadata,
    Column("team", String(64), primary_key=True, server_default=""),
    Column("channel", String(64), primary_key=True),
    Column("thread_ts", String(32), primary_key=True),
    Column("content_hash", String(64), nullable=False),
    Column("summary_ts", String(32)),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

turns = Table(
    "turns",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("team", String(64), nullable=False, server_default=""),
    Column("channel", String(64), nullable=False),
    Column("thread_ts", String(32), nullable=False),
    Column("content_hash", String(64), nullable=False),
    Column("question", Text, nullable=False),
    Column("answer", Text, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Index("ix_turns_thread_article", "channel", "thread_ts", "content_hash", "id"),
    Index("ix_turns_team_created", "team", "created_at"),
)

# Pasted texts and uploaded files read in Slack: private to the workspace that sent them, so
# they are kept apart from the shared `articles` cache (public URLs only) (schema v4).
team_articles = Table(
    "team_articles",
    metadata,
    Column("team", String(64), primary_key=True),
    Column("content_hash", String(64), primary_key=True),
    Column("data", Text, nullable=False),  # Article.model_dump_json()
    Column("stored_at", UTCDateTime, nullable=False),
)

# 👍/👎 on a bot reply (schema v5): one row per (job, user); a second click updates it. The job
# is the request the reply answered; `team` scopes it to its workspace.
feedback = Table(
    "feedback",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("job_id", Id, nullable=False),
    Column("kind", String(32), nullable=False),  # the job's kind: summary, answer...
    Column("team", String(64)),
    Column("channel", String(64), nullable=False),
    Column("user", String(64), nullable=False),
    Column("value", String(8), nullable=False),  # good | bad
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    UniqueConstraint("job_id", "user", name="uq_feedback_job_user"),
    Index("ix_feedback_team_channel", "team", "channel"),
)

# Slack assistant-pane threads (schema v6): which channel the user was viewing when they opened
# or last moved the pane (`assistant_thread_context_changed`), for "the last article shared in
# this channel". NULL context_channel: opened outside any channel (e.g. from a DM).
assistant_threads = Table(
    "assistant_threads",
    metadata,
    Column("channel", String(64), primary_key=True),
    Column("thread_ts", String(32), primary_key=True),
    Column("team", String(64)),
    Column("user", String(64)),
    Column("context_channel", String(64)),
    Column("updated_at", UTCDateTime, nullable=False),
)

# Which Enterprise Grid org each workspace belongs to (schema v7), as its events say. A job finds
# an org-wide installation through it (that installation has no team), and an org uninstall
# finds the workspaces whose data goes. Content rows stay keyed by team alone: Slack team ids
# are unique across orgs, so the team is the isolation key on Grid too. Standalone workspaces
# have no row here.
workspaces = Table(
    "workspaces",
    metadata,
    Column("team", String(64), primary_key=True),
    Column("enterprise", String(64), nullable=False),
    Column("seen_at", UTCDateTime, nullable=False),
    Index("ix_workspaces_enterprise", "enterprise"),
)
