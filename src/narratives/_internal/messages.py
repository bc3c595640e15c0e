"""One wording for "X not found; available: ..." errors."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

__all__ = ["not_found"]


def not_found(
    what: str, names: str | Iterable[str], available: Iterable[Any], where: Any = None
) -> str:
    """``column 'x' not found in data.csv; available: id, text`` (``(none)`` when nothing is).

    ``names`` is one name or several (shown as ``column(s) 'a', 'b'`` by the caller's ``what``).
    """
    shown = repr(names) if isinstance(names, str) else ", ".join(map(repr, names))
    place = f" in {where}" if where is not None else ""
    listed = ", ".join(map(str, available)) or "(none)"
    return f"{what} {shown} not found{place}; available: {listed}"
