"""The one sklearn pipeline object: Preprocessor -> NarrativeFeatures -> NarrativeClassifier."""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from typing import Any

import numpy as np
from sklearn.pipeline import Pipeline

from .._taxonomy import Taxonomy
from ..features import NarrativeFeatures
from ..preprocessing import Preprocessor, Processed
from ..preprocessing._language import DOCUMENT_SAMPLE, document_language
from ..preprocessing._normalize import normalize
from ..preprocessing._units import _as_taxonomy
from ._classifier import NarrativeClassifier
from ._decision import Decision

__all__ = ["NarrativePipeline", "make_pipeline"]


_TAXONOMY_CACHE: weakref.WeakKeyDictionary[Any, tuple[Any, Taxonomy, frozenset[str]]] = (
    weakref.WeakKeyDictionary()
)


class NarrativePipeline(Pipeline):
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

    @property
    def classifier(self) -> NarrativeClassifier:
        return self.steps[-1][1]

    @property
    def taxonomy(self) -> Taxonomy:
        return self._taxonomy_and_actors()[0]

    def _taxonomy_and_actors(self) -> tuple[Taxonomy, frozenset[str], frozenset[str]]:
        # The stages store the taxonomy as a plain dict; building a Taxonomy from it per document
        # (the relevance gate) was a measurable share of tagging time, so it is built once per
        # taxonomy object.
        source = self.classifier.taxonomy
        hit = _TAXONOMY_CACHE.get(self)
        if hit is None or hit[0] is not source:
            tax = _as_taxonomy(source)
            hit = _TAXONOMY_CACHE[self] = (
                source,
                tax,
                frozenset(tax.relevance_actors),
                frozenset(tax.relevance_cue_actors),
            )
        return hit[1], hit[2], hit[3]

    def features_of(self, texts: Sequence[str]):
        return self[:-1].transform(list(texts))

    def decide(self, X: Sequence[str]) -> Decision:
        """Decisions for raw texts: :meth:`NarrativeClassifier.decide` plus the relevance gate."""
        return self.decide_processed(self.named_steps["preprocess"].transform(list(X)))

    def decide_processed(
        self, processed: Sequence[Processed], relevant: Sequence[bool] | None = None
    ) -> Decision:
        """Like :meth:`decide` for already preprocessed units (skips the spaCy stage).

        ``relevant`` overrides the relevance gate per row (e.g. computed on the whole document a
        passage comes from); by default each unit must itself mention one of the taxonomy's
        ``relevance_actors``.
        """
        if not len(processed):
            dec = self.classifier.decide(np.zeros((0, self.classifier.n_features_in_)))
            dec.relevant = np.zeros(0, dtype=bool)
            return dec
        dec = self.classifier.decide(
            self.named_steps["features"].transform(processed),
            languages=[p.lang for p in processed],
        )
        if relevant is None:
            relevant = [self.is_relevant(p) for p in processed]
        dec.gate(np.asarray(relevant, dtype=bool), self.classifier.none_label_)
        return dec

    def is_relevant(self, processed: Processed) -> bool:
        """Whether a unit passes the taxonomy's relevance gate: it names one of the
        ``relevance_actors``, or it is itself a claim about the West (:meth:`claims_about_west`)."""
        return self.names_region(processed) or self.claims_about_west(processed)

    def names_region(self, processed: Processed) -> bool:
        """The unit names one of the taxonomy's ``relevance_actors`` (or the taxonomy has none)."""
        _, actors, _ = self._taxonomy_and_actors()
        return not actors or bool(actors.intersection(processed.actors))

    def claims_about_west(self, processed: Processed) -> bool:
        """The unit names one of the ``relevance_cue_actors`` together with a frame cue phrase.
        Row building applies this per passage, not per document: a long climate or election
        article that names the US somewhere and "fake" elsewhere is not opened by it."""
        _, _, cue_actors = self._taxonomy_and_actors()
        return bool(processed.cues) and bool(cue_actors.intersection(processed.actors))


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
