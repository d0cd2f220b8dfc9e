"""Polling waits for tests: return as soon as a condition holds, fail with what was seen.

Two flavours because a blocking wait inside a coroutine would freeze the very event loop the
bot under test runs on; the sync one refuses to run there and points at the async one.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")
Describe = str | Callable[[], str] | None

_INTERVAL = 0.01


class WaitTimeout(AssertionError):
    """Raised when a condition did not become true in time (an assertion failure in tests)."""


def wait_for(predicate: Callable[[], T], timeout: float = 5.0, message: Describe = None) -> T:
    """Poll `predicate` until it returns something truthy; return that value."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        pass
    else:
        raise RuntimeError("wait_for blocks the running event loop; use `await wait_for_async`")
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise WaitTimeout(_explain(predicate, timeout, message))
        time.sleep(_INTERVAL)


async def wait_for_async(
    predicate: Callable[[], T], timeout: float = 5.0, message: Describe = None
) -> T:
    """`wait_for` for coroutines: yields to the loop between polls."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise WaitTimeout(_explain(predicate, timeout, message))
        await asyncio.sleep(_INTERVAL)


def _explain(predicate: Callable[[], object], timeout: float, message: Describe) -> str:
    what = message() if callable(message) else message
    name = getattr(predicate, "__qualname__", repr(predicate))
    return f"not true within {timeout:g}s: {what or name}"
