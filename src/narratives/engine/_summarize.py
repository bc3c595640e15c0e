"""Prevalence tables from a tagged output file (``narratives summarize``).

The file is read in batches (only the needed columns of a Parquet file) and counted with
:func:`narratives.explore.prevalence`, so its size does not matter.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import pandas as pd

from .._exceptions import InputError
from .._internal.dates import PERIODS as DATE_PERIODS
from .._internal.dates import bucket
from .._internal.messages import not_found
from ..io import tag_output_batches
from ._prevalence import level_column, prevalence

__all__ = ["summarize", "summary_to_markdown"]

#: Columns read when present: per-frame stances, and the document decisions that passage rows
#: carry (so document prevalence from a passage file equals that from the document file).
_OPTIONAL = ("stances", "document_frames", "document_families", "document_stances")

_LABEL_COLUMNS = {
    "frames": "frames",
    "frame": "frames",
    "families": "families",
    "family": "families",
}
_PERIODS = DATE_PERIODS


def _parse_by(by: str | Sequence[str] | None) -> tuple[str | None, list[tuple[str, str | None]]]:
    """``"outlet,date:month,frames"`` -> (label level, [(column, period)])."""
    items = [
        b.strip()
        for b in (by.split(",") if isinstance(by, str) else list(by or []))
        if b and b.strip()
    ]
    level, groups = None, []
    for item in items:
        col, _, period = item.partition(":")
        col, period = col.strip(), period.strip().lower() or None
        if col in _LABEL_COLUMNS and not period:
            if level and level != _LABEL_COLUMNS[col]:
                raise InputError("group by frames or by families, not both")
            level = _LABEL_COLUMNS[col]
            continue
        if period and period not in _PERIODS:
            raise InputError(
                f"unknown period {period!r} in --by {item!r}; use one of {', '.join(_PERIODS)}"
            )
        groups.append((col, period))
    return level, groups


def _bucket(values: pd.Series, period: str) -> pd.Series:
    return bucket(values, period, None)


def summarize(
    path: str | Path,
    by: str | Sequence[str] | None = None,
    unit: str = "document",
    level: str | None = None,
    stance: bool = True,
    batch_rows: int = 50_000,
) -> pd.DataFrame:
    """Prevalence table of a ``narratives tag`` output: the share of documents (or passages)
    carrying each frame, overall and per stance, by any columns.

    Parameters
    ----------
    path : path
        A Parquet, JSONL or CSV output of ``narratives tag`` (passage or document rows); JSONL
        and CSV may be compressed (``.jsonl.gz``, ``.csv.zst``).
    by : str or list of str
        Comma-separated columns to group by, e.g. ``"outlet"``, ``"countries"`` (list columns
        are exploded: a document counts under each country it names), ``"date:month"``
        (dates bucketed by ``day``, ``week``, ``month``, ``quarter`` or ``year``). ``frames``
        or ``families`` choose the label level (default frames); alone (``--by frames``) they
        give one row per frame for the whole corpus.
    unit : {"document", "passage"}
        Count documents or passages. A document's frames are the ones ``narratives tag``
        decided for it (the ``document_frames`` of passage rows, the ``frames`` of document
        rows: the length-aware rule, so a document can lack a frame that one of its passages
        has); only a passage file without ``document_frames`` counts a frame when one of the
        document's passages has it.
    level : {"frames", "families"}, optional
        Label level when ``by`` does not name one.
    stance : bool
        Add one share column per stance (promotes, reports, unknown).

    Returns
    -------
    DataFrame
        One row per group and label: the group columns, ``frame`` (or ``family``), ``all``
        (share of the group's units with the label), one share column per stance when
        ``stance``, ``n`` (units with the label) and ``total`` (units in the group). Sorted by
        group, then by frequency.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"not found: {path}")
    if unit not in ("document", "passage"):
        raise InputError(f"unit must be 'document' or 'passage', not {unit!r}")
    by_level, groups = _parse_by(by)
    level = by_level or level or "frames"
    if level not in ("frames", "families"):
        raise InputError(f"level must be 'frames' or 'families', not {level!r}")
    group_cols = [c if p is None else f"{c}:{p}" for c, p in groups]
    source_cols = list(
        dict.fromkeys(
            ["id", "passage", "flag", "stance", level, *[c for c, _ in groups], *_OPTIONAL]
        )
    )

    def batches() -> Iterator[pd.DataFrame]:
        for df in tag_output_batches(
            path, source_cols, batch_rows, optional=("passage", "flag", "id", *_OPTIONAL)
        ):
            missing = [c for c, _ in groups if c not in df.columns]
            if missing:  # name every column of the file, not only the ones read
                every = next(tag_output_batches(path, None, 1), df).columns
                raise InputError(not_found("column(s)", missing, every, path))
            for (c, p), name in zip(groups, group_cols, strict=True):
                if p is not None:
                    df[name] = _bucket(df[c], p)
            yield df

    try:
        table = prevalence(
            batches(), by=group_cols, unit=unit, level=level, stance=stance, wide=stance
        )
    except InputError as exc:
        if "passage counts need passage rows" in str(exc):
            raise InputError(
                f"{path} has one row per document: summarize it with unit 'document'"
            ) from None
        raise
    totals = table.attrs.get("group_totals", {})
    if not stance:
        table = table.rename(columns={"share": "all"})
        table = table[[c for c in table.columns if c not in ("n", "total")] + ["n", "total"]]
    return _with_empty_groups(table, group_cols, level, totals)


#: The label of the row that keeps a group without any labelled unit in the summary table.
NO_LABEL = "(no label)"


def _with_empty_groups(
    table: pd.DataFrame, group_cols: list[str], level: str, totals: dict
) -> pd.DataFrame:
    """``table`` plus a row per group in which no unit has a label (label ``(no label)``, n 0,
    its total): a group at 0% keeps its denominator in the table instead of vanishing."""
    if not group_cols or not totals:
        return table
    name = level_column(level)[1]
    present = set(table[group_cols].itertuples(index=False, name=None)) if len(table) else set()
    empty = [(g, t) for g, t in totals.items() if tuple(g) not in present]
    if not empty:
        return table
    shares = [c for c in table.columns if c not in (*group_cols, name, "n", "total")]
    rows = pd.DataFrame(
        [
            {**dict(zip(group_cols, g, strict=True)), name: NO_LABEL, **dict.fromkeys(shares, 0.0),
             "n": 0, "total": t}
            for g, t in empty
        ]
    )  # fmt: skip
    out = pd.concat([table, rows[table.columns]], ignore_index=True)
    return out.sort_values(group_cols, kind="stable", key=lambda c: c.map(str)).reset_index(
        drop=True
    )


def summary_to_markdown(table: pd.DataFrame, digits: int = 1) -> str:
    """A Markdown table with shares as percentages."""
    cols = list(table.columns)
    shares = [c for c in cols if c not in ("n", "total") and pd.api.types.is_float_dtype(table[c])]

    def cell(c: str, v) -> str:
        if c in shares:
            return f"{100 * float(v):.{digits}f}%"
        return str(v).replace("|", "\\|")

    lines = [
        "| " + " | ".join(cols) + " |",
        "|" + "|".join("---:" if c in shares or c in ("n", "total") else "---" for c in cols) + "|",
    ]
    for rec in table.itertuples(index=False, name=None):
        lines.append("| " + " | ".join(cell(c, v) for c, v in zip(cols, rec, strict=True)) + " |")
    return "\n".join(lines) + "\n"
