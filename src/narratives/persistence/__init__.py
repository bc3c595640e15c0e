"""Persistence: safe model directories (skops + manifest), local or on the Hugging Face Hub."""

from ._hub import download_model, is_hub_spec, parse_hub_spec, push_model
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
    "download_model",
    "is_hub_spec",
    "load_pipeline",
    "parse_hub_spec",
    "push_model",
    "read_manifest",
    "save_pipeline",
]
