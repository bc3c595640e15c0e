"""Preprocessing: normalisation with offsets, sentences and passages, boilerplate, language, dedup."""

from ._boilerplate import classify_line
from ._dedup import exact_key, minhash, near_duplicate_groups
from ._language import guess_language
from ._normalize import Normalized, normalize
from ._preprocessor import Passage, Preprocessor, Processed, Segmented, text_hash
from ._spacy import build_nlp

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
