"""Tagging speed per language (issue 17): English, Russian and Ukrainian in one run.

    .venv/bin/python benchmarks/languages_speed.py [--words 300000] [--repeats 3]

For each language, on about ``--words`` whitespace-separated words of real or written text in that
language (a base of as many fresh words as the smallest language has, repeated: the same shape for
every language) (English: SemEval 2025 task 10 EN raw documents; Russian: the SemEval RU raw documents,
both read from ../shared; without ../shared, and always for Ukrainian, passages of the project's
written corpus of that language joined ten to a document):

1. ``narratives tag corpus.jsonl -o out.parquet`` end to end with the default model, 1 worker
   (a fresh process, as in benchmarks/throughput.py);
2. a bare ``spacy.blank(<lang>)`` tokenizer pass over the same texts.

The languages run interleaved, ``--repeats`` times; figures are medians. Criteria: Russian
words/s at least half of English (end to end), and per language the tokenizer ratio of the
throughput benchmark (end to end / bare tokenizer), reported.

Results: benchmarks/results/languages_speed.{json,md}.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from throughput import cpu_seconds, run_tag, words, write_corpus  # noqa: E402

SHARED = ROOT.parent / "shared" / "data"
RESULTS = ROOT / "benchmarks" / "results"
CORPUS = {"en": "corpus", "ru": "corpus-ru", "uk": "corpus-uk"}
TARGET_RU_OVER_EN = 0.5


def texts_of(lang: str) -> tuple[list[str], str]:
    raw = SHARED / f"semeval2025-task10-{lang}"
    files = sorted((raw / "train" / "raw-documents").glob("*.txt")) + sorted(
        (raw / "test-unlabelled" / "raw-documents").glob("*.txt")
    )
    if files:
        return [f.read_text(encoding="utf-8") for f in files], (
            f"SemEval 2025 task 10 {lang.upper()} raw documents ({len(files)}, ../shared)"
        )
    passages = []
    for f in sorted((ROOT / "data" / CORPUS[lang]).glob("part-*.jsonl")):
        with open(f, encoding="utf-8") as fh:
            passages += [json.loads(line)["text"] for line in fh if line.strip()]
    docs = ["\n\n".join(passages[i : i + 10]) for i in range(0, len(passages), 10)]
    return docs, f"data/{CORPUS[lang]} passages joined ten to a document ({len(docs)} documents)"


def _first_words(texts: list[str], n: int) -> list[str]:
    """The first documents of ``texts`` holding about ``n`` words."""
    out, total = [], 0
    for t in texts:
        if total >= n:
            break
        out.append(t)
        total += len(t.split())
    return out


def bare_tokenizer(lang: str, texts: list[str]) -> float:
    import spacy

    nlp = spacy.blank(lang)
    t = time.perf_counter()
    for _ in nlp.pipe(texts, batch_size=64):
        pass
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--words", type=int, default=300_000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--model", default=str(ROOT / "models" / "default"))
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="narratives-lang-bench-"))
    corpora = {}
    bases = {lang: texts_of(lang) for lang in CORPUS}
    # The same shape for every language: a base of as many fresh words as the smallest one has,
    # repeated to about --words (caches of distinct words warm up alike in every language).
    floor = min(words(b) for b, _ in bases.values())
    try:
        for lang in CORPUS:
            base, source = bases[lang]
            base = _first_words(base, floor)
            source = f"{source}; the first {len(base)} documents, {words(base):,} words"
            replicas = max(1, round(args.words / max(words(base), 1)))
            path = tmp / f"{lang}.jsonl"
            write_corpus(path, base, replicas)
            corpora[lang] = {
                "path": path,
                "texts": base * replicas,
                "source": source,
                "replicas": replicas,
            }
            print(f"{lang}: {words(base) * replicas} words ({source}, x{replicas})", flush=True)
        runs = {lang: [] for lang in CORPUS}
        for i in range(args.repeats):
            for lang, c in corpora.items():
                c0 = cpu_seconds()
                tok = bare_tokenizer(lang, c["texts"])
                tag = run_tag(c["path"], tmp / "out.parquet", 1, args.model)
                runs[lang].append(
                    {"tok": tok, "wall": tag["wall"], "engine": tag["engine_seconds"]}
                )
                print(
                    f"repeat {i + 1} {lang}: tokenizer {tok:.2f}s, tag {tag['wall']:.2f}s "
                    f"(bench cpu {cpu_seconds() - c0:.1f}s)",
                    flush=True,
                )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    res = {}
    for lang, c in corpora.items():
        n = words(c["texts"])
        rs = runs[lang]
        med = lambda key, rs=rs: float(statistics.median(r[key] for r in rs))  # noqa: E731
        res[lang] = {
            "source": c["source"],
            "words": n,
            "tag_words_per_second": round(n / med("wall")),
            "engine_words_per_second": round(n / med("engine")),
            "tokenizer_words_per_second": round(n / med("tok")),
            "tag_vs_tokenizer": round(
                float(statistics.median(r["tok"] / r["wall"] for r in rs)), 3
            ),
        }
    for lang in res:
        res[lang]["tag_vs_english"] = round(
            res[lang]["tag_words_per_second"] / res["en"]["tag_words_per_second"], 3
        )
    report = {
        "machine": {"cpu_count": os.cpu_count(), "platform": platform.platform()},
        "repeats": args.repeats,
        "results": res,
        "target_ru_over_en": TARGET_RU_OVER_EN,
        "ru_over_en_met": res["ru"]["tag_vs_english"] >= TARGET_RU_OVER_EN,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "languages_speed.json").write_text(json.dumps(report, indent=2) + "\n")
    md = [
        f"# Tagging speed per language ({os.cpu_count()} cores, medians of {args.repeats} interleaved runs)",
        "",
        "Reproduce: `.venv/bin/python benchmarks/languages_speed.py`. End to end = `narratives tag` in a"
        " fresh process (start-up, model load, reading, tagging, writing), default model, 1 worker.",
        "",
        "| language | text | words | end to end words/s | engine words/s | bare tokenizer words/s | end to end / tokenizer | end to end / English |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for lang, r in res.items():
        md.append(
            f"| {lang} | {r['source']} | {r['words']:,} | {r['tag_words_per_second']:,} | "
            f"{r['engine_words_per_second']:,} | {r['tokenizer_words_per_second']:,} | "
            f"{r['tag_vs_tokenizer']:.3f} | {r['tag_vs_english']:.2f} |"
        )
    md += [
        "",
        f"Russian at least half of English (end to end words/s): "
        f"{'met' if report['ru_over_en_met'] else '**not met**'} ({res['ru']['tag_vs_english']:.2f}).",
    ]
    (RESULTS / "languages_speed.md").write_text("\n".join(md) + "\n")
    print("\n".join(md))


if __name__ == "__main__":
    main()
