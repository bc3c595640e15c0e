"""The unit every reader yields (:class:`Chunk`: rows and the rejects with their reasons) and
the rules they share: what makes a text unusable, and how an input id becomes text."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

__all__ = ["BOM", "Chunk", "Ids", "Reject", "finish", "id_text", "replacement_id", "text_problem"]

log = logging.getLogger(__name__)

#: The UTF-8 byte order mark a spreadsheet's "CSV UTF-8" (and some editors) put at the start of a
#: file. Every text reader drops it there; elsewhere it is content.
BOM = b"\xef\xbb\xbf"


@dataclass(slots=True)
class Reject:
    id: str | None
    row: Any
    reason: str
    source: str = ""


@dataclass(slots=True)
class Chunk:
    frame: pd.DataFrame
    rejects: list[Reject] = field(default_factory=list)
    n_read: int = 0
    #: Rows whose id was missing or unusable and became ``row-N`` (see :func:`id_text`).
    replaced_ids: int = 0


def text_problem(value: Any) -> str | None:
    if (
        value is None
        or value is pd.NA
        or value is pd.NaT
        or (isinstance(value, float) and value != value)
    ):
        return "text is missing (null)"
    if isinstance(value, bytes):
        try:
            value.decode("utf-8")
        except UnicodeDecodeError:
            return "text is not valid UTF-8"
        return None
    if not isinstance(value, str):
        return f"text is {type(value).__name__}, not a string"
    return None


def finish(
    rows: list[dict[str, Any]], rejects: list[Reject], n_read: int, replaced: int = 0
) -> Chunk:
    frame = pd.DataFrame(rows) if rows else pd.DataFrame(columns=["id", "text", "row"])
    return Chunk(frame=frame, rejects=rejects, n_read=n_read, replaced_ids=replaced)


def id_text(value: Any) -> str | None:
    """An input id as text, or None when the row number must stand in for it.

    The rule: ids are text. A string is kept as it is (an empty one is missing); a number
    becomes its decimal text (``7``, ``7.0`` and ``"7"`` are the same id, 7); a missing id
    (null, NaN, empty) and one that is not a single value (a list, an object, true/false) are
    replaced by ``row-N``, N the row number (line number in JSONL), counted and warned about.
    The ``row-`` prefix keeps a replacement apart from the real ids of a file whose ids are
    numbers; ``narratives tag`` also makes every id unique (a repeated one gets ``#2``, ...).
    """
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if isinstance(value, str):
        return value or None
    if value is None or isinstance(value, (bool, list, tuple, dict, set)):
        return None
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return None
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value)


def replacement_id(rownum: int) -> str:
    """The id of a row whose id is missing or unusable (see :func:`id_text`)."""
    return f"row-{rownum}"


class Ids:
    """Ids of one input file: the rule of :func:`id_text`, with a count and one warning."""

    def __init__(self, path: Path):
        self.path, self.replaced, self.warned = path, 0, False

    def __call__(self, value: Any, rownum: int, has_column: bool) -> str:
        if not has_column:
            return str(rownum)  # no id column: row numbers are the documented ids
        rid = id_text(value)
        if rid is not None:
            return rid
        self.replaced += 1
        if not self.warned:
            self.warned = True
            log.warning(
                "%s, row %d: the id %s is %s; using %r instead (further "
                "replacements are counted in the summary)",
                self.path,
                rownum,
                repr(value.decode("utf-8", "replace") if isinstance(value, bytes) else value)[:40],
                "missing"
                if value in (None, "", b"") or value != value
                else "not a string or number",
                replacement_id(rownum),
            )
        return replacement_id(rownum)

    def take(self) -> int:
        n, self.replaced = self.replaced, 0
        return n
