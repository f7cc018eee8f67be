"""A one-line progress report for long commands, drawn only on a terminal."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from typing import TextIO

__all__ = ["Progress"]

_BAR_WIDTH = 24
_CLEAR_TO_END = "\x1b[K"


class Progress:
    """Commits done (and bytes, when the total is known), redrawn in place on ``stream``.

    Silent unless ``stream`` is a terminal, so that logs and pipes never see it.

    Args:
        stream: where to draw, normally ``sys.stderr``.
        verb: what is being done to the commits, such as ``"exported"``.
        total_bytes: the size of the input, to draw a bar; ``None`` when unknown.
        interval: the least time between two redraws, in seconds.
    """

    def __init__(
        self, stream: TextIO, verb: str, total_bytes: int | None = None, interval: float = 0.1
    ) -> None:
        self._stream = stream
        self._verb = verb
        self._total = total_bytes or None
        self._interval = interval
        self._enabled = stream.isatty()
        self._started = time.monotonic()
        self._drawn = float("-inf")

    def update(self, commits: int, done_bytes: int = 0) -> None:
        """Report progress; redraws at most once per ``interval``."""
        now = time.monotonic()
        if self._enabled and now - self._drawn >= self._interval:
            self._drawn = now
            self._draw(commits, done_bytes, now)

    def finish(self, commits: int, done_bytes: int = 0) -> None:
        """Draw the final state and end the line."""
        if self._enabled:
            self._draw(commits, done_bytes, time.monotonic())
            self._stream.write("\n")
            self._stream.flush()

    def _draw(self, commits: int, done_bytes: int, now: float) -> None:
        elapsed = max(now - self._started, 1e-9)
        line = f"{self._verb} {commits:,} commits ({commits / elapsed:,.0f}/s)"
        if self._total is not None:
            share = min(done_bytes / self._total, 1.0)
            filled = round(share * _BAR_WIDTH)
            bar = "#" * filled + "." * (_BAR_WIDTH - filled)
            line = f"[{bar}] {share:4.0%} of {_megabytes(self._total)}  {line}"
        self._stream.write(f"\r{line}{_CLEAR_TO_END}")
        self._stream.flush()


def _megabytes(size: int) -> str:
    return f"{size / 1_000_000:,.1f} MB"
