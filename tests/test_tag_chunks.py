"""model.tag on a large DataFrame tags it chunk by chunk: the same rows as one call."""

from __future__ import annotations

import itertools
import json
import random
from pathlib import Path

import pandas as pd
import pytest

import narratives
import narratives._model as model_module
from narratives._model import _chunks

ROOT = Path(__file__).resolve().parents[1]


def corpus_texts() -> list[str]:
    texts = []
    for part in sorted((ROOT / "data" / "corpus").glob("part-*.jsonl"))[:6]:
        with part.open(encoding="utf-8") as fh:
            texts += [json.loads(line)["text"] for line in fh if line.strip()]
    return texts


@pytest.fixture(scope="module")
def big_frame() -> pd.DataFrame:
    """1,300 documents: short ones, long ones (30 joined passages, ~20,000 characters), empty,
    blank and markup-only ones; string ids with duplicates and an extra column."""
    texts = corpus_texts()
    rng = random.Random(0)
    docs = texts[:1200]
    docs += ["\n\n".join(rng.sample(texts, 30)) for _ in range(60)]
    docs += ["", "   ", "\n\n", "<p></p>"] * 10
    rng.shuffle(docs)
    ids = [f"d{k % 1250}" for k in range(len(docs))]  # 50 ids used twice
    return pd.DataFrame(
        {"id": ids, "text": docs, "outlet": [f"o{k % 7}" for k in range(len(docs))]}
    )


@pytest.fixture(scope="module")
def default_model():
    return narratives.load()


def one_call(model, frame, unit, monkeypatch):
    """model.tag as a single segment + tag_segments call (no chunking)."""
    with monkeypatch.context() as m:
        m.setattr(model_module, "CHUNK_CHARS", 10**12)
        return model.tag(frame, unit=unit, chunk_size=10**9)


@pytest.mark.parametrize("unit", ["passage", "document"])
def test_chunks_give_the_rows_of_one_call(default_model, big_frame, unit, monkeypatch):
    assert len(big_frame) >= 1000
    whole = one_call(default_model, big_frame, unit, monkeypatch)
    default = default_model.tag(big_frame, unit=unit)
    pd.testing.assert_frame_equal(default, whole)
    with monkeypatch.context() as m:
        m.setattr(model_module, "CHUNK_CHARS", 15_000)  # every long document is its own chunk
        small = default_model.tag(big_frame, unit=unit, chunk_size=7)
    pd.testing.assert_frame_equal(small, whole)
    assert (whole["flag"] == "empty").sum() >= 40
    assert whole["frames"].map(lambda f: f != ["none"]).sum() > 100  # a realistic share of frames
    if unit == "document":
        assert len(whole) == len(big_frame)


def test_chunk_bounds():
    texts = ["a" * 5, "b" * 5, "c" * 50, "", "d" * 3, "e"]
    assert list(_chunks(texts, 2, 12)) == [(0, 2), (2, 3), (3, 5), (5, 6)]
    assert list(_chunks(texts, 100, 10**6)) == [(0, 6)]
    assert list(_chunks([], 5, 10)) == [(0, 0)]
    for size in (1, 2, 3):
        bounds = list(_chunks(texts, size, 8))
        assert bounds[0][0] == 0 and bounds[-1][1] == len(texts)
        assert all(a[1] == b[0] for a, b in itertools.pairwise(bounds))
        assert all(0 < stop - start <= size for start, stop in bounds)


def test_no_documents(default_model):
    for unit in ("passage", "document"):
        out = default_model.tag([], unit=unit)
        assert len(out) == 0 and "frames" in out.columns
