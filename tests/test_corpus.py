"""Checks over the hand-written labelled corpus (data/corpus/*.jsonl) and the demo sample.

The thresholds are the corpus requirements of the default-model issue: enough promoting and
reporting passages per frame, enough passages without a frame (hard negatives included), enough
multi-frame passages, enough genres and countries, and a near-duplicate rate below 2% measured
with the project's own detector.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from narratives import Taxonomy
from narratives.preprocessing import near_duplicate_groups

ROOT = Path(__file__).resolve().parents[1]
CORPUS_DIR = ROOT / "data" / "corpus"
SAMPLE = ROOT / "data" / "sample" / "sample_corpus.jsonl"

REQUIRED = {
    "id": str,
    "text": str,
    "frames": list,
    "stance": str,
    "genre": str,
    "country": str,
    "lang_variant": str,
    "hard_negative": bool,
}
STANCES = {"promotes", "reports", "none"}
GENRES = {
    "news",
    "oped",
    "telegram",
    "social",
    "transcript",
    "statement",
    "forum",
    "factcheck",
    "analysis",
    "blog",
}
LANG_VARIANTS = {"uk", "us"}

MIN_PROMOTES_PER_FRAME = 60
MIN_REPORTS_PER_FRAME = 20
MIN_NONE = 600
MIN_HARD_NEGATIVES = 200
MIN_MULTI_FRAME_SHARE = 0.10
MIN_GENRES = 6
MIN_COUNTRIES = 10
MAX_NEAR_DUPLICATE_RATE = 0.02


def _read_lines(path: Path) -> list[tuple[int, str]]:
    with open(path, encoding="utf-8") as fh:
        return [(i, line) for i, line in enumerate(fh, 1) if line.strip()]


@pytest.fixture(scope="module")
def files() -> list[Path]:
    found = sorted(CORPUS_DIR.glob("*.jsonl"))
    assert found, f"no corpus files in {CORPUS_DIR}"
    return found


@pytest.fixture(scope="module")
def rows(files: list[Path]) -> list[dict]:
    out = []
    for path in files:
        for lineno, line in _read_lines(path):
            try:
                row = json.loads(line)
            except json.JSONDecodeError:
                continue  # reported by test_every_line_is_a_json_object
            if isinstance(row, dict):
                out.append({**row, "_where": f"{path.name}:{lineno}"})
    return out


@pytest.fixture(scope="module")
def taxonomy() -> Taxonomy:
    return Taxonomy.default()


def test_every_line_is_a_json_object(files: list[Path]) -> None:
    bad = []
    for path in files:
        for lineno, line in _read_lines(path):
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                bad.append(f"{path.name}:{lineno}: {exc}")
                continue
            if not isinstance(obj, dict):
                bad.append(f"{path.name}:{lineno}: not a JSON object")
    assert not bad, "\n".join(bad[:20])


def test_required_fields_and_types(rows: list[dict]) -> None:
    bad = []
    for r in rows:
        for field, typ in REQUIRED.items():
            if field not in r:
                bad.append(f"{r['_where']}: missing {field!r}")
            elif not isinstance(r[field], typ):
                bad.append(
                    f"{r['_where']}: {field!r} is {type(r[field]).__name__}, not {typ.__name__}"
                )
        if isinstance(r.get("text"), str) and not r["text"].strip():
            bad.append(f"{r['_where']}: empty text")
        if isinstance(r.get("frames"), list) and not all(isinstance(f, str) for f in r["frames"]):
            bad.append(f"{r['_where']}: frames must be strings")
    assert not bad, "\n".join(bad[:20])


def test_labels_are_valid(rows: list[dict], taxonomy: Taxonomy) -> None:
    fine = set(taxonomy.fine_labels)
    bad = []
    for r in rows:
        w, frames, stance = r["_where"], r.get("frames", []), r.get("stance")
        unknown = set(frames) - fine
        if unknown:
            bad.append(f"{w}: frames not in the default taxonomy: {sorted(unknown)}")
        if len(set(frames)) != len(frames):
            bad.append(f"{w}: repeated frame in {frames}")
        if stance not in STANCES:
            bad.append(f"{w}: stance {stance!r} not in {sorted(STANCES)}")
        if (stance == "none") != (not frames):
            bad.append(
                f"{w}: stance must be 'none' exactly when frames == [] (got {stance!r}, {frames})"
            )
        if r.get("hard_negative") and frames:
            bad.append(f"{w}: hard_negative passage carries frames {frames}")
        if r.get("genre") not in GENRES:
            bad.append(f"{w}: genre {r.get('genre')!r} not in {sorted(GENRES)}")
        if r.get("lang_variant") not in LANG_VARIANTS:
            bad.append(
                f"{w}: lang_variant {r.get('lang_variant')!r} not in {sorted(LANG_VARIANTS)}"
            )
        country = r.get("country", "")
        if not country or country != country.strip().lower():
            bad.append(f"{w}: country {country!r} must be a non-empty lowercase name or 'none'")
    assert not bad, "\n".join(bad[:30])


def test_ids_are_unique(rows: list[dict]) -> None:
    counts = Counter(r.get("id") for r in rows)
    dupes = sorted(i for i, c in counts.items() if c > 1)
    assert not dupes, f"duplicate ids: {dupes[:20]}"


def test_enough_promotes_and_reports_per_frame(rows: list[dict], taxonomy: Taxonomy) -> None:
    counts = Counter((f, r["stance"]) for r in rows for f in r["frames"])
    short = [
        f"{f}: promotes {counts[f, 'promotes']} (need {MIN_PROMOTES_PER_FRAME}), "
        f"reports {counts[f, 'reports']} (need {MIN_REPORTS_PER_FRAME})"
        for f in taxonomy.fine_labels
        if counts[f, "promotes"] < MIN_PROMOTES_PER_FRAME
        or counts[f, "reports"] < MIN_REPORTS_PER_FRAME
    ]
    assert not short, "\n".join(short)


def test_enough_passages_without_a_frame(rows: list[dict]) -> None:
    none = [r for r in rows if not r["frames"]]
    hard = [r for r in none if r["hard_negative"]]
    assert len(none) >= MIN_NONE, f"{len(none)} passages without a frame, need {MIN_NONE}"
    assert len(hard) >= MIN_HARD_NEGATIVES, f"{len(hard)} hard negatives, need {MIN_HARD_NEGATIVES}"


def test_multi_frame_share(rows: list[dict]) -> None:
    framed = [r for r in rows if r["frames"]]
    multi = sum(1 for r in framed if len(r["frames"]) > 1)
    share = multi / len(framed)
    assert share >= MIN_MULTI_FRAME_SHARE, (
        f"multi-frame share {share:.3f} < {MIN_MULTI_FRAME_SHARE}"
    )


def test_variety_of_genres_and_countries(rows: list[dict]) -> None:
    genres = {r["genre"] for r in rows}
    countries = {r["country"] for r in rows} - {"none"}
    assert len(genres) >= MIN_GENRES, sorted(genres)
    assert len(countries) >= MIN_COUNTRIES, sorted(countries)
    # Both stances and both spelling variants must really be there, not just allowed.
    assert {r["stance"] for r in rows} == STANCES
    assert {r["lang_variant"] for r in rows} == LANG_VARIANTS


def test_near_duplicate_rate(rows: list[dict]) -> None:
    groups = near_duplicate_groups([r["text"] for r in rows]).tolist()
    sizes = Counter(groups)
    members = [r["id"] for r, g in zip(rows, groups, strict=True) if sizes[g] > 1]
    rate = len(members) / len(rows)
    assert rate < MAX_NEAR_DUPLICATE_RATE, (
        f"near-duplicate rate {rate:.3%} (>= {MAX_NEAR_DUPLICATE_RATE:.0%}); e.g. {members[:12]}"
    )


# --------------------------------------------------------------------------- demo sample
@pytest.fixture(scope="module")
def sample() -> list[dict]:
    if not SAMPLE.exists():
        pytest.skip("no bundled sample corpus")
    return [json.loads(line) for _, line in _read_lines(SAMPLE)]


def test_sample_corpus_shape(sample: list[dict]) -> None:
    assert len(sample) == 40
    ids = [d["id"] for d in sample]
    assert len(set(ids)) == len(ids)
    for d in sample:
        assert set(d) == {"id", "text", "outlet", "date", "country"}, d["id"]
        assert d["text"].strip(), d["id"]
        assert d["date"][:4] in {"2024", "2025", "2026"}, d["id"]
        # Unlabelled on purpose: the demo must not see the answers.
        assert "frames" not in d and "stance" not in d


def test_sample_is_not_copied_from_the_training_corpus(
    sample: list[dict], rows: list[dict]
) -> None:
    texts = [r["text"] for r in rows] + [d["text"] for d in sample]
    groups = near_duplicate_groups(texts, threshold=0.5).tolist()
    corpus_groups = set(groups[: len(rows)])
    copied = [
        d["id"] for d, g in zip(sample, groups[len(rows) :], strict=True) if g in corpus_groups
    ]
    assert not copied, f"sample documents too close to corpus passages: {copied}"
