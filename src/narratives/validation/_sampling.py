"""Samples of a tagged corpus to annotate: ``validate``, ``uncertain`` and ``diverse``.

``validate``
    A stratified random sample for estimating the model's error and correcting prevalence.
    Strata: the unit's main predicted frame (the predicted frame furthest above its threshold)
    split into two score bands (just above the threshold / well above it), and the units with
    no frame split into ``near`` (some frame scores at least half its threshold) and ``far``.
    Every non-empty stratum gets at least two units (needed for a variance) when the budget
    allows; the rest is allocated in proportion to ``N_h * S_h`` (Neyman allocation), where
    ``S_h`` is the expected label standard deviation in the stratum computed from the model's
    own calibrated scores (sum over frames of ``s (1 - s)``, floored at 0.1 so that no stratum
    is starved when the scores are miscalibrated on a new corpus). Units are drawn by simple
    random sampling without replacement within each stratum, and each row records its
    inclusion probability ``n_h / N_h``; estimates weight rows by its inverse.
``uncertain``
    The units whose scores are nearest a decision threshold (on the logit scale), one per
    near-duplicate group, for improving the model (active learning). No inclusion probability:
    such a sample says nothing about prevalence.
``diverse``
    Covers the corpus: k-means++ seeding (D² sampling) on L2-normalised hashed word 1-2-gram
    TF-IDF features of the text together with the score vector; near-duplicates (MinHash, the
    tagger's own detector) are never both drawn.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from .._exceptions import InputError
from ._units import Units

__all__ = ["STRATEGIES", "draw_sample", "run_id", "strata"]

log = logging.getLogger(__name__)
STRATEGIES = ("validate", "uncertain", "diverse")
MIN_PER_STRATUM = 2


def run_id(fingerprint: str, strategy: str, n: int, seed: int, unit: str) -> str:
    return hashlib.sha256(f"{fingerprint}|{strategy}|{n}|{seed}|{unit}".encode()).hexdigest()[:12]


def _thresholds(labels: Sequence[str], thresholds: Mapping[str, float] | None) -> np.ndarray:
    thresholds = thresholds or {}
    return np.array([float(thresholds.get(f, 0.5)) for f in labels])


def strata(
    units: Units, thresholds: Mapping[str, float] | None = None, bands: bool = True
) -> np.ndarray:
    """The ``validate`` stratum of every unit: ``<frame>:high``/``<frame>:low`` (its main
    predicted frame, well above or just above the threshold) or ``none:near``/``none:far``."""
    S = units.score_matrix()
    P = units.predicted_matrix()
    thr = np.clip(_thresholds(units.labels, thresholds), 1e-6, 1 - 1e-6)
    ratio = S / thr
    out = np.empty(len(S), dtype=object)
    framed = P.any(axis=1)
    if framed.any():
        j = np.where(P, ratio, -np.inf).argmax(axis=1)
        rows = np.flatnonzero(framed)
        jj = j[rows]
        names = np.array(units.labels, dtype=object)[jj]
        if bands:
            mid = thr[jj] + (1 - thr[jj]) / 2
            band = np.where(S[rows, jj] >= mid, ":high", ":low")
            names = np.array([f"{a}{b}" for a, b in zip(names, band, strict=True)], dtype=object)
        out[rows] = names
    rest = np.flatnonzero(~framed)
    if len(rest):
        near = ratio[rest].max(axis=1, initial=0.0) >= 0.5
        out[rest] = np.where(near, "none:near", "none:far") if bands else "none"
    return out


def stratum_sds(units: Units, st: np.ndarray) -> dict[str, float]:
    """Expected label standard deviation per stratum from the model's scores (floored at 0.1)."""
    S = units.score_matrix()
    var = (S * (1 - S)).sum(axis=1)
    return {h: max(float(np.sqrt(var[st == h].mean())), 0.1) for h in np.unique(st)}


def stratified_draw(
    st: np.ndarray, sds: Mapping[str, float], n: int, rng
) -> tuple[np.ndarray, dict[str, int], dict[str, int]]:
    """Draw ``n`` unit indices: the allocation of :func:`_allocate`, simple random sampling without
    replacement within each stratum. Returns (indices, stratum sizes, stratum sample sizes)."""
    names, inv = np.unique(st, return_inverse=True)
    sizes = np.bincount(inv, minlength=len(names))
    alloc = _allocate(sizes, np.array([sds[h] for h in names]), n)
    chosen: list[int] = []
    for h in range(len(names)):
        if alloc[h]:
            idx = np.flatnonzero(inv == h)
            chosen.extend(rng.choice(idx, size=int(alloc[h]), replace=False).tolist())
    return (
        np.array(chosen, dtype=int),
        dict(zip(names.tolist(), sizes.tolist(), strict=True)),
        dict(zip(names.tolist(), alloc.tolist(), strict=True)),
    )


def _allocate(sizes: np.ndarray, sds: np.ndarray, n: int) -> np.ndarray:
    """Floor of MIN_PER_STRATUM per stratum (capped by its size); the rest of the budget in
    proportion to ``N_h * S_h`` among the strata that still have units left."""
    H = len(sizes)
    alloc = np.minimum(sizes, MIN_PER_STRATUM)
    if alloc.sum() > n:  # the floor does not fit: one per stratum (largest first), then the rest
        alloc = np.zeros(H, dtype=int)
        alloc[np.argsort(-sizes * sds, kind="stable")[:n]] = 1
    left = int(n - alloc.sum())
    while left > 0:
        room = sizes - alloc
        w = sizes * sds * (room > 0)
        if w.sum() <= 0:
            break
        share = w / w.sum() * left
        add = np.minimum(np.floor(share), room).astype(int)
        if add.sum() == 0:
            add[int(np.argmax(share))] = 1
        alloc += add
        left -= int(add.sum())
    return alloc


def draw_sample(
    units: Units,
    n: int,
    strategy: str = "validate",
    seed: int = 0,
    thresholds: Mapping[str, float] | None = None,
) -> pd.DataFrame:
    """Draw ``n`` units to annotate; returns the sample table (one row per unit, in a random
    order so that annotators do not see the strata in sequence).

    Columns: ``sample_id``, ``id``, (``passage``, ``start``, ``end``), ``text``,
    ``model_frames``, ``model_stances``, ``model_stance``, ``scores``, (``evidence``), the
    carried-through input columns, and the design: ``unit``, ``strategy``, ``run``,
    ``tags_fingerprint``, ``seed``, ``stratum``, ``stratum_size``, ``stratum_sample_size``,
    ``inclusion_probability`` (``validate`` only) and ``rank``.
    """
    if strategy not in STRATEGIES:
        raise InputError(f"unknown strategy {strategy!r}; use one of {', '.join(STRATEGIES)}")
    N = len(units.frame)
    if n < 1:
        raise InputError("the sample size --n must be at least 1")
    if n > N:
        raise InputError(f"cannot draw {n} {units.unit}s from a corpus of {N}")
    rng = np.random.default_rng(seed)
    df = units.frame
    design = pd.DataFrame(index=df.index)
    if strategy == "validate":
        st = strata(units, thresholds)
        if len(set(st)) * MIN_PER_STRATUM > n:  # too many strata for the budget: drop the bands
            st = strata(units, thresholds, bands=False)
        chosen, sizes, alloc = stratified_draw(st, stratum_sds(units, st), n, rng)
        design["stratum"] = st
        design["stratum_size"] = [sizes[h] for h in st]
        design["stratum_sample_size"] = [alloc[h] for h in st]
        design["inclusion_probability"] = design["stratum_sample_size"] / design["stratum_size"]
        log.info("validate sample: %d strata, allocation %s", len(sizes), alloc)
    elif strategy == "uncertain":
        chosen = _uncertain(units, n, thresholds, rng)
        design["stratum"] = None
    else:
        chosen = _diverse(units, n, rng)
        design["stratum"] = None
    if len(chosen) < n:
        log.warning(
            "only %d of %d requested units could be drawn (near-duplicates)", len(chosen), n
        )
    order = rng.permutation(len(chosen))
    chosen = chosen[order]
    out = df.iloc[chosen].copy()
    out = out.rename(
        columns={"frames": "model_frames", "stances": "model_stances", "stance": "model_stance"}
    )
    rid = run_id(units.fingerprint, strategy, n, seed, units.unit)
    for c in design.columns:
        out[c] = design[c].iloc[chosen].to_numpy()
    if strategy != "validate":
        for c in ("stratum_size", "stratum_sample_size", "inclusion_probability"):
            out[c] = None
    out["unit"] = units.unit
    out["strategy"] = strategy
    out["run"] = rid
    out["tags_fingerprint"] = units.fingerprint
    out["seed"] = seed
    out["rank"] = np.arange(len(out))
    return out.reset_index(drop=True)


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))


def _dedup_groups(units: Units) -> np.ndarray:
    if "text" not in units.frame.columns:
        return np.arange(len(units.frame))
    from ..preprocessing import near_duplicate_groups

    return np.asarray(near_duplicate_groups([str(t) for t in units.frame["text"]]))


def _uncertain(units: Units, n: int, thresholds, rng) -> np.ndarray:
    S = units.score_matrix()
    thr = _thresholds(units.labels, thresholds)
    dist = np.abs(_logit(S) - _logit(thr)).min(axis=1)
    tie = rng.random(len(dist))
    order = np.lexsort((tie, dist))
    groups = _dedup_groups(units)
    seen, chosen = set(), []
    for i in order:
        if groups[i] in seen:
            continue
        seen.add(groups[i])
        chosen.append(i)
        if len(chosen) == n:
            break
    return np.array(chosen, dtype=int)


def _features(units: Units):
    from scipy import sparse
    from sklearn.feature_extraction.text import HashingVectorizer, TfidfTransformer
    from sklearn.preprocessing import normalize

    S = units.score_matrix()
    parts = []
    if "text" in units.frame.columns:
        hv = HashingVectorizer(
            ngram_range=(1, 2), n_features=2**18, alternate_sign=False, norm=None
        )
        X = hv.transform(units.frame["text"].astype(str).tolist())
        X = normalize(TfidfTransformer(sublinear_tf=True).fit_transform(X))
        parts.append(X)
    parts.append(sparse.csr_matrix(normalize(S) * 0.5 if S.size else S))
    return normalize(sparse.hstack(parts).tocsr())


def _diverse(units: Units, n: int, rng) -> np.ndarray:
    """k-means++ seeding: each next unit drawn with probability proportional to its squared
    distance from the nearest unit already drawn; near-duplicates of drawn units are excluded."""
    X = _features(units)
    N = X.shape[0]
    groups = _dedup_groups(units)
    blocked = np.zeros(N, dtype=bool)
    d2 = np.full(N, np.inf)
    sq = np.asarray(X.multiply(X).sum(axis=1)).ravel()
    chosen: list[int] = []
    i = int(rng.integers(N))
    while True:
        chosen.append(i)
        blocked |= groups == groups[i]
        xi = X[i]
        dist = sq + sq[i] - 2 * np.asarray((X @ xi.T).todense()).ravel()
        d2 = np.minimum(d2, np.maximum(dist, 0.0))
        if len(chosen) == n:
            break
        w = np.where(blocked, 0.0, d2)
        if w.sum() <= 0:
            free = np.flatnonzero(~blocked)
            if not len(free):
                break
            i = int(rng.choice(free))
        else:
            i = int(rng.choice(N, p=w / w.sum()))
    return np.array(chosen, dtype=int)
