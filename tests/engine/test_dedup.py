"""--dedup: each exact or near-duplicate passage is decided once."""

from __future__ import annotations

import pandas as pd
from _enginetest import write_jsonl

from narratives.engine import tag_file

A = (
    "Kazakhstan is an artificial state that Lenin drew on a map in nineteen twenty four, and everyone in "
    "Moscow knows it well, whatever the textbooks in Astana now claim about their glorious past."
)
B = "NATO expansion left Russia no choice but to defend itself against the West and its many puppets."
NEAR_A = A.replace("past.", "history.")  # last word changed: near duplicate (Jaccard about 0.94)


def test_dedup_copies_labels_and_reports_skips(tmp_path, model):
    rows = [
        {"id": "1", "text": A},
        {"id": "2", "text": B},
        {"id": "3", "text": A},  # identical document in the same chunk
        {"id": "4", "text": "Heavy rain flooded streets in Riga.\n\n" + B},  # passage copy
        {"id": "5", "text": NEAR_A},
        {"id": "6", "text": A},  # identical document in another chunk
    ]
    src = write_jsonl(tmp_path / "in.jsonl", rows)
    plain, dd = tmp_path / "plain.parquet", tmp_path / "dedup.parquet"
    tag_file(src, plain, model, chunk_rows=4)
    s = tag_file(src, dd, model, chunk_rows=4, dedup=True)
    a, b = pd.read_parquet(plain), pd.read_parquet(dd)
    assert s.dedup_documents == 1  # document 3 is segmented with document 1
    assert (
        s.dedup_exact >= 3 and s.dedup_near == 1 and s.dedup_skipped == s.dedup_exact + s.dedup_near
    )
    exact_rows = b["id"] != "5"  # exact copies: the very same decisions as without --dedup
    assert a[exact_rows].astype(str).equals(b[exact_rows].astype(str))
    near, orig = b[b["id"] == "5"].iloc[0], b[b["id"] == "1"].iloc[0]
    assert list(near["frames"]) == list(orig["frames"]) and near["scores"] == orig["scores"]
    assert near["text"] == NEAR_A  # its own text and offsets


def test_dedup_with_workers_counts_the_same(tmp_path, model):
    rows = [{"id": str(i), "text": [A, B, NEAR_A][i % 3]} for i in range(30)]
    src = write_jsonl(tmp_path / "in.jsonl", rows)
    s = tag_file(src, tmp_path / "o.jsonl", model, chunk_rows=5, dedup=True, workers=2)
    assert s.dedup_skipped + s.dedup_documents >= 27 and s.documents == 30
