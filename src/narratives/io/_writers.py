"""Incremental, atomic writers for JSONL, CSV and Parquet; the rejects file; SemEval predictions."""

from __future__ import annotations

import csv
import json
import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .._exceptions import InputError
from ._readers import Reject

__all__ = ["TableWriter", "check_output_path", "output_format", "rejects_path", "write_rejects"]

_OUT = {
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".csv": "csv",
    ".parquet": "parquet",
    ".pq": "parquet",
}


def output_format(path: str | Path) -> str:
    ext = Path(path).suffix.lower()
    if ext not in _OUT:
        raise InputError(f"cannot tell the output format of {path}: use .jsonl, .csv or .parquet")
    return _OUT[ext]


def check_output_path(path: str | Path) -> Path:
    """Fail before any work when the output cannot be written."""
    path = Path(path)
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.exists():
        raise InputError(f"output folder does not exist: {parent}")
    if not parent.is_dir():
        raise InputError(f"output folder {parent} is not a folder")
    if path.is_dir():
        raise InputError(f"output path is a folder: {path}")
    if not os.access(parent, os.W_OK) or not _can_create_in(parent):
        raise InputError(f"output folder is not writable: {parent}")
    return path


def _can_create_in(folder: Path) -> bool:
    """Try it: ``os.access`` says yes to root on read-only mounts and ignores ACLs."""
    try:
        with tempfile.TemporaryFile(dir=folder):
            return True
    except OSError:
        return False


def rejects_path(output: str | Path) -> Path:
    """``OUT.parquet`` -> ``OUT.rejects.jsonl`` next to it."""
    output = Path(output)
    return output.with_name(output.name.rsplit(".", 1)[0] + ".rejects.jsonl")


def _jsonable(v: Any) -> Any:
    if isinstance(v, np.ndarray):
        return v.tolist()
    if isinstance(v, np.generic):
        return v.item()
    if isinstance(v, float) and v != v:
        return None
    if isinstance(v, pd.Timestamp):
        return v.isoformat()
    return v


class TableWriter:
    """Write DataFrames batch by batch to ``path`` (format from the extension), atomically.

    Rows go to ``<path>.partial`` and the file is renamed into place by :meth:`commit`; an
    interrupted run never leaves a truncated file under the final name.
    """

    def __init__(self, path: str | Path, partial: str | Path | None = None):
        self.path = Path(path)
        self.fmt = output_format(self.path)
        self.partial = (
            Path(partial) if partial else self.path.with_name(self.path.name + ".partial")
        )
        self._fh = None
        self._pq = None
        self._csv = None
        self._schema = None
        self.rows = 0

    def write(self, df: pd.DataFrame) -> None:
        if self.fmt == "parquet":
            import pyarrow as pa
            import pyarrow.parquet as pq

            table = pa.Table.from_pandas(df, preserve_index=False)
            if self._pq is None:
                self._schema = table.schema
                self._pq = pq.ParquetWriter(self.partial, self._schema, compression="zstd")
            else:
                table = table.cast(self._schema) if table.schema != self._schema else table
            self._pq.write_table(table)
        elif self.fmt == "jsonl":
            if self._fh is None:
                self._fh = open(self.partial, "w", encoding="utf-8")  # noqa: SIM115 (closed in close())
            cols = list(df.columns)
            for rec in df.itertuples(index=False, name=None):
                obj = {c: _jsonable(v) for c, v in zip(cols, rec, strict=True)}
                self._fh.write(json.dumps(obj, ensure_ascii=False, default=_jsonable) + "\n")
        else:
            if self._fh is None:
                self._fh = open(self.partial, "w", encoding="utf-8", newline="")  # noqa: SIM115
                self._csv = csv.writer(self._fh)
                self._csv.writerow(df.columns)
                self._cols = list(df.columns)
            for rec in df[self._cols].itertuples(index=False, name=None):
                self._csv.writerow([_csv_cell(v) for v in rec])
        self.rows += len(df)

    def flush(self) -> None:
        if self._fh is not None:
            self._fh.flush()
            os.fsync(self._fh.fileno())

    def close(self) -> None:
        if self._pq is not None:
            self._pq.close()
            self._pq = None
        if self._fh is not None:
            self._fh.close()
            self._fh = None

    def commit(self, empty_frame: pd.DataFrame | None = None) -> Path:
        """Close and move the file into place (writing an empty table when nothing was written)."""
        if self.rows == 0 and self._pq is None and self._fh is None and empty_frame is not None:
            self.write(empty_frame)
        self.close()
        if not self.partial.exists():
            self.partial.touch()
        os.replace(self.partial, self.path)
        return self.path

    def abort(self) -> None:
        self.close()


def _csv_cell(v: Any) -> Any:
    if isinstance(v, (list, tuple, np.ndarray)):
        return ";".join(str(x) for x in v)
    if isinstance(v, dict):
        return json.dumps({k: _jsonable(x) for k, x in v.items()}, ensure_ascii=False)
    return _jsonable(v)


def write_rejects(path: str | Path, rejects: list[Reject], append: bool = False) -> None:
    """Write the rejects file (atomically unless appending: ``.partial`` then rename)."""
    path = Path(path)
    target = path if append else path.with_name(path.name + ".partial")
    with open(target, "a" if append else "w", encoding="utf-8") as fh:
        for r in rejects:
            fh.write(
                json.dumps(
                    {"id": r.id, "row": r.row, "reason": r.reason, "source": r.source},
                    ensure_ascii=False,
                )
                + "\n"
            )
    if not append:
        os.replace(target, path)


def write_semeval(path: str | Path, rows: list[tuple[str, list[str], list[str]]]) -> Path:
    """SemEval subtask-2 predictions: ``id<TAB>narratives<TAB>subnarratives`` (``;``-joined)."""
    path = Path(path)
    tmp = path.with_name(path.name + ".partial")
    with open(tmp, "w", encoding="utf-8") as fh:
        for doc_id, coarse, fine in rows:
            fh.write(f"{doc_id}\t{';'.join(coarse)}\t{';'.join(fine)}\n")
    os.replace(tmp, path)
    return path
