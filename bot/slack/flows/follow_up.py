"""A question in a thread the bot owns: a grounded answer, streamed, remembered as a turn."""

from __future__ import annotations

from bot.analysis.models import AnswerDelta, AnswerDone
from bot.domain.article import Article
from bot.domain.turn import Turn
from bot.slack import messages
from bot.slack.context import SlackContext
from bot.slack.job_payloads import AnswerPayload
from bot.slack.render import error_message
from bot.slack.replies import ThreadReply
from bot.slack.streaming import answer_output
from bot.slack.usage_accounting import record_usage
from bot.slack.workspace import analyzer_for, team_of
from bot.store.records import Job

# Earlier turns sent as context (the analysis layer keeps the last few and shortens them).
TURNS = 10


async def _context_turns(
    ctx: SlackContext, job: Job, payload: AnswerPayload, team: str
) -> tuple[list[Turn], bool]:
    """Earlier turns to send as context, and whether this job's own turn is recorded already.

    A re-run (requeued after a Slack fault, or resumed) may find its own turn recorded. A DM
    question in a fresh thread continues the conversation of the thread it is about.
    """
    turns = await ctx.store.get_turns(job.channel, job.thread_ts, team=team, limit=TURNS)
    recorded = job.attempts > 1 and bool(turns) and turns[-1].question == payload.question
    if recorded:
        turns = turns[:-1]
    if not turns and payload.article_thread not in (None, job.thread_ts):
        assert payload.article_thread is not None
        turns = await ctx.store.get_turns(
            job.channel, payload.article_thread, team=team, limit=TURNS
        )
    return turns, recorded


def _which_article(payload: AnswerPayload, article: Article) -> str | None:
    """In a DM with several articles, the answer says which one it is about."""
    if payload.article_thread is None or payload.articles_in_conversation < 2:
        return None
    return messages.LATEST_IN_DM.format(
        title=" ".join(article.display_title.split()), count=payload.articles_in_conversation
    )


async def run_answer(
    ctx: SlackContext, job: Job, reply: ThreadReply, payload: AnswerPayload
) -> None:
    team = team_of(job)
    source = payload.article_thread or job.thread_ts
    thread = await ctx.store.get_thread(job.channel, source, team=team)
    article = await ctx.store.get_team_article(team, thread.content_hash) if thread else None
    if article is None:
        await reply.finish([error_message(messages.ARTICLE_GONE)])
        return
    question = payload.question
    await reply.react()
    await reply.settle_previous()
    if source != job.thread_ts:  # follow-ups in the question's thread are about this article
        await ctx.store.set_thread_article(
            job.channel, job.thread_ts, team=team, content_hash=article.content_hash
        )
    turns, recorded = await _context_turns(ctx, job, payload, team)
    output = answer_output(ctx, job, reply, allowed_links=[article.url] if article.url else [])
    done: AnswerDone | None = None
    async for event in analyzer_for(ctx, team).answer_stream(
        article, question, turns=turns, fallback=True
    ):
        if isinstance(event, AnswerDelta):
            await output.append(event.text)
        else:
            done = event
    assert done is not None
    result = done.result
    if which := _which_article(payload, article):
        notice = " ".join(n for n in (which, result.notice) if n)
        result = result.model_copy(update={"notice": notice})
    # The turn is the thread's memory: recorded before delivery, so Slack trouble cannot lose it.
    if not recorded:
        await ctx.store.add_turn(
            job.channel,
            job.thread_ts,
            team=team,
            question=question,
            answer=result.answer.answer,
            content_hash=article.content_hash,
        )
    await record_usage(ctx, job, "answer", result.usage)
    if done.restarted:
        await output.append(f"\n\n_{messages.ANSWER_RESTARTED}_\n\n{result.answer.answer}")
    await output.finish(result)
    await reply.unreact()
