"""Build ``labels.jsonl`` per source from the annotation passes, and measure agreement.

    python data/real/merge_annotations.py [--agreement-only]

- ``annotations/first/*.jsonl``: the first annotation of every passage.
- ``annotations/second/*.jsonl``: an independent second annotation of a stratified ~20% sample.
- ``annotations/adjudicated.jsonl``: the resolution of every passage on which the two passes
  disagree (frames or stance), with a reason; it wins over both passes.

Agreement is reported per frame (Cohen's kappa on presence, over the doubly annotated passages),
for "any frame" and for stance on the frames both passes found; written to
``annotations/agreement.json``. Labels are written only when every disagreement is adjudicated.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from sklearn.metrics import cohen_kappa_score

HERE = Path(__file__).resolve().parent
SOURCES = {"kremlin-en": "kremlin-", "wikipedia-current-events": "wcev-"}
FRAMES = [
    "artificial_state", "russian_lands", "conditional_sovereignty", "ethnic_grievance",
    "separatism", "western_puppet", "nazi_smear", "aid_futile", "fabricated_atrocities",
    "civilisational_mission", "russia_defends", "russia_guarantor", "military_threat",
]  # fmt: skip


def _read(pattern: str) -> dict[str, dict]:
    out: dict[str, dict] = {}
    for path in sorted(HERE.glob(pattern)):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                rec = json.loads(line)
                if rec["id"] in out:
                    raise SystemExit(f"{path.name}: {rec['id']} annotated twice")
                out[rec["id"]] = rec
    return out


def agreement(first: dict, second: dict) -> dict:
    ids = sorted(second)
    a = [first[i]["frames"] for i in ids]
    b = [second[i]["frames"] for i in ids]
    res: dict = {"passages": len(ids), "per_frame": {}}
    for f in FRAMES:
        x = [int(f in r) for r in a]
        y = [int(f in r) for r in b]
        both, either = sum(p & q for p, q in zip(x, y)), sum(p | q for p, q in zip(x, y))
        kappa = cohen_kappa_score(x, y) if len(set(x + y)) > 1 else None
        res["per_frame"][f] = {
            "first": sum(x), "second": sum(y), "both": both, "either": either,
            "kappa": None if kappa is None else round(float(kappa), 3),
        }  # fmt: skip
    x = [int(bool(r)) for r in a]
    y = [int(bool(r)) for r in b]
    res["any_frame_kappa"] = (
        round(float(cohen_kappa_score(x, y)), 3) if len(set(x + y)) > 1 else None
    )
    res["exact_label_set_agreement"] = round(
        sum(set(p) == set(q) for p, q in zip(a, b)) / len(ids), 3
    )
    pairs = [(p[f], q[f]) for p, q in zip(a, b) for f in p if f in q]
    res["stance_pairs"] = len(pairs)
    res["stance_agreement"] = round(sum(s == t for s, t in pairs) / len(pairs), 3) if pairs else None
    present = [v["kappa"] for v in res["per_frame"].values() if v["kappa"] is not None]
    res["mean_kappa_frames_present"] = round(sum(present) / len(present), 3) if present else None
    return res


def main(argv: list[str]) -> None:
    first, second = _read("annotations/first/*.jsonl"), _read("annotations/second/*.jsonl")
    adjudicated = _read("annotations/adjudicated.jsonl")
    missing = [i for i in second if i not in first]
    if missing and "--agreement-only" not in argv:
        raise SystemExit(f"second pass has ids without a first annotation: {missing[:5]}")
    second = {i: r for i, r in second.items() if i in first}
    res = {"all": agreement(first, second)}
    for source, prefix in SOURCES.items():
        sub = {i: r for i, r in second.items() if i.startswith(prefix)}
        if sub:
            res[source] = agreement(first, sub)
    disagreements = sorted(i for i in second if first[i]["frames"] != second[i]["frames"])
    res["disagreements"] = len(disagreements)
    res["adjudicated"] = sum(i in adjudicated for i in disagreements)
    (HERE / "annotations" / "agreement.json").write_text(json.dumps(res, indent=2) + "\n")
    print(json.dumps({k: v for k, v in res["all"].items() if k != "per_frame"}, indent=1))
    if "--agreement-only" in argv:
        return
    open_ = [i for i in disagreements if i not in adjudicated]
    if open_:
        raise SystemExit(f"{len(open_)} disagreements are not adjudicated yet, e.g. {open_[:3]}")
    for source, prefix in SOURCES.items():
        passages = [json.loads(x) for x in (HERE / source / "passages.jsonl").read_text().splitlines()]
        with open(HERE / source / "labels.jsonl", "w", encoding="utf-8") as fh:
            for p in passages:
                i = p["id"]
                if i not in first:
                    raise SystemExit(f"{i} has no annotation")
                final = adjudicated.get(i) or first[i]
                rec = {"id": i, "frames": final["frames"], "evidence": final.get("evidence", {})}
                rec["annotations"] = 2 if i in second else 1
                fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
        print(source, len(passages), "labels written")


if __name__ == "__main__":
    main(sys.argv[1:])
