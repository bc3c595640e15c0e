"""Issue 13, defect 6 (and the weak spot "taxonomy file path"): every model problem exits 3 with
one line, never a traceback.

Before the fix: a manifest nested 100,000 deep raised RecursionError; a skops file whose root is
an empty (or unfitted) narratives pipeline raised AttributeError/IndexError; a manifest whose
``description`` is a list crashed ``info`` with TypeError; a zip bomb was decompressed (gigabytes
of memory) before anything checked it; a pipeline naming its taxonomy by a file path loaded, and
read that path relative to the working directory at tag time. All exited 1 with a traceback.
"""

from __future__ import annotations

import copy
import json
import shutil
import time
import zipfile

import pytest
import skops.io as sio

from _modelfiles import rehash
from narratives.cli._app import main


@pytest.fixture
def model_copy(tiny_model_dir, tmp_path):
    model = tmp_path / "model"
    shutil.copytree(tiny_model_dir, model)
    return model


def info_fails_with_model_error(capsys, model, *, command=("info",)) -> str:
    code = main([*command, "--model", str(model)])
    err = capsys.readouterr().err
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert code == 3, err
    assert len(lines) == 1 and lines[0].startswith("error:") and "Traceback" not in err, err
    return lines[0]


# ------------------------------------------------------------------ manifests
def test_manifest_nested_100000_deep(capsys, model_copy):
    m = json.loads((model_copy / "manifest.json").read_text())
    text = json.dumps(m)[:-1] + ', "x": ' + "[" * 100_000 + "]" * 100_000 + "}"
    (model_copy / "manifest.json").write_text(text)
    assert "nested too deeply" in info_fails_with_model_error(capsys, model_copy)


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("description", ["a", "list"]),
        ("description", {"a": 1}),
        ("name", 5),
        ("created", ["2026"]),
        ("taxonomy_hash", 12345),
    ],
)
def test_manifest_text_fields_of_the_wrong_type(capsys, model_copy, key, value):
    m = json.loads((model_copy / "manifest.json").read_text())
    m[key] = value
    (model_copy / "manifest.json").write_text(json.dumps(m))
    line = info_fails_with_model_error(capsys, model_copy)
    assert f"'{key}' is a" in line and "not a string" in line


def test_huge_manifest_is_not_read(capsys, model_copy, monkeypatch):
    import narratives.persistence._files as files

    monkeypatch.setattr(files, "MAX_MANIFEST_BYTES", 1000)
    assert "larger than 1000 bytes" in info_fails_with_model_error(capsys, model_copy)


# ------------------------------------------------------------------ pipelines of the right class but wrong shape
def _empty_pipeline():
    from narratives.model import NarrativePipeline

    return NarrativePipeline([])


def _unfitted_pipeline():
    from narratives.model import make_pipeline

    return make_pipeline()


def _two_steps(tiny_model):
    from narratives.model import NarrativePipeline

    return NarrativePipeline(copy.deepcopy(tiny_model.pipeline.steps[:2]))


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda m: _empty_pipeline(), "steps are not preprocess, features, classifier"),
        (_two_steps, "steps are not preprocess, features, classifier"),
        (lambda m: _unfitted_pipeline(), "not fitted"),
    ],
    ids=["empty-pipeline", "two-steps", "unfitted"],
)
@pytest.mark.parametrize(
    "command", [("info",), ("explain", "Riga is calm.")], ids=["info", "explain"]
)
def test_pipeline_of_the_wrong_shape(capsys, model_copy, tiny_model, make, message, command):
    sio.dump(make(tiny_model), model_copy / "pipeline.skops")
    rehash(model_copy)
    assert message in info_fails_with_model_error(capsys, model_copy, command=command)


def test_taxonomy_named_by_a_path_is_refused(capsys, model_copy, tiny_model):
    """A model directory must be self-contained: a taxonomy path would be read relative to the
    working directory at tag time (weak spot 'taxonomy file path')."""
    pipe = copy.deepcopy(tiny_model.pipeline)
    for step in ("preprocess", "features", "classifier"):
        pipe.named_steps[step].taxonomy = "taxonomy.yaml"
    sio.dump(pipe, model_copy / "pipeline.skops")
    rehash(model_copy)
    line = info_fails_with_model_error(capsys, model_copy)
    assert "self-contained" in line and "taxonomy" in line


# ------------------------------------------------------------------ compression bombs
def _bomb(path, size: int) -> None:
    block = b"\0" * (1 << 20)
    with (
        zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf,
        zf.open("schema.json", "w") as fh,
    ):
        for _ in range(size >> 20):
            fh.write(block)


def test_zip_bomb_is_refused_before_it_is_read(capsys, model_copy, monkeypatch):
    monkeypatch.setenv("NARRATIVES_MAX_MODEL_BYTES", str(10_000_000))
    _bomb(model_copy / "pipeline.skops", 64 << 20)  # 64 MB of zeros in 64 kB
    assert (model_copy / "pipeline.skops").stat().st_size < 1 << 20
    rehash(model_copy)
    t0 = time.perf_counter()
    line = info_fails_with_model_error(capsys, model_copy)
    assert time.perf_counter() - t0 < 5
    assert "declares 67,108,864 bytes uncompressed" in line and "NARRATIVES_MAX_MODEL_BYTES" in line


def test_declared_size_over_the_default_limit(capsys, model_copy):
    """A member declaring 4 GB (central directory patched; the data is never read)."""
    path = model_copy / "pipeline.skops"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("schema.json", b"{}")
    data = bytearray(path.read_bytes())
    cd = data.rindex(b"PK\x01\x02")
    data[cd + 24 : cd + 28] = (0xFFFFFFF0).to_bytes(4, "little")
    path.write_bytes(bytes(data))
    rehash(model_copy)
    assert "more than the limit of 1,073,741,824" in info_fails_with_model_error(capsys, model_copy)


def test_bad_limit_setting_is_a_usage_error(capsys, model_copy, monkeypatch):
    monkeypatch.setenv("NARRATIVES_MAX_MODEL_BYTES", "lots")
    assert main(["info", "--model", str(model_copy)]) == 2
    assert "NARRATIVES_MAX_MODEL_BYTES" in capsys.readouterr().err


def test_a_good_model_still_loads_under_the_limit(capsys, model_copy, monkeypatch):
    size = sum(i.file_size for i in zipfile.ZipFile(model_copy / "pipeline.skops").infolist())
    monkeypatch.setenv("NARRATIVES_MAX_MODEL_BYTES", str(size))
    assert main(["info", "--model", str(model_copy)]) == 0
