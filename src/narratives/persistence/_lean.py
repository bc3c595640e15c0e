"""Loading a model for tagging without scikit-learn or skops (issue 15).

:func:`load_lean` makes every check :func:`~narratives.persistence.load_pipeline` makes
(manifest, scikit-learn version, hash, declared size, the types in the file, the pipeline's
shape, parameters and taxonomy), reads the pipeline file with the restricted reader
(:mod:`narratives.persistence._skops_reader`) and builds the lean twins of the saved classes
(:mod:`narratives.model._lean`): the same saved state, the same decision code, no scikit-learn.
A model it cannot serve that way (another type in the file, a setting the twins do not
compute, or anything the full load would refuse) raises :class:`NeedsFullLoad`: the caller then
loads it with scikit-learn (and skops when needed), which reports any problem as before.
"""

from __future__ import annotations

import importlib.metadata
from pathlib import Path
from typing import Any

from .._exceptions import ModelError
from ..features._transform import LeanFeatures, LeanTfidf, LeanVectorizer
from ..model._lean import LeanClassifier, LeanLinear, LeanPipeline
from ..preprocessing._segmenter import LeanPreprocessor
from ._files import check_files, check_params, check_sklearn_version, check_taxonomy, read_manifest
from ._skops_reader import SkopsContentError, read_skops

__all__ = ["LEAN_TYPES", "NeedsFullLoad", "load_lean"]

#: The classes a narratives model file may hold, each with the lean twin that reads its state.
LEAN_TYPES: dict[str, type] = {
    "narratives.model._pipeline.NarrativePipeline": LeanPipeline,
    "narratives.preprocessing._preprocessor.Preprocessor": LeanPreprocessor,
    "narratives.features._features.NarrativeFeatures": LeanFeatures,
    "narratives.model._classifier.NarrativeClassifier": LeanClassifier,
    "sklearn.feature_extraction.text.TfidfVectorizer": LeanVectorizer,
    "sklearn.feature_extraction.text.TfidfTransformer": LeanTfidf,
    "sklearn.linear_model._logistic.LogisticRegression": LeanLinear,
}


class NeedsFullLoad(Exception):
    """The model cannot be tagged by the lean twins: load it with scikit-learn."""


def load_lean(path: str | Path) -> tuple[LeanPipeline, dict[str, Any]]:
    """``(lean pipeline, manifest)`` of a model directory, or :class:`NeedsFullLoad`.

    Raises the model errors of :func:`~narratives.persistence.read_manifest`, of the file
    checks (version, hash, size) and of the reader's memory bounds itself, as the full load
    would (a file breaking a bound is never read again).
    """
    path = Path(path)
    manifest = read_manifest(path)
    try:
        have = importlib.metadata.version("scikit-learn")
    except importlib.metadata.PackageNotFoundError:
        raise NeedsFullLoad("scikit-learn's version is unknown") from None
    check_sklearn_version(path, manifest, have)
    ppath = check_files(path, manifest)
    try:
        pipeline = read_skops(ppath, LEAN_TYPES.get)
    except SkopsContentError as exc:
        raise NeedsFullLoad(str(exc)) from None
    try:
        ok = isinstance(pipeline, LeanPipeline) and pipeline.supported()
        if ok:
            check_params(_params(pipeline), path)
            check_taxonomy(pipeline, path)
    except (
        ModelError,
        AttributeError,
        TypeError,
        ValueError,
    ) as exc:  # for the full load to report
        raise NeedsFullLoad(f"{type(exc).__name__}: {exc}"[:200]) from None
    if not ok:
        raise NeedsFullLoad("not a pipeline the lean twins tag")
    return pipeline, manifest


def _params(pipeline: LeanPipeline) -> list[tuple[str, Any]]:
    """The parameters the full load checks (``get_params(deep=True)``'s spaCy pipeline and
    taxonomies), from the steps' saved state; a step without one refers the model to it."""
    out = []
    for name, step in pipeline.steps:
        for key in ("spacy_model", "taxonomy") if name == "preprocess" else ("taxonomy",):
            if key not in step.__dict__:
                raise NeedsFullLoad(f"{name} has no {key}")
            out.append((f"{name}__{key}", step.__dict__[key]))
    return out
