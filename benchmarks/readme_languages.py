"""Fill the README's language blocks from the saved results (run after the benchmarks they quote).

    .venv/bin/python benchmarks/readme_languages.py

Blocks: ``language-metrics`` (benchmarks/results/default_model.json, from `make model`),
``cross-lingual`` (cross_lingual.md), ``languages-speed`` (languages_speed.md) and
``semeval-cv-ru`` (semeval_cv_ru.md). A block whose results file is missing is left as it is.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
TARGETS = {"en": (0.78, 0.85), "ru": (0.75, 0.85), "uk": (0.65, 0.80)}
NAMES = {"en": "English", "ru": "Russian", "uk": "Ukrainian"}


def language_metrics() -> str | None:
    path = RESULTS / "default_model.json"
    if not path.is_file():
        return None
    by = json.loads(path.read_text(encoding="utf-8")).get("test_by_language") or {}
    rows = [
        "| language | held-out passages (framed) | frame macro-F1 | family macro-F1 | stance "
        "(gold frames) | frame-free given a frame | target F1 / stance | met |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for lang, v in by.items():
        f1, st = TARGETS[lang]
        met = v["macro_f1_fine"] >= f1 and v["stance_accuracy_framed"] >= st
        rows.append(
            f"| {NAMES[lang]} | {v['n']:,} ({v['n_framed']:,}) | {v['macro_f1_fine']:.3f} | "
            f"{v['macro_f1_coarse']:.3f} | {v['stance_accuracy_framed']:.3f} | "
            f"{100 * (v['none_false_positive_rate'] or 0):.1f}% | ≥ {f1} / ≥ {st} | "
            f"{'yes' if met else '**no**'} |"
        )
    return "\n".join(rows)


def from_markdown(name: str, skip_heading: bool = True) -> str | None:
    path = RESULTS / name
    if not path.is_file():
        return None
    lines = path.read_text(encoding="utf-8").strip().splitlines()
    if skip_heading and lines and lines[0].startswith("#"):
        lines = lines[1:]
    return "\n".join(lines).strip()


def semeval_ru() -> str | None:
    text = from_markdown("semeval_cv_ru.md")
    if text is None:
        return None
    table = [line for line in text.splitlines() if line.startswith("|")]
    return "\n".join(table)


def main() -> None:
    readme = ROOT / "README.md"
    s = readme.read_text(encoding="utf-8")
    blocks = {
        "language-metrics": language_metrics(),
        "cross-lingual": from_markdown("cross_lingual.md"),
        "languages-speed": from_markdown("languages_speed.md"),
        "semeval-cv-ru": semeval_ru(),
    }
    for name, body in blocks.items():
        if body is None:
            continue
        pattern = re.compile(rf"(<!-- {name} -->\n).*?(<!-- /{name} -->)", re.S)
        s, n = pattern.subn(lambda m, body=body: m.group(1) + body + "\n" + m.group(2), s)
        if not n:
            raise SystemExit(f"README has no block {name}")
    readme.write_text(s, encoding="utf-8")


if __name__ == "__main__":
    main()
