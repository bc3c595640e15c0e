"""Top-level functions: load, train, evaluate."""

from __future__ import annotations

import contextlib
import logging
import os
from importlib import resources
from pathlib import Path
from typing import Any

from ._exceptions import InputError, ModelNotFoundError
from ._model import NarrativeModel
from ._taxonomy import Taxonomy
from .io import as_labelled
from .persistence import download_model, is_hub_spec

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

    ``path`` may name a model on the Hugging Face Hub: ``"hf://owner/name"`` or
    ``"hf://owner/name@revision"`` (a branch, tag or commit; needs ``pip install
    'narratives[hub]'``). It is downloaded into huggingface_hub's cache (``HF_HUB_CACHE``; with
    ``HF_HUB_OFFLINE=1`` only the cache is used) and loaded from there with the same checks as a
    local directory (trusted types, manifest hash).

    Examples
    --------
    >>> import narratives
    >>> narratives.load().taxonomy.name
    'narratives-default'
    """
    if path is not None and not isinstance(path, (str, os.PathLike)):
        raise InputError(f"load() takes the path of a model directory, not {type(path).__name__}")
    if path is not None and is_hub_spec(path):
        path = download_model(path)
    return NarrativeModel.load(default_model_path() if path is None else path)


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
    progress: bool | None = None,
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
        What one training text is. ``auto``: documents when the median text is longer than a passage
        can be (``max_passage_chars`` of the preprocessor, 1,000 characters by default).
        Document-level models tune their decision rule for per-document F1 (SemEval's metric);
        passage-level models tune each label's threshold for its own F1.
    params : dict
        ``step__param`` overrides for :func:`narratives.make_pipeline`.
    progress : bool, optional
        Progress bars (``tqdm.auto``) over the texts preprocessed, then over the label models
        fitted (with an estimate of the time left). Default: shown in an interactive session
        (Jupyter, a terminal), not in scripts whose output goes to a file.
    """
    from .model import fit_pipeline  # scikit-learn: loading a model to tag does without it

    ld = as_labelled(data, fmt, text_column, id_column)
    pipe, manifest = fit_pipeline(
        ld, taxonomy, seed=seed, unit=unit, params=params, name=name, progress=progress
    )
    return NarrativeModel(pipe, manifest)
