"""The feature transform of a fitted :class:`~narratives.features.NarrativeFeatures`, without
scikit-learn.

:func:`transform` is the estimator's ``transform``; :class:`LeanFeatures` runs it on the saved
state of a model loaded from disk (see :mod:`narratives.persistence._lean`), so that tagging does
not import scikit-learn (issue 15). The TF-IDF weighting is scikit-learn's
``TfidfTransformer.transform`` computed here, the same arithmetic in the same order (its L2
normalisation sums each row's squares in sequence, in double precision): equal output, tested.
"""

from __future__ import annotations

import itertools
import weakref
from collections.abc import Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp

from .._exceptions import InputError
from ..preprocessing._spacy import load_gazetteer
from ..preprocessing._units import Processed

__all__ = ["LeanFeatures", "LeanTfidf", "LeanVectorizer", "restore_vocabularies", "transform"]


def _check(X: Sequence[Any]) -> Sequence[Processed]:
    if len(X) and not isinstance(X[0], Processed):
        raise InputError(
            "NarrativeFeatures expects Preprocessor output; put a Preprocessor before it "
            "(narratives.make_pipeline does)"
        )
    return X


# Per fitted character vectorizer: word -> vocabulary indices of its n-grams (not persisted).
_CHAR_CACHE: weakref.WeakKeyDictionary[Any, dict[str, np.ndarray]] = weakref.WeakKeyDictionary()
_CHAR_CACHE_WORDS = 500_000


def _word_char_ngrams(word: str, vocab: dict[str, int], min_n: int, max_n: int) -> np.ndarray:
    """Vocabulary indices of the ``char_wb`` n-grams of one word (with repeats), as sklearn
    slices them: the word padded with one space each side, a short word once as a whole."""
    w = f" {word} "
    grams = []
    for n in range(min_n, max_n + 1):
        if len(w) <= n:
            grams.append(w)
            break
        grams.extend(w[i : i + n] for i in range(len(w) - n + 1))
    return np.array([vocab[g] for g in grams if g in vocab], dtype=np.int32)


def _char_wb_transform(vectorizer: Any, docs: Sequence[str]) -> sp.csr_matrix:
    """``vectorizer.transform(docs)`` for a fitted ``char_wb`` vectorizer, computed word by word.

    ``char_wb`` n-grams never cross a word boundary, so the counts are (documents x words) @
    (words x n-grams): each distinct word is analysed once and cached, and the sum is one sparse
    product, instead of sklearn's pure-Python analyzer re-slicing every word of every passage
    (the slowest step of tagging). The counts then go through the vectorizer's own TF-IDF
    weighting: identical output (tested).
    """
    cache = _CHAR_CACHE.setdefault(vectorizer, {})
    if len(cache) > _CHAR_CACHE_WORDS:
        cache.clear()
    vocab = vectorizer.vocabulary_
    min_n, max_n = vectorizer.ngram_range
    preprocess = vectorizer.build_preprocessor()
    local: dict[str, int] = {}
    cols: list[int] = []
    indptr = [0]
    for doc in docs:
        for word in preprocess(doc).split():
            j = local.get(word)
            if j is None:
                j = local[word] = len(local)
            cols.append(j)
        indptr.append(len(cols))
    dtype = vectorizer.dtype
    # documents x distinct words (counts: CSR construction keeps duplicates, the product sums them)
    D = sp.csr_matrix(
        (np.ones(len(cols), dtype=dtype), np.asarray(cols, dtype=np.int32), indptr),
        shape=(len(docs), len(local)),
    )
    grams = []
    for word in local:
        g = cache.get(word)
        if g is None:
            g = cache[word] = _word_char_ngrams(word, vocab, min_n, max_n)
        grams.append(g)
    lengths = np.fromiter((len(g) for g in grams), dtype=np.int64, count=len(grams))
    M = sp.csr_matrix(
        (
            np.ones(int(lengths.sum()), dtype=dtype),
            np.concatenate(grams) if grams else np.zeros(0, dtype=np.int32),
            np.concatenate([[0], np.cumsum(lengths)]),
        ),
        shape=(len(local), len(vocab)),
    )
    # D @ M computed as (M.T @ D.T), then made column-major: each column (a document) lists its
    # n-grams in order, so the result is already the canonical CSR of D @ M (sorting every row of
    # D @ M took longer than the product). Counts are small integers: any order of summing them
    # gives the same values.
    return _weighted(vectorizer, (M.T.tocsr() @ D.T.tocsr()).tocsc().T)


def _word_transform(vectorizer: Any, docs: Sequence[str]) -> sp.csr_matrix:
    r"""``vectorizer.transform(docs)`` for a fitted whitespace-token word vectorizer (ours:
    ``token_pattern=r"\S+"``, no lower-casing, no stop words), without sklearn's per-document
    regex, analyzer generators and counting dicts: the n-grams of all documents are looked up
    with one ``map`` and counted by the sparse constructor. Then the vectorizer's own TF-IDF
    weighting: identical output (tested)."""
    min_n, max_n = vectorizer.ngram_range
    get = vectorizer.vocabulary_.get
    feats: list[str] = []
    lengths = np.empty(len(docs), dtype=np.int64)
    join = " ".join
    for r, doc in enumerate(docs):
        toks = doc.split()
        before = len(feats)
        # Bounded by the document's length as in sklearn: a model file's ngram_range is untrusted.
        for n in range(min_n, min(max_n, len(toks)) + 1):
            if n == 1:
                feats += toks
            else:
                feats += map(join, zip(*(toks[i:] for i in range(n)), strict=False))
        lengths[r] = len(feats) - before
    cols = np.fromiter(map(get, feats, itertools.repeat(-1)), dtype=np.int64, count=len(feats))
    keep = cols >= 0
    rows = np.repeat(np.arange(len(docs), dtype=np.int64), lengths)[keep]
    X = sp.csr_matrix(
        (np.ones(int(keep.sum()), dtype=vectorizer.dtype), (rows, cols[keep])),
        shape=(len(docs), len(vectorizer.vocabulary_)),
    )
    return _weighted(vectorizer, X)


def _weighted(vectorizer: Any, counts: sp.csr_matrix) -> sp.csr_matrix:
    """The fitted vectorizer's own TF-IDF weighting of raw counts (its ``_tfidf``), in sklearn's
    canonical CSR form (summed duplicates, sorted indices), equal to ``vectorizer.transform``."""
    counts.sum_duplicates()
    counts.sort_indices()
    tfidf = vectorizer._tfidf
    if tfidf.norm not in (None, "l2"):  # never in a narratives model: scikit-learn's own
        return tfidf.transform(counts, copy=False)
    return tfidf_weighting(counts, tfidf.sublinear_tf, getattr(tfidf, "idf_", None), tfidf.norm)


def tfidf_weighting(
    X: sp.csr_matrix, sublinear_tf: bool, idf: np.ndarray | None, norm: str | None
) -> sp.csr_matrix:
    """``TfidfTransformer.transform(X, copy=False)`` of scikit-learn (1.9) for CSR counts of a
    float dtype: log-scaled counts, times the idf, then each row divided by its L2 norm, in
    place."""
    if X.dtype not in (np.float32, np.float64):
        X = X.astype(np.float64)
    if sublinear_tf:
        np.log(X.data, X.data)
        X.data += 1.0
    if idf is not None:
        X.data *= idf[X.indices]
    if norm == "l2":
        _l2_rows(X)
    return X


def _l2_rows(X: sp.csr_matrix) -> None:
    """Divide each row of ``X`` by its L2 norm in place, as ``sklearn.preprocessing.normalize``
    does for CSR input (``inplace_csr_row_normalize_l2``): the squares (in the data's precision)
    summed one after another in double precision, rows whose sum is 0 left alone, each value
    divided in double precision and stored back. ``np.bincount`` with weights adds each value to
    its row's sum in sequence, in double precision, like sklearn's loop (``np.sum`` or
    ``np.add.reduceat`` would add pairwise and could round differently)."""
    data, indptr = X.data, X.indptr
    if not len(data):
        return
    squares = (data * data).astype(np.float64)
    lengths = np.diff(indptr)
    rows = np.repeat(np.arange(X.shape[0]), lengths)
    norms = np.sqrt(np.bincount(rows, weights=squares, minlength=X.shape[0]))
    norms[norms == 0.0] = 1.0  # x / 1.0 is x: such rows stay as they are
    data[:] = data / np.repeat(norms, lengths)  # in double precision, stored in data's dtype


def _fast_word_path(vectorizer: Any) -> bool:
    v = vectorizer
    return (
        v.analyzer == "word"
        and v.token_pattern == r"\S+"
        and v.tokenizer is None
        and v.preprocessor is None
        and not v.lowercase
        and v.stop_words is None
        and not v.binary
        and v.strip_accents is None
    )


def _counts(f: Any, X: Sequence[Processed]) -> sp.csr_matrix:
    """The count blocks of fitted features ``f``: cue lexicon per frame, actors per gazetteer
    entry and per actor type, stance cues; ``log1p`` scaled and weighted."""
    cue_idx = {k: i for i, k in enumerate(f.cue_labels_)}
    off_a = len(f.cue_labels_)
    act_idx = {k: off_a + i for i, k in enumerate(f.actor_keys_)}
    off_s = off_a + len(f.actor_keys_)
    st_idx = {k: off_s + i for i, k in enumerate(f.stance_keys_)}
    gaz = load_gazetteer()
    rows, cols, vals = [], [], []
    for r, p in enumerate(X):
        for k, c in p.cues.items():
            if k in cue_idx:
                (rows.append(r), cols.append(cue_idx[k]), vals.append(f.cue_weight * np.log1p(c)))
        by_type: dict[str, int] = {}
        for k, c in p.actors.items():
            if k in act_idx:
                (
                    rows.append(r),
                    cols.append(act_idx[k]),
                    vals.append(f.actor_weight * np.log1p(c)),
                )
                t = f"type:{gaz[k].get('type', 'other')}"
                by_type[t] = by_type.get(t, 0) + c
        for t, c in by_type.items():
            (rows.append(r), cols.append(act_idx[t]), vals.append(f.actor_weight * np.log1p(c)))
        stance = dict(p.stance)
        stance["quotes"] = p.text.count('"') // 2
        for k, c in stance.items():
            if k in st_idx and c:
                (
                    rows.append(r),
                    cols.append(st_idx[k]),
                    vals.append(f.stance_weight * np.log1p(c)),
                )
    shape = (len(X), off_s + len(f.stance_keys_))
    return sp.csr_matrix((np.asarray(vals, np.float32), (rows, cols)), shape=shape)


def transform(f: Any, X: Sequence[Processed]) -> sp.csr_matrix:
    """The feature matrix of fitted features ``f`` (a ``NarrativeFeatures`` or its lean twin)."""
    X = _check(X)
    tokens = [p.tokens or "<empty>" for p in X]
    if _fast_word_path(f.word_):
        blocks = [_word_transform(f.word_, tokens)]
    else:
        blocks = [f.word_.transform(tokens)]
    if f.char_ is not None:
        texts = [p.text.lower() for p in X]
        if f.char_.analyzer == "char_wb":
            blocks.append(_char_wb_transform(f.char_, texts))
        else:
            blocks.append(f.char_.transform(texts))
    blocks.append(_counts(f, X))
    return sp.hstack(blocks, format="csr", dtype=np.float32)


def restore_vocabularies(state: dict[str, Any]) -> dict[str, Any]:
    """A saved features state with its vectorizers' vocabularies rebuilt: they are saved as one
    array of terms each (``_word_terms``, ``_char_terms``; see ``NarrativeFeatures.__getstate__``)."""
    state = dict(state)
    for name in ("word_", "char_"):
        terms = state.pop(f"_{name}terms", None)
        if terms is not None and state.get(name) is not None:
            state[name].vocabulary_ = dict(zip(terms.tolist(), range(len(terms)), strict=True))
    return state


# ----------------------------------------------------------------- lean twins
class LeanTfidf:
    """The saved state of a fitted ``sklearn.feature_extraction.text.TfidfTransformer``."""

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)


class LeanVectorizer:
    """The saved state of a fitted ``TfidfVectorizer``: what :func:`transform` reads of it
    (vocabulary, n-gram range, dtype, TF-IDF weights). Loading accepts only the settings whose
    transform is computed here (see :meth:`supported`)."""

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)

    def supported(self) -> bool:
        tfidf = self.__dict__.get("_tfidf")
        if not isinstance(tfidf, LeanTfidf) or tfidf.__dict__.get("norm") not in (None, "l2"):
            return False
        if not _valid_range(self.__dict__.get("ngram_range")):
            return False
        if self.analyzer == "word":
            return _fast_word_path(self)
        return (
            self.analyzer == "char_wb"
            and self.preprocessor is None
            and not self.strip_accents
            and isinstance(self.lowercase, bool)
        )

    def build_preprocessor(self):
        """scikit-learn's preprocessor for the supported settings: lower-casing or nothing."""
        return str.lower if self.lowercase else _identity


def _valid_range(r: Any) -> bool:
    """An n-gram range as scikit-learn accepts it: two integers, ``1 <= min_n <= max_n``."""
    return (
        isinstance(r, tuple | list)
        and len(r) == 2
        and all(isinstance(n, int | np.integer) and not isinstance(n, bool) for n in r)
        and 1 <= r[0] <= r[1]
    )


def _identity(doc: str) -> str:
    return doc


class LeanFeatures:
    """The saved state of a fitted :class:`~narratives.features.NarrativeFeatures`, for tagging."""

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(restore_vocabularies(state))

    def transform(self, X: Sequence[Processed]) -> sp.csr_matrix:
        return transform(self, X)

    def supported(self) -> bool:
        """Whether every block is computed here (else the model loads with scikit-learn)."""
        word, char = self.__dict__.get("word_"), self.__dict__.get("char_")
        return (
            isinstance(word, LeanVectorizer)
            and word.supported()
            and (char is None or (isinstance(char, LeanVectorizer) and char.supported()))
            and all(
                hasattr(self, a)
                for a in ("cue_labels_", "actor_keys_", "stance_keys_", "cue_weight")
            )
            and hasattr(self, "actor_weight")
            and hasattr(self, "stance_weight")
        )
