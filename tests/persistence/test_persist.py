import json
import pickle
import shutil

import numpy as np
import pytest

import narratives
from narratives import ModelIntegrityError, ModelNotFoundError, ModelVersionError
from narratives.persistence._persist import _sha256


def test_save_load_identical_predictions(tiny_model, tiny_model_dir, tiny_df):
    loaded = narratives.load(tiny_model_dir)
    texts = tiny_df["text"].tolist()
    a = tiny_model.pipeline.decide(texts)
    b = loaded.pipeline.decide(texts)
    np.testing.assert_array_equal(a["proba_fine"], b["proba_fine"])
    assert a["frames"] == b["frames"] and a["stance"] == b["stance"]


def test_manifest_contents(tiny_model_dir):
    m = json.loads((tiny_model_dir / "manifest.json").read_text())
    for key in (
        "format_version",
        "library_versions",
        "taxonomy",
        "taxonomy_hash",
        "training_data",
        "thresholds",
        "training_metrics",
        "seed",
        "created",
        "files",
    ):
        assert key in m, key
    for lib in ("narratives", "scikit-learn", "spacy", "numpy"):
        assert lib in m["library_versions"]
    assert m["training_data"]["n_texts"] == 20 and len(m["training_data"]["hash"]) == 64
    assert (tiny_model_dir / "MODEL_CARD.md").is_file()


@pytest.fixture
def copy(tiny_model_dir, tmp_path):
    dst = tmp_path / "model"
    shutil.copytree(tiny_model_dir, dst)
    return dst


def _edit_manifest(path, **changes):
    m = json.loads((path / "manifest.json").read_text())
    for k, v in changes.items():
        if isinstance(v, dict) and isinstance(m.get(k), dict):
            m[k].update(v)
        else:
            m[k] = v
    (path / "manifest.json").write_text(json.dumps(m))


def test_missing_directory(tmp_path):
    with pytest.raises(ModelNotFoundError, match="not found"):
        narratives.load(tmp_path / "nope")


def test_incompatible_format_version(copy):
    _edit_manifest(copy, format_version="99.0")
    with pytest.raises(ModelVersionError, match=r"format 99\.0"):
        narratives.load(copy)


def test_incompatible_sklearn_version(copy):
    _edit_manifest(copy, library_versions={"scikit-learn": "0.1.0"})
    with pytest.raises(ModelVersionError, match=r"scikit-learn 0\.1\.0"):
        narratives.load(copy)


def test_corrupted_pipeline_detected(copy):
    data = bytearray((copy / "pipeline.skops").read_bytes())
    data[len(data) // 2] ^= 0xFF
    (copy / "pipeline.skops").write_bytes(bytes(data))
    with pytest.raises(ModelIntegrityError, match="does not match"):
        narratives.load(copy)


def test_corrupt_manifest(copy):
    (copy / "manifest.json").write_text("{not json")
    with pytest.raises(ModelIntegrityError, match="corrupt manifest"):
        narratives.load(copy)


class _Evil:
    def __reduce__(self):
        import os

        return (os.system, (f"touch {_Evil.marker}",))


def test_tampered_pickle_never_runs(copy, tmp_path):
    marker = tmp_path / "pwned"
    _Evil.marker = marker
    (copy / "pipeline.skops").write_bytes(pickle.dumps(_Evil()))
    _edit_manifest(copy, files={"pipeline.skops": _sha256(copy / "pipeline.skops")})
    with pytest.raises(narratives.ModelError):
        narratives.load(copy)
    assert not marker.exists()


def test_atomic_save_replaces_existing(tiny_model, tmp_path):
    path = tmp_path / "m"
    tiny_model.save(path)
    first = (path / "manifest.json").read_text()
    tiny_model.save(path)
    assert (path / "manifest.json").is_file() and json.loads(first)["format_version"]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".m.")]


def test_untrusted_types_refused(copy):
    import skops.io as sio
    from sklearn.preprocessing import FunctionTransformer

    sio.dump(FunctionTransformer(func=len), copy / "pipeline.skops")
    _edit_manifest(copy, files={"pipeline.skops": _sha256(copy / "pipeline.skops")})
    with pytest.raises(narratives.UntrustedModelError, match="trusted list"):
        narratives.load(copy)


def test_incompressible_members_are_stored(tiny_model_dir):
    import zipfile

    with zipfile.ZipFile(tiny_model_dir / "pipeline.skops") as z:
        infos = {i.filename: i for i in z.infolist()}
        assert z.testzip() is None
    schema = infos["schema.json"]
    assert schema.compress_type == zipfile.ZIP_DEFLATED
    assert schema.compress_size < 0.5 * schema.file_size
    for i in infos.values():  # every member either saves >= 20% deflated, or is stored
        if i.compress_type == zipfile.ZIP_DEFLATED:
            assert i.compress_size <= 0.8 * i.file_size or i.file_size == 0, i.filename
        else:
            assert i.compress_type == zipfile.ZIP_STORED


def test_shipped_model_stores_its_coefficient_arrays():
    import zipfile

    path = narratives.default_model_path() / "pipeline.skops"
    with zipfile.ZipFile(path) as z:
        stored = [i for i in z.infolist() if i.compress_type == zipfile.ZIP_STORED]
    assert stored and all(i.filename.endswith(".npy") for i in stored)
