"""Evidence for labels: sentences, n-grams and cue phrases that pushed a score up."""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

import numpy as np

from ._highlight import highlight

__all__ = ["Explanation", "explain", "highlight"]


def _stance_line(ev: dict) -> str:
    pro = ", ".join(f[0] for f in ev.get("towards_promotes", [])[:4])
    rep = ", ".join(f[0] for f in ev.get("towards_reports", [])[:4])
    return f"promotes: {pro or '-'}; reports: {rep or '-'}"


class Explanation(dict):
    """A dict (JSON-friendly) with an HTML view for notebooks."""

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><td>{html.escape(lab['label'])}</td><td>{lab['score']:.2f}</td><td>{lab['threshold']:.2f}</td>"
            f"<td>{'yes' if lab['predicted'] else 'no'}</td>"
            f"<td>{html.escape(', '.join(f[0] for f in lab['features'][:6]))}</td>"
            f"<td>{html.escape(str(lab.get('stance') or ''))}</td>"
            f"<td>{html.escape(_stance_line(lab.get('stance_evidence') or {}))}</td></tr>"
            for lab in self["labels"]
        )
        table = (
            "<table><tr><th>label</th><th>score</th><th>threshold</th><th>predicted</th><th>top features</th>"
            "<th>stance</th><th>stance driven by</th></tr>"
            f"{rows}</table>"
        )
        return (
            highlight(self["text"], self)
            + f"<p>stance: <b>{html.escape(str(self['stance']))}</b></p>"
            + table
        )


def _stance_contributions(clf, xr) -> tuple[np.ndarray | None, np.ndarray | None]:
    """Per feature, its push on the stance head's logit for this text (positive: towards
    ``promotes``), and the head's per-frame biases (None for a head without them)."""
    est = getattr(clf, "stance_estimator_", None)
    if est is None:
        return None, None
    coef = np.asarray(est.coef_).ravel()
    n = xr.shape[1]
    bias = coef[n:] if len(coef) > n else None
    return xr.multiply(coef[:n]).toarray().ravel(), bias


def _stance_evidence(contrib, bias, j: int, names, top_k: int) -> dict:
    """What drove a frame's stance: the features pushing towards promotes and towards reports,
    and the frame's own bias in the stance head."""
    if contrib is None:
        return {}
    order = np.argsort(contrib)
    return {
        "towards_promotes": [
            (str(names[k]), round(float(contrib[k]), 4))
            for k in order[::-1][:top_k]
            if contrib[k] > 0
        ],
        "towards_reports": [
            (str(names[k]), round(float(contrib[k]), 4)) for k in order[:top_k] if contrib[k] < 0
        ],
        "frame_bias": None if bias is None else round(float(bias[j]), 4),
    }


def explain(
    model: Any, text: str, top_k: int = 8, labels: Sequence[str] | None = None
) -> Explanation:
    """Evidence for ``model``'s labels of ``text`` (``model`` is a ``NarrativeModel``; not
    imported here, since the model imports this module)."""
    pipe = model.pipeline
    clf = pipe.classifier
    feats = pipe.named_steps["features"]
    tax = model.taxonomy
    seg = model.segment([text])[0]
    doc = model.tag_segments([0], [seg], unit="document").iloc[0]
    x = feats.transform([seg.document])
    names = feats.get_feature_names_out()
    sentences = [s for p in seg.passages if p.taggable for s in p.sentences]
    sent_texts = [text[a:b] for a, b in sentences]
    sent_dec = pipe.decide(sent_texts) if sent_texts else None
    fine = clf.fine_labels_
    scores = doc["scores"]
    chosen = list(labels) if labels else [f for f in doc["frames"] if f in fine]
    if not chosen:
        chosen = [f for f, _ in sorted(scores.items(), key=lambda kv: -kv[1])[:3]]
    out = []
    xr = x.tocsr()
    stance_contrib, stance_bias = _stance_contributions(clf, xr)
    # The thresholds of the document's language (its own where the model has them).
    thr = clf.threshold_rows([seg.document.lang], 1)[0]
    for lab in chosen:
        if lab not in fine:
            continue
        j = fine.index(lab)
        coef = clf.coef_for(j)
        feats_top: list[tuple[str, float]] = []
        if coef is not None:
            contrib = xr.multiply(coef).toarray().ravel()
            for k in np.argsort(-contrib)[:top_k]:
                if contrib[k] > 0:
                    feats_top.append((str(names[k]), round(float(contrib[k]), 4)))
        sents = []
        if sent_dec is not None:
            ps = sent_dec.proba_fine[:, j]
            for k in np.argsort(-ps)[:3]:
                if ps[k] > 0.05:
                    a, b = sentences[k]
                    sents.append(
                        {"start": a, "end": b, "text": text[a:b], "score": round(float(ps[k]), 4)}
                    )
        cues = [
            {"phrase": text[a:b], "start": a, "end": b}
            for mid, a, b in seg.document.hits
            if mid == f"cue:{lab}"
        ]
        out.append(
            {
                "label": lab,
                "family": tax.parent(lab),
                "score": float(scores.get(lab, 0.0)),
                "threshold": float(thr[j]),
                "predicted": lab in doc["frames"],
                "sentences": sents,
                "features": feats_top,
                "cues": cues,
                "stance": (doc.get("stances") or {}).get(lab),
                "stance_evidence": _stance_evidence(stance_contrib, stance_bias, j, names, top_k),
            }
        )
    return Explanation(
        text=text,
        frames=list(doc["frames"]),
        families=list(doc["families"]),
        stance=doc["stance"],
        stance_cues=[
            {"phrase": text[a:b], "cue": mid, "start": a, "end": b}
            for mid, a, b in seg.document.hits
            if mid.startswith("stance:")
        ],
        labels=out,
    )
