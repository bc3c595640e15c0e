"""Feature extraction: word n-gram TF-IDF, optional character n-grams, cue lexicon, actors, stance cues."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.utils.validation import check_is_fitted

from .._exceptions import InputError
from ..preprocessing._spacy import load_gazetteer
from ..preprocessing._units import Processed, _as_taxonomy
from ._transform import _check, restore_vocabularies, transform

__all__ = ["NarrativeFeatures"]


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

    def transform(self, X: Sequence[Processed]) -> sp.csr_matrix:
        check_is_fitted(self, "word_")
        return transform(self, X)

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
        super().__setstate__(restore_vocabularies(state))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        return tags
