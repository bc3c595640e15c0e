"""The files of a model directory: the manifest, the pipeline file's hash and declared size,
and the checks every load makes, with scikit-learn (``_persist``) or without (``_lean``).

Nothing here imports scikit-learn or skops.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import zipfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from .._exceptions import (
    InputError,
    ModelIntegrityError,
    ModelNotFoundError,
    ModelVersionError,
    UntrustedModelError,
)
from .._version import __version__

__all__ = [
    "FORMAT_VERSION",
    "MANIFEST_FILE",
    "PIPELINE_FILE",
    "check_files",
    "check_params",
    "check_sklearn_version",
    "check_taxonomy",
    "read_manifest",
]

FORMAT_VERSION = "1.0"
PIPELINE_FILE = "pipeline.skops"
MANIFEST_FILE = "manifest.json"


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def read_manifest(path: str | Path) -> dict[str, Any]:
    """Read and check a model directory's manifest (no pipeline loading)."""
    path = Path(path)
    if not path.exists():
        raise ModelNotFoundError(f"model directory not found: {path}")
    if not path.is_dir():
        raise ModelNotFoundError(f"model path is not a directory: {path}")
    mpath = path / MANIFEST_FILE
    if not mpath.is_file():
        raise ModelIntegrityError(f"{path} is not a narratives model: {MANIFEST_FILE} is missing")
    if mpath.stat().st_size > MAX_MANIFEST_BYTES:
        raise ModelIntegrityError(
            f"corrupt manifest in {path}: {MANIFEST_FILE} is larger than {MAX_MANIFEST_BYTES} bytes"
        )
    try:
        manifest = json.loads(mpath.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ModelIntegrityError(f"corrupt manifest in {path}: {exc}") from None
    except RecursionError:  # nested thousands of levels deep
        raise ModelIntegrityError(f"corrupt manifest in {path}: nested too deeply") from None
    if not isinstance(manifest, dict) or "format_version" not in manifest:
        raise ModelIntegrityError(f"corrupt manifest in {path}: no format_version")
    fmt = str(manifest["format_version"])
    if fmt.split(".")[0] != FORMAT_VERSION.split(".")[0]:
        raise ModelVersionError(
            f"model {path} has format {fmt}; this narratives {__version__} reads format "
            f"{FORMAT_VERSION}: retrain the model or use a matching narratives version"
        )
    for key in _DICT_FIELDS:
        if key in manifest and not isinstance(manifest[key], dict):
            raise ModelIntegrityError(
                f"corrupt manifest in {path}: {key!r} is a {type(manifest[key]).__name__}, not an object"
            )
    for key in ("files", "library_versions"):
        bad = [k for k, v in manifest.get(key, {}).items() if not isinstance(v, str)]
        if bad:
            raise ModelIntegrityError(
                f"corrupt manifest in {path}: {key}[{bad[0]!r}] is not a string"
            )
    for key in _STR_FIELDS:
        if manifest.get(key) is not None and not isinstance(manifest[key], str):
            raise ModelIntegrityError(
                f"corrupt manifest in {path}: {key!r} is a {type(manifest[key]).__name__}, not a string"
            )
    return manifest


#: Manifest fields that must be strings when present (the model card and ``info`` show them).
_STR_FIELDS = ("name", "description", "created", "taxonomy_hash")

#: A manifest is a few tens of kB; anything this large is not one.
MAX_MANIFEST_BYTES = 64 << 20

#: Default limit on the uncompressed size of ``pipeline.skops`` (the default model: about 28 MB).
DEFAULT_MAX_MODEL_BYTES = 1 << 30


def max_model_bytes() -> int:
    """The largest uncompressed ``pipeline.skops`` that is read: ``$NARRATIVES_MAX_MODEL_BYTES``
    (bytes) or 1 GiB."""
    raw = os.environ.get("NARRATIVES_MAX_MODEL_BYTES", "").strip()
    try:
        return int(raw) if raw else DEFAULT_MAX_MODEL_BYTES
    except ValueError:
        raise InputError(
            f"NARRATIVES_MAX_MODEL_BYTES must be a number of bytes, not {raw!r}"
        ) from None


def _check_declared_size(ppath: Path, path: Path) -> None:
    """Refuse a compression bomb before anything is decompressed: the sizes the zip declares
    bound what reading it can produce (``zipfile`` stops at the declared size and checks the CRC)."""
    limit = max_model_bytes()
    try:
        with zipfile.ZipFile(ppath) as zf:
            declared = sum(max(info.file_size, 0) for info in zf.infolist())
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise ModelIntegrityError(
            f"model {path}: {PIPELINE_FILE} is not a valid skops file ({type(exc).__name__})"
        ) from None
    if declared > limit:
        raise ModelIntegrityError(
            f"model {path}: {PIPELINE_FILE} declares {declared:,} bytes uncompressed, more than the "
            f"limit of {limit:,} (set NARRATIVES_MAX_MODEL_BYTES to allow larger models)"
        )


#: Manifest fields that must be JSON objects when present (a hostile manifest must not crash us).
_DICT_FIELDS = (
    "files",
    "library_versions",
    "training_data",
    "training_metrics",
    "thresholds",
    "taxonomy",
    "params",
)


def _minor(v: str) -> tuple[str, ...]:
    return tuple(v.split(".")[:2])


def check_sklearn_version(path: Path, manifest: dict[str, Any], have: str) -> None:
    """A model is read only by the scikit-learn minor version it was trained with."""
    saved = manifest.get("library_versions", {})
    if "scikit-learn" in saved and _minor(saved["scikit-learn"]) != _minor(have):
        raise ModelVersionError(
            f"model {path} was trained with scikit-learn {saved['scikit-learn']}, this environment "
            f"has {have}: install scikit-learn=={saved['scikit-learn']} or retrain"
        )


def check_files(path: Path, manifest: dict[str, Any]) -> Path:
    """The pipeline file, present, matching its manifest hash and not declaring more bytes than
    the limit."""
    ppath = path / PIPELINE_FILE
    if not ppath.is_file():
        raise ModelIntegrityError(f"model {path} is incomplete: {PIPELINE_FILE} is missing")
    expected = manifest.get("files", {}).get(PIPELINE_FILE)
    if expected != _sha256(ppath):
        raise ModelIntegrityError(
            f"model {path} is corrupt: {PIPELINE_FILE} does not match its manifest hash"
        )
    _check_declared_size(ppath, path)
    return ppath


#: What a model may name as its spaCy pipeline: ``blank:<lang>`` or an installed package's name,
#: never a path (a path could point into the model directory itself).
_SPACY_NAME = re.compile(r"^(?:blank:[A-Za-z_-]{2,12}|[A-Za-z][A-Za-z0-9_]{0,99})$")


def check_params(params: Iterable[tuple[str, Any]], path: Path) -> None:
    """A model's parameters load nothing from paths: its spaCy pipeline is ``blank:<lang>`` or
    an installed package's name, its taxonomy is the taxonomy itself."""
    for key, value in params:
        if key.endswith("spacy_model") and not (
            isinstance(value, str) and _SPACY_NAME.match(value)
        ):
            raise UntrustedModelError(
                f"model {path} asks for the spaCy pipeline {str(value)[:80]!r}; a model may only name "
                "'blank:<lang>' or an installed spaCy package, not a path"
            )
        if key.endswith("taxonomy") and not (value is None or isinstance(value, dict)):
            raise UntrustedModelError(
                f"model {path}: {key} is a {type(value).__name__}, not the taxonomy itself; a model "
                "directory must be self-contained (a path would be read relative to where it is used)"
            )


def check_taxonomy(pipeline: Any, path: Path) -> None:
    """The pipeline's taxonomy builds (a broken taxonomy is a model error at load, not later)."""
    try:
        pipeline.taxonomy  # noqa: B018 (builds it: a broken taxonomy is a model error now, not later)
    except Exception as exc:
        raise ModelIntegrityError(
            f"model {path}: its taxonomy is unusable ({type(exc).__name__}: {exc})".splitlines()[0]
        ) from None
