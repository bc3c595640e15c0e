"""Compare models on real text at equal precision, not at their own operating points.

    .venv/bin/python benchmarks/real_text_frontier.py [--model DIR ...] [--scales 0.85 1 1.15 1.3]
                                                      [--out NAME]

Every change measured for issue 11 (written data, cue lists, word clusters, the relevance gate,
sentence-level training rows, more real negatives, down-weighted topic words) also moved the
thresholds that the recipe tunes on the corpus's out-of-fold scores, so a change that "gains
recall" at its own operating point may only have lowered its precision. This script scores each
model with every frame's threshold multiplied by each scale (the model's own thresholds at 1)
on the yardsticks of ``benchmarks/real_text.py`` that move with the operating point:

- precision side: SemEval Ukraine-war ``Other`` documents given a frame / a promoting frame,
  climate documents given a frame, off-topic EUvsDisinfo claims given a frame, held-out
  current-events items naming the region given a promoting frame, and how many of the 41 neutral
  "country + topic word" sentences of tests/data/neutral_actor_topic.jsonl reach their frame's
  threshold;
- recall side: SemEval crosswalk micro precision / recall, EUvsDisinfo mean keyword recall
  (crosswalk v2), held-out data/real frame macro-F1.

A model is better than another only if some scale puts it at least as precise on every
precision yardstick with more recall. Parts whose data is absent are left out. Writes
benchmarks/results/<out>.{json,md} (default ``real_text_frontier``).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "benchmarks"))

import real_text as rt  # noqa: E402
from _real import shown_path  # noqa: E402

import narratives  # noqa: E402

NEUTRAL = ROOT / "tests" / "data" / "neutral_actor_topic.jsonl"

#: (column, label, part, dotted key) of the yardsticks shown.
COLUMNS = [
    ("other", "Other framed", "semeval", "ua_other_given_a_frame"),
    ("other_promoting", "Other promoting", "semeval", "ua_other_given_a_promoting_frame"),
    ("climate", "climate framed", "semeval", "cc_given_a_frame"),
    ("off_topic", "EUvs off-topic framed", "euvsdisinfo", "off_topic_given_a_frame"),
    (
        "current_events",
        "current events promoting",
        "real",
        "current_events_region_held_out.given_a_promoting_frame",
    ),
    ("crosswalk_p", "crosswalk P", "semeval", "ua_crosswalk_micro.precision"),
    ("crosswalk_r", "crosswalk R", "semeval", "ua_crosswalk_micro.recall"),
    ("euvs_recall", "EUvs recall (v2)", "euvsdisinfo", "mean_keyword_recall"),
    ("real_f1", "data/real F1", "real", "macro_f1_frames_present"),
]


#: The denominators of the precision-side shares (one unit moves a share by 1/n).
UNITS = [
    ("Other documents", "semeval", "ua_other_documents"),
    ("climate documents", "semeval", "cc_documents"),
    ("off-topic claims", "euvsdisinfo", "off_topic_claims"),
    ("current-events items", "real", "current_events_region_held_out.items"),
]


def scaled(model, scale: float):
    """``model`` with every frame threshold multiplied by ``scale`` (capped at 0.99): the shared
    ones and each language's own (``with_thresholds`` alone would drop the latter, so that
    Russian or Ukrainian text would get the scaled English thresholds instead)."""
    if scale == 1.0:
        return model
    fine = model.taxonomy.fine_labels
    thr = model.thresholds
    own = getattr(model.decider.classifier, "language_thresholds_", None) or {}
    out = model.with_thresholds(
        {f: min(0.99, thr[f] * scale) for f in fine}, note=f"thresholds x{scale}", clip=(0.0, 1.0)
    )
    tables = out.decider.classifier.language_thresholds_
    for lang, table in own.items():
        tables[lang].update({f: min(0.99, table[f] * scale) for f in fine if f in table})
    return out


def neutral_over(model) -> int | None:
    """How many neutral actor + topic sentences reach their frame's threshold."""
    if not NEUTRAL.exists():
        return None
    rows = [json.loads(x) for x in NEUTRAL.read_text(encoding="utf-8").splitlines() if x.strip()]
    tagged = model.tag([r["text"] for r in rows], unit="document")
    return sum(
        s[r["frame"]] >= model.thresholds[r["frame"]]
        for r, s in zip(rows, tagged["scores"], strict=True)
    )


def point(model) -> dict:
    parts = {
        "semeval": rt.semeval_part(model),
        "euvsdisinfo": rt.euvsdisinfo_part(model),
        "real": rt.real_part(model),
    }
    out = {}
    for col, _, part, key in COLUMNS:
        if parts[part] is not None:
            out[col] = rt._get(parts[part], key)
    out["neutral_over"] = neutral_over(model)
    out["units"] = {
        name: rt._get(parts[part], key)
        for name, part, key in UNITS
        if parts[part] is not None and rt._get(parts[part], key)
    }
    if NEUTRAL.exists():
        out["units"]["neutral sentences"] = sum(
            1 for x in NEUTRAL.read_text(encoding="utf-8").splitlines() if x.strip()
        )
    return out


def render(res: dict) -> str:
    cols = [c for c in COLUMNS if any(c[0] in p for m in res["models"] for p in m["points"])]
    head = ["model", "scale", *[c[1] for c in cols], "neutral over"]
    lines = [
        "# Real text at scaled thresholds",
        "",
        "`" + res["command"] + "`",
        "",
        "Precision side: Other, climate, off-topic, current events, neutral sentences (lower is "
        "better). Recall side: crosswalk R, EUvs recall, data/real F1 (higher is better).",
        "",
        "| " + " | ".join(head) + " |",
        "|" + "---|" * len(head),
    ]
    for m in res["models"]:
        for p in m["points"]:
            vals = [p.get(c[0]) for c in cols]
            cells = ["—" if v is None else f"{v:.3f}" for v in vals]
            lines.append(
                f"| {m['model']} | {p['scale']:g} | "
                + " | ".join(cells)
                + f" | {'—' if p['neutral_over'] is None else p['neutral_over']} |"
            )
    units = next((p["units"] for m in res["models"] for p in m["points"] if p.get("units")), {})
    if units:
        lines += [
            "",
            "Units behind the shares (one unit moves a share by 1/n, so differences of one or two "
            "units are noise): " + ", ".join(f"{name} {n}" for name, n in units.items()) + ".",
        ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", action="append", help="model directory (repeat; default: shipped)")
    ap.add_argument("--scales", type=float, nargs="+", default=[0.85, 1.0, 1.15, 1.3])
    ap.add_argument("--out", default="real_text_frontier")
    args = ap.parse_args(argv)
    if any(s <= 0 for s in args.scales):
        ap.error("scales must be positive")
    res = {
        "command": " ".join(["benchmarks/real_text_frontier.py", *(argv or sys.argv[1:])]),
        "models": [],
    }
    for path in args.model or [None]:
        model = narratives.load(path)
        name = "default" if path is None else shown_path(path)
        pts = [{"scale": s, **point(scaled(model, s))} for s in args.scales]
        res["models"].append({"model": name, "points": pts})
        print(f"{name}: {len(pts)} operating points", flush=True)
    return rt.write_results(res, args.out, render)


if __name__ == "__main__":
    main()
