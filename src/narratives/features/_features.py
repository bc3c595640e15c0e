"""Feature extraction: word n-gram TF-IDF, optional character n-grams, cue lexicon, actors, stance cues."""

from __future__ import annotations

import copy
import itertools
import weakref
from collections.abc import Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.utils.validation import check_is_fitted

from .._exceptions import InputError
from ..preprocessing._preprocessor import Processed, _as_taxonomy
from ..preprocessing._spacy import load_gazetteer

__all__ = ["NarrativeFeatures"]


def _check(X: Sequence[Any]) -> Sequence[Processed]:
    if len(X) and not isinstance(X[0], Processed):
        raise InputError(
            "NarrativeFeatures expects Preprocessor output; put a Preprocessor before it "
            "(narratives.make_pipeline does)"
        )
    return X


# Per fitted character vectorizer: word -> vocabulary indices of its n-grams (not persisted).
_CHAR_CACHE: weakref.WeakKeyDictionary[TfidfVectorizer, dict[str, np.ndarray]] = (
    weakref.WeakKeyDictionary()
)
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


def _char_wb_transform(vectorizer: TfidfVectorizer, docs: Sequence[str]) -> sp.csr_matrix:
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
    return _weighted(vectorizer, (D @ M).tocsr())


def _word_transform(vectorizer: TfidfVectorizer, docs: Sequence[str]) -> sp.csr_matrix:
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
        for n in range(min_n, max_n + 1):
            if n == 1:
                feats += toks
            elif n <= len(toks):
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


def _weighted(vectorizer: TfidfVectorizer, counts: sp.csr_matrix) -> sp.csr_matrix:
    """The fitted vectorizer's own TF-IDF weighting of raw counts, in sklearn's canonical CSR
    form (summed duplicates, sorted indices) so the result equals ``vectorizer.transform``."""
    counts.sum_duplicates()
    counts.sort_indices()
    return vectorizer._tfidf.transform(counts, copy=False)


def _fast_word_path(vectorizer: TfidfVectorizer) -> bool:
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


class NarrativeFeatures(TransformerMixin, BaseEstimator):
    """Sparse features for the classifier, built from :class:`~narratives.preprocessing.Processed`.

    Blocks, in order: word n-gram TF-IDF over lemmas; character n-gram TF-IDF (optional); cue
    lexicon counts per frame (from the taxonomy); actor/target counts per gazetteer entry and per
    actor type; stance-cue counts. Count blocks are ``log1p`` scaled and multiplied by their weight.

    Parameters
    ----------
    ngram_range : tuple, default=(1, 2)
    min_df : int or float, default=2
    max_df : float, default=0.9
    max_features : int or None, default=200_000
    sublinear_tf : bool, default=True
    char_ngrams : bool, default=False
        Add character n-grams (``char_wb``) of the normalised text; robust to typos, slower.
    char_ngram_range : tuple, default=(3, 5)
    char_max_features : int, default=100_000
    cue_weight, actor_weight, stance_weight : float
        Scale of the count blocks relative to the TF-IDF block (0 removes a block).
    taxonomy : dict, Taxonomy, path or None
        Gives the order of the cue-lexicon block.
    """

    def __init__(
        self,
        ngram_range: tuple[int, int] = (1, 2),
        min_df: int | float = 2,
        max_df: float = 0.9,
        max_features: int | None = 200_000,
        sublinear_tf: bool = True,
        char_ngrams: bool = False,
        char_ngram_range: tuple[int, int] = (3, 5),
        char_max_features: int = 100_000,
        cue_weight: float = 0.1,
        actor_weight: float = 0.1,
        stance_weight: float = 0.1,
        taxonomy: Any = None,
    ):
        self.ngram_range = ngram_range
        self.min_df = min_df
        self.max_df = max_df
        self.max_features = max_features
        self.sublinear_tf = sublinear_tf
        self.char_ngrams = char_ngrams
        self.char_ngram_range = char_ngram_range
        self.char_max_features = char_max_features
        self.cue_weight = cue_weight
        self.actor_weight = actor_weight
        self.stance_weight = stance_weight
        self.taxonomy = taxonomy

    def fit(self, X: Sequence[Processed], y: Any = None) -> NarrativeFeatures:
        X = _check(X)
        if not len(X):
            raise InputError("cannot fit features on zero texts")
        min_df = self.min_df if isinstance(self.min_df, float) or len(X) >= 10 else 1
        self.word_ = TfidfVectorizer(
            token_pattern=r"\S+",
            lowercase=False,
            ngram_range=tuple(self.ngram_range),
            min_df=min_df,
            max_df=self.max_df if len(X) >= 10 else 1.0,
            max_features=self.max_features,
            sublinear_tf=self.sublinear_tf,
            dtype=np.float32,
        )
        tokens = [p.tokens or "<empty>" for p in X]
        self.word_.fit(tokens)
        if self.char_ngrams:
            self.char_ = TfidfVectorizer(
                analyzer="char_wb",
                ngram_range=tuple(self.char_ngram_range),
                min_df=min_df,
                max_df=self.max_df if len(X) >= 10 else 1.0,
                max_features=self.char_max_features,
                sublinear_tf=True,
                dtype=np.float32,
            )
            self.char_.fit([p.text.lower() for p in X])
        else:
            self.char_ = None
        tax = _as_taxonomy(self.taxonomy)
        self.cue_labels_ = list(tax.cues())
        gaz = load_gazetteer()
        types = sorted({v.get("type", "other") for v in gaz.values()})
        self.actor_keys_ = list(gaz) + [f"type:{t}" for t in types]
        self.stance_keys_ = [*sorted(tax.stance_cues), "quotes"]
        self.n_features_out_ = len(self.get_feature_names_out())
        return self

    def _counts(self, X: Sequence[Processed]) -> sp.csr_matrix:
        cue_idx = {k: i for i, k in enumerate(self.cue_labels_)}
        off_a = len(self.cue_labels_)
        act_idx = {k: off_a + i for i, k in enumerate(self.actor_keys_)}
        off_s = off_a + len(self.actor_keys_)
        st_idx = {k: off_s + i for i, k in enumerate(self.stance_keys_)}
        gaz = load_gazetteer()
        rows, cols, vals = [], [], []
        for r, p in enumerate(X):
            for k, c in p.cues.items():
                if k in cue_idx:
                    (
                        rows.append(r),
                        cols.append(cue_idx[k]),
                        vals.append(self.cue_weight * np.log1p(c)),
                    )
            by_type: dict[str, int] = {}
            for k, c in p.actors.items():
                if k in act_idx:
                    (
                        rows.append(r),
                        cols.append(act_idx[k]),
                        vals.append(self.actor_weight * np.log1p(c)),
                    )
                    t = f"type:{gaz[k].get('type', 'other')}"
                    by_type[t] = by_type.get(t, 0) + c
            for t, c in by_type.items():
                (
                    rows.append(r),
                    cols.append(act_idx[t]),
                    vals.append(self.actor_weight * np.log1p(c)),
                )
            stance = dict(p.stance)
            stance["quotes"] = p.text.count('"') // 2
            for k, c in stance.items():
                if k in st_idx and c:
                    (
                        rows.append(r),
                        cols.append(st_idx[k]),
                        vals.append(self.stance_weight * np.log1p(c)),
                    )
        shape = (len(X), off_s + len(self.stance_keys_))
        return sp.csr_matrix((np.asarray(vals, np.float32), (rows, cols)), shape=shape)

    def transform(self, X: Sequence[Processed]) -> sp.csr_matrix:
        check_is_fitted(self, "word_")
        X = _check(X)
        tokens = [p.tokens or "<empty>" for p in X]
        if _fast_word_path(self.word_):
            blocks = [_word_transform(self.word_, tokens)]
        else:
            blocks = [self.word_.transform(tokens)]
        if self.char_ is not None:
            texts = [p.text.lower() for p in X]
            if self.char_.analyzer == "char_wb":
                blocks.append(_char_wb_transform(self.char_, texts))
            else:
                blocks.append(self.char_.transform(texts))
        blocks.append(self._counts(X))
        return sp.hstack(blocks, format="csr", dtype=np.float32)

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        check_is_fitted(self, "word_")
        names = list(self.word_.get_feature_names_out())
        if self.char_ is not None:
            names += [f"char:{c}" for c in self.char_.get_feature_names_out()]
        names += [f"cue:{c}" for c in self.cue_labels_]
        names += [f"actor:{a}" for a in self.actor_keys_]
        names += [f"stance:{s}" for s in self.stance_keys_]
        return np.asarray(names, dtype=object)

    # Persistence: a vocabulary as one array of terms instead of a dict. skops writes a dict
    # entry by entry (a JSON node per term: 186,000 nodes and 68 MB of schema for the default
    # model, seconds to load); an array is one .npy file. Pickle uses the same state.
    def __getstate__(self) -> dict[str, Any]:
        state = dict(super().__getstate__())  # object.__getstate__ returns __dict__ itself
        for name in ("word_", "char_"):
            vec = state.get(name)
            vocab = getattr(vec, "vocabulary_", None)
            if isinstance(vocab, dict):
                vec = copy.copy(vec)  # the fitted object in memory keeps its dict
                del vec.vocabulary_
                state[name] = vec
                state[f"_{name}terms"] = np.array(sorted(vocab, key=vocab.__getitem__), dtype=str)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        state = dict(state)
        for name in ("word_", "char_"):
            terms = state.pop(f"_{name}terms", None)
            if terms is not None and state.get(name) is not None:
                state[name].vocabulary_ = {t: i for i, t in enumerate(terms.tolist())}
        super().__setstate__(state)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        return tags
