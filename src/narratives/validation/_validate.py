"""``narratives validate``: the model's error on the user's corpus and corrected prevalence.

Joins the annotations of a ``validate`` sample to the tag output they were drawn from, checks
that they belong together, weights each annotated unit by its design weight, and estimates for
every frame (and every frame with a ``promotes`` stance) the precision, recall and corrected
prevalence with intervals (:func:`narratives.validation.estimate_target`), overall and by group.

By group (``by="outlet,date:month"``): a group with at least ``min_group`` annotated units gets
the same estimator restricted to the group (domain estimation; no assumption). A smaller group
gets the *pooled* error rates applied to its own post-stratum shares (a synthetic estimator:
it assumes that, within each post-stratum, the share of true positives is the same in every
group); the ``method`` column says which.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .._exceptions import InputError
from .._internal.dates import PERIODS as DATE_PERIODS
from .._internal.dates import bucket
from .._internal.messages import not_found
from ..io._annotation_tools import Annotations, read_annotations
from ..io._readers import Reject
from ._estimate import Estimate, estimate_target, mover_sum, post_strata
from ._units import Units, load_units

__all__ = ["PERIODS", "validate"]

log = logging.getLogger(__name__)
PERIODS = tuple(DATE_PERIODS)


def _parse_by(by: str | Sequence[str] | None) -> list[tuple[str, str | None]]:
    items = [
        b.strip()
        for b in (by.split(",") if isinstance(by, str) else list(by or []))
        if b and b.strip()
    ]
    out = []
    for item in items:
        col, _, period = item.partition(":")
        period = period.strip().lower() or None
        if period and period not in PERIODS:
            raise InputError(
                f"unknown period {period!r} in --by {item!r}; use one of {', '.join(PERIODS)}"
            )
        out.append((col.strip(), period))
    return out


def _bucket(values: pd.Series, period: str) -> pd.Series:
    return bucket(values, period, "(no date)")


def _reject_all(what: str, rejects: list[Reject]) -> InputError:
    first = rejects[0].reason if rejects else ""
    return InputError(
        f"{what}: none of the annotations can be used ({len(rejects)} rejected; first: {first})"
    )


def match_annotations(units: Units, ann: Annotations) -> tuple[pd.DataFrame, list[Reject]]:
    """The annotated rows that belong to this tag output and sample, with their corpus position
    and design weight; every other row becomes a reject with its reason."""
    df = ann.frame
    rejects: list[Reject] = []
    pos = {s: i for i, s in enumerate(units.frame["sample_id"])}
    keep = []
    for k, r in enumerate(df.to_dict("records")):
        sid = str(r["sample_id"])
        why = None
        fp = r.get("tags_fingerprint")
        if fp is not None and str(fp) != units.fingerprint:
            why = (
                f"from a sample of another tag run (tags fingerprint {fp}, this tag output {units.fingerprint}): "
                "draw the sample from these tags, or validate against the tags it was drawn from"
            )
        elif sid not in pos:
            why = f"id {sid!r} is not a {units.unit} of {units.source}"
        elif r.get("strategy") not in (None, "validate"):
            why = f"from a {r.get('strategy')!r} sample, which is not a probability sample: use it for training, not for estimates"
        elif (
            _missing(r.get("inclusion_probability"))
            or _missing(r.get("stratum_size"))
            or _missing(r.get("stratum"))
        ):
            why = "no design fields (stratum, stratum_size, inclusion_probability): not from narratives sample --strategy validate"
        if why:
            rejects.append(Reject(sid, r.get("source_row"), why, ann.source))
        else:
            keep.append(k)
    if not keep:
        if rejects and all("another tag run" in x.reason for x in rejects):
            raise InputError(
                f"{ann.source} annotates a sample of another tag run: {rejects[0].reason}"
            )
        if rejects and all("is not a" in x.reason for x in rejects):
            raise InputError(
                f"none of the {len(rejects)} annotated ids of {ann.source} are {units.unit}s of {units.source}"
            )
        raise _reject_all(str(ann.source), rejects + ann.rejects)
    out = df.iloc[keep].copy()
    runs = out["run"].dropna().astype(str).unique() if "run" in out.columns else []
    if len(runs) > 1:
        raise InputError(
            f"{ann.source} mixes annotations of {len(runs)} different samples ({', '.join(runs[:3])}); validate one sample at a time"
        )
    out["position"] = [pos[str(s)] for s in out["sample_id"]]
    # Design weights: N_h / (annotated units of stratum h); units drawn but not annotated are
    # treated as missing at random within their stratum.
    n_ann = out.groupby("stratum")["sample_id"].transform("count")
    out["weight"] = out["stratum_size"].astype(float) / n_ann
    return out.reset_index(drop=True), rejects


def _missing(v: Any) -> bool:
    return (
        v is None
        or (isinstance(v, float) and math.isnan(v))
        or (isinstance(v, str) and not v.strip())
    )


def _targets(units: Units, rows: pd.DataFrame, thresholds: Mapping[str, float]):
    """(frame, stance, population post-strata, gold of the annotated rows, mask of rows whose gold
    is known) for every frame, and every frame with stance ``promotes``."""
    S = units.score_matrix()
    P = units.predicted_matrix()
    model_st = units.frame["stances"].tolist()
    thr = np.array([float(thresholds.get(f, 0.5)) for f in units.labels])
    gold_frames = rows["frames"].tolist()
    gold_st = rows["stances"].tolist()
    # "any frame": the ratio of the best score to its threshold, on a 0.5-threshold scale
    ratio = (S / np.clip(thr, 1e-6, None)).max(axis=1, initial=0.0) if S.size else np.zeros(len(P))
    any_g = post_strata(P.any(axis=1), np.minimum(ratio * 0.5, 1.0), 0.5)
    yield "(any frame)", "any", any_g, np.array([bool(g) for g in gold_frames]), None
    for j, f in enumerate(units.labels):
        g = post_strata(P[:, j], S[:, j], thr[j])
        yield f, "any", g, np.array([f in gf for gf in gold_frames]), None
        pred_p = P[:, j] & np.array([s.get(f) == "promotes" for s in model_st])
        gp = post_strata(pred_p, S[:, j], thr[j])
        y = np.array(
            [
                f in gf and gs.get(f) == "promotes"
                for gf, gs in zip(gold_frames, gold_st, strict=True)
            ]
        )
        known = np.array(
            [
                f not in gf or gs.get(f) in ("promotes", "reports")
                for gf, gs in zip(gold_frames, gold_st, strict=True)
            ]
        )
        yield f, "promotes", gp, y, known


def _synthetic(
    pooled: Estimate, groups_d: np.ndarray, annotated: np.ndarray, y_ann: np.ndarray
) -> tuple[float, float, float]:
    """A group too small for its own estimate: its annotated units count with their gold label,
    the others with the pooled true-positive share of their post-stratum (a prediction
    estimator: assumes the model errs alike in every group within a post-stratum)."""
    names = ("pos:high", "pos:low", "near", "far")
    n = len(groups_d)
    if not n:
        return 0.0, 0.0, 0.0
    rest = np.ones(n, dtype=bool)
    rest[annotated] = False
    known = float(np.sum(y_ann))
    W, Q, LO, HI = [], [], [], []
    for cell, c in pooled.post_strata.items():
        members = [names.index(x) for x in cell.split("+")]
        share = float((np.isin(groups_d, members) & rest).sum()) / n
        if share == 0:
            continue
        W.append(share)
        Q.append(c["true_share"] if c["true_share"] is not None else 0.5)
        LO.append(c["low"])
        HI.append(c["high"])
    est = known / n + (float(np.dot(W, Q)) if W else 0.0)
    lo, hi = mover_sum(W, Q, LO, HI) if W else (0.0, 0.0)
    return est, known / n + lo, min(1.0, known / n + hi)


def validate(
    tags: str | Path | Units,
    annotations: str | Path | Annotations,
    thresholds: Mapping[str, float],
    frames: Sequence[str] | None = None,
    fmt: str = "auto",
    by: str | Sequence[str] | None = None,
    level: float = 0.9,
    min_group: int = 10,
    none: str = "none",
) -> dict[str, Any]:
    """Estimate the model's precision and recall on the annotated validation sample and the
    corrected prevalence of every frame, overall and by group.

    Returns a JSON-able dict: ``summary``, ``errors`` (per frame), ``prevalence`` (rows: group
    columns, frame, stance, raw, corrected, low, high, method, ...), ``design``, ``rejects``.
    """
    if not 0 < level < 1:
        raise InputError(f"the interval level must be between 0 and 1, not {level}")
    ann = (
        annotations
        if isinstance(annotations, Annotations)
        else read_annotations(annotations, fmt, frames, none)
    )
    if not len(ann.frame):
        raise _reject_all(str(ann.source), ann.rejects)
    units_of_ann = (
        ann.frame["unit"].dropna().astype(str).unique().tolist()
        if "unit" in ann.frame.columns
        else []
    )
    unit = units_of_ann[0] if len(units_of_ann) == 1 else "passage"
    units = (
        tags
        if isinstance(tags, Units)
        else load_units(tags, unit=unit, labels=list(frames) if frames else None)
    )
    rows, rejects = match_annotations(units, ann)
    rejects = ann.rejects + rejects
    groups = _parse_by(by)
    pop = units.frame
    gcols = []
    for col, period in groups:
        if col not in pop.columns:
            raise InputError(not_found("column", col, units.extra_columns, units.source))
        name = col if period is None else f"{col}:{period}"
        pop[name] = _bucket(pop[col], period) if period else pop[col].astype(str).fillna("(none)")
        gcols.append(name)
    keys = pop[gcols].astype(str).agg(" | ".join, axis=1) if gcols else None
    errors, prevalence = [], []
    idx = rows["position"].to_numpy()
    w = rows["weight"].to_numpy(dtype=float)
    for frame, stance, g, y, known in _targets(units, rows, thresholds):
        sel = np.ones(len(idx), dtype=bool) if known is None else known
        e = estimate_target(g, idx[sel], y[sel], w[sel], level)
        rec = {"frame": frame, "stance": stance, **_row(e)}
        if stance == "any" and frame != "(any frame)":
            tp = np.array([frame in fr for fr in rows["frames"]]) & (g[idx] <= 1)
            agree = [
                units.frame["stances"].iloc[i].get(frame) == st.get(frame)
                for i, st in zip(idx[tp], rows["stances"][tp], strict=True)
            ]
            wt = w[tp]
            rec["stance_agreement"] = float(np.dot(wt, agree) / wt.sum()) if len(wt) else None
            rec["stance_agreement_n"] = int(tp.sum())
        errors.append(rec)
        prevalence.append(
            {
                **dict.fromkeys(gcols, "(all)"),
                "frame": frame,
                "stance": stance,
                "units": e.n_units,
                "raw": e.raw,
                "corrected": e.corrected,
                "low": e.low,
                "high": e.high,
                "method": "design",
                "annotated": e.n_annotated,
                "more_to_halve": e.plan.get("targeted"),
                "more_to_halve_same_design": e.plan.get("same_design"),
            }
        )
        if keys is not None:
            skeys = keys.to_numpy()
            for key in sorted(set(skeys)):
                mask = skeys == key
                in_d = mask[idx[sel]]
                pos_d = np.cumsum(mask) - 1  # corpus position -> position within the group
                vals = dict(zip(gcols, key.split(" | "), strict=True))
                if in_d.sum() >= min_group:
                    ed = estimate_target(
                        g[mask], pos_d[idx[sel][in_d]], y[sel][in_d], w[sel][in_d], level
                    )
                    est, lo, hi, method, more = (
                        ed.corrected,
                        ed.low,
                        ed.high,
                        "domain",
                        ed.plan.get("targeted"),
                    )
                else:
                    est, lo, hi = _synthetic(e, g[mask], pos_d[idx[sel][in_d]], y[sel][in_d])
                    method, more = "pooled", None
                prevalence.append(
                    {
                        **vals,
                        "frame": frame,
                        "stance": stance,
                        "units": int(mask.sum()),
                        "raw": float((g[mask] <= 1).mean()),
                        "corrected": est,
                        "low": lo,
                        "high": hi,
                        "method": method,
                        "annotated": int(in_d.sum()),
                        "more_to_halve": more,
                        "more_to_halve_same_design": None,
                    }
                )
    strata_ann = rows.groupby("stratum").size().to_dict()
    strata_size = rows.groupby("stratum")["stratum_size"].first().to_dict()
    strata_n = rows.groupby("stratum")["stratum_sample_size"].first().to_dict()
    return {
        "summary": {
            "tags": units.source,
            "annotations": str(ann.source),
            "annotation_format": ann.fmt,
            "unit": units.unit,
            "units": len(units.frame),
            "units_excluded": units.n_excluded,
            "annotated": len(rows),
            "rejected": len(rejects),
            "run": str(rows["run"].iloc[0]) if "run" in rows.columns else None,
            "tags_fingerprint": units.fingerprint,
            "level": level,
            "by": gcols,
            "min_group": min_group,
        },
        "design": {
            "strata": {
                h: {
                    "units": int(strata_size[h]),
                    "sampled": int(strata_n[h]),
                    "annotated": int(strata_ann[h]),
                }
                for h in strata_ann
            },
            "estimator": "post-stratified (ratio) estimator over the model's output (given / near the threshold / far), "
            "design weights 1/inclusion probability with nonresponse adjustment within strata; "
            "Jeffreys intervals per post-stratum (Kish effective n, finite-population correction) combined by MOVER",
        },
        "errors": errors,
        "prevalence": prevalence,
        "rejects": [
            {"id": r.id, "row": r.row, "reason": r.reason, "source": r.source} for r in rejects
        ],
    }


def _row(e: Estimate) -> dict[str, Any]:
    pc = e.precision_ci or (None, None)
    rc = e.recall_ci or (None, None)
    return {
        "raw": e.raw,
        "corrected": e.corrected,
        "low": e.low,
        "high": e.high,
        "precision": e.precision,
        "precision_low": pc[0],
        "precision_high": pc[1],
        "recall": e.recall,
        "recall_low": rc[0],
        "recall_high": rc[1] if rc[1] is None or math.isfinite(rc[1]) else None,
        "annotated": e.n_annotated,
        "gold_positive": e.n_gold_positive,
        "more_to_halve": e.plan.get("targeted"),
        "more_to_halve_same_design": e.plan.get("same_design"),
        "more_to_halve_where": e.plan.get("by_post_stratum"),
        "post_strata": e.post_strata,
    }
