"""How the default model generalises to real news it never saw: SemEval-2025 Task 10 (English).

    .venv/bin/python benchmarks/semeval_generalisation.py [--model DIR]

Tags the SemEval training documents (read from ../shared, never copied) at document level and reports:
- per crosswalked frame, recall against the documents whose gold subnarratives map to it
  (taxonomy.yaml `semeval:` lists), and how many documents got the frame at all;
- the share of climate-change documents (EN_CC_*) that receive any frame (target <= 10%), and the
  same share for Ukraine-war documents labelled `Other`.
Writes benchmarks/results/semeval_generalisation.{json,md}. Skips (exit 0) when ../shared is absent.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from _real import shown_path  # noqa: E402

import narratives  # noqa: E402
from narratives.io import read_semeval  # noqa: E402

SHARED = ROOT.parent / "shared" / "data" / "semeval2025-task10-en" / "train"


def main(argv: list[str] | None = None) -> dict | None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default=None)
    args = ap.parse_args(argv)
    if not SHARED.is_dir():
        print(f"skipped: {SHARED} not present")
        return None
    model = narratives.load(args.model)
    data = read_semeval(SHARED).frame
    t0 = time.perf_counter()
    tagged = model.tag(data[["id", "text"]], unit="document")
    seconds = time.perf_counter() - t0
    none = model.taxonomy.none_label
    pred = {
        i: {f for f in fr if f != none}
        for i, fr in zip(tagged["id"], tagged["frames"], strict=True)
    }
    gold = dict(zip(data["id"], data["frames"], strict=True))
    # SemEval annotates the narratives an article conveys; our tags also mark frames a text only
    # reports. A document "promotes" when most of its framed passages do.
    promotes = {
        i: bool(pred[i]) and s == "promotes"
        for i, s in zip(tagged["id"], tagged["stance"], strict=True)
    }
    rows = []
    for frame in model.taxonomy.frames:
        if not frame.semeval:
            continue
        pos = [i for i, subs in gold.items() if set(subs) & set(frame.semeval)]
        hit = [i for i in pos if frame.id in pred[i]]
        rows.append(
            {
                "frame": frame.id,
                "semeval_subnarratives": list(frame.semeval),
                "gold_documents": len(pos),
                "recall": round(len(hit) / len(pos), 3) if pos else None,
                "documents_tagged": sum(frame.id in p for p in pred.values()),
            }
        )
    cc = [i for i in gold if i.startswith("EN_CC_")]
    ua_other = [i for i, subs in gold.items() if i.startswith("EN_UA_") and set(subs) <= {"Other"}]
    ua_framed = [
        i for i, subs in gold.items() if i.startswith("EN_UA_") and not set(subs) <= {"Other"}
    ]
    res = {
        "model": shown_path(model.path),
        "documents": len(gold),
        "seconds": round(seconds, 1),
        "per_frame": rows,
        "cc_documents": len(cc),
        "cc_share_with_any_frame": round(sum(bool(pred[i]) for i in cc) / len(cc), 3),
        "ua_other_documents": len(ua_other),
        "ua_other_share_with_any_frame": round(
            sum(bool(pred[i]) for i in ua_other) / max(len(ua_other), 1), 3
        ),
        "ua_other_share_promoting_a_frame": round(
            sum(promotes[i] for i in ua_other) / max(len(ua_other), 1), 3
        ),
        "ua_framed_documents": len(ua_framed),
        "ua_framed_share_promoting_a_frame": round(
            sum(promotes[i] for i in ua_framed) / max(len(ua_framed), 1), 3
        ),
        "ua_framed_share_with_any_frame": round(
            sum(bool(pred[i]) for i in ua_framed) / max(len(ua_framed), 1), 3
        ),
    }
    out = ROOT / "benchmarks" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "semeval_generalisation.json").write_text(
        json.dumps(res, indent=2) + "\n", encoding="utf-8"
    )
    md = [
        "## Generalisation to real news (SemEval-2025 Task 10, English training documents)",
        "",
        "Document-level tags of the default model against the SemEval subnarratives crosswalked to each frame",
        "(`taxonomy.yaml`, `semeval:`). Reproduce: `.venv/bin/python benchmarks/semeval_generalisation.py`.",
        "",
        "| frame | SemEval documents | recall | documents tagged (of 399) |",
        "|---|---|---|---|",
    ]
    for r in rows:
        rec = "n/a" if r["recall"] is None else f"{r['recall']:.2f}"
        md.append(f"| {r['frame']} | {r['gold_documents']} | {rec} | {r['documents_tagged']} |")
    md += [
        "",
        f"- climate-change documents (EN_CC_*) with any frame: **{res['cc_share_with_any_frame']:.1%}** of {len(cc)} (target <= 10%)",
        f"- Ukraine-war documents labelled Other with any frame: {res['ua_other_share_with_any_frame']:.1%} of {len(ua_other)}; with a frame and stance promotes (most framed passages promote): {res['ua_other_share_promoting_a_frame']:.1%}",
        f"- Ukraine-war documents with a SemEval narrative that got any frame: {res['ua_framed_share_with_any_frame']:.1%} of {len(ua_framed)}; with stance promotes: {res['ua_framed_share_promoting_a_frame']:.1%}",
    ]
    (out / "semeval_generalisation.md").write_text("\n".join(md) + "\n", encoding="utf-8")
    print("\n".join(md))
    return res


if __name__ == "__main__":
    main()
