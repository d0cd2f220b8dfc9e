"""A job's view of the pipeline, scoped to its workspace.

Public URLs share the article cache across workspaces (the fetched page is the same for
everyone and nothing of the workspace is stored with it). Everything a workspace brings or
causes stays its own: pasted texts and uploads go to its `team_articles`, and results
(summaries, which may follow a user's request such as "in French") are keyed under its team.
"""

from __future__ import annotations

from bot.analysis.analyzer import Analyzer
from bot.domain.article import Article
from bot.ingest.loader import ArticleLoader
from bot.slack.context import SlackContext
from bot.store.cache import team_result_prefix
from bot.store.records import Job
from bot.store.store import Store


def team_of(job: Job) -> str:
    """The job's workspace; "" only for jobs recorded without one (never mixed with a team)."""
    return job.team or ""


class WorkspaceArticles:
    """The loader's article store: shared cache for URLs, the team's own table otherwise."""

    def __init__(self, store: Store, team: str) -> None:
        self._store = store
        self._team = team

    async def get_article_for_url(
        self, normalized_url: str, *, max_age_s: float | None = None
    ) -> Article | None:
        return await self._store.get_article_for_url(normalized_url, max_age_s=max_age_s)

    async def put_article(self, article: Article, *, normalized_url: str | None = None) -> None:
        if normalized_url is not None:
            await self._store.put_article(article, normalized_url=normalized_url)
        else:
            await self._store.put_team_article(self._team, article)


class WorkspaceResults:
    """The analyzer's result cache, in the team's namespace."""

    def __init__(self, store: Store, team: str) -> None:
        self._store = store
        self._prefix = team_result_prefix(team)

    async def get_result(self, key: str) -> str | None:
        return await self._store.get_result(self._prefix + key)

    async def put_result(self, key: str, value: str) -> None:
        await self._store.put_result(self._prefix + key, value)


def loader_for(ctx: SlackContext, team: str) -> ArticleLoader:
    base = ctx.runtime.loader
    return ArticleLoader(
        base.settings,
        fetcher=base.fetcher,
        store=WorkspaceArticles(ctx.store, team),
        executor=base.executor,
    )


def analyzer_for(ctx: SlackContext, team: str) -> Analyzer:
    base = ctx.runtime.analyzer
    return Analyzer(
        base.settings, llm=base.llm, store=WorkspaceResults(ctx.store, team), prompts=base.prompts
    )
