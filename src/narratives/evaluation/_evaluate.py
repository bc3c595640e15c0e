"""Scoring a model on labelled data, and leakage-free cross-validation against baselines.

:func:`evaluate` is pure: it returns one JSON-friendly dict (metrics, confidence intervals,
baselines, threshold tuning, error analysis, plot data, out-of-fold predictions). Writing files is
:func:`narratives.evaluation.write_report`'s job; the CLI only formats.
"""

from __future__ import annotations

import logging
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .._exceptions import InputError
from .._internal.cells import as_list
from .._internal.messages import not_found
from .._taxonomy import Taxonomy
from ..io import as_labelled
from ..preprocessing import near_duplicate_groups
from ._baselines import CrossFittedThresholds, make_baseline
from ._bootstrap import LevelStats, bootstrap_ci, level_stats, paired_bootstrap
from ._metrics import (
    binarize,
    calibration_scores,
    cooccurrence,
    f1_per_document,
    f1_samples,
    label_space,
    normalise_sets,
    precision_recall_curve,
    set_scores,
    stance_scores,
)
from ._systems import FixedModel, NarrativesSystem, Predictions, model_predictions
from ._thresholds import tune_thresholds

__all__ = [
    "DEFAULT_BASELINES",
    "cross_validate",
    "evaluate",
    "gold_coarse",
    "make_folds",
    "predict_sets",
    "score_predictions",
    "score_semeval_files",
]

log = logging.getLogger(__name__)

DEFAULT_BASELINES = ("majority", "cue_lexicon", "spacy_bow")
HEADLINE = (
    "f1_samples_fine",
    "f1_samples_coarse",
    "f1_macro_fine",
    "f1_macro_coarse",
    "f1_micro_fine",
    "f1_micro_coarse",
)
OURS = "narratives"


# ------------------------------------------------------------------------------- scoring
def _pad(P: np.ndarray | None, n_cols: int) -> np.ndarray | None:
    """Scores for the taxonomy's labels, padded with zero columns for labels it does not know."""
    if P is None:
        return None
    P = np.asarray(P, dtype=float)
    if P.shape[1] < n_cols:
        P = np.hstack([P, np.zeros((P.shape[0], n_cols - P.shape[1]))])
    return P


def _score(
    gold_f: list[list[str]],
    pred_f: list[list[str]],
    gold_c: list[list[str]],
    pred_c: list[list[str]],
    labels_f: list[str],
    labels_c: list[str],
    none: str,
    proba_f: np.ndarray | None = None,
    proba_c: np.ndarray | None = None,
    probabilistic: bool = True,
    gold_stance: list[Any] | None = None,
    pred_stance: list[Any] | None = None,
) -> dict[str, Any]:
    Pf, Pc = _pad(proba_f, len(labels_f)), _pad(proba_c, len(labels_c))
    fine = set_scores(gold_f, pred_f, labels_f, none, Pf)
    coarse = set_scores(gold_c, pred_c, labels_c, none, Pc)
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
        gold_fine,
        pred_fine,
        gold_coarse,
        pred_coarse,
        lf,
        lc,
        none,
        proba_fine,
        proba_coarse,
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
    res = _score(gf, pf, gc, pc, lf, lc, none)
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


# ------------------------------------------------------------------------------- folds
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
    parent = list(range(n))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def link(keys: Any) -> None:
        first: dict[Any, int] = {}
        for i, key in enumerate(keys):
            if key is None or (isinstance(key, float) and key != key):
                continue
            if key in first:
                a, b = find(i), find(first[key])
                if a != b:
                    parent[max(a, b)] = min(a, b)
            else:
                first[key] = i

    link(dup.tolist())
    if groups is not None:
        link(list(groups))
    roots = [find(i) for i in range(n)]
    remap: dict[int, int] = {}
    group = np.array([remap.setdefault(r, len(remap)) for r in roots], dtype=int)
    n_groups = len(remap)
    if n_groups < k:
        raise InputError(f"only {n_groups} independent groups of texts (near-duplicates and --group-column values "
                         f"kept together); {k} folds need at least {k}")  # fmt: skip
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


# ------------------------------------------------------------------------- the harness
def evaluate(
    model: Any = None,
    data: Any = None,
    *,
    cv: int | None = None,
    fmt: str = "auto",
    seed: int = 0,
    baselines: tuple[str, ...] | list[str] | None = None,
    group_column: str | None = None,
    taxonomy: Taxonomy | str | Path | None = None,
    n_bootstrap: int = 1000,
    alpha: float = 0.05,
    threshold_objective: str = "f1",
    target_precision: float | None = None,
    top_errors: int = 5,
    noise_margin: float = 0.8,
    n_noise: int = 25,
    params: dict[str, Any] | None = None,
    unit: str = "auto",
    tune_baselines: bool = True,
    text_column: str = "text",
    id_column: str | None = None,
) -> dict[str, Any]:
    """Score ``model`` on labelled ``data``, or cross-validate the pipeline with ``cv`` folds.

    Parameters
    ----------
    model : NarrativeModel or None
        The model to score (holdout evaluation). Ignored with ``cv``.
    data : path, DataFrame or LabelledData
        Labelled texts (JSONL/CSV/Parquet with ``text`` and ``frames``, or a SemEval folder).
    cv : int, optional
        Cross-validate: train and score ``cv`` folds. Folds keep near-duplicates, and texts sharing
        a ``group_column`` value, together.
    baselines : list of str, optional
        With ``cv``: baselines trained and scored on the same folds. Default: ``majority``,
        ``cue_lexicon`` and ``spacy_bow``; ``[]`` for none.
    taxonomy : Taxonomy or path, optional
        With ``cv``: the taxonomy to train (default: SemEval's for SemEval data, else the bundled one).
    n_bootstrap, alpha : int, float
        Resamples and level of the bootstrap intervals (0 disables them).
    threshold_objective, target_precision
        Per-label threshold tuning on the model's (out-of-fold) scores: ``"f1"`` or ``"precision"``
        with ``target_precision``.
    top_errors : int
        False positives and false negatives kept per label for error analysis.
    noise_margin, n_noise
        Label-noise suspects: gold 1 with score <= 1 - margin, or gold 0 with score >= margin.
    params, unit
        Passed to :func:`narratives.train` in each fold.
    tune_baselines : bool
        With ``cv`` and the ``spacy_bow`` baseline: also report it with per-label thresholds tuned
        by cross-fitting (``spacy_bow_tuned``; no extra training), next to spaCy's default 0.5.

    Returns
    -------
    dict
        The model's headline metrics at the top level (``f1_samples_fine``, ``f1_samples_coarse``,
        ``f1_macro_fine``, ``f1_macro_coarse``, ``f1_micro_fine``, ``f1_micro_coarse`` ...,
        ``per_label_fine``, ``stance_accuracy``), ``ci`` (bootstrap intervals), ``systems`` (every
        system's metrics, intervals and speed), ``comparison`` (paired bootstrap, model minus each
        baseline), ``threshold_tuning``, ``errors``, ``label_noise``, ``plots`` (curve data),
        ``data``, ``protocol`` and ``oof_predictions``.
    """
    ld = as_labelled(data, fmt, text_column, id_column)
    df = ld.frame.reset_index(drop=True)
    if not len(df):
        raise InputError("no labelled rows to evaluate")
    if "frames" not in df.columns:
        raise InputError(
            "evaluation data needs gold labels (a 'frames' column or SemEval annotations)"
        )
    if threshold_objective not in ("f1", "precision"):
        raise InputError(
            f"threshold objective must be 'f1' or 'precision', not {threshold_objective!r}"
        )
    if threshold_objective == "precision" and not (target_precision and 0 < target_precision <= 1):
        raise InputError("threshold objective 'precision' needs a target precision in (0, 1]")
    if group_column is not None and group_column not in df.columns:
        available = [c for c in df.columns if c not in ("text", "row")]
        raise InputError(not_found("group column", group_column, available))
    texts = df["text"].tolist()
    n = len(texts)
    if cv:
        if isinstance(taxonomy, (str, Path)):
            taxonomy = Taxonomy.load(taxonomy)
        tax = taxonomy or ld.taxonomy or Taxonomy.default()
        names = list(DEFAULT_BASELINES if baselines is None else baselines)
        systems = [NarrativesSystem(tax, seed=seed, params=params, unit=unit)] + [
            make_baseline(b, tax, seed) for b in names
        ]
        fold, group, ginfo = make_folds(
            texts, int(cv), seed, df[group_column].tolist() if group_column else None
        )
        ginfo["group_column"] = group_column
        mode = "cross-validation"
    else:
        if model is None:
            raise InputError("evaluate needs a model, or cv=K to cross-validate")
        tax = model.taxonomy
        systems = [FixedModel(model)]
        fold = np.zeros(n, dtype=int)
        group = np.arange(n)
        ginfo = {}
        mode = "holdout"
    none = tax.none_label
    # "no label" in the data (e.g. SemEval's Other) and in the model's taxonomy
    nones = {none} | ({ld.taxonomy.none_label} if ld.taxonomy is not None else set())
    gold_f = normalise_sets(df["frames"], nones)
    families = normalise_sets(df["families"], nones) if "families" in df.columns else None
    gold_c = gold_coarse(gold_f, families, tax)
    gold_stance = (
        df["stance"].tolist() if "stance" in df.columns and df["stance"].notna().any() else None
    )
    known = set(tax.fine_labels)
    unknown = Counter(x for s in gold_f for x in s if x not in known)
    if unknown:
        log.warning(
            "%d gold labels are not in the taxonomy and count as misses: %s",
            len(unknown),
            ", ".join(sorted(unknown)[:5]),
        )

    outputs, timing = _run(systems, df, texts, gold_f, fold, tax)
    if mode == "cross-validation" and tune_baselines:
        for s in [s for s in systems if s.name == "spacy_bow"]:
            variant = CrossFittedThresholds(s, tax)
            outputs[variant.name] = variant.apply(outputs[s.name], gold_f, gold_c, fold)
            timing[variant.name] = dict(timing[s.name])
            systems.append(variant)

    labels_f = label_space(tax.fine_labels, gold_f, none=none)
    labels_c = label_space(tax.coarse_labels, gold_c, none=none)
    res_systems: dict[str, Any] = {}
    stats: dict[str, dict[str, LevelStats]] = {}
    for s in systems:
        p = outputs[s.name]
        m = _score(gold_f, p.fine, gold_c, p.coarse, labels_f, labels_c, none, p.proba_fine, p.proba_coarse,
                   p.probabilistic, gold_stance, p.stance)  # fmt: skip
        stats[s.name] = {
            "fine": level_stats(gold_f, p.fine, labels_f, none),
            "coarse": level_stats(gold_c, p.coarse, labels_c, none),
        }
        ci = bootstrap_ci(stats[s.name], n_bootstrap, seed, alpha)
        res_systems[s.name] = {
            "title": s.title,
            "info": s.info(),
            "metrics": m,
            "ci": ci,
            "timing": timing[s.name],
        }
        if not p.probabilistic:
            res_systems[s.name]["info"]["calibration"] = (
                "n/a: scores are cue hit counts, not probabilities"
            )
    comparison = {
        s.name: paired_bootstrap(stats[OURS], stats[s.name], n_bootstrap, seed, alpha)
        for s in systems
        if s.name != OURS
    }
    ours = outputs[OURS]
    ours_m = res_systems[OURS]["metrics"]
    Yf = binarize(gold_f, tax.fine_labels).astype(bool)
    tuning = tune_thresholds(Yf, ours.proba_fine, tax.fine_labels, threshold_objective, target_precision,
                             folds=fold if mode == "cross-validation" else None)  # fmt: skip
    tuning["model_decision"] = {"f1_macro": ours_m["f1_macro_fine"], "f1_micro": ours_m["f1_micro_fine"], "f1_samples": ours_m["f1_samples_fine"],
                                "note": "the model's own decision rule (thresholds tuned inside each training fold)"}  # fmt: skip
    if mode == "holdout":
        tuning["note"] = (
            "thresholds tuned and scored on the same evaluation data: the gain is optimistic"
        )
    ids = [str(i) for i in df["id"]]
    errors = _select_errors(
        ours.errors, ids, gold_f, ours.fine, ours_m["per_label_fine"], top_errors
    )
    noise = _label_noise(
        Yf,
        ours.proba_fine,
        tax.fine_labels,
        ids,
        gold_f,
        ours.fine,
        ours.errors,
        ours_m["per_label_fine"],
        noise_margin,
        n_noise,
    )
    plots = _plot_data(outputs, systems, gold_f, gold_c, tax, labels_f, labels_c, none)

    result: dict[str, Any] = {
        "data": {
            "source": ld.source,
            "n_documents": n,
            "n_rejected": len(ld.rejects),
            "taxonomy": tax.name,
            "none_label": none,
            "n_fine_labels": len(tax.fine_labels),
            "n_coarse_labels": len(tax.coarse_labels),
            "fine_labels_with_support": int(
                sum(1 for lab in labels_f if any(lab in s for s in gold_f))
            ),
            "none_share": float(np.mean([not s for s in gold_f])),
            "label_cardinality_fine": float(np.mean([len(s) for s in gold_f])),
            "unknown_gold_labels": dict(unknown.most_common()),
            "has_stance": gold_stance is not None,
        },
        "protocol": {
            "mode": mode,
            "folds": int(cv) if cv else None,
            "seed": seed,
            "grouping": ginfo,
            "bootstrap": {
                "n": n_bootstrap,
                "alpha": alpha,
                "seed": seed,
                "unit": "document",
                "method": "percentile",
            },
            "label_space": "taxonomy labels plus any gold label outside the taxonomy (counted as misses); "
            "the none label is scored separately",
            "scores": "document-level probabilities; passage-level models use the best passage; 0 for documents the "
            "relevance gate rejects",
        },
        **{k: v for k, v in ours_m.items()},
        "ci": res_systems[OURS]["ci"],
        "systems": res_systems,
        "comparison": comparison,
        "threshold_tuning": tuning,
        "errors": errors,
        "label_noise": noise,
        "plots": plots,
        "oof_predictions": _oof_rows(
            ids, fold, group, gold_f, gold_c, gold_stance, outputs, systems, tax
        ),
    }
    if cv:
        result["cv_folds"] = int(cv)
    result["n_rejected"] = len(ld.rejects)
    return result


def cross_validate(
    ld: Any, k: int = 5, seed: int = 0, params: dict[str, Any] | None = None, **kw: Any
) -> dict[str, Any]:
    """K-fold cross-validation with near-duplicate groups kept inside one fold (see :func:`evaluate`)."""
    return evaluate(None, ld, cv=k, seed=seed, params=params, **kw)


def _run(
    systems: list[Any],
    df: pd.DataFrame,
    texts: list[str],
    gold_f: list[list[str]],
    fold: np.ndarray,
    tax: Taxonomy,
):
    n = len(texts)
    nf, nc = len(tax.fine_labels), len(tax.coarse_labels)
    outputs: dict[str, Predictions] = {}
    timing: dict[str, dict[str, Any]] = {}
    for s in systems:
        outputs[s.name] = Predictions(
            [[] for _ in range(n)],
            [[] for _ in range(n)],
            np.zeros((n, nf)),
            np.zeros((n, nc)),
            None,
            True,
            [],
        )
        timing[s.name] = {
            "fit_seconds": [],
            "predict_seconds": 0.0,
            "n_train": [],
            "n_predicted": 0,
        }
    for k in np.unique(fold):
        te = np.flatnonzero(fold == k)
        tr = np.flatnonzero(fold != k)
        train_frame = df.iloc[tr] if len(tr) else df.iloc[:0]
        te_texts = [texts[i] for i in te]
        te_gold = [gold_f[i] for i in te]
        for s in systems:
            t0 = time.perf_counter()
            s.fit(train_frame, tax)
            fit_s = time.perf_counter() - t0
            t0 = time.perf_counter()
            p = s.predict(te_texts, te_gold if s.name == OURS else None)
            pred_s = (
                p.predict_seconds if p.predict_seconds is not None else time.perf_counter() - t0
            )
            log.info(
                "fold %d: %s trained on %d in %.1fs, predicted %d in %.1fs",
                k + 1,
                s.name,
                len(tr),
                fit_s,
                len(te),
                pred_s,
            )
            o = outputs[s.name]
            for r, i in enumerate(te):
                o.fine[i], o.coarse[i] = p.fine[r], p.coarse[r]
            if p.proba_fine is not None:
                o.proba_fine[te] = p.proba_fine
                o.proba_coarse[te] = p.proba_coarse
            else:
                o.proba_fine = o.proba_coarse = None
            if p.stance is not None:
                if o.stance is None:
                    o.stance = ["none"] * n
                for r, i in enumerate(te):
                    o.stance[i] = p.stance[r]
            o.probabilistic = p.probabilistic
            for e in p.errors:
                e["doc"] = int(te[e["doc"]])
                e["fold"] = int(k)
                o.errors.append(e)
            t = timing[s.name]
            if len(tr):
                t["fit_seconds"].append(round(fit_s, 3))
                t["n_train"].append(len(tr))
            t["predict_seconds"] += pred_s
            t["n_predicted"] += len(te)
        for s in systems:  # free fold models
            for attr in ("model_", "nlp_"):
                if hasattr(s, attr) and not isinstance(s, FixedModel):
                    delattr(s, attr)
    for t in timing.values():
        fs = t["fit_seconds"]
        t["fit_seconds_mean"] = round(float(np.mean(fs)), 3) if fs else None
        t["train_docs_per_second"] = (
            round(float(np.sum(t["n_train"]) / np.sum(fs)), 1) if fs and np.sum(fs) > 0 else None
        )
        t["predict_docs_per_second"] = (
            round(t["n_predicted"] / t["predict_seconds"], 1) if t["predict_seconds"] > 0 else None
        )
        t["predict_seconds"] = round(t["predict_seconds"], 4)
    return outputs, timing


# ----------------------------------------------------------------------- error analysis
def _select_errors(cands, ids, gold_f, pred_f, per_label, top):
    by_label: dict[str, dict[str, list]] = defaultdict(
        lambda: {"false_positive": [], "false_negative": []}
    )
    for c in cands:
        by_label[c["label"]][c["kind"]].append(c)
    out = {}
    order = sorted(by_label, key=lambda lab: (-per_label.get(lab, {}).get("support", 0), lab))
    for lab in order:
        fps = sorted(by_label[lab]["false_positive"], key=lambda c: -(c["score"] or 0))
        fns = sorted(
            by_label[lab]["false_negative"], key=lambda c: (c["score"] is None, c["score"] or 0)
        )

        def row(c):
            d = c["doc"]
            r = {"id": ids[d], "score": c["score"], "gold": gold_f[d], "predicted": pred_f[d], "passage": c.get("passage"),
                 "features": c.get("features", []), "fold": c.get("fold")}  # fmt: skip
            if c.get("note"):
                r["note"] = c["note"]
            return r

        out[lab] = {
            "n_false_positives": len(fps),
            "n_false_negatives": len(fns),
            "false_positives": [row(c) for c in fps[:top]],
            "false_negatives": [row(c) for c in fns[:top]],
        }
    return out


def _label_noise(Y, P, labels, ids, gold_f, pred_f, cands, per_label, margin, top):
    """Gold labels the out-of-fold score contradicts strongly. Ranked by disagreement x the label's
    average precision: a confident contradiction on a label the model otherwise ranks well points
    more to the annotation than to the model."""
    ev = {(c["doc"], c["label"]): c for c in cands}
    rows = []
    hi = np.argwhere((~Y) & (margin <= P))
    lo = np.argwhere(Y & (1 - margin >= P))
    for d, j in np.vstack([hi, lo]) if len(hi) + len(lo) else []:
        lab = labels[j]
        y = bool(Y[d, j])
        ap = per_label.get(lab, {}).get("average_precision") or 0.0
        dis = abs(float(y) - float(P[d, j]))
        c = ev.get((int(d), lab), {})
        rows.append({
            "id": ids[d], "label": lab, "gold": int(y), "score": round(float(P[d, j]), 4),
            "kind": "gold label the model doubts" if y else "missing gold label?",
            "disagreement": round(dis, 4), "label_average_precision": round(ap, 4), "suspicion": round(dis * ap, 4),
            "gold_labels": gold_f[d], "predicted": pred_f[d], "passage": c.get("passage"), "features": c.get("features", []),
        })  # fmt: skip
    rows.sort(key=lambda r: (-r["suspicion"], -r["disagreement"], r["id"], r["label"]))
    return {
        "margin": margin,
        "n_suspects": len(rows),
        "n_doubted_gold": sum(r["gold"] == 1 for r in rows),
        "n_missing_gold": sum(r["gold"] == 0 for r in rows),
        "suspects": rows[:top],
    }


# ------------------------------------------------------------------------------ plot data
def _thin(curve: dict[str, list[float]], max_points: int = 120) -> dict[str, list[float]]:
    m = len(curve["recall"])
    if m <= max_points:
        idx = np.arange(m)
    else:
        idx = np.unique(np.r_[np.linspace(0, m - 1, max_points).astype(int), m - 1])
    return {k: [round(float(curve[k][i]), 4) for i in idx] for k in ("precision", "recall")}


def _plot_data(
    outputs,
    systems,
    gold_f,
    gold_c,
    tax,
    labels_f,
    labels_c,
    none,
    n_labels: int = 9,
    n_matrix: int = 20,
):
    Yf = binarize(gold_f, tax.fine_labels)
    support = Yf.sum(axis=0)
    used = support > 0
    top = [
        tax.fine_labels[j] for j in np.argsort(-support, kind="stable")[:n_labels] if support[j] > 0
    ]
    pr: dict[str, Any] = {"labels": top, "systems": {}}
    for s in systems:
        P = outputs[s.name].proba_fine
        if P is None or s.name.endswith("_tuned"):  # a re-thresholded system ranks like its base
            continue
        entry = {
            "micro": _thin(precision_recall_curve(Yf[:, used].ravel(), P[:, used].ravel()))
            if used.any()
            else None,
            "labels": {},
        }
        for lab in top:
            j = tax.fine_labels.index(lab)
            entry["labels"][lab] = _thin(precision_recall_curve(Yf[:, j], P[:, j]))
        pr["systems"][s.name] = entry
    ours = outputs[OURS]
    top_m = [
        tax.fine_labels[j] for j in np.argsort(-support, kind="stable")[:n_matrix] if support[j] > 0
    ]
    keep = set(top_m)
    rest = "(other labels)"

    def sub(sets: list[list[str]]) -> list[list[str]]:
        return [list(dict.fromkeys(x if x in keep else rest for x in s)) for s in sets]

    axis = top_m + ([rest] if len(top_m) < int(used.sum()) else [])
    co_f = cooccurrence(sub(gold_f), sub(ours.fine), axis, none)
    co_f["note"] = (
        f"the {len(top_m)} fine labels with most support; every other label is counted as {rest!r}"
    )
    co_c = cooccurrence(gold_c, ours.coarse, [c for c in labels_c if c in tax.coarse_labels], none)
    return {"pr": pr, "cooccurrence_fine": co_f, "cooccurrence_coarse": co_c}


def _oof_rows(ids, fold, group, gold_f, gold_c, gold_stance, outputs, systems, tax):
    ours = outputs[OURS]
    rows = []
    for i, doc_id in enumerate(ids):
        scores = {}
        if ours.proba_fine is not None:
            for j in np.argsort(-ours.proba_fine[i])[:5]:
                if ours.proba_fine[i, j] >= 0.01:
                    scores[tax.fine_labels[j]] = round(float(ours.proba_fine[i, j]), 4)
        r = {
            "id": doc_id, "fold": int(fold[i]), "group": int(group[i]),
            "gold_fine": gold_f[i], "pred_fine": ours.fine[i], "gold_coarse": gold_c[i], "pred_coarse": ours.coarse[i],
            "f1_fine": round(f1_samples([gold_f[i]], [ours.fine[i]]), 4), "scores": scores,
        }  # fmt: skip
        if gold_stance is not None:
            r["gold_stance"] = gold_stance[i]
        if ours.stance is not None:
            r["pred_stance"] = ours.stance[i]
        for s in systems:
            if s.name != OURS:
                r[f"{s.name}_fine"] = outputs[s.name].fine[i]
        rows.append(r)
    return rows
