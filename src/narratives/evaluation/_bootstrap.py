"""Bootstrap confidence intervals over documents, and the paired bootstrap between two systems.

Documents are resampled with replacement; each resample is a vector of multinomial counts, so
every headline metric is a function of count-weighted per-document statistics and thousands of
resamples cost a few matrix products. The same seed gives the same intervals.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ._metrics import binarize, f1_per_document, normalise_sets

__all__ = ["LevelStats", "bootstrap_ci", "level_stats", "paired_bootstrap"]

# The metrics the paired bootstrap compares, per level (fine, coarse).
PAIRED_METRICS = ("f1_samples", "f1_micro", "f1_macro")
#: cells (resamples x documents) per weight block; bounds memory for large corpora
_BLOCK_CELLS = 4_000_000


@dataclass
class LevelStats:
    """Per-document statistics of one system at one level: per-document F1 and, per label, whether
    the document is a true positive, false positive or false negative."""

    labels: list[str]
    f1: np.ndarray  # (n,)
    tp: np.ndarray  # (n, L) 0/1
    fp: np.ndarray
    fn: np.ndarray

    @property
    def n(self) -> int:
        return len(self.f1)


def level_stats(
    gold: Sequence[Sequence[str]], pred: Sequence[Sequence[str]], labels: Sequence[str], none: str
) -> LevelStats:
    """:class:`LevelStats` for gold and predicted sets over the label space ``labels``."""
    g, p = normalise_sets(gold, none), normalise_sets(pred, none)
    G = binarize(g, labels).astype(bool)
    P = binarize(p, labels).astype(bool)
    i8 = np.int8
    return LevelStats(
        list(labels),
        f1_per_document(g, p),
        (G & P).astype(i8),
        (~G & P).astype(i8),
        (G & ~P).astype(i8),
    )


def _weights(n: int, n_boot: int, seed: int) -> Iterator[np.ndarray]:
    """Blocks of resampling weights (b, n): multinomial counts of each document in a resample."""
    rng = np.random.default_rng(seed)
    block = max(1, min(n_boot, _BLOCK_CELLS // max(n, 1)))
    done = 0
    while done < n_boot:
        b = min(block, n_boot - done)
        yield rng.multinomial(n, np.full(n, 1.0 / n), size=b).astype(np.float64)
        done += b


def _metrics_weighted(s: LevelStats, W: np.ndarray) -> dict[str, np.ndarray]:
    """Headline metrics for each weight row: f1_samples, f1_micro, f1_macro (b,) and per_label (b, L)."""
    n = W.sum(axis=1)
    tp, fp, fn = W @ s.tp, W @ s.fp, W @ s.fn
    den = 2 * tp + fp + fn
    with np.errstate(divide="ignore", invalid="ignore"):
        per = np.where(den > 0, 2 * tp / den, 0.0)
        used = den > 0
        macro = np.where(used.any(axis=1), (per * used).sum(axis=1) / used.sum(axis=1), 0.0)
        dsum = den.sum(axis=1)
        micro = np.where(dsum > 0, 2 * tp.sum(axis=1) / dsum, 0.0)
    return {"f1_samples": (W @ s.f1) / n, "f1_micro": micro, "f1_macro": macro, "per_label": per}


def _interval(d: np.ndarray, alpha: float) -> dict[str, float]:
    lo, hi = np.quantile(d, [alpha / 2, 1 - alpha / 2])
    return {"low": float(lo), "high": float(hi), "se": float(d.std(ddof=1)) if len(d) > 1 else 0.0}


def bootstrap_ci(
    levels: dict[str, LevelStats],
    n_boot: int = 1000,
    seed: int = 0,
    alpha: float = 0.05,
    per_label: bool = True,
) -> dict[str, Any]:
    """Percentile bootstrap intervals for the headline metrics of each level.

    Parameters
    ----------
    levels : dict
        ``{"fine": LevelStats, "coarse": LevelStats}`` for the same documents.
    n_boot : int
        Number of resamples (0 disables and returns an empty dict).
    seed : int
        Seeds the resampling; the same seed, documents and ``n_boot`` give identical intervals.
    alpha : float
        1 - confidence level.

    Returns
    -------
    dict
        ``{"f1_samples_fine": {"low", "high", "se"}, ..., "per_label_fine": {label: {...}}}``.
    """
    if not n_boot or not levels:
        return {}
    n = next(iter(levels.values())).n
    if n == 0:
        return {}
    dists: dict[str, list[np.ndarray]] = {}
    for W in _weights(n, n_boot, seed):
        for level, s in levels.items():
            for k, v in _metrics_weighted(s, W).items():
                dists.setdefault(f"{k}_{level}", []).append(v)
    out: dict[str, Any] = {}
    for key, parts in dists.items():
        d = np.concatenate(parts)
        if key.startswith("per_label_"):
            if per_label:
                level = key[len("per_label_") :]
                out[key] = {
                    lab: _interval(d[:, j], alpha) for j, lab in enumerate(levels[level].labels)
                }
        else:
            out[key] = _interval(d, alpha)
    return out


def paired_bootstrap(
    a: dict[str, LevelStats],
    b: dict[str, LevelStats],
    n_boot: int = 1000,
    seed: int = 0,
    alpha: float = 0.05,
) -> dict[str, dict[str, float]]:
    """Paired bootstrap of the difference ``a - b`` on the same documents.

    Both systems are scored on the same resamples. For each headline metric: the observed
    difference, its percentile interval, the share of resamples where ``a`` beats ``b`` and a
    two-sided p-value (twice the smaller tail share of resampled differences on either side of 0,
    with the usual +1 correction).
    """
    if not n_boot:
        return {}
    first = next(iter(a.values()))
    for level in a:
        if a[level].n != b[level].n or a[level].labels != b[level].labels:
            raise ValueError(f"paired bootstrap needs the same documents and label space ({level})")
    n = first.n
    full = np.ones((1, n))
    diffs: dict[str, list[np.ndarray]] = {}
    observed: dict[str, float] = {}
    for level in a:
        ma, mb = _metrics_weighted(a[level], full), _metrics_weighted(b[level], full)
        for k in PAIRED_METRICS:
            observed[f"{k}_{level}"] = float(ma[k][0] - mb[k][0])
    for W in _weights(n, n_boot, seed):
        for level in a:
            ma, mb = _metrics_weighted(a[level], W), _metrics_weighted(b[level], W)
            for k in PAIRED_METRICS:
                diffs.setdefault(f"{k}_{level}", []).append(ma[k] - mb[k])
    out = {}
    for key, parts in diffs.items():
        d = np.concatenate(parts)
        le, ge = int((d <= 0).sum()), int((d >= 0).sum())
        p = min(1.0, 2 * (min(le, ge) + 1) / (len(d) + 1))
        out[key] = {
            "diff": observed[key],
            **_interval(d, alpha),
            "a_better_share": float((d > 0).mean()),
            "p_value": p,
        }
    return out
