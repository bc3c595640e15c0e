"""Scoring a model on labelled data, and leakage-free cross-validation against baselines.

:func:`evaluate` is pure: it returns one JSON-friendly dict (metrics, confidence intervals,
baselines, threshold tuning, error analysis, plot data, out-of-fold predictions). Writing files is
:func:`narratives.evaluation.write_report`'s job; the CLI only formats.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .._exceptions import InputError
from .._internal.messages import not_found
from .._internal.progress import Bar
from .._internal.progress import bar as progress_bar
from .._taxonomy import Taxonomy
from ..io import as_labelled
from ._analysis import _label_noise, _oof_rows, _plot_data, _select_errors
from ._baselines import CrossFittedThresholds, make_baseline
from ._bootstrap import LevelStats, bootstrap_ci, level_stats, paired_bootstrap
from ._crosswalk import Crosswalk, CrosswalkedModel, crosswalk_summary, crosswalk_taxonomy
from ._folds import make_folds
from ._metrics import binarize, label_space, normalise_sets
from ._scoring import Level, _score, gold_coarse
from ._systems import OURS, FixedModel, NarrativesSystem, Predictions
from ._thresholds import tune_thresholds

__all__ = ["DEFAULT_BASELINES", "cross_validate", "evaluate"]

log = logging.getLogger(__name__)

DEFAULT_BASELINES = ("majority", "cue_lexicon", "spacy_bow")


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
    progress: bool | None = None,
    crosswalk: Crosswalk | str | Path | Mapping[str, Any] | bool | None = None,
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
    progress : bool, optional
        A progress bar (``tqdm.auto``) with one step per system trained and scored in each fold,
        described as ``fold 2/5: narratives``. Default: shown in an interactive session (Jupyter,
        a terminal), not in scripts whose output goes to a file.
    crosswalk : Crosswalk, path, mapping or bool, optional
        Holdout only: score the model's document-level frames as the data's labels they map to
        (a YAML file or mapping frame -> [labels], see :class:`Crosswalk`). Default (``None``):
        the taxonomy's own crosswalk (the default taxonomy's ``semeval:`` lists) when the data's
        labels share none with the model's; ``False``: never. Labels no frame maps to are left
        out of every score and listed under ``crosswalk`` in the result.

    Returns
    -------
    dict
        The model's headline metrics at the top level (``f1_samples_fine``, ``f1_samples_coarse``,
        ``f1_macro_fine``, ``f1_macro_coarse``, ``f1_micro_fine``, ``f1_micro_coarse`` ...,
        ``per_label_fine``, ``stance_accuracy``), ``ci`` (bootstrap intervals), ``systems`` (every
        system's metrics, intervals and speed), ``comparison`` (paired bootstrap, model minus each
        baseline), ``threshold_tuning``, ``errors``, ``label_noise``, ``plots`` (curve data),
        ``data``, ``protocol`` and ``oof_predictions``; with a crosswalk, ``crosswalk`` (source,
        covered and not covered labels, micro precision and recall).
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
        if crosswalk not in (None, False):
            raise InputError(
                "a crosswalk scores a trained model; it does not apply to cross-validation"
            )
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
        walk = None
    else:
        if model is None:
            raise InputError("evaluate needs a model, or cv=K to cross-validate")
        tax = model.taxonomy
        systems = [FixedModel(model)]
        fold = np.zeros(n, dtype=int)
        group = np.arange(n)
        ginfo = {}
        mode = "holdout"
        walk = _holdout_crosswalk(tax, ld, df["frames"], crosswalk)
    # "no label" in the data (e.g. SemEval's Other) and in the model's taxonomy
    nones = {tax.none_label} | ({ld.taxonomy.none_label} if ld.taxonomy is not None else set())
    gold_f = normalise_sets(df["frames"], nones)
    families = normalise_sets(df["families"], nones) if "families" in df.columns else None
    not_covered: Counter[str] = Counter()
    if walk is not None:
        data_none = ld.taxonomy.none_label if ld.taxonomy is not None else tax.none_label
        data_labels = label_space(ld.taxonomy.fine_labels if ld.taxonomy else [], gold_f)
        tax = crosswalk_taxonomy(walk, data_labels, ld.taxonomy, data_none)
        systems = [CrosswalkedModel(model, walk, tax)]
        covered = set(tax.fine_labels)
        not_covered.update({lab: 0 for lab in data_labels if lab not in covered})
        not_covered.update(x for s in gold_f for x in s if x not in covered)
        gold_f = [[x for x in s if x in covered] for s in gold_f]
        if families is not None:
            fams = set(tax.coarse_labels)
            families = [[c for c in s if c in fams] for s in families]
    none = tax.none_label
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

    steps = len(np.unique(fold)) * len(systems)
    with progress_bar(progress, steps, "evaluating", unit="fit") as shown:
        outputs, timing = _run(systems, df, texts, gold_f, fold, tax, shown)
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
        m = _score(
            Level(gold_f, p.fine, labels_f, p.proba_fine),
            Level(gold_c, p.coarse, labels_c, p.proba_coarse),
            none,
            p.probabilistic,
            gold_stance,
            p.stance,
        )
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
    tuning = tune_thresholds(
        Yf,
        ours.proba_fine,
        tax.fine_labels,
        threshold_objective,
        target_precision,
        folds=fold if mode == "cross-validation" else None,
    )
    tuning["model_decision"] = {
        "f1_macro": ours_m["f1_macro_fine"],
        "f1_micro": ours_m["f1_micro_fine"],
        "f1_samples": ours_m["f1_samples_fine"],
        "note": "the model's own decision rule (thresholds tuned inside each training fold)",
    }
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
    if walk is not None:
        result["crosswalk"] = {
            "model_taxonomy": model.taxonomy.name,
            **crosswalk_summary(walk, tax, dict(not_covered), gold_f, ours.fine),
        }
        result["protocol"]["label_space"] = (
            "the data's labels the crosswalk covers (a predicted frame counts as every label it maps "
            "to); gold labels it does not cover are left out; the none label is scored separately"
        )
    if cv:
        result["cv_folds"] = int(cv)
    result["n_rejected"] = len(ld.rejects)
    return result


def _holdout_crosswalk(
    model_tax: Taxonomy, ld: Any, frames: Any, crosswalk: Any
) -> Crosswalk | None:
    """The crosswalk to score a trained model with: the one given, else the taxonomy's own when
    the data's labels share none with the model's; None to score the model's labels as they are."""
    nones = {model_tax.none_label} | (
        {ld.taxonomy.none_label} if ld.taxonomy is not None else set()
    )
    data_labels = set(ld.taxonomy.fine_labels if ld.taxonomy is not None else ()) | {
        x for s in normalise_sets(frames, nones) for x in s
    }
    walk = None
    if isinstance(crosswalk, Crosswalk):
        walk = crosswalk
    elif isinstance(crosswalk, (str, Path)):
        walk = Crosswalk.load(crosswalk, model_tax)
    elif isinstance(crosswalk, Mapping):
        walk = Crosswalk.from_mapping(crosswalk, model_tax)
    if walk is not None:
        if not data_labels & set(walk.labels):
            raise InputError(f"crosswalk {walk.source} maps no frame to any of the data's labels")
        return walk
    if not data_labels or data_labels & set(model_tax.fine_labels):
        return None
    auto = Crosswalk.from_taxonomy(model_tax) if crosswalk is not False else None
    if auto is not None and data_labels & set(auto.labels):
        log.info("the data's labels are not the model's: scoring through the %s", auto.source)
        return auto
    raise InputError(
        f"the data's labels share none with the model's (taxonomy {model_tax.name!r})"
        + (" and the crosswalk is off" if crosswalk is False else " and no crosswalk maps them")
        + ": give one (frame -> [labels], --crosswalk FILE)"
    )


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
    shown: Bar | None = None,
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
    shown = shown or Bar()
    folds = np.unique(fold)
    for k in folds:
        te = np.flatnonzero(fold == k)
        tr = np.flatnonzero(fold != k)
        train_frame = df.iloc[tr] if len(tr) else df.iloc[:0]
        te_texts = [texts[i] for i in te]
        te_gold = [gold_f[i] for i in te]
        for s in systems:
            shown.set_description(
                f"fold {k + 1}/{len(folds)}: {s.name}" if len(folds) > 1 else s.name
            )
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
            shown.update(1)
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
