"""Package names imported on first use (PEP 562 module ``__getattr__``).

The stages' packages name their scikit-learn estimators lazily, so that the modules tagging
needs (records, segmenter, transforms, decisions) import without scikit-learn: tagging one
document with a saved model then does not pay its second of imports (issue 15).
``from narratives.model import NarrativeClassifier`` works as before.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Iterable
from typing import Any

__all__ = ["lazy_names"]


def lazy_names(
    package: str, where: dict[str, str], public: Iterable[str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``(__getattr__, __dir__)`` for ``package``: each name in ``where`` is imported from its
    module (relative to ``package``) on first use, then kept as a plain attribute."""
    public = tuple(public)

    def __getattr__(name: str) -> Any:
        module = where.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module, package), name)
        setattr(sys.modules[package], name, value)  # later look-ups skip this function
        return value

    def __dir__() -> list[str]:
        return sorted(set(vars(sys.modules[package])) | set(public))

    return __getattr__, __dir__
