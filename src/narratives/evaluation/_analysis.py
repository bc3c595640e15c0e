"""What the harness derives from out-of-fold outputs besides metrics: errors per label,
label-noise suspects, plot data and the out-of-fold rows."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import numpy as np

from ._metrics import binarize, cooccurrence, f1_samples, precision_recall_curve
from ._systems import OURS


def _select_errors(cands, ids, gold_f, pred_f, per_label, top):
    by_label: dict[str, dict[str, list]] = defaultdict(
        lambda: {"false_positive": [], "false_negative": []}
    )
    for c in cands:
        by_label[c["label"]][c["kind"]].append(c)
    out = {}
    order = sorted(by_label, key=lambda lab: (-per_label.get(lab, {}).get("support", 0), lab))
    for lab in order:
        fps = sorted(by_label[lab]["false_positive"], key=lambda c: -(c["score"] or 0))
        fns = sorted(
            by_label[lab]["false_negative"], key=lambda c: (c["score"] is None, c["score"] or 0)
        )

        def row(c):
            d = c["doc"]
            r = {
                "id": ids[d],
                "score": c["score"],
                "gold": gold_f[d],
                "predicted": pred_f[d],
                "passage": c.get("passage"),
                "features": c.get("features", []),
                "fold": c.get("fold"),
            }
            if c.get("note"):
                r["note"] = c["note"]
            return r

        out[lab] = {
            "n_false_positives": len(fps),
            "n_false_negatives": len(fns),
            "false_positives": [row(c) for c in fps[:top]],
            "false_negatives": [row(c) for c in fns[:top]],
        }
    return out


def _label_noise(Y, P, labels, ids, gold_f, pred_f, cands, per_label, margin, top):
    """Gold labels the out-of-fold score contradicts strongly. Ranked by disagreement x the label's
    average precision: a confident contradiction on a label the model otherwise ranks well points
    more to the annotation than to the model."""
    ev = {(c["doc"], c["label"]): c for c in cands}
    rows = []
    hi = np.argwhere((~Y) & (margin <= P))
    lo = np.argwhere(Y & (1 - margin >= P))
    for d, j in np.vstack([hi, lo]) if len(hi) + len(lo) else []:
        lab = labels[j]
        y = bool(Y[d, j])
        ap = per_label.get(lab, {}).get("average_precision") or 0.0
        dis = abs(float(y) - float(P[d, j]))
        c = ev.get((int(d), lab), {})
        rows.append(
            {
                "id": ids[d],
                "label": lab,
                "gold": int(y),
                "score": round(float(P[d, j]), 4),
                "kind": "gold label the model doubts" if y else "missing gold label?",
                "disagreement": round(dis, 4),
                "label_average_precision": round(ap, 4),
                "suspicion": round(dis * ap, 4),
                "gold_labels": gold_f[d],
                "predicted": pred_f[d],
                "passage": c.get("passage"),
                "features": c.get("features", []),
            }
        )
    rows.sort(key=lambda r: (-r["suspicion"], -r["disagreement"], r["id"], r["label"]))
    return {
        "margin": margin,
        "n_suspects": len(rows),
        "n_doubted_gold": sum(r["gold"] == 1 for r in rows),
        "n_missing_gold": sum(r["gold"] == 0 for r in rows),
        "suspects": rows[:top],
    }


# ------------------------------------------------------------------------------ plot data
def _thin(curve: dict[str, list[float]], max_points: int = 120) -> dict[str, list[float]]:
    m = len(curve["recall"])
    if m <= max_points:
        idx = np.arange(m)
    else:
        idx = np.unique(np.r_[np.linspace(0, m - 1, max_points).astype(int), m - 1])
    return {k: [round(float(curve[k][i]), 4) for i in idx] for k in ("precision", "recall")}


def _plot_data(
    outputs,
    systems,
    gold_f,
    gold_c,
    tax,
    labels_f,
    labels_c,
    none,
    n_labels: int = 9,
    n_matrix: int = 20,
):
    Yf = binarize(gold_f, tax.fine_labels)
    support = Yf.sum(axis=0)
    used = support > 0
    top = [
        tax.fine_labels[j] for j in np.argsort(-support, kind="stable")[:n_labels] if support[j] > 0
    ]
    pr: dict[str, Any] = {"labels": top, "systems": {}}
    for s in systems:
        P = outputs[s.name].proba_fine
        if P is None or s.name.endswith("_tuned"):  # a re-thresholded system ranks like its base
            continue
        entry = {
            "micro": _thin(precision_recall_curve(Yf[:, used].ravel(), P[:, used].ravel()))
            if used.any()
            else None,
            "labels": {},
        }
        for lab in top:
            j = tax.fine_labels.index(lab)
            entry["labels"][lab] = _thin(precision_recall_curve(Yf[:, j], P[:, j]))
        pr["systems"][s.name] = entry
    ours = outputs[OURS]
    top_m = [
        tax.fine_labels[j] for j in np.argsort(-support, kind="stable")[:n_matrix] if support[j] > 0
    ]
    keep = set(top_m)
    rest = "(other labels)"

    def sub(sets: list[list[str]]) -> list[list[str]]:
        return [list(dict.fromkeys(x if x in keep else rest for x in s)) for s in sets]

    axis = top_m + ([rest] if len(top_m) < int(used.sum()) else [])
    co_f = cooccurrence(sub(gold_f), sub(ours.fine), axis, none)
    co_f["note"] = (
        f"the {len(top_m)} fine labels with most support; every other label is counted as {rest!r}"
    )
    co_c = cooccurrence(gold_c, ours.coarse, [c for c in labels_c if c in tax.coarse_labels], none)
    return {"pr": pr, "cooccurrence_fine": co_f, "cooccurrence_coarse": co_c}


def _oof_rows(ids, fold, group, gold_f, gold_c, gold_stance, outputs, systems, tax):
    ours = outputs[OURS]
    rows = []
    for i, doc_id in enumerate(ids):
        scores = {}
        if ours.proba_fine is not None:
            for j in np.argsort(-ours.proba_fine[i])[:5]:
                if ours.proba_fine[i, j] >= 0.01:
                    scores[tax.fine_labels[j]] = round(float(ours.proba_fine[i, j]), 4)
        r = {
            "id": doc_id,
            "fold": int(fold[i]),
            "group": int(group[i]),
            "gold_fine": gold_f[i],
            "pred_fine": ours.fine[i],
            "gold_coarse": gold_c[i],
            "pred_coarse": ours.coarse[i],
            "f1_fine": round(f1_samples([gold_f[i]], [ours.fine[i]]), 4),
            "scores": scores,
        }
        if gold_stance is not None:
            r["gold_stance"] = gold_stance[i]
        if ours.stance is not None:
            r["pred_stance"] = ours.stance[i]
        for s in systems:
            if s.name != OURS:
                r[f"{s.name}_fine"] = outputs[s.name].fine[i]
        rows.append(r)
    return rows
