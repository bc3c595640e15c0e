"""Cross-lingual consistency (issue 17): the same 100 passages in English and Russian.

    .venv/bin/python benchmarks/cross_lingual.py [--model models/default]

Reads data/parallel/en-ru.jsonl (written for evaluation only; never training data), tags each
passage in both languages with the model (one passage, one decision, as ``decide`` gives it) and
reports:

- consistency: the share of passages that get the same set of frames in both languages (two
  frame-free decisions agree); target at least 0.80;
- stance agreement on the passages framed alike in both languages;
- per language, agreement with the shared gold labels (exact frame set) and micro-F1 of frames.

Results: benchmarks/results/cross_lingual.{json,md}.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from _real import shown_path  # noqa: E402

import narratives  # noqa: E402

DATA = ROOT / "data" / "parallel" / "en-ru.jsonl"
RESULTS = ROOT / "benchmarks" / "results"
TARGET = 0.80


def micro_f1(gold: list[set[str]], pred: list[set[str]]) -> float:
    tp = sum(len(g & p) for g, p in zip(gold, pred, strict=True))
    fp = sum(len(p - g) for g, p in zip(gold, pred, strict=True))
    fn = sum(len(g - p) for g, p in zip(gold, pred, strict=True))
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", default=str(ROOT / "models" / "default"))
    args = ap.parse_args()
    rows = [json.loads(line) for line in DATA.read_text(encoding="utf-8").splitlines() if line]
    model = narratives.load(args.model)
    none = model.taxonomy.none_label
    pred, stance = {}, {}
    for lang in ("en", "ru"):
        dec = model.pipeline.decide([r[lang] for r in rows])
        pred[lang] = [{f for f in fr if f != none} for fr in dec["frames"]]
        stance[lang] = list(dec["stance"])
    gold = [set(r["frames"]) for r in rows]
    same = [a == b for a, b in zip(pred["en"], pred["ru"], strict=True)]
    framed_alike = [i for i, s in enumerate(same) if s and pred["en"][i]]
    report = {
        "model": shown_path(args.model),
        "n": len(rows),
        "n_gold_framed": sum(bool(g) for g in gold),
        "consistency": round(sum(same) / len(rows), 3),
        "target": TARGET,
        "met": sum(same) / len(rows) >= TARGET,
        "framed_alike": len(framed_alike),
        "stance_agreement_framed_alike": round(
            sum(stance["en"][i] == stance["ru"][i] for i in framed_alike) / len(framed_alike), 3
        )
        if framed_alike
        else None,
        "by_language": {
            lang: {
                "exact_match": round(
                    sum(p == g for p, g in zip(pred[lang], gold, strict=True)) / len(rows), 3
                ),
                "micro_f1": round(micro_f1(gold, pred[lang]), 3),
                "framed": sum(bool(p) for p in pred[lang]),
            }
            for lang in ("en", "ru")
        },
        "disagreements": [
            {"id": r["id"], "en": sorted(pred["en"][i]), "ru": sorted(pred["ru"][i])}
            for i, r in enumerate(rows)
            if not same[i]
        ],
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "cross_lingual.json").write_text(json.dumps(report, indent=1) + "\n")
    b = report["by_language"]
    md = [
        "## Cross-lingual consistency (English and Russian versions of 100 passages)",
        "",
        "Reproduce: `.venv/bin/python benchmarks/cross_lingual.py` (data/parallel/en-ru.jsonl, "
        "written for evaluation only).",
        "",
        f"- same frames in both languages: **{report['consistency']:.2f}** (target {TARGET:.2f}: "
        f"{'met' if report['met'] else 'not met'}); stance agreement where both are framed "
        f"alike: {report['stance_agreement_framed_alike']} ({report['framed_alike']} passages)",
        f"- against the shared labels ({report['n_gold_framed']} framed): English exact match "
        f"{b['en']['exact_match']:.2f}, frame micro-F1 {b['en']['micro_f1']:.2f}; Russian exact "
        f"match {b['ru']['exact_match']:.2f}, frame micro-F1 {b['ru']['micro_f1']:.2f}",
    ]
    (RESULTS / "cross_lingual.md").write_text("\n".join(md) + "\n")
    print("\n".join(md))


if __name__ == "__main__":
    main()
