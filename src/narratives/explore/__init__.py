"""Exploring model output in notebooks: prevalence tables, plots and highlighted evidence.

Everything here works on the DataFrames that :meth:`narratives.NarrativeModel.tag` returns (one
row per passage or per document, with ``frames``, ``families``, ``stance``, ``scores``,
``countries`` ...), on the same tables read back from the files ``narratives tag`` writes
(Parquet, JSONL or CSV: list cells may be arrays, JSON strings or ``;``-joined strings), and on
the dicts :func:`narratives.evaluate` returns.

Tables
    :func:`prevalence` (share of passages or documents per frame/family, split by stance and
    by any columns; from :mod:`narratives.engine`, which ``narratives summarize`` uses),
    :func:`tag_frame` (tag a DataFrame and keep its metadata columns), :func:`overview` (an HTML
    summary), :func:`errors_table` and :func:`noise_table` (cross-validation errors and
    label-noise suspects).
Plots (matplotlib; each returns its :class:`~matplotlib.figure.Figure`)
    :func:`plot_prevalence`, :func:`plot_label_f1`, :func:`plot_scores`.
HTML
    :func:`highlight` (text with ``<mark>`` spans; also ``narratives.highlight``),
    :func:`show_evidence` (the evidence for the strongest framed passages).

Layer: the notebook helpers sit above the engine and the evaluation harness (they may use both)
and below the command line; nothing in the library imports them.
"""

from .._highlight import Html, highlight
from .._internal.text import shorten as _short  # noqa: F401 (tests use the old private name)
from ..engine import prevalence
from ._plots import plot_label_f1, plot_prevalence, plot_scores
from ._tables import (
    Overview,
    errors_table,
    noise_table,
    overview,
    show_evidence,
    tag_frame,
    with_thresholds,
)

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
