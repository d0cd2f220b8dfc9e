"""Fair sharing of a scarce resource (LLM call slots) between the people asking for it.

A plain semaphore serves waiters first come, first served: 200 mentions from one person queue
ahead of everyone else's single one. `FairLimiter` keeps one queue per requester and hands a
free slot to the requesters in turn (round robin over users, then over that user's channels),
so a flood from one user or channel delays that user, not the others. Nothing is dropped and no
slot idles while anyone waits.

The requester is read from a context variable that the Slack job runner sets for each job's
task; code without one (the CLI, the evaluator) shares a single anonymous queue, which makes
the limiter a FIFO semaphore there.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict, deque
from contextvars import ContextVar
from types import TracebackType

# (user, channel) of the request being worked on; () outside any request.
requester: ContextVar[tuple[str, ...]] = ContextVar("requester", default=())


class _Node:
    """A level of the round robin: children in turn, or (at a leaf) waiters in order."""

    __slots__ = ("children", "waiters")

    def __init__(self) -> None:
        self.children: OrderedDict[str, _Node] = OrderedDict()
        self.waiters: deque[asyncio.Future[None]] = deque()

    def empty(self) -> bool:
        return not self.children and not self.waiters

    def push(self, path: tuple[str, ...], waiter: asyncio.Future[None]) -> None:
        if not path:
            self.waiters.append(waiter)
            return
        child = self.children.get(path[0])
        if child is None:
            child = self.children[path[0]] = _Node()
        child.push(path[1:], waiter)

    def pop(self) -> asyncio.Future[None] | None:
        """The next waiter in turn: this node's own waiters first, then the next child's."""
        while self.waiters:
            waiter = self.waiters.popleft()
            if not waiter.done():  # skip the cancelled
                return waiter
        while self.children:
            key, child = next(iter(self.children.items()))
            waiter = child.pop()
            del self.children[key]
            if not child.empty():
                self.children[key] = child  # back of the line: the next child's turn
            if waiter is not None:
                return waiter
        return None


class FairLimiter:
    """At most `limit` holders at a time; waiters served round robin by requester.

    Used like `asyncio.Semaphore`: `async with limiter: ...`.
    """

    def __init__(self, limit: int) -> None:
        if limit < 1:
            raise ValueError("limit must be at least 1")
        self.limit = limit
        self._holders = 0
        self._queue = _Node()

    @property
    def holders(self) -> int:
        return self._holders

    async def acquire(self) -> None:
        if self._holders < self.limit and self._queue.empty():
            self._holders += 1
            return
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._queue.push(requester.get(), waiter)
        try:
            await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self._release_slot()  # granted just as we were cancelled: pass it on
            raise
        # The slot was handed over by `release` (holders count already includes us).

    def release(self) -> None:
        self._release_slot()

    def _release_slot(self) -> None:
        waiter = self._queue.pop()
        if waiter is None:
            self._holders -= 1
            return
        waiter.set_result(None)  # the slot passes straight to the next in turn

    async def __aenter__(self) -> None:
        await self.acquire()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()
