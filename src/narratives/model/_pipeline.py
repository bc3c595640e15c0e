"""The one sklearn pipeline object: Preprocessor -> NarrativeFeatures -> NarrativeClassifier."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sklearn.pipeline import Pipeline

from ..features import NarrativeFeatures
from ..preprocessing import Preprocessor, Processed
from ..preprocessing._language import DOCUMENT_SAMPLE, document_language
from ..preprocessing._normalize import normalize
from ..preprocessing._units import _as_taxonomy
from ._classifier import NarrativeClassifier
from ._deciding import DecidingPipeline

__all__ = ["NarrativePipeline", "make_pipeline"]


class NarrativePipeline(Pipeline, DecidingPipeline):
    """A :class:`sklearn.pipeline.Pipeline` that fits on texts and label lists.

    ``fit(texts, labels, stance=None, groups=None, open_world=None)``; ``predict`` returns the fine-label 0/1 matrix,
    ``predict_proba`` the fine-label probabilities, ``decide`` everything (see
    :meth:`NarrativeClassifier.decide`). It clones, cross-validates and ``set_params`` like any
    sklearn pipeline, e.g. ``pipe.set_params(features__char_ngrams=True)``.

    Examples
    --------
    >>> pipe = make_pipeline(classifier__threshold_cv=0)
    >>> texts = ["Kazakhstan is an artificial state created by Lenin.", "The lake froze early."] * 3
    >>> labels = [["artificial_state"], []] * 3
    >>> pipe.fit(texts, labels).decide(["A fake state invented by the Bolsheviks."])["frames"][0]
    ['artificial_state']
    """

    def fit(
        self,
        X: Any,
        y: Any = None,
        stance: Sequence[Any] | None = None,
        groups: Any = None,
        open_world: Any = None,
        **params: Any,
    ):
        if open_world is not None:
            params["classifier__open_world"] = open_world
        if stance is not None:
            params["classifier__stance"] = stance
        if groups is not None:
            params["classifier__groups"] = groups
        if "classifier__languages" not in params and not isinstance(X, str):
            X = list(X)
            params["classifier__languages"] = [_language_of(t) for t in X]
        return super().fit(X, y, **params)

    def features_of(self, texts: Sequence[str]):
        return self[:-1].transform(list(texts))


def _language_of(unit: Any) -> str:
    """The language of a training unit: a text's detected language, or a preprocessed unit's."""
    if isinstance(unit, Processed):
        return unit.lang
    if isinstance(unit, str):
        return document_language(normalize(unit[:DOCUMENT_SAMPLE]).text)
    return ""


def make_pipeline(taxonomy: Any = None, memory: Any = None, **params: Any) -> NarrativePipeline:
    """Build the default, unfitted pipeline for a taxonomy.

    Parameters
    ----------
    taxonomy : Taxonomy, dict, path or None
        ``None`` uses the bundled taxonomy. Stored in every stage as a plain dict.
    memory : str, joblib.Memory or None
        Cache for the fitted preprocessing and feature stages (sklearn's Pipeline ``memory``).
    **params
        ``step__param`` overrides, e.g. ``classifier__C=2.0``.
    """
    tax = _as_taxonomy(taxonomy).to_dict()
    pipe = NarrativePipeline(
        [
            ("preprocess", Preprocessor(taxonomy=tax)),
            ("features", NarrativeFeatures(taxonomy=tax)),
            ("classifier", NarrativeClassifier(taxonomy=tax)),
        ],
        memory=memory,
    )
    if params:
        pipe.set_params(**params)
    return pipe
