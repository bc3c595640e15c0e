"""Streaming readers for JSONL, CSV, Parquet, folders of .txt or Parquet files, the SemEval layout
and Telegram Desktop exports (:mod:`narratives.io._telegram`).

Files may be compressed (``.gz``, ``.zst``: ``corpus.jsonl.gz``); they are decompressed as a
stream (:mod:`narratives.io._compression`). A folder of Parquet files is one dataset, read file
by file in the order of their sorted paths.

Every reader yields :class:`Chunk` objects: a DataFrame with ``id``, ``text``, ``row`` (1-based line
or row number, or the file path for text files) and any other input columns, plus the rows that
could not be used, each with its reason. No input row disappears: it is in a chunk or a reject.
"""

from __future__ import annotations

import contextlib
import csv as _csv
import json
import logging
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pandas as pd

from .._exceptions import InputError
from .._internal.messages import not_found
from ._chunks import BOM, Chunk, Ids, Reject, finish, id_text, text_problem
from ._compression import base_suffix, compression_of, open_input
from ._telegram import iter_telegram, single_json_document
from ._txt import data_files, iter_txt

__all__ = [
    "FORMATS",
    "Chunk",
    "Reject",
    "detect_format",
    "iter_chunks",
    "read_all",
]

log = logging.getLogger(__name__)
FORMATS = ("auto", "jsonl", "csv", "parquet", "txt", "semeval", "telegram")
_EXT = {
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
    ".csv": "csv",
    ".tsv": "csv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".txt": "txt",
}


def detect_format(path: str | Path, fmt: str = "auto") -> str:
    """Resolve ``fmt="auto"`` from the path (file extension, looking through ``.gz``/``.zst``;
    folders: SemEval, Parquet files or .txt files)."""
    path = Path(path)
    if fmt not in FORMATS:
        raise InputError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    if not path.exists():
        raise InputError(f"input not found: {path}")
    if fmt != "auto":
        return fmt
    if path.is_dir():
        if (path / "raw-documents").is_dir():
            return "semeval"
        return _folder_format(path)
    ext = base_suffix(path)
    if ext == ".json" and path.stat().st_size and single_json_document(path):
        return "telegram"  # one JSON document: a Telegram export, or an error that says so
    if ext in _EXT:
        return _EXT[ext]
    if compression_of(path):
        raise InputError(
            f"cannot tell the format of {path} from the extension before {path.suffix} "
            f"(name it like corpus.jsonl{path.suffix}); pass --format"
        )
    raise InputError(f"cannot tell the format of {path} from its extension; pass --format")


def _parquet_files(root: Path) -> list[Path]:
    """The Parquet files of a folder, sorted by their path inside it (the dataset's row order)."""
    return sorted(
        (f for f in data_files(root) if base_suffix(f) in (".parquet", ".pq")),
        key=lambda f: f.relative_to(root).parts,
    )


def _folder_format(path: Path) -> str:
    """``"parquet"`` for a folder of Parquet files, else ``"txt"``; a folder holding Parquet
    files and files of another input format is an error (which would be the dataset?)."""
    kinds: dict[str, int] = {}
    for f in data_files(path):
        kind = _EXT.get(base_suffix(f))
        if kind:
            label = kind + (f" ({compression_of(f)})" if compression_of(f) else "")
            kinds[label] = kinds.get(label, 0) + 1
    if "parquet" not in kinds:
        return "txt"
    if len(kinds) > 1:
        found = ", ".join(f"{n} {k}" for k, n in sorted(kinds.items()))
        raise InputError(
            f"{path} mixes input formats ({found} files); a folder is read as one dataset of "
            "Parquet files or of .txt files: move the other files out, or pass one file"
        )
    return "parquet"


def _check_columns(names: list[str], text_col: str, id_col: str | None, path: Any) -> None:
    if text_col not in names:
        raise InputError(not_found("column", text_col, names, path))
    if id_col and id_col not in names:
        raise InputError(not_found("id column", id_col, names, path))


def _readable_id(raw: bytes, id_col: str) -> str | None:
    """The id of a JSONL line that is not valid UTF-8, when the id itself is readable (so the
    reject names its row); None otherwise."""
    try:
        obj = json.loads(raw.decode("utf-8", "replace"))
    except json.JSONDecodeError:
        return None
    return id_text(obj.get(id_col)) if isinstance(obj, dict) else None


def _iter_jsonl(path: Path, text_col: str, id_col: str | None, chunk_rows: int) -> Iterator[Chunk]:
    rows: list[dict[str, Any]] = []
    rejects: list[Reject] = []
    n_read = 0
    checked = False
    ids = Ids(path)
    with open_input(path) as fh:
        for lineno, raw in enumerate(fh, start=1):
            if lineno == 1:
                raw = raw.removeprefix(BOM)
            if not raw.strip():
                continue
            n_read += 1
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                rid = _readable_id(raw, id_col) if id_col else str(lineno)
                rejects.append(
                    Reject(rid, lineno, f"line is not valid UTF-8 (byte {exc.start})", str(path))
                )
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                rejects.append(
                    Reject(
                        None, lineno, f"malformed JSON: {exc.msg} (column {exc.colno})", str(path)
                    )
                )
                continue
            if not isinstance(obj, dict):
                rejects.append(
                    Reject(
                        None,
                        lineno,
                        f"line is a JSON {type(obj).__name__}, not an object",
                        str(path),
                    )
                )
                continue
            if not checked:
                checked = True
                _check_columns(list(obj), text_col, id_col, path)
            rid = ids(obj.get(id_col), lineno, bool(id_col))
            problem = (
                text_problem(obj.get(text_col)) if text_col in obj else f"no {text_col!r} field"
            )
            if problem:
                rejects.append(Reject(rid, lineno, problem, str(path)))
                continue
            rec = {k: v for k, v in obj.items() if k not in (text_col, id_col)}
            rec.update(id=rid, text=obj[text_col], row=lineno)
            rows.append(rec)
            if len(rows) >= chunk_rows:
                yield finish(rows, rejects, n_read, ids.take())
                rows, rejects, n_read = [], [], 0
    if rows or rejects or n_read:
        yield finish(rows, rejects, n_read, ids.take())


def _open_parquet(path: Path, chunk_rows: int) -> tuple[list[str], Iterable[Any]]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise InputError(
            f"{path} is not a readable Parquet file ({str(exc).splitlines()[0]})"
        ) from None
    return pf.schema_arrow.names, pf.iter_batches(batch_size=chunk_rows)


def _parquet_dataset(path: Path) -> Any:
    """The Parquet files of the folder ``path`` as one ``pyarrow.dataset`` (schemas unified,
    ``key=value`` folders as columns), its fragments in the order of the sorted file paths."""
    import pyarrow as pa
    import pyarrow.dataset as ds
    import pyarrow.parquet as pq

    files = _parquet_files(path)
    if not files:
        raise InputError(f"no .parquet files found in {path}")
    try:
        schemas = [pq.read_schema(f) for f in files]
    except (pa.ArrowInvalid, OSError) as exc:
        raise InputError(
            f"{path} holds a file that is not readable Parquet ({str(exc).splitlines()[0]})"
        ) from None
    names = [str(f) for f in files]
    try:
        # key=value folders become columns (hive partitioning); the files' schemas are unified
        # (a column missing from some files is null there)
        hive = {"format": "parquet", "partitioning": "hive", "partition_base_dir": str(path)}
        inferred = ds.dataset(names, **hive).schema
        return ds.dataset(names, schema=pa.unify_schemas([*schemas, inferred]), **hive)
    except (pa.ArrowInvalid, pa.ArrowTypeError, OSError) as exc:
        raise InputError(
            f"the Parquet files of {path} do not fit one table ({str(exc).splitlines()[0]})"
        ) from None


def _open_parquet_folder(path: Path, chunk_rows: int) -> tuple[list[str], Iterable[Any]]:
    import pyarrow as pa

    dataset = _parquet_dataset(path)

    def batches() -> Iterator[Any]:
        # Fragment by fragment (sorted paths) and without threads: the row order is the files'.
        for fragment in dataset.get_fragments():
            try:
                yield from fragment.to_batches(
                    schema=dataset.schema, batch_size=chunk_rows, use_threads=False
                )
            except (pa.ArrowInvalid, OSError) as exc:
                raise InputError(
                    f"cannot read {fragment.path}: {str(exc).splitlines()[0]}"
                ) from None

    return dataset.schema.names, batches()


def _csv_delimiter(path: Path) -> str:
    return "\t" if base_suffix(path) == ".tsv" else ","


def _open_csv(
    path: Path, fh: Any, text_col: str, id_col: str | None, bad_rows: list[Reject]
) -> tuple[list[str], Iterable[Any]]:
    import pyarrow as pa
    import pyarrow.csv as pacsv

    delimiter = _csv_delimiter(path)
    with open_input(path) as head_fh:
        head = head_fh.readline().removeprefix(BOM)  # pyarrow drops it too
    if not head.strip():
        raise InputError(f"input file is empty: {path}")
    try:
        names = next(
            _csv.reader([head.decode("utf-8", "replace").rstrip("\r\n")], delimiter=delimiter)
        )
    except StopIteration:
        names = []
    except _csv.Error as exc:
        raise InputError(f"cannot read the CSV header of {path}: {exc}") from None
    _check_columns(names, text_col, id_col, path)

    def on_invalid(row: Any) -> str:
        bad_rows.append(
            Reject(None, row.number, f"malformed CSV row: {row.text[:80]!r}", str(path))
        )
        return "skip"

    try:
        batches = pacsv.open_csv(
            fh,
            read_options=pacsv.ReadOptions(block_size=1 << 22),
            parse_options=pacsv.ParseOptions(
                delimiter=delimiter, newlines_in_values=True, invalid_row_handler=on_invalid
            ),
            convert_options=pacsv.ConvertOptions(
                column_types={c: pa.binary() for c in names}, strings_can_be_null=False
            ),
        )
    except pa.ArrowInvalid as exc:
        raise InputError(f"cannot read CSV {path}: {str(exc).splitlines()[0]}") from None
    return names, batches


def _iter_arrow_batches(
    path: Path, fmt: str, text_col: str, id_col: str | None, chunk_rows: int
) -> Iterator[Chunk]:
    import pyarrow as pa

    bad_rows: list[Reject] = []
    with contextlib.ExitStack() as stack:
        if fmt == "parquet" and path.is_dir():
            names, batches = _open_parquet_folder(path, chunk_rows)
        elif fmt == "parquet":
            names, batches = _open_parquet(path, chunk_rows)
        else:
            fh = stack.enter_context(open_input(path))
            names, batches = _open_csv(path, fh, text_col, id_col, bad_rows)
        _check_columns(names, text_col, id_col, path)
        try:
            yield from _batch_chunks(path, batches, text_col, id_col, bad_rows)
        except pa.ArrowInvalid as exc:
            raise InputError(f"cannot read {path}: {str(exc).splitlines()[0]}") from None
    if bad_rows:
        yield finish([], bad_rows, 0)


def _batch_chunks(
    path: Path, batches: Iterable[Any], text_col: str, id_col: str | None, bad_rows: list[Reject]
) -> Iterator[Chunk]:
    """Chunks of Arrow record batches; rows are numbered from 1 across all batches."""
    offset = 0
    ids = Ids(path)
    for batch in batches:
        data = batch.to_pydict()
        n = batch.num_rows
        rows, rejects = [], bad_rows[:]
        bad_rows.clear()
        others = [c for c in data if c not in (text_col, id_col)]
        for i in range(n):
            rownum = offset + i + 1
            rid = ids(data[id_col][i] if id_col else None, rownum, bool(id_col))
            value = data[text_col][i]
            problem = text_problem(value)
            if problem:
                rejects.append(Reject(rid, rownum, problem, str(path)))
                continue
            if isinstance(value, bytes):
                value = value.decode("utf-8")
            rec = {}
            for c in others:
                v = data[c][i]
                rec[c] = v.decode("utf-8", "replace") if isinstance(v, bytes) else v
            rec.update(id=rid, text=value, row=rownum)
            rows.append(rec)
        offset += n
        yield finish(rows, rejects, n, ids.take())


def iter_chunks(
    path: str | Path,
    fmt: str = "auto",
    text_column: str = "text",
    id_column: str | None = None,
    chunk_rows: int = 2000,
    follow_links: bool = False,
) -> Iterator[Chunk]:
    """Stream ``path`` in chunks of at most ``chunk_rows`` rows.

    ``id_column=None`` uses a column named ``id`` when there is one, else the row number.
    ``.gz`` and ``.zst`` files are decompressed as they are read. A folder of Parquet files is
    one dataset: its files in sorted order, rows numbered from 1 across them.
    In a folder of ``.txt`` files, a symbolic link to a file outside the folder is a reject
    unless ``follow_links`` (links to folders are never followed).
    Raises :class:`InputError` for file-level problems (missing file or column, empty file,
    unreadable format); row-level problems become :class:`Reject` entries.
    """
    path = Path(path)
    fmt = detect_format(path, fmt)
    if fmt in ("jsonl", "csv", "telegram") and path.is_dir():
        raise InputError(f"{path} is a folder; --format {fmt} expects a file")
    if fmt == "parquet" and compression_of(path) and not path.is_dir():
        raise InputError(
            f"{path}: a compressed Parquet file cannot be read as it is (Parquet compresses its "
            "own columns): decompress it"
        )
    if fmt in ("jsonl", "csv", "telegram") and path.stat().st_size == 0:
        raise InputError(f"input file is empty: {path}")
    explicit_id = id_column is not None
    id_col = id_column if explicit_id else _default_id(path, fmt)
    if fmt == "jsonl":
        it = _iter_jsonl(path, text_column, id_col, chunk_rows)
    elif fmt == "telegram":
        it = iter_telegram(path, chunk_rows)
    elif fmt in ("csv", "parquet"):
        it = _iter_arrow_batches(path, fmt, text_column, id_col, chunk_rows)
    else:
        it = iter_txt(path, chunk_rows, semeval=fmt == "semeval", follow_links=follow_links)
    seen_any = False
    for chunk in it:
        seen_any = seen_any or chunk.n_read > 0 or bool(chunk.rejects)
        yield chunk
    if not seen_any:
        raise InputError(f"no data rows in {path}")


def _default_id(path: Path, fmt: str) -> str | None:
    """``"id"`` when the input has such a column, else None (row numbers become ids)."""
    try:
        if fmt == "jsonl":
            with open_input(path) as fh:
                for raw in fh:
                    raw = raw.removeprefix(BOM)
                    if raw.strip():
                        try:
                            obj = json.loads(raw)
                        except (json.JSONDecodeError, UnicodeDecodeError):
                            continue
                        return "id" if isinstance(obj, dict) and "id" in obj else None
        elif fmt == "csv":
            with open_input(path) as fh:
                head = fh.readline().removeprefix(BOM).decode("utf-8", "replace")
            delim = _csv_delimiter(path)
            return (
                "id"
                if "id" in [h.strip().strip('"') for h in head.rstrip("\r\n").split(delim)]
                else None
            )
        elif fmt == "parquet" and path.is_dir():
            return "id" if "id" in _parquet_dataset(path).schema.names else None
        elif fmt == "parquet":
            import pyarrow.parquet as pq

            return "id" if "id" in pq.ParquetFile(path).schema_arrow.names else None
    except OSError:
        return None
    except Exception:  # unreadable file: the reader raises the proper error
        return None
    return None


def read_all(path: str | Path, **kw: Any) -> tuple[pd.DataFrame, list[Reject]]:
    """Read a whole input into one DataFrame (for training and evaluation sets)."""
    frames, rejects = [], []
    for chunk in iter_chunks(path, **kw):
        frames.append(chunk.frame)
        rejects.extend(chunk.rejects)
    df = (
        pd.concat(frames, ignore_index=True)
        if frames
        else pd.DataFrame(columns=["id", "text", "row"])
    )
    return df, rejects
