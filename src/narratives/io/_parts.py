"""Output pieces for checkpointed runs: one encoded part per input chunk, assembled in order.

A tagging run turns every input chunk into one *part* (bytes) that is written into the checkpoint
folder. At the end the parts are streamed, in chunk order, into the final file:

- JSONL and SemEval outputs: parts are already the final lines and are concatenated;
- Parquet and CSV outputs: parts are Arrow IPC streams with an explicit schema (see
  :func:`output_schema`); the Parquet file gets one row group per part, the CSV file one header
  for the union of the columns of all parts.

Memory stays bounded by one part whatever the corpus size.
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from .._internal.schema import INT_COLUMNS, LIST_COLUMNS
from ._writers import _csv_cell, _jsonable

__all__ = ["PART_EXT", "assemble_parts", "encode_part", "output_schema"]

#: File extension of the parts for each output kind.
PART_EXT = {"parquet": "arrows", "csv": "arrows", "jsonl": "jsonl", "semeval": "tsv"}


def _column_type(name: str, fine_labels: Sequence[str]):
    import pyarrow as pa

    if name in INT_COLUMNS:
        return pa.int64()
    if name in LIST_COLUMNS:
        return pa.list_(pa.string())
    if name == "scores":
        return pa.struct([(f, pa.float64()) for f in fine_labels])
    if name == "evidence":
        return pa.struct([(f, pa.int64()) for f in fine_labels])
    if name in ("stances", "document_stances"):
        return pa.struct([(f, pa.string()) for f in fine_labels])
    if name == "frame_passages":
        return pa.struct([(f, pa.list_(pa.int64())) for f in fine_labels])
    return pa.string()  # id, text, stance, lang, flag and every input column (stringified)


def output_schema(columns: Sequence[str], fine_labels: Sequence[str]):
    """Arrow schema of the tagged output: fixed types for the model's columns, strings for the
    input's own columns.

    ``scores`` (and ``evidence`` for documents) are structs with one field per fine label, so a
    Parquet reader sees ``scores.<label>`` columns and pandas a dict per row.
    """
    import pyarrow as pa

    return pa.schema([(c, _column_type(c, fine_labels)) for c in columns])


def _jsonl_bytes(df: pd.DataFrame) -> bytes:
    buf = io.StringIO()
    cols = list(df.columns)
    for rec in df.itertuples(index=False, name=None):
        obj = {c: _jsonable(v) for c, v in zip(cols, rec, strict=True)}
        buf.write(json.dumps(obj, ensure_ascii=False, default=_jsonable))
        buf.write("\n")
    return buf.getvalue().encode("utf-8")


def encode_part(df: pd.DataFrame, kind: str, fine_labels: Sequence[str]) -> bytes:
    """Encode one chunk's output rows for the checkpoint (see the module docstring)."""
    if kind == "jsonl":
        return _jsonl_bytes(df)
    if kind == "semeval":
        raise ValueError("SemEval parts are encoded by the engine")
    import pyarrow as pa

    table = pa.Table.from_pandas(
        df, schema=output_schema(list(df.columns), fine_labels), preserve_index=False
    )
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(
        sink, table.schema, options=pa.ipc.IpcWriteOptions(compression="zstd")
    ) as w:
        w.write_table(table)
    return sink.getvalue().to_pybytes()


def _read_arrow_part(path: Path):
    import pyarrow as pa

    with pa.OSFile(str(path), "rb") as fh:
        return pa.ipc.open_stream(fh).read_all()


def _union_columns(column_lists: Iterable[Sequence[str]]) -> list[str]:
    seen: dict[str, None] = {}
    for cols in column_lists:
        for c in cols:
            seen.setdefault(c, None)
    return list(seen)


def _clean(v: Any) -> Any:
    """Struct values read back from Arrow: drop the fields that were absent (None)."""
    if isinstance(v, dict):
        return {k: x for k, x in v.items() if x is not None}
    return v


def assemble_parts(
    parts: Sequence[tuple[Path, Sequence[str]]],
    kind: str,
    target: Path,
    fine_labels: Sequence[str],
    empty_columns: Sequence[str],
) -> int:
    """Write ``target`` from the parts, in the given order; returns the number of rows written.

    ``parts`` holds ``(path, columns)`` per non-empty part; ``empty_columns`` are the columns of an
    output without any row (Parquet and CSV still get a schema or header).
    """
    rows = 0
    if kind in ("jsonl", "semeval"):
        with open(target, "wb") as out:
            for path, _ in parts:
                with open(path, "rb") as fh:
                    while block := fh.read(1 << 20):
                        out.write(block)
                        rows += block.count(b"\n")
            out.flush()
            os.fsync(out.fileno())
        return rows
    columns = _union_columns([cols for _, cols in parts]) if parts else list(empty_columns)
    schema = output_schema(columns, fine_labels)
    if kind == "parquet":
        import pyarrow.parquet as pq

        with pq.ParquetWriter(str(target), schema, compression="zstd") as writer:
            for path, _ in parts:
                table = _conform(_read_arrow_part(path), schema)
                writer.write_table(table)
                rows += table.num_rows
            if not parts:
                writer.write_table(schema.empty_table())
    else:
        with open(target, "w", encoding="utf-8", newline="") as fh:
            w = csv.writer(fh)
            w.writerow([_csv_cell(c) for c in columns])  # input column names too
            for path, _ in parts:
                table = _conform(_read_arrow_part(path), schema)
                for batch in table.to_batches(max_chunksize=2000):
                    cols = [batch.column(i).to_pylist() for i in range(batch.num_columns)]
                    for rec in zip(*cols, strict=True):
                        w.writerow([_csv_cell(_clean(v)) for v in rec])
                rows += table.num_rows
            fh.flush()
            os.fsync(fh.fileno())
    return rows


def _conform(table, schema):
    """Add the columns a part lacks (as nulls) and order them as in ``schema``."""
    import pyarrow as pa

    n = table.num_rows
    arrays = []
    for field in schema:
        if field.name in table.column_names:
            col = table.column(field.name)
            arrays.append(col if col.type == field.type else col.cast(field.type))
        else:
            arrays.append(pa.nulls(n, type=field.type))
    return pa.Table.from_arrays(arrays, schema=schema)
