"""Reading a user's YAML (or JSON) file with one-line errors (taxonomies, crosswalks)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

__all__ = ["read_yaml"]


def read_yaml(path: str | Path, error: type[Exception], what: str) -> Any:
    """The parsed contents of ``path``; a missing or unparsable file raises ``error`` with a
    one-line message naming ``what`` the file is (e.g. "taxonomy file")."""
    path = Path(path)
    if not path.is_file():
        raise error(f"{what} not found: {path}")
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise error(f"cannot parse {what} {path}: {exc}".splitlines()[0]) from None
