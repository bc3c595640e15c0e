"""Exploring model output in notebooks: prevalence tables, plots and highlighted evidence.

Everything here works on the DataFrames that :meth:`narratives.NarrativeModel.tag` returns (one
row per passage or per document, with ``frames``, ``families``, ``stance``, ``scores``,
``countries`` ...), on the same tables read back from the files ``narratives tag`` writes
(Parquet, JSONL or CSV: list cells may be arrays, JSON strings or ``;``-joined strings), and on
the dicts :func:`narratives.evaluate` returns.

Tables
    :func:`prevalence` (share of passages or documents per frame/family, split by stance and
    by any columns), :func:`tag_frame` (tag a DataFrame and keep its metadata columns),
    :func:`overview` (an HTML summary), :func:`errors_table` and :func:`noise_table`
    (cross-validation errors and label-noise suspects).
Plots (matplotlib; each returns its :class:`~matplotlib.figure.Figure`)
    :func:`plot_prevalence`, :func:`plot_label_f1`, :func:`plot_scores`.
HTML
    :func:`highlight` (text with ``<mark>`` spans; also ``narratives.highlight``),
    :func:`show_evidence` (the evidence for the strongest framed passages).

Plots are built on :class:`matplotlib.figure.Figure` directly, not through ``pyplot``: nothing is
drawn twice in a notebook and no global figure state is touched.
"""

from __future__ import annotations

import copy
import html
import itertools
import json
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ._exceptions import InputError
from .io._training import as_list as _io_as_list

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from ._model import NarrativeModel

__all__ = [
    "Html",
    "Overview",
    "errors_table",
    "highlight",
    "noise_table",
    "overview",
    "plot_label_f1",
    "plot_prevalence",
    "plot_scores",
    "prevalence",
    "show_evidence",
    "tag_frame",
    "with_thresholds",
]

#: Labels meaning "no frame" in the bundled taxonomy ("none") and in SemEval's ("Other").
NONE_LABELS = frozenset({"none", "Other"})
#: Passages that are not running text; left out of passage-level denominators by default.
NON_TEXT_FLAGS = ("boilerplate", "heading")
#: Columns holding lists in tag output; ``;``-joined or JSON strings in them are split.
LIST_COLUMNS = ("frames", "families", "countries")
NO_VALUE = "(none)"
STANCE_ORDER = ("promotes", "reports", "unknown", "none")
STANCE_COLOURS = {
    "promotes": "#c8553d",
    "reports": "#3a7ca5",
    "unknown": "#9a9a9a",
    "none": "#cfcfcf",
}
STANCE_CMAPS = {"promotes": "Reds", "reports": "Blues"}
_PALETTE = ["#ffe08a", "#b5e3ff", "#ffc4c4", "#c8f2c2", "#e2cdf7", "#ffd7a8", "#d0d0ff"]


class Html(str):
    """A string of HTML that notebooks render (``_repr_html_``) and tests compare as a string."""

    __slots__ = ()

    def _repr_html_(self) -> str:
        return str(self)


# ------------------------------------------------------------------------------ cells
def as_list(value: Any) -> list[str]:
    """A list cell as a list of strings: lists, tuples, arrays, JSON strings, ``;``-joined strings.

    Examples
    --------
    >>> as_list('["a", "b"]'), as_list("a;b"), as_list(None), as_list(("x",))
    (['a', 'b'], ['a', 'b'], [], ['x'])
    """
    return _io_as_list(value)


def _as_scores(value: Any) -> dict[str, float]:
    if value is None or (isinstance(value, float) and value != value):
        return {}
    if isinstance(value, str):
        value = json.loads(value) if value.strip() else {}
    if isinstance(value, Mapping):
        return {str(k): float(v) for k, v in value.items() if v is not None and v == v}
    return {}


def _is_listlike(value: Any) -> bool:
    return isinstance(value, (list, tuple, set, np.ndarray))


# ------------------------------------------------------------------------- highlight
def _spans(evidence: Any) -> list[tuple[int, int, str]]:
    """(start, end, label) triples from the accepted evidence shapes."""
    if evidence is None:
        return []
    if isinstance(evidence, pd.DataFrame):
        evidence = evidence.to_dict("records")
    if isinstance(evidence, Mapping):
        if "labels" in evidence:  # an Explanation: cue phrases and each label's best sentence
            out = []
            for lab in evidence.get("labels", []):
                for c in lab.get("cues", []):
                    out.append((c["start"], c["end"], lab["label"]))
                for s in lab.get("sentences", [])[:1]:
                    out.append((s["start"], s["end"], lab["label"]))
            return out
        evidence = [evidence]
    out = []
    for e in evidence:
        if isinstance(e, Mapping):
            if "label" in e:
                label = "" if e["label"] is None else str(e["label"])
            elif "frames" in e:  # a tag row: label the passage with its frames, skip unframed ones
                frames = [f for f in as_list(e["frames"]) if f not in NONE_LABELS]
                if not frames:
                    continue
                label = ", ".join(frames)
            else:
                label = ""
            if e.get("score") is not None and label:
                label = f"{label} ({float(e['score']):.2f})"
            out.append((e["start"], e["end"], label))
        else:
            t = tuple(e)
            if len(t) not in (2, 3):
                raise InputError(
                    f"evidence spans are (start, end) or (start, end, label), not {t!r}"
                )
            out.append((t[0], t[1], str(t[2]) if len(t) == 3 else ""))
    return out


def _mark_style(colours: list[str]) -> str:
    if len(colours) == 1:
        bg = colours[0]
    else:  # overlapping labels: one horizontal band per label
        step = 100 / len(colours)
        stops = ",".join(
            f"{c} {i * step:.0f}% {(i + 1) * step:.0f}%" for i, c in enumerate(colours)
        )
        bg = f"linear-gradient(to bottom,{stops})"
    return f"background:{bg};border-radius:3px;padding:0 1px"


def highlight(text: str, evidence: Any = (), title: str | None = None) -> Html:
    """HTML for ``text`` with the evidence spans marked (``<mark>``).

    Parameters
    ----------
    text : str
        The text the offsets refer to (Python string indices, i.e. code points).
    evidence
        ``{"start", "end", "label"[, "score"]}`` dicts; ``(start, end[, label])`` tuples; tag
        rows (dicts or a DataFrame with ``start``, ``end``, ``frames``: framed passages are
        marked with their frames); or an :class:`~narratives.Explanation` (its cue phrases and
        each label's best sentence).
    title : str, optional
        A heading above the text.

    Notes
    -----
    Spans are clipped to the text; empty ones are dropped. Overlapping spans never produce
    nested or crossing tags: the text is cut at every span edge and each piece is marked once,
    titled with every label covering it (and striped with their colours). All text and labels
    are HTML-escaped; line breaks are kept (``white-space:pre-wrap``). Each label keeps one
    colour throughout.

    Examples
    --------
    >>> highlight("a fake state", [{"start": 2, "end": 6, "label": "artificial_state"}])
    '<div class="narratives-hl" style="line-height:1.7;white-space:pre-wrap">a <mark title="artificial_state" style="background:#ffe08a;border-radius:3px;padding:0 1px">fake</mark> state</div>'
    """
    if not isinstance(text, str):
        raise InputError(f"highlight needs a string, not {type(text).__name__}")
    n = len(text)
    clean: list[tuple[int, int, str]] = []
    colours: dict[str, str] = {}
    for a, b, lab in _spans(evidence):
        a, b = max(0, int(a)), min(n, int(b))
        if a < b:
            clean.append((a, b, lab))
            colours.setdefault(lab, _PALETTE[len(colours) % len(_PALETTE)])
    cuts = sorted({0, n, *(a for a, _, _ in clean), *(b for _, b, _ in clean)})
    pieces: list[tuple[int, int, tuple[str, ...]]] = []
    for lo, hi in itertools.pairwise(cuts):
        labs = tuple(dict.fromkeys(lab for a, b, lab in clean if a <= lo and hi <= b))
        if pieces and pieces[-1][2] == labs and pieces[-1][1] == lo:
            pieces[-1] = (pieces[-1][0], hi, labs)  # same labels on both sides of a cut: one mark
        else:
            pieces.append((lo, hi, labs))
    out = []
    for lo, hi, labs in pieces:
        chunk = html.escape(text[lo:hi], quote=False)
        if not labs:
            out.append(chunk)
            continue
        tip = html.escape("; ".join(lab for lab in labs if lab) or "evidence", quote=True)
        out.append(
            f'<mark title="{tip}" style="{_mark_style([colours[lab] for lab in labs])}">{chunk}</mark>'
        )
    head = f"<h4>{html.escape(title)}</h4>" if title else ""
    return Html(
        f'{head}<div class="narratives-hl" style="line-height:1.7;white-space:pre-wrap">{"".join(out)}</div>'
    )


# ------------------------------------------------------------------------ prevalence
def _level_column(level: str) -> tuple[str, str]:
    if level in ("frames", "fine", "frame"):
        return "frames", "frame"
    if level in ("families", "coarse", "family"):
        return "families", "family"
    raise InputError(f"level must be 'frames' or 'families', not {level!r}")


def _infer_unit(df: pd.DataFrame) -> str:
    return "passage" if "passage" in df.columns else "document"


class _Counts:
    """Running counts for :func:`prevalence` (so chunks of a large file can be added up)."""

    def __init__(
        self,
        by: list[str],
        col: str,
        stance: bool,
        unit: str,
        none: frozenset[str],
        exclude_flags: Sequence[str],
    ):
        self.by, self.col, self.stance, self.unit = by, col, stance, unit
        self.none, self.exclude_flags = none, tuple(exclude_flags or ())
        self.n: Counter = Counter()
        self.total: Counter = Counter()
        self.offset = 0

    def add(self, df: pd.DataFrame) -> None:
        missing = [
            c
            for c in [self.col, *self.by, *(["stance"] if self.stance else [])]
            if c not in df.columns
        ]
        if missing:
            raise InputError(
                f"column(s) {', '.join(map(repr, missing))} not found; available: {', '.join(map(str, df.columns))}"
            )
        if self.unit == "document" and "passage" in df.columns and "id" not in df.columns:
            raise InputError("document counts from passage rows need an 'id' column")
        if self.exclude_flags and "flag" in df.columns:
            df = df[~df["flag"].isin(self.exclude_flags)]
        k = len(df)
        if self.unit == "passage" or "id" not in df.columns:
            units = list(range(self.offset, self.offset + k))
        else:
            units = df["id"].astype(str).tolist()
        self.offset += k
        w = pd.DataFrame({"_unit": units})
        w["_labels"] = [[x for x in as_list(v) if x not in self.none] for v in df[self.col]]
        if self.stance:
            w["_stance"] = [
                NO_VALUE if s is None or (isinstance(s, float) and s != s) else str(s)
                for s in df["stance"]
            ]
        doc_of_passages = self.unit == "document" and "passage" in df.columns
        for c in self.by:
            vals = df[c].tolist()
            if c in LIST_COLUMNS or any(_is_listlike(v) for v in vals):
                lists = [as_list(v) for v in vals]
                if doc_of_passages:  # a document counts under every value any of its passages has
                    union: dict[str, dict[str, None]] = {}
                    for u, vs in zip(units, lists, strict=True):
                        union.setdefault(u, {}).update(dict.fromkeys(vs))
                    lists = [list(union[u]) for u in units]
                w[c] = [vs or [NO_VALUE] for vs in lists]
                w = w.explode(c, ignore_index=True)
            else:
                w[c] = [
                    NO_VALUE if v is None or (isinstance(v, float) and v != v) else v for v in vals
                ]
        keys = [*self.by, "_unit"]
        for rec in w.drop_duplicates(keys)[self.by].itertuples(index=False, name=None):
            self.total[rec] += 1
        lab = w.explode("_labels", ignore_index=True).dropna(subset=["_labels"])
        cols = [*self.by, "_labels", *(["_stance"] if self.stance else [])]
        for rec in lab.drop_duplicates([*cols, "_unit"])[cols].itertuples(index=False, name=None):
            self.n[rec] += 1

    def frame(self, name: str) -> pd.DataFrame:
        cols = [*self.by, name, *(["stance"] if self.stance else []), "n", "total", "share"]
        nb = len(self.by)
        rows = []
        for key, n in self.n.items():
            group = key[:nb]
            total = self.total[group]
            rows.append((*key, n, total, n / total if total else 0.0))
        out = pd.DataFrame(rows, columns=cols)
        if not len(out):
            return out.astype({"n": int, "total": int, "share": float})
        if self.stance:
            rank = {s: i for i, s in enumerate(STANCE_ORDER)}
            out["_s"] = out["stance"].map(lambda s: rank.get(s, len(rank)))
        else:
            out["_s"] = 0
        overall = out.groupby(name)["n"].sum()
        out["_o"] = -out[name].map(overall)
        by = set(self.by)
        out = out.sort_values(
            [*self.by, "_o", name, "_s"],
            kind="stable",
            key=lambda c: (
                c.map(str) if c.name in by and c.dtype == object else c
            ),  # "(none)" among numbers
        ).drop(columns=["_s", "_o"])
        return out.reset_index(drop=True)


def prevalence(
    data: pd.DataFrame | Iterable[pd.DataFrame],
    by: str | Sequence[str] | None = None,
    *,
    unit: str | None = None,
    level: str = "frames",
    stance: bool = True,
    wide: bool = False,
    none_label: str | Iterable[str] | None = None,
    exclude_flags: Sequence[str] | None = NON_TEXT_FLAGS,
) -> pd.DataFrame:
    """Share of passages or documents carrying each frame (or family), by stance and group.

    Parameters
    ----------
    data : DataFrame or iterable of DataFrames
        Tag output (passage or document rows). An iterable (e.g. batches of a large Parquet
        file) is counted chunk by chunk; the passages of one document must be contiguous.
    by : str or list of str, optional
        Columns to group by (``outlet``, ``date``, ``countries`` ...). List-valued columns such
        as ``countries`` are exploded: a unit counts once under each value, and units with an
        empty list under ``"(none)"``. For months, add a column first
        (``df.assign(month=df.date.str[:7])``).
    unit : {"passage", "document"}, optional
        What is counted. Default: passages for passage rows, documents for document rows. With
        passage rows and ``unit="document"``, a document has a frame (with a stance) when one
        of its passages does.
    level : {"frames", "families"}
        Fine frames or their families.
    stance : bool
        Split the counts by the ``stance`` column (promotes / reports / unknown / none). A
        document can count under two stances of the same frame, when two of its passages differ.
    wide : bool
        Return one row per (group, label) with a share column per stance plus ``all`` (share
        with the label whatever the stance) and ``n``/``total``, instead of the tidy table.
    none_label : str or list, optional
        The "no frame" label(s) to leave out (default: ``none`` and ``Other``).
    exclude_flags : list of str
        Passage flags left out of the counts and of the denominators (default: ``boilerplate``
        and ``heading``: not running text). ``None`` keeps every row.

    Returns
    -------
    DataFrame
        Tidy: ``[*by, "frame" | "family", "stance", "n", "total", "share"]`` where ``n`` is the
        number of units with the label (and stance) in the group, ``total`` the number of units
        in the group and ``share = n / total``. Sorted by group, then by overall frequency.

    Examples
    --------
    >>> rows = pd.DataFrame({"id": ["a", "b", "c"], "frames": [["x"], ["x", "y"], ["none"]],
    ...                      "stance": ["promotes", "reports", "none"]})
    >>> prevalence(rows, stance=False)
      frame  n  total     share
    0     x  2      3  0.666667
    1     y  1      3  0.333333
    """
    by_cols = [by] if isinstance(by, str) else list(by or [])
    col, name = _level_column(level)
    if none_label is None:
        none = NONE_LABELS
    else:
        none = frozenset([none_label] if isinstance(none_label, str) else none_label)
    chunks = iter([data]) if isinstance(data, pd.DataFrame) else iter(data)
    counters: list[_Counts] = []
    carry: pd.DataFrame | None = None
    for chunk in chunks:
        if not counters:
            u = unit or _infer_unit(chunk)
            if u not in ("passage", "document"):
                raise InputError(f"unit must be 'passage' or 'document', not {u!r}")
            if u == "passage" and "passage" not in chunk.columns:
                raise InputError("passage counts need passage rows (tag with unit='passage')")
            counters.append(_Counts(by_cols, col, stance, u, none, exclude_flags or ()))
            if wide and stance:  # the "all" column: the same rows counted without stance
                counters.append(_Counts(by_cols, col, False, u, none, exclude_flags or ()))
        if carry is not None:
            chunk = pd.concat([carry, chunk], ignore_index=True)
            carry = None
        if (
            counters[0].unit == "document"
            and "passage" in chunk.columns
            and "id" in chunk.columns
            and len(chunk)
        ):
            # the last document may continue in the next chunk: hold its rows back
            tail = (chunk["id"] == chunk["id"].iloc[-1]).to_numpy()
            carry, chunk = chunk[tail], chunk[~tail]
        for c in counters:
            c.add(chunk)
    if not counters:
        raise InputError("no rows to count")
    if carry is not None and len(carry):
        for c in counters:
            c.add(carry)
    table = counters[0].frame(name)
    if not (wide and stance):
        return table
    allt = counters[1].frame(name)
    keys = [*by_cols, name]
    w = table.pivot_table(index=keys, columns="stance", values="share", fill_value=0.0, sort=False)
    w = w[
        [s for s in STANCE_ORDER if s in w.columns]
        + [s for s in w.columns if s not in STANCE_ORDER]
    ]
    w.columns = [str(c) for c in w.columns]
    out = (
        allt.set_index(keys)[["n", "total", "share"]]
        .rename(columns={"share": "all"})
        .join(w, how="left")
        .fillna(0.0)
    )
    out = out[[c for c in out.columns if c not in ("n", "total")] + ["n", "total"]]
    return out.reset_index()


# ------------------------------------------------------------------------ tagging help
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
        raise InputError(
            f"column {text_column!r} not found; available: {', '.join(map(str, data.columns))}"
        )
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
    """A copy of ``model`` whose decision thresholds are replaced for the given labels.

    Parameters
    ----------
    thresholds : mapping
        Fine (or coarse) label -> threshold in [0, 1], e.g. the ``thresholds`` of
        ``narratives.evaluate(...)["threshold_tuning"]``.
    note : str, optional
        Recorded in the manifest (``threshold_override``) with the labels changed.
    clip : (low, high), optional
        Bounds for the new thresholds. Default: the model's own ``threshold_floor`` and
        ``threshold_ceiling`` (0.1 and 0.9 unless changed), so a threshold tuned to 0 on a label
        whose positives all scored 0 does not turn into "every text has this label".

    Labels the model does not know, and values outside [0, 1], raise
    :class:`~narratives.InputError`. The copy saves and loads like any model.
    """
    from ._model import NarrativeModel

    clf = model.pipeline.classifier
    unknown = [k for k in thresholds if k not in clf.thresholds_]
    if unknown:
        raise InputError(f"{len(unknown)} label(s) unknown to the model: {', '.join(unknown[:5])}")
    bad = {k: v for k, v in thresholds.items() if not (0.0 <= float(v) <= 1.0)}
    if bad:
        raise InputError(f"thresholds must lie in [0, 1]: {bad}")
    if clip is None:
        clip = (
            float(getattr(clf, "threshold_floor", 0.0)),
            float(getattr(clf, "threshold_ceiling", 1.0)),
        )
    lo, hi = clip
    new = {k: min(max(float(v), lo), hi) for k, v in thresholds.items()}
    pipe = copy.deepcopy(model.pipeline)
    pipe.classifier.thresholds_.update(new)
    manifest = copy.deepcopy(model.manifest)
    manifest["threshold_override"] = {
        "labels": sorted(new),
        "clip": [lo, hi],
        "note": note or "thresholds set with narratives.explore.with_thresholds",
    }
    return NarrativeModel(pipe, manifest)


# --------------------------------------------------------------------------- overview
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
    col, _ = _level_column(level)
    unit = _infer_unit(df)
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


# ------------------------------------------------------------------------------ plots
def _new_figure(ax: Axes | None, figsize: tuple[float, float]) -> tuple[Figure, Axes]:
    if ax is not None:
        return ax.figure, ax
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize, layout="constrained")
    return fig, fig.add_subplot()


def _short(label: str, limit: int = 48) -> str:
    """Fit a label in ``limit`` characters. Hierarchical labels (``"CC: Narrative: Sub"``) keep
    their first part and their last part, which carry the domain and the specific claim."""
    label = str(label)
    if len(label) <= limit:
        return label
    parts = label.split(": ")
    if len(parts) > 1:
        head, last = parts[0], parts[-1]
        if len(last) > limit - 2:
            return "…" + last[-(limit - 1) :]
        prefix = label[: len(label) - len(last) - 2]
        cut = prefix[: max(0, limit - len(last) - 3)]  # room left for "…: " + last
        if " " in cut:
            cut = cut[: cut.rfind(" ")]  # whole words only
        cut = cut.rstrip(" :,")
        if len(cut) > len(head) + 5:
            return f"{cut}…: {last}"
        if len(head) + 5 + len(last) <= limit:
            return f"{head}: …: {last}"
        return "…: " + last[-(limit - 3) :]
    return "…" + label[-(limit - 1) :]


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
    _, name = _level_column(level)
    if {"n", "total", "share"} <= set(data.columns):
        table = data
        stance = stance and "stance" in table.columns
        name = "frame" if "frame" in table.columns else "family"
        by_cols = [c for c in table.columns if c not in (name, "stance", "n", "total", "share")]
    else:
        table = prevalence(data, by=by_cols, unit=unit, level=level, stance=stance, **kw)
        unit = unit or _infer_unit(data)
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
            ax.barh(y, vals * 100, left=left * 100, color=STANCE_COLOURS.get(s, "#4c72b0") if s else "#4c72b0",
                    label=s if s else None, height=0.7)  # fmt: skip
            left += vals
        ax.set_yticks(y, [_short(lab) for lab in order])
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
            [f"{_short(g, 18)} ({totals[g]})" for g in groups],
            rotation=50,
            ha="right",
            fontsize=8,
        )
        if k == 0:
            a.set_yticks(range(len(order)), [_short(lab) for lab in order], fontsize=8)
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
    ticks = [f"{_short(lab, 56)}  (n={first[lab].get('support', '?')})" for lab in labs]
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
    rows = [_as_scores(v) for v in df["scores"]]
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
    a1.set_yticks(range(len(labels)), [_short(lab, 40) for lab in labels], fontsize=8)
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
    fig.suptitle(title or f"Score distributions ({len(rows)} {_infer_unit(df)}s)", fontsize=11)
    return fig


# ------------------------------------------------------------------------- evidence
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
        scores = _as_scores(d.get("scores"))
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


# ----------------------------------------------------------------- evaluation results
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
        f1 = 1.0 if not g and not p else 2 * len(g & p) / (len(g) + len(p))
        rows.append({"id": r["id"], "f1": round(f1, 3), "missed": sorted(g - p), "extra": sorted(p - g),
                     "gold": sorted(g), "predicted": sorted(p), "_wrong": -len(g ^ p)})  # fmt: skip
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
