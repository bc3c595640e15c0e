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
import tracemalloc
import zipfile

import numpy as np
import pytest
import skops.io as sio

import narratives
from _modelfiles import read_members, write_pipeline
from narratives.persistence import _skops_reader as skops_reader
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


@RESOLVERS
def test_a_class_is_checked_before_its_state_is_read(tmp_path, resolve):
    """A refused class costs nothing: nothing inside it is made (or its arrays read)."""
    asked = []

    def spy(path):
        asked.append(path)
        return resolve(path)

    inner = _object("narratives.model._pipeline", "NarrativePipeline", {"x": _array_node()})
    root = _object("sklearn.calibration", "CalibratedClassifierCV", {"estimator": inner})
    path = _write(tmp_path / "p.skops", root, members={"a.npy": _npy(np.zeros(3))})
    with pytest.raises(SkopsContentError):
        read_skops(path, spy)
    assert asked == ["sklearn.calibration.CalibratedClassifierCV"]


# ------------------------------------------------------------- what reading may allocate
# The size check (``_files``) bounds what the zip holds; these files hold little and would make
# far more of it. Each is refused as a model error (skops, the fallback, has no such bounds),
# and while the file is read, memory stays near what the file holds (tracemalloc sees numpy's
# allocations).
MB = 1 << 20


def _list(items: list) -> dict:
    return {
        "__class__": "list",
        "__module__": "builtins",
        "__loader__": "ListNode",
        "content": items,
    }


def _npy(array: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, array, allow_pickle=False)
    return buf.getvalue()


def _refused_within(path, resolve, match: str, limit: int) -> None:
    """Reading ``path`` raises a one-line ModelIntegrityError and allocates at most ``limit``."""
    tracemalloc.start()
    try:
        with pytest.raises(narratives.ModelIntegrityError, match=match) as exc:
            read_skops(path, resolve)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert "\n" not in str(exc.value)
    assert peak < limit, f"{peak:,} bytes"


@RESOLVERS
def test_an_array_member_named_by_many_nodes_is_read_once(tmp_path, resolve):
    """Each node read the member again: 200 nodes on one 8 MB member made 1.6 GB of arrays
    from an 8.7 kB file (the size check counts the member once)."""
    root = _list([_array_node() for _ in range(50)])
    path = _write(tmp_path / "p.skops", root, members={"a.npy": _npy(np.zeros(MB // 8))})
    _refused_within(path, resolve, "names the member 'a.npy' twice", 4 * MB)


def test_an_array_shared_by_its_id_is_one_array(tmp_path):
    """skops writes an array referred to twice as two nodes with one id: one array, as before."""
    root = _list([{**_array_node(), "__id__": 9}, {**_array_node(), "__id__": 9}])
    path = _write(tmp_path / "p.skops", root, members={"a.npy": _npy(np.arange(3.0))})
    out = read_skops(path, LEAN_TYPES.get)
    assert out[0] is out[1] and out[0].tolist() == [0.0, 1.0, 2.0]


@RESOLVERS
def test_an_array_member_that_is_a_zip_is_refused(tmp_path, resolve):
    """numpy.load (pickles refused) opens a zip too, as an NpzFile the reader passed on as the
    array, whose members (here 8 MB in 8 kB) no size check had seen."""
    inner = io.BytesIO()
    np.savez_compressed(inner, big=np.zeros(MB))
    path = _write(tmp_path / "p.skops", _array_node(), members={"a.npy": inner.getvalue()})
    _refused_within(path, resolve, "'a.npy' that is not a .npy file", MB)


@RESOLVERS
def test_an_array_header_claiming_more_than_its_member_holds(tmp_path, resolve):
    """numpy allocates the array a header declares before reading its data."""
    buf = io.BytesIO()
    header = {"descr": "<f8", "fortran_order": False, "shape": (10**12,)}
    np.lib.format.write_array_header_1_0(buf, header)
    path = _write(
        tmp_path / "p.skops", _array_node(), members={"a.npy": buf.getvalue() + bytes(64)}
    )
    _refused_within(path, resolve, "header does not match its size", MB)


def _object_array(items: list, shape: list[int]) -> dict:
    return {
        "__class__": "ndarray",
        "__module__": "numpy",
        "__loader__": "NdArrayNode",
        "type": "json",
        "content": items,
        "shape": {
            "__class__": "tuple",
            "__module__": "builtins",
            "__loader__": "TupleNode",
            "content": [_json(n) for n in shape],
        },
    }


@RESOLVERS
def test_an_object_array_repeating_a_shared_row_is_refused(tmp_path, resolve):
    """np.array(items) copied a row shared through the memo once per reference: a 1.5 kB file
    made a (2000, 100000) object array (1.5 GB). Here (200, 10000), 16 MB from 2 kB."""
    row = {**_json([0] * 10_000), "__id__": 5}
    items = [row] + [{**_json([]), "__id__": 5}] * 199
    path = _write(tmp_path / "p.skops", _object_array(items, [200, 10_000]))
    _refused_within(path, resolve, "repeats a row", 4 * MB)


@RESOLVERS
@pytest.mark.parametrize(
    ("items", "shape"),
    [
        ([_json("a"), _json("b")], [3]),
        ([_json(["a", "b"]), _json(["c", "d"])], [2, 3]),
        ([_json(["a", "b"]), _json(["c", "d"])], [1, 2]),
        ([_json("a"), _json("b")], [2, 1]),
        ([_json(0), _json(0)], [2, 1]),
        ([_json([[1, 2], [3, 4]])], [1, 2, 100_000]),
    ],
    ids=["longer", "wider", "shorter", "flat-rows", "int-rows", "deeper"],
)
def test_an_object_array_whose_shape_does_not_match_its_items(tmp_path, resolve, items, shape):
    """The shape was never checked: skops and the reader made whatever np.array gave."""
    path = _write(tmp_path / "p.skops", _object_array(items, shape))
    _refused_within(path, resolve, "shape does not match its items", MB)


@RESOLVERS
def test_object_arrays_count_against_the_limit(tmp_path, resolve, monkeypatch):
    """8 bytes per element: 1,000 elements are 8,000 bytes, over a limit of 4,000."""
    monkeypatch.setenv("NARRATIVES_MAX_MODEL_BYTES", "4000")
    path = _write(tmp_path / "p.skops", _object_array([_json(i) for i in range(1000)], [1000]))
    _refused_within(path, resolve, "more than 4,000 bytes, the limit", MB)


@RESOLVERS
def test_arrays_count_against_the_limit(tmp_path, resolve, monkeypatch):
    monkeypatch.setenv("NARRATIVES_MAX_MODEL_BYTES", "4000")
    root = _list([_array_node(file=f"{i}.npy") for i in range(3)])
    members = {f"{i}.npy": _npy(np.zeros(200)) for i in range(3)}  # 1,600 bytes each
    path = _write(tmp_path / "p.skops", root, members=members)
    _refused_within(path, resolve, "more than 4,000 bytes, the limit", MB)


@pytest.mark.parametrize(
    "array",
    [
        np.array(["a", None, 3, ("t",), [1, 2]], dtype=object),
        np.array([["a", 1], ["b", None], ["c", 2.5]], dtype=object),
        np.array([[["a", "b"], ["c", "d"]], [["e", "f"], ["g", None]]], dtype=object),
        np.empty((2, 0), dtype=object),
    ],
    ids=["1d", "2d", "3d", "empty"],
)
def test_object_arrays_read_as_skops_reads_them(tmp_path, array):
    sio.dump(array, tmp_path / "p.skops")
    ours = read_skops(tmp_path / "p.skops", LEAN_TYPES.get)
    theirs = sio.load(
        tmp_path / "p.skops", trusted=sio.get_untrusted_types(file=tmp_path / "p.skops")
    )
    assert ours.dtype == theirs.dtype == object and ours.shape == theirs.shape == array.shape
    assert ours.tolist() == theirs.tolist() == array.tolist()


def _behind_a_class_skops_reads(state: dict) -> dict:
    """A class this reader refuses and skops trusts by default: the file goes to skops."""
    return _object("sklearn.preprocessing._data", "StandardScaler", state)


def _sparse_node(file="a.npz") -> dict:
    return {
        "__class__": "csr_matrix",
        "__module__": "scipy.sparse._csr",
        "__loader__": "SparseMatrixNode",
        "type": "scipy",
        "file": file,
    }


def _zip_of_zeros() -> bytes:
    inner = io.BytesIO()
    np.savez_compressed(inner, big=np.zeros(MB))
    return inner.getvalue()


_HEADER_LIE = io.BytesIO()
np.lib.format.write_array_header_1_0(
    _HEADER_LIE, {"descr": "<f8", "fortran_order": False, "shape": (10**12,)}
)


@RESOLVERS
@pytest.mark.parametrize(
    ("state", "members", "message"),
    [
        (
            {"a": _list([_array_node() for _ in range(50)])},
            {"a.npy": _npy(np.zeros(MB // 8))},
            "names the member 'a.npy' twice",
        ),
        ({"a": _array_node()}, {"a.npy": _zip_of_zeros()}, "itself a zip archive"),
        ({"a": _sparse_node()}, {"a.npz": _zip_of_zeros()}, "itself a zip archive"),
        (
            {"a": _array_node()},
            {"a.npy": _HEADER_LIE.getvalue() + bytes(64)},
            "header does not match its size",
        ),
        (
            {
                "a": _object_array(
                    [{**_json([0] * 10_000), "__id__": 5}] + [{**_json([]), "__id__": 5}] * 199,
                    [200, 10_000],
                )
            },
            {},
            "shared row",
        ),
        (
            {"a": _object_array([_array_node() for _ in range(2)], [2, MB // 8])},
            {"a.npy": _npy(np.zeros(MB // 8))},
            "names the member 'a.npy' twice",
        ),
        (
            {"a": _object_array([{**_array_node(), "__id__": 3}] * 20, [20, MB // 8])},
            {"a.npy": _npy(np.zeros(MB // 8))},
            "holding an array",
        ),
    ],
    ids=["member-twice", "zip-array", "zip-sparse", "header", "shared-row", "rows", "array-rows"],
)
def test_what_skops_would_make_is_bounded_before_it_reads_the_file(
    tmp_path, resolve, state, members, message
):
    """A file the reader leaves to skops (here: a class it refuses, first in the file) is
    checked first for what skops would allocate: skops reads a member per node naming it,
    numpy.load opens zips and allocates a header's size, scipy decompresses sparse zips, and
    np.array copies an object array's shared rows. One line, never a SkopsContentError."""
    path = _write(tmp_path / "p.skops", _behind_a_class_skops_reads(state), members=members)
    _refused_within(path, resolve, message, 4 * MB)


def test_what_skops_reads_of_an_honest_file_is_not_refused(tmp_path):
    """skops' own file of an object array (strings, an int, None) and an array shared by two
    lists, in a class the reader refuses: the checks leave it to skops, which reads it."""
    from sklearn.preprocessing import StandardScaler

    shared = np.arange(3.0)
    scaler = StandardScaler()
    scaler.a_ = np.array([["x", 1], ["y", None]], dtype=object)
    scaler.b_ = [[shared, shared], shared]
    sio.dump(scaler, tmp_path / "p.skops")
    with pytest.raises(SkopsContentError):
        read_skops(tmp_path / "p.skops", LEAN_TYPES.get)
    loaded = sio.load(tmp_path / "p.skops", trusted=["sklearn.preprocessing._data.StandardScaler"])
    assert loaded.a_.tolist() == [["x", 1], ["y", None]]
    assert loaded.b_[0][0] is loaded.b_[0][1] is loaded.b_[1]


@RESOLVERS
def test_a_schema_over_its_limit_is_not_parsed(tmp_path, resolve, monkeypatch):
    """A schema may otherwise be as large as the whole limit (1 GiB), and parsing JSON takes
    up to about 20 times its size."""
    monkeypatch.setattr(skops_reader, "MAX_SCHEMA_BYTES", 2000)
    path = _write(tmp_path / "p.skops", _list([_json(i) for i in range(100)]))
    _refused_within(path, resolve, "schema of [0-9,]+ bytes, more than the limit of 2,000", MB)


def test_the_schema_limit_leaves_room_for_larger_models():
    with zipfile.ZipFile(narratives.default_model_path() / "pipeline.skops") as zf:
        size = zf.getinfo("schema.json").file_size
    assert 8 * size <= skops_reader.MAX_SCHEMA_BYTES


def test_the_default_model_names_each_array_member_once():
    """The read-once rule costs honest files nothing: skops writes each array once, and a
    second reference to it is the same node id."""
    with zipfile.ZipFile(narratives.default_model_path() / "pipeline.skops") as zf:
        schema = json.loads(zf.read("schema.json"))
        npy = sorted(n for n in zf.namelist() if n.endswith(".npy"))
    files = []

    def walk(node):
        if isinstance(node, dict):
            if node.get("__loader__") == "NdArrayNode" and node.get("type") == "numpy":
                files.append(node["file"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(schema)
    assert sorted(files) == npy and len(npy) > 50


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


def _array_nodes(node, found=None) -> list[dict]:
    found = [] if found is None else found
    if isinstance(node, dict):
        if node.get("__loader__") == "NdArrayNode" and node.get("type") == "numpy":
            found.append(node)
        for value in node.values():
            _array_nodes(value, found)
    elif isinstance(node, list):
        for value in node:
            _array_nodes(value, found)
    return found


def _name_a_member_twice(members: dict) -> None:
    schema = json.loads(members["schema.json"])
    first, second = _array_nodes(schema)[:2]
    second["file"] = first["file"]
    members["schema.json"] = json.dumps(schema).encode()


def _zip_as_a_member(members: dict) -> None:
    inner = io.BytesIO()
    np.savez_compressed(inner, big=np.zeros(MB))
    members[next(n for n in members if n.endswith(".npy"))] = inner.getvalue()


def _object_array_of_the_wrong_shape(members: dict) -> None:
    schema = json.loads(members["schema.json"])
    node = _array_nodes(schema)[0]
    node.clear()
    node.update(_object_array([_json("a"), _json("b")], [2, 1000]))
    members["schema.json"] = json.dumps(schema).encode()


@pytest.mark.parametrize(
    ("tamper", "message"),
    [
        (_name_a_member_twice, "names the member"),
        (_zip_as_a_member, "that is not a .npy file"),
        (_object_array_of_the_wrong_shape, "shape does not match its items"),
        ("schema", "has a schema of"),
        ("memory", "does not fit in memory"),
    ],
    ids=["member-twice", "zip-member", "object-array", "schema", "memory"],
)
def test_a_bound_is_a_model_error_and_skops_never_reads_the_file(
    tiny_model_dir, tmp_path, monkeypatch, tamper, message
):
    """Through narratives.load: one line, and no second attempt by skops, which would make the
    same allocations without the bounds (a MemoryError, too, was a reason to try skops)."""
    from narratives.persistence import _persist

    model = tmp_path / "m"
    shutil.copytree(tiny_model_dir, model)
    if tamper == "schema":
        monkeypatch.setattr(skops_reader, "MAX_SCHEMA_BYTES", 1000)
    elif tamper == "memory":
        monkeypatch.setattr(np.lib.format, "read_array", _out_of_memory)
    else:
        members = read_members(model / "pipeline.skops")
        tamper(members)
        write_pipeline(model, members)

    def no_skops(*args):
        raise AssertionError("skops read the file")

    monkeypatch.setattr(_persist, "_load_with_skops", no_skops)
    with pytest.raises(narratives.ModelIntegrityError, match=message) as exc:
        narratives.load(model)
    assert "\n" not in str(exc.value) and str(model) in str(exc.value)


def _out_of_memory(*args, **kwargs):
    raise MemoryError
