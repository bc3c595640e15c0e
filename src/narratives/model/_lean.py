"""Lean twins of the fitted classifier and pipeline: what a model loaded from disk tags with.

:mod:`narratives.persistence._lean` builds them from the saved state of a
:class:`~narratives.model.NarrativePipeline` (the same state scikit-learn's classes would
receive), so that tagging does not import scikit-learn (issue 15). They decide with the very
code the estimators use (:mod:`narratives.model._deciding`); a model whose parts they cannot
score (for example isotonic calibration) is loaded with scikit-learn instead.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..features._transform import LeanFeatures
from ..preprocessing._segmenter import LeanPreprocessor
from ._deciding import DecidingClassifier, DecidingPipeline, fill_classifier_defaults

__all__ = ["FITTED", "STEPS", "LeanClassifier", "LeanLinear", "LeanPipeline", "has_steps"]

#: What a fitted classifier must hold (checked when a model is loaded).
FITTED = (
    "fine_labels_",
    "coarse_labels_",
    "none_label_",
    "parents_",
    "thresholds_",
    "support_",
    "n_features_in_",
)


class LeanLinear:
    """The saved state of a fitted binary ``sklearn.linear_model.LogisticRegression``."""

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)

    def linear_form(self) -> tuple[np.ndarray, float, None] | None:
        """``(coef, intercept, None)`` as ``model._label_models._linear_form`` gives it for a
        logistic regression with one coefficient row; else None."""
        coef, intercept = self.__dict__.get("coef_"), self.__dict__.get("intercept_")
        if not (isinstance(coef, np.ndarray) and isinstance(intercept, np.ndarray)):
            return None
        if coef.ndim != 2 or coef.shape[0] != 1 or intercept.shape != (1,):
            return None
        return coef.ravel(), float(intercept[0]), None


class LeanClassifier(DecidingClassifier):
    """The saved state of a fitted :class:`~narratives.model.NarrativeClassifier`, for tagging."""

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(fill_classifier_defaults(dict(state)))

    def _linear_forms(self, models: list[Any]) -> list[tuple[np.ndarray, float, Any] | None]:
        return [m.linear_form() if isinstance(m, LeanLinear) else None for m in models]

    def supported(self) -> bool:
        """Every label model and the stance head are scored here: binary logistic regressions,
        or the stand-ins for labels without positives (None) or without negatives (a float)."""
        if not all(a in self.__dict__ for a in (*FITTED, "estimators_", "decision_")):
            return False
        if not isinstance(self.estimators_, list) or not isinstance(self.decision_, dict):
            return False
        ok = all(
            m is None
            or (isinstance(m, float) and not isinstance(m, bool))
            or (isinstance(m, LeanLinear) and m.linear_form() is not None)
            for m in self.estimators_
        )
        stance = self.__dict__.get("stance_estimator_")
        cal = self.__dict__.get("calibrators_")
        return (
            ok
            and (stance is None or (isinstance(stance, LeanLinear) and bool(stance.linear_form())))
            and (cal is None or (isinstance(cal, np.ndarray) and cal.ndim == 2))
        )


class LeanPipeline(DecidingPipeline):
    """The saved state of a fitted :class:`~narratives.model.NarrativePipeline`, for tagging:
    ``steps`` (preprocess, features, classifier) and :meth:`decide`, :meth:`decide_processed`,
    the relevance gate."""

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)

    @property
    def named_steps(self) -> dict[str, Any]:
        return dict(self.steps)

    def supported(self) -> bool:
        """The three steps, each of its lean kind and scored here."""
        return (
            has_steps(self, (LeanPreprocessor, LeanFeatures, LeanClassifier))
            and self.steps[1][1].supported()
            and self.steps[2][1].supported()
        )


#: The steps of a narratives pipeline, in order.
STEPS = ("preprocess", "features", "classifier")


def has_steps(pipeline: Any, kinds: tuple[type, type, type]) -> bool:
    """Whether the saved state of ``pipeline`` has :data:`STEPS` as its ``steps``, each a
    ``(name, step)`` pair whose step is of its kind (a loaded pipeline's shape, checked by the
    full load with the estimator classes and by the lean load with their twins)."""
    steps = pipeline.__dict__.get("steps")
    return (
        isinstance(steps, list)
        and len(steps) == len(STEPS)
        and all(
            isinstance(s, tuple) and len(s) == 2 and s[0] == name and isinstance(s[1], kind)
            for s, name, kind in zip(steps, STEPS, kinds, strict=True)
        )
    )
