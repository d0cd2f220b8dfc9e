"""Fair sharing of scarce resources (LLM call slots, extraction processes) between requesters.

A plain semaphore serves waiters first come, first served: 200 mentions from one person queue
ahead of everyone else's single one. `FairLimiter` keeps one queue per requester and hands a
free slot to the requesters in turn (round robin over users, then over that user's channels),
so a flood from one user or channel delays that user, not the others. Nothing is dropped and no
slot idles while anyone waits.

The requester is read from a context variable that the Slack job runner sets for each job's
task; code without one (the CLI, the evaluator) shares a single anonymous queue, which makes
these FIFO there. `FairExecutor` does the same for work sent to a process pool, whose own
queue is first come, first served.
"""

from __future__ import annotations

import asyncio
import functools
import threading
from collections import OrderedDict, deque
from collections.abc import Callable
from concurrent.futures import CancelledError, Executor, Future
from contextvars import ContextVar
from types import TracebackType
from typing import Any, Generic, ParamSpec, TypeVar

T = TypeVar("T")
R = TypeVar("R")
P = ParamSpec("P")

# (user, channel) of the request being worked on; () outside any request.
requester: ContextVar[tuple[str, ...]] = ContextVar("requester", default=())


class _Node(Generic[T]):
    """A level of the round robin: children in turn, or (at a leaf) items in order."""

    __slots__ = ("children", "items")

    def __init__(self) -> None:
        self.children: OrderedDict[str, _Node[T]] = OrderedDict()
        self.items: deque[T] = deque()

    def empty(self) -> bool:
        return not self.children and not self.items

    def push(self, path: tuple[str, ...], item: T) -> None:
        if not path:
            self.items.append(item)
            return
        child = self.children.get(path[0])
        if child is None:
            child = self.children[path[0]] = _Node()
        child.push(path[1:], item)

    def pop(self, live: Callable[[T], bool]) -> T | None:
        """The next live item in turn: this node's own items first, then the next child's.
        Items that are no longer `live` (cancelled waiters) are dropped on the way."""
        while self.items:
            item = self.items.popleft()
            if live(item):
                return item
        while self.children:
            key, child = next(iter(self.children.items()))
            found = child.pop(live)
            del self.children[key]
            if not child.empty():
                self.children[key] = child  # back of the line: the next child's turn
            if found is not None:
                return found
        return None


def _waiting(waiter: asyncio.Future[None]) -> bool:
    return not waiter.done()


class FairLimiter:
    """At most `limit` holders at a time; waiters served round robin by requester.

    Used like `asyncio.Semaphore`: `async with limiter: ...`.
    """

    def __init__(self, limit: int) -> None:
        if limit < 1:
            raise ValueError("limit must be at least 1")
        self.limit = limit
        self._holders = 0
        self._queue: _Node[asyncio.Future[None]] = _Node()

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
        waiter = self._queue.pop(_waiting)
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


_Call = tuple[Future[Any], Callable[..., Any], tuple[Any, ...], dict[str, Any]]


def _not_cancelled(call: _Call) -> bool:
    return not call[0].cancelled()


class FairExecutor(Executor):
    """Hands an executor at most `limit` calls at a time, taken round robin by requester.

    The rest wait here, per requester, rather than in the pool's FIFO queue, so one user's
    200 articles do not stand between another user's one article and the worker process.
    """

    def __init__(self, inner: Executor, limit: int) -> None:
        if limit < 1:
            raise ValueError("limit must be at least 1")
        self.inner = inner
        self.limit = limit
        self._lock = threading.Lock()  # completions arrive on the pool's own thread
        self._running = 0
        self._queue: _Node[_Call] = _Node()

    def submit(self, fn: Callable[P, R], /, *args: P.args, **kwargs: P.kwargs) -> Future[R]:
        outer: Future[R] = Future()
        call: _Call = (outer, fn, args, kwargs)
        with self._lock:
            if self._running >= self.limit:
                self._queue.push(requester.get(), call)
                return outer
            self._running += 1
        self._run(call)
        return outer

    def _run(self, call: _Call | None) -> None:
        """Start `call` on the inner executor; when one cannot start, start the next."""
        while call is not None:
            outer, fn, args, kwargs = call
            if outer.set_running_or_notify_cancel():
                try:
                    inner = self.inner.submit(fn, *args, **kwargs)
                except BaseException as exc:  # a broken or shut-down pool
                    outer.set_exception(exc)
                else:
                    inner.add_done_callback(functools.partial(self._finished, outer))
                    return
            call = self._next()

    def _finished(self, outer: Future[Any], inner: Future[Any]) -> None:
        if inner.cancelled():
            outer.set_exception(CancelledError())
        elif (exc := inner.exception()) is not None:
            outer.set_exception(exc)
        else:
            outer.set_result(inner.result())
        self._run(self._next())

    def _next(self) -> _Call | None:
        """The next call in turn (its slot passes to it), or None (the slot is freed)."""
        with self._lock:
            call = self._queue.pop(_not_cancelled)
            if call is None:
                self._running -= 1
            return call

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        if cancel_futures:
            with self._lock:
                while (call := self._queue.pop(_not_cancelled)) is not None:
                    call[0].cancel()
        self.inner.shutdown(wait=wait, cancel_futures=cancel_futures)
