"""Runs recorded jobs in the background, under a lease, and resumes unfinished ones at start.

A job is claimed with a lease that is renewed while it runs, by a worker that holds a liveness
lock while its process lives (`bot/store/presence.py`). If the process dies, the next start
(or another replica's sweeper, every second) sees the lock gone and takes the job over at once;
the lease running out is the fallback where liveness cannot be known. Jobs older than
SLACK_JOB_MAX_AGE_SECONDS get an apology instead: an answer an hour late is worse than a clear
"please ask again".
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import os
import socket
import uuid
from collections.abc import Awaitable, Callable

from bot.errors import PASTE_HINT, ArticlebotError, BadInput
from bot.fairness import requester
from bot.slack import messages
from bot.slack.context import SlackContext
from bot.slack.render import RenderedMessage, error_message
from bot.slack.replies import ThreadReply
from bot.store.records import FinalStatus, Job

log = logging.getLogger(__name__)

Flow = Callable[[SlackContext, Job, ThreadReply], Awaitable[None]]

# How often to look for jobs whose worker died: a dead replica's jobs wait at most this long.
SWEEP_INTERVAL_S = 1.0


class JobRunner:
    def __init__(self, ctx: SlackContext, flows: dict[str, Flow]) -> None:
        self.ctx = ctx
        self.flows = flows
        self.worker = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.lease_s = ctx.settings.slack_job_lease_seconds
        self._tasks: set[asyncio.Task[None]] = set()
        self._active: set[int] = set()  # ids of the jobs submitted here and not yet done
        self._sweeper: asyncio.Task[None] | None = None

    @property
    def busy(self) -> bool:
        """True while any accepted job is still running in this process."""
        return bool(self._tasks)

    def submit(self, job: Job) -> None:
        """Run the job in the background; the caller (a listener) returns at once.

        The task runs with the requester (user, channel) in its context, so that the LLM
        calls it makes are scheduled fairly against other users' (`bot/fairness.py`).
        """
        if job.id in self._active:
            return
        context = contextvars.copy_context()
        context.run(requester.set, (job.user or "", job.channel))
        task = asyncio.create_task(self.run(job), name=f"job-{job.id}", context=context)
        self._tasks.add(task)
        self._active.add(job.id)
        task.add_done_callback(self._tasks.discard)
        task.add_done_callback(lambda _: self._active.discard(job.id))

    async def run(self, job: Job) -> None:
        claimed = await self.ctx.store.claim_job(job.id, worker=self.worker, lease_s=self.lease_s)
        if claimed is None:
            return  # another worker has it, or it is already finished
        renewer = asyncio.create_task(self._renew(claimed))
        reply = ThreadReply(self.ctx, claimed)
        try:
            status, note = await self._run_flow(claimed, reply)
        except asyncio.CancelledError:
            # Shutting down mid-job: hand it back so the next start resumes it at once.
            await asyncio.shield(self.ctx.store.release_job(claimed.id, worker=self.worker))
            raise
        finally:
            renewer.cancel()
        await self.ctx.store.finish_job(claimed.id, status=status, note=note)

    async def _run_flow(self, job: Job, reply: ThreadReply) -> tuple[FinalStatus, str]:
        """Run the job's flow; every failure ends with a short message in the thread."""
        try:
            await self.flows[job.kind](self.ctx, job, reply)
        except BadInput as exc:
            hint = None if "paste" in exc.user_message.lower() else PASTE_HINT
            await self._tell(reply, error_message(exc.user_message, hint=hint))
            return "failed", exc.user_message
        except ArticlebotError as exc:
            await self._tell(reply, error_message(exc.user_message))
            return "failed", exc.user_message
        except Exception:
            log.exception("job %s (%s) failed", job.id, job.kind)
            await self._tell(reply, error_message(messages.INTERNAL_ERROR))
            return "failed", "internal error"
        return "done", ""

    async def _tell(self, reply: ThreadReply, message: RenderedMessage) -> None:
        """Best effort: the failure message itself must not raise out of the runner."""
        try:
            await reply.finish([message])
        except Exception:
            log.exception("could not post the failure message for job %s", reply.job.id)

    async def _renew(self, job: Job) -> None:
        while True:
            await asyncio.sleep(self.lease_s / 3)
            if not await self.ctx.store.extend_lease(
                job.id, worker=self.worker, lease_s=self.lease_s
            ):
                return

    async def resume(self) -> int:
        """Pick up jobs a previous run accepted but did not finish; apologise for stale ones."""
        max_age = self.ctx.settings.slack_job_max_age_seconds
        now = self.ctx.store.now()
        resumed = 0
        for job in await self.ctx.store.unfinished_jobs(exclude=set(self._active)):
            if job.id in self._active:
                continue  # submitted here while we were looking
            if (now - job.created_at).total_seconds() > max_age:
                claimed = await self.ctx.store.claim_job(
                    job.id, worker=self.worker, lease_s=self.lease_s
                )
                if claimed is not None:
                    await self._tell(
                        ThreadReply(self.ctx, claimed), error_message(messages.RESTART_APOLOGY)
                    )
                    await self.ctx.store.finish_job(job.id, status="expired", note="too old")
                continue
            self.submit(job)
            resumed += 1
        if resumed:
            log.info("resumed %d unfinished job(s)", resumed)
        return resumed

    async def start(self) -> None:
        """Take this worker's liveness lock (before claiming anything), then resume unfinished
        jobs now and keep looking for jobs whose worker died."""
        self.worker = await self.ctx.store.register_worker(self.worker)
        self._sweeper = asyncio.create_task(self._sweep(), name="job-sweeper")

    async def _sweep(self) -> None:
        while True:
            try:
                await self.ctx.store.refresh_worker()
                await self.resume()
            except Exception:
                log.exception("resuming unfinished jobs failed; will retry")
            await asyncio.sleep(min(SWEEP_INTERVAL_S, self.lease_s / 2))

    async def stop(self, timeout: float) -> None:
        """Graceful shutdown: stop sweeping, let running jobs finish, hand back the rest."""
        if self._sweeper is not None:
            self._sweeper.cancel()
            # Wait for it: a query cut off mid-flight must not outlive the store it used.
            await asyncio.gather(self._sweeper, return_exceptions=True)
            self._sweeper = None
        if self._tasks:
            _, pending = await asyncio.wait(set(self._tasks), timeout=timeout)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
