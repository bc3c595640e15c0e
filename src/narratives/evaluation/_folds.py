"""Group-aware folds: near-duplicates and same-group texts never span two folds."""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from .._exceptions import InputError
from ..preprocessing import near_duplicate_groups

__all__ = ["make_folds"]


def _components(n: int, key_lists: list[list[Any]]) -> np.ndarray:
    """Group ids (numbered in order of first appearance) of the connected components of "same key
    in one of ``key_lists``"; missing keys (None, NaN) link nothing."""
    rows, cols = [], []
    for keys in key_lists:
        first: dict[Any, int] = {}
        for i, key in enumerate(keys):
            if key is None or (isinstance(key, float) and key != key):
                continue
            rows.append(first.setdefault(key, i))
            cols.append(i)
    graph = coo_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    _, first_seen, inverse = np.unique(labels, return_index=True, return_inverse=True)
    order = np.argsort(np.argsort(first_seen))  # label rank by first appearance
    return order[inverse].astype(int)


def make_folds(
    texts: list[str],
    k: int,
    seed: int = 0,
    groups: list[Any] | np.ndarray | None = None,
    dedup_threshold: float = 0.7,
) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
    """Assign texts to ``k`` folds so that no group spans two folds.

    A group is a connected component of "near-duplicate of" (MinHash, Jaccard >= ``dedup_threshold``)
    and "same value in ``groups``" (e.g. the source or outlet). Groups are shuffled with ``seed``,
    then placed largest first into the fold with the fewest texts.

    Returns
    -------
    fold : array (n,) of fold ids, group : array (n,) of group ids, info : dict
    """
    n = len(texts)
    if k < 2:
        raise InputError(f"cross-validation needs at least 2 folds, not {k}")
    dup = near_duplicate_groups(texts, threshold=dedup_threshold)
    group = _components(n, [dup.tolist(), *([list(groups)] if groups is not None else [])])
    n_groups = int(group.max()) + 1 if n else 0
    if n_groups < k:
        raise InputError(
            f"only {n_groups} independent groups of texts (near-duplicates and --group-column values "
            f"kept together); {k} folds need at least {k}"
        )
    sizes = np.bincount(group)
    rng = np.random.default_rng(seed)
    order = rng.permutation(n_groups)
    order = order[np.argsort(-sizes[order], kind="stable")]
    fold_of_group = np.zeros(n_groups, dtype=int)
    load = np.zeros(k, dtype=int)
    for gi in order:
        f = int(np.argmin(load))
        fold_of_group[gi] = f
        load[f] += sizes[gi]
    dup_sizes = Counter(dup.tolist())
    info = {
        "n_groups": n_groups,
        "near_duplicate_threshold": dedup_threshold,
        "near_duplicate_clusters": sum(1 for c in dup_sizes.values() if c > 1),
        "texts_in_near_duplicate_clusters": sum(c for c in dup_sizes.values() if c > 1),
        "largest_group": int(sizes.max()) if n else 0,
        "fold_sizes": load.tolist(),
    }
    return fold_of_group[group], group, info
