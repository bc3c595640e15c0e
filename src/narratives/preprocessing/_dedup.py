"""Exact and near-duplicate keys (hash + MinHash/LSH from datasketch)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from datasketch import MinHash

__all__ = ["exact_key", "minhash", "near_duplicate_groups"]

_WORD = re.compile(r"\w+", re.U)
NUM_PERM = 64


def _words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def exact_key(text: str) -> str:
    """Hash of the lower-cased word sequence: equal for copies that differ only in spacing,
    punctuation or case."""
    return hashlib.blake2b(" ".join(_words(text)).encode(), digest_size=12).hexdigest()


def _shingles(text: str, k: int = 3) -> list[bytes]:
    w = _words(text)
    if len(w) < k:
        return [" ".join(w).encode()] if w else [b""]
    return [" ".join(w[i : i + k]).encode() for i in range(len(w) - k + 1)]


def minhash(text: str, num_perm: int = NUM_PERM, seed: int = 1) -> MinHash:
    """MinHash of word 3-shingles."""
    # datasketch (with the scipy.integrate it imports) only when near-duplicates are looked for:
    # tagging without --dedup never needs it.
    from datasketch import MinHash

    m = MinHash(num_perm=num_perm, seed=seed)
    m.update_batch(_shingles(text))
    return m


def near_duplicate_groups(texts: Sequence[str], threshold: float = 0.7) -> np.ndarray:
    """Cluster ids such that texts with estimated Jaccard >= ``threshold`` share a cluster.

    Exact copies always share a cluster. Clusters are connected components of the LSH graph,
    numbered by first appearance.

    Examples
    --------
    >>> near_duplicate_groups(["a b c d e f", "A b c d e f!", "something else entirely"]).tolist()
    [0, 0, 1]
    """
    n = len(texts)
    parent = list(range(n))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def union(i: int, j: int) -> None:
        ri, rj = find(i), find(j)
        if ri != rj:
            parent[max(ri, rj)] = min(ri, rj)

    from datasketch import MinHashLSH

    by_key: dict[str, int] = {}
    lsh = MinHashLSH(threshold=threshold, num_perm=NUM_PERM)
    for i, t in enumerate(texts):
        key = exact_key(t)
        if key in by_key:
            union(i, by_key[key])
            continue
        by_key[key] = i
        m = minhash(t)
        for j in lsh.query(m):
            union(i, int(j))
        lsh.insert(str(i), m)
    roots = [find(i) for i in range(n)]
    remap: dict[int, int] = {}
    return np.array([remap.setdefault(r, len(remap)) for r in roots], dtype=np.int64)
