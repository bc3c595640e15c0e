"""Shared by the benchmarks and the model build: the annotated real text of ``data/real/``.

The split is by group (a Kremlin page, a day of Wikipedia items), so that no page or day is on
both sides: 30% of the groups, chosen by a hash of the group id, are held out.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from narratives.io._repo_data import REAL_HELD_OUT_SHARE, REAL_SOURCES, real_held_out
from narratives.io._repo_data import load_real as _load_real

ROOT = Path(__file__).resolve().parents[1]
REAL = ROOT / "data" / "real"
SOURCES = REAL_SOURCES
HELD_OUT_SHARE = REAL_HELD_OUT_SHARE


def shown_path(path) -> str:
    """A path as the results files show it: relative to the repository (``models/default``) or
    to its parent (``../shared/...``), never a machine's absolute path."""
    p = Path(path).resolve()
    for base, prefix in ((ROOT, ""), (ROOT.parent, "../")):
        try:
            return prefix + str(p.relative_to(base.resolve()))
        except ValueError:
            continue
    return Path(path).name


def held_out(group: str) -> bool:
    return real_held_out(group)


def load_real(root: Path = REAL) -> pd.DataFrame:
    """Passages with their adjudicated labels: id, text, source, group, frames (dict frame ->
    stance), split ("train" / "test"). Raises FileNotFoundError when labels are missing. The
    library's reader (narratives.io._repo_data), shared with the default model's recipe."""
    return _load_real(root)


def passage_stance(frames: dict[str, str]) -> str:
    """The passage-level stance derived from per-frame stances (guidelines 9.1)."""
    values = set(frames.values())
    return "promotes" if "promotes" in values else "reports" if values else "none"
