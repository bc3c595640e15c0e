"""How long `narratives train` takes, how it grows with the data, and what liblinear's dual
formulation changes (issue 12).

    .venv/bin/python benchmarks/train_speed.py [--repeats 2] [--skip-quality]

Times, in one process on one core (joblib n_jobs=1, BLAS threads 1), interleaved ``--repeats``
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
- a quarter, a half and all of that corpus: growth on distinct passages.
Each configuration is trained with the primal (``classifier__dual=False``) and the dual
(``classifier__dual=True``) formulation, one right after the other (order alternating between
repeats); the dual/primal ratio is the median of these paired ratios, which the machine's load
hits alike. The table also says which formulation ``dual="auto"`` picks for each training matrix.

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
import json
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "benchmarks"))

import narratives  # noqa: E402
from narratives.io import LabelledData, read_semeval  # noqa: E402
from narratives.model._label_models import resolve_dual  # noqa: E402
from narratives.preprocessing import text_hash  # noqa: E402

SEMEVAL = ROOT.parent / "shared" / "data" / "semeval2025-task10-en" / "train"
#: The two formulations compared, by the value of ``classifier__dual``.
FORMULATIONS = {"primal": False, "dual": True}


def _replicate(ld: LabelledData, times: int) -> LabelledData:
    frames = []
    for r in range(times):
        f = ld.frame.copy()
        f["id"] = f["id"].astype(str) + f"-copy{r}"
        f["text"] = f["text"] + (" " + "x" * r if r else "")
        frames.append(f)
    return LabelledData(pd.concat(frames, ignore_index=True), ld.taxonomy, [], ld.source)


def _train(data, **kw) -> tuple[float, object]:
    t = time.perf_counter()
    model = narratives.train(data, seed=0, **kw)
    return time.perf_counter() - t, model


def _auto_picks(model) -> str:
    """The formulation ``dual="auto"`` picks for the label models' training matrix."""
    clf = model.pipeline.classifier
    shape = (clf.training_metrics_["n_train"], clf.n_features_in_)
    return f"{'dual' if resolve_dual('auto', shape) else 'primal'} ({shape[0]:,} x {shape[1]:,})"


def _configs(corpus: pd.DataFrame, params: dict) -> list[tuple[str, object, dict, tuple]]:
    """(name, data, train kwargs, formulations timed)."""
    one = {"classifier__n_jobs": 1}
    both = tuple(FORMULATIONS)
    configs = []
    if SEMEVAL.is_dir():
        sem = read_semeval(SEMEVAL)
        configs += [
            ("semeval_en", sem, {"params": one}, both),
            (
                "semeval_en_v1_calibration",
                sem,
                {"params": {**one, "classifier__calibration": "sigmoid"}},
                ("primal",),
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
    return configs


def timing(corpus: pd.DataFrame, params: dict, repeats: int) -> dict:
    runs: dict[str, dict[str, list[float]]] = {}
    ratios: dict[str, list[float]] = {}
    auto: dict[str, str] = {}
    configs = _configs(corpus, params)
    # Warm-up (spaCy and the lazy imports), not timed: the first run would pay it.
    _train(corpus.head(60), params={**params, "classifier__n_jobs": 1}, unit="passage")
    for rep in range(repeats):
        for name, data, kw, forms in configs:
            order = forms if rep % 2 == 0 else tuple(reversed(forms))
            this = {}
            for form in order:
                p = {**kw["params"], "classifier__dual": FORMULATIONS[form]}
                seconds, model = _train(data, **{**kw, "params": p})
                this[form] = seconds
                runs.setdefault(name, {}).setdefault(form, []).append(round(seconds, 2))
                auto.setdefault(name, _auto_picks(model))
                print(name, form, round(seconds, 2), flush=True)
            if len(this) == 2:
                ratios.setdefault(name, []).append(this["dual"] / this["primal"])
    best = {name: {f: min(v) for f, v in by.items()} for name, by in runs.items()}
    res = {
        "seconds_per_run": runs,
        "best_seconds": best,
        "dual_over_primal": {k: round(statistics.median(v), 2) for k, v in ratios.items()},
        "auto_picks": auto,
        "n_corpus": len(corpus),
    }
    res["growth_corpus"] = {
        form: {
            "x2": round(best["default_corpus"][form] / best["default_corpus_half"][form], 2),
            "x4": round(best["default_corpus"][form] / best["default_corpus_quarter"][form], 2),
        }
        for form in FORMULATIONS
    }
    if "semeval_en" in best:
        res["v1_over_default"] = round(
            best["semeval_en_v1_calibration"]["primal"] / best["semeval_en"]["primal"], 2
        )
        res["growth"] = {
            form: {
                f"x{k}": round(best[f"semeval_en_x{k}"][form] / best["semeval_en"][form], 2)
                for k in (2, 4)
            }
            for form in FORMULATIONS
        }
    return res


def _semeval_cv(dual: bool) -> dict:
    from narratives.evaluation import evaluate

    r = evaluate(
        data=SEMEVAL,
        cv=5,
        fmt="semeval",
        baselines=[],
        n_bootstrap=0,
        params={"classifier__n_jobs": 1, "classifier__dual": dual},
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
    dual: bool, params: dict, train: pd.DataFrame, test: pd.DataFrame
) -> tuple[dict, np.ndarray]:
    from build_default_model import score_split

    p = {**params, "classifier__n_jobs": 1, "classifier__dual": dual}
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


def quality(params: dict) -> dict:
    res: dict = {}
    if SEMEVAL.is_dir():
        res["semeval_cv5"] = {form: _semeval_cv(d) for form, d in FORMULATIONS.items()}
        print("semeval_cv5", res["semeval_cv5"], flush=True)
    train, test = _corpus_tables()
    res["corpus_heldout"] = {
        "n_train": len(train),
        "n_test": len(test),
        "train_text_hash": text_hash(train["text"].tolist()),
    }
    probas = {}
    for form, d in FORMULATIONS.items():
        res["corpus_heldout"][form], probas[form] = _corpus_heldout(d, params, train, test)
        print("corpus_heldout", form, res["corpus_heldout"][form], flush=True)
    diff = np.abs(probas["dual"] - probas["primal"])
    res["corpus_heldout"]["proba_fine_abs_diff"] = {
        "max": round(float(diff.max()), 4),
        "p99": round(float(np.quantile(diff, 0.99)), 4),
        "mean": round(float(diff.mean()), 5),
    }
    return res


def _markdown(res: dict, repeats: int) -> list[str]:
    best, ratio, auto = res["best_seconds"], res["dual_over_primal"], res["auto_picks"]
    md = [
        f"Seconds, best of {repeats:d}, one core; dual / primal is the median of the paired "
        "ratios (the two formulations trained one after the other in each repeat).",
        "",
        '| training set | primal | dual | dual / primal | `dual="auto"` picks (rows x features) |',
        "|---|---|---|---|---|",
    ]
    for name, by in best.items():
        cells = [f"{by[f]:.1f}" if f in by else "-" for f in FORMULATIONS]
        r = f"{ratio[name]:.2f}" if name in ratio else "-"
        md.append(f"| {name} | {' | '.join(cells)} | {r} | {auto[name]} |")
    md.append("")
    if "growth" in res:
        g = res["growth"]
        md.append(
            f"v1 calibration / default (primal): {res['v1_over_default']}x. Time for 2x / 4x the "
            f"SemEval data, of 1x: primal {g['primal']['x2']}x / {g['primal']['x4']}x, dual "
            f"{g['dual']['x2']}x / {g['dual']['x4']}x."
        )
    g = res["growth_corpus"]
    md.append(
        f"Time for 2x / 4x distinct corpus passages (all of the corpus against a half and a "
        f"quarter of it): primal {g['primal']['x2']}x / {g['primal']['x4']}x, dual "
        f"{g['dual']['x2']}x / {g['dual']['x4']}x."
    )
    q = res.get("quality")
    if q:
        md += ["", "Quality, primal vs dual (same data, folds and seed):", ""]
        md += ["| measure | primal | dual | dual - primal |", "|---|---|---|---|"]
        ch = q["corpus_heldout"]
        for prefix, part in (
            ("SemEval EN 5-fold CV", q.get("semeval_cv5")),
            (f"corpus held-out (EN, n={ch['n_test']:,}; trained on {ch['n_train']:,})", ch),
        ):
            if not part:
                continue
            for k in part["primal"]:
                a, b = part["primal"][k], part["dual"][k]
                md.append(f"| {prefix}: {k} | {a} | {b} | {b - a:+.4f} |")
        d = ch["proba_fine_abs_diff"]
        md += [
            "",
            f"Frame probabilities of the two corpus models on the test passages: |dual - primal| "
            f"max {d['max']}, 99th percentile {d['p99']}, mean {d['mean']}.",
        ]
    return md


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--skip-quality", action="store_true")
    args = ap.parse_args(argv)
    from build_default_model import PARAMS, load_corpus

    corpus = load_corpus()
    test_ids = set(json.loads((ROOT / "data" / "split.json").read_text())["test_ids"])
    corpus = corpus[~corpus["id"].isin(test_ids)].reset_index(drop=True)
    res = timing(corpus, PARAMS, args.repeats)
    if not args.skip_quality:
        res["quality"] = quality(PARAMS)
    out = ROOT / "benchmarks" / "results"
    (out / "train_speed.json").write_text(json.dumps(res, indent=2) + "\n", encoding="utf-8")
    md = _markdown(res, args.repeats)
    (out / "train_speed.md").write_text("\n".join(md) + "\n", encoding="utf-8")
    print("\n".join(md))
    return res


if __name__ == "__main__":
    main()
