"""Reading a ``narratives tag`` output back (summarize, sample, validate).

Parquet, JSON Lines or CSV/TSV, as ``tag`` writes them; JSON Lines and CSV may be compressed
(``.jsonl.gz``, ``.csv.zst``). CSV cells and column names were neutralised against spreadsheet
formulas (a leading apostrophe) and are restored, so every format reads back the same values.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import pandas as pd

from .._exceptions import InputError
from .._internal.csvsafe import restore
from .._internal.messages import not_found
from ._compression import base_suffix, open_input

__all__ = ["read_tag_output", "tag_output_batches"]

_FORMATS = (
    "use a .parquet, .jsonl or .csv output of narratives tag "
    "(.jsonl and .csv may be compressed: .gz, .zst)"
)


def tag_output_batches(
    path: str | Path,
    columns: Sequence[str] | None = None,
    batch_rows: int = 50_000,
    optional: Sequence[str] = (),
) -> Iterator[pd.DataFrame]:
    """The rows of a tag output in batches of ``batch_rows``, with ``columns`` (all when None).

    A Parquet file missing one of ``columns`` that is not in ``optional`` is refused with the
    columns it has; the text formats yield what they have (the caller checks).
    """
    path = Path(path)
    ext = base_suffix(path)
    if ext in (".parquet", ".pq"):
        if ext != path.suffix.lower():
            raise InputError(
                f"{path}: a compressed Parquet file cannot be read as it is: decompress it"
            )
        yield from _parquet(path, columns, batch_rows, optional)
    elif ext in (".jsonl", ".ndjson", ".json"):
        yield from _jsonl(path, columns, batch_rows)
    elif ext in (".csv", ".tsv"):
        yield from _csv(path, columns, batch_rows, "\t" if ext == ".tsv" else ",")
    else:
        raise InputError(f"cannot tell the format of {path}: {_FORMATS}")


def read_tag_output(path: str | Path) -> pd.DataFrame:
    """A whole tag output as one DataFrame (every column)."""
    parts = list(tag_output_batches(path))
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


def _parquet(path, columns, batch_rows, optional) -> Iterator[pd.DataFrame]:
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(path)
    except Exception as exc:
        raise InputError(
            f"{path} is not a readable Parquet file ({str(exc).splitlines()[0]})"
        ) from None
    names = pf.schema_arrow.names
    if columns is not None:
        missing = [c for c in columns if c not in names and c not in optional]
        if missing:
            raise InputError(not_found("column(s)", missing, names, path))
        columns = [c for c in columns if c in names]
    for batch in pf.iter_batches(batch_size=batch_rows, columns=columns):
        yield batch.to_pandas()


def _jsonl(path, columns, batch_rows) -> Iterator[pd.DataFrame]:
    try:
        with open_input(path) as fh:
            reader = pd.read_json(
                fh, lines=True, chunksize=batch_rows, dtype=False, encoding="utf-8-sig"
            )
            for df in reader:
                yield df if columns is None else df[[c for c in columns if c in df.columns]]
    except InputError:
        raise
    except ValueError as exc:
        raise InputError(f"cannot read {path} as JSON lines: {exc}") from None


def _csv(path, columns, batch_rows, sep) -> Iterator[pd.DataFrame]:
    try:
        with open_input(path) as fh:
            head = {h: restore(h) for h in pd.read_csv(fh, sep=sep, nrows=0).columns}
        wanted = {h: n for h, n in head.items() if columns is None or n in columns}
        with open_input(path) as fh:
            for df in pd.read_csv(
                fh,
                sep=sep,
                chunksize=batch_rows,
                usecols=list(wanted),
                dtype=str,
                keep_default_na=False,
            ):
                df = df.rename(columns=wanted)
                for c in df.columns:
                    if df[c].str.startswith("'").any():
                        df[c] = df[c].map(restore)
                yield df
    except InputError:
        raise
    except (ValueError, pd.errors.ParserError) as exc:
        raise InputError(f"cannot read {path} as CSV: {str(exc).splitlines()[0]}") from None
