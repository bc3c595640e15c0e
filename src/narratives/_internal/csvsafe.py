"""CSV cells that a spreadsheet will not run as formulas (OWASP "CSV injection").

A text cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is written with
a leading apostrophe, which spreadsheets show as text. Plain numbers (``-3``, ``+1.5e3``) are left
alone: they cannot be formulas. A cell that already starts with apostrophes followed by one of
those characters gets one more, so :func:`restore` gives back exactly what was written, and the
CSV files narratives reads back (its own tag output, filled-in annotation sheets) are read
exactly. JSONL and Parquet outputs are never changed.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["TRIGGERS", "neutralise", "restore"]

#: The first characters that make a spreadsheet evaluate a cell.
TRIGGERS = "=+-@\t\r"
_NEEDS = re.compile(r"'*[=+\-@\t\r]")
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def neutralise(value: Any) -> Any:
    """``value`` with a leading apostrophe when it is a string a spreadsheet would evaluate."""
    if isinstance(value, str) and _NEEDS.match(value) and not _NUMBER.fullmatch(value):
        return "'" + value
    return value


def restore(value: Any) -> Any:
    """The inverse of :func:`neutralise` for cells read back from a CSV file."""
    if isinstance(value, str) and value.startswith("'") and _NEEDS.match(value, 1):
        return value[1:]
    return value
