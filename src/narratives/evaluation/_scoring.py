"""Every metric from gold and predicted label sets, and the SemEval-2025 Task 10 file scorer."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .._exceptions import InputError
from .._internal.cells import as_list
from .._taxonomy import Taxonomy
from ._metrics import (
    binarize,
    calibration_scores,
    f1_per_document,
    label_space,
    normalise_sets,
    set_scores,
    stance_scores,
)
from ._systems import model_predictions

__all__ = ["gold_coarse", "predict_sets", "score_predictions", "score_semeval_files"]


def _pad(P: np.ndarray | None, n_cols: int) -> np.ndarray | None:
    """Scores for the taxonomy's labels, padded with zero columns for labels it does not know."""
    if P is None:
        return None
    P = np.asarray(P, dtype=float)
    if P.shape[1] < n_cols:
        P = np.hstack([P, np.zeros((P.shape[0], n_cols - P.shape[1]))])
    return P


@dataclass(frozen=True)
class Level:
    """One level (fine or coarse) to score: gold and predicted label sets, the label space and,
    optionally, scores (n_documents, n_labels) in label-space order."""

    gold: list[list[str]]
    pred: list[list[str]]
    labels: list[str]
    proba: np.ndarray | None = None


def _score(
    fine_level: Level,
    coarse_level: Level,
    none: str,
    probabilistic: bool = True,
    gold_stance: list[Any] | None = None,
    pred_stance: list[Any] | None = None,
) -> dict[str, Any]:
    gold_f, labels_f = fine_level.gold, fine_level.labels
    gold_c, labels_c = coarse_level.gold, coarse_level.labels
    Pf, Pc = _pad(fine_level.proba, len(labels_f)), _pad(coarse_level.proba, len(labels_c))
    fine = set_scores(gold_f, fine_level.pred, labels_f, none, Pf)
    coarse = set_scores(gold_c, coarse_level.pred, labels_c, none, Pc)
    out: dict[str, Any] = {"n_documents": len(gold_f)}
    for key in (
        "f1_samples",
        "f1_macro",
        "f1_micro",
        "f1_samples_std",
        "hamming_loss",
        "subset_accuracy",
        "map",
    ):
        for level, res in (("fine", fine), ("coarse", coarse)):
            if key in res:
                out[f"{key}_{level}"] = res[key]
    out["per_label_fine"] = fine["per_label"]
    out["per_label_coarse"] = coarse["per_label"]
    out["none_label_fine"] = fine["none_label"]
    out["none_label_coarse"] = coarse["none_label"]
    if probabilistic:
        if Pf is not None:
            out["calibration_fine"] = calibration_scores(
                binarize(normalise_sets(gold_f, none), labels_f), Pf
            )
        if Pc is not None:
            out["calibration_coarse"] = calibration_scores(
                binarize(normalise_sets(gold_c, none), labels_c), Pc
            )
    if gold_stance is not None and pred_stance is not None:
        st = stance_scores(gold_stance, pred_stance)
        if st is not None:
            out["stance"] = st
            if st["accuracy"] is not None:
                out["stance_accuracy"] = st["accuracy"]
                out["stance_n"] = st["n"]
    return out


def score_predictions(
    gold_fine: list[list[str]],
    pred_fine: list[list[str]],
    gold_coarse: list[list[str]],
    pred_coarse: list[list[str]],
    taxonomy: Taxonomy,
    gold_stance: list[Any] | None = None,
    pred_stance: list[Any] | None = None,
    proba_fine: np.ndarray | None = None,
    proba_coarse: np.ndarray | None = None,
) -> dict[str, Any]:
    """Every metric from gold and predicted label sets (pure; returns a dict).

    Sets may hold the none label or be empty (both mean "no label"). Gold labels outside the
    taxonomy stay in the label space and count as misses (SemEval's rule). ``proba_*`` are scores
    in taxonomy label order and add average precision and calibration.

    Returns ``f1_samples_fine``, ``f1_samples_coarse``, ``f1_macro_*``, ``f1_micro_*``,
    ``f1_samples_std_*``, ``hamming_loss_*``, ``subset_accuracy_*``, ``map_*`` (with scores),
    ``per_label_fine``/``per_label_coarse``, ``none_label_*``, ``calibration_*`` (with scores) and,
    with gold stance, ``stance`` and ``stance_accuracy``.
    """
    none = taxonomy.none_label
    lf = label_space(taxonomy.fine_labels, gold_fine, pred_fine, none=none)
    lc = label_space(taxonomy.coarse_labels, gold_coarse, pred_coarse, none=none)
    return _score(
        Level(gold_fine, pred_fine, lf, proba_fine),
        Level(gold_coarse, pred_coarse, lc, proba_coarse),
        none,
        True,
        gold_stance,
        pred_stance,
    )


def _read_annotations(path: Path) -> dict[str, tuple[list[str], list[str]]]:
    out: dict[str, tuple[list[str], list[str]]] = {}
    for lineno, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        parts = line.rstrip("\n").split("\t")
        if len(parts) != 3:
            raise InputError(
                f"{path}:{lineno}: expected id<TAB>narratives<TAB>subnarratives, found {len(parts)} fields"
            )
        out[parts[0].strip()] = (as_list(parts[1], strict=True), as_list(parts[2], strict=True))
    return out


def score_semeval_files(gold: str | Path, pred: str | Path, none: str = "Other") -> dict[str, Any]:
    """Score a SemEval-2025 Task 10 subtask-2 prediction file against a gold annotation file.

    Both files: ``id<TAB>narratives<TAB>subnarratives`` with ``;``-joined labels. Headline numbers
    follow the official scorer: per-document F1 between the sets exactly as written (``Other``
    included), mean and standard deviation over the gold documents, coarse and fine. Gold labels the
    system never predicts count as misses; a gold document without a prediction scores 0. Micro and
    macro F1, Hamming loss and per-label scores run over every label seen in either file.
    """
    g, p = _read_annotations(Path(gold)), _read_annotations(Path(pred))
    ids = list(g)
    missing = [i for i in ids if i not in p]
    gf = [g[i][1] for i in ids]
    gc = [g[i][0] for i in ids]
    pf = [p[i][1] if i in p else [] for i in ids]
    pc = [p[i][0] if i in p else [] for i in ids]
    lf = label_space([], gf, pf, none=none)
    lc = label_space([], gc, pc, none=none)
    res = _score(Level(gf, pf, lf), Level(gc, pc, lc), none)
    f1f, f1c = f1_per_document(gf, pf), f1_per_document(gc, pc)
    res.update(
        f1_samples_fine=float(f1f.mean()) if len(f1f) else 0.0,
        f1_samples_coarse=float(f1c.mean()) if len(f1c) else 0.0,
        f1_samples_std_fine=float(f1f.std()) if len(f1f) else 0.0,
        f1_samples_std_coarse=float(f1c.std()) if len(f1c) else 0.0,
        missing_predictions=missing,
        extra_predictions=[i for i in p if i not in g],
    )
    return res


# --------------------------------------------------------------------------- prediction
def predict_sets(
    model: Any, texts: list[str], unit: str = "document"
) -> tuple[list[list[str]], list[list[str]], list[str]]:
    """Fine labels, coarse labels and stance per text at document level (none label removed)."""
    p = model_predictions(model, list(texts))
    return p.fine, p.coarse, list(p.stance or [])


def gold_coarse(
    frames: list[list[str]], families: list[list[str]] | None, taxonomy: Taxonomy
) -> list[list[str]]:
    """Gold coarse sets: the ``families`` column when given, else the parents of the known frames."""
    none = taxonomy.none_label
    if families is not None:
        return normalise_sets(families, none)
    parents = taxonomy._parents
    out = []
    for f in frames:
        fams = {parents[x] for x in f if x in parents}
        out.append([c for c in taxonomy.coarse_labels if c in fams])
    return out
