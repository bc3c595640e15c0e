"""Preprocessing: normalisation with offsets, sentences and passages, boilerplate, language, dedup.

``Preprocessor`` (the scikit-learn estimator) is imported on first use; the records and the
:class:`~narratives.preprocessing._segmenter.Segmenter` that does its work need no scikit-learn.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._internal.lazy import lazy_names
from ._boilerplate import classify_line
from ._dedup import exact_key, minhash, near_duplicate_groups
from ._language import guess_language
from ._normalize import Normalized, normalize
from ._spacy import build_nlp
from ._units import Passage, Processed, Segmented, text_hash

if TYPE_CHECKING:
    from ._preprocessor import Preprocessor

__all__ = [
    "Normalized",
    "Passage",
    "Preprocessor",
    "Processed",
    "Segmented",
    "build_nlp",
    "classify_line",
    "exact_key",
    "guess_language",
    "minhash",
    "near_duplicate_groups",
    "normalize",
    "text_hash",
]

__getattr__, __dir__ = lazy_names(__name__, {"Preprocessor": "._preprocessor"}, __all__)
