"""Evaluation harness: metrics, cross-validation, reports."""

from ._evaluate import cross_validate, evaluate, score_predictions
from ._metrics import f1_samples, micro_macro, per_label_scores

__all__ = ["cross_validate", "evaluate", "f1_samples", "micro_macro", "per_label_scores", "score_predictions"]
