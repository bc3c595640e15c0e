"""Helpers for the tests that rewrite a saved model's pipeline file (tampered or hand-made)."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

from narratives.persistence._files import MANIFEST_FILE, PIPELINE_FILE, _sha256


def rehash(model_dir: Path) -> None:
    """Make the manifest's hash match the pipeline file again, so that only the loader's own
    checks stand between a rewritten file and the model."""
    m = json.loads((model_dir / MANIFEST_FILE).read_text())
    m["files"][PIPELINE_FILE] = _sha256(model_dir / PIPELINE_FILE)
    (model_dir / MANIFEST_FILE).write_text(json.dumps(m))


def read_members(path: Path) -> dict[str, bytes]:
    """The members of a zip (a ``pipeline.skops``), by name, in order."""
    with zipfile.ZipFile(path) as zf:
        return {info.filename: zf.read(info) for info in zf.infolist()}


def write_pipeline(model_dir: Path, members: dict[str, bytes]) -> None:
    """Replace the model's pipeline file with ``members`` and rehash it."""
    with zipfile.ZipFile(model_dir / PIPELINE_FILE, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    rehash(model_dir)
