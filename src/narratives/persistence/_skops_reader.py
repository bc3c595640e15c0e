"""A reader of ``pipeline.skops`` restricted to what narratives models hold, without skops.

skops imports every scikit-learn estimator module when it is imported (its list of trusted
types): the larger part of a second before a saved model can tag anything (issue 15). A
narratives model's file uses seven of skops' node kinds (objects, dicts, lists, tuples, JSON
values, types, numpy arrays) and a handful of classes, so this module reads skops' format
(protocol 2: ``schema.json`` describing the objects, arrays as ``.npy`` members of the zip)
itself, constructing objects as skops does, and nothing else:

- an object is made only when ``resolve(class path)`` gives its class, asked before its state
  is read; the caller restricts it to an allow-list (``_persist``: the estimator classes;
  ``_lean``: the lean twins), and the object is made as skops makes it (``__new__``, then
  ``__setstate__``); a type node names only a builtin or numpy scalar type from a fixed table;
  arrays are read by numpy without pickles;
- anything else (another node kind, class or protocol, a malformed schema) raises
  :class:`SkopsContentError`: the caller then loads the file with skops, whose type allow-list
  decides, exactly as before. Nothing in the file is ever imported or called.

What reading may allocate is bounded, not only what the zip declares (``_files``' size check
counts each member once, while a schema can name one member many times, or build an object
array from one shared row): ``schema.json`` is at most :data:`MAX_SCHEMA_BYTES`; every array
member is a real ``.npy`` whose header matches its size, read at most once; an object array's
shape matches its items, each row a list of its own; and the arrays made (their bytes, 8 bytes
per object-array element) stay within ``max_model_bytes()``. Before a file goes to skops, which
has none of these bounds, the same is checked of what skops would read (:func:`_check_for_skops`).
A file breaking a bound raises :class:`~narratives.ModelIntegrityError`, never
:class:`SkopsContentError`, and so does running out of memory: skops would try the same.
"""

from __future__ import annotations

import contextlib
import json
import math
import zipfile
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from .._exceptions import ModelIntegrityError
from ._files import max_model_bytes

__all__ = ["MAX_SCHEMA_BYTES", "PROTOCOL", "SkopsContentError", "read_skops"]

#: The skops protocol this reader follows (skops 0.10 to 0.16 write it).
PROTOCOL = 2

#: The largest ``schema.json`` read (uncompressed). The default model's is 3.2 MB, most of it
#: the taxonomy (saved once per step) and the label models' parameters: ten times that leaves
#: room for far larger taxonomies, while parsing a hostile schema (up to about 20 bytes of
#: objects per byte of JSON) stays under a gigabyte.
MAX_SCHEMA_BYTES = 32 << 20


class SkopsContentError(Exception):
    """The file holds something this reader does not read; load it with skops instead."""


class _Refused(Exception):
    """The file would make more than its size allows: a model error, not a matter for skops."""


#: Types a node may name (``TypeNode``): dict key types, ``dtype=np.float32`` parameters.
_TYPES: dict[str, type] = {
    **{f"builtins.{t.__name__}": t for t in (str, int, float, bool, list, dict, tuple)},
    **{
        f"numpy.{name}": getattr(np, name)
        for name in (
            "float16",
            "float32",
            "float64",
            "int8",
            "int16",
            "int32",
            "int64",
            "uint8",
            "uint16",
            "uint32",
            "uint64",
            "bool_",
        )
    },
}
#: Dict key types (a key is converted with its type, as skops does).
_KEY_TYPES = {str, int, float}
#: Scalar types an array node may stand for (a numpy scalar saved as a 0-d array).
_SCALARS = {k: v for k, v in _TYPES.items() if k.startswith("numpy.")}

_BUILDING = object()  # in the memo while a node's children are read: a cycle is refused

_NPY_MAGIC = b"\x93NUMPY"
_NPY_HEADERS = {
    (1, 0): np.lib.format.read_array_header_1_0,
    (2, 0): np.lib.format.read_array_header_2_0,
}


def read_skops(path: Path, resolve: Callable[[str], type | None]) -> Any:
    """The object saved in the skops file ``path``. An object node of the class path ``p`` is
    made (as skops makes it) only when ``resolve(p)`` gives a class; None refuses it.

    Raises :class:`SkopsContentError` for anything outside the restricted format, and
    :class:`~narratives.ModelIntegrityError` for a file that would take more memory than its
    size allows (see the module's notes)."""
    budget = max_model_bytes()
    try:
        with zipfile.ZipFile(path) as zf:
            schema = _schema(zf)
            try:
                protocol = schema.get("protocol")
                if isinstance(protocol, bool) or protocol != PROTOCOL:
                    raise SkopsContentError(f"skops protocol {protocol!r}")
                return _Reader(zf, resolve, budget).node(schema)
            except (_Refused, MemoryError):
                raise
            except Exception:  # the file goes to skops: first, what skops would make is bounded
                _check_for_skops(zf, schema)
                raise
    except SkopsContentError:
        raise
    except _Refused as exc:
        raise ModelIntegrityError(f"model {path.parent}: {path.name} {exc}") from None
    except MemoryError:  # skops would need as much: not a reason to try it
        raise ModelIntegrityError(
            f"model {path.parent}: {path.name} does not fit in memory"
        ) from None
    except Exception as exc:  # a broken zip, JSON or array, a state its class refuses...
        # ... is for skops to report: the caller loads the file with it.
        raise SkopsContentError(f"{type(exc).__name__}: {exc}"[:200]) from None


def _schema(zf: zipfile.ZipFile) -> dict[str, Any]:
    size = zf.getinfo("schema.json").file_size
    if size > MAX_SCHEMA_BYTES:
        raise _Refused(
            f"has a schema of {size:,} bytes, more than the limit of {MAX_SCHEMA_BYTES:,}"
        )
    schema = json.loads(zf.read("schema.json"))
    if not isinstance(schema, dict):
        raise SkopsContentError("schema.json is not an object")
    return schema


def _npy_size(zf: zipfile.ZipFile, name: str) -> int | None:
    """The data size of the array member ``name``, refused unless it is a ``.npy`` file
    (``numpy.load`` would also open a zip, undecompressed, whose members no size check has
    seen) whose data is exactly the size its header declares (numpy allocates that size before
    reading); None for a pickled (object) array, which neither this reader nor skops loads."""
    info = zf.getinfo(name)
    with zf.open(info) as fh:
        magic = fh.read(len(_NPY_MAGIC) + 2)
        read_header = _NPY_HEADERS.get(tuple(magic[-2:]))
        if not magic.startswith(_NPY_MAGIC) or read_header is None:
            raise _Refused(f"has an array member {name[:60]!r} that is not a .npy file (1.0, 2.0)")
        shape, _, dtype = read_header(fh)
        if dtype.hasobject:
            return None
        nbytes = math.prod(shape) * dtype.itemsize
        if nbytes != info.file_size - fh.tell():
            raise _Refused(
                f"has an array member {name[:60]!r} whose header does not match its size"
            )
        return nbytes


def _check_for_skops(zf: zipfile.ZipFile, schema: dict[str, Any]) -> None:
    """Refuse what would make skops allocate more than the file holds. skops reads a member for
    every node naming it that does not repeat an earlier node's id, ``numpy.load``s array
    members (see :func:`_npy_size`), ``scipy.sparse.load_npz``s sparse ones (zips) and makes an
    object array with ``np.array(items)``, which copies a shared row (or an array) once per
    reference. The schema is walked as JSON, in no particular order, so the checks are
    conservative: a member named under two ids, a zip as a member, an array member whose header
    does not match its size, or an array or a shared container inside an object array."""
    ids: Counter[Any] = Counter()
    members: dict[str, set[Any]] = {}
    object_arrays = []
    for node in _nodes(schema):
        key = _memo_key(node) or object()  # a node without an id is never a repeat
        ids[key] += 1
        if isinstance(node.get("file"), str):
            members.setdefault(node["file"], set()).add((key, node["__loader__"]))
        if node["__loader__"] == "NdArrayNode" and node.get("type") == "json":
            object_arrays.append(node)
    for name, named in members.items():
        if len({key for key, _ in named}) > 1:
            raise _Refused(f"names the member {name[:60]!r} twice")
    for array in object_arrays:
        for node in _nodes(array.get("content")):
            shared = ids[_memo_key(node)] > 1
            scalar = node["__loader__"] == "JsonNode" and str(node.get("content"))[:1] not in "[{"
            if node["__loader__"] == "NdArrayNode" or (shared and not scalar):
                raise _Refused("has an object array holding an array or a shared row")
    present = set(zf.namelist())
    for name, named in members.items():
        if name not in present:  # skops stops there
            continue
        with zf.open(name) as fh:
            if fh.read(2) == b"PK":
                raise _Refused(f"has a member {name[:60]!r} that is itself a zip archive")
        if any(loader == "NdArrayNode" for _, loader in named):
            with contextlib.suppress(ValueError):  # a broken header: numpy.load refuses it
                _npy_size(zf, name)


def _memo_key(node: dict[str, Any]) -> Any:
    """The key skops memoizes ``node`` under (a truthy id), or None."""
    sid = node.get("__id__")
    return sid if sid and isinstance(sid, int | float | str) else None


def _nodes(tree: Any) -> Iterator[dict[str, Any]]:
    """The nodes (dicts with a ``__loader__``) in ``tree``, however deep (no recursion)."""
    stack = [tree]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, dict):
            stack.extend(item.values())
            if isinstance(item.get("__loader__"), str):
                yield item


def _make(cls: type, state: dict[str, Any] | None) -> Any:
    """An instance of ``cls`` with ``state``, made as skops makes it."""
    instance = cls.__new__(cls)
    if state is not None:
        if hasattr(instance, "__setstate__"):
            instance.__setstate__(state)
        else:
            instance.__dict__.update(state)
    return instance


class _Reader:
    def __init__(self, zf: zipfile.ZipFile, resolve: Callable[[str], type | None], budget: int):
        self.zf, self.resolve = zf, resolve
        # skops memoizes every node that has an __id__: a later node with the same id is the
        # same object (the taxonomy dict the three steps share, None, small ints...).
        self.memo: dict[Any, Any] = {}
        # What the arrays made may still take (bytes); the members already read (skops writes
        # each array once: a second node naming a member would be a second copy of it).
        self.budget, self.limit = budget, budget
        self.members_read: set[str] = set()

    def node(self, state: Any) -> Any:
        if not isinstance(state, dict):
            raise SkopsContentError("a node is not an object")
        sid = state.get("__id__")
        if sid and sid in self.memo:
            value = self.memo[sid]
            if value is _BUILDING:
                raise SkopsContentError("a node contains itself")
            return value
        kind = _KINDS.get(state.get("__loader__"))
        cls, module = state.get("__class__"), state.get("__module__")
        if kind is None or not (isinstance(cls, str) and isinstance(module, str)):
            raise SkopsContentError(f"node kind {str(state.get('__loader__'))[:40]!r}")
        if sid:
            self.memo[sid] = _BUILDING
        value = kind(self, state, f"{module}.{cls}")
        if sid:
            self.memo[sid] = value
        return value

    def _object(self, state: dict[str, Any], path: str) -> Any:
        cls = self.resolve(path)  # before its state is read: a refused class costs nothing
        if cls is None:
            raise SkopsContentError(f"type {path[:80]}")
        content = state.get("content")
        attrs = None if content is None else self.node(content)
        if attrs is not None and not isinstance(attrs, dict):
            raise SkopsContentError(f"the state of {path} is not a dict")
        return _make(cls, attrs)

    def _dict(self, state: dict[str, Any], path: str) -> dict[Any, Any]:
        if path != "builtins.dict" or not isinstance(state.get("content"), dict):
            raise SkopsContentError(f"dict node of {path}")
        key_types = self.node(state.get("key_types"))
        if not isinstance(key_types, list) or not all(t in _KEY_TYPES for t in key_types):
            raise SkopsContentError("dict keys of an unsupported type")
        values = [(key, self.node(value)) for key, value in state["content"].items()]
        # zip as skops does: keys beyond the key types are dropped
        return {k_type(key): value for k_type, (key, value) in zip(key_types, values, strict=False)}

    def _items(self, state: dict[str, Any], path: str, expected: str) -> list[Any]:
        content = state.get("content")
        if path != expected or not isinstance(content, list):
            raise SkopsContentError(f"sequence node of {path}")
        return [self.node(value) for value in content]

    def _list(self, state: dict[str, Any], path: str) -> list[Any]:
        return self._items(state, path, "builtins.list")

    def _tuple(self, state: dict[str, Any], path: str) -> tuple[Any, ...]:
        return tuple(self._items(state, path, "builtins.tuple"))

    def _json(self, state: dict[str, Any], path: str) -> Any:
        content = state.get("content")
        if not isinstance(content, str):
            raise SkopsContentError("JSON node without JSON text")
        return json.loads(content)

    def _type(self, state: dict[str, Any], path: str) -> type:
        if path not in _TYPES:
            raise SkopsContentError(f"type {path[:80]}")
        return _TYPES[path]

    def _array(self, state: dict[str, Any], path: str) -> Any:
        kind = state.get("type")
        if kind == "numpy":
            name = state.get("file")
            if not isinstance(name, str):
                raise SkopsContentError("array node without a file")
            if path != "numpy.ndarray" and path not in _SCALARS:
                raise SkopsContentError(f"array of {path[:80]}")
            content = self._npy(name)
            if path == "numpy.ndarray":
                return content
            if content.shape != ():  # the scalar type would convert (copy) a whole array
                raise SkopsContentError(f"{path[:80]} saved with the shape {content.shape}")
            return _SCALARS[path](content)
        if kind == "json" and path == "numpy.ndarray":  # an object array, saved item by item
            items = self._items({"content": state.get("content")}, "builtins.list", "builtins.list")
            shape = self.node(state.get("shape"))
            if not (
                isinstance(shape, tuple)
                and shape
                and all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in shape)
            ):
                raise SkopsContentError("object array without a shape")
            return self._object_array(items, shape)
        raise SkopsContentError(f"array node of kind {str(kind)[:20]!r}")

    def _spend(self, nbytes: int) -> None:
        if nbytes > self.budget:
            raise _Refused(
                f"makes arrays of more than {self.limit:,} bytes, the limit (set "
                "NARRATIVES_MAX_MODEL_BYTES to allow larger models)"
            )
        self.budget -= nbytes

    def _npy(self, name: str) -> np.ndarray:
        """The array in the member ``name``, read once (see :func:`_npy_size`)."""
        if name in self.members_read:
            raise _Refused(f"names the member {name[:60]!r} twice")
        self.members_read.add(name)
        nbytes = _npy_size(self.zf, name)
        if nbytes is None:
            raise SkopsContentError("a pickled (object) array")
        self._spend(nbytes)
        with self.zf.open(name) as fh:
            return np.lib.format.read_array(fh, allow_pickle=False)

    def _object_array(self, items: list[Any], shape: tuple[int, ...]) -> np.ndarray:
        """The object array of ``shape`` holding ``items`` (nested lists, one level per
        dimension). skops makes a multi-dimensional one with ``np.array(items)``, which copies
        every row, a row shared through the memo once per reference; here the nesting must
        match the shape and each row be a list of its own, checked before anything is
        allocated, so the array holds what the file spells out."""
        rows = [items]
        for depth, n in enumerate(shape):
            if depth:  # the rows one level down (each a list of its own, checked first)
                rows = [value for row in rows for value in row]
            if not all(isinstance(row, list) and len(row) == n for row in rows):
                raise _Refused("has an object array whose shape does not match its items")
            if len({id(row) for row in rows}) != len(rows):
                raise _Refused("has an object array that repeats a row")
        self._spend(math.prod(shape) * np.dtype(object).itemsize)
        out = np.empty(shape, dtype=object)
        if out.size:
            flat = out.reshape(len(rows), shape[-1])  # a view: the last rows, in order
            for i, row in enumerate(rows):
                for j, value in enumerate(row):
                    flat[i, j] = value
        return out


#: The reader of each node kind (a table of the class's functions, not of bound methods: those
#: would make every reader a reference cycle, and what it made would outlive an error until the
#: next garbage collection, through a fallback to another reader).
_KINDS: dict[str, Callable[[_Reader, dict[str, Any], str], Any]] = {
    "ObjectNode": _Reader._object,
    "DictNode": _Reader._dict,
    "ListNode": _Reader._list,
    "TupleNode": _Reader._tuple,
    "JsonNode": _Reader._json,
    "TypeNode": _Reader._type,
    "NdArrayNode": _Reader._array,
}
