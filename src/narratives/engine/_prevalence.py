"""Prevalence: the share of passages or documents carrying each frame, by stance and group.

Used by ``narratives summarize`` (:func:`narratives.engine.summarize`, chunk by chunk over a
large output file) and re-exported by :mod:`narratives.explore` for notebooks.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Iterable, Sequence

import pandas as pd

from .._exceptions import InputError
from .._internal.cells import as_list, is_listlike
from .._internal.messages import not_found
from .._internal.schema import LIST_COLUMNS
from .._internal.vocab import NONE_LABELS, STANCE_ORDER

log = logging.getLogger(__name__)

__all__ = ["NON_TEXT_FLAGS", "NO_VALUE", "infer_unit", "level_column", "prevalence"]

#: Passages that are not running text; left out of passage-level denominators by default.
NON_TEXT_FLAGS = ("boilerplate", "heading")
NO_VALUE = "(none)"


def level_column(level: str) -> tuple[str, str]:
    if level in ("frames", "fine", "frame"):
        return "frames", "frame"
    if level in ("families", "coarse", "family"):
        return "families", "family"
    raise InputError(f"level must be 'frames' or 'families', not {level!r}")


def infer_unit(df: pd.DataFrame) -> str:
    return "passage" if "passage" in df.columns else "document"


class _Counts:
    """Running counts for :func:`prevalence` (so chunks of a large file can be added up)."""

    def __init__(
        self,
        by: list[str],
        col: str,
        stance: bool,
        unit: str,
        none: frozenset[str],
        exclude_flags: Sequence[str],
    ):
        self.by, self.col, self.stance, self.unit = by, col, stance, unit
        self.none, self.exclude_flags = none, tuple(exclude_flags or ())
        self.n: Counter = Counter()
        self.total: Counter = Counter()
        self.offset = 0

    def add(self, df: pd.DataFrame) -> None:
        missing = [
            c
            for c in [self.col, *self.by, *(["stance"] if self.stance else [])]
            if c not in df.columns
        ]
        if missing:
            raise InputError(not_found("column(s)", missing, df.columns))
        if self.unit == "document" and "passage" in df.columns and "id" not in df.columns:
            raise InputError("document counts from passage rows need an 'id' column")
        if self.exclude_flags and "flag" in df.columns:
            df = df[~df["flag"].isin(self.exclude_flags)]
        k = len(df)
        if self.unit == "passage" or "id" not in df.columns or "passage" not in df.columns:
            # A passage, or a document row, is its own unit: ids only join the passages of one
            # document (two document rows under one id stay two documents, in any batch).
            units = list(range(self.offset, self.offset + k))
        else:
            units = df["id"].astype(str).tolist()
        self.offset += k
        col = self.col
        doc_of_passages = self.unit == "document" and "passage" in df.columns
        if doc_of_passages and f"document_{col}" in df.columns:
            # Passage rows carry their document's decisions (the length-aware document rule):
            # the same prevalence as the document file of the run.
            col = f"document_{col}"
        w = pd.DataFrame({"_unit": units})
        w["_labels"] = [[x for x in as_list(v) if x not in self.none] for v in df[col]]
        if self.stance:
            w["_stance"] = _stances(df, w["_labels"], self.col, doc_of_passages)
        for c in self.by:
            vals = df[c].tolist()
            if c in LIST_COLUMNS or any(is_listlike(v) for v in vals):
                lists = [as_list(v) for v in vals]
                if doc_of_passages:  # a document counts under every value any of its passages has
                    union: dict[str, dict[str, None]] = {}
                    for u, vs in zip(units, lists, strict=True):
                        union.setdefault(u, {}).update(dict.fromkeys(vs))
                    lists = [list(union[u]) for u in units]
                w[c] = [vs or [NO_VALUE] for vs in lists]
                w = w.explode(c, ignore_index=True)
            else:
                w[c] = [
                    NO_VALUE if v is None or (isinstance(v, float) and v != v) else v for v in vals
                ]
        keys = [*self.by, "_unit"]
        for rec in w.drop_duplicates(keys)[self.by].itertuples(index=False, name=None):
            self.total[rec] += 1
        if self.stance:
            # One (label, stance) pair per label: the label's own stance where known.
            w["_labels"] = [
                [(lab, st.get(lab, NO_VALUE) if isinstance(st, dict) else st) for lab in labs]
                for labs, st in zip(w["_labels"], w.pop("_stance"), strict=True)
            ]
        lab = w.explode("_labels", ignore_index=True).dropna(subset=["_labels"])
        if self.stance:
            lab["_stance"] = [p[1] for p in lab["_labels"]]
            lab["_labels"] = [p[0] for p in lab["_labels"]]
        cols = [*self.by, "_labels", *(["_stance"] if self.stance else [])]
        for rec in lab.drop_duplicates([*cols, "_unit"])[cols].itertuples(index=False, name=None):
            self.n[rec] += 1

    def frame(self, name: str) -> pd.DataFrame:
        cols = [*self.by, name, *(["stance"] if self.stance else []), "n", "total", "share"]
        nb = len(self.by)
        rows = []
        for key, n in self.n.items():
            group = key[:nb]
            total = self.total[group]
            rows.append((*key, n, total, n / total if total else 0.0))
        out = pd.DataFrame(rows, columns=cols)
        if not len(out):
            return out.astype({"n": int, "total": int, "share": float})
        if self.stance:
            rank = {s: i for i, s in enumerate(STANCE_ORDER)}
            out["_s"] = out["stance"].map(lambda s: rank.get(s, len(rank)))
        else:
            out["_s"] = 0
        overall = out.groupby(name)["n"].sum()
        out["_o"] = -out[name].map(overall)
        by = set(self.by)
        out = out.sort_values(
            [*self.by, "_o", name, "_s"],
            kind="stable",
            key=lambda c: (
                c.map(str) if c.name in by and c.dtype == object else c
            ),  # "(none)" among numbers
        ).drop(columns=["_s", "_o"])
        return out.reset_index(drop=True)


def _stances(df: pd.DataFrame, labels, col: str, doc_of_passages: bool) -> list:
    """Per row, the stance of its labels: a dict label -> stance from the per-frame ``stances``
    column (frames level), else the row's overall ``stance`` for all its labels."""
    per = "document_stances" if doc_of_passages and "document_stances" in df.columns else "stances"
    overall = [
        NO_VALUE if s is None or (isinstance(s, float) and s != s) else str(s) for s in df["stance"]
    ]
    if col != "frames" or per not in df.columns:
        return overall
    out = []
    for st, fallback in zip(df[per], overall, strict=True):
        if isinstance(st, str) and st.startswith("{"):  # a CSV cell
            st = json.loads(st)
        if isinstance(st, dict):
            st = {k: v for k, v in st.items() if v is not None}
        out.append(st if isinstance(st, dict) and st else fallback)
    return out


class _RepeatedIds:
    """Counts the passage rows that start another document under an id already used (passages
    of one id numbered from the start again), which document counts from passage rows merge
    with the first. ``narratives tag`` makes ids unique (``a#2``); files of earlier versions,
    edited ones or DataFrames may still repeat them. (Document rows are counted row by row.)"""

    def __init__(self) -> None:
        self.n = 0
        self.last: tuple[str, int] | None = None

    def add(self, df: pd.DataFrame) -> None:
        if "id" not in df.columns or not len(df):
            return
        ids = df["id"].astype(str)
        passage = pd.to_numeric(df["passage"], errors="coerce")
        prev_id, prev_p = ids.shift(), passage.shift()
        if self.last is not None:
            prev_id.iloc[0], prev_p.iloc[0] = self.last
        self.n += int(((ids == prev_id) & (passage <= prev_p)).sum())
        self.last = (ids.iloc[-1], passage.iloc[-1])

    def warn(self) -> None:
        if self.n:
            log.warning(
                "%d rows start another document under an id already used (an output of an "
                "earlier narratives tag, or a DataFrame with repeated ids?); documents are "
                "counted by id, so these are merged with the first: tag the input again, which "
                "gives each row a unique id (a#2), or make the ids unique",
                self.n,
            )


def _add(counters: list[_Counts], repeated: _RepeatedIds, chunk: pd.DataFrame) -> None:
    if counters[0].unit == "document" and "passage" in chunk.columns:
        repeated.add(chunk)
    for c in counters:
        c.add(chunk)


def prevalence(
    data: pd.DataFrame | Iterable[pd.DataFrame],
    by: str | Sequence[str] | None = None,
    *,
    unit: str | None = None,
    level: str = "frames",
    stance: bool = True,
    wide: bool = False,
    none_label: str | Iterable[str] | None = None,
    exclude_flags: Sequence[str] | None = NON_TEXT_FLAGS,
) -> pd.DataFrame:
    """Share of passages or documents carrying each frame (or family), by stance and group.

    Parameters
    ----------
    data : DataFrame or iterable of DataFrames
        Tag output (passage or document rows). An iterable (e.g. batches of a large Parquet
        file) is counted chunk by chunk; the passages of one document must be contiguous.
    by : str or list of str, optional
        Columns to group by (``outlet``, ``date``, ``countries`` ...). List-valued columns such
        as ``countries`` are exploded: a unit counts once under each value, and units with an
        empty list under ``"(none)"``. For months, add a column first
        (``df.assign(month=df.date.str[:7])``).
    unit : {"passage", "document"}, optional
        What is counted. Default: passages for passage rows, documents for document rows. With
        passage rows and ``unit="document"``, a document's frames and stances are the document
        decisions its rows carry (``document_frames``/``document_families`` and
        ``document_stances``, the length-aware rule of ``tag --unit document``); without those
        columns, a document has a frame (with a stance) when one of its passages does.
    level : {"frames", "families"}
        Fine frames or their families.
    stance : bool
        Split the counts by the ``stance`` column (promotes / reports / unknown / none). A
        document can count under two stances of the same frame, when two of its passages differ.
    wide : bool
        Return one row per (group, label) with a share column per stance plus ``all`` (share
        with the label whatever the stance) and ``n``/``total``, instead of the tidy table.
    none_label : str or list, optional
        The "no frame" label(s) to leave out (default: ``none`` and ``Other``).
    exclude_flags : list of str
        Passage flags left out of the counts and of the denominators (default: ``boilerplate``
        and ``heading``: not running text). ``None`` keeps every row.

    Returns
    -------
    DataFrame
        Tidy: ``[*by, "frame" | "family", "stance", "n", "total", "share"]`` where ``n`` is the
        number of units with the label (and stance) in the group, ``total`` the number of units
        in the group and ``share = n / total``. Sorted by group, then by overall frequency.

    Examples
    --------
    >>> rows = pd.DataFrame({"id": ["a", "b", "c"], "frames": [["x"], ["x", "y"], ["none"]],
    ...                      "stance": ["promotes", "reports", "none"]})
    >>> prevalence(rows, stance=False)
      frame  n  total     share
    0     x  2      3  0.666667
    1     y  1      3  0.333333
    """
    by_cols = [by] if isinstance(by, str) else list(by or [])
    col, name = level_column(level)
    if none_label is None:
        none = NONE_LABELS
    else:
        none = frozenset([none_label] if isinstance(none_label, str) else none_label)
    chunks = iter([data]) if isinstance(data, pd.DataFrame) else iter(data)
    counters: list[_Counts] = []
    repeated = _RepeatedIds()
    carry: pd.DataFrame | None = None
    for chunk in chunks:
        if not counters:
            u = unit or infer_unit(chunk)
            if u not in ("passage", "document"):
                raise InputError(f"unit must be 'passage' or 'document', not {u!r}")
            if u == "passage" and "passage" not in chunk.columns:
                raise InputError("passage counts need passage rows (tag with unit='passage')")
            counters.append(_Counts(by_cols, col, stance, u, none, exclude_flags or ()))
            if wide and stance:  # the "all" column: the same rows counted without stance
                counters.append(_Counts(by_cols, col, False, u, none, exclude_flags or ()))
        if carry is not None:
            chunk = pd.concat([carry, chunk], ignore_index=True)
            carry = None
        if (
            counters[0].unit == "document"
            and "passage" in chunk.columns
            and "id" in chunk.columns
            and len(chunk)
        ):
            # the last document may continue in the next chunk: hold its rows back
            tail = (chunk["id"] == chunk["id"].iloc[-1]).to_numpy()
            carry, chunk = chunk[tail], chunk[~tail]
        _add(counters, repeated, chunk)
    if not counters:
        raise InputError("no rows to count")
    if carry is not None and len(carry):
        _add(counters, repeated, carry)
    repeated.warn()
    table = counters[0].frame(name)
    # Every group's denominator, also of the groups in which no unit has a label (they have no
    # row in the table): what summarize needs to show a group at 0%.
    totals = dict(counters[0].total)
    table.attrs["group_totals"] = totals
    if not (wide and stance):
        return table
    allt = counters[1].frame(name)
    keys = [*by_cols, name]
    w = table.pivot_table(index=keys, columns="stance", values="share", fill_value=0.0, sort=False)
    w = w[
        [s for s in STANCE_ORDER if s in w.columns]
        + [s for s in w.columns if s not in STANCE_ORDER]
    ]
    w.columns = [str(c) for c in w.columns]
    out = (
        allt.set_index(keys)[["n", "total", "share"]]
        .rename(columns={"share": "all"})
        .join(w, how="left")
        .fillna(0.0)
    )
    out = out[[c for c in out.columns if c not in ("n", "total")] + ["n", "total"]].reset_index()
    out.attrs["group_totals"] = totals
    return out
