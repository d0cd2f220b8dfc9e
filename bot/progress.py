"""Progress lines on stderr, shown only when stderr is a terminal (never in pipes or logs)."""

from __future__ import annotations

import sys
from typing import TextIO


class Progress:
    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr
        self.enabled = self.stream.isatty()
        self._shown = False

    def step(self, message: str) -> None:
        if self.enabled:
            self.stream.write(f"\r\033[K{message}…")
            self.stream.flush()
            self._shown = True

    def clear(self) -> None:
        if self.enabled and self._shown:
            self.stream.write("\r\033[K")
            self.stream.flush()
            self._shown = False
