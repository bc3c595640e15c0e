"""Model stage: the two-level classifier and the full pipeline.

The scikit-learn estimators (``NarrativeClassifier``, ``NarrativePipeline``) and the functions
that build or fit them are imported on first use; :class:`Decision` and the decision code a
saved model's lean twin shares with them (:mod:`narratives.model._deciding`) need no
scikit-learn.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._internal.lazy import lazy_names
from .._internal.vocab import STANCES
from ._decision import Decision

if TYPE_CHECKING:
    from ._classifier import NarrativeClassifier
    from ._pipeline import NarrativePipeline, make_pipeline
    from ._train import fit_pipeline

__all__ = [
    "STANCES",
    "Decision",
    "NarrativeClassifier",
    "NarrativePipeline",
    "fit_pipeline",
    "make_pipeline",
]

__getattr__, __dir__ = lazy_names(
    __name__,
    {
        "NarrativeClassifier": "._classifier",
        "NarrativePipeline": "._pipeline",
        "make_pipeline": "._pipeline",
        "fit_pipeline": "._train",
    },
    __all__,
)
