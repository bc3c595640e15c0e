"""Date buckets for ``--by date:month`` and the like (summarize and validate share them)."""

from __future__ import annotations

import pandas as pd

__all__ = ["PERIODS", "bucket"]

#: Period name -> pandas period frequency.
PERIODS = {"day": "D", "week": "W", "month": "M", "quarter": "Q", "year": "Y"}


def bucket(values: pd.Series, period: str, missing: str | None) -> pd.Series:
    """Each value's period as text (``2024-03`` for a month); ``missing`` where it is no date."""
    dt = pd.to_datetime(values, errors="coerce", utc=True, format="mixed")
    if period == "day":
        out = dt.dt.strftime("%Y-%m-%d")
    elif period == "year":
        out = dt.dt.strftime("%Y")
    else:
        out = dt.dt.tz_localize(None).dt.to_period(PERIODS[period]).astype(str)
    return out.where(dt.notna(), missing)
