"""Evaluation reports: ``metrics.json``, ``oof_predictions.jsonl``, ``report.md`` and a
self-contained ``report.html`` (plots embedded as base64 PNG; opens offline).

Everything here is a function of the dict returned by :func:`narratives.evaluate`.
"""

from __future__ import annotations

import base64
import copy
import html
import io
import json
import logging
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "comparison_rows",
    "make_plots",
    "render_html",
    "render_markdown",
    "strip_texts",
    "write_report",
]

log = logging.getLogger(__name__)

HEADLINE = (
    "f1_samples_fine",
    "f1_samples_coarse",
    "f1_macro_fine",
    "f1_macro_coarse",
    "f1_micro_fine",
    "f1_micro_coarse",
)
SHORT = {
    "f1_samples_fine": "F1-samples fine", "f1_samples_coarse": "F1-samples coarse",
    "f1_macro_fine": "macro F1 fine", "f1_macro_coarse": "macro F1 coarse",
    "f1_micro_fine": "micro F1 fine", "f1_micro_coarse": "micro F1 coarse",
}  # fmt: skip
COLOURS = {
    "narratives": "#1f5aa6",
    "majority": "#9e9e9e",
    "cue_lexicon": "#e08a00",
    "spacy_bow": "#2e9e5b",
    "spacy_bow_tuned": "#0b5d2a",
}


# ------------------------------------------------------------------------------ helpers
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


def _fmt(v: Any, digits: int = 3) -> str:
    if v is None:
        return "n/a"
    if isinstance(v, float):
        return f"{v:.{digits}f}"
    return str(v)


def _with_ci(value: float | None, ci: dict[str, float] | None) -> str:
    if value is None:
        return "n/a"
    if not ci:
        return f"{value:.3f}"
    return f"{value:.3f} [{ci['low']:.3f}, {ci['high']:.3f}]"


def _system_order(result: dict[str, Any]) -> list[str]:
    names = list(result.get("systems", {}))
    return sorted(names, key=lambda s: (s != "narratives", names.index(s)))


def comparison_rows(result: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per system: headline metrics with intervals, the paired difference to the
    narratives model on fine F1-samples, and train/predict speed."""
    rows = []
    for name in _system_order(result):
        s = result["systems"][name]
        m, ci, t = s["metrics"], s.get("ci", {}), s.get("timing", {})
        row: dict[str, Any] = {"system": name, "title": s.get("title", name)}
        for k in HEADLINE:
            row[k] = m.get(k)
            row[f"{k}_ci"] = ci.get(k)
        cmp = result.get("comparison", {}).get(name, {}).get("f1_samples_fine")
        row["delta_f1_samples_fine"] = -cmp["diff"] if cmp else None  # baseline minus model
        row["delta_ci"] = {"low": -cmp["high"], "high": -cmp["low"]} if cmp else None
        row["p_value"] = cmp["p_value"] if cmp else None
        row["fit_seconds_mean"] = t.get("fit_seconds_mean")
        row["predict_docs_per_second"] = t.get("predict_docs_per_second")
        rows.append(row)
    return rows


def _short(label: str, limit: int = 58) -> str:
    """Shorten in the middle: hierarchical labels differ at the end ("CC: X: a" vs "CC: X: b")."""
    if len(label) <= limit:
        return label
    head = max(limit // 3, 1)
    return label[:head].rstrip() + "…" + label[-(limit - head - 1) :].lstrip()


# ---------------------------------------------------------------------------------- plots
def _png(fig: Any) -> bytes:
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)
    return buf.getvalue()


def _plot_per_label(result: dict[str, Any]) -> bytes | None:
    import matplotlib.pyplot as plt

    per = result.get("per_label_fine", {})
    rows = sorted(
        ((lab, v) for lab, v in per.items() if v["support"] > 0),
        key=lambda kv: (-kv[1]["support"], kv[0]),
    )
    if not rows:
        return None
    ci = result.get("ci", {}).get("per_label_fine", {})
    labels = [f"{_short(lab)} ({v['support']})" for lab, v in rows]
    f1 = np.array([v["f1"] for _, v in rows])
    lo = np.array([ci.get(lab, {}).get("low", v["f1"]) for lab, v in rows])
    hi = np.array([ci.get(lab, {}).get("high", v["f1"]) for lab, v in rows])
    y = np.arange(len(rows))
    fig, ax = plt.subplots(figsize=(9, 1.2 + 0.26 * len(rows)))
    ax.barh(y, f1, color=COLOURS["narratives"], alpha=0.85, label="narratives F1")
    ax.errorbar(
        f1,
        y,
        xerr=[np.maximum(f1 - lo, 0), np.maximum(hi - f1, 0)],
        fmt="none",
        ecolor="black",
        capsize=2.5,
        lw=0.9,
        label="95% bootstrap CI",
    )
    systems = result.get("systems", {})
    spacy = "spacy_bow_tuned" if "spacy_bow_tuned" in systems else "spacy_bow"
    for name, marker in ((spacy, "D"), ("cue_lexicon", "o")):
        if name in systems:
            pl = systems[name]["metrics"]["per_label_fine"]
            ax.scatter(
                [pl.get(lab, {}).get("f1", 0) for lab, _ in rows],
                y,
                marker=marker,
                s=16,
                color=COLOURS[name],
                zorder=3,
                label=f"{name} F1",
            )
    ax.set_yticks(y, labels, fontsize=7)
    ax.set_ylim(len(rows) - 0.5, -0.5)  # first label on top, no empty margins
    ax.set_xlim(0, 1)
    ax.set_xlabel("F1 (fine labels, gold support in brackets)")
    ax.set_title("Per-label F1 with 95% bootstrap intervals", pad=24)
    ax.grid(axis="x", alpha=0.3)
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=4, fontsize=7, frameon=False)
    return _png(fig)


def _plot_pr(result: dict[str, Any]) -> bytes | None:
    import matplotlib.pyplot as plt

    pr = result.get("plots", {}).get("pr", {})
    systems = pr.get("systems", {})
    if not systems:
        return None
    panels = ["__micro__", *pr.get("labels", [])[:8]]
    cols = 3
    rows = int(np.ceil(len(panels) / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(11, 3.3 * rows), squeeze=False)
    per = result.get("systems", {})
    for ax, panel in zip(axes.ravel(), panels, strict=False):
        for name, entry in systems.items():
            curve = entry.get("micro") if panel == "__micro__" else entry["labels"].get(panel)
            if not curve or not curve["recall"]:
                continue
            ap = None
            if panel != "__micro__":
                ap = (
                    per.get(name, {})
                    .get("metrics", {})
                    .get("per_label_fine", {})
                    .get(panel, {})
                    .get("average_precision")
                )
            lab = name + (f" (AP {ap:.2f})" if ap is not None else "")
            ax.step(
                curve["recall"],
                curve["precision"],
                where="post",
                color=COLOURS.get(name),
                lw=1.4,
                label=lab,
            )
        ax.set_title(
            "all fine labels (micro)" if panel == "__micro__" else _short(panel, 48), fontsize=8
        )
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1.02)
        ax.set_xlabel("recall", fontsize=7)
        ax.set_ylabel("precision", fontsize=7)
        ax.tick_params(labelsize=7)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=6, loc="upper right")
    for ax in axes.ravel()[len(panels) :]:
        ax.axis("off")
    fig.suptitle("Precision-recall curves (out-of-fold scores)", fontsize=11)
    fig.tight_layout()
    return _png(fig)


def _plot_matrix(co: dict[str, Any], title: str) -> bytes | None:
    import matplotlib.pyplot as plt

    M = np.asarray(co.get("matrix", []), dtype=float)
    if not M.size:
        return None
    counts = co.get("gold_counts") or [None] * len(co["labels"])
    labels = [_short(x, 40) for x in co["labels"]]
    ylabels = [
        f"{lab} ({c})" if c is not None else lab for lab, c in zip(labels, counts, strict=True)
    ]
    # share of the documents with gold label i that were predicted j
    gold_n = np.asarray(co.get("gold_counts") or M.sum(axis=1), dtype=float)[:, None]
    R = M / np.maximum(gold_n, 1)
    size = max(5.0, 0.38 * len(labels) + 2.5)
    fig, ax = plt.subplots(figsize=(size + 1.5, size))
    im = ax.imshow(R, cmap="Blues", vmin=0, vmax=max(1e-9, float(R.max())))
    ax.set_xticks(range(len(labels)), labels, rotation=75, ha="right", fontsize=7)
    ax.set_yticks(range(len(labels)), ylabels, fontsize=7)
    ax.set_xlabel("predicted")
    ax.set_ylabel("gold")
    if len(labels) <= 25:
        for i in range(M.shape[0]):
            for j in range(M.shape[1]):
                if M[i, j]:
                    ax.text(
                        j,
                        i,
                        int(M[i, j]),
                        ha="center",
                        va="center",
                        fontsize=6,
                        color="white" if R[i, j] > 0.55 * R.max() else "black",
                    )
    ax.set_title(title, fontsize=10)
    fig.colorbar(im, ax=ax, fraction=0.04, label="share of the documents with the gold label")
    return _png(fig)


def _plot_reliability(result: dict[str, Any]) -> bytes | None:
    import matplotlib.pyplot as plt

    systems = {
        n: s
        for n, s in result.get("systems", {}).items()
        if "calibration_fine" in s["metrics"]
        and not n.endswith("_tuned")  # same scores as its base
    }
    if not systems:
        return None
    fig, (ax, axh) = plt.subplots(
        2, 1, figsize=(6.5, 7), gridspec_kw={"height_ratios": [3, 1]}, sharex=True
    )
    ax.plot([0, 1], [0, 1], ls="--", color="grey", lw=1, label="perfect calibration")
    width = 0.1 / max(len(systems), 1)
    for k, (name, s) in enumerate(systems.items()):
        cal = s["metrics"]["calibration_fine"]
        pts = [(b["mean_proba"], b["positive_rate"]) for b in cal["bins"] if b["n"]]
        if pts:
            xs, ys = zip(*pts, strict=True)
            ax.plot(
                xs,
                ys,
                marker="o",
                ms=4,
                color=COLOURS.get(name),
                label=f"{name} (ECE {cal['ece']:.3f}, Brier {cal['brier']:.4f})",
            )
        lows = [b["low"] + k * width for b in cal["bins"]]
        nz = [(lo, b["n"]) for lo, b in zip(lows, cal["bins"], strict=True) if b["n"]]
        if nz:
            xs, ns = zip(*nz, strict=True)
            axh.bar(xs, ns, width=width, align="edge", color=COLOURS.get(name), alpha=0.8)
    ax.set_ylabel("observed share of gold positives")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="upper left")
    ax.set_title("Reliability diagram (every document x fine label cell)", fontsize=10)
    axh.set_yscale("log")
    axh.set_xlabel("predicted probability")
    axh.set_ylabel("cells")
    return _png(fig)


def _plot_thresholds(result: dict[str, Any]) -> bytes | None:
    import matplotlib.pyplot as plt

    tt = result.get("threshold_tuning", {})
    per = tt.get("per_label", {})
    grid = tt.get("grid", [])
    rows = sorted(
        ((lab, v) for lab, v in per.items() if v.get("curve")),
        key=lambda kv: (-kv[1]["support"], kv[0]),
    )[:9]
    if not rows or not grid:
        return None
    cols = 3
    nrows = int(np.ceil(len(rows) / cols))
    fig, axes = plt.subplots(nrows, cols, figsize=(11, 2.9 * nrows), squeeze=False)
    base = tt.get("summary", {}).get("base_threshold", 0.5)
    for ax, (lab, v) in zip(axes.ravel(), rows, strict=False):
        ax.plot(grid, v["curve"], color=COLOURS["narratives"], lw=1.5)
        ax.axvline(
            base, color="grey", ls="--", lw=1, label=f"{base:g}: F1 {v['at_base']['f1']:.2f}"
        )
        ax.axvline(
            v["threshold"],
            color="#c0392b",
            lw=1.2,
            label=f"tuned {v['threshold']:.2f}: F1 {v['tuned']['f1']:.2f}",
        )
        ax.set_title(f"{_short(lab, 44)} (n={v['support']})", fontsize=8)
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1.02)
        ax.tick_params(labelsize=7)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=6, loc="upper right")
    for ax in axes.ravel()[len(rows) :]:
        ax.axis("off")
    fig.suptitle("F1 against decision threshold per label (out-of-fold scores)", fontsize=11)
    fig.tight_layout()
    return _png(fig)


def make_plots(result: dict[str, Any]) -> dict[str, bytes]:
    """PNG bytes per plot name: per_label_f1, pr_curves, cooccurrence_coarse, cooccurrence_fine,
    reliability, thresholds (plots without data are left out)."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    plots = result.get("plots", {})
    made = {
        "per_label_f1": _plot_per_label(result),
        "pr_curves": _plot_pr(result),
        "cooccurrence_coarse": _plot_matrix(
            plots.get("cooccurrence_coarse", {}), "Gold vs predicted families (document counts)"
        ),
        "cooccurrence_fine": _plot_matrix(
            plots.get("cooccurrence_fine", {}), "Gold vs predicted fine labels (most frequent)"
        ),
        "reliability": _plot_reliability(result),
        "thresholds": _plot_thresholds(result),
    }
    return {k: v for k, v in made.items() if v}


PLOT_TITLES = {
    "per_label_f1": "Per-label F1 with bootstrap intervals",
    "pr_curves": "Precision-recall curves",
    "cooccurrence_coarse": "Confusion between families (gold vs predicted co-occurrence)",
    "cooccurrence_fine": "Confusion between frames (gold vs predicted co-occurrence)",
    "reliability": "Reliability diagram",
    "thresholds": "Threshold vs F1 per label",
}


# ------------------------------------------------------------------------------- markdown
def _md_table(header: list[str], rows: Iterable[list[Any]]) -> list[str]:
    esc = lambda v: str(v).replace("|", "\\|").replace("\n", " ")  # noqa: E731
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(esc(v) for v in r) + " |" for r in rows]
    return out


def comparison_markdown(result: dict[str, Any]) -> list[str]:
    """The headline comparison (systems x metrics with intervals, difference, speed) as Markdown."""
    rows = []
    for r in comparison_rows(result):
        delta = "—" if r["delta_f1_samples_fine"] is None else (
            f"{r['delta_f1_samples_fine']:+.3f} [{r['delta_ci']['low']:+.3f}, {r['delta_ci']['high']:+.3f}], p={r['p_value']:.3f}")  # fmt: skip
        rows.append([r["title"], *[_with_ci(r[k], r[f"{k}_ci"]) for k in HEADLINE], delta,
                     _fmt(r["fit_seconds_mean"], 1), _fmt(r["predict_docs_per_second"], 1)])  # fmt: skip
    return _md_table(
        [
            "system",
            *[SHORT[k] for k in HEADLINE],
            "Δ F1-samples fine vs narratives",
            "train s/fold",
            "predict docs/s",
        ],
        rows,
    )


def render_markdown(
    result: dict[str, Any], plot_paths: dict[str, str] | None = None, include_texts: bool = True
) -> str:
    """``report.md``: readable in a terminal; links the plot PNGs when ``plot_paths`` is given."""
    p = result.get("protocol", {})
    lines = ["# narratives evaluation report", ""]
    lines += _protocol_lines(result)
    lines += ["", "## Headline comparison", "", "Mean over documents with 95% percentile-bootstrap intervals (documents resampled, "
              f"{p.get('bootstrap', {}).get('n')} resamples, seed {p.get('seed')}). Δ: baseline minus narratives, paired bootstrap.", ""]  # fmt: skip
    lines += comparison_markdown(result)
    lines += ["", "## Other metrics (narratives)", ""]
    lines += _md_table(["metric", "fine", "coarse"], [
        [k, _fmt(result.get(f"{k}_fine")), _fmt(result.get(f"{k}_coarse"))]
        for k in ("f1_samples_std", "hamming_loss", "subset_accuracy", "map")
    ])  # fmt: skip
    for level in ("fine", "coarse"):
        cal = result.get(f"calibration_{level}")
        if cal:
            lines.append(
                f"\nCalibration ({level}): ECE {cal['ece']:.4f}, Brier {cal['brier']:.4f} over {cal['n_cells']} document-label cells."
            )
    st = result.get("stance")
    if st:
        lines += [
            "",
            f"Stance accuracy on framed documents: {_fmt(st['accuracy'])} (n={st['n']}); on all: {_fmt(st['accuracy_all'])} (n={st['n_all']}).",
            "",
        ]
        lines += _md_table(
            ["gold \\ predicted", *st["confusion"]["pred"]],
            [
                [g, *row]
                for g, row in zip(st["confusion"]["gold"], st["confusion"]["matrix"], strict=True)
            ],
        )
    lines += ["", "## Per-label scores (fine)", ""]
    lines += _per_label_md(result, "fine")
    lines += ["", "## Per-label scores (coarse)", ""]
    lines += _per_label_md(result, "coarse")
    lines += ["", "## Threshold tuning", ""]
    lines += _threshold_lines(result)
    lines += ["", "## Label-noise suspects", ""]
    lines += _noise_md(result, include_texts)
    lines += ["", "## Errors per label", ""]
    lines += _errors_md(result, include_texts)
    if plot_paths:
        lines += ["", "## Plots", ""]
        lines += [f"![{PLOT_TITLES.get(k, k)}]({v})" for k, v in plot_paths.items()]
    return "\n".join(lines) + "\n"


def _protocol_lines(result: dict[str, Any]) -> list[str]:
    d, p = result.get("data", {}), result.get("protocol", {})
    g = p.get("grouping", {})
    lines = [f"- data: `{d.get('source')}`: {d.get('n_documents')} documents ({d.get('n_rejected', 0)} rejected), taxonomy "
             f"`{d.get('taxonomy')}` ({d.get('n_fine_labels')} fine / {d.get('n_coarse_labels')} coarse labels; "
             f"{d.get('fine_labels_with_support')} fine labels occur), {100 * d.get('none_share', 0):.0f}% labelled "
             f"`{d.get('none_label')}`, {d.get('label_cardinality_fine', 0):.2f} fine labels per document"]  # fmt: skip
    if p.get("mode") == "cross-validation":
        lines.append(f"- protocol: {p.get('folds')}-fold cross-validation, seed {p.get('seed')}; folds keep {g.get('n_groups')} groups "
                     f"intact ({g.get('near_duplicate_clusters')} near-duplicate clusters covering "
                     f"{g.get('texts_in_near_duplicate_clusters')} texts" + (f", plus column `{g['group_column']}`" if g.get("group_column") else "")
                     + f"); fold sizes {g.get('fold_sizes')}")  # fmt: skip
    else:
        lines.append("- protocol: holdout: a trained model scored on this data")
    if d.get("unknown_gold_labels"):
        lines.append(
            f"- {len(d['unknown_gold_labels'])} gold labels are unknown to the taxonomy and count as misses"
        )
    lines.append("- label space: " + str(p.get("label_space", "")))
    for name in _system_order(result):
        info = result["systems"][name].get("info", {})
        lines.append(f"- **{result['systems'][name].get('title', name)}**: {info.get('description', '')}"
                     + (f" ({info['calibration']})" if info.get("calibration") else ""))  # fmt: skip
    return lines


def _per_label_md(result: dict[str, Any], level: str) -> list[str]:
    per = result.get(f"per_label_{level}", {})
    ci = result.get("ci", {}).get(f"per_label_{level}", {})
    rows = sorted(per.items(), key=lambda kv: (-kv[1]["support"], kv[0]))
    body = [[lab, v["support"], v["predicted"], _fmt(v["precision"]), _fmt(v["recall"]), _with_ci(v["f1"], ci.get(lab)), _fmt(v.get("average_precision"))]
            for lab, v in rows if v["support"] or v["predicted"]]  # fmt: skip
    out = _md_table(
        ["label", "support", "predicted", "precision", "recall", "F1 [95% CI]", "AP"], body
    )
    none = result.get(f"none_label_{level}")
    if none:
        out.append(
            f"\nnone label `{none['label']}`: precision {_fmt(none['precision'])}, recall {_fmt(none['recall'])}, F1 {_fmt(none['f1'])}, support {none['support']}."
        )
    return out


def _threshold_lines(result: dict[str, Any]) -> list[str]:
    tt = result.get("threshold_tuning", {})
    if not tt:
        return ["n/a"]
    s = tt["summary"]
    obj = (
        "maximise each label's F1"
        if tt["objective"] == "f1"
        else f"reach precision {tt['target_precision']} with the highest recall"
    )
    lines = [f"Per-label thresholds on out-of-fold scores to {obj}, against one global threshold of {s['base_threshold']}. "
             "In-sample: tuned and scored on the same predictions (optimistic). Cross-fitted: each fold's thresholds tuned on "
             "the other folds (what to expect on new data).", ""]  # fmt: skip
    cols = [
        ("at_base", f"global {s['base_threshold']}"),
        ("tuned_in_sample", "tuned, in-sample"),
        ("cross_fitted", "tuned, cross-fitted"),
    ]
    body = []
    for key, name in cols:
        if key in s:
            body.append(
                [
                    name,
                    _fmt(s[key]["f1_macro"]),
                    _fmt(s[key]["f1_micro"]),
                    _fmt(s[key]["f1_samples"]),
                    _fmt(s[key]["precision_macro"]),
                ]
            )
    md = tt.get("model_decision")
    if md:
        body.append(
            [
                "model's own decision rule",
                _fmt(md["f1_macro"]),
                _fmt(md["f1_micro"]),
                _fmt(md["f1_samples"]),
                "",
            ]
        )
    lines += _md_table(
        ["thresholds", "macro F1", "micro F1", "F1-samples", "macro precision"], body
    )
    g = s["gain"]
    lines.append(f"\nGain over {s['base_threshold']} ({s['gain_basis'].replace('_', '-')}): macro F1 {g['f1_macro']:+.3f}, "
                 f"micro F1 {g['f1_micro']:+.3f}, F1-samples {g['f1_samples']:+.3f}.")  # fmt: skip
    if tt.get("unreachable"):
        lines.append(
            f"Labels that cannot reach the target precision (kept at {s['base_threshold']}): {len(tt['unreachable'])}."
        )
    if tt.get("note"):
        lines.append(tt["note"])
    return lines


def _passage(row: dict[str, Any], include_texts: bool, limit: int = 160) -> str:
    p = row.get("passage")
    if not p:
        return ""
    if include_texts and p.get("text"):
        t = p["text"]
        return t if len(t) <= limit else t[: limit - 1] + "…"
    return f"passage {p.get('index')} [{p.get('start')}:{p.get('end')}]"


def _errors_md(result: dict[str, Any], include_texts: bool, max_labels: int = 15) -> list[str]:
    errs = result.get("errors", {})
    if not errs:
        return ["no errors recorded"]
    lines = ["Most confident false positives (highest score) and false negatives (lowest score) per label, with the best-scoring "
             "passage and the features that pushed the score up. Full list: metrics.json.", ""]  # fmt: skip
    for lab in list(errs)[:max_labels]:
        e = errs[lab]
        lines.append(f"### {lab} ({e['n_false_positives']} FP, {e['n_false_negatives']} FN)")
        body = []
        for kind, key in (("FP", "false_positives"), ("FN", "false_negatives")):
            for r in e[key][:3]:
                feats = ", ".join(f[0] for f in r.get("features", [])[:4])
                body.append([kind, r["id"], _fmt(r["score"]), _passage(r, include_texts), feats])
        lines += _md_table(["", "id", "score", "passage", "evidence"], body)
        lines.append("")
    if len(errs) > max_labels:
        lines.append(f"... {len(errs) - max_labels} more labels in metrics.json and report.html")
    return lines


def _noise_md(result: dict[str, Any], include_texts: bool, top: int = 10) -> list[str]:
    nz = result.get("label_noise", {})
    if not nz:
        return ["n/a"]
    lines = [f"{nz['n_suspects']} (document, label) cells where the out-of-fold score contradicts the gold label by at least "
             f"{nz['margin']} ({nz['n_doubted_gold']} gold labels the model doubts, {nz['n_missing_gold']} possibly missing). "
             "Ranked by disagreement x the label's average precision.", ""]  # fmt: skip
    body = [
        [
            r["id"],
            r["label"],
            r["gold"],
            _fmt(r["score"]),
            _fmt(r["label_average_precision"]),
            _passage(r, include_texts),
        ]
        for r in nz["suspects"][:top]
    ]
    return lines + _md_table(["id", "label", "gold", "score", "label AP", "passage"], body)


# ----------------------------------------------------------------------------------- html
_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:24px auto;max-width:1180px;color:#1d1d1f;line-height:1.45;padding:0 16px}
h1{font-size:1.6em}h2{margin-top:1.8em;border-bottom:1px solid #ddd;padding-bottom:4px}h3{font-size:1.02em;margin-bottom:4px}
table{border-collapse:collapse;margin:8px 0 16px;font-size:.86em}table.headline td small{color:#555;font-weight:400}th,td{border:1px solid #d9d9d9;padding:3px 7px;text-align:left;vertical-align:top}
th{background:#f3f5f8}td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
tr.ours td{background:#eef4fc;font-weight:600}.note{color:#555;font-size:.9em}img{max-width:100%;height:auto;border:1px solid #eee;margin:6px 0}
.grid{display:grid;grid-template-columns:1fr 1fr;gap:8px 18px;align-items:start}
details{margin:4px 0}summary{cursor:pointer}code{background:#f4f4f4;padding:0 3px;border-radius:3px}figure{margin:10px 0 24px}figcaption{font-weight:600}
"""


def _h(v: Any) -> str:
    return html.escape(str(v))


def _html_table(
    header: list[str],
    rows: Iterable[list[Any]],
    num_from: int = 1,
    row_classes: list[str] | None = None,
) -> str:
    out = ["<table><tr>" + "".join(f"<th>{_h(c)}</th>" for c in header) + "</tr>"]
    for i, r in enumerate(rows):
        cls = f' class="{row_classes[i]}"' if row_classes and row_classes[i] else ""
        cells = "".join(
            f'<td class="num">{_h(v)}</td>' if j >= num_from else f"<td>{_h(v)}</td>"
            for j, v in enumerate(r)
        )
        out.append(f"<tr{cls}>{cells}</tr>")
    return "".join(out) + "</table>"


def _headline_html(result: dict[str, Any]) -> str:
    """The comparison table with each interval under its value (fits a 1280 px window)."""

    def cell(v: float | None, ci: dict[str, float] | None) -> str:
        if v is None:
            return '<td class="num">n/a</td>'
        sub = f"<br><small>[{ci['low']:.3f}, {ci['high']:.3f}]</small>" if ci else ""
        return f'<td class="num">{v:.3f}{sub}</td>'

    head = [
        "system",
        *[SHORT[k] for k in HEADLINE],
        "Δ F1-samples fine",
        "train s/fold",
        "predict docs/s",
    ]
    out = ["<table class='headline'><tr>" + "".join(f"<th>{_h(c)}</th>" for c in head) + "</tr>"]
    for r in comparison_rows(result):
        cls = ' class="ours"' if r["system"] == "narratives" else ""
        if r["delta_f1_samples_fine"] is None:
            delta = '<td class="num">—</td>'
        else:
            d = r["delta_ci"]
            delta = (f'<td class="num">{r["delta_f1_samples_fine"]:+.3f}<br><small>[{d["low"]:+.3f}, {d["high"]:+.3f}] '
                     f'p={r["p_value"]:.3f}</small></td>')  # fmt: skip
        cells = "".join(cell(r[k], r[f"{k}_ci"]) for k in HEADLINE)
        out.append(f"<tr{cls}><td>{_h(r['title'])}</td>{cells}{delta}<td class='num'>{_fmt(r['fit_seconds_mean'], 1)}</td>"
                   f"<td class='num'>{_fmt(r['predict_docs_per_second'], 1)}</td></tr>")  # fmt: skip
    return "".join(out) + "</table>"


def render_html(
    result: dict[str, Any], images: dict[str, bytes] | None = None, include_texts: bool = True
) -> str:
    """``report.html``: one self-contained page (inline CSS, base64 PNG plots, no scripts)."""
    images = make_plots(result) if images is None else images
    p = result.get("protocol", {})
    parts = [
        f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>narratives evaluation report</title><style>{_CSS}</style></head><body>"
    ]
    parts.append("<h1>narratives evaluation report</h1><ul>")
    for line in _protocol_lines(result):
        parts.append(f"<li>{_h(line[2:]).replace('**', '')}</li>")
    parts.append("</ul>")
    # headline
    parts.append("<h2>Headline comparison</h2>")
    parts.append(f"<p class='note'>Mean over documents with 95% percentile-bootstrap intervals ({_h(p.get('bootstrap', {}).get('n'))} resamples of the "
                 "documents). Δ: baseline minus narratives on fine F1-samples (the SemEval ranking metric), paired bootstrap on the same resamples.</p>")  # fmt: skip
    parts.append(_headline_html(result))
    # plots: the compact ones side by side, the tall ones full width
    parts.append("<h2>Plots</h2>")

    def figure(key: str) -> str:
        b64 = base64.b64encode(images[key]).decode("ascii")
        title = _h(PLOT_TITLES.get(key, key))
        return f"<figure id='{_h(key)}'><figcaption>{title}</figcaption><img alt='{title}' src='data:image/png;base64,{b64}'></figure>"

    grid = [k for k in ("reliability", "cooccurrence_coarse") if k in images]
    if grid:
        parts.append("<div class='grid'>" + "".join(figure(k) for k in grid) + "</div>")
    order = ["pr_curves", "thresholds", "per_label_f1", "cooccurrence_fine"]
    rest = sorted(
        (k for k in images if k not in grid),
        key=lambda k: order.index(k) if k in order else len(order),
    )
    parts.extend(figure(k) for k in rest)
    # other metrics
    sysrows = []
    for name in _system_order(result):
        m = result["systems"][name]["metrics"]
        cf = m.get("calibration_fine")
        sysrows.append([name, _fmt(m.get("hamming_loss_fine"), 4), _fmt(m.get("subset_accuracy_fine")), _fmt(m.get("subset_accuracy_coarse")),
                        _fmt(m.get("map_fine")), _fmt(cf["ece"], 4) if cf else "n/a", _fmt(cf["brier"], 4) if cf else "n/a",
                        _fmt(m.get("stance_accuracy"))])  # fmt: skip
    parts.append("<h2>Other metrics</h2>")
    parts.append(
        _html_table(
            [
                "system",
                "Hamming loss fine",
                "subset acc. fine",
                "subset acc. coarse",
                "mean AP fine",
                "ECE fine",
                "Brier fine",
                "stance acc.",
            ],
            sysrows,
        )
    )
    st = result.get("stance")
    if st:
        parts.append(
            f"<p>Stance accuracy on framed documents {_fmt(st['accuracy'])} (n={st['n']}); on all documents {_fmt(st['accuracy_all'])} (n={st['n_all']}).</p>"
        )
        parts.append(
            _html_table(
                ["gold \\ predicted", *st["confusion"]["pred"]],
                [
                    [g, *row]
                    for g, row in zip(
                        st["confusion"]["gold"], st["confusion"]["matrix"], strict=True
                    )
                ],
            )
        )
    # comparison detail
    cmp = result.get("comparison", {})
    if cmp:
        parts.append("<h2>Paired bootstrap: narratives minus baseline</h2>")
        body = []
        for name, res in cmp.items():
            for k in HEADLINE:
                if k in res:
                    c = res[k]
                    body.append(
                        [
                            name,
                            SHORT[k],
                            f"{c['diff']:+.3f}",
                            f"[{c['low']:+.3f}, {c['high']:+.3f}]",
                            f"{c['a_better_share']:.3f}",
                            f"{c['p_value']:.4f}",
                        ]
                    )
        parts.append(
            _html_table(
                [
                    "baseline",
                    "metric",
                    "difference",
                    "95% CI",
                    "share of resamples narratives better",
                    "p (two-sided)",
                ],
                body,
                num_from=2,
            )
        )
    # per label
    for level in ("fine", "coarse"):
        per = result.get(f"per_label_{level}", {})
        ci = result.get("ci", {}).get(f"per_label_{level}", {})
        rows = sorted(per.items(), key=lambda kv: (-kv[1]["support"], kv[0]))
        body = [[lab, v["support"], v["predicted"], _fmt(v["precision"]), _fmt(v["recall"]), _with_ci(v["f1"], ci.get(lab)), _fmt(v.get("average_precision"))]
                for lab, v in rows if v["support"] or v["predicted"]]  # fmt: skip
        parts.append(f"<h2>Per-label scores ({level})</h2>")
        parts.append(
            _html_table(
                ["label", "support", "predicted", "precision", "recall", "F1 [95% CI]", "AP"], body
            )
        )
    # thresholds
    parts.append("<h2>Threshold tuning</h2>")
    md = _threshold_lines(result)
    parts.append(f"<p class='note'>{_h(md[0])}</p>")
    tt = result.get("threshold_tuning", {})
    if tt:
        s = tt["summary"]
        body = []
        for key, name in (
            ("at_base", f"global {s['base_threshold']}"),
            ("tuned_in_sample", "tuned, in-sample"),
            ("cross_fitted", "tuned, cross-fitted"),
        ):
            if key in s:
                body.append(
                    [
                        name,
                        _fmt(s[key]["f1_macro"]),
                        _fmt(s[key]["f1_micro"]),
                        _fmt(s[key]["f1_samples"]),
                        _fmt(s[key]["precision_macro"]),
                    ]
                )
        if tt.get("model_decision"):
            m = tt["model_decision"]
            body.append(
                [
                    "model's own decision rule",
                    _fmt(m["f1_macro"]),
                    _fmt(m["f1_micro"]),
                    _fmt(m["f1_samples"]),
                    "",
                ]
            )
        parts.append(
            _html_table(
                ["thresholds", "macro F1", "micro F1", "F1-samples", "macro precision"], body
            )
        )
        for line in md[1:]:
            if line and not line.startswith("|"):
                parts.append(f"<p>{_h(line.strip())}</p>")
        prow = sorted(tt["per_label"].items(), key=lambda kv: (-kv[1]["support"], kv[0]))
        body = [[lab, v["support"], _fmt(v["threshold"], 2), _fmt(v["at_base"]["f1"]), _fmt(v["tuned"]["f1"]),
                 _fmt(v.get("cross_fitted", {}).get("f1")), _fmt(v.get("threshold_spread"), 3)] for lab, v in prow]  # fmt: skip
        parts.append("<details><summary>Per-label thresholds</summary>")
        parts.append(
            _html_table(
                [
                    "label",
                    "support",
                    "threshold",
                    f"F1 at {s['base_threshold']}",
                    "F1 tuned (in-sample)",
                    "F1 cross-fitted",
                    "threshold s.d. across folds",
                ],
                body,
            )
        )
        parts.append("</details>")
    # noise
    nz = result.get("label_noise", {})
    parts.append("<h2>Label-noise suspects</h2>")
    if nz:
        parts.append(f"<p class='note'>{_h(_noise_md(result, include_texts)[0])}</p>")
        body = [[r["id"], r["label"], r["gold"], _fmt(r["score"]), _fmt(r["label_average_precision"]), _passage(r, include_texts, 400),
                 ", ".join(f[0] for f in r.get("features", [])[:5])] for r in nz["suspects"]]  # fmt: skip
        parts.append(
            _html_table(
                ["id", "label", "gold", "score", "label AP", "passage", "evidence"],
                body,
                num_from=2,
            )
        )
    # errors
    parts.append("<h2>Errors per label</h2><p class='note'>Most confident false positives (highest score) and false negatives "
                 "(lowest score), with the passage that scores the label highest and the features that pushed the score up.</p>")  # fmt: skip
    for lab, e in result.get("errors", {}).items():
        parts.append(
            f"<details><summary><b>{_h(lab)}</b>: {e['n_false_positives']} false positives, {e['n_false_negatives']} false negatives</summary>"
        )
        body = []
        for kind, key in (("FP", "false_positives"), ("FN", "false_negatives")):
            for r in e[key]:
                feats = ", ".join(f"{f[0]} (+{f[1]:.2f})" for f in r.get("features", []))
                body.append([kind, r["id"], _fmt(r["score"]), "; ".join(r["gold"]) or "—", "; ".join(r["predicted"]) or "—",
                             _passage(r, include_texts, 400), feats + (f" [{r['note']}]" if r.get("note") else "")])  # fmt: skip
        parts.append(
            _html_table(
                ["", "id", "score", "gold", "predicted", "passage", "evidence"], body, num_from=2
            )
        )
        parts.append("</details>")
    parts.append("<p class='note'>Generated by <code>narratives evaluate</code>. Machine-readable numbers: metrics.json; "
                 "out-of-fold predictions: oof_predictions.jsonl.</p></body></html>")  # fmt: skip
    return "\n".join(parts)


# ---------------------------------------------------------------------------------- write
def _atomic_write(path: Path, data: bytes | str) -> None:
    tmp = path.with_name(path.name + ".partial")
    if isinstance(data, str):
        tmp.write_text(data, encoding="utf-8")
    else:
        tmp.write_bytes(data)
    os.replace(tmp, path)


def _json_default(o: Any) -> Any:
    if isinstance(o, np.integer):
        return int(o)
    if isinstance(o, np.floating):
        return float(o)
    if isinstance(o, np.ndarray):
        return o.tolist()
    return str(o)


def write_report(
    result: dict[str, Any], directory: str | Path, include_texts: bool = True, plots: bool = True
) -> dict[str, Path]:
    """Write ``metrics.json``, ``oof_predictions.jsonl``, ``report.md``, ``report.html`` and
    ``plots/*.png`` into ``directory`` (created if missing).

    ``include_texts=False`` leaves passage texts out of every file (ids, offsets and numbers only).
    ``metrics.json`` holds everything but the out-of-fold rows, which go to the JSONL file.
    """
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    res = result if include_texts else strip_texts(result)
    paths: dict[str, Path] = {}
    metrics = {k: v for k, v in res.items() if k != "oof_predictions"}
    paths["metrics"] = out / "metrics.json"
    _atomic_write(
        paths["metrics"],
        json.dumps(metrics, indent=2, ensure_ascii=False, default=_json_default) + "\n",
    )
    if res.get("oof_predictions") is not None:
        paths["oof_predictions"] = out / "oof_predictions.jsonl"
        _atomic_write(
            paths["oof_predictions"],
            "".join(
                json.dumps(r, ensure_ascii=False, default=_json_default) + "\n"
                for r in res["oof_predictions"]
            ),
        )
    images = make_plots(res) if plots else {}
    rel = {}
    if images:
        (out / "plots").mkdir(exist_ok=True)
        for k, png in images.items():
            _atomic_write(out / "plots" / f"{k}.png", png)
            rel[k] = f"plots/{k}.png"
    paths["markdown"] = out / "report.md"
    _atomic_write(paths["markdown"], render_markdown(res, rel, include_texts))
    paths["html"] = out / "report.html"
    _atomic_write(paths["html"], render_html(res, images, include_texts))
    log.info("report written to %s", out)
    return paths
