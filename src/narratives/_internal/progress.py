"""Progress bars for notebook and terminal users of the Python API (``tqdm.auto``).

The library never prints; a progress bar is what a user asks for (``progress=True``) or gets by
default in an interactive session: a Jupyter kernel (tqdm's notebook widget, or its text bar
without ipywidgets) or a terminal on standard error. Scripts, pipes, CI logs and tests get none.
``TQDM_DISABLE=1`` in the environment turns every bar off.

A bar opened inside another call's bar (``narratives.evaluate`` training a model per fold) does not
show unless asked for with ``progress=True``: one bar for the call the user made, shown or not.

Deep loops report work through :func:`tick` (e.g. each label model fitted); only a bar opened with
``ticks=True`` counts them, and nothing happens when no bar listens.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

__all__ = ["Bar", "bar", "interactive", "tick", "wanted"]

_OPEN: ContextVar[bool] = ContextVar("narratives_progress_open", default=False)
_TICK: ContextVar[Callable[[int], Any] | None] = ContextVar(
    "narratives_progress_tick", default=None
)


class Bar:
    """The part of a tqdm bar the library uses; this base class shows nothing."""

    def update(self, n: int = 1) -> None:
        """``n`` more units are done."""

    def set_description(self, desc: str) -> None:
        """What is being done now."""


def _in_notebook() -> bool:
    """A Jupyter (IPython kernel) session, by tqdm's own test."""
    ipython = sys.modules.get("IPython")
    if ipython is None:
        return False
    try:
        shell = ipython.get_ipython()
        return shell is not None and "IPKernelApp" in shell.config
    except Exception:  # an IPython too old or too odd to ask: no bar
        return False


def interactive() -> bool:
    """Whether someone is watching: a Jupyter kernel, or standard error is a terminal."""
    if _in_notebook():
        return True
    try:
        return sys.stderr is not None and sys.stderr.isatty()
    except (AttributeError, ValueError):  # replaced or closed stream
        return False


def wanted(progress: bool | None) -> bool:
    """``progress`` as given; ``None``: interactive and not inside another call's bar."""
    if progress is None:
        return not _OPEN.get() and interactive()
    return bool(progress)


class _Tqdm(Bar):
    def __init__(self, bar: Any):
        self._bar = bar

    def update(self, n: int = 1) -> None:
        self._bar.update(n)

    def set_description(self, desc: str) -> None:
        self._bar.set_description(desc, refresh=True)


@contextmanager
def bar(
    progress: bool | None,
    total: int | None,
    desc: str,
    unit: str = "it",
    ticks: bool = False,
) -> Iterator[Bar]:
    """A progress bar for the ``with`` block (a silent :class:`Bar` when not :func:`wanted`).

    ``ticks=True``: :func:`tick` calls inside the block advance this bar. Any other bar, shown or
    not, stops ticks from reaching an outer one.
    """
    show = wanted(progress)
    shown: Bar = Bar()
    tqdm_bar = None
    if show:
        from tqdm.auto import tqdm

        tqdm_bar = tqdm(total=total, desc=desc, unit=unit, dynamic_ncols=True)
        shown = _Tqdm(tqdm_bar)
    open_token = _OPEN.set(True)
    tick_token = _TICK.set(shown.update if ticks and show else None)
    try:
        yield shown
    finally:
        _TICK.reset(tick_token)
        _OPEN.reset(open_token)
        if tqdm_bar is not None:
            tqdm_bar.close()


def tick(n: int = 1) -> None:
    """``n`` more units of work are done (counted by the bar opened with ``ticks=True``, if any)."""
    update = _TICK.get()
    if update is not None:
        update(n)
