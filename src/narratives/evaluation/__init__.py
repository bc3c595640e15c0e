"""Evaluation harness: metrics, bootstrap intervals, group-aware cross-validation against baselines,
threshold tuning, error analysis and reports.

``narratives.evaluate(model, data)`` scores a trained model; ``narratives.evaluate(data=..., cv=5)``
cross-validates the pipeline and three baselines on the same folds. Both return one dict;
:func:`write_report` turns it into ``metrics.json``, ``report.md`` and ``report.html``.
"""

from ._baselines import (
    BASELINES,
    CrossFittedThresholds,
    CueLexiconBaseline,
    MajorityBaseline,
    SpacyBowBaseline,
)
from ._bootstrap import bootstrap_ci, level_stats, paired_bootstrap
from ._crosswalk import Crosswalk
from ._evaluate import DEFAULT_BASELINES, cross_validate, evaluate
from ._folds import make_folds
from ._format import crosswalk_lines, with_ci
from ._metrics import (
    average_precision,
    binarize,
    brier_score,
    calibration_scores,
    cooccurrence,
    expected_calibration_error,
    f1_per_document,
    f1_samples,
    hamming_loss,
    label_space,
    micro_macro,
    per_label_scores,
    precision_recall_curve,
    reliability_bins,
    set_scores,
    stance_scores,
    subset_accuracy,
)
from ._report import (
    comparison_markdown,
    comparison_rows,
    make_plots,
    render_html,
    render_markdown,
    strip_texts,
    write_report,
)
from ._scoring import gold_coarse, predict_sets, score_predictions, score_semeval_files
from ._systems import Predictions, model_predictions
from ._thresholds import best_threshold, f1_curve, tune_thresholds

__all__ = [
    "BASELINES",
    "DEFAULT_BASELINES",
    "CrossFittedThresholds",
    "Crosswalk",
    "CueLexiconBaseline",
    "MajorityBaseline",
    "Predictions",
    "SpacyBowBaseline",
    "average_precision",
    "best_threshold",
    "binarize",
    "bootstrap_ci",
    "brier_score",
    "calibration_scores",
    "comparison_markdown",
    "comparison_rows",
    "cooccurrence",
    "cross_validate",
    "crosswalk_lines",
    "evaluate",
    "expected_calibration_error",
    "f1_curve",
    "f1_per_document",
    "f1_samples",
    "gold_coarse",
    "hamming_loss",
    "label_space",
    "level_stats",
    "make_folds",
    "make_plots",
    "micro_macro",
    "model_predictions",
    "paired_bootstrap",
    "per_label_scores",
    "precision_recall_curve",
    "predict_sets",
    "reliability_bins",
    "render_html",
    "render_markdown",
    "score_predictions",
    "score_semeval_files",
    "set_scores",
    "stance_scores",
    "strip_texts",
    "subset_accuracy",
    "tune_thresholds",
    "with_ci",
    "write_report",
]
