"""Set-based scores shared by the evaluation harness and the notebook helpers."""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["set_f1"]


def set_f1(gold: Iterable[str], pred: Iterable[str]) -> float:
    """F1 between a gold and a predicted label set: ``2|G∩P| / (|G| + |P|)``; two empty sets agree."""
    g, p = set(gold), set(pred)
    return 1.0 if not g and not p else 2 * len(g & p) / (len(g) + len(p))
