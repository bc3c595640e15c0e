"""Decisions of a fitted classifier and pipeline, without scikit-learn.

:class:`DecidingClassifier` and :class:`DecidingPipeline` hold what
:class:`~narratives.model.NarrativeClassifier` and :class:`~narratives.model.NarrativePipeline`
do after fitting: scores from the stacked linear models, thresholds, the hierarchy, stance,
the relevance gate. The estimators inherit them, and so do the lean twins a model loaded from
disk tags with (:mod:`narratives.model._lean`): one implementation, and tagging one document
does not import scikit-learn (issue 15).
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.special import expit

from .._taxonomy import Taxonomy
from ..preprocessing._units import Processed, _as_taxonomy
from ._decision import Decision
from ._hierarchy import DecisionShape, apply_decision
from ._stance import frame_stances

__all__ = ["DecidingClassifier", "DecidingPipeline", "fill_classifier_defaults"]


# Per fitted classifier: its label models' linear forms and, once a batch is large enough, their
# weights stacked into one matrix (not persisted): [W or None, forms, estimators, stance head,
# stance biases, weight columns].
_STACKED: weakref.WeakKeyDictionary[Any, list[Any]] = weakref.WeakKeyDictionary()

#: Batches of at most this many rows are scored one weight column at a time, without stacking
#: the columns into one matrix: a fresh process tagging one document does not build (and page in)
#: tens of megabytes for it. Each value is the same sum in the same order either way (tested).
SMALL_BATCH = 32

# Per fitted classifier: its label hierarchy as index arrays (not persisted).
_SHAPES: weakref.WeakKeyDictionary[Any, DecisionShape] = weakref.WeakKeyDictionary()

_TAXONOMY_CACHE: weakref.WeakKeyDictionary[Any, tuple[Any, Taxonomy, frozenset[str]]] = (
    weakref.WeakKeyDictionary()
)


def _proba_one(est: Any, X: Any) -> np.ndarray:
    if est is None:
        return np.zeros(X.shape[0])
    if isinstance(est, float):
        return np.full(X.shape[0], est)
    return est.predict_proba(X)[:, 1]


def _label_lists(D: np.ndarray, labels: Sequence[str], none: str) -> list[list[str]]:
    """Per row of a 0/1 matrix, its labels (``[none]`` when empty).

    Rows with the same labels are built once (real output has few distinct label sets); the key
    is the row's packed bits, which has no limit on the number of labels (an integer bit mask
    would overflow at 64). Each row gets its own list.
    """
    if not D.shape[0]:
        return []
    packed = np.packbits(np.asarray(D) != 0, axis=1)
    built: dict[bytes, list[str]] = {}
    out = []
    for r, key in enumerate(map(bytes, packed)):
        labs = built.get(key)
        if labs is None:
            labs = built[key] = [labels[j] for j in np.flatnonzero(D[r])] or [none]
        out.append(list(labs))
    return out


def fill_classifier_defaults(state: dict[str, Any]) -> dict[str, Any]:
    """A saved classifier state with the parameters added after it was saved at their defaults
    (the behaviour it was saved with)."""
    for name, default in (
        ("open_world_fpr", None),
        ("document_alpha", 0.05),
        ("dual", False),
        ("solver", "liblinear"),
        ("threshold_plateau", 0.0),
    ):
        state.setdefault(name, default)
    if "thresholds_" in state:
        state.setdefault("language_thresholds_", {})
    return state


class DecidingClassifier:
    """Prediction of a fitted two-level classifier (see
    :class:`~narratives.model.NarrativeClassifier`). Subclasses give :meth:`_check_fitted` and
    :meth:`_linear_forms`."""

    def _check_fitted(self) -> None:
        """Raise when the classifier is not fitted."""

    def _linear_forms(self, models: list[Any]) -> list[tuple[np.ndarray, float, Any] | None]:
        """Per model, ``(coef, intercept, sigmoid (a, b) or None)`` when it is a binary
        logistic regression, else None (scored by :func:`_proba_one` or its own
        ``predict_proba``)."""
        raise NotImplementedError

    def threshold_rows(self, languages: Sequence[str] | None, n: int) -> np.ndarray:
        """Thresholds per row (n, fine + coarse labels): each row's language's own where it has
        them (``language_thresholds_``), else the shared ``thresholds_``."""
        labels = self.fine_labels_ + self.coarse_labels_
        thr = np.array([self.thresholds_[lab] for lab in labels])
        own = getattr(self, "language_thresholds_", None) or {}
        if languages is None or not own or not set(own).intersection(languages):
            return np.broadcast_to(thr, (n, len(labels)))
        out = np.tile(thr, (n, 1))
        langs = np.asarray(languages, dtype=object)
        for lang, table in own.items():
            rows = langs == lang
            if rows.any():
                for j, lab in enumerate(labels):
                    if lab in table:
                        out[rows, j] = table[lab]
        return out

    def _own_rows(self, languages: Sequence[str] | None, n: int) -> np.ndarray | None:
        """:meth:`threshold_rows` when some row's language has thresholds of its own (and the
        decision is per label), else None: every row uses the shared ``thresholds_``."""
        own = getattr(self, "language_thresholds_", None)
        if languages is None or not own or "coarse_scale" in self.decision_:
            return None
        if not set(own).intersection(languages):
            return None
        return self.threshold_rows(languages, n)

    def _apply(
        self, P: np.ndarray, decision: dict[str, Any], rows: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """0/1 fine and coarse decisions from probabilities (fine, coarse, none columns);
        ``rows``: per-row thresholds (:meth:`_own_rows`) instead of the shared ones."""
        nf, nc = len(self.fine_labels_), len(self.coarse_labels_)
        thr = np.array([self.thresholds_[lab] for lab in self.fine_labels_ + self.coarse_labels_])
        if rows is not None:
            thr = rows
        if "coarse_scale" in decision:  # tuned by model._hierarchy (document-level models)
            return apply_decision(P, thr, decision, self._decision_shape())
        thr = np.minimum(thr * decision["scale"], 0.99)
        D = (P[:, : nf + nc] >= thr).astype(np.int8)
        fine = D[:, :nf]
        coarse = D[:, nf:] | self._coarse_from_fine(fine)
        gate = decision.get("none_gate")
        if gate is not None and P.shape[1] > nf + nc:
            is_none = P[:, nf + nc] >= gate
            if decision.get("top1"):
                empty = ~is_none & (fine.sum(axis=1) == 0)
                if empty.any():
                    rel = P[:, :nf] / np.maximum(thr[..., :nf], 1e-6)
                    j = rel.argmax(axis=1)
                    fine[empty, j[empty]] = 1
                    coarse = coarse | self._coarse_from_fine(fine)
            fine[is_none] = 0
            coarse[is_none] = 0
        return fine, coarse

    def _decision_shape(self) -> DecisionShape:
        shape = _SHAPES.get(self)
        if shape is None or shape.nf != len(self.fine_labels_):
            shape = _SHAPES[self] = DecisionShape(
                self.fine_labels_, self.coarse_labels_, self.parents_
            )
        return shape

    def _coarse_from_fine(self, Yf: np.ndarray) -> np.ndarray:
        Yc = np.zeros((Yf.shape[0], len(self.coarse_labels_)), dtype=np.int8)
        cidx = {c: i for i, c in enumerate(self.coarse_labels_)}
        for j, f in enumerate(self.fine_labels_):
            Yc[:, cidx[self.parents_[f]]] |= Yf[:, j]
        return Yc

    # --------------------------------------------------------------- prediction
    def predict_proba_all(self, X: Any) -> np.ndarray:
        """Probabilities: fine labels, coarse labels, then the "no label" model: (n, n_fine + n_coarse + 1)."""
        self._check_fitted()
        return self._scores(X)[0]

    def _stack(self, models: list[Any], n_features: int) -> list[Any]:
        """The linear forms of ``models``, cached per classifier (see ``_STACKED``)."""
        stacked = _STACKED.get(self)
        if stacked is None or stacked[2] is not self.estimators_ or stacked[3] is not models[-1]:
            forms = self._linear_forms(models)
            cal = getattr(self, "calibrators_", None)
            for j in range(len(self.estimators_)):
                if cal is not None and forms[j] is not None and not np.isnan(cal[j, 0]):
                    forms[j] = (forms[j][0], forms[j][1], (float(cal[j, 0]), float(cal[j, 1])))
            beta = np.zeros(len(self.fine_labels_))
            if forms[-1] is not None and len(forms[-1][0]) > n_features:
                # Per-frame stance head (model._stance): shared weights, then one bias per frame.
                coef, b, cal_ = forms[-1]
                beta = np.asarray(coef[n_features:], dtype=float)
                forms[-1] = (coef[:n_features], b, cal_)
            cols = [f[0] for f in forms if f is not None]
            stacked = _STACKED[self] = [None, forms, self.estimators_, models[-1], beta, cols]
        return stacked

    def _scores(self, X: Any) -> tuple[np.ndarray, np.ndarray | None]:
        """Label probabilities (as :meth:`predict_proba_all`) and the stance head's P(promotes).

        One sparse product for all linear models (label models and stance head) instead of one
        pass over ``X`` per model: the same arithmetic as each model's own decision function
        and calibrator (tested for equality). Small batches take one product per weight column
        (see :data:`SMALL_BATCH`).
        """
        X = sp.csr_matrix(X)
        models = [*self.estimators_, self.stance_estimator_]
        if X.shape[0] == 0:
            return np.zeros((0, len(self.estimators_))), None
        stacked = self._stack(models, X.shape[1])
        forms = stacked[1]
        D = _decision_values(X, stacked)
        out = np.empty((X.shape[0], len(models)))
        k = 0
        for j, (est, form) in enumerate(zip(models, forms, strict=True)):
            if form is None:
                if j < len(self.estimators_):
                    out[:, j] = _proba_one(est, X)  # also the no-positive and constant stand-ins
                else:
                    out[:, j] = np.nan if est is None else est.predict_proba(X)[:, 1]
                continue
            d = D[:, k] + form[1]
            k += 1
            if form[2] is None:
                out[:, j] = expit(d)
            else:
                a, b = form[2]
                out[:, j] = expit(-(a * d + b))
        stance = None
        if self.stance_estimator_ is not None:
            # P(promotes) per (row, frame): the shared logit plus each frame's bias. The stance
            # head is a logistic regression, so its form is linear (the last column of D).
            logit = D[:, k - 1] + forms[-1][1]
            stance = expit(logit[:, None] + stacked[4][None, :])
        return out[:, :-1], stance

    def predict_proba(self, X: Any) -> np.ndarray:
        """Fine-label probabilities, shape (n, n_fine)."""
        return self.predict_proba_all(X)[:, : len(self.fine_labels_)]

    def decide(self, X: Any, languages: Sequence[str] | None = None) -> Decision:
        """Everything a caller needs: probabilities, consistent decisions and stance.

        Returns a :class:`~narratives.model.Decision`: ``proba_fine``, ``proba_coarse``, ``fine``
        and ``coarse`` (0/1 arrays), ``frames`` / ``families`` (label lists per row, none label
        when empty), ``stance`` and ``stance_proba`` (probability of "promotes"). ``languages``
        (one per row) selects each row's thresholds (:meth:`threshold_rows`).
        """
        self._check_fitted()
        P, S = self._scores(X)
        nf, nc = len(self.fine_labels_), len(self.coarse_labels_)
        rows = self._own_rows(languages, P.shape[0])
        fine, coarse = self._apply(P, self.decision_, rows)
        thresholds = None if rows is None else rows[:, :nf]
        frames = _label_lists(fine, self.fine_labels_, self.none_label_)
        families = _label_lists(coarse, self.coarse_labels_, self.none_label_)
        if S is None:
            S = np.full((P.shape[0], nf), np.nan)
        # Stance belongs to frames: a row without a fine frame has none.
        stances, stance = frame_stances(fine, S, self.fine_labels_)
        # The passage's P(promotes): that of its most promoting frame (NaN without a frame).
        best = np.max(np.where(fine > 0, np.nan_to_num(S, nan=-1.0), -1.0), axis=1, initial=-1.0)
        sp_ = np.where((fine.sum(axis=1) > 0) & (best >= 0), best, np.nan)
        return Decision(
            proba_fine=P[:, :nf],
            proba_coarse=P[:, nf : nf + nc],
            proba_none=P[:, nf + nc] if P.shape[1] > nf + nc else np.zeros(P.shape[0]),
            fine=fine,
            coarse=coarse,
            frames=frames,
            families=families,
            stance=stance,
            stance_proba=sp_,
            stances=stances,
            stance_frames=S,
            thresholds=thresholds,
        )

    def predict(self, X: Any) -> np.ndarray:
        """0/1 matrix of fine labels (columns in ``fine_labels_`` order)."""
        return self.decide(X).fine


def _decision_values(X: sp.csr_matrix, stacked: list[Any]) -> np.ndarray | None:
    """``X`` times each linear model's weights (columns in ``stacked[5]``): one product with the
    stacked matrix, built for the first batch of more than :data:`SMALL_BATCH` rows."""
    cols = stacked[5]
    if not cols:
        return None
    if stacked[0] is None and X.shape[0] > SMALL_BATCH:
        stacked[0] = np.column_stack(cols)
    if stacked[0] is not None:
        return X @ stacked[0]
    # csr_matvec per column: the same sums, in the same order, as csr_matvecs on the stack
    return np.column_stack([X @ c for c in cols])


class DecidingPipeline:
    """Decisions of a fitted pipeline over preprocessed units (see
    :class:`~narratives.model.NarrativePipeline`): needs ``steps`` and ``named_steps``."""

    @property
    def classifier(self) -> DecidingClassifier:
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
