"""Model selection for the default model, on the TRAINING split only (the test split is never read).

    .venv/bin/python benchmarks/model_selection.py [CONFIG ...]

Every configuration is scored by 5-fold cross-validation grouped by near-duplicate cluster over the
training split (the same grouped split as build_default_model.py). Per fold the real pipeline stages are
fitted on the fold's training part (features, calibrated label models; thresholds tuned by the
classifier's own inner out-of-fold loop), so the numbers are those of the shipped procedure. The
spaCy stage runs once (it has nothing to learn). Results go to benchmarks/results/model_selection.json.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np
from sklearn.model_selection import GroupKFold

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "benchmarks"))

from build_default_model import load_corpus, split  # noqa: E402

import narratives  # noqa: E402
from narratives.evaluation import per_label_scores  # noqa: E402
from narratives.preprocessing import near_duplicate_groups  # noqa: E402

CONFIGS: dict[str, dict] = {
    "current": {"classifier__threshold_beta": 0.5},
    "beta1": {"classifier__threshold_beta": 1.0},
    "beta1_C3": {"classifier__threshold_beta": 1.0, "classifier__C": 3.0},
    "beta1_C30": {"classifier__threshold_beta": 1.0, "classifier__C": 30.0},
    "beta1_char": {"classifier__threshold_beta": 1.0, "features__char_ngrams": True},
    "beta1_cue03": {"classifier__threshold_beta": 1.0, "features__cue_weight": 0.3},
    "beta1_mindf1": {"classifier__threshold_beta": 1.0, "features__min_df": 1},
    "beta1_char_C30": {
        "classifier__threshold_beta": 1.0,
        "classifier__C": 30.0,
        "features__char_ngrams": True,
    },
    "beta075_char_C30": {
        "classifier__threshold_beta": 0.75,
        "classifier__C": 30.0,
        "features__char_ngrams": True,
    },
}


def main(names: list[str]) -> dict:
    df = load_corpus()
    train = df[~split(df)].reset_index(drop=True)
    texts, labels = train["text"].tolist(), train["frames"].tolist()
    stance = train["stance"].tolist()
    groups = np.asarray(near_duplicate_groups(texts))
    base = narratives.make_pipeline()
    t0 = time.perf_counter()
    processed = base.named_steps["preprocess"].fit(texts).transform(texts)
    print(f"preprocessed {len(texts)} passages in {time.perf_counter() - t0:.1f}s", flush=True)
    folds = list(GroupKFold(5, shuffle=True, random_state=0).split(texts, groups=groups))
    fine = base.taxonomy.fine_labels
    out_path = ROOT / "benchmarks" / "results" / "model_selection.json"
    results = json.loads(out_path.read_text()) if out_path.is_file() else {}
    for name in names:
        params = CONFIGS[name]
        t0 = time.perf_counter()
        pred: list[list[str]] = [[] for _ in texts]
        st_ok = st_n = 0
        for tr, te in folds:
            pipe = narratives.make_pipeline(**params)
            feats = pipe.named_steps["features"]
            Xtr = feats.fit_transform([processed[i] for i in tr])
            clf = pipe.named_steps["classifier"]
            clf.fit(Xtr, [labels[i] for i in tr], stance=[stance[i] for i in tr], groups=groups[tr])
            dec = clf.decide(feats.transform([processed[i] for i in te]))
            for k, i in enumerate(te):
                pred[i] = [f for f in dec["frames"][k] if f in fine]
                if labels[i]:
                    st_n += 1
                    s = "promotes" if dec["stance_proba"][k] >= 0.5 else "reports"
                    st_ok += s == stance[i]
        per = per_label_scores(labels, pred, fine)
        none_gold = [not g for g in labels]
        res = {
            "params": params,
            "cv_macro_f1_fine": round(float(np.mean([v["f1"] for v in per.values()])), 4),
            "cv_macro_precision": round(float(np.mean([v["precision"] for v in per.values()])), 4),
            "cv_macro_recall": round(float(np.mean([v["recall"] for v in per.values()])), 4),
            "cv_stance_accuracy_framed": round(st_ok / max(st_n, 1), 4),
            "cv_none_false_positive_rate": round(
                float(np.mean([bool(p) for p, g in zip(pred, none_gold, strict=True) if g])), 4
            ),
            "per_frame_f1": {k: round(v["f1"], 3) for k, v in per.items()},
            "n_train": len(texts),
            "seconds": round(time.perf_counter() - t0, 1),
        }
        results[name] = res
        print(
            name, {k: v for k, v in res.items() if k.startswith("cv_")}, res["seconds"], flush=True
        )
        out_path.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    return results


if __name__ == "__main__":
    main(sys.argv[1:] or list(CONFIGS))
