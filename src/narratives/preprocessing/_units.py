"""The records preprocessing produces: :class:`Processed` units, :class:`Passage` windows and
:class:`Segmented` documents (no spaCy, no scikit-learn: the lean tagging path imports them)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from .._taxonomy import Taxonomy
from ._dedup import exact_key

__all__ = ["Passage", "Processed", "Segmented", "text_hash"]


@dataclass(slots=True)
class Processed:
    """What the feature extractor needs from one unit of text (a passage or a document)."""

    tokens: str = ""
    text: str = ""
    cues: dict[str, int] = field(default_factory=dict)
    actors: dict[str, int] = field(default_factory=dict)
    stance: dict[str, int] = field(default_factory=dict)
    n_words: int = 0
    lang: str = "en"
    #: (match id, original start, original end) for evidence.
    hits: list[tuple[str, int, int]] = field(default_factory=list)


@dataclass(slots=True)
class Passage:
    """A window of sentences with offsets into the ORIGINAL text."""

    index: int
    start: int
    end: int
    kind: str  # "text" | "heading" | "boilerplate"
    processed: Processed
    sentences: list[tuple[int, int]] = field(default_factory=list)
    #: A text passage in one of the languages the preprocessor was fitted for.
    taggable: bool = False


@dataclass(slots=True)
class Segmented:
    """A document split into passages, plus the document-level unit."""

    passages: list[Passage]
    document: Processed
    n_chars: int
    truncated: bool = False
    #: The document's language is one the preprocessor was fitted for.
    supported: bool = True

    @property
    def key(self) -> str:
        """Exact-duplicate key of the document text (computed on demand: tagging never needs it)."""
        return exact_key(self.document.text) if self.document.text else ""


def _as_taxonomy(taxonomy: Any) -> Taxonomy:
    if taxonomy is None:
        return Taxonomy.default()
    if isinstance(taxonomy, Taxonomy):
        return taxonomy
    if isinstance(taxonomy, dict):
        return Taxonomy.from_dict(taxonomy)
    return Taxonomy.load(taxonomy)


def text_hash(texts: Iterable[str]) -> str:
    """Order-sensitive SHA-256 over texts (training-data fingerprint)."""
    h = hashlib.sha256()
    for t in texts:
        h.update(t.encode("utf-8", "surrogatepass"))
        h.update(b"\x00")
    return h.hexdigest()
