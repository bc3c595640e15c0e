"""Persistence: safe model directories (skops + manifest)."""

from ._persist import (
    FORMAT_VERSION,
    TRUSTED_TYPES,
    check_model_path,
    load_pipeline,
    read_manifest,
    save_pipeline,
)

__all__ = [
    "FORMAT_VERSION",
    "TRUSTED_TYPES",
    "check_model_path",
    "load_pipeline",
    "read_manifest",
    "save_pipeline",
]
