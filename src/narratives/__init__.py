"""narratives: tag text with disinformation narrative frames, and tell promoting from reporting.

Public API
----------
load, train, evaluate, make_pipeline, NarrativeModel, NarrativePipeline, Taxonomy and
the exception classes. Stages live in :mod:`narratives.preprocessing`, :mod:`narratives.features`
and :mod:`narratives.model`; I/O in :mod:`narratives.io`; persistence in
:mod:`narratives.persistence`; corpus-scale tagging in :mod:`narratives.engine`; metrics and
reports in :mod:`narratives.evaluation`; the command line in :mod:`narratives.cli`.
"""

from . import explore
from ._api import default_model_path, load, train
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
from ._explain import Explanation, highlight
from ._model import NarrativeModel
from ._taxonomy import Frame, Taxonomy
from ._version import __version__
from .evaluation import evaluate
from .model import NarrativeClassifier, NarrativePipeline, make_pipeline

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
