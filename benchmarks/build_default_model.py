"""Build the embedded default model from the project's hand-written corpus.

    .venv/bin/python benchmarks/build_default_model.py          # or: make model
    .venv/bin/python benchmarks/build_default_model.py --card-only   # card from the saved results
    .venv/bin/python benchmarks/build_default_model.py --variant DIR [--seed N] [--param KEY=VALUE ...]

``--variant``: the same recipe (data, split, parameters) with another threshold-fold seed or
parameter overrides (``classifier__threshold_plateau=0.02``; values read as JSON, else as text),
saved to the new directory DIR and nothing else written; score it with
``benchmarks/real_text.py --model DIR --out NAME``. The README's seed-spread figures come from
``--variant DIR --seed 1``.

Deterministic (seed 0): the same corpus gives the same split, model and numbers.
1. Reads data/corpus/part-*.jsonl.
2. Groups near-duplicates with narratives' own detector and puts whole groups in the held-out test
   split (about 22% of passages; a group goes to test when a hash of its first id says so), written
   to data/split.json.
3. Trains on the training split only, scores the test split, and ships exactly that model to
   models/default/ with a model card: the test numbers below are the shipped model's numbers.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "benchmarks"))

import narratives  # noqa: E402
from narratives.evaluation import per_label_scores  # noqa: E402
from narratives.io._repo_data import (  # noqa: E402
    CORPUS_FOLDERS,
    REAL_NEGATIVE_COPIES,
    default_training_data,
)
from narratives.io._repo_data import load_corpus as _load_corpus  # noqa: E402
from narratives.preprocessing import near_duplicate_groups  # noqa: E402

TEST_SHARE = 22  # percent
# Chosen by benchmarks/model_selection.py (grouped 5-fold CV on the training split only; results in
# benchmarks/results/model_selection.json): character n-grams and C=30 gain about 0.04 macro-F1
# over words with C=10; thresholds tuned for F0.75 on out-of-fold predictions keep the same F1 as
# F1-tuning with higher precision (frames are rare in open-world text).
PARAMS = {
    "features__char_ngrams": True,
    "classifier__C": 30.0,
    "classifier__threshold_beta": float(os.environ.get("NARRATIVES_BETA", "0.75")),
    # Open-world decisions (model/_open_world.py), family-wise across the 13 frames: at most 5%
    # of frame-free real passages (out-of-fold) may get any frame, so each frame's threshold lets
    # through at most 0.05 / 13 of them; a document needs evidence whose p-value against
    # frame-free documents of its length is at most the same 0.05 / 13 (so a one-passage
    # document is decided like a passage).
    "classifier__open_world_fpr": float(os.environ.get("NARRATIVES_FPR", str(0.05 / 13))),
    "classifier__document_alpha": 0.05 / 13,
    # The shipped model was fitted with liblinear. The batched solver that solver="auto" picks for
    # a matrix this size gives the same frame probabilities within 5e-5 on the corpus's held-out
    # split (benchmarks/results/train_speed.md) and trains 1.4x faster; pinned here so that this
    # recipe reproduces the shipped model until the next rebuild re-runs every figure.
    "classifier__solver": "liblinear",
}


# Writing rounds of the corpus (data/README.md), by part number: the test split is scored per round
# too, because later rounds were written against measured weaknesses and differ in difficulty.
ROUNDS = {
    1: range(1, 7),
    2: range(7, 11),
    3: range(11, 17),
    4: range(17, 24),
    5: range(24, 28),
    6: range(28, 32),
    7: range(32, 36),
    8: range(36, 38),
    9: range(38, 41),
    10: range(41, 42),
    11: range(42, 43),
    12: range(43, 44),
    13: range(44, 46),
}


def round_of(passage_id: str) -> int | None:
    """Writing round of an English corpus passage (None for the other languages)."""
    if not passage_id.startswith("p"):
        return None
    part = int(passage_id[1:3])
    return next((r for r, parts in ROUNDS.items() if part in parts), None)


def load_corpus(languages=("en",)) -> pd.DataFrame:
    return _load_corpus(ROOT, languages)


def split(df: pd.DataFrame) -> np.ndarray:
    groups = near_duplicate_groups(df["text"].tolist())
    first_id = {}
    for g, i in zip(groups, df["id"], strict=True):
        first_id.setdefault(g, i)
    key = [
        int(hashlib.blake2b(first_id[g].encode(), digest_size=8).hexdigest(), 16) % 100
        for g in groups
    ]
    return np.array([k < TEST_SHARE for k in key])


def main() -> dict:
    df = load_corpus(CORPUS_FOLDERS)
    is_test = split(df)
    (ROOT / "data" / "split.json").write_text(
        json.dumps({"policy": f"near-duplicate groups hashed to test with p={TEST_SHARE}%; see benchmarks/build_default_model.py",
                    "test_ids": sorted(df.loc[is_test, "id"])}, indent=1) + "\n", encoding="utf-8")  # fmt: skip
    train_df, test_df = df[~is_test].reset_index(drop=True), df[is_test].reset_index(drop=True)
    # The training table (one recipe with `narratives train --base default`): the corpus's
    # training split, then data/real's training part marked open-world.
    train_all = default_training_data(ROOT, test_ids=df.loc[is_test, "id"])
    model = narratives.train(train_all, seed=0, name="narratives-default", params=PARAMS)
    all_test = test_df
    # The English split keeps the figures (and rounds) the targets were set on; every language
    # is scored alike below.
    test_df = all_test[all_test["lang"] == "en"].reset_index(drop=True)
    scored = score_split(model, test_df)
    pred, none_gold, per, per_fam = (
        scored["pred"],
        scored["none_gold"],
        scored["per"],
        scored["per_fam"],
    )
    labels = model.taxonomy.fine_labels
    by_language = {}
    for lang in CORPUS_FOLDERS:
        sub = all_test[all_test["lang"] == lang].reset_index(drop=True)
        if len(sub):
            by_language[lang] = {
                k: v
                for k, v in score_split(model, sub).items()
                if k not in ("pred", "none_gold", "per_fam")
            }
    by_round = {}
    rounds = test_df["id"].map(round_of)
    for r in sorted(set(rounds.dropna())):
        m = (rounds == r).to_numpy()
        sub = per_label_scores(
            test_df.loc[m, "frames"].tolist(),
            [p for p, k in zip(pred, m, strict=True) if k],
            labels,
        )
        # Macro over the frames present in the round's test passages (round 6 lacks some).
        present = [v["f1"] for v in sub.values() if v["support"]]
        none_r = [bool(p) for p, g, k in zip(pred, none_gold, m, strict=True) if k and g]
        by_round[f"round_{int(r)}"] = {
            "n": int(m.sum()),
            "macro_f1_fine": round(float(np.mean(present)), 4) if present else None,
            "frames_present": len(present),
            "n_none": len(none_r),
            "none_false_positive_rate": round(float(np.mean(none_r)), 4) if none_r else None,
        }
    # Rounds 1-5 were written before the mainstream war coverage of rounds 6-7 (mostly
    # frame-free and hard); the frame target was set on such passages.
    early = (rounds <= 5).to_numpy()
    sub = per_label_scores(
        test_df.loc[early, "frames"].tolist(),
        [p for p, k in zip(pred, early, strict=True) if k],
        labels,
    )
    early_macro = float(np.mean([v["f1"] for v in sub.values() if v["support"]]))
    results = {
        "n_train": len(train_all),
        # data/real's frame-free passages enter the table several times (a weight, see
        # io._repo_data.REAL_NEGATIVE_COPIES); distinct passages:
        "n_train_distinct": int(
            train_all["id"].astype(str).str.replace(r"#\d+$", "", regex=True).nunique()
        ),
        "n_train_corpus": len(train_df),
        "n_train_real": int(train_all["id"].astype(str).str.match(r"^(kremlin|wcev)-").sum()),
        "n_train_open_world": int(train_all["open_world"].sum()),
        "n_train_by_language": {
            lang: int(train_all["id"].astype(str).str.startswith(f"{lang}-").sum())
            for lang in ("ru", "uk")
        },
        "n_test": len(test_df),
        "test_macro_f1_fine": scored["macro_f1_fine"],
        "test_macro_f1_coarse": scored["macro_f1_coarse"],
        "test_stance_accuracy_framed": scored["stance_accuracy_framed"],
        "test_stance_accuracy_end_to_end": scored["stance_accuracy_end_to_end"],
        "test_none_false_positive_rate": scored["none_false_positive_rate"],
        "test_by_language": {
            lang: {k: v for k, v in d.items() if k != "per"} for lang, d in by_language.items()
        },
        "test_macro_f1_fine_by_round": by_round,
        "test_macro_f1_fine_rounds_1_to_5": {
            "n": int(early.sum()),
            "macro_f1_fine": round(early_macro, 4),
        },
        "per_frame": {
            k: {
                m: round(v[m], 4) if isinstance(v[m], float) else v[m]
                for m in ("precision", "recall", "f1", "support")
            }
            for k, v in per.items()
        },
        "per_family": {
            k: {
                m: round(v[m], 4) if isinstance(v[m], float) else v[m]
                for m in ("precision", "recall", "f1", "support")
            }
            for k, v in per_fam.items()
        },
    }
    results["top_features"] = top_features(model)
    out = Path(os.environ.get("NARRATIVES_MODEL_OUT", ROOT / "models" / "default"))
    model.manifest["description"] = (
        "Default narratives model: 13 pro-Kremlin narrative frames in 5 families plus stance per "
        "frame, trained on the project's hand-written corpus and the annotated real text of "
        "data/real (training splits only), with open-world thresholds and a length-aware "
        "document rule."
    )
    model.manifest["test_metrics"] = results
    model.save(out)
    card = model.card() + card_extra(results)
    (out / "MODEL_CARD.md").write_text(card, encoding="utf-8")
    res_dir = ROOT / "benchmarks" / "results" if "NARRATIVES_MODEL_OUT" not in os.environ else out
    res_dir.mkdir(parents=True, exist_ok=True)
    (res_dir / "default_model.json").write_text(
        json.dumps(results, indent=2) + "\n", encoding="utf-8"
    )
    print(json.dumps({k: v for k, v in results.items() if not k.startswith("per_")}, indent=2))
    return results


def score_split(model, test_df: pd.DataFrame) -> dict:
    """Frame and family macro-F1, stance accuracy and frame-free false positives of ``model`` on
    held-out corpus passages (``pred``/``none_gold``/``per``/``per_fam`` for the caller)."""
    pipe = model.pipeline
    dec = pipe.decide(test_df["text"].tolist())
    none = model.taxonomy.none_label
    pred = [[f for f in fr if f != none] for fr in dec["frames"]]
    labels = model.taxonomy.fine_labels
    per = per_label_scores(test_df["frames"].tolist(), pred, labels)
    fams = [model.taxonomy.families_of(f) for f in test_df["frames"]]
    pfam = [[c for c in fa if c != none] for fa in dec["families"]]
    per_fam = per_label_scores(fams, pfam, model.taxonomy.coarse_labels)
    framed = (test_df["frames"].map(len) > 0).to_numpy()
    # The stance head scored on the gold frames of each framed passage (promotes when it
    # promotes any of them: the corpus has one stance per passage).
    fidx = {f: j for j, f in enumerate(labels)}
    head = np.array(
        [
            "promotes"
            if any(dec.stance_frames[i, fidx[f]] >= 0.5 for f in fr if f in fidx)
            else "reports"
            for i, fr in enumerate(test_df["frames"])
        ]
    )
    gold_stance = test_df["stance"].to_numpy()
    none_gold = ~framed
    none_fp = [bool(p) for p, g in zip(pred, none_gold, strict=True) if g]
    return {
        "n": len(test_df),
        "n_framed": int(framed.sum()),
        "macro_f1_fine": round(float(np.mean([v["f1"] for v in per.values()])), 4),
        "macro_f1_coarse": round(float(np.mean([v["f1"] for v in per_fam.values()])), 4),
        "stance_accuracy_framed": round(float((head[framed] == gold_stance[framed]).mean()), 4),
        "stance_accuracy_end_to_end": round(
            float((np.asarray(dec["stance"])[framed] == gold_stance[framed]).mean()), 4
        ),
        "none_false_positive_rate": round(float(np.mean(none_fp)), 4) if none_fp else None,
        "per": per,
        "per_fam": per_fam,
        "pred": pred,
        "none_gold": none_gold,
    }


def top_features(model, k: int = 12) -> dict[str, list[str]]:
    """Per frame, the features with the largest positive weights in its label model (what the
    model card shows, so that country-name shortcuts are visible)."""
    clf = model.pipeline.classifier
    names = model.pipeline.named_steps["features"].get_feature_names_out()
    out = {}
    for j, frame in enumerate(clf.fine_labels_):
        coef = clf.coef_for(j)
        if coef is not None:
            out[frame] = [str(names[i]) for i in np.argsort(-coef)[:k] if coef[i] > 0]
    return out


def _f3(x) -> str:
    """Three decimals, or 'n/a' for a round whose test passages carry no frame (round 10)."""
    return "n/a" if x is None else f"{x:.3f}"


def card_extra(r: dict) -> str:
    lines = [
        "",
        "## Held-out test split",
        "",
        f"Trained on {r['n_train']} passages"
        + (
            f" ({r['n_train_distinct']} distinct: data/real's frame-free passages count {REAL_NEGATIVE_COPIES} times)"
            if "n_train_distinct" in r
            else ""
        )
        + f"; scored on {r['n_test']} held-out passages (near-duplicate groups never straddle the split).",
        "Reproduce: `make model` (runs `benchmarks/build_default_model.py`).",
        "",
        f"- frame macro-F1: **{r['test_macro_f1_fine']:.3f}**; family macro-F1: {r['test_macro_f1_coarse']:.3f}"
        + (
            f"; frame macro-F1 on the {r['test_macro_f1_fine_rounds_1_to_5']['n']} test passages of writing rounds 1-5 (before the mainstream war coverage of rounds 6-7): {r['test_macro_f1_fine_rounds_1_to_5']['macro_f1_fine']:.3f}"
            if "test_macro_f1_fine_rounds_1_to_5" in r
            else ""
        ),
        f"- stance accuracy on framed passages (stance head): **{r['test_stance_accuracy_framed']:.3f}**; end to end (frame detected and stance right): {r['test_stance_accuracy_end_to_end']:.3f}",
        f"- passages without a frame that received one: {r['test_none_false_positive_rate']:.3f}",
        "- by language (each language's written corpus, held-out passages; the figures above are English): "
        + "; ".join(
            f"{lang} frame macro-F1 {v['macro_f1_fine']:.3f}, family {v['macro_f1_coarse']:.3f}, stance {v['stance_accuracy_framed']:.3f}, frame-free with a frame {v['none_false_positive_rate'] or 0:.3f} (n={v['n']}, {v['n_framed']} framed)"
            for lang, v in r.get("test_by_language", {}).items()
        ),
        "- by writing round of the test passages (later rounds target measured weaknesses; see data/README.md), frame macro-F1 over the frames present / share of frame-free passages that received a frame: "
        + ", ".join(
            f"{k.replace('_', ' ')} {_f3(v['macro_f1_fine'])} / {v.get('none_false_positive_rate') or 0:.3f} (n={v['n']}"
            + (
                f", {v['frames_present']} frames"
                if v.get("frames_present", len(r["per_frame"])) < len(r["per_frame"])
                else ""
            )
            + ")"
            for k, v in r.get("test_macro_f1_fine_by_round", {}).items()
        ),
        "",
        "| frame | precision | recall | F1 | support |",
        "|---|---|---|---|---|",
    ]
    for k, v in r["per_frame"].items():
        lines.append(
            f"| {k} | {v['precision']:.2f} | {v['recall']:.2f} | {v['f1']:.2f} | {v['support']} |"
        )
    if r.get("top_features"):
        lines += [
            "",
            "## Top features per frame",
            "",
            "The largest positive weights of each frame's model (word and lemma n-grams, `char:`",
            "character n-grams, `cue:` cue phrases, `actor:` gazetteer names, `stance:` stance cues).",
            (
                "No `actor:` (country or leader name) feature is among them for any frame."
                if not any(x.startswith("actor:") for v in r["top_features"].values() for x in v)
                else "Frames with an `actor:` feature among them: "
                + ", ".join(
                    f
                    for f, v in r["top_features"].items()
                    if any(x.startswith("actor:") for x in v)
                )
                + "."
            ),
            "",
            "| frame | top features |",
            "|---|---|",
        ]
        for f, feats in r["top_features"].items():
            lines.append(f"| {f} | {', '.join(f'`{x}`' for x in feats)} |")
    for name in ("language_rounds.md", "cross_lingual.md", "languages_speed.md"):
        extra = ROOT / "benchmarks" / "results" / name
        if extra.is_file():
            text = extra.read_text(encoding="utf-8").strip()
            lines += ["", "#" + text if text.startswith("# ") else text]
    real = ROOT / "benchmarks" / "results" / "real_text.md"
    if real.is_file():
        lines += ["", real.read_text(encoding="utf-8").strip()]
    gen = ROOT / "benchmarks" / "results" / "semeval_generalisation.md"
    if gen.is_file():
        lines += ["", gen.read_text(encoding="utf-8").strip()]
    fm = ROOT / "models" / "FAILURE_MODES.md"
    if fm.is_file():
        lines += ["", fm.read_text(encoding="utf-8").strip()]
    return "\n".join(lines) + "\n"


def write_card() -> None:
    """Rewrite models/default/MODEL_CARD.md from the shipped model and the saved results (run after
    benchmarks/semeval_generalisation.py, whose table the card includes), without retraining."""
    model = narratives.load(ROOT / "models" / "default")
    results = json.loads((ROOT / "benchmarks" / "results" / "default_model.json").read_text())
    card = model.card() + card_extra(results)
    (ROOT / "models" / "default" / "MODEL_CARD.md").write_text(card, encoding="utf-8")


def variant(out: Path, seed: int, overrides: dict) -> Path:
    """The shipped recipe with another seed or parameters, saved to the new directory ``out``."""
    if out.exists():
        raise SystemExit(f"{out} exists: give a new directory (a variant never overwrites one)")
    df = load_corpus(CORPUS_FOLDERS)
    train_all = default_training_data(ROOT, test_ids=df.loc[split(df), "id"])
    model = narratives.train(
        train_all, seed=seed, name="narratives-default-variant", params={**PARAMS, **overrides}
    )
    return model.save(out, variant={"seed": seed, "overrides": overrides})


def _value(text: str):
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


if __name__ == "__main__":
    import argparse

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--card-only", action="store_true")
    ap.add_argument("--variant", type=Path, metavar="DIR")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--param", action="append", default=[], metavar="KEY=VALUE")
    args = ap.parse_args()
    bad = [p for p in args.param if "=" not in p]
    if bad or ((args.param or args.seed) and args.variant is None):
        ap.error("--param KEY=VALUE and --seed go with --variant DIR")
    if args.card_only:
        write_card()
    elif args.variant is not None:
        params = dict(p.split("=", 1) for p in args.param)
        print(variant(args.variant, args.seed, {k: _value(v) for k, v in params.items()}))
    else:
        main()
