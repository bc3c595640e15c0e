"""Persistence: safe model directories (skops + manifest), local or on the Hugging Face Hub.

What needs scikit-learn or skops (loading with the estimators, saving) is imported on first use;
reading a manifest, downloading from the hub and the lean load that tagging uses
(:mod:`narratives.persistence._lean`) are not.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._internal.lazy import lazy_names
from ._files import FORMAT_VERSION, read_manifest
from ._hub import download_model, is_hub_spec, parse_hub_spec, push_model

if TYPE_CHECKING:
    from ._persist import TRUSTED_TYPES, check_model_path, load_pipeline, save_pipeline

__all__ = [
    "FORMAT_VERSION",
    "TRUSTED_TYPES",
    "check_model_path",
    "download_model",
    "is_hub_spec",
    "load_pipeline",
    "parse_hub_spec",
    "push_model",
    "read_manifest",
    "save_pipeline",
]

__getattr__, __dir__ = lazy_names(
    __name__,
    dict.fromkeys(
        ("TRUSTED_TYPES", "check_model_path", "load_pipeline", "save_pipeline"), "._persist"
    ),
    __all__,
)
