"""Systems under evaluation: the narratives model (with evidence for its errors) behind one interface
shared with the baselines.

A system has ``name``, ``fit(frame, taxonomy)`` and ``predict(texts, gold_fine=None) ->
Predictions``. ``Predictions`` holds label sets without the none label, scores aligned with the
taxonomy's labels and, for the narratives model, error candidates with their evidence.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .._api import train
from .._model import NarrativeModel
from .._taxonomy import Taxonomy
from ..io import LabelledData, semeval_frames
from ..model import NarrativePipeline

__all__ = ["OURS", "FixedModel", "NarrativesSystem", "Predictions", "model_predictions"]

log = logging.getLogger(__name__)

# The name of the system under evaluation (the narratives model); baselines are compared with it.
OURS = "narratives"


@dataclass
class Predictions:
    """Outputs of one system on a list of texts.

    ``fine``/``coarse``: label sets (none label removed). ``proba_fine``/``proba_coarse``: scores
    (n, n_labels) in taxonomy order, or ``None``. ``probabilistic``: whether the scores are
    probabilities (calibration is only measured then). ``stance``: per text, or ``None``.
    ``errors``: error candidates with evidence (narratives model only). ``predict_seconds``: the
    time a user would spend getting these labels (evaluation overhead excluded).
    """

    fine: list[list[str]]
    coarse: list[list[str]]
    proba_fine: np.ndarray | None = None
    proba_coarse: np.ndarray | None = None
    stance: list[str] | None = None
    probabilistic: bool = True
    errors: list[dict[str, Any]] = field(default_factory=list)
    predict_seconds: float | None = None


def _snippet(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _top_features(row: Any, coef: np.ndarray | None, names: np.ndarray, k: int) -> list[list[Any]]:
    if coef is None or row is None:
        return []
    vals = row.data * coef[row.indices]
    order = np.argsort(-vals)[:k]
    return [[str(names[row.indices[i]]), round(float(vals[i]), 4)] for i in order if vals[i] > 0]


def model_predictions(
    model: Any,
    texts: list[str],
    gold_fine: list[list[str]] | None = None,
    n_features: int = 6,
    snippet_chars: int = 300,
) -> Predictions:
    """Document-level labels, probabilities and (given gold) evidence for every error of a model.

    Labels come from :meth:`NarrativeModel.tag_segments` at document level, exactly what users get
    from ``model.tag(..., unit="document")``. Scores: document-level models score the whole text;
    passage-level models the best passage (as the tagger does). A document the taxonomy's
    relevance gate rejects gets score 0, since the model never labels it.

    With ``gold_fine``, each (document, label) where gold and prediction disagree becomes an error
    candidate: ``kind`` (false_positive / false_negative), ``score``, the passage that scores the
    label highest (offsets and a truncated text) and the features that pushed the label's score up
    most (weight x value in the linear model).
    """
    if isinstance(model, NarrativePipeline):
        model = NarrativeModel(model, {"training_data": {"unit": "document"}})
    pipe = model.pipeline
    clf = pipe.classifier
    none = clf.none_label_
    fine_l, coarse_l = list(clf.fine_labels_), list(clf.coarse_labels_)
    n = len(texts)
    t0 = time.perf_counter()
    segs = model.segment(texts)
    df = (
        model.tag_segments(list(range(n)), segs, unit="document")
        if n
        else pd.DataFrame(columns=["frames", "families", "stance"])
    )
    seconds = time.perf_counter() - t0
    coarse = [[x for x in f if x != none] for f in df["families"]]
    # Scored as written in SemEval files (tag -f semeval): "<narrative>: Other" for a narrative
    # predicted without a subnarrative.
    fine = [
        semeval_frames(model.taxonomy, [x for x in f if x != none], c)
        for f, c in zip(df["frames"], coarse, strict=True)
    ]
    stance = [str(s) for s in df["stance"]]
    Pf = np.zeros((n, len(fine_l)))
    Pc = np.zeros((n, len(coarse_l)))
    if not n:
        return Predictions(fine, coarse, Pf, Pc, stance, True, [], seconds)
    relevant = np.array([pipe.is_relevant(s.document) for s in segs], dtype=bool)
    refs = [(d, p) for d, s in enumerate(segs) for p in s.passages if p.taggable]
    pdec = (
        pipe.decide_processed(
            [p.processed for _, p in refs], relevant=[relevant[d] for d, _ in refs]
        )
        if refs
        else None
    )
    by_doc: dict[int, list[int]] = defaultdict(list)
    for k, (d, _) in enumerate(refs):
        by_doc[d].append(k)
    if model.training_unit == "document":
        ddec = pipe.decide_processed([s.document for s in segs])
        Pf, Pc = (
            np.array(ddec["proba_fine"], dtype=float),
            np.array(ddec["proba_coarse"], dtype=float),
        )
    elif pdec is not None:
        for d, ks in by_doc.items():
            Pf[d] = pdec["proba_fine"][ks].max(axis=0)
            Pc[d] = pdec["proba_coarse"][ks].max(axis=0)
    Pf[~relevant] = 0.0
    Pc[~relevant] = 0.0
    errors: list[dict[str, Any]] = []
    if gold_fine is not None:
        errors = _error_candidates(
            model,
            texts,
            segs,
            refs,
            by_doc,
            pdec,
            gold_fine,
            fine,
            Pf,
            relevant,
            n_features,
            snippet_chars,
        )
    return Predictions(fine, coarse, Pf, Pc, stance, True, errors, seconds)


def _error_candidates(
    model, texts, segs, refs, by_doc, pdec, gold_fine, fine, Pf, relevant, n_features, snippet_chars
):
    pipe = model.pipeline
    clf = pipe.classifier
    fidx = {lab: j for j, lab in enumerate(clf.fine_labels_)}
    doc_unit = model.training_unit == "document"
    cands: list[dict[str, Any]] = []
    for d in range(len(texts)):
        g, p = set(gold_fine[d]), set(fine[d])
        for lab in sorted(g ^ p):
            c: dict[str, Any] = {
                "doc": d,
                "label": lab,
                "kind": "false_negative" if lab in g else "false_positive",
            }
            j = fidx.get(lab)
            if j is None:
                c.update(score=None, passage=None, features=[], note="label unknown to the model")
                cands.append(c)
                continue
            c["score"] = round(float(Pf[d, j]), 4)
            ks = by_doc.get(d, [])
            k = ks[int(np.argmax(pdec["proba_fine"][ks, j]))] if ks else None
            c["_k"] = k
            if k is not None:
                psg = refs[k][1]
                c["passage"] = {
                    "index": int(psg.index),
                    "start": int(psg.start),
                    "end": int(psg.end),
                    "score": round(float(pdec["proba_fine"][k, j]), 4),
                    "text": _snippet(texts[d][psg.start : psg.end], snippet_chars),
                }
            else:
                c["passage"] = None
            if not relevant[d]:
                c["note"] = "off topic: the document names none of the taxonomy's relevance actors"
            cands.append(c)
    if not cands:
        return cands
    feats = pipe.named_steps["features"]
    names = np.asarray(feats.get_feature_names_out())
    if doc_unit:
        rows_of = sorted({c["doc"] for c in cands if c.get("score") is not None})
        units = [segs[d].document for d in rows_of]
        key = "doc"
    else:
        rows_of = sorted({c["_k"] for c in cands if c.get("_k") is not None})
        units = [refs[k][1].processed for k in rows_of]
        key = "_k"
    X = feats.transform(units).tocsr() if units else None
    pos = {r: i for i, r in enumerate(rows_of)}
    coefs: dict[int, np.ndarray | None] = {}
    for c in cands:
        lab = c["label"]
        if c.get("score") is None:
            continue
        j = fidx[lab]
        if j not in coefs:
            coefs[j] = clf.coef_for(j)
        r = pos.get(c.get(key))
        c["features"] = _top_features(
            X.getrow(r) if r is not None and X is not None else None, coefs[j], names, n_features
        )
        if coefs[j] is None and "note" not in c:
            c["note"] = "no positive training example for this label"
    for c in cands:
        c.pop("_k", None)
    return cands


# --------------------------------------------------------------------------------- systems
class NarrativesSystem:
    """The narratives pipeline, trained per fold with :func:`narratives.train`."""

    name = OURS
    title = "narratives (this package)"

    def __init__(
        self,
        taxonomy: Taxonomy,
        seed: int = 0,
        params: dict[str, Any] | None = None,
        unit: str = "auto",
    ):
        self.taxonomy = taxonomy
        self.seed = seed
        self.params = params
        self.unit = unit

    def info(self) -> dict[str, Any]:
        return {
            "description": "narratives.train() on the training folds: TF-IDF + cue features, calibrated one-vs-rest "
            "logistic regression, out-of-fold tuned decision rule",
            "params": self.params or {},
            "unit": self.unit,
        }

    def fit(self, frame: pd.DataFrame, taxonomy: Taxonomy | None = None) -> NarrativesSystem:
        self.model_ = train(
            LabelledData(frame.reset_index(drop=True), self.taxonomy, [], "cv-fold"),
            taxonomy=self.taxonomy,
            seed=self.seed,
            params=self.params,
            unit=self.unit,
        )
        return self

    def predict(self, texts: list[str], gold_fine: list[list[str]] | None = None) -> Predictions:
        return model_predictions(self.model_, texts, gold_fine)


class FixedModel(NarrativesSystem):
    """An already trained model (holdout evaluation): ``fit`` does nothing."""

    def __init__(self, model: Any):
        self.model_ = model
        self.taxonomy = model.taxonomy
        self.params = None
        self.unit = getattr(model, "training_unit", "document")

    def info(self) -> dict[str, Any]:
        m = getattr(self, "model_", None)
        return {
            "description": "a trained narratives model",
            "path": str(getattr(m, "path", None)),
            "name": getattr(m, "manifest", {}).get("name"),
            "unit": self.unit,
        }

    def fit(self, frame: pd.DataFrame, taxonomy: Taxonomy | None = None) -> FixedModel:
        return self
