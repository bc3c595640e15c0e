"""The cost of the normaliser's repairs (mojibake via ftfy, script/style elements) on clean text.

    .venv/bin/python benchmarks/normalize_repairs.py [--repeats 9]

"before" is the normaliser without its repairs (``_normalize(text, repair=False)``: the code path
of the character rules alone, identical output on clean text, checked here), "after" is
``normalize``. Both run interleaved in one process over the project's written corpora (English:
data/corpus, Russian: data/corpus-ru; clean text), best of ``--repeats``; then the same for
``Preprocessor.segment`` (normalise + spaCy + passages), the cost a user sees. Prints ratios
after/before and the time of the repairs alone (``_repairs``); nothing is written.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from narratives.preprocessing import Preprocessor, _segmenter
from narratives.preprocessing._normalize import _normalize, _repairs, normalize

ROOT = Path(__file__).resolve().parents[1]


def texts(folder: str) -> list[str]:
    out = []
    for f in sorted((ROOT / "data" / folder).glob("*.jsonl")):
        for line in f.read_text(encoding="utf-8").splitlines():
            if line.strip():
                t = json.loads(line).get("text")
                if isinstance(t, str):
                    out.append(t)
    return out


def before(text: str):
    return _normalize(text, repair=False, fold=True)


def best(fns: dict, run, repeats: int) -> dict[str, float]:
    times = {k: float("inf") for k in fns}
    for _ in range(repeats):
        for k, fn in fns.items():
            t0 = time.perf_counter()
            run(fn)
            times[k] = min(times[k], time.perf_counter() - t0)
    return times


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=9)
    args = ap.parse_args()
    for name, folder in (("English", "corpus"), ("Russian", "corpus-ru")):
        ts = texts(folder)
        differ = sum(before(t).text != normalize(t).text for t in ts)
        chars = sum(map(len, ts))
        t = best(
            {"before": before, "after": normalize},
            lambda fn, ts=ts: [fn(x) for x in ts],
            args.repeats,
        )
        # the repairs' own work (what "after" adds), timed alone: steadier than a difference
        # of two timings on a busy machine
        t["repairs"] = best({"r": _repairs}, lambda fn, ts=ts: [fn(x) for x in ts], args.repeats)[
            "r"
        ]
        print(
            f"{name}: normalize, {len(ts)} texts, {chars / 1e6:.2f} M characters, "
            f"{differ} outputs differ; before {t['before'] * 1e3:.1f} ms, after "
            f"{t['after'] * 1e3:.1f} ms: ratio {t['after'] / t['before']:.3f}; the repairs alone "
            f"{t['repairs'] * 1e3:.1f} ms ({t['repairs'] / t['before']:.1%} of before)"
        )
        pre = Preprocessor(languages=["en"] if name == "English" else ["ru"]).fit()
        sample = ts[:2000]

        def segment(fn, sample=sample, pre=pre):
            _segmenter.normalize = fn
            try:
                pre.segment(sample)
            finally:
                _segmenter.normalize = normalize

        t = best({"before": before, "after": normalize}, segment, max(3, args.repeats // 3))
        print(
            f"{name}: Preprocessor.segment, {len(sample)} texts; before {t['before']:.2f} s, "
            f"after {t['after']:.2f} s: ratio {t['after'] / t['before']:.3f}"
        )


if __name__ == "__main__":
    main()
