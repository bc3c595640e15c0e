"""Progress reporting for long tagging runs.

:func:`narratives.engine.tag_file` calls a :class:`Progress` object; the library never prints on
its own. The CLI picks :class:`RichProgress` (a bar with rows/s and ETA) on a terminal and
:class:`LineProgress` (one plain line every few seconds) otherwise (CI logs, ``nohup``).
"""

from __future__ import annotations

import sys
import time
from typing import IO, Any

__all__ = ["LineProgress", "Progress", "RichProgress"]


def _duration(seconds: float) -> str:
    seconds = round(seconds)
    h, rem = divmod(seconds, 3600)
    m, s = divmod(rem, 60)
    return f"{h}h{m:02d}m{s:02d}s" if h else (f"{m}m{s:02d}s" if m else f"{s}s")


class Progress:
    """Does nothing; subclasses show progress. Called from the main thread only, except
    :meth:`set_total` (from a counting thread)."""

    def start(self, done: int = 0, total: int | None = None) -> None:
        """The run starts; ``done`` rows were finished by an earlier, interrupted run."""

    def set_total(self, total: int | None) -> None:
        """The number of input rows, once known."""

    def advance(self, rows: int, words: int = 0) -> None:
        """``rows`` more input rows are finished (tagged or rejected)."""

    def finish(self) -> None:
        """The run ended (successfully or not)."""


class LineProgress(Progress):
    """A plain line every ``interval`` seconds, e.g.
    ``tagged 12,000/50,000 rows (24.0%) | 310 rows/s, 5,120 words/s | elapsed 38s | ETA 2m03s``."""

    def __init__(
        self, stream: IO[str] | None = None, interval: float = 10.0, label: str = "tagged"
    ):
        self.stream = stream
        self.interval = interval
        self.label = label
        self.total: int | None = None
        self.done = self.start_done = self.words = 0
        self.t0 = self.last = 0.0

    def start(self, done: int = 0, total: int | None = None) -> None:
        self.done = self.start_done = done
        self.total = total
        self.t0 = self.last = time.monotonic()

    def set_total(self, total: int | None) -> None:
        self.total = total

    def line(self) -> str:
        el = time.monotonic() - self.t0
        new = self.done - self.start_done
        rate = new / el if el > 0 else 0.0
        txt = f"{self.label} {self.done:,}"
        if self.total:
            txt += f"/{self.total:,} rows ({100 * self.done / self.total:.1f}%)"
        else:
            txt += " rows"
        txt += f" | {rate:,.0f} rows/s, {self.words / el if el > 0 else 0:,.0f} words/s | elapsed {_duration(el)}"
        if self.total and rate > 0:
            txt += f" | ETA {_duration(max(self.total - self.done, 0) / rate)}"
        return txt

    def advance(self, rows: int, words: int = 0) -> None:
        self.done += rows
        self.words += words
        now = time.monotonic()
        if now - self.last >= self.interval:
            self.last = now
            stream = self.stream or sys.stderr
            print(self.line(), file=stream, flush=True)


class RichProgress(Progress):
    """A rich progress bar (rows done / total, rows/s, elapsed, ETA) on a console."""

    def __init__(self, console: Any = None, label: str = "tagging"):
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            TaskProgressColumn,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )
        from rich.progress import (
            Progress as _P,
        )

        self._p = _P(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TaskProgressColumn(),
            TextColumn("{task.fields[rate]} rows/s"),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            console=console,
            transient=False,
        )
        self._label = label
        self._task = None
        self._t0 = 0.0
        self._start_done = 0
        self._done = 0

    def start(self, done: int = 0, total: int | None = None) -> None:
        self._p.start()
        self._t0 = time.monotonic()
        self._start_done = self._done = done
        self._task = self._p.add_task(self._label, total=total, completed=done, rate="-")

    def set_total(self, total: int | None) -> None:
        if self._task is not None and total:
            self._p.update(self._task, total=total)

    def advance(self, rows: int, words: int = 0) -> None:
        self._done += rows
        el = time.monotonic() - self._t0
        rate = (self._done - self._start_done) / el if el > 0 else 0.0
        if self._task is not None:
            self._p.update(self._task, advance=rows, rate=f"{rate:,.0f}")

    def finish(self) -> None:
        self._p.stop()
