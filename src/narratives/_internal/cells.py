"""Table cells as read back from any output format: list cells and score cells.

Tag output written to Parquet keeps lists and dicts; JSONL keeps them as JSON; CSV has JSON or
``;``-joined strings. These functions accept all of them, so readers, the summaries and the
notebook helpers share one rule.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import numpy as np

from .._exceptions import InputError

__all__ = ["as_list", "as_scores", "is_listlike"]


def as_list(value: Any, strict: bool = False) -> list[str]:
    """A label or list cell as a list of strings.

    Accepts lists, tuples, sets, arrays, JSON list strings, ``;``-joined strings and mappings (their
    keys); None and NaN are empty. With ``strict``, any other value (a number...) is an
    :class:`InputError` instead of a one-element list.
    """
    if value is None or (isinstance(value, float) and value != value):
        return []
    if isinstance(value, str):
        s = value.strip()
        if s.startswith("["):
            try:
                return [str(x) for x in json.loads(s)]
            except json.JSONDecodeError:
                pass
        return [p.strip() for p in s.split(";") if p.strip()]
    if isinstance(value, Mapping):
        return [str(k) for k in value]
    if hasattr(value, "tolist"):
        value = value.tolist()
    if isinstance(value, (list, tuple, set)):
        return [str(x) for x in value]
    if strict:
        raise InputError(
            f"labels must be a list or a ';'-joined string, not {type(value).__name__} ({str(value)[:40]!r})"
        )
    return [str(value)]


def as_scores(value: Any) -> dict[str, float]:
    if value is None or (isinstance(value, float) and value != value):
        return {}
    if isinstance(value, str):
        value = json.loads(value) if value.strip() else {}
    if isinstance(value, Mapping):
        return {str(k): float(v) for k, v in value.items() if v is not None and v == v}
    return {}


def is_listlike(value: Any) -> bool:
    return isinstance(value, (list, tuple, set, np.ndarray))
