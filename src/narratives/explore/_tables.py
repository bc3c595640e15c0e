"""Tables and HTML for notebooks: tagging a DataFrame with its metadata, threshold overrides,
an overview of tag output, highlighted evidence, and the error and label-noise tables of a
cross-validation result."""

from __future__ import annotations

import html
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from .._exceptions import InputError
from .._highlight import Html
from .._internal.cells import as_list, as_scores
from .._internal.messages import not_found
from .._internal.metrics import set_f1
from .._internal.vocab import NONE_LABELS, STANCE_ORDER
from .._model import NarrativeModel
from ..engine import NON_TEXT_FLAGS, infer_unit, level_column
from ._plots import STANCE_COLOURS

__all__ = [
    "Overview",
    "errors_table",
    "noise_table",
    "overview",
    "show_evidence",
    "tag_frame",
    "with_thresholds",
]


def tag_frame(
    model: NarrativeModel,
    data: pd.DataFrame,
    unit: str = "passage",
    text_column: str = "text",
    id_column: str = "id",
) -> pd.DataFrame:
    """Tag a DataFrame and keep its other columns (outlet, date, source ...) on every output row.

    Input columns that clash with output columns get a ``_input`` suffix. Rows are matched by
    position, so duplicate ids are safe.
    """
    if text_column not in data.columns:
        raise InputError(not_found("column", text_column, data.columns))
    data = data.reset_index(drop=True)
    res = model.tag(data[text_column].tolist(), unit=unit)
    pos = res["id"].to_numpy()
    ids = data[id_column].tolist() if id_column in data.columns else list(range(len(data)))
    res["id"] = [ids[i] for i in pos]
    for c in data.columns:
        if c in (text_column, id_column):
            continue
        target = c if c not in res.columns else f"{c}_input"
        res[target] = data[c].to_numpy()[pos]
    return res


def with_thresholds(
    model: NarrativeModel,
    thresholds: Mapping[str, float],
    note: str | None = None,
    clip: tuple[float, float] | None = None,
) -> NarrativeModel:
    """:meth:`NarrativeModel.with_thresholds` for notebooks (the same parameters and checks),
    recording that the thresholds were set here when no ``note`` is given."""
    return model.with_thresholds(
        thresholds, note=note or "thresholds set with narratives.explore.with_thresholds", clip=clip
    )


class Overview(dict):
    """Counts describing a tag table (a dict), shown as an HTML summary in notebooks."""

    def _repr_html_(self) -> str:
        h = html.escape
        head = (
            f"<p><b>{self['units']}</b> {h(self['unit'])}s from <b>{self['documents']}</b> documents; "
            f"<b>{self['framed']}</b> ({self['framed_share']:.0%}) carry at least one frame. "
            f"Stance of framed {h(self['unit'])}s: "
            + ", ".join(f"{h(k)} {v}" for k, v in self["stance"].items())
            + (
                ". Flags: " + ", ".join(f"{h(k)} {v}" for k, v in self["flags"].items())
                if self["flags"]
                else ""
            )
            + ".</p>"
        )
        rows = []
        for r in self["top"]:
            bar = "".join(
                f'<span title="{h(s)} {r.get(s, 0)}" style="display:inline-block;height:10px;width:{200 * r.get(s, 0) / max(1, self["units"]):.1f}px;background:{STANCE_COLOURS.get(s, "#999")}"></span>'
                for s in STANCE_ORDER
            )
            rows.append(
                f"<tr><td>{h(r['label'])}</td><td style='text-align:right'>{r['n']}</td><td style='text-align:right'>{r['share']:.1%}</td><td>{bar}</td></tr>"
            )
        legend = " ".join(
            f'<span style="color:{STANCE_COLOURS[s]}">&#9632;</span> {s}' for s in STANCE_ORDER[:3]
        )
        return (
            f'<div class="narratives-overview">{head}<table><tr><th>{h(self["level"])}</th><th>n</th><th>share</th>'
            f"<th>by stance ({legend})</th></tr>{''.join(rows)}</table></div>"
        )


def overview(
    df: pd.DataFrame,
    level: str = "frames",
    top: int = 15,
    exclude_flags: Sequence[str] | None = NON_TEXT_FLAGS,
) -> Overview:
    """A compact summary of tag output: units, documents, framed share, stance, flags, top labels."""
    col, _ = level_column(level)
    unit = infer_unit(df)
    flags = Counter(f for f in df["flag"] if f) if "flag" in df.columns else Counter()
    if exclude_flags and "flag" in df.columns:
        df = df[~df["flag"].isin(exclude_flags)]
    labels = [[x for x in as_list(v) if x not in NONE_LABELS] for v in df[col]]
    framed = [bool(x) for x in labels]
    stances = df["stance"].astype(str).tolist() if "stance" in df.columns else ["unknown"] * len(df)
    per: dict[str, Counter] = {}
    for labs, s in zip(labels, stances, strict=True):
        for lab in labs:
            per.setdefault(lab, Counter())[s] += 1
    n = len(df)
    top_rows = sorted(per.items(), key=lambda kv: (-sum(kv[1].values()), kv[0]))[:top]
    return Overview(
        unit=unit,
        level=col,
        units=n,
        documents=int(df["id"].nunique()) if "id" in df.columns else n,
        framed=int(sum(framed)),
        framed_share=float(np.mean(framed)) if n else 0.0,
        stance=dict(Counter(s for s, f in zip(stances, framed, strict=True) if f).most_common()),
        flags=dict(flags.most_common()),
        top=[
            {
                "label": lab,
                "n": sum(c.values()),
                "share": sum(c.values()) / n if n else 0.0,
                **dict(c),
            }
            for lab, c in top_rows
        ],
    )


def show_evidence(
    model: NarrativeModel,
    df: pd.DataFrame,
    n: int = 3,
    *,
    ids: Sequence[Any] | None = None,
    label: str | None = None,
    text_column: str = "text",
) -> Html:
    """Highlighted evidence for the ``n`` most confidently framed passages (one per document).

    ``df`` is passage-level tag output with its ``text`` column. Each passage is explained with
    :meth:`~narratives.NarrativeModel.explain` for the frames it was given: cue phrases and the
    best sentence are marked, with scores, thresholds and the features that pushed them up.
    ``ids`` restricts to documents, ``label`` to passages carrying that frame.
    """
    if text_column not in df.columns or "passage" not in df.columns:
        raise InputError(
            "show_evidence needs passage rows with their text (model.tag(..., unit='passage'))"
        )
    rows = []
    for r in df.itertuples(index=False):
        d = r._asdict()
        frames = [f for f in as_list(d["frames"]) if f not in NONE_LABELS]
        if (
            not frames
            or (label and label not in frames)
            or (ids is not None and d["id"] not in ids)
        ):
            continue
        scores = as_scores(d.get("scores"))
        rows.append((max((scores.get(f, 0.0) for f in frames), default=0.0), d, frames))
    rows.sort(key=lambda t: -t[0])
    parts, seen = [], set()
    for best, d, frames in rows:
        if d["id"] in seen:
            continue
        seen.add(d["id"])
        ex = model.explain(d[text_column], labels=frames)
        head = (
            f"<h4 style='margin:14px 0 4px'>{html.escape(str(d['id']))} · passage {d['passage']} · "
            f"{html.escape(', '.join(frames))} · stance <i>{html.escape(str(d.get('stance')))}</i> · top score {best:.2f}</h4>"
        )
        parts.append(head + ex._repr_html_())
        if len(parts) >= n:
            break
    if not parts:
        return Html("<p>No framed passage to show.</p>")
    return Html("".join(parts))


def errors_table(
    result: Mapping[str, Any],
    data: pd.DataFrame | None = None,
    *,
    top: int = 20,
    snippet: int = 160,
) -> pd.DataFrame:
    """The worst out-of-fold documents of a cross-validation result: gold, predicted, missed and
    extra labels and per-document F1 (lowest first; among equal F1, most wrong labels first).
    ``data`` (with ``id`` and ``text``) adds a text snippet."""
    oof = result.get("oof_predictions")
    if not oof:
        raise InputError(
            "the result has no out-of-fold predictions (run narratives.evaluate(data=..., cv=K))"
        )
    rows = []
    for r in oof:
        g, p = set(r["gold_fine"]), set(r["pred_fine"])
        f1 = set_f1(g, p)
        rows.append(
            {
                "id": r["id"],
                "f1": round(f1, 3),
                "missed": sorted(g - p),
                "extra": sorted(p - g),
                "gold": sorted(g),
                "predicted": sorted(p),
                "_wrong": -len(g ^ p),
            }
        )
    out = pd.DataFrame(rows).sort_values(["f1", "_wrong", "id"], kind="stable").head(top)
    out = out.drop(columns="_wrong").reset_index(drop=True)
    return _with_snippets(out, data, snippet)


def noise_table(
    result: Mapping[str, Any],
    data: pd.DataFrame | None = None,
    *,
    top: int = 20,
    snippet: int = 160,
) -> pd.DataFrame:
    """Label-noise suspects: gold labels the out-of-fold scores contradict strongly.

    Uses the harness's ``label_noise`` suspects when the result has them; otherwise falls back
    to the ``scores`` in ``oof_predictions`` (gold labels scored below 0.1, and predictions
    scored 0.9 or more that gold lacks)."""
    noise = result.get("label_noise")
    if noise and noise.get("suspects") is not None:
        cols = ["id", "label", "kind", "gold", "score", "suspicion", "gold_labels", "predicted"]
        out = pd.DataFrame(noise["suspects"])
        out = out[[c for c in cols if c in out.columns]].head(top)
    else:
        rows = []
        for r in result.get("oof_predictions", []):
            scores = r.get("scores") or {}
            for lab in r["gold_fine"]:
                s = scores.get(lab, 0.0)
                if s < 0.1:
                    rows.append(
                        {
                            "id": r["id"],
                            "label": lab,
                            "kind": "gold label the model doubts",
                            "gold": 1,
                            "score": s,
                        }
                    )
            for lab, s in scores.items():
                if s >= 0.9 and lab not in r["gold_fine"]:
                    rows.append(
                        {
                            "id": r["id"],
                            "label": lab,
                            "kind": "missing gold label?",
                            "gold": 0,
                            "score": s,
                        }
                    )
        out = pd.DataFrame(rows, columns=["id", "label", "kind", "gold", "score"])
        out["suspicion"] = (out["gold"] - out["score"]).abs()
        out = out.sort_values(["suspicion", "id"], ascending=[False, True], kind="stable").head(top)
    return _with_snippets(out.reset_index(drop=True), data, snippet)


def _with_snippets(out: pd.DataFrame, data: pd.DataFrame | None, limit: int) -> pd.DataFrame:
    if data is None or not len(out) or "text" not in data.columns or "id" not in data.columns:
        return out
    texts = dict(zip(data["id"].astype(str), data["text"], strict=False))
    out["text"] = [(" ".join(str(texts.get(str(i), "")).split()))[:limit] for i in out["id"]]
    return out
