"""Held-out frame macro-F1 per language and writing round (issue 17).

    .venv/bin/python benchmarks/language_rounds.py [--model models/default]

The Russian and Ukrainian corpora were written in rounds (their data cards); the last Russian
round (parts 10-11) was written against the frames the model missed, without their textbook
words, so its held-out passages are harder than the rest. This scores the model's held-out
passages (data/split.json) of each language by round. Results: benchmarks/results/language_rounds.md.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

import narratives  # noqa: E402
from narratives.evaluation import per_label_scores  # noqa: E402
from narratives.io._repo_data import CORPUS_FOLDERS, load_corpus  # noqa: E402

#: Writing rounds by part number (data/corpus-ru/README.md, data/corpus-uk/README.md).
ROUNDS = {
    "ru": {
        "parts 01-09 (rounds 1-2)": range(1, 10),
        "parts 10-11 (round 3)": range(10, 12),
        "part 12 (round 4)": range(12, 13),
    },
    "uk": {"parts 01-04 (rounds 1-2)": range(1, 5)},
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", default=str(ROOT / "models" / "default"))
    args = ap.parse_args()
    model = narratives.load(args.model)
    labels = model.taxonomy.fine_labels
    test = set(json.loads((ROOT / "data" / "split.json").read_text())["test_ids"])
    df = load_corpus(ROOT, CORPUS_FOLDERS)
    lines = [
        "## Held-out frame macro-F1 by language and writing round",
        "",
        "Reproduce: `.venv/bin/python benchmarks/language_rounds.py`. Macro-F1 over all 13 frames "
        "(and over the frames present in the subset).",
        "",
        "| language | passages | frame macro-F1 | over frames present |",
        "|---|---|---|---|",
    ]
    for lang, rounds in ROUNDS.items():
        sub = df[(df["lang"] == lang) & df["id"].isin(test)].reset_index(drop=True)
        dec = model.pipeline.decide(sub["text"].tolist())
        pred = [[f for f in fr if f != model.taxonomy.none_label] for fr in dec["frames"]]
        part = sub["id"].str.slice(3, 5).astype(int).to_numpy()
        for name, parts in {**rounds, "all": range(1, 100)}.items():
            idx = np.flatnonzero(np.isin(part, list(parts)))
            per = per_label_scores([sub["frames"][i] for i in idx], [pred[i] for i in idx], labels)
            present = [v["f1"] for v in per.values() if v["support"]]
            lines.append(
                f"| {lang} {name} | {len(idx)} | {np.mean([v['f1'] for v in per.values()]):.3f} | "
                f"{np.mean(present):.3f} ({len(present)} frames) |"
            )
    out = ROOT / "benchmarks" / "results" / "language_rounds.md"
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
