"""Tagging a ``dask.dataframe`` partition by partition (for Dask users with data already in Dask).

``narratives tag --engine dask`` streams a file through a cluster with checkpoints; this module is
the lazy, in-Dask equivalent: :func:`tag_dataframe` maps the same per-chunk tagging over the
partitions of a dask DataFrame and returns a dask DataFrame, e.g. to write Parquet from the
workers::

    import dask.dataframe as dd
    from narratives.engine import tag_dataframe, parquet_schema

    docs = dd.read_parquet("s3://bucket/corpus/")              # columns id, text, outlet, ...
    tagged = tag_dataframe(docs, model)                         # lazy
    tagged.to_parquet("s3://bucket/tags/", schema=parquet_schema(tagged, model))
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np
import pandas as pd

from .._exceptions import InputError, NarrativesError
from .._internal.messages import not_found
from .._model import UNITS, NarrativeModel
from ..io import output_schema
from ..io._chunks import text_problem
from ._work import ChunkOptions, empty_columns, tag_frame

__all__ = ["parquet_schema", "tag_dataframe"]

_LOCK = threading.Lock()
_INT = ("passage", "start", "end", "n_passages")


def _columns(unit: str, with_text: bool, extra: list[str]) -> list[str]:
    base = empty_columns(unit, with_text)
    return base + [f"{c}_input" if c in base else c for c in extra]


def _meta(columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="int64" if c in _INT else object) for c in columns})


def _rejected_rows(ids: list[str], reasons: list[str], columns: list[str]) -> pd.DataFrame:
    fill: dict[str, Any] = {
        "passage": -1,
        "start": 0,
        "end": 0,
        "n_passages": 0,
        "text": "",
        "stance": "none",
        "lang": "",
    }
    rows = []
    for rid, reason in zip(ids, reasons, strict=True):
        row = {c: fill.get(c) for c in columns}
        for c in ("frames", "families", "countries"):
            row[c] = []
        for c in ("scores", "evidence", "stances", "frame_passages"):
            row[c] = {}
        row.update(id=rid, flag=f"rejected: {reason}")
        rows.append({c: row.get(c) for c in columns})
    return pd.DataFrame(rows, columns=columns)


def _tag_partition(
    pdf: pd.DataFrame,
    model: NarrativeModel,
    opts: ChunkOptions,
    text_column: str,
    id_column: str | None,
    columns: list[str],
) -> pd.DataFrame:
    if not len(pdf):
        return _meta(columns)
    ids = np.asarray(
        pdf[id_column].astype(str).tolist() if id_column else [str(i) for i in pdf.index],
        dtype=object,
    )
    texts = pdf[text_column].tolist()
    problems = [text_problem(t) for t in texts]
    ok = [i for i, p in enumerate(problems) if p is None]
    # Positions as ids while tagging: rows stay in input order and duplicate ids stay apart.
    frame = pd.DataFrame(
        {
            "id": [str(i) for i in ok],
            "text": [
                t.decode("utf-8") if isinstance(t, bytes) else t for t in (texts[i] for i in ok)
            ],
            "row": ok,
        }
    )
    for c in pdf.columns:
        if c not in (text_column, id_column):
            frame[c] = pdf[c].to_numpy(dtype=object)[ok]
    with _LOCK:  # one partition at a time per worker process: spaCy is not shared across threads
        out, rejects, _ = tag_frame(model, frame, opts)
    parts = []
    if out is not None:
        out = out.reindex(columns=columns)
        out.insert(0, "_pos", out["id"].astype(int))
        parts.append(out)
    bad = [(i, p) for i, p in enumerate(problems) if p is not None] + [
        (int(r.id), r.reason) for r in rejects
    ]
    if bad:
        rej = _rejected_rows([str(i) for i, _ in bad], [r for _, r in bad], columns)
        rej.insert(0, "_pos", [i for i, _ in bad])
        parts.append(rej)
    res = pd.concat(parts, ignore_index=True).sort_values("_pos", kind="stable")
    res["id"] = ids[res.pop("_pos").to_numpy(dtype=np.int64)]
    res = res.reset_index(drop=True)
    for c in _INT:
        if c in res.columns:
            res[c] = res[c].astype("int64")
    return res


def tag_dataframe(
    ddf: Any,
    model: NarrativeModel,
    unit: str = "passage",
    text_column: str = "text",
    id_column: str | None = "id",
    with_text: bool = True,
    max_chars: int | None = None,
) -> Any:
    """Tag a dask DataFrame lazily, partition by partition; returns a dask DataFrame.

    Each worker gets the model once (one node of the task graph). Labels are those of
    :func:`tag_file` and :meth:`NarrativeModel.tag`. Nothing disappears: a row whose text is
    missing or not a string, or (passage level) has nothing to tag, gives one output row with
    ``passage`` -1, no labels and ``flag`` ``"rejected: <reason>"``.

    Parameters
    ----------
    ddf : dask.dataframe.DataFrame
        Documents, one per row.
    model : NarrativeModel
    unit : {"passage", "document"}
    text_column, id_column : str
        ``id_column=None`` (or a missing ``id`` column) uses the index as the id.
    with_text : bool
        Passage rows carry their text.
    max_chars : int, optional
        Tag at most this many characters of each document (see :func:`tag_file`).

    Returns
    -------
    dask.dataframe.DataFrame
        The output columns of ``narratives tag`` plus the input's other columns (as strings).
        Write it with ``.to_parquet(path, schema=parquet_schema(result, model))``.
    """
    try:
        import dask
    except ImportError:
        raise NarrativesError("tag_dataframe needs Dask: pip install 'narratives[dask]'") from None
    if unit not in UNITS:
        raise InputError(f"unit must be one of {UNITS}, not {unit!r}")
    if text_column not in ddf.columns:
        raise InputError(not_found("column", text_column, ddf.columns))
    if id_column is not None and id_column not in ddf.columns:
        if id_column != "id":
            raise InputError(not_found("id column", id_column, ddf.columns))
        id_column = None
    if max_chars is not None:
        import copy

        model = copy.deepcopy(model)  # the caller's model keeps its limit
        model.decider.named_steps["preprocess"].set_params(max_chars=max_chars)
    extra = [c for c in ddf.columns if c not in (text_column, id_column)]
    columns = _columns(unit, with_text, extra)
    opts = ChunkOptions(unit=unit, kind="parquet", with_text=with_text, source="dask dataframe")
    shared_model = dask.delayed(model, pure=True, traverse=False)
    return ddf.map_partitions(
        _tag_partition,
        shared_model,
        opts,
        text_column,
        id_column,
        columns,
        meta=_meta(columns),
        align_dataframes=False,
    )


def parquet_schema(tagged: Any, model: NarrativeModel):
    """The Arrow schema for writing :func:`tag_dataframe` output (``to_parquet(schema=...)``):
    the same column types as ``narratives tag`` writes."""
    return output_schema(list(tagged.columns), model.decider.classifier.fine_labels_)
