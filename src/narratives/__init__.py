"""narratives: tag text with disinformation narrative frames, and tell promoting from reporting.

Public API
----------
load, train, evaluate, make_pipeline, NarrativeModel, NarrativePipeline, Taxonomy and
the exception classes. Stages live in :mod:`narratives.preprocessing`, :mod:`narratives.features`
and :mod:`narratives.model`; I/O in :mod:`narratives.io`; persistence in
:mod:`narratives.persistence`; corpus-scale tagging in :mod:`narratives.engine`; metrics and
reports in :mod:`narratives.evaluation`; the command line in :mod:`narratives.cli`.

The names are imported on first use (module ``__getattr__``): ``import narratives`` and the
command line's start-up (``narratives --help``) do not load spaCy, scikit-learn or pandas.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ._exceptions import (
    InputError,
    ModelError,
    ModelIntegrityError,
    ModelNotFoundError,
    ModelVersionError,
    NarrativesError,
    TaxonomyError,
    UntrustedModelError,
)
from ._version import __version__

if TYPE_CHECKING:  # what the lazy names are, for type checkers and editors
    from . import explore
    from ._api import default_model_path, load, train
    from ._explain import Explanation, highlight
    from ._model import NarrativeModel
    from ._taxonomy import Frame, Taxonomy
    from .evaluation import evaluate
    from .model import NarrativeClassifier, NarrativePipeline, make_pipeline

#: Lazy public names -> the module that defines them (relative to this package).
_LAZY = {
    "explore": ".explore",
    "default_model_path": "._api",
    "load": "._api",
    "train": "._api",
    "Explanation": "._explain",
    "highlight": "._explain",
    "NarrativeModel": "._model",
    "Frame": "._taxonomy",
    "Taxonomy": "._taxonomy",
    "evaluate": ".evaluation",
    "NarrativeClassifier": ".model",
    "NarrativePipeline": ".model",
    "make_pipeline": ".model",
}

__all__ = [
    "Explanation",
    "Frame",
    "InputError",
    "ModelError",
    "ModelIntegrityError",
    "ModelNotFoundError",
    "ModelVersionError",
    "NarrativeClassifier",
    "NarrativeModel",
    "NarrativePipeline",
    "NarrativesError",
    "Taxonomy",
    "TaxonomyError",
    "UntrustedModelError",
    "__version__",
    "default_model_path",
    "evaluate",
    "explore",
    "highlight",
    "load",
    "make_pipeline",
    "train",
]


def __getattr__(name: str) -> Any:
    where = _LAZY.get(name)
    if where is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module = importlib.import_module(where, __name__)
    value = module if name == "explore" else getattr(module, name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
