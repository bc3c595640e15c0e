"""Model directories: a skops-serialised pipeline plus a JSON manifest.

Loading never executes code from the directory: only the types on :data:`TRUSTED_TYPES` (plus
skops' own defaults: numpy, scipy, standard sklearn estimators) may appear in the pipeline file.
It is read by :mod:`narratives.persistence._skops_reader`, which makes only the classes of
:data:`READABLE_TYPES` (a subset), or else by ``skops.io`` with the allow-list. The manifest's
SHA-256 of the pipeline file detects corruption; it is not a signature (anyone can rewrite both),
which is why the type allow-lists are what keep loading safe.
"""

from __future__ import annotations

import datetime as _dt
import importlib
import json
import logging
import os
import platform
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

from .._exceptions import InputError, ModelIntegrityError, UntrustedModelError
from .._internal.jsonable import json_default
from .._version import __version__
from ..features import NarrativeFeatures
from ..model import NarrativeClassifier, NarrativePipeline
from ..model._lean import FITTED, STEPS, has_steps
from ..preprocessing import Preprocessor
from ._files import (
    FORMAT_VERSION,
    MANIFEST_FILE,
    PIPELINE_FILE,
    _sha256,
    check_files,
    check_params,
    check_sklearn_version,
    check_taxonomy,
    read_manifest,
)
from ._skops_reader import SkopsContentError, read_skops

__all__ = [
    "FORMAT_VERSION",
    "TRUSTED_TYPES",
    "check_model_path",
    "load_pipeline",
    "read_manifest",
    "save_pipeline",
]

log = logging.getLogger(__name__)

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


def load_pipeline(path: str | Path) -> tuple[Any, dict[str, Any]]:
    """Load ``(pipeline, manifest)`` from a model directory, refusing anything unsafe or broken.

    The file is read by :mod:`narratives.persistence._skops_reader` when it holds only the types
    that reader knows (every model narratives saves), else by skops with the type allow-list:
    skops is imported only for such files.
    """
    path = Path(path)
    manifest = read_manifest(path)
    check_sklearn_version(path, manifest, sklearn.__version__)
    ppath = check_files(path, manifest)
    try:
        pipeline, with_skops = read_skops(ppath, _readable_class), False
    except SkopsContentError:
        with_skops = True  # after this block, which frees what the reader made
    if with_skops:
        pipeline = _load_with_skops(ppath, path)
    _check_pipeline(pipeline, path)
    return pipeline, manifest


#: The classes the skops-free reader makes (as skops makes them): the narratives classes and
#: the scikit-learn classes of skops' own defaults that narratives models hold. Not the
#: calibration classes of TRUSTED_TYPES: only a CalibratedClassifierCV holds them, which this
#: reader refuses (before reading its state), so such a model is loaded by skops.
READABLE_TYPES = frozenset(
    (
        *(t for t in TRUSTED_TYPES if t.startswith("narratives.")),
        "sklearn.feature_extraction.text.TfidfTransformer",
        "sklearn.feature_extraction.text.TfidfVectorizer",
        "sklearn.linear_model._logistic.LogisticRegression",
    )
)


def _readable_class(path: str) -> type | None:
    """The class the reader makes for the saved class path ``path``, if it is allowed."""
    if path not in READABLE_TYPES:
        return None
    module, _, name = path.rpartition(".")
    return getattr(importlib.import_module(module), name)


def _load_with_skops(ppath: Path, path: Path) -> Any:
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
        return sio.load(ppath, trusted=sorted(untrusted))
    except Exception as exc:
        raise ModelIntegrityError(
            f"model {path}: cannot load {PIPELINE_FILE} ({type(exc).__name__}: {exc})".splitlines()[
                0
            ]
        ) from None


def _check_pipeline(pipeline: Any, path: Path) -> None:
    """The loaded object must be a narratives pipeline whose parameters load nothing from paths."""
    if not isinstance(pipeline, NarrativePipeline):
        raise ModelIntegrityError(
            f"model {path}: {PIPELINE_FILE} holds a {type(pipeline).__name__}, not a narratives pipeline"
        )
    _check_steps(pipeline, path)
    check_params(pipeline.get_params(deep=True).items(), path)
    check_taxonomy(pipeline, path)


def _check_steps(pipeline: Any, path: Path) -> None:
    if not has_steps(pipeline, (Preprocessor, NarrativeFeatures, NarrativeClassifier)):
        raise ModelIntegrityError(f"model {path}: the pipeline's steps are not {', '.join(STEPS)}")
    missing = [a for a in FITTED if a not in pipeline.__dict__["steps"][-1][1].__dict__]
    if missing:
        raise ModelIntegrityError(
            f"model {path}: the classifier is not fitted (it has no {missing[0]})"
        )
