"""The feature transform's fast paths against their plain versions on the shapes of real tagging:
the default model's fitted vectorizers, the passages of the project's English, Russian and
Ukrainian corpora (more than 1,000 rows), a document of more than 50,000 characters and empty
ones.

- character n-grams: the product of the word and n-gram matrices, made canonical by a transpose
  instead of a sort, against scikit-learn's own ``transform``;
- the L2 row normalisation (per-row sums by ``np.bincount``) against scikit-learn's and against a
  plain loop that adds each row's squares one after another.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.preprocessing import normalize

import narratives
from narratives.features._transform import (
    _char_wb_transform,
    _l2_rows,
    _word_transform,
    tfidf_weighting,
)
from narratives.io._repo_data import load_corpus

ROOT = Path(__file__).resolve().parents[2]
PER_LANGUAGE = {"en": 900, "ru": 200, "uk": 150}


@pytest.fixture(scope="module")
def features():
    """The default model's fitted features (scikit-learn's vectorizers)."""
    return narratives.load().pipeline.named_steps["features"]


@pytest.fixture(scope="module")
def processed():
    """Passages and documents of real shapes, segmented by the default model."""
    df = load_corpus(ROOT, tuple(PER_LANGUAGE))
    texts = [t for lang, n in PER_LANGUAGE.items() for t in df[df["lang"] == lang]["text"][:n]]
    long_doc = "\n\n".join(texts[:300])
    assert len(long_doc) > 50_000
    segs = narratives.load().segment([*texts, long_doc, "", "   "])
    units = [p.processed for s in segs for p in s.passages] + [s.document for s in segs]
    assert len(units) > 1_000
    return units


def _equal(a: sp.csr_matrix, b: sp.csr_matrix) -> None:
    assert a.shape == b.shape and a.dtype == b.dtype
    assert np.array_equal(a.indptr, b.indptr)
    assert np.array_equal(a.indices, b.indices)
    assert np.array_equal(a.data, b.data)


def test_char_ngrams_equal_sklearn(features, processed):
    texts = [p.text.lower() for p in processed] + ["", " \n "]
    expected = features.char_.transform(texts)
    for _ in range(2):  # cold, then from the word cache
        _equal(_char_wb_transform(features.char_, texts), expected)


def test_word_tfidf_equals_sklearn(features, processed):
    tokens = [p.tokens or "<empty>" for p in processed]
    _equal(_word_transform(features.word_, tokens), features.word_.transform(tokens))


def _plain_l2_rows(X: sp.csr_matrix) -> None:
    """Row by row: the squares (in the data's precision) added one after another in double
    precision (``np.cumsum``), each value divided by the root in double precision; rows summing
    to 0 left alone (as sklearn's ``inplace_csr_row_normalize_l2``)."""
    for i in range(X.shape[0]):
        row = slice(X.indptr[i], X.indptr[i + 1])
        if row.start == row.stop:
            continue
        total = np.cumsum((X.data[row] * X.data[row]).astype(np.float64))[-1]
        if total != 0.0:
            X.data[row] = X.data[row].astype(np.float64) / np.sqrt(total)


def _unnormalised(features, processed) -> list[sp.csr_matrix]:
    """The word and character blocks as the transform has them before the L2 step: counts,
    log-scaled and weighted by the idf."""
    out = []
    for vec, docs in (
        (features.word_, [p.tokens or "<empty>" for p in processed]),
        (features.char_, [p.text.lower() for p in processed]),
    ):
        counts = CountVectorizer.transform(vec, docs)
        out.append(tfidf_weighting(counts, vec._tfidf.sublinear_tf, vec._tfidf.idf_, None))
    return out


def test_l2_rows_equal_sequential_sums(features, processed):
    for X in _unnormalised(features, processed):
        for reference in (_plain_l2_rows, lambda M: normalize(M, copy=False)):
            a, b = X.copy(), X.copy()
            _l2_rows(a)
            reference(b)
            _equal(a, b)


def test_l2_rows_add_in_sequence_and_leave_zero_rows():
    # 1 + 1e-16 + ... rounds to 1 after every addition; a pairwise sum would not
    tiny = [1.0] + [1e-8] * 1_000  # squares 1e-16
    X = sp.csr_matrix(np.array([tiny, [0.0] * len(tiny), [3.0, 4.0] + [0.0] * (len(tiny) - 2)]))
    a, b = X.copy(), X.copy()
    _l2_rows(a)
    _plain_l2_rows(b)
    _equal(a, b)
    assert a.data[0] == 1.0
    empty = sp.csr_matrix((3, 5), dtype=np.float32)
    _l2_rows(empty)
    assert empty.nnz == 0
    zeros = sp.csr_matrix((np.zeros(3, np.float32), [0, 1, 2], [0, 3, 3]), shape=(2, 4))
    _l2_rows(zeros)
    assert np.array_equal(zeros.data, np.zeros(3, np.float32))
