"""The `Store` facade: one object the bot and CLI open at start and close at exit.

It holds its parts over one shared `Database` rather than inheriting them: code that needs one
part can be handed just that part (`store.articles`, `store.intake`, `store.threads`,
`store.usage`). The facade's methods are those parts' methods, bound once here.
"""

from __future__ import annotations

from datetime import datetime
from types import TracebackType

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.store.assistant_threads import AssistantThreads
from bot.store.base import Clock, Database, utc_now
from bot.store.cache import ArticleCache
from bot.store.engine import create_engine, writer
from bot.store.erasure import WorkspaceEraser
from bot.store.feedback_ledger import FeedbackLog
from bot.store.grid_orgs import GridOrgs
from bot.store.job_queue import SlackIntake
from bot.store.migrations import migrate
from bot.store.recent import RecentArticles
from bot.store.retention import RetentionSweeper
from bot.store.team_articles import TeamArticles
from bot.store.threads import ThreadMemory
from bot.store.usage_ledger import UsageLedger


class Store:
    """Caches, Slack thread state, exactly-once intake, jobs and usage, on SQLite or PostgreSQL."""

    def __init__(self, engine: AsyncEngine, *, clock: Clock = utc_now) -> None:
        self.db = Database(engine, clock=clock)
        self.articles = ArticleCache(self.db)
        self.team_articles = TeamArticles(self.db)
        self.intake = SlackIntake(self.db)
        self.threads = ThreadMemory(self.db)
        self.usage = UsageLedger(self.db)
        self.recent = RecentArticles(self.db)
        self.feedback = FeedbackLog(self.db)
        self.panes = AssistantThreads(self.db)
        self.eraser = WorkspaceEraser(self.db)
        self.retention = RetentionSweeper(self.db)
        self.orgs = GridOrgs(self.db)
        # Articles and results (the loader's and the analyzer's caches).
        self.get_article = self.articles.get_article
        self.get_article_for_url = self.articles.get_article_for_url
        self.put_article = self.articles.put_article
        self.get_result = self.articles.get_result
        self.put_result = self.articles.put_result
        # Pasted texts and uploads, private to the workspace that sent them.
        self.put_team_article = self.team_articles.put_team_article
        self.get_team_article = self.team_articles.get_team_article
        # Slack requests and the jobs they become.
        self.record_request = self.intake.record_request
        self.count_requests = self.intake.count_requests
        self.get_job = self.intake.get_job
        self.claim_job = self.intake.claim_job
        self.claim_next = self.intake.claim_next
        self.claim_fairly = self.intake.claim_fairly
        self.extend_lease = self.intake.extend_lease
        self.release_job = self.intake.release_job
        self.set_job_reply = self.intake.set_job_reply
        self.finish_job = self.intake.finish_job
        self.unfinished_jobs = self.intake.unfinished_jobs
        self.requeue_job = self.intake.requeue_job
        self.queue_stats = self.intake.queue_stats
        # This process's liveness lock, which lets others take over its jobs once it is dead.
        self.register_worker = self.intake.register_worker
        self.refresh_worker = self.intake.refresh_worker
        # Which article each thread is about, and its questions and answers.
        self.get_thread = self.threads.get_thread
        self.set_thread_article = self.threads.set_thread_article
        self.add_turn = self.threads.add_turn
        self.get_turns = self.threads.get_turns
        self.latest_threads = self.recent.latest_threads
        self.user_recent_threads = self.recent.user_recent_threads
        # Feedback on replies, and the weekly figures next to usage.
        self.record_feedback = self.feedback.record_feedback
        self.feedback_of = self.feedback.feedback_of
        self.weekly_stats = self.feedback.weekly_stats
        self.team_usage_since = self.feedback.team_usage_since
        # Assistant-pane threads and the channel each was opened from.
        self.save_pane_context = self.panes.save_pane_context
        self.pane_thread = self.panes.pane_thread
        # LLM usage per request.
        self.record_usage = self.usage.record_usage
        self.usage_totals = self.usage.usage_totals
        # A workspace leaving (uninstall, revoked tokens) or a channel going away.
        self.erase_team = self.eraser.erase_team
        self.drop_channel_jobs = self.eraser.drop_channel_jobs
        # Enterprise Grid: the org of each workspace (org-wide installs, org uninstalls).
        self.enterprise_of = self.orgs.enterprise_of
        self.note_enterprise = self.orgs.note_enterprise
        self.teams_of_enterprise = self.orgs.teams_of_enterprise
        # Retention (DATA_RETENTION_DAYS) and operator purges.
        self.purge = self.retention.purge
        self.sweep_expired = self.retention.sweep_expired

    @property
    def engine(self) -> AsyncEngine:
        return self.db.engine

    def now(self) -> datetime:
        """The store's clock, for callers that compare against stored times (quotas, ages)."""
        return self.db.now()

    @classmethod
    async def open(cls, url: str, *, clock: Clock = utc_now, busy_timeout_s: float = 30.0) -> Store:
        """Connect and create or upgrade the schema.

        `url` is any SQLAlchemy URL for SQLite or PostgreSQL (plain `sqlite:///`, `postgresql://`
        and `postgres://` get async drivers). `clock` exists so tests can move time.
        """
        engine = create_engine(url, busy_timeout_s=busy_timeout_s)
        try:
            async with writer(engine).begin() as conn:
                await conn.run_sync(migrate)
        except BaseException:
            await engine.dispose()
            raise
        return cls(engine, clock=clock)

    async def close(self) -> None:
        try:
            await self.intake.close_presence()
        finally:
            await self.db.engine.dispose()

    async def __aenter__(self) -> Store:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()
