"""A model directory cannot run code on load, even through the real command line.

The tampered model keeps a valid manifest whose SHA-256 matches the malicious file, so the hash
check passes and only the loader's refusal to unpickle / its type allow-list stand in the way.
"""

from __future__ import annotations

import json
import pickle
import shutil
import subprocess
import sys
import zipfile

import pytest
import skops.io as sio
from _reliability import write_jsonl

from _modelfiles import rehash
from narratives.persistence import TRUSTED_TYPES


class _Payload:
    """Unpickling this runs ``touch <marker>`` via os.system."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        import os

        return (os.system, (f"touch {self.marker}",))


@pytest.fixture
def evil_model(tiny_model_dir, tmp_path):
    model = tmp_path / "evil-model"
    shutil.copytree(tiny_model_dir, model)
    marker = tmp_path / "PWNED"
    (model / "pipeline.skops").write_bytes(pickle.dumps(_Payload(marker)))
    rehash(model)
    return model, marker


def test_payload_really_runs_when_unpickled(evil_model):
    """Positive control: the payload does create the marker when something unpickles it."""
    model, marker = evil_model
    code = f"import pickle; pickle.loads(open({str(model / 'pipeline.skops')!r}, 'rb').read())"
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
    assert marker.exists()


def test_tag_refuses_tampered_pickle(run, evil_model, tmp_path):
    model, marker = evil_model
    src = write_jsonl(
        tmp_path / "in.jsonl", [{"id": "a", "text": "Kazakhstan is an artificial state."}]
    )
    out = tmp_path / "out.jsonl"
    res = run("tag", src, "-o", out, "--model", model)
    assert res.returncode == 3, res.stderr
    lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:"), res.stderr
    assert "not a valid skops file" in lines[0] and str(model) in lines[0]
    assert "Traceback" not in res.stderr + res.stdout
    assert not marker.exists(), "the pickle payload ran"
    assert not out.exists()


def _skops_calling_os_system(path, marker) -> None:
    """A well-formed skops archive whose root node calls ``os.system("touch <marker>")``."""
    sio.dump((f"touch {marker}",), path)
    with zipfile.ZipFile(path) as zf:
        schema = json.loads(zf.read("schema.json"))
    args = {k: v for k, v in schema.items() if k not in ("protocol", "_skops_version")}
    evil = {
        "__module__": "os",
        "__class__": "system",
        "__loader__": "ConstructorFromReduceNode",
        "content": args,
        "__id__": 1,
        "protocol": schema["protocol"],
        "_skops_version": schema["_skops_version"],
    }
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("schema.json", json.dumps(evil))


def test_tag_refuses_skops_file_calling_os_system(run, tiny_model_dir, tmp_path):
    """The hash matches and the file is valid skops: only the type allow-list stops it."""
    model = tmp_path / "evil-skops"
    shutil.copytree(tiny_model_dir, model)
    marker = tmp_path / "PWNED"
    _skops_calling_os_system(model / "pipeline.skops", marker)
    rehash(model)
    # positive control: skops itself runs the command when told to trust os.system
    control = (
        "import skops.io as sio; p = {p!r}; sio.load(p, trusted=sio.get_untrusted_types(file=p))"
    ).format(p=str(model / "pipeline.skops"))
    subprocess.run([sys.executable, "-c", control], check=True, timeout=60)
    assert marker.exists()
    marker.unlink()

    src = write_jsonl(tmp_path / "in.jsonl", [{"id": "a", "text": "Riga is calm."}])
    res = run("tag", src, "-o", tmp_path / "o.jsonl", "--model", model)
    assert res.returncode == 3, res.stderr
    lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:"), res.stderr
    assert "trusted list" in lines[0] and "os.system" in lines[0]
    assert "Traceback" not in res.stderr
    assert not marker.exists(), "os.system ran"


def test_trusted_types_are_narrow():
    """The allow-list names classes, never modules or callables that could run code."""
    assert TRUSTED_TYPES and all(t.count(".") >= 2 for t in TRUSTED_TYPES)
    for t in TRUSTED_TYPES:
        assert t.startswith(("narratives.", "sklearn.")), t
        assert not any(
            bad in t
            for bad in (
                "os.",
                "subprocess",
                "builtins",
                "eval",
                "exec",
                "system",
                "FunctionTransformer",
            )
        )


def test_spacy_pipeline_by_path_is_refused(tiny_model, tmp_path):
    """A model cannot point its preprocessor at a spaCy pipeline on disk (e.g. one shipped inside
    the model directory); only 'blank:<lang>' or an installed package name."""
    import narratives
    from narratives import UntrustedModelError

    original = tiny_model.pipeline.get_params()["preprocess__spacy_model"]
    try:
        tiny_model.pipeline.set_params(preprocess__spacy_model="./evil-model/nlp")
        narratives.NarrativeModel(tiny_model.pipeline, dict(tiny_model.manifest)).save(
            tmp_path / "m"
        )
    finally:
        tiny_model.pipeline.set_params(preprocess__spacy_model=original)
    with pytest.raises(UntrustedModelError, match="not a path"):
        narratives.load(tmp_path / "m")


def test_wrong_object_in_a_valid_skops_file_is_a_model_error(capsys, tiny_model_dir, tmp_path):
    from narratives.cli._app import main

    model = tmp_path / "dict-model"
    shutil.copytree(tiny_model_dir, model)
    sio.dump({"not": "a pipeline"}, model / "pipeline.skops")
    rehash(model)
    assert main(["info", "--model", str(model)]) == 3
    err = capsys.readouterr().err
    assert err.strip().startswith("error:") and "not a narratives pipeline" in err
    assert len(err.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("files", []),
        ("files", "pipeline.skops"),
        ("files", None),
        ("files", {"pipeline.skops": 5}),
        ("library_versions", None),
        ("library_versions", "1.5"),
        ("library_versions", {"scikit-learn": 5}),
        ("training_data", "lots"),
        ("thresholds", [0.5]),
        ("format_version", None),
        ("format_version", "2.0"),
    ],
)
def test_hostile_manifest_fields_are_model_errors(tiny_model_dir, tmp_path, key, value):
    import narratives

    model = tmp_path / "m"
    shutil.copytree(tiny_model_dir, model)
    m = json.loads((model / "manifest.json").read_text())
    m[key] = value
    (model / "manifest.json").write_text(json.dumps(m))
    with pytest.raises(narratives.ModelError):
        narratives.load(model)


@pytest.mark.parametrize("text", ["[]", '"x"', "null", "5", "{}", '{"format_version": "1.0"}'])
def test_manifest_that_is_not_an_object_or_is_empty(tiny_model_dir, tmp_path, text):
    import narratives

    model = tmp_path / "m"
    shutil.copytree(tiny_model_dir, model)
    (model / "manifest.json").write_text(text)
    with pytest.raises(narratives.ModelError):
        narratives.load(model)
