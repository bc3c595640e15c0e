"""Files that appear whole or not at all (a report, a table, annotation tasks)."""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from pathlib import Path


def write_atomically(path: Path, write: Callable[[Path], object]) -> Path:
    """``write(tmp)`` to a new hidden file next to ``path``, then rename it into place, so a
    replaced file is only ever replaced by a complete one. The temporary name is new (created
    exclusively), so no file of someone else's is written over on the way; it is removed when
    ``write`` fails. Returns ``path``."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.partial")
    open(tmp, "x").close()  # ours alone, with the usual permissions
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def write_text_atomically(path: Path, data: str | bytes) -> Path:
    """:func:`write_atomically` for a text (UTF-8) or bytes payload."""
    if isinstance(data, bytes):
        return write_atomically(path, lambda p: p.write_bytes(data))
    return write_atomically(path, lambda p: p.write_text(data, encoding="utf-8"))
