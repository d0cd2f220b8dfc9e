"""Runs recorded jobs in the background, under a lease, and resumes unfinished ones at start.

Jobs are not run in the order they came: one user runs at most SLACK_MAX_RUNNING_JOBS_PER_USER
at a time (across replicas), a process at most SLACK_MAX_RUNNING_JOBS, and free slots take the
fairest pending jobs (`claim_fairly`: users in turn, fewest running first, then the workspace
with the fewest running), so one user's hundred mentions do not keep another's single one
from starting.

A job is claimed with a lease that is renewed while it runs, by a worker that holds a liveness
lock while its process lives (`bot/store/presence.py`). If the process dies, the next start
(or another replica's sweeper, every second) sees the lock gone and takes the job over at once;
the lease running out is the fallback where liveness cannot be known. Jobs older than
SLACK_JOB_MAX_AGE_SECONDS get an apology instead: an answer an hour late is worse than a clear
"please ask again".

A Slack fault that outlasts the client's retries is not a failure of the request: the job goes
back on the queue with backoff (and runs again here, or in any replica once the backoff is
over) until it would be too old, then the user gets one apology. A channel the bot cannot post
in, or a token Slack rejects, stops the job without a word in Slack (there is no one to tell).
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import os
import socket
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.errors import PASTE_HINT, ArticlebotError, BadInput
from bot.fairness import requester
from bot.metrics import JOB_REQUEUES
from bot.slack import messages
from bot.slack.context import SlackContext
from bot.slack.ephemeral import reply_for
from bot.slack.render import RenderedMessage, error_message
from bot.slack.replies import ThreadReply
from bot.slack.web_api import SlackFault, classify, count_failure
from bot.store.records import FinalStatus, Job

log = logging.getLogger(__name__)

Flow = Callable[[SlackContext, Job, ThreadReply], Awaitable[None]]
# Longest wait before a requeued job runs again, whatever the backoff has grown to.
MAX_REQUEUE_DELAY_S = 300.0


@dataclass(frozen=True)
class Outcome:
    """How a run ended: a final status, or (`retry_in` set) back to the queue for later."""

    status: FinalStatus
    note: str = ""
    retry_in: float | None = None
    fault: str = ""


# Job kinds whose flow shows it is working with a reaction on the request (and removes it at
# the end): a job of these kinds that must wait for a slot shows the same sign at once.
SIGNALLED_KINDS = frozenset({"summary", "answer"})

# How often to look for jobs whose worker died: a dead replica's jobs wait at most this long.
SWEEP_INTERVAL_S = 1.0


class JobRunner:
    def __init__(self, ctx: SlackContext, flows: dict[str, Flow]) -> None:
        self.ctx = ctx
        self.flows = flows
        self.worker = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.lease_s = ctx.settings.slack_job_lease_seconds
        self._tasks: set[asyncio.Task[None]] = set()
        self._team_of: dict[asyncio.Task[None], str | None] = {}  # whose job each task runs
        # Requeued jobs waiting out their backoff here (the store has them too: pending).
        self._timers: set[asyncio.Task[None]] = set()
        self._active: set[int] = set()  # ids of the jobs running here
        self._sweeper: asyncio.Task[None] | None = None
        self.max_running = ctx.settings.slack_max_running_jobs
        self.per_user = ctx.settings.slack_max_running_jobs_per_user
        # Jobs submitted here that no worker was seen to take yet (busy until then).
        self._wanted: set[int] = set()
        self._wake = asyncio.Event()  # a job was submitted, or a slot freed
        # Jobs submitted here that have shown no sign of work yet, and the tasks showing one.
        self._unseen: dict[int, Job] = {}
        self._signs: set[asyncio.Task[None]] = set()
        self._picker: asyncio.Task[None] | None = None
        self._stopping = False

    @property
    def busy(self) -> bool:
        """True while any accepted job is still running, waiting for a slot, or waiting to
        run again, here."""
        return bool(self._tasks or self._timers or self._wanted or self._signs)

    def submit(self, job: Job) -> None:
        """Have the job run in the background; the caller (a listener) returns at once.

        It runs when a slot is free and it is the fairest pending job (see `_pick`).
        """
        if job.id in self._active:
            return
        self._wanted.add(job.id)
        if job.kind in SIGNALLED_KINDS:
            self._unseen[job.id] = job
        self._wake_picker()

    def _wake_picker(self) -> None:
        if self._stopping:
            return
        self._wake.set()
        if self._picker is None or self._picker.done():
            self._picker = asyncio.create_task(self._pick(), name="job-picker")

    async def _pick(self) -> None:
        """Fill free slots with the fairest pending jobs, whenever one is submitted or a slot
        frees (the sweeper also wakes this every second)."""
        while True:
            await self._wake.wait()
            self._wake.clear()
            try:
                while len(self._tasks) < self.max_running:
                    asked = set(self._wanted)
                    jobs = await self.ctx.store.claim_fairly(
                        worker=self.worker,
                        lease_s=self.lease_s,
                        count=self.max_running - len(self._tasks),
                        per_user=self.per_user,
                    )
                    if not jobs:  # taken elsewhere, waiting (timers), or their user's turn
                        self._wanted -= asked
                        break
                    for job in jobs:
                        self._wanted.discard(job.id)
                        self._start(job, claimed=True)
                self._show_waiting()
            except Exception:
                log.exception("taking the next job failed; will retry")

    def _show_waiting(self) -> None:
        """Jobs submitted here that did not start (their user's share or this process is
        full): show the working sign now, as a started job would, so no request sits a
        minute without a sign that it was heard. Their flow finds it there and removes it."""
        waiting, self._unseen = list(self._unseen.values()), {}
        for job in waiting:
            task = asyncio.create_task(self._sign(job), name=f"sign-{job.id}")
            self._signs.add(task)
            task.add_done_callback(self._signs.discard)

    async def _sign(self, job: Job) -> None:
        try:
            ctx = await self.ctx.for_team(job.team)
            if ctx is not None and job.id not in self._active:  # started: it shows its own
                await reply_for(ctx, job).react()
        except Exception:
            log.exception("could not show that job %s is waiting", job.id)

    def _start(self, job: Job, *, claimed: bool) -> None:
        """Run the job in a task of its own.

        The task runs with the requester (user, channel) in its context, so that the LLM
        calls it makes are scheduled fairly against other users' (`bot/fairness.py`).
        """
        context = contextvars.copy_context()
        context.run(requester.set, (job.user or "", job.channel))
        task = asyncio.create_task(
            self.run(job, claimed=claimed), name=f"job-{job.id}", context=context
        )
        self._unseen.pop(job.id, None)  # its flow shows its own sign
        self._tasks.add(task)
        self._active.add(job.id)
        self._team_of[task] = job.team
        task.add_done_callback(self._tasks.discard)
        task.add_done_callback(lambda _: self._active.discard(job.id))
        task.add_done_callback(lambda done: self._team_of.pop(done, None))
        task.add_done_callback(lambda _: self._wake_picker())  # a slot is free

    async def stop_team(self, team: str, timeout: float = 5.0) -> int:
        """Cancel this process's running jobs of a workspace that left, and wait for them, so
        none writes again after its data is deleted; returns how many were stopped. (Jobs in
        other replicas stop at their next Slack call: the workspace's token is dead.)"""
        doomed = {task for task, owner in self._team_of.items() if owner == team}
        for task in doomed:
            task.cancel()
        if doomed:
            await asyncio.wait(doomed, timeout=timeout)
        return len(doomed)

    async def run(self, job: Job, *, claimed: bool = False) -> None:
        """Run `job` (claimed by this worker already, or to claim now: a takeover)."""
        if not claimed:
            taken = await self.ctx.store.claim_job(job.id, worker=self.worker, lease_s=self.lease_s)
            if taken is None:
                return  # another worker has it, or it is already finished
            job = taken
        ctx = await self.ctx.for_team(job.team)  # the job's workspace: its client and token
        if ctx is None:
            log.warning("job %s dropped: workspace %s has no installation", job.id, job.team)
            await self.ctx.store.finish_job(job.id, status="failed", note="no installation")
            return
        max_age = self.ctx.settings.slack_job_max_age_seconds
        if (self.ctx.store.now() - job.created_at).total_seconds() > max_age:
            await self._tell(reply_for(ctx, job), error_message(messages.RESTART_APOLOGY))
            await self.ctx.store.finish_job(job.id, status="expired", note="too old")
            return
        await self._work(ctx, job)

    async def _work(self, ctx: SlackContext, claimed: Job) -> None:
        renewer = asyncio.create_task(self._renew(claimed))
        reply = reply_for(ctx, claimed)
        try:
            outcome = await self._run_flow(ctx, claimed, reply)
        except asyncio.CancelledError:
            # Shutting down mid-job: hand it back so the next start resumes it at once.
            await asyncio.shield(self.ctx.store.release_job(claimed.id, worker=self.worker))
            raise
        finally:
            renewer.cancel()
        if outcome.retry_in is not None:
            await self._requeue(claimed, outcome)
            return
        await self.ctx.store.finish_job(claimed.id, status=outcome.status, note=outcome.note)

    async def _requeue(self, job: Job, outcome: Outcome) -> None:
        """Back to the queue; this process runs it again after the backoff (unless it stops
        first: then the sweeper of whichever process is alive picks it up)."""
        assert outcome.retry_in is not None
        JOB_REQUEUES.labels(fault=outcome.fault).inc()
        await self.ctx.store.requeue_job(
            job.id, worker=self.worker, delay_s=outcome.retry_in, note=outcome.note
        )
        log.warning(
            "job %s (%s) requeued for %.1fs: %s", job.id, job.kind, outcome.retry_in, outcome.note
        )
        timer = asyncio.create_task(self._run_later(job, outcome.retry_in), name=f"wait-{job.id}")
        self._timers.add(timer)
        timer.add_done_callback(self._timers.discard)

    async def _run_later(self, job: Job, delay_s: float) -> None:
        await asyncio.sleep(delay_s)
        self.submit(job)

    async def _run_flow(self, ctx: SlackContext, job: Job, reply: ThreadReply) -> Outcome:
        """Run the job's flow; every failure ends with a short message in the thread, except
        Slack faults, which are retried later or stop quietly (see `_slack_outcome`)."""
        try:
            await self.flows[job.kind](ctx, job, reply)
        except BadInput as exc:
            hint = None if exc.paste_hint else PASTE_HINT  # the message may say it already
            message = error_message(exc.user_message, hint=hint)
            return await self._explain(job, reply, message, Outcome("failed", exc.user_message))
        except ArticlebotError as exc:
            message = error_message(exc.user_message)
            return await self._explain(job, reply, message, Outcome("failed", exc.user_message))
        except Exception as exc:
            fault = classify(exc)
            if fault is not None and fault.fault not in ("msg_too_long", "rejected"):
                count_failure(fault)
                return await self._slack_outcome(job, reply, fault)
            log.exception("job %s (%s) failed", job.id, job.kind)
            await self._tell(reply, error_message(messages.INTERNAL_ERROR))
            return Outcome("failed", "internal error")
        return Outcome("done")

    async def _explain(
        self, job: Job, reply: ThreadReply, message: RenderedMessage, outcome: Outcome
    ) -> Outcome:
        """Tell the user why their request failed; if Slack is what fails then, the job is
        handled like any Slack fault (retried later), so the explanation is not lost."""
        try:
            await reply.finish([message])
        except Exception as exc:
            fault = classify(exc)
            if fault is None or fault.fault in ("msg_too_long", "rejected"):
                log.exception("could not post the failure message for job %s", job.id)
                return outcome
            count_failure(fault)
            return await self._slack_outcome(job, reply, fault)
        return outcome

    async def _slack_outcome(self, job: Job, reply: ThreadReply, fault: SlackFault) -> Outcome:
        """A Slack call failed for good: requeue, apologise, or stop quietly."""
        note = f"slack {fault.fault}: {fault.error}"
        if fault.fault == "auth":
            log.error(
                "Slack rejected the bot token of workspace %s (%s): job %s stopped. An operator "
                "must fix SLACK_BOT_TOKEN, or the workspace must reinstall the app.",
                job.team,
                fault.error,
                job.id,
            )
            return Outcome("failed", note)
        if fault.fault == "no_access":
            log.warning("job %s stopped: cannot post in %s (%s)", job.id, job.channel, fault.error)
            return Outcome("failed", note)
        settings = self.ctx.settings
        backoff = settings.slack_requeue_base_seconds * 2 ** max(0, job.attempts - 1)
        delay = min(MAX_REQUEUE_DELAY_S, max(backoff, fault.retry_after or 0.0))
        age = (self.ctx.store.now() - job.created_at).total_seconds()
        if age + delay > settings.slack_job_max_age_seconds:
            log.warning("job %s gave up after %d attempt(s): %s", job.id, job.attempts, note)
            await self._tell(reply, error_message(messages.SLACK_TROUBLE))
            return Outcome("failed", note)
        return Outcome("failed", note, retry_in=delay, fault=fault.fault)

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
        """Pick up jobs a previous run accepted but did not finish (pending ones wait for a
        slot; a dead worker's are taken over now); stale ones get an apology (see `run`)."""
        resumed = 0
        for job in await self.ctx.store.unfinished_jobs(exclude=set(self._active)):
            if job.id in self._active:
                continue  # started here while we were looking
            if job.status == "pending":
                if job.id in self._wanted:
                    continue  # waiting for a slot here already
                self._wanted.add(job.id)
            else:
                self._start(job, claimed=False)
            resumed += 1
        if self._wanted:
            self._wake_picker()
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
        self._stopping = True
        if self._sweeper is not None:
            self._sweeper.cancel()
            # Wait for it: a query cut off mid-flight must not outlive the store it used.
            await asyncio.gather(self._sweeper, return_exceptions=True)
            self._sweeper = None
        if self._picker is not None:  # nothing new starts; pending jobs stay in the store
            self._picker.cancel()
            await asyncio.gather(self._picker, return_exceptions=True)
            self._picker = None
        self._wanted.clear()
        for sign in set(self._signs):
            sign.cancel()
        for timer in self._timers:
            timer.cancel()  # the jobs stay pending in the store: whoever runs next takes them
        if self._tasks:
            _, pending = await asyncio.wait(set(self._tasks), timeout=timeout)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
