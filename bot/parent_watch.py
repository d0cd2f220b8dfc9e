"""Worker processes die with the bot, kill -9 included.

A `ProcessPoolExecutor` worker waits on a pipe from its parent and exits on a clean shutdown,
but a parent killed with SIGKILL leaves it (and the multiprocessing resource tracker it keeps
alive through an inherited pipe) running for ever: ~60 MB each, per crash. Two guards, run as
the pool's initializer in each worker:

- Linux: `prctl(PR_SET_PDEATHSIG, SIGKILL)`, so the kernel kills the worker the moment its
  parent dies. (The signal fires when the *thread* that started the worker exits; the pool
  starts workers from the event loop's thread, which lives as long as the bot.)
- Everywhere: a daemon thread that polls `os.getppid()` and exits once the worker has been
  re-parented, for systems without prctl.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
import sys
import threading
import time

_PR_SET_PDEATHSIG = 1
POLL_INTERVAL_S = 0.5


def exit_with_parent(parent_pid: int) -> None:
    """Pool initializer: make this process exit as soon as `parent_pid` is gone."""
    if sys.platform.startswith("linux"):
        _set_parent_death_signal()
    if os.getppid() != parent_pid:  # the parent died before we got here
        os._exit(1)
    threading.Thread(
        target=_poll_parent, args=(parent_pid,), name="parent-watch", daemon=True
    ).start()


def _set_parent_death_signal() -> None:
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
    except (OSError, AttributeError):
        pass  # the polling thread still covers it


def _poll_parent(parent_pid: int) -> None:
    while os.getppid() == parent_pid:
        time.sleep(POLL_INTERVAL_S)
    os._exit(1)
