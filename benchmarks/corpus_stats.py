"""Statistics of the hand-written labelled corpus (data/corpus/*.jsonl).

Prints a Markdown report and writes it, with a JSON version, to ``benchmarks/results/``::

    .venv/bin/python benchmarks/corpus_stats.py

Options: ``--corpus DIR`` (default ``data/corpus``), ``--glob PATTERN`` (default ``*.jsonl``),
``--out DIR`` (default ``benchmarks/results``), ``--no-write`` (print only). The near-duplicate rate uses the project's own detector,
:func:`narratives.preprocessing.near_duplicate_groups` (MinHash over word 3-shingles, default
threshold 0.7): it is the share of passages that sit in a cluster of size > 1. A second,
informational figure counts "topic repeats": passages whose nearest neighbour in TF-IDF space
(word unigrams, English stop words removed) has cosine similarity >= 0.5, which catches two
passages written separately about the same event that the shingle detector rightly leaves alone.
"""

from __future__ import annotations

import argparse
import glob
import hashlib
import json
import re
import statistics
import sys
from collections import Counter
from itertools import combinations
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
STANCES = ("promotes", "reports", "none")
_WORD = re.compile(r"[^\W_]+(?:['’\-][^\W_]+)*", re.U)
TOPIC_REPEAT_COSINE = 0.5


def word_count(text: str) -> int:
    """Number of words (letters/digits, with inner apostrophes or hyphens) in ``text``."""
    return len(_WORD.findall(text))


def load_corpus(
    corpus_dir: Path, pattern: str = "*.jsonl"
) -> tuple[list[dict[str, Any]], list[Path]]:
    """All rows of ``corpus_dir/<pattern>`` in file order, plus the list of files read."""
    files = [Path(p) for p in sorted(glob.glob(str(corpus_dir / pattern)))]
    if not files:
        raise SystemExit(f"no {pattern} files in {corpus_dir}")
    rows: list[dict[str, Any]] = []
    for path in files:
        with open(path, encoding="utf-8") as fh:
            for lineno, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise SystemExit(f"{path}:{lineno}: invalid JSON ({exc})") from None
                row["_file"] = path.name
                rows.append(row)
    return rows, files


def _sha256(paths: list[Path]) -> str:
    h = hashlib.sha256()
    for p in paths:
        h.update(p.name.encode())
        h.update(p.read_bytes())
    return h.hexdigest()


def _lengths(values: list[int]) -> dict[str, float]:
    if not values:
        return {"n": 0}
    qs = statistics.quantiles(values, n=10) if len(values) > 1 else [values[0]] * 9

    def num(x: float) -> float | int:
        x = round(float(x), 1)
        return int(x) if x.is_integer() else x

    return {
        "n": len(values),
        "min": min(values),
        "p10": num(qs[0]),
        "median": num(statistics.median(values)),
        "mean": num(statistics.fmean(values)),
        "p90": num(qs[-1]),
        "max": max(values),
    }


def near_duplicates(texts: list[str], threshold: float = 0.7) -> dict[str, Any]:
    """Near-duplicate clusters found by the project's own detector."""
    from narratives.preprocessing import near_duplicate_groups

    groups = near_duplicate_groups(texts, threshold=threshold)
    sizes = Counter(groups.tolist())
    in_dup = [i for i, g in enumerate(groups.tolist()) if sizes[g] > 1]
    return {
        "detector": "narratives.preprocessing.near_duplicate_groups",
        "threshold": threshold,
        "clusters": len(sizes),
        "clusters_size_gt_1": sum(1 for s in sizes.values() if s > 1),
        "passages_in_clusters_gt_1": len(in_dup),
        "rate": round(len(in_dup) / len(texts), 4) if texts else 0.0,
        "_members": in_dup,
    }


def topic_repeats(texts: list[str], ids: list[str], cosine: float) -> dict[str, Any]:
    """Passages whose TF-IDF nearest neighbour has cosine >= ``cosine`` (informational)."""
    import numpy as np
    from sklearn.feature_extraction.text import TfidfVectorizer

    X = TfidfVectorizer(sublinear_tf=True, stop_words="english").fit_transform(texts)
    sims = (X @ X.T).toarray()
    np.fill_diagonal(sims, 0.0)
    nearest = sims.argmax(axis=1)
    best = sims.max(axis=1)
    flagged = [i for i in range(len(texts)) if best[i] >= cosine]
    pairs = sorted(
        {tuple(sorted((ids[i], ids[int(nearest[i])]))) for i in flagged},
    )
    return {
        "method": "TF-IDF (word unigrams, English stop words removed) nearest-neighbour cosine",
        "cosine_threshold": cosine,
        "passages": len(flagged),
        "rate": round(len(flagged) / len(texts), 4) if texts else 0.0,
        "pairs": [list(p) for p in pairs],
    }


def compute(
    rows: list[dict[str, Any]], files: list[Path], frame_order: list[str]
) -> dict[str, Any]:
    """All statistics as a JSON-serialisable dict."""
    n = len(rows)
    framed = [r for r in rows if r["frames"]]
    none_rows = [r for r in rows if not r["frames"]]
    stance = Counter(r["stance"] for r in rows)

    known = list(frame_order) + sorted({f for r in rows for f in r["frames"]} - set(frame_order))
    per_frame = {}
    for fr in known:
        with_fr = [r for r in rows if fr in r["frames"]]
        per_frame[fr] = {
            "promotes": sum(1 for r in with_fr if r["stance"] == "promotes"),
            "reports": sum(1 for r in with_fr if r["stance"] == "reports"),
            "total": len(with_fr),
            "multi_frame": sum(1 for r in with_fr if len(r["frames"]) > 1),
        }
    n_frames = Counter(len(r["frames"]) for r in framed)
    pairs = Counter("+".join(p) for r in framed for p in combinations(sorted(r["frames"]), 2))

    genre_stance: dict[str, dict[str, int]] = {}
    for r in rows:
        g = genre_stance.setdefault(r["genre"], dict.fromkeys(STANCES, 0))
        g[r["stance"]] += 1
    genre_stance = dict(sorted(genre_stance.items(), key=lambda kv: -sum(kv[1].values())))

    country_stance: dict[str, dict[str, int]] = {}
    for r in rows:
        c = country_stance.setdefault(r["country"], dict.fromkeys(STANCES, 0))
        c[r["stance"]] += 1
    country_stance = dict(
        sorted(country_stance.items(), key=lambda kv: (-sum(kv[1].values()), kv[0]))
    )

    words = [word_count(r["text"]) for r in rows]
    lengths = {"all": _lengths(words)}
    for s in STANCES:
        lengths[s] = _lengths([w for w, r in zip(words, rows, strict=True) if r["stance"] == s])
    bins = [(1, 10), (11, 25), (26, 50), (51, 80), (81, 120), (121, 10**9)]
    length_bins = {
        (f"{lo}-{hi}" if hi < 10**9 else f">{lo - 1}"): sum(1 for w in words if lo <= w <= hi)
        for lo, hi in bins
    }

    lang = Counter(r.get("lang_variant") or r.get("lang", "en") for r in rows)
    texts = [r["text"] for r in rows]
    ids = [r["id"] for r in rows]
    dup = near_duplicates(texts)
    members = dup.pop("_members")
    dup["passages"] = [ids[i] for i in members]

    return {
        "corpus": {
            "files": [p.name for p in files],
            "per_file": dict(Counter(r["_file"] for r in rows)),
            "sha256": _sha256(files),
        },
        "passages": n,
        "stance": {s: stance.get(s, 0) for s in STANCES},
        "framed": len(framed),
        "none": len(none_rows),
        "hard_negatives": sum(1 for r in rows if r.get("hard_negative")),
        "other_none": sum(1 for r in none_rows if not r.get("hard_negative")),
        "frames": per_frame,
        "frames_per_framed_passage": {str(k): v for k, v in sorted(n_frames.items())},
        "multi_frame": sum(v for k, v in n_frames.items() if k > 1),
        "multi_frame_share": round(sum(v for k, v in n_frames.items() if k > 1) / len(framed), 4)
        if framed
        else 0.0,
        "top_frame_pairs": dict(pairs.most_common(12)),
        "genres": genre_stance,
        "countries": country_stance,
        "n_genres": len(genre_stance),
        "n_countries": len([c for c in country_stance if c != "none"]),
        "lengths_words": lengths,
        "length_bins_words": length_bins,
        "lang_variant": dict(sorted(lang.items())),
        "near_duplicates": dup,
        "topic_repeats": topic_repeats(texts, ids, TOPIC_REPEAT_COSINE),
    }


def _table(header: list[str], body: list[list[Any]]) -> list[str]:
    out = ["| " + " | ".join(header) + " |"]
    out.append("|" + "|".join("---" if i == 0 else "---:" for i in range(len(header))) + "|")
    out += ["| " + " | ".join(str(c) for c in row) + " |" for row in body]
    return out


def _pct(a: int, b: int) -> str:
    return f"{100 * a / b:.1f}%" if b else "-"


def to_markdown(s: dict[str, Any], family_of: dict[str, str]) -> str:
    """The statistics as Markdown tables (this text is pasted into data/README.md)."""
    n = s["passages"]
    md: list[str] = []
    md.append(
        f"Corpus: {len(s['corpus']['files'])} files ({', '.join(s['corpus']['files'])}), "
        f"sha256 `{s['corpus']['sha256'][:16]}…`"
    )
    md.append("")
    md.append("**Overview**")
    md.append("")
    md += _table(
        ["", "passages", "share"],
        [
            ["all passages", n, "100%"],
            ["with ≥ 1 frame", s["framed"], _pct(s["framed"], n)],
            ["— stance promotes", s["stance"]["promotes"], _pct(s["stance"]["promotes"], n)],
            ["— stance reports", s["stance"]["reports"], _pct(s["stance"]["reports"], n)],
            ["no frame (`none`)", s["none"], _pct(s["none"], n)],
            ["— hard negatives", s["hard_negatives"], _pct(s["hard_negatives"], n)],
            ["— other none (off-topic)", s["other_none"], _pct(s["other_none"], n)],
            [
                "framed with ≥ 2 frames",
                s["multi_frame"],
                f"{_pct(s['multi_frame'], s['framed'])} of framed",
            ],
        ],
    )
    md.append("")
    md.append("**Per frame** (a passage with two frames counts once under each)")
    md.append("")
    body = []
    for fr, c in s["frames"].items():
        body.append(
            [
                f"`{fr}`",
                family_of.get(fr, "?"),
                c["promotes"],
                c["reports"],
                c["total"],
                c["multi_frame"],
            ]
        )
    tot_p = sum(c["promotes"] for c in s["frames"].values())
    tot_r = sum(c["reports"] for c in s["frames"].values())
    body.append(["**sum of labels**", "", tot_p, tot_r, tot_p + tot_r, ""])
    md += _table(["frame", "family", "promotes", "reports", "total", "in multi-frame"], body)
    md.append("")
    md.append(
        "Frames per framed passage: "
        + ", ".join(f"{k} frame(s): {v}" for k, v in s["frames_per_framed_passage"].items())
        + ". Most frequent pairs: "
        + ", ".join(f"{k} ({v})" for k, v in list(s["top_frame_pairs"].items())[:8])
        + "."
    )
    md.append("")
    md.append(f"**Genres** ({s['n_genres']})")
    md.append("")
    md += _table(
        ["genre", "promotes", "reports", "none", "total"],
        [
            [g, c["promotes"], c["reports"], c["none"], sum(c.values())]
            for g, c in s["genres"].items()
        ],
    )
    md.append("")
    md.append(f"**Target countries** ({s['n_countries']} countries plus `none`)")
    md.append("")
    rows = [
        [c, v["promotes"], v["reports"], v["none"], sum(v.values())]
        for c, v in s["countries"].items()
    ]
    big = [r for r in rows if r[-1] >= 10]
    small = [r for r in rows if r[-1] < 10]
    if small:
        big.append(
            [
                f"{len(small)} others (< 10 each)",
                sum(r[1] for r in small),
                sum(r[2] for r in small),
                sum(r[3] for r in small),
                sum(r[4] for r in small),
            ]
        )
    md += _table(["country", "promotes", "reports", "none", "total"], big)
    if small:
        md.append("")
        md.append("Others: " + ", ".join(f"{r[0]} ({r[4]})" for r in small) + ".")
    md.append("")
    md.append("**Length in words**")
    md.append("")
    md += _table(
        ["subset", "n", "min", "p10", "median", "mean", "p90", "max"],
        [
            [k, v["n"], v["min"], v["p10"], v["median"], v["mean"], v["p90"], v["max"]]
            for k, v in s["lengths_words"].items()
            if v.get("n")
        ],
    )
    md.append("")
    md.append(
        "Length bins (words): "
        + ", ".join(f"{k}: {v}" for k, v in s["length_bins_words"].items())
        + "."
    )
    md.append("")
    md.append("**Spelling variant**")
    md.append("")
    md += _table(
        ["lang_variant", "passages", "share"],
        [[k, v, _pct(v, n)] for k, v in s["lang_variant"].items()],
    )
    md.append("")
    d = s["near_duplicates"]
    t = s["topic_repeats"]
    md.append("**Near-duplicates**")
    md.append("")
    md += _table(
        ["measure", "value"],
        [
            [
                f"near-duplicate rate (`near_duplicate_groups`, threshold {d['threshold']}): "
                "share of passages in a cluster of size > 1",
                f"{100 * d['rate']:.2f}% ({d['passages_in_clusters_gt_1']} passages, "
                f"{d['clusters_size_gt_1']} clusters)",
            ],
            [
                f"topic repeats (informational): TF-IDF nearest-neighbour cosine ≥ {t['cosine_threshold']}",
                f"{100 * t['rate']:.2f}% ({t['passages']} passages)",
            ],
        ],
    )
    md.append("")
    return "\n".join(md)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--corpus", type=Path, default=ROOT / "data" / "corpus")
    ap.add_argument("--glob", default="*.jsonl", help="file pattern inside --corpus")
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    ap.add_argument("--no-write", action="store_true", help="print the report, write nothing")
    args = ap.parse_args(argv)

    from narratives import Taxonomy

    tax = Taxonomy.default()
    rows, files = load_corpus(args.corpus, args.glob)
    stats = compute(rows, files, tax.fine_labels)
    family_of = {f: tax.parent(f) for f in tax.fine_labels}
    md = to_markdown(stats, family_of)
    print(md)
    if not args.no_write:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "corpus_stats.json").write_text(
            json.dumps(stats, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
        corpus = (
            args.corpus.resolve().relative_to(ROOT)
            if args.corpus.resolve().is_relative_to(ROOT)
            else args.corpus
        )
        flags = (
            ""
            if corpus == Path("data/corpus")
            else f" --corpus {corpus} --out {args.out.resolve().relative_to(ROOT)}"
        )
        header = (
            "# Corpus statistics\n\n"
            f"Generated by `.venv/bin/python benchmarks/corpus_stats.py{flags}` "
            f"from `{corpus}/{args.glob}`; do not edit by hand.\n\n"
        )
        (args.out / "corpus_stats.md").write_text(header + md, encoding="utf-8")
        print(
            f"\nwrote {args.out / 'corpus_stats.json'} and {args.out / 'corpus_stats.md'}",
            file=sys.stderr,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
