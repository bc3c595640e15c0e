"""The report's plots as PNG bytes (matplotlib, Agg backend), each a function of the dict returned
by :func:`narratives.evaluate`."""

from __future__ import annotations

import io
from typing import Any

import numpy as np

from .._internal.text import shorten

COLOURS = {
    "narratives": "#1f5aa6",
    "majority": "#9e9e9e",
    "cue_lexicon": "#e08a00",
    "spacy_bow": "#2e9e5b",
    "spacy_bow_tuned": "#0b5d2a",
}


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
    labels = [f"{shorten(lab, 58)} ({v['support']})" for lab, v in rows]
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
    if ax.get_legend_handles_labels()[0]:  # no labelled artist when no row has a score
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
            "all fine labels (micro)" if panel == "__micro__" else shorten(panel, 48), fontsize=8
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
    labels = [shorten(x, 40) for x in co["labels"]]
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
    if ax.get_legend_handles_labels()[0]:
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
        ax.set_title(f"{shorten(lab, 44)} (n={v['support']})", fontsize=8)
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
