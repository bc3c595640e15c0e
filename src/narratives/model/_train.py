"""Training: fit the pipeline on labelled data and describe the run in a manifest."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np

from .._exceptions import InputError
from .._internal.progress import bar
from .._taxonomy import Taxonomy
from ..io import LabelledData
from ..preprocessing import Preprocessor, near_duplicate_groups, text_hash
from ._pipeline import NarrativePipeline, make_pipeline

__all__ = ["auto_unit", "fit_pipeline"]

log = logging.getLogger(__name__)

#: Texts preprocessed at a time while training (one step of the progress bar).
PREPROCESS_CHUNK = 256


def _where(df: Any, i: int) -> str:
    """A training row as the user can find it: its line or row number and id."""
    row = df["row"].iloc[i] if "row" in df.columns else None
    place = f"row {row}" if row is not None and row == row else f"row {i + 1}"
    return f"{place}, id {df['id'].iloc[i]!r}" if "id" in df.columns else place


def _check_labels(df: Any, tax: Taxonomy | dict) -> None:
    """Labels outside the taxonomy are an error that names the first row carrying one (the
    classifier's own check cannot: it sees no ids)."""
    if isinstance(tax, dict):  # a taxonomy given as its mapping
        tax = Taxonomy.from_dict(tax)
    known = {*tax.fine_labels, tax.none_label, ""}
    bad = [
        (i, sorted({str(x) for x in labs} - known))
        for i, labs in enumerate(df["frames"])
        if isinstance(labs, (list, tuple, np.ndarray)) and not {str(x) for x in labs} <= known
    ]
    if bad:
        names = sorted({lab for _, labs in bad for lab in labs})
        raise InputError(
            f"labels not in the taxonomy: {', '.join(names[:8])}"
            + (" ..." if len(names) > 8 else "")
            + f" ({len(bad)} rows; first: {_where(df, bad[0][0])})"
        )


def fit_pipeline(
    ld: LabelledData,
    taxonomy: Taxonomy | str | Path | None = None,
    seed: int = 0,
    unit: str = "auto",
    params: dict[str, Any] | None = None,
    name: str | None = None,
    progress: bool | None = None,
) -> tuple[NarrativePipeline, dict[str, Any]]:
    """Fit :func:`make_pipeline` on labelled data; returns the pipeline and its manifest.

    See :func:`narratives.train` for the parameters (this is its body, below the façade).
    """
    df = ld.frame
    if not len(df):
        raise InputError("no usable training rows")
    if isinstance(taxonomy, (str, Path)):
        taxonomy = Taxonomy.load(taxonomy)
    tax = taxonomy or ld.taxonomy or Taxonomy.default()
    _check_labels(df, tax)
    if ld.rejects:
        shown = "; ".join(
            f"row {r.row}" + (f" (id {r.id!r})" if r.id is not None else "") + f": {r.reason}"
            for r in ld.rejects[:3]
        )
        log.warning(
            "%d input rows rejected, not trained on: %s%s",
            len(ld.rejects),
            shown,
            " ..." if len(ld.rejects) > 3 else "",
        )
    texts = df["text"].tolist()
    if unit == "auto":
        unit = auto_unit(texts, params)
    groups = near_duplicate_groups(texts)
    if "group" in df.columns:
        # Rows from one source document (a page, a day of news) stay in one fold, with their
        # near-duplicates.
        groups = [
            f"n{g}" if (isinstance(src, float) and src != src) or src is None else f"g{src}"
            for g, src in zip(groups, df["group"], strict=True)
        ]
    objective = "samples_f1" if unit == "document" else "label_f1"
    pipe = make_pipeline(
        tax,
        **{
            "classifier__random_state": seed,
            "classifier__threshold_objective": objective,
            **(params or {}),
        },
    )
    stance = df["stance"].tolist() if df["stance"].notna().any() else None
    open_world = (
        df["open_world"].fillna(False).astype(bool).to_numpy()
        if "open_world" in df.columns
        else None
    )
    log.info(
        "training on %d texts (%d near-duplicate groups), unit=%s",
        len(texts),
        len(set(groups)),
        unit,
    )
    _fit(
        pipe,
        texts,
        df["frames"].tolist(),
        progress,
        stance=stance,
        groups=groups,
        open_world=open_world,
    )
    manifest = {
        "name": name or "custom",
        "seed": seed,
        "training_data": {
            "source": ld.source,
            "hash": text_hash(texts),
            "labels_hash": text_hash(";".join(f) for f in df["frames"]),
            "n_texts": len(texts),
            "n_rejected": len(ld.rejects),
            "unit": unit,
            "has_stance": stance is not None,
            "n_open_world": 0 if open_world is None else int(open_world.sum()),
        },
        "params": {
            k: repr(v)
            for k, v in pipe.get_params(deep=True).items()
            if "__" in k and "taxonomy" not in k
        },
    }
    return pipe, manifest


def auto_unit(texts: list[str], params: dict[str, Any] | None = None) -> str:
    """``document`` when the median text is longer than one passage can be (the preprocessor's
    ``max_passage_chars``), else ``passage``. Most such texts are split into several passages,
    and their labels belong to the whole text: a model of whole texts learns them better (SemEval
    Russian, median 1,235 characters: 5-fold CV F1-samples 0.377 / 0.540 as documents against
    0.282 / 0.446 as passages; benchmarks/results/semeval_ideas.md)."""
    cap = (params or {}).get("preprocess__max_passage_chars", Preprocessor().max_passage_chars)
    return "document" if float(np.median([len(t) for t in texts])) > cap else "passage"


def _fit(
    pipe: NarrativePipeline,
    texts: list[str],
    labels: list[Any],
    progress: bool | None,
    **fit_params: Any,
) -> None:
    """``pipe.fit(texts, labels, **fit_params)``, with a progress bar over the texts while
    preprocessing (the first step, fitted here chunk by chunk: its ``transform`` is per text) and
    one over the label models the classifier fits; the other steps go through ``Pipeline.fit``."""
    pre = pipe.steps[0][1]
    with bar(progress, len(texts), "preprocessing", unit="text") as shown:
        pre.fit(texts, labels)
        processed = []
        for start in range(0, len(texts), PREPROCESS_CHUNK):
            chunk = texts[start : start + PREPROCESS_CHUNK]
            processed.extend(pre.transform(chunk))
            shown.update(len(chunk))
    rest = pipe[1:]
    total = expected_label_fits(pipe, len(texts), fit_params.get("groups"))
    with bar(progress, total, "fitting", unit="model", ticks=True):
        rest.fit(processed, labels, **fit_params)
    pipe.steps[1:] = rest.steps  # the same objects, unless the pipeline's memory cloned them


def expected_label_fits(pipe: NarrativePipeline, n_texts: int, groups: Any = None) -> int:
    """How many label models the classifier's ``fit`` fits (its ``_fit_one`` calls): one per
    label (fine, coarse and "no label") for the final model, and one per label in each threshold
    fold when there are folds. ``tests/test_progress.py`` checks the count."""
    tax, clf = pipe.taxonomy, pipe.classifier
    n_labels = len(tax.fine_labels) + len(tax.coarse_labels) + 1
    cv = int(clf.threshold_cv or 0)
    k = cv if groups is None else min(cv, len(set(groups)))
    folds = k if cv > 1 and n_texts >= 2 * cv else 0
    return n_labels * (1 + folds)
