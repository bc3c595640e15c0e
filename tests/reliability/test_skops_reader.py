"""The skops-free reader of model files (issue 15) never runs code from a file.

``persistence._skops_reader`` reads ``pipeline.skops`` itself (skops' format, protocol 2) and makes
objects only through an allow-list: the estimator classes for the full load, their lean twins for
tagging. Anything else (another class, type or node kind, a pickled array, a cycle, a malformed
schema) is a ``SkopsContentError``, and loading falls back to skops, whose type allow-list refuses
it as before (``test_safe_loading``). These files are built by hand; each payload would leave a
marker file if anything imported or ran it.
"""

from __future__ import annotations

import io
import json
import pickle
import shutil
import sys
import zipfile

import numpy as np
import pytest

import narratives
from _modelfiles import read_members, write_pipeline
from narratives.persistence._lean import LEAN_TYPES
from narratives.persistence._persist import _readable_class
from narratives.persistence._skops_reader import SkopsContentError, read_skops

#: The classes each load makes: the estimator classes (full load) and their twins (lean load).
RESOLVERS = pytest.mark.parametrize(
    "resolve", [_readable_class, LEAN_TYPES.get], ids=["full", "lean"]
)


class _Payload:
    """Unpickling this runs ``touch <marker>`` via os.system."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        import os

        return (os.system, (f"touch {self.marker}",))


def _json(value, id_=None) -> dict:
    node = {
        "__class__": type(value).__name__,
        "__module__": "builtins",
        "__loader__": "JsonNode",
        "content": json.dumps(value),
        "is_json": True,
    }
    return node if id_ is None else {**node, "__id__": id_}


def _object(module: str, cls: str, state: dict | None = None, id_=None) -> dict:
    content = {
        "__class__": "dict",
        "__module__": "builtins",
        "__loader__": "DictNode",
        "content": state or {},
        "key_types": {
            "__class__": "list",
            "__module__": "builtins",
            "__loader__": "ListNode",
            "content": [
                {"__class__": "str", "__module__": "builtins", "__loader__": "TypeNode"}
                for _ in state or {}
            ],
        },
    }
    node = {"__class__": cls, "__module__": module, "__loader__": "ObjectNode", "content": content}
    return node if id_ is None else {**node, "__id__": id_}


def _write(path, root: dict, protocol=2, members: dict | None = None):
    schema = {**root, "protocol": protocol, "_skops_version": "0.16.0"}
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("schema.json", json.dumps(schema))
        for name, data in (members or {}).items():
            zf.writestr(name, data)
    return path


@pytest.fixture
def marker_module(tmp_path, monkeypatch):
    """An importable module that leaves a marker when imported."""
    marker = tmp_path / "IMPORTED"
    (tmp_path / "narratives_marker_module.py").write_text(
        f"open({str(marker)!r}, 'w').close()\nclass Thing:\n    pass\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    yield marker
    sys.modules.pop("narratives_marker_module", None)


@RESOLVERS
@pytest.mark.parametrize(
    ("module", "cls"),
    [
        ("narratives_marker_module", "Thing"),
        ("os", "system"),
        ("builtins", "eval"),
        ("sklearn.preprocessing._function_transformer", "FunctionTransformer"),
        ("narratives.model._lean", "LeanPipeline"),  # twins are made only from saved class names
    ],
)
def test_a_class_outside_the_allow_list_is_never_imported(
    tmp_path, marker_module, resolve, module, cls
):
    path = _write(tmp_path / "p.skops", _object(module, cls, {"x": _json(1)}))
    with pytest.raises(SkopsContentError):
        read_skops(path, resolve)
    assert not marker_module.exists()
    assert "narratives_marker_module" not in sys.modules


@RESOLVERS
@pytest.mark.parametrize(
    "node",
    [
        {"__class__": "system", "__module__": "os", "__loader__": "TypeNode"},
        {"__class__": "Thing", "__module__": "narratives_marker_module", "__loader__": "TypeNode"},
        {"__class__": "system", "__module__": "os", "__loader__": "FunctionNode"},
        {
            "__class__": "system",
            "__module__": "os",
            "__loader__": "ConstructorFromReduceNode",
            "content": {"args": []},
        },
        {"__class__": "system", "__module__": "os", "__loader__": "ReduceNode", "content": {}},
        {
            "__class__": "Thing",
            "__module__": "narratives_marker_module",
            "__loader__": "MethodNode",
        },
        {"__class__": "bytes", "__module__": "builtins", "__loader__": "BytesNode", "file": "x"},
        {"__class__": "x", "__module__": "y", "__loader__": "CachedNode", "content": 1},
    ],
    ids=[
        "type-os.system",
        "type-module",
        "function",
        "reduce-ctor",
        "reduce",
        "method",
        "bytes",
        "cached",
    ],
)
def test_other_node_kinds_and_types_are_refused(tmp_path, marker_module, resolve, node):
    root = _object("narratives.model._pipeline", "NarrativePipeline", {"steps": node})
    with pytest.raises(SkopsContentError):
        read_skops(_write(tmp_path / "p.skops", root), resolve)
    assert not marker_module.exists()


def _array_node(module="numpy", cls="ndarray", file="a.npy") -> dict:
    return {
        "__class__": cls,
        "__module__": module,
        "__loader__": "NdArrayNode",
        "type": "numpy",
        "file": file,
    }


@RESOLVERS
def test_a_class_is_checked_before_its_state_is_read(tmp_path, resolve):
    """A refused class costs nothing: nothing inside it is made (or its arrays read)."""
    asked = []

    def spy(path):
        asked.append(path)
        return resolve(path)

    inner = _object("narratives.model._pipeline", "NarrativePipeline", {"x": _array_node()})
    root = _object("sklearn.calibration", "CalibratedClassifierCV", {"estimator": inner})
    buf = io.BytesIO()
    np.save(buf, np.zeros(3))
    path = _write(tmp_path / "p.skops", root, members={"a.npy": buf.getvalue()})
    with pytest.raises(SkopsContentError):
        read_skops(path, spy)
    assert asked == ["sklearn.calibration.CalibratedClassifierCV"]


@RESOLVERS
def test_a_pickled_array_is_not_unpickled(tmp_path, resolve):
    marker = tmp_path / "PWNED"
    buf = io.BytesIO()
    np.save(buf, np.array([_Payload(marker)], dtype=object), allow_pickle=True)
    path = _write(tmp_path / "p.skops", _array_node(), members={"a.npy": buf.getvalue()})
    with pytest.raises(SkopsContentError):
        read_skops(path, resolve)
    assert not marker.exists()


@RESOLVERS
@pytest.mark.parametrize(("module", "cls"), [("os", "system"), ("builtins", "eval")])
def test_an_array_standing_for_another_type_is_refused(tmp_path, resolve, module, cls):
    buf = io.BytesIO()
    np.save(buf, np.array("touch x"), allow_pickle=False)
    path = _write(tmp_path / "p.skops", _array_node(module, cls), members={"a.npy": buf.getvalue()})
    with pytest.raises(SkopsContentError):
        read_skops(path, resolve)


@RESOLVERS
@pytest.mark.parametrize("protocol", [0, 1, 3, True, "2", None])
def test_other_protocols_are_left_to_skops(tmp_path, resolve, protocol):
    with pytest.raises(SkopsContentError):
        read_skops(_write(tmp_path / "p.skops", _json(1), protocol=protocol), resolve)


@RESOLVERS
@pytest.mark.parametrize(
    "data",
    [b"not a zip", pickle.dumps([1, 2]), b"PK\x05\x06" + b"\0" * 18],
    ids=["text", "pickle", "empty-zip"],
)
def test_files_that_are_not_skops_archives(tmp_path, resolve, data):
    path = tmp_path / "p.skops"
    path.write_bytes(data)
    with pytest.raises(SkopsContentError):
        read_skops(path, resolve)


@RESOLVERS
@pytest.mark.parametrize("schema", [b"[1, 2]", b"{nope", b'"x"', b'{"protocol": 2}'])
def test_schemas_that_are_not_node_trees(tmp_path, resolve, schema):
    path = tmp_path / "p.skops"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("schema.json", schema)
    with pytest.raises(SkopsContentError):
        read_skops(path, resolve)


@RESOLVERS
def test_a_node_that_contains_itself(tmp_path, resolve):
    root = _object(
        "narratives.model._pipeline",
        "NarrativePipeline",
        {"steps": {"__id__": 7, "__class__": "x", "__module__": "y", "__loader__": "ListNode"}},
        id_=7,
    )
    with pytest.raises(SkopsContentError):
        read_skops(_write(tmp_path / "p.skops", root), resolve)


@RESOLVERS
def test_nesting_deeper_than_the_stack(tmp_path, resolve):
    node = _json(1)
    for _ in range(20_000):
        node = {
            "__class__": "list",
            "__module__": "builtins",
            "__loader__": "ListNode",
            "content": [node],
        }
    path = tmp_path / "p.skops"
    with zipfile.ZipFile(path, "w") as zf:  # json.dumps itself would recurse too deeply
        zf.writestr("schema.json", '{"protocol": 2, ' + _dumps_deep(node)[1:])
    with pytest.raises(SkopsContentError):
        read_skops(path, resolve)


def _dumps_deep(node) -> str:
    parts, depth = [], 0
    while node.get("__loader__") == "ListNode":
        parts.append(
            '{"__class__": "list", "__module__": "builtins", "__loader__": "ListNode", "content": ['
        )
        node, depth = node["content"][0], depth + 1
    return "".join(parts) + json.dumps(node) + "]}" * depth


def test_shared_objects_stay_shared(tmp_path):
    """A node repeating an earlier ``__id__`` is that object (skops' memo): the taxonomy dict
    the steps share, None, small ints."""
    shared = {
        "__class__": "dict",
        "__module__": "builtins",
        "__loader__": "DictNode",
        "content": {"a": _json(1)},
        "key_types": {
            "__class__": "list",
            "__module__": "builtins",
            "__loader__": "ListNode",
            "content": [{"__class__": "str", "__module__": "builtins", "__loader__": "TypeNode"}],
        },
        "__id__": 3,
    }
    root = {
        "__class__": "list",
        "__module__": "builtins",
        "__loader__": "ListNode",
        "content": [shared, {**_json(None), "__id__": 3}],  # only the id counts
    }
    out = read_skops(_write(tmp_path / "p.skops", root), LEAN_TYPES.get)
    assert out[0] is out[1] and out[0] == {"a": 1}


def test_default_model_shares_its_taxonomy_as_skops_does():
    path = narratives.default_model_path() / "pipeline.skops"
    pipe = read_skops(path, LEAN_TYPES.get)
    steps = [s for _, s in pipe.steps]
    assert steps[0].taxonomy is steps[1].taxonomy is steps[2].taxonomy


# ----------------------------------------------------------------- through narratives.load
def test_a_pickled_array_inside_a_real_model_never_runs(tiny_model_dir, tmp_path):
    """A valid model file with one coefficient array replaced by a pickled object array: the
    lean and the full reader refuse it, skops refuses it, the payload never runs."""
    model = tmp_path / "m"
    shutil.copytree(tiny_model_dir, model)
    marker = tmp_path / "PWNED"
    buf = io.BytesIO()
    np.save(buf, np.array([_Payload(marker)], dtype=object), allow_pickle=True)
    members = read_members(model / "pipeline.skops")
    victim = next(n for n in members if n.endswith(".npy"))
    members[victim] = buf.getvalue()
    write_pipeline(model, members)
    with pytest.raises(narratives.ModelError):
        narratives.load(model)
    assert not marker.exists()


@pytest.mark.filterwarnings("ignore:Trying to unpickle estimator")
def test_a_real_model_naming_another_class_falls_back_to_skops(tiny_model_dir, tmp_path):
    """The classifier's class renamed to a scikit-learn class skops trusts by default but no
    narratives model holds: neither reader makes it; skops loads it and the pipeline check
    refuses it, as before."""
    model = tmp_path / "m"
    shutil.copytree(tiny_model_dir, model)
    members = read_members(model / "pipeline.skops")
    schema = json.loads(members["schema.json"])
    classifier = schema["content"]["content"]["steps"]["content"][2]["content"][1]
    assert classifier["__class__"] == "NarrativeClassifier"
    classifier.update(__class__="StandardScaler", __module__="sklearn.preprocessing._data")
    members["schema.json"] = json.dumps(schema).encode()
    write_pipeline(model, members)
    with pytest.raises(narratives.ModelIntegrityError, match="steps are not"):
        narratives.load(model)
