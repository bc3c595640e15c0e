"""Output helpers: output format and path checks, the rejects path, cell encoders for the parts."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .._exceptions import InputError
from .._internal.csvsafe import neutralise

__all__ = [
    "check_new_output",
    "check_output_path",
    "is_rejects_file",
    "output_format",
    "rejects_path",
]

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


def check_new_output(path: str | Path, overwrite: bool = False) -> None:
    """Refuse an existing ``path`` (a file, a folder or a symbolic link, even a dangling one) unless
    ``overwrite``: a run never replaces a file it did not create without being told to.

    The message is the same for every command that writes one file (``tag``, ``summarize``,
    ``sample``, ``export``); from Python, ``overwrite=True`` is what ``--overwrite`` stands for.
    """
    if not overwrite and os.path.lexists(path):
        raise InputError(f"{path} exists: choose another name, or pass --overwrite to replace it")


def _can_create_in(folder: Path) -> bool:
    """Try it: ``os.access`` says yes to root on read-only mounts and ignores ACLs."""
    try:
        with tempfile.TemporaryFile(dir=folder):
            return True
    except OSError:
        return False


def rejects_path(output: str | Path) -> Path:
    """``OUT.parquet`` -> ``OUT.parquet.rejects.jsonl`` next to it.

    The whole output name is kept (as for the checkpoint ``OUT.parquet.partial/``), so runs
    writing ``t.jsonl`` and ``t.parquet`` never share a rejects file.
    """
    output = Path(output)
    return output.with_name(output.name + ".rejects.jsonl")


#: The fields of a line of a rejects file, as :meth:`Checkpoint.finish` writes them.
REJECT_FIELDS = frozenset({"id", "row", "reason", "source"})


def is_rejects_file(path: str | Path) -> bool:
    """Whether ``path`` is a rejects file written by narratives: its first line is a JSON object
    with exactly the fields of a reject. A run replaces or removes ``OUT.rejects.jsonl`` only
    then; any other file under that name is someone else's and is refused before work."""
    try:
        with open(path, "rb") as fh:
            first = fh.readline(1 << 16)
        obj = json.loads(first)
    except (OSError, ValueError):
        return False
    return isinstance(obj, dict) and set(obj) == REJECT_FIELDS


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


def _csv_cell(v: Any) -> Any:
    """A CSV cell: lists joined with ``;``, dicts as JSON, every text neutralised against
    spreadsheet formulas (:mod:`narratives._internal.csvsafe`)."""
    if isinstance(v, (list, tuple, np.ndarray)):
        return neutralise(";".join(str(x) for x in v))
    if isinstance(v, dict):
        return neutralise(json.dumps({k: _jsonable(x) for k, x in v.items()}, ensure_ascii=False))
    return neutralise(_jsonable(v))
