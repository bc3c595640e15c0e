"""How long `narratives train` takes, how it grows with the data, and what liblinear's dual
formulation and the batched solver change (issue 12).

    .venv/bin/python benchmarks/train_speed.py [--repeats 2] [--skip-quality]
        [--forms primal,dual,batched] [--skip-passes]

The configurations compared (``--forms``): ``primal`` and ``dual``, liblinear's two
formulations (``classifier__dual``), and ``batched``, the label models fitted together by
``model._batched`` (``classifier__solver="batched"``, with the dual for the stance head).
``--skip-passes`` keeps the liblinear pass and memory tables of the previous results file
instead of measuring them again (they do not depend on the solver compared).

Times, in one process on one core (joblib n_jobs=1, BLAS threads 1; CPU seconds of the process,
which a shared machine's other jobs stretch less than wall time), interleaved ``--repeats``
times so that machine noise hits every configuration alike:
- the SemEval-2025 English training set (399 documents, 117 labels; read from ../shared, skipped
  when absent), and the v1 calibration (``sigmoid``: ``CalibratedClassifierCV`` per label) for
  comparison;
- the default model's English corpus (training split of data/corpus/, passages) with the default
  model's parameters (benchmarks/build_default_model.py's PARAMS);
- 1x, 2x and 4x the SemEval set (each copy with fresh ids and a one-character change, so no text
  is an exact duplicate) to show how time grows with the data. Copies are near-duplicates: every
  n-gram of a document now occurs at least twice and passes ``min_df=2``, so the feature count
  grows too (the table shows it), and each copy adds the same loss again (as a larger C would);
- a quarter, a half and all of that corpus: growth on distinct passages, with the time of each
  stage of training in the same runs (``Stages``: near-duplicate grouping, preprocessing,
  features, the final label models, the threshold folds' label models, the rest of the
  out-of-fold calibration, thresholds, open-world caps, stance head; the rest of ``train`` as
  "other") and the liblinear iterations of the final label models;
- liblinear's time per pass over the data (``liblinear_passes``): one label model (framed or
  not, the dual) fitted on the corpus's feature matrix at the three sizes, and on all of it
  stacked twice and four times, stopped after 2 and after 12 passes (``max_iter``; it needs
  more to converge); (t12 - t2) / 10, per million nonzeros. This is what makes training on the
  corpus grow faster than the data (issue 12): liblinear solves on its own copy of the matrix,
  16 bytes per nonzero (17 MB for a quarter of the corpus, 70 MB for all of it), and reads all
  of it on every pass; a quarter's copy fits in the processor's cache and all of it does not,
  so a pass costs several times more per nonzero, and only a little more beyond (the stacked
  copies). ``memory_read_speed``: how fast numpy sums arrays of 4 to 256 MB on this machine.

Quality of the two formulations (skipped with ``--skip-quality``):
- SemEval English 5-fold CV (``narratives.evaluation.evaluate``, the same folds for both, no
  baselines, no bootstrap): F1-samples and macro-F1, fine and coarse;
- the written corpus: a model trained with PARAMS on the training split of the corpora (English,
  Russian, Ukrainian; ``default_training_data(real=False)``: no data/real) and scored on the
  English test passages of data/split.json, as the model card scores the default model
  (``score_split``); both formulations train on one snapshot of the data, read once.

Writes benchmarks/results/train_speed.{json,md}. Targets: SemEval English under 30 s on one
core, growth no worse than linear, the same quality (CV F1 within 0.01).
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import statistics
import sys
import time
import warnings
from collections import defaultdict
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import numpy as np
import pandas as pd
import scipy.sparse as sp

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "benchmarks"))

import narratives  # noqa: E402
from narratives.io import LabelledData, read_semeval  # noqa: E402
from narratives.model._label_models import resolve_dual  # noqa: E402
from narratives.preprocessing import text_hash  # noqa: E402

#: CPU seconds of this process (user + system). Everything runs in this one thread (n_jobs=1,
#: BLAS threads 1), so on an idle machine it is the wall time; on a shared one wall time also
#: counts the time other jobs hold the core, and varies with them.
clock = time.process_time

SEMEVAL = (
    Path(os.environ.get("NARRATIVES_SHARED", ROOT.parent / "shared"))
    / "data"
    / "semeval2025-task10-en"
    / "train"
)
#: The configurations compared, by their classifier parameters.
FORMULATIONS = {
    "primal": {"classifier__dual": False, "classifier__solver": "liblinear"},
    "dual": {"classifier__dual": True, "classifier__solver": "liblinear"},
    "batched": {"classifier__dual": True, "classifier__solver": "batched"},
}
#: The configuration the others are compared with (what ``dual="auto"`` picks on text).
REFERENCE = "dual"


def _replicate(ld: LabelledData, times: int) -> LabelledData:
    frames = []
    for r in range(times):
        f = ld.frame.copy()
        f["id"] = f["id"].astype(str) + f"-copy{r}"
        f["text"] = f["text"] + (" " + "x" * r if r else "")
        frames.append(f)
    return LabelledData(pd.concat(frames, ignore_index=True), ld.taxonomy, [], ld.source)


#: Stage of training -> (module, attributes) of the functions timed as that stage.
STAGE_FUNCTIONS = {
    "near-duplicate groups": ("narratives.model._train", "near_duplicate_groups"),
    "preprocessing": ("narratives.preprocessing", "Preprocessor.fit|Preprocessor.transform"),
    "features": ("narratives.features", "NarrativeFeatures.fit_transform"),
    "label models": ("narratives.model._classifier", "NarrativeClassifier._fit_all"),
    "fold label models": ("narratives.model._calibration", "_fit_one|fit_label_columns"),
    "out-of-fold calibration": ("narratives.model._classifier", "oof_sigmoid"),
    "thresholds": (
        "narratives.model._classifier",
        "NarrativeClassifier._tuned_thresholds|NarrativeClassifier._language_thresholds",
    ),
    "open-world caps": ("narratives.model._classifier", "negative_scores|cap_thresholds"),
    "stance head": (
        "narratives.model._classifier",
        "fit_stance_head|NarrativeClassifier._stance_oof",
    ),
}


class Stages:
    """Seconds spent in each stage of ``narratives.train``, by wrapping the functions that do
    them (installed once; a stage whose function is gone is simply not timed)."""

    def __init__(self) -> None:
        import importlib

        self.seconds: dict[str, float] = defaultdict(float)
        for stage, (module, attrs) in STAGE_FUNCTIONS.items():
            mod = importlib.import_module(module)
            for attr in attrs.split("|"):
                *cls, name = attr.split(".")
                owner = getattr(mod, cls[0]) if cls else mod
                if hasattr(owner, name):
                    setattr(owner, name, self._timed(getattr(owner, name), stage))

    def _timed(self, f, stage: str):
        @functools.wraps(f)
        def timed(*a, **k):
            t = clock()
            try:
                return f(*a, **k)
            finally:
                self.seconds[stage] += clock() - t

        return timed

    def split(self, total: float) -> dict[str, float]:
        """This run's seconds per stage (the out-of-fold calibration without its label models,
        which are their own stage), and the rest of ``train`` as "other"."""
        s = dict(self.seconds)
        s["out-of-fold calibration"] = s.get("out-of-fold calibration", 0.0) - s.get(
            "fold label models", 0.0
        )
        s = {k: round(s.get(k, 0.0), 3) for k in STAGE_FUNCTIONS}
        s["other"] = round(total - sum(s.values()), 3)
        return s


STAGES: Stages | None = None


def _train(data, **kw) -> tuple[float, object]:
    if STAGES is not None:
        STAGES.seconds.clear()
    t = clock()
    model = narratives.train(data, seed=0, **kw)
    return clock() - t, model


def _iterations(model) -> float:
    """Mean iterations of the final label models (liblinear's, or the batched Newton steps)."""
    its = [
        int(e.n_iter_[0]) for e in model.pipeline.classifier.estimators_ if hasattr(e, "n_iter_")
    ]
    return round(float(np.mean(its)), 1) if its else float("nan")


def _auto_picks(model) -> str:
    """The formulation ``dual="auto"`` picks for the label models' training matrix."""
    clf = model.pipeline.classifier
    shape = (clf.training_metrics_["n_train"], clf.n_features_in_)
    return f"{'dual' if resolve_dual('auto', shape) else 'primal'} ({shape[0]:,} x {shape[1]:,})"


def _configs(
    corpus: pd.DataFrame, params: dict, forms: tuple[str, ...]
) -> list[tuple[str, object, dict, tuple]]:
    """(name, data, train kwargs, formulations timed)."""
    one = {"classifier__n_jobs": 1}
    both = forms
    configs = []
    if SEMEVAL.is_dir():
        sem = read_semeval(SEMEVAL)
        configs += [
            ("semeval_en", sem, {"params": one}, both),
            (
                "semeval_en_v1_calibration",
                sem,
                {"params": {**one, "classifier__calibration": "sigmoid"}},
                tuple(f for f in ("primal",) if f in forms),
            ),
            ("semeval_en_x2", _replicate(sem, 2), {"params": one}, both),
            ("semeval_en_x4", _replicate(sem, 4), {"params": one}, both),
        ]
    kw = {"params": {**params, **one}, "unit": "passage"}
    # Growth on distinct passages: a quarter, a half and all of the corpus (every 4th / 2nd row).
    configs += [
        ("default_corpus_quarter", corpus.iloc[::4].reset_index(drop=True), kw, both),
        ("default_corpus_half", corpus.iloc[::2].reset_index(drop=True), kw, both),
        ("default_corpus", corpus, kw, both),
    ]
    return [c for c in configs if c[3]]


def timing(corpus: pd.DataFrame, params: dict, repeats: int, forms: tuple[str, ...]) -> dict:
    global STAGES
    runs: dict[str, dict[str, list[float]]] = {}
    ratios: dict[str, list[float]] = {}
    auto: dict[str, str] = {}
    stages: dict[str, dict[str, list[dict[str, float]]]] = {}
    iterations: dict[str, dict[str, float]] = {}
    configs = _configs(corpus, params, forms)
    STAGES = Stages()
    # Warm-up (spaCy and the lazy imports), not timed: the first run would pay it.
    _train(corpus.head(60), params={**params, "classifier__n_jobs": 1}, unit="passage")
    for rep in range(repeats):
        for name, data, kw, forms in configs:
            order = forms if rep % 2 == 0 else tuple(reversed(forms))
            this = {}
            for form in order:
                p = {**kw["params"], **FORMULATIONS[form]}
                seconds, model = _train(data, **{**kw, "params": p})
                this[form] = seconds
                runs.setdefault(name, {}).setdefault(form, []).append(round(seconds, 2))
                auto.setdefault(name, _auto_picks(model))
                if name.startswith("default_corpus"):
                    stages.setdefault(name, {}).setdefault(form, []).append(STAGES.split(seconds))
                    iterations.setdefault(name, {})[form] = _iterations(model)
                print(name, form, round(seconds, 2), flush=True)
            for form in this:
                if form != REFERENCE and REFERENCE in this:
                    ratios.setdefault(name, {}).setdefault(form, []).append(
                        this[form] / this[REFERENCE]
                    )
    best = {name: {f: min(v) for f, v in by.items()} for name, by in runs.items()}
    res = {
        "seconds_per_run": runs,
        "best_seconds": best,
        # Per training set and configuration, the median of its paired ratios to REFERENCE.
        "over_reference": {
            k: {f: round(statistics.median(v), 2) for f, v in by.items()}
            for k, by in ratios.items()
        },
        "auto_picks": auto,
        "n_corpus": len(corpus),
        # Per stage, the least seconds over the repeats (each stage's own best run).
        "stage_seconds": {
            name: {form: {k: min(r[k] for r in rs) for k in rs[0]} for form, rs in by_form.items()}
            for name, by_form in stages.items()
        },
        "stage_seconds_per_run": stages,
        "liblinear_iterations_mean": iterations,
    }
    res["growth_corpus"] = {
        form: {
            "x2": round(best["default_corpus"][form] / best["default_corpus_half"][form], 2),
            "x4": round(best["default_corpus"][form] / best["default_corpus_quarter"][form], 2),
        }
        for form in forms
    }
    if "semeval_en" in best:
        if "primal" in forms:
            res["v1_over_default"] = round(
                best["semeval_en_v1_calibration"]["primal"] / best["semeval_en"]["primal"], 2
            )
        res["growth"] = {
            form: {
                f"x{k}": round(best[f"semeval_en_x{k}"][form] / best["semeval_en"][form], 2)
                for k in (2, 4)
            }
            for form in forms
        }
    return res


def liblinear_passes(corpus: pd.DataFrame, params: dict, repeats: int) -> dict:
    """Seconds per liblinear pass over the data, per million nonzeros, at the three corpus sizes
    and on all of the corpus stacked twice and four times (see the module docstring)."""
    from sklearn.exceptions import ConvergenceWarning

    from narratives import make_pipeline

    def features(df: pd.DataFrame) -> tuple[sp.csr_matrix, np.ndarray]:
        pipe = make_pipeline(**{**params, "classifier__n_jobs": 1})
        X = sp.csr_matrix(pipe[:-1].fit_transform(df["text"].tolist()))
        framed = np.array([bool(f) for f in df["frames"]])  # the "no label" model's target
        return X, framed

    X, y = features(corpus)
    mats = {
        "default_corpus_quarter": features(corpus.iloc[::4].reset_index(drop=True)),
        "default_corpus_half": features(corpus.iloc[::2].reset_index(drop=True)),
        "default_corpus": (X, y),
        "default_corpus_stacked_x2": (sp.vstack([X] * 2, format="csr"), np.tile(y, 2)),
        "default_corpus_stacked_x4": (sp.vstack([X] * 4, format="csr"), np.tile(y, 4)),
    }
    # The label models' estimator (C, class weights, solver), with the dual, as dual="auto"
    # picks for this corpus.
    base = make_pipeline(**params).classifier._base().set_params(dual=True)

    def fit(Xm, ym, passes: int) -> tuple[float, int]:
        est = base.set_params(max_iter=passes)
        t = clock()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            est.fit(Xm, ym)
        assert est.dual
        return clock() - t, int(est.n_iter_[0])

    seconds: dict[str, list[float]] = {}
    # Short fits, and a pass over memory is what other jobs on the machine slow most: more
    # repeats than the training runs, so that the best of them is a quiet one.
    for _rep in range(max(5, 2 * repeats)):
        for name, (Xm, ym) in mats.items():
            (t2, n2), (t12, n12) = fit(Xm, ym, 2), fit(Xm, ym, 12)
            if n12 > n2:  # else liblinear converged within 2 passes: no pass to time
                seconds.setdefault(name, []).append((t12 - t2) / (n12 - n2))
    out = {}
    for name, (Xm, _ym) in mats.items():
        out[name] = {
            "rows": Xm.shape[0],
            "nonzeros": int(Xm.nnz),
            # liblinear's copy: a (index, value) node of 16 bytes per nonzero, plus the bias
            # node and the terminator of every row.
            "liblinear_mb": round((Xm.nnz + 2 * Xm.shape[0]) * 16 / 1e6, 1),
        }
        if name in seconds:
            per = min(seconds[name])
            out[name]["seconds_per_pass"] = round(per, 6)
            out[name]["seconds_per_pass_per_million_nonzeros"] = round(per / Xm.nnz * 1e6, 6)
            out[name]["gb_per_second"] = round(out[name]["liblinear_mb"] / 1e3 / per, 1)
        print("liblinear pass", name, out[name], flush=True)
    return out


def memory_read_speed(repeats: int) -> dict[str, float]:
    """GB/s at which numpy sums a float64 array of each size: the machine's cache and memory
    bandwidth, to compare liblinear's passes with (best of the repeats)."""
    out = {}
    for mb in (4, 8, 16, 32, 64, 128, 256):
        a = np.ones(mb * 2**20 // 8)
        a.sum()
        best = min(_timed_sum(a) for _ in range(max(5, 2 * repeats)))
        out[f"{mb} MB"] = round(a.nbytes / 1e9 / best, 1)
    print("memory read speed (GB/s)", out, flush=True)
    return out


def _timed_sum(a: np.ndarray) -> float:
    t = clock()
    for _ in range(5):
        a.sum()
    return (clock() - t) / 5


def _semeval_cv(form: dict) -> dict:
    from narratives.evaluation import evaluate

    r = evaluate(
        data=SEMEVAL,
        cv=5,
        fmt="semeval",
        baselines=[],
        n_bootstrap=0,
        params={"classifier__n_jobs": 1, **form},
        progress=False,
    )
    keys = ("f1_samples_fine", "f1_samples_coarse", "f1_macro_fine", "f1_macro_coarse")
    return {k: round(float(r[k]), 4) for k in keys}


def _corpus_tables() -> tuple[pd.DataFrame, pd.DataFrame]:
    """The corpus-only training table and the English test passages, read once (both
    formulations train on the same snapshot even if data/ changes during the run)."""
    from narratives.io._repo_data import CORPUS_FOLDERS, default_training_data, load_corpus

    train = default_training_data(ROOT, real=False)
    test_ids = set(json.loads((ROOT / "data" / "split.json").read_text())["test_ids"])
    corpus = load_corpus(ROOT, CORPUS_FOLDERS)
    test = corpus[corpus["id"].isin(test_ids) & (corpus["lang"] == "en")].reset_index(drop=True)
    return train, test


def _corpus_heldout(
    form: dict, params: dict, train: pd.DataFrame, test: pd.DataFrame
) -> tuple[dict, np.ndarray]:
    from build_default_model import score_split

    p = {**params, "classifier__n_jobs": 1, **form}
    _seconds, model = _train(train, params=p)
    s = score_split(model, test)
    keys = (
        "macro_f1_fine",
        "macro_f1_coarse",
        "stance_accuracy_framed",
        "none_false_positive_rate",
    )
    out = {k: s[k] for k in keys}
    proba = model.pipeline.decide(test["text"].tolist())["proba_fine"]
    return out, np.asarray(proba)


def quality(params: dict, forms: tuple[str, ...]) -> dict:
    res: dict = {}
    if SEMEVAL.is_dir():
        res["semeval_cv5"], res["semeval_cv5_seconds_per_fold"] = {}, {}
        for form in forms:
            t = clock()
            res["semeval_cv5"][form] = _semeval_cv(FORMULATIONS[form])
            res["semeval_cv5_seconds_per_fold"][form] = round((clock() - t) / 5, 2)
        print("semeval_cv5", res["semeval_cv5"], res["semeval_cv5_seconds_per_fold"], flush=True)
    train, test = _corpus_tables()
    res["corpus_heldout"] = {
        "n_train": len(train),
        "n_test": len(test),
        "train_text_hash": text_hash(train["text"].tolist()),
    }
    probas = {}
    for form in forms:
        res["corpus_heldout"][form], probas[form] = _corpus_heldout(
            FORMULATIONS[form], params, train, test
        )
        print("corpus_heldout", form, res["corpus_heldout"][form], flush=True)
    res["corpus_heldout"]["proba_fine_abs_diff"] = {}
    for form in forms:
        if form == REFERENCE or REFERENCE not in forms:
            continue
        diff = np.abs(probas[form] - probas[REFERENCE])
        res["corpus_heldout"]["proba_fine_abs_diff"][form] = {
            "max": round(float(diff.max()), 4),
            "p99": round(float(np.quantile(diff, 0.99)), 4),
            "mean": round(float(diff.mean()), 5),
        }
    return res


def _stage_markdown(res: dict, form: str) -> list[str]:
    names = ("default_corpus_quarter", "default_corpus_half", "default_corpus")
    st = [res["stage_seconds"][n][form] for n in names]
    md = [
        "",
        f"Stages of training ({form}; CPU seconds, each stage's best of the repeats, in the same runs "
        "as above) for a quarter, a half and all of the corpus, and their growth:",
        "",
        "| stage | 1x | 2x | 4x | 2x / 1x | 4x / 1x |",
        "|---|---|---|---|---|---|",
    ]
    rows = [*st[0], "total"]
    for k in rows:
        v = [s[k] for s in st] if k != "total" else [res["best_seconds"][n][form] for n in names]
        g = [f"{x / v[0]:.2f}" if v[0] >= 0.05 else "-" for x in v[1:]]
        md.append(f"| {k} | {v[0]:.2f} | {v[1]:.2f} | {v[2]:.2f} | {g[0]} | {g[1]} |")
    its = res["liblinear_iterations_mean"]
    kind = "Newton steps" if form == "batched" else "liblinear iterations"
    md += [
        "",
        f"{kind} (mean over the final label models): "
        + ", ".join(f"{its[n][form]}" for n in names)
        + " at 1x, 2x, 4x.",
    ]
    return md


def _passes_markdown(res: dict) -> list[str]:
    lp = res["liblinear_passes"]
    md = [
        "",
        "liblinear's time per pass over the data (one label model, dual; (12 passes - 2 passes)"
        " / 10, best of at least 5 repeats; the copy: 16 bytes per nonzero)"
        + (" [from the previous run: not measured again]" if res.get("passes_reused") else "")
        + ":",
        "",
        "| matrix | rows | nonzeros | liblinear's copy (MB) | ms per pass | "
        "ms per pass per million nonzeros | copy read per second (GB/s) |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, r in lp.items():
        timed = (
            f"{r['seconds_per_pass'] * 1e3:.2f} | "
            f"{r['seconds_per_pass_per_million_nonzeros'] * 1e3:.2f} | {r['gb_per_second']}"
            if "seconds_per_pass" in r
            else "converged within 2 passes | - | -"
        )
        md.append(f"| {name} | {r['rows']:,} | {r['nonzeros']:,} | {r['liblinear_mb']} | {timed} |")
    mem = res["memory_read_gb_per_second"]
    md += [
        "",
        "The machine reads a float64 array (numpy sum) at "
        + ", ".join(f"{v} GB/s ({k})" for k, v in mem.items())
        + ": fast while it fits in the cache, at memory speed beyond.",
    ]
    return md


def _quality_markdown(q: dict, forms: tuple[str, ...]) -> list[str]:
    others = [f for f in forms if f != REFERENCE]
    md = ["", f"Quality, {' / '.join(forms)} (same data, folds and seed):", ""]
    md += [
        "| measure | "
        + " | ".join(forms)
        + " | "
        + " | ".join(f"{f} - {REFERENCE}" for f in others)
        + " |",
        "|---|" + "---|" * (len(forms) + len(others)),
    ]
    ch = q["corpus_heldout"]
    for prefix, part in (
        ("SemEval EN 5-fold CV", q.get("semeval_cv5")),
        (f"corpus held-out (EN, n={ch['n_test']:,}; trained on {ch['n_train']:,})", ch),
    ):
        if not part:
            continue
        for k in part[forms[0]]:
            vals = [part[f][k] for f in forms]
            diffs = [f"{part[f][k] - part[REFERENCE][k]:+.4f}" for f in others]
            md.append(f"| {prefix}: {k} | {' | '.join(map(str, vals))} | {' | '.join(diffs)} |")
    if "semeval_cv5_seconds_per_fold" in q:
        sec = q["semeval_cv5_seconds_per_fold"]
        md += [
            "",
            "SemEval EN 5-fold CV, CPU seconds per fold (training and scoring): "
            + ", ".join(f"{f} {sec[f]}" for f in forms)
            + ".",
        ]
    for form, d in ch["proba_fine_abs_diff"].items():
        md += [
            "",
            f"Frame probabilities of the corpus models on the test passages: |{form} - "
            f"{REFERENCE}| max {d['max']}, 99th percentile {d['p99']}, mean {d['mean']}.",
        ]
    return md


def _markdown(res: dict, repeats: int) -> list[str]:
    forms = tuple(res["forms"])
    best, ratio, auto = res["best_seconds"], res["over_reference"], res["auto_picks"]
    others = [f for f in forms if f != REFERENCE]
    md = [
        f"CPU seconds (user + system, one thread), best of {repeats:d}; x / {REFERENCE} is the "
        "median of the paired ratios (the configurations trained one after the other in each "
        "repeat). primal, dual: liblinear's formulations; batched: the label models fitted "
        'together (`classifier__solver="batched"`).',
        "",
        "| training set | "
        + " | ".join(forms)
        + " | "
        + " | ".join(f"{f} / {REFERENCE}" for f in others)
        + ' | `dual="auto"` picks (rows x features) |',
        "|---|" + "---|" * (len(forms) + len(others) + 1),
    ]
    for name, by in best.items():
        cells = [f"{by[f]:.1f}" if f in by else "-" for f in forms]
        r = [f"{ratio[name][f]:.2f}" if f in ratio.get(name, {}) else "-" for f in others]
        md.append(f"| {name} | {' | '.join(cells)} | {' | '.join(r)} | {auto[name]} |")
    md.append("")
    if "growth" in res:
        g = res["growth"]
        if "v1_over_default" in res:
            md.append(f"v1 calibration / default (primal): {res['v1_over_default']}x.")
        md.append(
            "Time for 2x / 4x the SemEval data, of 1x: "
            + ", ".join(f"{f} {g[f]['x2']}x / {g[f]['x4']}x" for f in forms)
            + "."
        )
    g = res["growth_corpus"]
    md.append(
        "Time for 2x / 4x distinct corpus passages (all of the corpus against a half and a "
        "quarter of it): " + ", ".join(f"{f} {g[f]['x2']}x / {g[f]['x4']}x" for f in forms) + "."
    )
    for form in forms:
        if form != "primal":
            md += _stage_markdown(res, form)
    md += _passes_markdown(res)
    q = res.get("quality")
    if q:
        md += _quality_markdown(q, forms)
    return md


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--skip-quality", action="store_true")
    ap.add_argument("--forms", default=",".join(FORMULATIONS))
    ap.add_argument("--skip-passes", action="store_true")
    args = ap.parse_args(argv)
    forms = tuple(args.forms.split(","))
    if unknown := set(forms) - set(FORMULATIONS):
        ap.error(f"unknown --forms {sorted(unknown)}; known: {', '.join(FORMULATIONS)}")
    from build_default_model import PARAMS, load_corpus

    out = ROOT / "benchmarks" / "results"
    previous = out / "train_speed.json"
    corpus = load_corpus()
    test_ids = set(json.loads((ROOT / "data" / "split.json").read_text())["test_ids"])
    corpus = corpus[~corpus["id"].isin(test_ids)].reset_index(drop=True)
    res = timing(corpus, PARAMS, args.repeats, forms)
    res["forms"] = list(forms)
    if args.skip_passes and previous.is_file():
        old = json.loads(previous.read_text())
        res["liblinear_passes"] = old["liblinear_passes"]
        res["memory_read_gb_per_second"] = old["memory_read_gb_per_second"]
        res["passes_reused"] = True
    else:
        res["liblinear_passes"] = liblinear_passes(corpus, PARAMS, args.repeats)
        res["memory_read_gb_per_second"] = memory_read_speed(args.repeats)
    if not args.skip_quality:
        res["quality"] = quality(PARAMS, forms)
    previous.write_text(json.dumps(res, indent=2) + "\n", encoding="utf-8")
    md = _markdown(res, args.repeats)
    (out / "train_speed.md").write_text("\n".join(md) + "\n", encoding="utf-8")
    print("\n".join(md))
    return res


if __name__ == "__main__":
    main()
