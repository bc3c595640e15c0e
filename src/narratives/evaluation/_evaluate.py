"""Scoring a model on labelled data, and leakage-free cross-validation."""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
from sklearn.model_selection import GroupKFold

from .._exceptions import InputError
from .._taxonomy import Taxonomy
from ._metrics import f1_samples, micro_macro, per_label_scores

__all__ = ["evaluate", "score_predictions", "cross_validate"]

log = logging.getLogger(__name__)


def _with_none(sets: list[list[str]], none: str) -> list[list[str]]:
    return [list(s) if s else [none] for s in sets]


def score_predictions(
    gold_fine: list[list[str]],
    pred_fine: list[list[str]],
    gold_coarse: list[list[str]],
    pred_coarse: list[list[str]],
    taxonomy: Taxonomy,
    gold_stance: list[Any] | None = None,
    pred_stance: list[Any] | None = None,
) -> dict[str, Any]:
    """All headline metrics from gold and predicted label sets (pure; returns a dict)."""
    none = taxonomy.none_label
    gf, pf = _with_none(gold_fine, none), _with_none(pred_fine, none)
    gc, pc = _with_none(gold_coarse, none), _with_none(pred_coarse, none)
    fine_labels = taxonomy.fine_labels
    coarse_labels = taxonomy.coarse_labels
    mm_f = micro_macro(gf, pf, fine_labels)
    mm_c = micro_macro(gc, pc, coarse_labels)
    out: dict[str, Any] = {
        "n_documents": len(gf),
        "f1_samples_fine": f1_samples(gf, pf),
        "f1_samples_coarse": f1_samples(gc, pc),
        "f1_macro_fine": mm_f["macro"],
        "f1_macro_coarse": mm_c["macro"],
        "f1_micro_fine": mm_f["micro"],
        "f1_micro_coarse": mm_c["micro"],
        "per_label_fine": per_label_scores(gf, pf, fine_labels),
        "per_label_coarse": per_label_scores(gc, pc, coarse_labels),
    }
    if gold_stance is not None and pred_stance is not None:
        pairs = [(g, p) for g, p in zip(gold_stance, pred_stance, strict=True) if g in ("promotes", "reports")]
        if pairs:
            out["stance_accuracy"] = float(np.mean([g == p for g, p in pairs]))
            out["stance_n"] = len(pairs)
    return out


def predict_sets(model: Any, texts: list[str], unit: str = "document") -> tuple[list[list[str]], list[list[str]], list[str]]:
    """Fine labels, coarse labels and stance per text (none label removed)."""
    from .._model import NarrativeModel

    none = model.taxonomy.none_label
    if isinstance(model, NarrativeModel):
        if model.training_unit == "document" or unit == "text":
            dec = model.pipeline.decide(texts)
            frames, families, stance = dec["frames"], dec["families"], dec["stance"]
        else:
            segs = model.segment(texts)
            df = model.tag_segments(list(range(len(texts))), segs, unit="document")
            frames, families, stance = df["frames"].tolist(), df["families"].tolist(), df["stance"].tolist()
    else:  # a bare fitted NarrativePipeline
        dec = model.decide(texts)
        frames, families, stance = dec["frames"], dec["families"], dec["stance"]
    strip = lambda s: [x for x in s if x != none]  # noqa: E731
    return [strip(f) for f in frames], [strip(f) for f in families], list(stance)


def gold_coarse(frames: list[list[str]], families: list[list[str]] | None, taxonomy: Taxonomy) -> list[list[str]]:
    none = taxonomy.none_label
    if families is not None:
        return [[c for c in f if c != none] for f in families]
    return [taxonomy.families_of([x for x in f if x != none]) for f in frames]


def evaluate(model: Any = None, data: Any = None, *, cv: int | None = None, fmt: str = "auto", seed: int = 0, **kw: Any) -> dict[str, Any]:
    """Score ``model`` on labelled ``data``, or cross-validate the pipeline with ``cv`` folds.

    Returns a dict with ``f1_samples_fine``, ``f1_samples_coarse``, macro/micro F1 at both levels,
    per-label precision/recall/F1/support and, when gold stance exists, ``stance_accuracy``.
    """
    from .._api import _as_labelled

    ld = _as_labelled(data, fmt, kw.get("text_column", "text"), kw.get("id_column"))
    df = ld.frame
    if not len(df):
        raise InputError("no labelled rows to evaluate")
    if cv:
        return cross_validate(ld, k=cv, seed=seed, params=kw.get("params"))
    if model is None:
        raise InputError("evaluate needs a model, or cv=K to cross-validate")
    tax = model.taxonomy
    texts = df["text"].tolist()
    pf, pc, ps = predict_sets(model, texts)
    gf = [[x for x in f if x != tax.none_label] for f in df["frames"]]
    gc = gold_coarse(gf, df["families"].tolist() if "families" in df.columns else None, tax)
    res = score_predictions(gf, pf, gc, pc, tax, df["stance"].tolist(), ps)
    res["n_rejected"] = len(ld.rejects)
    return res


def cross_validate(ld: Any, k: int = 5, seed: int = 0, params: dict[str, Any] | None = None) -> dict[str, Any]:
    """K-fold cross-validation with near-duplicate groups kept inside one fold."""
    from .._api import train
    from ..io import LabelledData
    from ..preprocessing import near_duplicate_groups

    df = ld.frame.reset_index(drop=True)
    tax = ld.taxonomy or Taxonomy.default()
    texts = df["text"].tolist()
    groups = near_duplicate_groups(texts)
    if "source" in df.columns:
        groups = np.asarray([f"{s}|{g}" for s, g in zip(df["source"], groups, strict=True)])
    folds = GroupKFold(n_splits=k, shuffle=True, random_state=seed).split(texts, groups=groups)
    n = len(df)
    pf: list[list[str]] = [[] for _ in range(n)]
    pc: list[list[str]] = [[] for _ in range(n)]
    ps: list[str] = ["none"] * n
    for i, (tr, te) in enumerate(folds):
        log.info("fold %d/%d: train %d, test %d", i + 1, k, len(tr), len(te))
        sub = LabelledData(df.iloc[tr].reset_index(drop=True), tax, [], ld.source)
        model = train(sub, taxonomy=tax, seed=seed, params=params)
        f, c, s = predict_sets(model, [texts[j] for j in te])
        for j, a, b, st in zip(te, f, c, s, strict=True):
            pf[j], pc[j], ps[j] = a, b, st
    gf = [[x for x in f if x != tax.none_label] for f in df["frames"]]
    gc = gold_coarse(gf, df["families"].tolist() if "families" in df.columns else None, tax)
    res = score_predictions(gf, pf, gc, pc, tax, df["stance"].tolist(), ps)
    res["cv_folds"] = k
    res["oof_predictions"] = [
        {"id": str(i), "gold_fine": g, "pred_fine": p, "gold_coarse": a, "pred_coarse": b}
        for i, g, p, a, b in zip(df["id"], gf, pf, gc, pc, strict=True)
    ]
    return res
