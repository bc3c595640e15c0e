"""Model directories: a skops-serialised pipeline plus a JSON manifest.

Loading never executes code from the directory: the pipeline is read with ``skops.io`` and only the
types on :data:`TRUSTED_TYPES` (plus skops' own defaults: numpy, scipy, standard sklearn estimators)
may appear in it. The manifest's SHA-256 of the pipeline file detects corruption; it is not a
signature (anyone can rewrite both), which is why the type allow-list is what keeps loading safe.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import logging
import os
import platform
import re
import shutil
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import scipy
import sklearn
import skops
import skops.io as sio
import spacy

from .._exceptions import (
    InputError,
    ModelIntegrityError,
    ModelNotFoundError,
    ModelVersionError,
    UntrustedModelError,
)
from .._internal.jsonable import json_default
from .._version import __version__
from ..features import NarrativeFeatures
from ..model import NarrativeClassifier, NarrativePipeline
from ..preprocessing import Preprocessor

__all__ = [
    "FORMAT_VERSION",
    "TRUSTED_TYPES",
    "check_model_path",
    "load_pipeline",
    "read_manifest",
    "save_pipeline",
]

log = logging.getLogger(__name__)

FORMAT_VERSION = "1.0"
PIPELINE_FILE = "pipeline.skops"
MANIFEST_FILE = "manifest.json"

#: Types beyond skops' defaults that a narratives model may contain. Nothing else is loaded.
TRUSTED_TYPES: tuple[str, ...] = (
    "narratives.features._features.NarrativeFeatures",
    "narratives.model._classifier.NarrativeClassifier",
    "narratives.model._pipeline.NarrativePipeline",
    "narratives.preprocessing._preprocessor.Preprocessor",
    "sklearn.calibration._CalibratedClassifier",
    "sklearn.calibration._SigmoidCalibration",
    "sklearn.isotonic.IsotonicRegression",
    "sklearn.model_selection._split.StratifiedKFold",
    "sklearn.model_selection._split.KFold",
)


def library_versions() -> dict[str, str]:
    return {
        "narratives": __version__,
        "scikit-learn": sklearn.__version__,
        "spacy": spacy.__version__,
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "skops": skops.__version__,
        "python": platform.python_version(),
    }


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _store_incompressible(path: Path, min_saving: float = 0.2) -> None:
    """Rewrite a skops zip so that members deflate saves less than ``min_saving`` of are stored
    uncompressed. The fitted coefficient arrays hardly compress (about 15%), and inflating them
    was most of a model's load time; term lists and the schema still compress tenfold."""
    out = path.with_name(path.name + ".tmp")
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            new = zipfile.ZipInfo(info.filename, date_time=info.date_time)
            new.external_attr = info.external_attr
            saving = 1 - info.compress_size / info.file_size if info.file_size else 0.0
            new.compress_type = zipfile.ZIP_DEFLATED if saving >= min_saving else zipfile.ZIP_STORED
            dst.writestr(new, src.read(info))
    os.replace(out, path)


def save_pipeline(
    pipeline: Any,
    path: str | Path,
    manifest: dict[str, Any],
    extra_files: dict[str, str] | None = None,
) -> Path:
    """Write ``pipeline`` and ``manifest`` to the directory ``path`` atomically.

    The directory is assembled next to its final place and renamed into it, so an interrupted save
    never leaves a half-written model under the final name.
    """
    path = check_model_path(path)
    parent = path.parent if str(path.parent) else Path(".")
    parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", dir=parent))
    os.chmod(tmp, 0o755)  # mkdtemp makes it private; a model directory is meant to be shared
    try:
        sio.dump(pipeline, tmp / PIPELINE_FILE, compression=zipfile.ZIP_DEFLATED)
        _store_incompressible(tmp / PIPELINE_FILE)
        untrusted = set(sio.get_untrusted_types(file=tmp / PIPELINE_FILE))
        unexpected = sorted(untrusted - set(TRUSTED_TYPES))
        if unexpected:
            raise UntrustedModelError(
                f"refusing to save a pipeline with types outside the trusted list: {', '.join(unexpected)}"
            )
        full = {
            "format_version": FORMAT_VERSION,
            "created": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
            "library_versions": library_versions(),
            **manifest,
            "files": {PIPELINE_FILE: _sha256(tmp / PIPELINE_FILE)},
        }
        for name, text in (extra_files or {}).items():
            (tmp / name).write_text(text, encoding="utf-8")
        (tmp / MANIFEST_FILE).write_text(
            json.dumps(full, indent=2, ensure_ascii=False, default=json_default), encoding="utf-8"
        )
        if path.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{path.name}.old.", dir=parent))
            os.replace(path, old / path.name)
            os.replace(tmp, path)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, path)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return path


def check_model_path(path: str | Path) -> Path:
    """Fail early (before training) when ``path`` cannot become a model directory.

    An existing directory is only ever replaced when it is empty or already a narratives model:
    saving never deletes a folder of other files.
    """
    path = Path(path)
    if path.exists():
        if not path.is_dir():
            raise InputError(f"cannot save a model to {path}: it exists and is not a folder")
        if not (path / MANIFEST_FILE).is_file() and any(path.iterdir()):
            raise InputError(
                f"refusing to save a model into {path}: the folder is not empty and is not a narratives "
                "model (choose a new or empty folder)"
            )
    ancestor = path.parent if str(path.parent) else Path(".")
    while not ancestor.exists() and ancestor != ancestor.parent:
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise InputError(f"cannot save a model under {ancestor}: it is not a folder")
    try:
        with tempfile.TemporaryFile(dir=ancestor):
            pass
    except OSError:
        raise InputError(
            f"cannot save a model under {ancestor}: the folder is not writable"
        ) from None
    return path


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


def load_pipeline(path: str | Path) -> tuple[Any, dict[str, Any]]:
    """Load ``(pipeline, manifest)`` from a model directory, refusing anything unsafe or broken."""
    path = Path(path)
    manifest = read_manifest(path)
    saved = manifest.get("library_versions", {})
    have = library_versions()
    if "scikit-learn" in saved and _minor(saved["scikit-learn"]) != _minor(have["scikit-learn"]):
        raise ModelVersionError(
            f"model {path} was trained with scikit-learn {saved['scikit-learn']}, this environment "
            f"has {have['scikit-learn']}: install scikit-learn=={saved['scikit-learn']} or retrain"
        )
    ppath = path / PIPELINE_FILE
    if not ppath.is_file():
        raise ModelIntegrityError(f"model {path} is incomplete: {PIPELINE_FILE} is missing")
    expected = manifest.get("files", {}).get(PIPELINE_FILE)
    if expected != _sha256(ppath):
        raise ModelIntegrityError(
            f"model {path} is corrupt: {PIPELINE_FILE} does not match its manifest hash"
        )
    _check_declared_size(ppath, path)
    try:
        untrusted = set(sio.get_untrusted_types(file=ppath))
    except Exception as exc:  # not a zip, bad schema...
        raise ModelIntegrityError(
            f"model {path}: {PIPELINE_FILE} is not a valid skops file ({type(exc).__name__})"
        ) from None
    unexpected = sorted(untrusted - set(TRUSTED_TYPES))
    if unexpected:
        raise UntrustedModelError(
            f"model {path} contains types outside the trusted list, refusing to load: {', '.join(unexpected[:5])}"
        )
    try:
        pipeline = sio.load(ppath, trusted=sorted(untrusted))
    except Exception as exc:
        raise ModelIntegrityError(
            f"model {path}: cannot load {PIPELINE_FILE} ({type(exc).__name__}: {exc})".splitlines()[
                0
            ]
        ) from None
    _check_pipeline(pipeline, path)
    return pipeline, manifest


#: What a model may name as its spaCy pipeline: ``blank:<lang>`` or an installed package's name,
#: never a path (a path could point into the model directory itself).
_SPACY_NAME = re.compile(r"^(?:blank:[A-Za-z_-]{2,12}|[A-Za-z][A-Za-z0-9_]{0,99})$")


def _check_pipeline(pipeline: Any, path: Path) -> None:
    """The loaded object must be a narratives pipeline whose parameters load nothing from paths."""
    if not isinstance(pipeline, NarrativePipeline):
        raise ModelIntegrityError(
            f"model {path}: {PIPELINE_FILE} holds a {type(pipeline).__name__}, not a narratives pipeline"
        )
    _check_steps(pipeline, path)
    for key, value in pipeline.get_params(deep=True).items():
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
    try:
        pipeline.taxonomy  # noqa: B018 (builds it: a broken taxonomy is a model error now, not later)
    except Exception as exc:
        raise ModelIntegrityError(
            f"model {path}: its taxonomy is unusable ({type(exc).__name__}: {exc})".splitlines()[0]
        ) from None


#: The steps of a narratives pipeline, and what the fitted classifier must hold.
_STEPS = (
    ("preprocess", Preprocessor),
    ("features", NarrativeFeatures),
    ("classifier", NarrativeClassifier),
)
_FITTED = (
    "fine_labels_",
    "coarse_labels_",
    "none_label_",
    "parents_",
    "thresholds_",
    "support_",
    "n_features_in_",
)


def _check_steps(pipeline: Any, path: Path) -> None:
    steps = pipeline.__dict__.get("steps")
    ok = isinstance(steps, list) and len(steps) == len(_STEPS)
    ok = ok and all(
        isinstance(s, tuple) and len(s) == 2 and s[0] == name and isinstance(s[1], kind)
        for s, (name, kind) in zip(steps, _STEPS, strict=True)
    )
    if not ok:
        raise ModelIntegrityError(
            f"model {path}: the pipeline's steps are not {', '.join(n for n, _ in _STEPS)}"
        )
    missing = [a for a in _FITTED if a not in steps[-1][1].__dict__]
    if missing:
        raise ModelIntegrityError(
            f"model {path}: the classifier is not fitted (it has no {missing[0]})"
        )
