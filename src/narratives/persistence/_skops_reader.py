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
  arrays are read by ``numpy.load(allow_pickle=False)``;
- anything else (another node kind, class or protocol, a malformed schema) raises
  :class:`SkopsContentError`: the caller then loads the file with skops, whose type allow-list
  decides, exactly as before. Nothing in the file is ever imported or called.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["PROTOCOL", "SkopsContentError", "read_skops"]

#: The skops protocol this reader follows (skops 0.10 to 0.16 write it).
PROTOCOL = 2


class SkopsContentError(Exception):
    """The file holds something this reader does not read; load it with skops instead."""


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


def read_skops(path: Path, resolve: Callable[[str], type | None]) -> Any:
    """The object saved in the skops file ``path``. An object node of the class path ``p`` is
    made (as skops makes it) only when ``resolve(p)`` gives a class; None refuses it. Raises
    :class:`SkopsContentError` for anything outside the restricted format."""
    try:
        with zipfile.ZipFile(path) as zf:
            schema = json.loads(zf.read("schema.json"))
            if not isinstance(schema, dict):
                raise SkopsContentError("schema.json is not an object")
            protocol = schema.get("protocol")
            if isinstance(protocol, bool) or protocol != PROTOCOL:
                raise SkopsContentError(f"skops protocol {protocol!r}")
            return _Reader(zf, resolve).node(schema)
    except SkopsContentError:
        raise
    except Exception as exc:  # a broken zip, JSON or array, a state its class refuses...
        # ... is for skops to report: the caller loads the file with it.
        raise SkopsContentError(f"{type(exc).__name__}: {exc}"[:200]) from None


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
    def __init__(self, zf: zipfile.ZipFile, resolve: Callable[[str], type | None]):
        self.zf, self.resolve = zf, resolve
        # skops memoizes every node that has an __id__: a later node with the same id is the
        # same object (the taxonomy dict the three steps share, None, small ints...).
        self.memo: dict[Any, Any] = {}

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
            content = np.load(io.BytesIO(self.zf.read(name)), allow_pickle=False)
            if path == "numpy.ndarray":
                return content
            if path not in _SCALARS:
                raise SkopsContentError(f"array of {path[:80]}")
            return _SCALARS[path](content)
        if kind == "json" and path == "numpy.ndarray":  # an object array, saved item by item
            items = self._items({"content": state.get("content")}, "builtins.list", "builtins.list")
            shape = self.node(state.get("shape"))
            if not isinstance(shape, tuple):
                raise SkopsContentError("object array without a shape")
            if len(shape) == 1:
                out = np.ndarray(shape=len(items), dtype="O")
                for i, v in enumerate(items):
                    out[i] = v
                return out
            return np.array(items, dtype="O")
        raise SkopsContentError(f"array node of kind {str(kind)[:20]!r}")


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
