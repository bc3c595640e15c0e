"""Build the annotated demo sample of the validation loop (README, notebook 03).

    .venv/bin/python benchmarks/make_demo_annotations.py

1. Tags data/sample/sample_corpus.jsonl with the default model (passage rows, in memory).
2. Draws the README's sample: ``narratives sample TAGS --unit document --n 30 --seed 0``.
3. Exports it for Label Studio and fills in each task's annotation from
   data/sample/annotations.jsonl (the document-level reading of every sample document: frames and
   stance per frame, as listed in data/sample/README.md), the way Label Studio's JSON export
   writes annotations.
4. Writes data/sample/demo_annotations.labelstudio.json.

The annotations belong to one tag run: rebuild this file after the default model changes (the
test suite checks that it still matches).
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

import narratives  # noqa: E402
from narratives.io._annotation_tools import export_tasks  # noqa: E402
from narratives.validation import draw_sample, units_from_frame  # noqa: E402

OUT = ROOT / "data" / "sample" / "demo_annotations.labelstudio.json"
N, SEED = 30, 0


def demo_sample(model=None):
    model = model or narratives.load()
    docs = pd.read_json(ROOT / "data" / "sample" / "sample_corpus.jsonl", lines=True, dtype=False)
    tags = (
        narratives.explore.tag_frame(model, docs)
        if hasattr(narratives, "explore")
        else model.tag(docs)
    )
    units = units_from_frame(tags, "document", labels=model.taxonomy.fine_labels, source="tags")
    return draw_sample(units, N, "validate", seed=SEED, thresholds=model.thresholds)


def annotate(tasks: list[dict], gold: dict[str, dict]) -> list[dict]:
    for k, t in enumerate(tasks, 1):
        g = gold[t["data"]["id"]]
        res = [
            {
                "id": f"a{k}f",
                "from_name": "frames",
                "to_name": "text",
                "type": "choices",
                "value": {"choices": g["frames"] or ["none"]},
            }
        ]
        for j, f in enumerate(g["frames"]):
            res.append(
                {
                    "id": f"a{k}s{j}",
                    "from_name": f"stance_{f}",
                    "to_name": "text",
                    "type": "choices",
                    "value": {"choices": [g["stances"][f]]},
                }
            )
        t["id"] = k
        t["annotations"] = [
            {
                "id": k,
                "completed_by": 1,
                "result": res,
                "was_cancelled": False,
                "ground_truth": False,
            }
        ]
    return tasks


def main() -> Path:
    model = narratives.load()
    s = demo_sample(model)
    gold = {
        r["id"]: r
        for r in map(
            json.loads, (ROOT / "data" / "sample" / "annotations.jsonl").read_text().splitlines()
        )
    }
    with tempfile.TemporaryDirectory() as tmp:
        p = Path(tmp) / "s.labelstudio.json"
        extra = [c for c in ("outlet", "date", "country") if c in s.columns]
        export_tasks(
            s,
            p,
            "labelstudio",
            model.taxonomy.fine_labels,
            extra_fields=extra,
            model_version="narratives narratives-default",
        )
        tasks = json.loads(p.read_text(encoding="utf-8"))
    OUT.write_text(
        json.dumps(annotate(tasks, gold), ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )
    print(f"wrote {OUT} ({len(tasks)} annotated tasks, sample {s['run'].iloc[0]})")
    return OUT


if __name__ == "__main__":
    main()
