"""Shared by the benchmarks and the model build: the annotated real text of ``data/real/``.

The split is by group (a Kremlin page, a day of Wikipedia items), so that no page or day is on
both sides: 30% of the groups, chosen by a hash of the group id, are held out.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
REAL = ROOT / "data" / "real"
SOURCES = ("kremlin-en", "wikipedia-current-events")
HELD_OUT_SHARE = 0.3


def held_out(group: str) -> bool:
    digest = hashlib.sha1(f"data/real:{group}".encode()).hexdigest()
    return int(digest, 16) % 100 < HELD_OUT_SHARE * 100


def _read_jsonl(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def load_real(root: Path = REAL) -> pd.DataFrame:
    """Passages with their adjudicated labels: id, text, source, group, frames (dict frame ->
    stance), split ("train" / "test"). Raises FileNotFoundError when labels are missing."""
    rows = []
    for source in SOURCES:
        labels = {r["id"]: r for r in _read_jsonl(root / source / "labels.jsonl")}
        for rec in _read_jsonl(root / source / "passages.jsonl"):
            lab = labels[rec["id"]]
            rows.append(
                {
                    "id": rec["id"],
                    "text": rec["text"],
                    "source": source,
                    "group": rec["doc_id"],
                    "stratum": rec["stratum"],
                    "region": rec.get("region"),
                    "frames": dict(lab["frames"]),
                    "split": "test" if held_out(rec["doc_id"]) else "train",
                }
            )
    return pd.DataFrame(rows)


def passage_stance(frames: dict[str, str]) -> str:
    """The passage-level stance derived from per-frame stances (guidelines 9.1)."""
    values = set(frames.values())
    return "promotes" if "promotes" in values else "reports" if values else "none"
