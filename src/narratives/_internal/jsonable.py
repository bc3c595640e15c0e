"""JSON for numpy values: the ``default=`` hook every JSON writer in the package uses."""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["json_default", "json_default_lenient"]


def json_default(o: Any) -> Any:
    """numpy scalars as Python scalars, arrays as lists; anything else is an error."""
    if isinstance(o, np.generic):
        return o.item()
    if isinstance(o, np.ndarray):
        return o.tolist()
    raise TypeError(f"not JSON serialisable: {type(o).__name__}")


def json_default_lenient(o: Any) -> Any:
    """Like :func:`json_default`, but anything else becomes its ``str`` (reports: a stray object
    should not lose an hour of evaluation)."""
    try:
        return json_default(o)
    except TypeError:
        return str(o)
