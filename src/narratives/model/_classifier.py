"""Two-level multi-label classifier with calibrated one-vs-rest linear models and a stance head."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp
from joblib import Parallel, delayed
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.calibration import CalibratedClassifierCV
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold, KFold
from sklearn.utils.validation import check_is_fitted

from .._exceptions import InputError
from .._internal.vocab import STANCES
from ..preprocessing._units import _as_taxonomy
from ._calibration import fold_models, oof_sigmoid
from ._deciding import DecidingClassifier, _proba_one, fill_classifier_defaults
from ._hierarchy import tune_decision
from ._label_models import (
    _best_threshold,
    _fit_one,
    _labels_matrix,
    _linear_form,
    _nanmean,
    fit_label_columns,
    fitted_columns,
    resolve_dual,
    resolve_solver,
)
from ._open_world import cap_thresholds, negative_scores
from ._stance import fit_stance_head, pair_matrix, stance_pairs

__all__ = ["MIN_LANGUAGE_POSITIVES", "STANCES", "NarrativeClassifier"]

#: Positives a label needs among one language's rows for that language's own threshold.
MIN_LANGUAGE_POSITIVES = 10

log = logging.getLogger(__name__)


class NarrativeClassifier(ClassifierMixin, BaseEstimator, DecidingClassifier):
    """Two-level multi-label classifier with per-label tuned thresholds and a stance head.

    One calibrated logistic regression per fine label and per coarse label (one-vs-rest). During
    ``fit``, out-of-fold probabilities (K folds, grouped when ``groups`` is given) choose each label's
    decision threshold; the thresholds are stored in ``thresholds_``. Output is consistent: a fine
    label implies its coarse parent; a text with no label gets the taxonomy's none label.

    Parameters
    ----------
    taxonomy : dict, Taxonomy, path or None
    C : float, default=10.0
        Inverse regularisation strength of the label models.
    class_weight : str or None, default="balanced"
    calibration : {"oof_sigmoid", "sigmoid", "isotonic", None}, default="oof_sigmoid"
        ``oof_sigmoid``: Platt's sigmoid fitted on the out-of-fold decision values of the
        threshold folds (no extra fits). ``sigmoid``/``isotonic``: ``CalibratedClassifierCV``
        with ``calibration_cv`` inner folds per label (about four times the fits; models saved
        before version 0.2 use ``sigmoid``).
    calibration_cv : int, default=3
    threshold_cv : int, default=5
        Folds for the out-of-fold threshold tuning (0 or 1: fixed ``default_threshold``).
    threshold_beta : float, default=1.0
        Per-label thresholds maximise F-beta on out-of-fold predictions; beta < 1 favours
        precision (open-world corpora where frames are rare), beta > 1 recall.
    threshold_floor, threshold_ceiling : float
        Bounds for tuned thresholds (guards against degenerate thresholds on tiny labels).
    default_threshold : float, default=0.5
    stance_C : float, default=2.0
    random_state : int, default=0
    n_jobs : int or None, default=None
        joblib workers for fitting label models (liblinear: labels in parallel; the batched
        solver: its BLAS threads).
    open_world_fpr : float or None, default=None
        With ``open_world`` rows at fit time (frame-free real text), raise each label's
        threshold so that at most this share of those rows' out-of-fold scores reach it
        (see :mod:`narratives.model._open_world`).
    document_alpha : float, default=0.05
        Significance level of the length-aware document rule (used when the model has
        open-world negatives).
    dual : bool or "auto", default="auto"
        Formulation liblinear solves for the label models and the stance head (L2-penalised
        logistic regression; scikit-learn's ``LogisticRegression(dual=...)``): ``False`` the
        primal (trust-region Newton), ``True`` the dual (coordinate descent), ``"auto"`` the dual
        when the training matrix has more features than rows (scikit-learn's advice: prefer the
        primal when n_samples > n_features), decided once per matrix (label models: the whole
        training matrix, folds included; stance head: its pair matrix). Both minimise the same
        objective and stop at different points within the solver's tolerance; on text (more
        n-grams than passages) the dual trains 1.6-2x faster with the same CV F1
        (``benchmarks/results/train_speed.md``). Models saved before this parameter get
        ``False``, what they were trained with (also when retrained from their parameters).
    solver : {"auto", "liblinear", "batched"}, default="auto"
        How the label models (final and threshold folds') are fitted. ``liblinear``: one
        scikit-learn ``LogisticRegression(solver="liblinear")`` per label (joblib, ``n_jobs``).
        ``batched``: all labels together on the same objective (:mod:`narratives.model._batched`:
        Newton steps with conjugate gradients, one pass over the matrix per step for every
        label; the threshold folds start from the final models), in this process (``n_jobs``
        bounds its BLAS threads); the models are the same ``LogisticRegression`` objects with the
        weights filled in, equal to liblinear's within its tolerance. The calibrations that
        refit inside ``CalibratedClassifierCV`` (``sigmoid``, ``isotonic``) and the stance head
        keep liblinear. ``auto`` (new models): ``batched`` where it was measured faster, for
        few rows with many features and labels (SemEval-sized: 2x or more) or at least 3 million
        nonzeros (1.6x), else ``liblinear`` (``model._label_models.resolve_solver``; decided
        once, on the whole training matrix and the labels fitted, never on ``n_jobs`` or the
        machine's cores, so that the same data and seed give the same model everywhere). Models saved before this parameter get ``liblinear``, what they
        were trained with (also when retrained from their parameters).
    threshold_plateau : float, default=0.0
        0: each label's threshold is the cut with the best out-of-fold F-beta. A share such as
        0.02: the highest cut whose F-beta is within 2% of the best, a more cautious threshold
        that depends less on which rows share a threshold fold (on the default corpus, fold seed
        0 vs 1: per-frame thresholds move 0.043 on average instead of 0.084). Models saved before
        this parameter get 0.
    threshold_objective : {"label_f1", "samples_f1", "auto"}, default="label_f1"
        ``label_f1`` tunes each label's threshold for its own F1. ``samples_f1`` then also tunes a
        gate on a "no label" model and threshold scales (fine and coarse) for per-text F1 (the
        SemEval metric, scored on the sets as written: a narrative without a subnarrative counts
        as ``<narrative>: Other``), with a top-1 fallback for texts that pass the gate
        (:mod:`narratives.model._hierarchy`). ``auto`` picks whichever
        scores higher on the out-of-fold predictions by mean F1-samples. The top-1 fallback
        suits whole documents from a topical collection (SemEval); on open-world passages it
        forces labels onto unrelated text, so :func:`narratives.train` uses ``samples_f1`` only
        for document-level training.

    Fitted attributes
    -----------------
    fine_labels_, coarse_labels_, parents_, none_label_, estimators_, thresholds_,
    language_thresholds_ (language -> label -> threshold, see ``fit``), stance_estimator_,
    training_metrics_
    """

    def __init__(
        self,
        taxonomy: Any = None,
        C: float = 10.0,
        class_weight: str | None = "balanced",
        calibration: str | None = "oof_sigmoid",
        calibration_cv: int = 3,
        threshold_cv: int = 5,
        threshold_floor: float = 0.1,
        threshold_ceiling: float = 0.9,
        default_threshold: float = 0.5,
        stance_C: float = 2.0,
        random_state: int = 0,
        n_jobs: int | None = None,
        threshold_objective: str = "label_f1",
        threshold_beta: float = 1.0,
        open_world_fpr: float | None = None,
        document_alpha: float = 0.05,
        dual: bool | str = "auto",
        solver: str = "auto",
        threshold_plateau: float = 0.0,
    ):
        self.taxonomy = taxonomy
        self.C = C
        self.class_weight = class_weight
        self.calibration = calibration
        self.calibration_cv = calibration_cv
        self.threshold_cv = threshold_cv
        self.threshold_floor = threshold_floor
        self.threshold_ceiling = threshold_ceiling
        self.default_threshold = default_threshold
        self.stance_C = stance_C
        self.random_state = random_state
        self.n_jobs = n_jobs
        self.threshold_objective = threshold_objective
        self.threshold_beta = threshold_beta
        self.open_world_fpr = open_world_fpr
        self.document_alpha = document_alpha
        self.dual = dual
        self.solver = solver
        self.threshold_plateau = threshold_plateau

    # ------------------------------------------------------------------ fitting
    def _base(self) -> LogisticRegression:
        return LogisticRegression(
            C=self.C,
            class_weight=self.class_weight,
            solver="liblinear",
            dual=getattr(self, "dual_", False),
            max_iter=2000,
            random_state=self.random_state,
        )

    def _fit_all(self, X: Any, Y: np.ndarray) -> list[Any]:
        base = self._base()
        if self.solver_ == "batched":
            return fit_label_columns(base, X, Y, n_jobs=self.n_jobs, labels=self._columns())
        return Parallel(n_jobs=self.n_jobs)(
            delayed(_fit_one)(
                base, X, Y[:, j], self.calibration, self.calibration_cv, self.random_state
            )
            for j in range(Y.shape[1])
        )

    def _columns(self) -> list[str]:
        """The names of the label matrix's columns (fine labels, coarse labels, none label)."""
        return [*self.fine_labels_, *self.coarse_labels_, self.none_label_]

    def fit(
        self,
        X: Any,
        y: Sequence[Sequence[str]],
        stance: Sequence[Any] | None = None,
        groups: Sequence[Any] | None = None,
        open_world: Sequence[bool] | None = None,
        languages: Sequence[str] | None = None,
    ) -> NarrativeClassifier:
        """Fit on a feature matrix and per-row lists of fine labels.

        Parameters
        ----------
        X : sparse matrix (n_samples, n_features)
        y : list of lists of fine labels (the none label or an empty list for no label), or a
            0/1 indicator matrix with one column per fine label in taxonomy order
        stance : list, optional
            Per row: "promotes" / "reports" for all its frames, a dict frame -> stance (stance
            per frame, as in ``data/real``), or "none" / None (no stance known).
        groups : array-like, optional
            Group ids (near-duplicate clusters, sources) kept together in the threshold folds.
        open_world : array-like of bool, optional
            Rows of real, open-world text (e.g. annotated news): their frame-free rows' out-of-fold
            scores are kept in ``negatives_`` for the open-world decisions.
        languages : array-like of str, optional
            Language of each row. A language with no ``open_world`` rows gets thresholds tuned
            on its own rows' out-of-fold scores (``language_thresholds_``; labels with fewer than
            :data:`MIN_LANGUAGE_POSITIVES` positives in it keep the shared threshold): scores
            are not calibrated alike across languages that have different amounts of training
            text. The shared ``thresholds_`` (tuned on the rows of the other languages, capped by
            the open-world rows) serve every other language.
        """
        tax = _as_taxonomy(self.taxonomy)
        self.fine_labels_ = tax.fine_labels
        self.coarse_labels_ = tax.coarse_labels
        self.parents_ = {f: tax.parent(f) for f in self.fine_labels_}
        self.none_label_ = tax.none_label
        if not (isinstance(y, np.ndarray) and y.ndim == 2) and not sp.issparse(y):
            y = list(y)
        if X.shape[0] != y.shape[0] if hasattr(y, "shape") else X.shape[0] != len(y):
            raise InputError(f"{X.shape[0]} texts but {len(y)} label rows")
        if X.shape[0] < 2:
            raise InputError("need at least two training texts")
        Yf = _labels_matrix(y, self.fine_labels_, self.none_label_)
        Yc = self._coarse_from_fine(Yf)
        Yn = (Yf.sum(axis=1, keepdims=True) == 0).astype(np.int8)
        Y = np.hstack([Yf, Yc, Yn])
        X = sp.csr_matrix(X)
        self.n_features_in_ = X.shape[1]
        self.dual_ = resolve_dual(self.dual, X.shape)
        self.solver_ = resolve_solver(self.solver, self.calibration, X, len(fitted_columns(Y)))
        self.estimators_ = self._fit_all(X, Y)
        n_pos = Y.sum(axis=0)

        # Out-of-fold probabilities for thresholds and honest training metrics.
        oof = None
        has_oof = bool(self.threshold_cv) and self.threshold_cv > 1
        has_oof = has_oof and X.shape[0] >= 2 * self.threshold_cv
        if self.calibration == "oof_sigmoid":
            oof = oof_sigmoid(self, X, Y, groups if has_oof else None, has_oof)
        elif has_oof:
            oof = self._oof(X, Y, groups)
        # Languages with thresholds of their own do not pull the shared ones (see _own_languages).
        own, shared_rows = self._own_languages(languages, open_world, Y.shape[0])
        thresholds, oof_f1 = self._tuned_thresholds(oof, Y, shared_rows)
        labels = self.fine_labels_ + self.coarse_labels_
        n_lab = len(labels)
        self.negatives_ = None
        if open_world is not None and oof is not None:
            if len(open_world) != X.shape[0]:
                raise InputError(f"open_world has {len(open_world)} rows for {X.shape[0]} texts")
            self.negatives_ = negative_scores(oof[:, :n_lab], Yf, np.asarray(open_world))
            if self.open_world_fpr and len(self.negatives_):
                thresholds[:n_lab] = cap_thresholds(
                    thresholds[:n_lab], self.negatives_, self.open_world_fpr
                )
        self.thresholds_ = {
            lab: float(t) for lab, t in zip(labels, thresholds[:n_lab], strict=True)
        }
        self.language_thresholds_ = self._language_thresholds(oof, Y, languages, own)
        self.support_ = {lab: int(n) for lab, n in zip(labels, n_pos[:n_lab], strict=True)}
        self.decision_ = {"none_gate": None, "scale": 1.0, "top1": False, "objective": "label_f1"}
        if oof is not None and self.threshold_objective in ("auto", "samples_f1"):
            self.decision_ = self._tune_decision(oof, Yf, Yc)
        oof_f1 = oof_f1[:n_lab]

        # Stance head: promotes vs reports per (row, frame) with a known stance (see _stance).
        self.stance_estimator_ = None
        stance_acc = None
        if stance is not None:
            if len(stance) != X.shape[0]:
                raise InputError(f"{len(stance)} stances for {X.shape[0]} texts")
            rows, cols, target = stance_pairs(Yf, list(stance), self.fine_labels_)
            if len(target) >= 4 and len(set(target.tolist())) == 2:
                nf = len(self.fine_labels_)
                self.stance_estimator_ = fit_stance_head(
                    X, rows, cols, target, nf, self.stance_C, self.random_state, self.dual
                )
                if oof is not None:
                    g = None if groups is None else np.asarray(groups)[rows]
                    stance_acc = self._stance_oof(pair_matrix(X, rows, cols, nf), target, g)
        self.training_metrics_ = {
            "n_train": int(X.shape[0]),
            "oof_f1": {
                lab: (None if np.isnan(v) else round(float(v), 4))
                for lab, v in zip(labels, oof_f1, strict=True)
            },
            "oof_macro_f1_fine": _nanmean(oof_f1[: len(self.fine_labels_)]),
            "oof_macro_f1_coarse": _nanmean(oof_f1[len(self.fine_labels_) :]),
            "oof_stance_accuracy": stance_acc,
            "decision": self.decision_,
        }
        return self

    def _plateau(self) -> float:
        if not 0.0 <= float(self.threshold_plateau) < 1.0:
            raise InputError(f"threshold_plateau must be in [0, 1), not {self.threshold_plateau!r}")
        return float(self.threshold_plateau)

    def _tuned_thresholds(
        self, oof: np.ndarray | None, Y: np.ndarray, rows: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Each label's threshold for F-beta on the out-of-fold scores (of ``rows`` when some
        are given), and that F-beta."""
        thresholds = np.full(Y.shape[1], self.default_threshold)
        oof_f1 = np.full(Y.shape[1], np.nan)
        if oof is None:
            return thresholds, oof_f1
        if rows is not None and rows.any():
            oof, Y = oof[rows], Y[rows]
        for j in np.flatnonzero(Y.sum(axis=0) >= 2):
            thresholds[j], oof_f1[j] = _best_threshold(
                oof[:, j],
                Y[:, j],
                self.threshold_floor,
                self.threshold_ceiling,
                self.threshold_beta,
                self._plateau(),
            )
        return thresholds, oof_f1

    @staticmethod
    def _own_languages(
        languages: Any, open_world: Any, n: int
    ) -> tuple[set[str], np.ndarray | None]:
        """Languages that get thresholds of their own (those without ``open_world`` rows), and
        the rows of the other languages (None: no language has its own)."""
        if languages is None:
            return set(), None
        langs = np.asarray(languages, dtype=object)
        if len(langs) != n:
            raise InputError(f"languages has {len(langs)} rows for {n} texts")
        shared = set() if open_world is None else set(langs[np.asarray(open_world, dtype=bool)])
        own = set(langs) - shared
        return own, (~np.isin(langs, list(own)) if own else None)

    def _language_thresholds(
        self, oof: np.ndarray | None, Y: np.ndarray, languages: Any, own: set[str]
    ) -> dict[str, dict[str, float]]:
        if oof is None or not own:
            return {}
        langs = np.asarray(languages, dtype=object)
        labels = self.fine_labels_ + self.coarse_labels_
        out = {}
        for lang in sorted(own):
            rows = langs == lang
            own = {}
            for j, lab in enumerate(labels):
                if Y[rows, j].sum() >= MIN_LANGUAGE_POSITIVES:
                    own[lab] = float(
                        _best_threshold(
                            oof[rows, j],
                            Y[rows, j],
                            self.threshold_floor,
                            self.threshold_ceiling,
                            self.threshold_beta,
                            self._plateau(),
                        )[0]
                    )
            if own:
                out[str(lang)] = own
        return out

    def _tune_decision(self, oof: np.ndarray, Yf: np.ndarray, Yc: np.ndarray) -> dict[str, Any]:
        """The document-level decision for F1-samples (see :mod:`narratives.model._hierarchy`)."""
        thr = np.array([self.thresholds_[lab] for lab in self.fine_labels_ + self.coarse_labels_])
        return tune_decision(
            oof, Yf, Yc, thr, self._decision_shape(), auto=self.threshold_objective == "auto"
        )

    def _folds(self, n: int, groups: Sequence[Any] | None):
        k = self.threshold_cv
        if groups is not None:
            g = np.asarray(groups)
            k = min(k, len(np.unique(g)))
            return list(
                GroupKFold(n_splits=k, shuffle=True, random_state=self.random_state).split(
                    np.zeros(n), groups=g
                )
            )
        return list(KFold(k, shuffle=True, random_state=self.random_state).split(np.zeros(n)))

    def _oof(self, X: Any, Y: np.ndarray, groups: Sequence[Any] | None) -> np.ndarray:
        oof = np.zeros(Y.shape, dtype=float)
        folds = self._folds(X.shape[0], groups)
        fitted = fold_models(self, X, Y, folds, self.calibration)
        i = 0
        for _tr, te in folds:
            X_te = X[te]
            for j in range(Y.shape[1]):
                oof[te, j] = _proba_one(fitted[i], X_te)
                i += 1
        return oof

    def _stance_oof(self, X: Any, y: np.ndarray, groups: Any) -> float | None:
        if min(np.bincount(y, minlength=2)) < 2:
            return None
        correct = 0
        dual = resolve_dual(self.dual, X.shape)
        for tr, te in self._folds(X.shape[0], groups):
            if len(set(y[tr])) < 2:
                continue
            est = LogisticRegression(
                C=self.stance_C,
                class_weight="balanced",
                solver="liblinear",
                dual=dual,
                max_iter=2000,
                # liblinear's dual solver visits the rows in a random order; the primal uses none.
                random_state=self.random_state,
            ).fit(X[tr], y[tr])
            correct += int((est.predict(X[te]) == y[te]).sum())
        return round(correct / len(y), 4)

    def _check_fitted(self) -> None:
        check_is_fitted(self, "estimators_")

    def _linear_forms(self, models: list[Any]) -> list[tuple[np.ndarray, float, Any] | None]:
        return [None if m is None else _linear_form(m) for m in models]

    def coef_for(self, j: int) -> np.ndarray | None:
        """Linear weights of label column ``j`` (fine then coarse), for explanations."""
        est = self.estimators_[j]
        if est is None or isinstance(est, float):
            return None
        if isinstance(est, CalibratedClassifierCV):
            est = est.calibrated_classifiers_[0].estimator
        return np.asarray(est.coef_).ravel()

    def __setstate__(self, state: dict[str, Any]) -> None:
        # Parameters added after a model was saved take their defaults (same behaviour).
        super().__setstate__(fill_classifier_defaults(state))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        tags.input_tags.sparse = True
        return tags
