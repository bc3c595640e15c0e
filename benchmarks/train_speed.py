"""How long `narratives train` takes, and how it grows with the data (issue 12).

    .venv/bin/python benchmarks/train_speed.py [--repeats 2]

Times, in one process on one core (joblib n_jobs=1, BLAS threads 1), interleaved ``--repeats``
times so that machine noise hits every configuration alike:
- the SemEval-2025 English training set (399 documents, 117 labels; read from ../shared, skipped
  when absent), with the default calibration (``oof_sigmoid``) and the v1 calibration
  (``sigmoid``: ``CalibratedClassifierCV`` per label) for comparison;
- the default model's corpus (training split of data/corpus/, passages) with the default model's
  parameters;
- 1x, 2x and 4x the SemEval set (each copy with fresh ids and a one-character change, so no text
  is an exact duplicate) to show how time grows with the data.
Writes benchmarks/results/train_speed.{json,md}. Target: SemEval English under 30 s on one core,
growth no worse than linear.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "benchmarks"))

import narratives  # noqa: E402
from narratives.io import LabelledData, read_semeval  # noqa: E402

SEMEVAL = ROOT.parent / "shared" / "data" / "semeval2025-task10-en" / "train"


def _replicate(ld: LabelledData, times: int) -> LabelledData:
    frames = []
    for r in range(times):
        f = ld.frame.copy()
        f["id"] = f["id"].astype(str) + f"-copy{r}"
        f["text"] = f["text"] + (" " + "x" * r if r else "")
        frames.append(f)
    return LabelledData(pd.concat(frames, ignore_index=True), ld.taxonomy, [], ld.source)


def _time(data, **kw) -> float:
    t = time.perf_counter()
    narratives.train(data, seed=0, **kw)
    return time.perf_counter() - t


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=2)
    args = ap.parse_args(argv)
    from build_default_model import PARAMS, load_corpus

    corpus = load_corpus()
    test_ids = set(json.loads((ROOT / "data" / "split.json").read_text())["test_ids"])
    corpus = corpus[~corpus["id"].isin(test_ids)].reset_index(drop=True)
    runs: dict[str, list[float]] = {}
    configs = []
    if SEMEVAL.is_dir():
        sem = read_semeval(SEMEVAL)
        one = {"classifier__n_jobs": 1}
        configs += [
            ("semeval_en", sem, {"params": one}),
            (
                "semeval_en_v1_calibration",
                sem,
                {"params": {**one, "classifier__calibration": "sigmoid"}},
            ),
            ("semeval_en_x2", _replicate(sem, 2), {"params": one}),
            ("semeval_en_x4", _replicate(sem, 4), {"params": one}),
        ]
    configs.append(
        (
            "default_corpus",
            corpus,
            {"params": {**PARAMS, "classifier__n_jobs": 1}, "unit": "passage"},
        )
    )
    for _ in range(args.repeats):
        for name, data, kw in configs:
            runs.setdefault(name, []).append(round(_time(data, **kw), 2))
            print(name, runs[name][-1], flush=True)
    best = {k: min(v) for k, v in runs.items()}
    res = {"seconds_per_run": runs, "best_seconds": best, "n_corpus": len(corpus)}
    if "semeval_en" in best:
        res["v1_over_default"] = round(best["semeval_en_v1_calibration"] / best["semeval_en"], 2)
        res["growth_x2"] = round(best["semeval_en_x2"] / best["semeval_en"], 2)
        res["growth_x4"] = round(best["semeval_en_x4"] / best["semeval_en"], 2)
    out = ROOT / "benchmarks" / "results"
    (out / "train_speed.json").write_text(json.dumps(res, indent=2) + "\n", encoding="utf-8")
    md = [
        f"| training set | seconds (best of {args.repeats:d}, one core) |",
        "|---|---|",
        *[f"| {k} | {v:.1f} |" for k, v in best.items()],
        "",
    ]
    if "semeval_en" in best:
        md.append(
            f"v1 calibration / default: {res['v1_over_default']}x; time for 2x / 4x the SemEval "
            f"data: {res['growth_x2']}x / {res['growth_x4']}x of 1x."
        )
    (out / "train_speed.md").write_text("\n".join(md) + "\n", encoding="utf-8")
    print("\n".join(md))
    return res


if __name__ == "__main__":
    main()
