"""Plots of tag output and evaluation results (matplotlib; each returns its Figure).

Built on :class:`matplotlib.figure.Figure` directly, not through ``pyplot``: nothing is drawn
twice in a notebook and no global figure state is touched.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .._exceptions import InputError
from .._internal.cells import as_list, as_scores
from .._internal.text import shorten
from .._internal.vocab import NONE_LABELS, STANCE_ORDER
from ..engine import NON_TEXT_FLAGS, infer_unit, level_column, prevalence

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from .._model import NarrativeModel

__all__ = ["STANCE_CMAPS", "STANCE_COLOURS", "plot_label_f1", "plot_prevalence", "plot_scores"]

STANCE_COLOURS = {
    "promotes": "#c8553d",
    "reports": "#3a7ca5",
    "unknown": "#9a9a9a",
    "none": "#cfcfcf",
}
STANCE_CMAPS = {"promotes": "Reds", "reports": "Blues"}


def _new_figure(ax: Axes | None, figsize: tuple[float, float]) -> tuple[Figure, Axes]:
    if ax is not None:
        return ax.figure, ax
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize, layout="constrained")
    return fig, fig.add_subplot()


def plot_prevalence(
    data: pd.DataFrame,
    by: str | Sequence[str] | None = None,
    *,
    unit: str | None = None,
    level: str = "frames",
    stance: bool = True,
    top: int = 15,
    top_groups: int = 10,
    title: str | None = None,
    ax: Axes | None = None,
    **kw: Any,
) -> Figure:
    """Frame (or family) prevalence: stacked bars by stance, or one heatmap per stance by group.

    ``data`` is tag output (passed to :func:`prevalence` with ``by``, ``unit``, ``level``,
    ``stance`` and ``kw``) or a tidy table :func:`prevalence` already returned. Without ``by``:
    one horizontal bar per label, its segments the stances. With ``by``: label x group heatmaps
    (the ``top_groups`` largest groups), one panel per stance (promotes, reports, then any
    other), cells coloured by share and annotated with counts.
    """
    by_cols = [by] if isinstance(by, str) else list(by or [])
    _, name = level_column(level)
    if {"n", "total", "share"} <= set(data.columns):
        table = data
        stance = stance and "stance" in table.columns
        name = "frame" if "frame" in table.columns else "family"
        by_cols = [c for c in table.columns if c not in (name, "stance", "n", "total", "share")]
    else:
        table = prevalence(data, by=by_cols, unit=unit, level=level, stance=stance, **kw)
        unit = unit or infer_unit(data)
    unit_word = f"{unit}s" if unit else "units"
    if not len(table):
        fig, ax = _new_figure(ax, (6, 2))
        ax.text(0.5, 0.5, f"no {name} in these {unit_word}", ha="center", va="center")
        ax.set_axis_off()
        return fig
    order = (
        table.groupby(name)["n"]
        .sum()
        .sort_values(ascending=False, kind="stable")
        .index[:top]
        .tolist()
    )
    if not by_cols:
        fig, ax = _new_figure(ax, kw.pop("figsize", (8, 0.8 + 0.34 * len(order))))
        y = np.arange(len(order))
        left = np.zeros(len(order))
        stances = (
            [s for s in STANCE_ORDER if stance and s in set(table["stance"])] if stance else [None]
        )
        if stance:
            stances += sorted(set(table["stance"]) - set(STANCE_ORDER))
        for s in stances:
            sub = table if s is None else table[table["stance"] == s]
            vals = sub.groupby(name)["share"].sum().reindex(order).fillna(0.0).to_numpy()
            ax.barh(
                y,
                vals * 100,
                left=left * 100,
                color=STANCE_COLOURS.get(s, "#4c72b0") if s else "#4c72b0",
                label=s if s else None,
                height=0.7,
            )
            left += vals
        ax.set_yticks(y, [shorten(lab) for lab in order])
        ax.invert_yaxis()
        ax.set_xlabel(f"% of {unit_word}")
        if stance:
            ax.legend(title="stance", loc="lower right", frameon=False)
        ax.grid(axis="x", alpha=0.3)
        ax.set_axisbelow(True)
        ax.spines[["top", "right"]].set_visible(False)
        ax.set_title(title or f"{name.capitalize()} prevalence" + (" by stance" if stance else ""))
        return fig
    # grouped: heatmaps
    t = table.copy()
    gname = " / ".join(by_cols)
    t["_group"] = (
        t[by_cols].astype(str).agg(" / ".join, axis=1)
        if len(by_cols) > 1
        else t[by_cols[0]].astype(str)
    )
    totals = (
        t.drop_duplicates("_group")
        .set_index("_group")["total"]
        .sort_values(ascending=False, kind="stable")
    )
    groups = totals.index[:top_groups].tolist()
    stances = (
        [s for s in STANCE_ORDER if s in set(t["stance"])]
        + sorted(set(t["stance"]) - set(STANCE_ORDER))
        if stance
        else [None]
    )
    stances = [s for s in stances if s is None or s != "none"] or stances
    from matplotlib.figure import Figure

    fig = Figure(
        figsize=kw.pop(
            "figsize",
            (1.5 + (0.62 * len(groups) + 0.6) * len(stances) + 2.2, 1.4 + 0.34 * len(order)),
        ),
        layout="constrained",
    )
    axes = fig.subplots(1, len(stances), sharey=True, squeeze=False)[0]
    vmax = max(1e-9, float(t[t["_group"].isin(groups)]["share"].max()))
    for k, (s, a) in enumerate(zip(stances, axes, strict=True)):
        sub = t if s is None else t[t["stance"] == s]
        share = (
            sub.pivot_table(index=name, columns="_group", values="share", aggfunc="sum")
            .reindex(index=order, columns=groups)
            .fillna(0.0)
        )
        cnt = (
            sub.pivot_table(index=name, columns="_group", values="n", aggfunc="sum")
            .reindex(index=order, columns=groups)
            .fillna(0)
            .astype(int)
        )
        im = a.imshow(
            share.to_numpy() * 100,
            aspect="auto",
            cmap=STANCE_CMAPS.get(s, "Greys" if s else "Purples"),
            vmin=0,
            vmax=vmax * 100,
        )
        for i in range(len(order)):
            for j in range(len(groups)):
                c = cnt.iat[i, j]
                if c:
                    dark = share.iat[i, j] > 0.6 * vmax
                    a.text(
                        j,
                        i,
                        str(c),
                        ha="center",
                        va="center",
                        fontsize=7,
                        color="white" if dark else "black",
                    )
        a.set_xticks(
            range(len(groups)),
            [f"{shorten(g, 18)} ({totals[g]})" for g in groups],
            rotation=50,
            ha="right",
            fontsize=8,
        )
        if k == 0:
            a.set_yticks(range(len(order)), [shorten(lab) for lab in order], fontsize=8)
        a.set_title(f"stance: {s}" if s else "all stances", fontsize=10)
        a.set_xlabel(f"{gname} (n {unit_word})", fontsize=8)
        cb = fig.colorbar(im, ax=a, shrink=0.6, pad=0.01)
        cb.ax.tick_params(labelsize=7)
        cb.set_label(f"% of {unit_word}", fontsize=7)
    fig.suptitle(
        title
        or f"{name.capitalize()} prevalence by {'country mentioned' if gname == 'countries' else gname}"
        + (", split by stance" if stance else "")
        + " (cell: count)",
        fontsize=11,
    )
    return fig


def _per_label(metrics: Mapping[str, Any], level: str) -> dict[str, dict[str, Any]]:
    key = f"per_label_{level}"
    if key in metrics:
        return dict(metrics[key])
    if metrics and all(isinstance(v, Mapping) and "f1" in v for v in metrics.values()):
        return dict(metrics)
    raise InputError(
        f"expected an evaluate() result with {key!r} or a label -> {{'f1': ...}} mapping"
    )


def plot_label_f1(
    metrics: Mapping[str, Any],
    level: str = "fine",
    *,
    top: int = 25,
    min_support: int = 1,
    sort: str = "support",
    title: str | None = None,
    ax: Axes | None = None,
) -> Figure:
    """Per-label F1 as horizontal bars, with support (and precision/recall ticks for one system).

    ``metrics`` is an :func:`narratives.evaluate` result (its ``per_label_fine`` or
    ``per_label_coarse``), a ``label -> {"f1", "support", ...}`` mapping, or a mapping of names
    to either, to compare systems (grouped bars; labels and support come from the first).
    ``sort``: ``"support"`` (most frequent first) or ``"f1"`` (best first).
    """
    try:
        systems = {"": _per_label(metrics, level)}
    except InputError:
        systems = {str(k): _per_label(v, level) for k, v in metrics.items()}
    first = next(iter(systems.values()))
    labs = [lab for lab, r in first.items() if r.get("support", 1) >= min_support]
    if sort == "f1":
        labs.sort(key=lambda lab: (-first[lab].get("f1", 0.0), lab))
    else:
        labs.sort(key=lambda lab: (-first[lab].get("support", 0), lab))
    labs = labs[:top]
    n_sys = len(systems)
    fig, ax = _new_figure(ax, (8.5, 1.0 + (0.28 + 0.12 * (n_sys - 1)) * max(1, len(labs))))
    y = np.arange(len(labs))
    h = 0.8 / n_sys
    colours = ["#4c72b0", "#dd8452", "#55a868", "#c44e52", "#8172b3"]
    for i, (name, per) in enumerate(systems.items()):
        vals = [per.get(lab, {}).get("f1", 0.0) for lab in labs]
        ax.barh(
            y - 0.4 + h * (i + 0.5),
            vals,
            height=h,
            color=colours[i % len(colours)],
            label=name or "F1",
        )
    if n_sys == 1:
        ax.scatter(
            [first[lab].get("precision", np.nan) for lab in labs],
            y,
            marker="|",
            s=90,
            color="black",
            label="precision",
            zorder=3,
        )
        ax.scatter(
            [first[lab].get("recall", np.nan) for lab in labs],
            y,
            marker="x",
            s=22,
            color="#c44e52",
            label="recall",
            zorder=3,
        )
    ticks = [f"{shorten(lab, 56)}  (n={first[lab].get('support', '?')})" for lab in labs]
    ax.set_yticks(y, ticks, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    ax.set_xlabel("F1")
    ax.grid(axis="x", alpha=0.3)
    ax.set_axisbelow(True)
    ax.spines[["top", "right"]].set_visible(False)
    ax.legend(
        loc="upper center",
        bbox_to_anchor=(0.5, -0.06 - 0.6 / max(1, len(labs))),
        ncol=4,
        fontsize=8,
        frameon=False,
    )
    ax.set_title(title or f"Per-label F1 ({level}; n = support)", fontsize=11)
    return fig


def plot_scores(
    df: pd.DataFrame,
    labels: Sequence[str] | None = None,
    *,
    thresholds: Mapping[str, float] | NarrativeModel | None = None,
    top: int = 12,
    exclude_flags: Sequence[str] | None = NON_TEXT_FLAGS,
    title: str | None = None,
) -> Figure:
    """Score distributions: per label, every unit's score (assigned ones in colour) and the
    threshold; beside it, a histogram of each unit's top score, framed vs unframed.

    ``labels``: which labels to show (default: the ``top`` labels with the highest scores).
    ``thresholds``: a model or a ``label -> threshold`` mapping, drawn as black ticks.
    """
    if "scores" not in df.columns:
        raise InputError("plot_scores needs the 'scores' column of tag output")
    if exclude_flags and "flag" in df.columns:
        df = df[~df["flag"].isin(exclude_flags)]
    rows = [as_scores(v) for v in df["scores"]]
    keep = [i for i, r in enumerate(rows) if r]
    rows = [rows[i] for i in keep]
    assigned = (
        [set(as_list(v)) for v in df["frames"].iloc[keep]]
        if "frames" in df.columns
        else [set() for _ in keep]
    )
    all_labels = list(dict.fromkeys(k for r in rows for k in r))
    S = (
        np.array([[r.get(lab, 0.0) for lab in all_labels] for r in rows])
        if rows
        else np.zeros((0, 0))
    )
    if labels is None:
        q = np.quantile(S, 0.95, axis=0) if len(S) else np.zeros(len(all_labels))
        labels = [all_labels[j] for j in np.argsort(-q, kind="stable")[:top]]
    labels = list(labels)
    thr: dict[str, float] = {}
    if thresholds is not None:
        thr = dict(thresholds.thresholds if hasattr(thresholds, "thresholds") else thresholds)
    from matplotlib.figure import Figure

    fig = Figure(figsize=(11, 1.4 + 0.36 * max(1, len(labels))), layout="constrained")
    a1, a2 = fig.subplots(1, 2, width_ratios=[2.2, 1])
    rng = np.random.default_rng(0)
    for i, lab in enumerate(labels):
        j = all_labels.index(lab) if lab in all_labels else None
        s = S[:, j] if j is not None else np.zeros(0)
        on = (
            np.array([lab in a for a in assigned], dtype=bool)
            if len(s)
            else np.zeros(0, dtype=bool)
        )
        jit = rng.uniform(-0.28, 0.28, len(s))
        a1.scatter(
            s[~on],
            i + jit[~on],
            s=7,
            color="#9a9a9a",
            alpha=0.45,
            linewidths=0,
            label="not assigned" if i == 0 else None,
        )
        a1.scatter(
            s[on],
            i + jit[on],
            s=11,
            color="#c8553d",
            alpha=0.9,
            linewidths=0,
            label="assigned" if i == 0 else None,
        )
        if lab in thr:
            a1.plot(
                [thr[lab], thr[lab]],
                [i - 0.4, i + 0.4],
                color="black",
                lw=1.6,
                label="threshold" if i == 0 else None,
            )
    a1.set_yticks(range(len(labels)), [shorten(lab, 40) for lab in labels], fontsize=8)
    a1.set_ylim(len(labels) - 0.5, -0.5)
    a1.set_xlim(-0.02, 1.02)
    a1.set_xlabel("score (calibrated probability)")
    a1.grid(axis="x", alpha=0.3)
    a1.spines[["top", "right"]].set_visible(False)
    a1.legend(
        loc="upper center",
        bbox_to_anchor=(0.5, -0.09),
        ncol=3,
        fontsize=8,
        markerscale=2,
        frameon=False,
    )
    a1.set_title("Scores per label", fontsize=10)
    top_score = S.max(axis=1) if S.size else np.zeros(0)
    framed = np.array([bool(a - NONE_LABELS) for a in assigned], dtype=bool)
    bins = np.linspace(0, 1, 21)
    a2.hist(
        [top_score[~framed], top_score[framed]],
        bins=bins,
        stacked=True,
        color=["#9a9a9a", "#c8553d"],
        label=["no frame", "framed"],
    )
    a2.set_xlabel("top score of the unit")
    a2.set_ylabel("units")
    a2.legend(fontsize=8)
    a2.spines[["top", "right"]].set_visible(False)
    a2.set_title("How sure is the model?", fontsize=10)
    fig.suptitle(title or f"Score distributions ({len(rows)} {infer_unit(df)}s)", fontsize=11)
    return fig
