"""Folders of ``.txt`` files (one document per file, id = its path in the folder), single
``.txt`` files and the SemEval layout's ``raw-documents/``."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

from .._exceptions import InputError
from ._chunks import BOM, Chunk, Reject, finish
from ._compression import compression_of, open_input

__all__ = ["data_files", "iter_txt"]

log = logging.getLogger(__name__)


def data_files(root: Path) -> Iterator[Path]:
    """Files under ``root``, skipping hidden and underscore names (``.crc``, ``_SUCCESS``, as
    pyarrow does)."""
    for f in root.rglob("*"):
        rel = f.relative_to(root).parts
        if any(p.startswith((".", "_")) for p in rel) or not f.is_file():
            continue
        yield f


def _outside_link(f: Path, root: Path) -> bool:
    """``f`` is (or passes through) a symbolic link to something outside ``root``."""
    try:
        return not f.resolve().is_relative_to(root.resolve())
    except (OSError, RuntimeError):  # a link loop
        return True


def iter_txt(
    path: Path, chunk_rows: int, semeval: bool, follow_links: bool = False
) -> Iterator[Chunk]:
    if path.is_file():
        files = [path]
        root = path.parent
    else:
        root = path / "raw-documents" if semeval and (path / "raw-documents").is_dir() else path
        files = sorted(p for p in root.rglob("*.txt") if p.is_file())
        if not files:
            raise InputError(f"no .txt files found in {root}")
        _warn_other_files(root)
    rows, rejects = [], []
    n_read = 0
    for f in files:
        n_read += 1
        rid = str(f.relative_to(root)) if f != path else f.name
        if f != path and not follow_links and _outside_link(f, root):
            rejects.append(
                Reject(
                    rid,
                    str(f),
                    "symbolic link to a file outside the input folder (not followed; "
                    "pass --follow-links to read it)",
                    str(f),
                )
            )
            continue
        try:
            text = _read_file(f).removeprefix(BOM).decode("utf-8")
        except UnicodeDecodeError as exc:
            rejects.append(
                Reject(rid, str(f), f"file is not valid UTF-8 (byte {exc.start})", str(f))
            )
            continue
        except OSError as exc:
            rejects.append(Reject(rid, str(f), f"cannot read file: {exc.strerror}", str(f)))
            continue
        rows.append({"id": rid, "text": text, "row": str(f)})
        if len(rows) >= chunk_rows:
            yield finish(rows, rejects, n_read)
            rows, rejects, n_read = [], [], 0
    if rows or rejects:
        yield finish(rows, rejects, n_read)


def _warn_other_files(root: Path) -> None:
    """A folder of .txt files is read as its .txt files only: say so when it holds others (a
    .md or .html next to them is no input row, but the user should not have to guess)."""
    other = [p for p in data_files(root) if p.is_file() and p.suffix.lower() != ".txt"]
    if other:
        log.warning(
            "%s: %d files that are not .txt are not read (e.g. %s); only .txt files are input",
            root,
            len(other),
            other[0].relative_to(root),
        )


def _read_file(f: Path) -> bytes:
    """A whole (one-document) file, decompressed when it is ``.txt.gz`` or ``.txt.zst``."""
    if compression_of(f) is None:
        return f.read_bytes()
    with open_input(f) as fh:
        return fh.read()
