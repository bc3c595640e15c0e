"""Top-level functions: load, train, evaluate."""

from __future__ import annotations

import contextlib
import logging
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ._exceptions import InputError, ModelNotFoundError
from ._model import NarrativeModel
from ._taxonomy import Taxonomy
from .io import LabelledData, read_labelled
from .model import make_pipeline
from .preprocessing import near_duplicate_groups, text_hash

__all__ = ["default_model_path", "load", "train"]

log = logging.getLogger(__name__)


def default_model_path() -> Path:
    """Where the embedded default model lives (repository checkout or installed wheel)."""
    here = Path(__file__).resolve()
    candidates = [here.parents[2] / "models" / "default"]
    with contextlib.suppress(ModuleNotFoundError, TypeError):
        candidates.append(Path(str(resources.files("narratives").joinpath("_default_model"))))
    for c in candidates:
        if (c / "manifest.json").is_file():
            return c
    raise ModelNotFoundError(
        "the embedded default model is missing (expected models/default/); rebuild it with `make model`"
    )


def load(path: str | Path | None = None) -> NarrativeModel:
    """Load a model directory; without a path, the embedded default model.

    Examples
    --------
    >>> import narratives
    >>> narratives.load().taxonomy.name
    'narratives-default'
    """
    return NarrativeModel.load(default_model_path() if path is None else path)


def _as_labelled(data: Any, fmt: str, text_column: str, id_column: str | None) -> LabelledData:
    if isinstance(data, LabelledData):
        return data
    if isinstance(data, pd.DataFrame):
        if text_column not in data.columns or "frames" not in data.columns:
            raise InputError(f"training DataFrame needs {text_column!r} and 'frames' columns")
        df = data.rename(columns={text_column: "text"}).copy()
        if "id" not in df.columns:
            df["id"] = [str(i) for i in range(len(df))]
        if "stance" not in df.columns:
            df["stance"] = None
        return LabelledData(df, None, [], "DataFrame")
    return read_labelled(data, fmt=fmt, text_column=text_column, id_column=id_column)


def train(
    data: Any,
    taxonomy: Taxonomy | str | Path | None = None,
    fmt: str = "auto",
    text_column: str = "text",
    id_column: str | None = None,
    seed: int = 0,
    unit: str = "auto",
    params: dict[str, Any] | None = None,
    name: str | None = None,
) -> NarrativeModel:
    """Train the narratives pipeline on labelled data.

    Parameters
    ----------
    data : path, DataFrame or LabelledData
        JSONL/CSV/Parquet with ``text`` and ``frames`` (optional ``stance``), or a SemEval folder.
    taxonomy : Taxonomy, path or None
        ``None``: the SemEval hierarchy for SemEval data, else the bundled taxonomy.
    seed : int
        Seeds every random choice (folds, solvers); the same data and seed give the same model.
    unit : {"auto", "passage", "document"}
        What one training text is. ``auto``: documents when the median text exceeds 1,500 characters.
        Document-level models tune their decision rule for per-document F1 (SemEval's metric);
        passage-level models tune each label's threshold for its own F1.
    params : dict
        ``step__param`` overrides for :func:`narratives.make_pipeline`.
    """
    ld = _as_labelled(data, fmt, text_column, id_column)
    df = ld.frame
    if not len(df):
        raise InputError("no usable training rows")
    if isinstance(taxonomy, (str, Path)):
        taxonomy = Taxonomy.load(taxonomy)
    tax = taxonomy or ld.taxonomy or Taxonomy.default()
    texts = df["text"].tolist()
    if unit == "auto":
        unit = "document" if float(np.median([len(t) for t in texts])) > 1500 else "passage"
    groups = near_duplicate_groups(texts)
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
    log.info(
        "training on %d texts (%d near-duplicate groups), unit=%s",
        len(texts),
        len(set(groups)),
        unit,
    )
    pipe.fit(texts, df["frames"].tolist(), stance=stance, groups=groups)
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
        },
        "params": {
            k: repr(v)
            for k, v in pipe.get_params(deep=True).items()
            if "__" in k and "taxonomy" not in k
        },
    }
    return NarrativeModel(pipe, manifest)
