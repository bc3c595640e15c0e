"""5-fold cross-validation on SemEval-2025 Task 10 (English or Russian train): the model against three baselines.

    .venv/bin/python benchmarks/semeval_cv.py [--lang en|ru] [--report-dir DIR (default: semeval_report in the temp folder)] [--folds 5]

Runs exactly the documented command

    narratives evaluate ../shared/data/semeval2025-task10-<lang>/train --format semeval --cv 5 -o REPORT_DIR

and saves what it prints (the model-vs-baselines table with bootstrap intervals) to
benchmarks/results/semeval_cv.md (Russian: semeval_cv_ru.md) and its metrics.json, without any document text (ids, labels and
numbers only: the data is for research use and is never copied into the repository), to
benchmarks/results/semeval_cv.json. The full report (report.html with the error analysis) stays in
REPORT_DIR. Skips (exit 0) when ../shared is absent.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from _real import shown_path  # noqa: E402

from narratives.evaluation import strip_texts  # noqa: E402

SHARED = ROOT.parent / "shared" / "data"
LANGUAGES = {"en": "English", "ru": "Russian"}
RESULTS = ROOT / "benchmarks" / "results"


def _shown(metrics: dict) -> dict:
    """The metrics with the data folder shown relative to the repository (no machine paths)."""
    data = dict(metrics.get("data") or {})
    if data.get("source"):
        data["source"] = shown_path(data["source"])
    return {**metrics, "data": data} if data else metrics


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--report-dir", type=Path, default=Path(tempfile.gettempdir()) / "semeval_report"
    )
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--lang", choices=sorted(LANGUAGES), default="en")
    args = ap.parse_args(argv)
    data = SHARED / f"semeval2025-task10-{args.lang}" / "train"
    stem = "semeval_cv" if args.lang == "en" else f"semeval_cv_{args.lang}"
    if not (data / "raw-documents").is_dir():
        print(f"skipped: {data} not present")
        return 0
    exe = Path(sys.executable).with_name("narratives")
    cmd = [
        str(exe),
        "evaluate",
        str(data),
        "--format",
        "semeval",
        "--cv",
        str(args.folds),
        "--seed",
        str(args.seed),
        "-o",
        str(args.report_dir),
    ]
    shown = f"narratives evaluate ../shared/data/semeval2025-task10-{args.lang}/train --format semeval --cv {args.folds} -o REPORT_DIR"
    t0 = time.perf_counter()
    proc = subprocess.run(
        cmd, capture_output=True, text=True, check=False, env={**os.environ, "COLUMNS": "200"}
    )
    seconds = time.perf_counter() - t0
    if proc.returncode != 0:
        print(proc.stdout, proc.stderr, sep="\n", file=sys.stderr)
        return proc.returncode
    metrics = json.loads((args.report_dir / "metrics.json").read_text(encoding="utf-8"))
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{stem}.json").write_text(
        json.dumps(strip_texts(_shown(metrics)), indent=1, ensure_ascii=False) + "\n",
        encoding="utf-8",
    )
    printed = "\n".join(
        line for line in proc.stdout.splitlines() if not line.startswith("report written to")
    )
    p, g = metrics["protocol"], metrics["protocol"]["grouping"]
    timing = {n: s["timing"] for n, s in metrics["systems"].items()}
    md = [
        f"## SemEval-2025 Task 10 ({LANGUAGES[args.lang]} train, {metrics['data']['n_documents']} documents): cross-validated model vs baselines",
        "",
        f"`{shown}` ({seconds / 60:.0f} min wall on {os.cpu_count()} cores, {platform.machine()}; "
        f"reproduce: `.venv/bin/python benchmarks/semeval_cv.py --lang {args.lang}`).",
        "",
        f"{p['folds']} folds, seed {p['seed']}; folds keep near-duplicate clusters together "
        f"({g['near_duplicate_clusters']} clusters, {g['texts_in_near_duplicate_clusters']} texts; fold sizes {g['fold_sizes']}). "
        f"Mean over documents with 95% percentile-bootstrap intervals ({p['bootstrap']['n']} resamples of the documents). "
        "Δ: narratives minus the baseline on fine F1-samples (SemEval's ranking metric), paired bootstrap. "
        "Train: seconds per fold; predict: documents per second (model: spaCy preprocessing included).",
        "",
        printed.strip(),
        "",
        "Fit seconds per fold: " + "; ".join(f"{n} {t['fit_seconds']}" for n, t in timing.items()),
        "",
        f"Numbers only, no document text: `benchmarks/results/{stem}.json`. Data: {metrics['data']['n_documents']} documents, "
        f"{100 * metrics['data']['none_share']:.0f}% `Other` only; {metrics['data']['fine_labels_with_support']} of "
        f"{metrics['data']['n_fine_labels']} subnarratives occur.",
    ]
    (RESULTS / f"{stem}.md").write_text("\n".join(md) + "\n", encoding="utf-8")
    print("\n".join(md))
    return 0


if __name__ == "__main__":
    sys.exit(main())
