"""SemEval-2025 Task 10 conventions shared by the tagger's SemEval output and the evaluation."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .._taxonomy import Taxonomy

__all__ = ["semeval_frames"]


def semeval_frames(taxonomy: Taxonomy, frames: Iterable[str], families: Iterable[str]) -> list[str]:
    """The frames as a SemEval file holds them: each family among ``families`` without any of its
    frames adds its ``<family>: Other`` frame when the taxonomy has one (SemEval's subnarrative
    for a narrative without a specific one). Taxonomies without such frames get ``frames`` back.

    ``narratives tag -f semeval`` writes these sets and ``narratives evaluate`` scores them, so the
    two agree with the official scorer.
    """
    out = list(frames)
    fine = set(taxonomy.fine_labels)
    parents = taxonomy._parents
    for c in families:
        other = f"{c}: Other"
        if other in fine and not any(parents.get(f) == c for f in out):
            out.append(other)
    return out
