"""What every rendering of an evaluation result shares: the headline metrics and their names,
number and interval formatting, the order of the systems, the comparison rows, plot titles."""

from __future__ import annotations

import copy
from typing import Any

HEADLINE = (
    "f1_samples_fine",
    "f1_samples_coarse",
    "f1_macro_fine",
    "f1_macro_coarse",
    "f1_micro_fine",
    "f1_micro_coarse",
)
SHORT = {
    "f1_samples_fine": "F1-samples fine",
    "f1_samples_coarse": "F1-samples coarse",
    "f1_macro_fine": "macro F1 fine",
    "f1_macro_coarse": "macro F1 coarse",
    "f1_micro_fine": "micro F1 fine",
    "f1_micro_coarse": "micro F1 coarse",
}

PLOT_TITLES = {
    "per_label_f1": "Per-label F1 with bootstrap intervals",
    "pr_curves": "Precision-recall curves",
    "cooccurrence_coarse": "Confusion between families (gold vs predicted co-occurrence)",
    "cooccurrence_fine": "Confusion between frames (gold vs predicted co-occurrence)",
    "reliability": "Reliability diagram",
    "thresholds": "Threshold vs F1 per label",
}


def strip_texts(result: dict[str, Any]) -> dict[str, Any]:
    """A deep copy without passage texts (error analysis, label-noise suspects): ids and numbers
    only, for sharing results on data whose texts may not be redistributed."""
    res = copy.deepcopy(result)
    for lab in res.get("errors", {}).values():
        for key in ("false_positives", "false_negatives"):
            for row in lab.get(key, []):
                if row.get("passage"):
                    row["passage"].pop("text", None)
    for row in res.get("label_noise", {}).get("suspects", []):
        if row.get("passage"):
            row["passage"].pop("text", None)
    return res


def crosswalk_lines(result: dict[str, Any]) -> list[str]:
    """Plain sentences on the crosswalk an evaluation went through (none without one): shared by
    the reports and the command line."""
    cw = result.get("crosswalk")
    if not cw:
        return []
    m, left = cw["micro"], cw["not_covered_gold"]
    return [
        f"crosswalk: the model's frames ({cw['model_taxonomy']}) scored as the data's labels through "
        f"{cw['source']}, at document level; approximate, frames and labels are not the same concepts",
        f"crosswalk covers {len(cw['covered_labels'])} labels: " + "; ".join(cw["covered_labels"]),
        f"not covered, left out of every score: {_n(len(left), 'label')} "
        f"({_n(sum(left.values()), 'gold label')})" + (": " + "; ".join(left) if left else ""),
        f"crosswalked micro precision {_fmt(m['precision'])}, recall {_fmt(m['recall'])} "
        f"({_n(m['tp'], 'hit')}, {_n(m['fp'], 'false alarm')}, {_n(m['fn'], 'miss', 'misses')})",
    ]


def _n(k: int, one: str, many: str | None = None) -> str:
    return f"{k} {one if k == 1 else many or one + 's'}"


def _fmt(v: Any, digits: int = 3) -> str:
    if v is None:
        return "n/a"
    if isinstance(v, float):
        return f"{v:.{digits}f}"
    return str(v)


def with_ci(value: float | None, ci: dict[str, float] | None) -> str:
    if value is None:
        return "n/a"
    if not ci:
        return f"{value:.3f}"
    return f"{value:.3f} [{ci['low']:.3f}, {ci['high']:.3f}]"


def _system_order(result: dict[str, Any]) -> list[str]:
    names = list(result.get("systems", {}))
    return sorted(names, key=lambda s: (s != "narratives", names.index(s)))


def comparison_rows(result: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per system: headline metrics with intervals, the paired difference narratives
    minus the system on fine F1-samples, and train/predict speed."""
    rows = []
    for name in _system_order(result):
        s = result["systems"][name]
        m, ci, t = s["metrics"], s.get("ci", {}), s.get("timing", {})
        row: dict[str, Any] = {"system": name, "title": s.get("title", name)}
        for k in HEADLINE:
            row[k] = m.get(k)
            row[f"{k}_ci"] = ci.get(k)
        cmp = result.get("comparison", {}).get(name, {}).get("f1_samples_fine")
        # One sign everywhere: narratives minus the baseline (positive: narratives is better).
        row["delta_f1_samples_fine"] = cmp["diff"] if cmp else None
        row["delta_ci"] = {"low": cmp["low"], "high": cmp["high"]} if cmp else None
        row["p_value"] = cmp["p_value"] if cmp else None
        row["fit_seconds_mean"] = t.get("fit_seconds_mean")
        row["predict_docs_per_second"] = t.get("predict_docs_per_second")
        rows.append(row)
    return rows
