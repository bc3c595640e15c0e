"""Feature extraction stage.

``NarrativeFeatures`` (the scikit-learn estimator) is imported on first use; the transform it
shares with a saved model's lean twin (:mod:`narratives.features._transform`) needs no
scikit-learn.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._internal.lazy import lazy_names

if TYPE_CHECKING:
    from ._features import NarrativeFeatures

__all__ = ["NarrativeFeatures"]

__getattr__, __dir__ = lazy_names(__name__, {"NarrativeFeatures": "._features"}, __all__)
