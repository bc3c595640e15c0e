"""Select the real passages of ``data/real/`` for annotation (deterministic, seed 0).

Kremlin texts are split into passages with the package's own preprocessor (the unit the tool
tags), so annotations line up with tagging; Wikipedia current-events items are one passage each.

Selection (why): real text is mostly frame-free, so a plain random sample would hold too few
framed passages to learn or measure a frame. Each source is sampled in two strata, written to
the passage records as ``stratum``:

- ``cue`` (Kremlin only): passages with words that often carry a frame's claim in official
  wording (NATO expansion, coup, nationalists, compatriots, Crimea, sanctions, ...).
- ``topical``: passages with a frame's topic words (NATO, Crimea, Ukraine, sanctions, coup,
  history, war crimes, elections, interference, ...). Frames and the hard negatives (same
  topics, no frame) both live here. ``region``: Wikipedia items flagged ``region`` by the data set
  (all of them are taken) and Kremlin passages that name only Russia or the CIS (readouts).
- ``random``: a uniform sample of everything else (routine readouts, greetings, world news).

Usage: python data/real/select_passages.py SHARED_DATA_DIR OUT_DIR [--round2 N | --round3 | --round4 N | --round5 | --round6]

Rounds 2-5 read the annotations present when they were drawn (the repository at that commit):
run again later, a round selects the next passages, not the ones it selected then.
"""

from __future__ import annotations

import json
import random
import re
import sys
from collections import Counter
from pathlib import Path

TOPICAL = re.compile(
    r"\b(Ukrain\w*|Kiev|Kyiv|Crimea\w*|Sevastopol|Donbass?|Donetsk|Lugansk|Luhansk|NATO|"
    r"sanction\w*|Georgia\w*|Abkhaz\w*|Ossetia\w*|Transnistria\w*|Moldov\w*|Baltic|Eston\w*|"
    r"Latvi\w*|Lithuan\w*|Belarus\w*|Kazakh\w*|Kyrgyz\w*|Uzbek\w*|Tajik\w*|Armenia\w*|"
    r"Azerbaijan\w*|Nazi\w*|fascis\w*|neo-Nazi\w*|compatriot\w*|Russian[- ]speak\w*|"
    r"Russian world|coup|colou?r revolution\w*|missile defen[cs]e|Kosovo|genocide|"
    r"referend\w*|separatis\w*|self-determination|sovereign\w*|Soviet Union|USSR|"
    r"Great Patriotic War|Second World War|encircle\w*|expansion|interfer\w*|"
    r"Russophob\w*|puppet|propaganda|war crimes?|massacre|atrocit\w*|chemical weapons|"
    r"provocation|humanitarian aid|military aid|peacekeep\w*|mediat\w*|nuclear|"
    r"traditional values|civilisation\w*|civilization\w*|Eurasia\w*|election\w*|"
    r"Zelensk\w*|terroris\w*|Syria\w*|Chechn\w*|Caucasus|Iraq|Yugoslavia|Libya|"
    r"Western partners|the West|Washington|United States|Europe\w*)\b",
    re.IGNORECASE,
)
# Words that often carry a frame's claim in official Russian wording (not only its topic).
CUES = re.compile(
    r"\b(NATO expansion|expan\w+ (of )?NATO|NATO infrastructure|encircle\w*|coup|neo-Nazi\w*|"
    r"Nazi\w*|nationalists|Bandera\w*|fascis\w*|reunification|returned to Russia|"
    r"compatriots|Russian[- ]speak\w*|Russophob\w*|missile defen[cs]e|colou?r revolution\w*|"
    r"Kosovo precedent|one people|genocide|provocation\w*|interfer\w* in (our|the) internal|"
    r"so-called|double standards|unipolar|hegemon\w*|sanctions|Crimea|Donbass|Maidan|"
    r"Saakashvili|aggression|peacekeep\w*|traditional values|spiritual values|Russian world)\b",
    re.IGNORECASE,
)
REGION = re.compile(r"\b(Kremlin|Putin|Russia\w*|Moscow|Lavrov|Medvedev|CIS|CSTO)\b")


def kremlin_passages(
    shared: Path, n_cue: int, n_topical: int, n_region: int, n_random: int, rng, pages=None
):
    from narratives.preprocessing import Preprocessor

    docs = [json.loads(line) for line in open(shared / "kremlin-en" / "documents.jsonl")]
    if pages is not None:
        docs = [d for d in docs if d["id"] in pages]
    pre = Preprocessor().fit()
    cue, topical, region, other = [], [], [], []
    for start in range(0, len(docs), 200):
        chunk = docs[start : start + 200]
        for doc, seg in zip(chunk, pre.segment([d["text"] for d in chunk]), strict=True):
            prev = ""
            for p in seg.passages:
                if p.kind != "text":
                    continue
                text = doc["text"][p.start : p.end]
                if len(text.split()) < 6:
                    prev = text
                    continue
                rec = {
                    "id": f"kremlin-{doc['id']}-{p.index:03d}",
                    "source": "kremlin-en",
                    "doc_id": doc["id"],
                    "date": doc["date"],
                    "title": doc["title"],
                    "url": doc["url"],
                    "start": p.start,
                    "end": p.end,
                    "context": prev[-600:],
                    "text": text,
                }
                prev = text
                hits = len(set(m.lower() for m in TOPICAL.findall(text)))
                if CUES.search(text):
                    cue.append(rec)
                elif hits >= 2:
                    topical.append(rec)
                elif hits or REGION.search(text):
                    region.append(rec)
                else:
                    other.append(rec)
    return (
        _spread(cue, n_cue, rng, "cue")
        + _spread(topical, n_topical, rng, "topical")
        + _spread(region, n_region, rng, "region")
        + _spread(other, n_random, rng, "random")
    )


def _spread(recs, n, rng, stratum, per_doc=6):
    if n >= len(recs) and per_doc >= len(recs):
        return [{**r, "stratum": stratum} for r in recs]
    """Sample ``n`` passages, at most ``per_doc`` from one document, so no speech dominates."""
    rng.shuffle(recs)
    taken, count = [], {}
    for r in recs:
        if count.get(r["doc_id"], 0) < per_doc:
            count[r["doc_id"]] = count.get(r["doc_id"], 0) + 1
            taken.append({**r, "stratum": stratum})
            if len(taken) == n:
                break
    return taken


def wiki_items(shared: Path, n_topical: int, n_random: int, rng: random.Random):
    items = [json.loads(line) for line in open(shared / "wikipedia-current-events" / "items.jsonl")]
    region, topical, rest = [], [], []
    for it in items:
        rec = {
            "id": f"wcev-{it['id']}",
            "source": "wikipedia-current-events",
            "doc_id": it["date"],
            "date": it["date"],
            "title": " > ".join([it["section"], *it["topics"]]),
            "url": "https://en.wikipedia.org/wiki/Portal:Current_events/" + it["date"],
            "region": it["region"],
            "text": it["text"],
        }
        blob = " ".join([it["text"], *it["topics"]])
        if it["region"]:
            region.append({**rec, "stratum": "region"})
        elif TOPICAL.search(blob):
            topical.append({**rec, "stratum": "topical"})
        else:
            rest.append({**rec, "stratum": "random"})
    rng.shuffle(topical)
    rng.shuffle(rest)
    return region + topical[:n_topical] + rest[:n_random]


def second_round(shared: Path, taken: set[str], n: int, rng: random.Random) -> list[dict]:
    """Round 2 (``cue2``): the first round found frames in 12% of the ``cue`` passages and in
    under 3% of the others, too few framed passages to learn or score most frames on real text;
    round 2 draws more passages from the cue pool (at most 10 per page)."""
    cue = [r for r in kremlin_passages(shared, 10**6, 0, 0, 0, rng) if r["id"] not in taken]
    cue.sort(key=lambda r: r["id"])
    return [{**r, "stratum": "cue2"} for r in _spread(cue, n, random.Random(2), "cue2", 10)]


def third_round(
    shared: Path, labels: dict[str, dict], span: int = 4, around=None, stratum="neighbour"
) -> list[dict]:
    """Round 3 (``neighbour``): frames cluster in the pages that discuss them (a Q&A on Ukraine
    runs over several passages), so round 3 takes the passages within ``span`` of every framed
    passage of rounds 1-2 that are not annotated yet. Round 5 (``neighbour2``) does the same
    around the framed passages of round 4 (``around``: the ids to look around)."""
    want = set()
    for pid, rec in labels.items():
        if rec["frames"] and (around is None or pid in around):
            page, k = pid.rsplit("-", 1)
            want.update(f"{page}-{j:03d}" for j in range(int(k) - span, int(k) + span + 1))
    want -= set(labels)
    pages = {w.split("-")[1] for w in want}
    pool = kremlin_passages(shared, 10**6, 10**6, 10**6, 10**6, random.Random(0), pages=pages)
    return [{**r, "stratum": stratum} for r in sorted(pool, key=lambda r: r["id"]) if r["id"] in want]


def rest_of_pages(shared: Path, labels: dict[str, dict], taken: set[str], min_framed: int = 2):
    """Round 5 (``page``): the pages with at least ``min_framed`` framed passages hold most of
    the frames of rounds 1-4 (20 pages, 72 of 117); round 5 annotates the rest of those pages.
    Round 6 (``page2``) does the same for every page with a framed passage."""
    framed = Counter(i.split("-")[1] for i, r in labels.items() if r["frames"])
    pages = {p for p, n in framed.items() if n >= min_framed}
    pool = kremlin_passages(shared, 10**6, 10**6, 10**6, 10**6, random.Random(0), pages=pages)
    skip = set(labels) | taken
    return [{**r, "stratum": "page"} for r in pool if r["id"] not in skip]


def fourth_round(shared: Path, taken: set[str], n: int, per_doc: int = 8) -> list[dict]:
    """Round 4 (``model``): rounds 1-3 found a frame in 88 of 3,843 passages, too few to score
    most frames on held-out real text. Round 4 scores every unannotated Kremlin passage with the
    default model and takes the ``n`` passages with the highest frame score (at most ``per_doc``
    per page, ties by id). Annotators never see the scores. The model's own false positives
    (hard negatives in official wording) are as useful here as its hits."""
    import pandas as pd

    from narratives import load

    pool = kremlin_passages(shared, 10**6, 10**6, 10**6, 10**6, random.Random(0))
    pool = [r for r in pool if r["id"] not in taken]
    model = load()
    scores = model.tag(pd.DataFrame({"id": [r["id"] for r in pool], "text": [r["text"] for r in pool]}), unit="document")["scores"]
    for r, s in zip(pool, scores, strict=True):
        top = max(s, key=s.get)
        r["_score"], r["_top"] = s[top], top
    pool.sort(key=lambda r: (-r["_score"], r["id"]))
    taken_out, count = [], Counter()
    for r in pool:
        if count[r["doc_id"]] < per_doc:
            count[r["doc_id"]] += 1
            taken_out.append({k: v for k, v in r.items() if not k.startswith("_")} | {"stratum": "model"})
            if len(taken_out) == n:
                break
    return sorted(taken_out, key=lambda r: r["id"])


def main(shared: str, out_dir: str) -> None:
    rng = random.Random(0)
    shared_p, out = Path(shared), Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    kremlin = kremlin_passages(
        shared_p, n_cue=420, n_topical=450, n_region=280, n_random=270, rng=rng
    )
    wiki = wiki_items(shared_p, n_topical=450, n_random=250, rng=rng)
    for name, recs in (("kremlin", kremlin), ("wiki", wiki)):
        recs.sort(key=lambda r: r["id"])
        with open(out / f"{name}_passages.jsonl", "w") as fh:
            for r in recs:
                fh.write(json.dumps(r, ensure_ascii=False) + "\n")
        print(name, len(recs), Counter(r["stratum"] for r in recs))


def _jsonl(path: Path) -> list[dict]:
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines()]


def _write_round(out: Path, k: int, recs: list[dict]) -> None:
    with open(out / f"kremlin_passages_round{k}.jsonl", "w", encoding="utf-8") as fh:
        for r in sorted(recs, key=lambda r: r["id"]):
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")
    print(f"round {k}", len(recs), Counter(r["stratum"] for r in recs))


def _rounds(argv: list[str]) -> None:
    """Rounds 2-5 (see the functions above); writes OUT/kremlin_passages_round<k>.jsonl."""
    shared_p, out = Path(argv[1]), Path(argv[2])
    here = Path(__file__).resolve().parent / "kremlin-en"
    if "--round6" in argv:
        labels = {r["id"]: r for r in _jsonl(here / "labels.jsonl")}
        recs = rest_of_pages(shared_p, labels, set(), min_framed=1)
        _write_round(out, 6, [{**r, "stratum": "page2"} for r in recs])
    elif "--round5" in argv:
        labels = {r["id"]: r for r in _jsonl(here / "labels.jsonl")}
        round4 = {p["id"] for p in _jsonl(here / "passages.jsonl") if p["stratum"] == "model"}
        recs = third_round(shared_p, labels, around=round4, stratum="neighbour2")
        _write_round(out, 5, recs + rest_of_pages(shared_p, labels, {r["id"] for r in recs}))
    elif "--round4" in argv:
        taken = {r["id"] for r in _jsonl(here / "passages.jsonl")}
        _write_round(out, 4, fourth_round(shared_p, taken, int(argv[argv.index("--round4") + 1])))
    elif "--round3" in argv:
        _write_round(out, 3, third_round(shared_p, {r["id"]: r for r in _jsonl(here / "labels.jsonl")}))
    elif "--round2" in argv:
        taken = {r["id"] for r in _jsonl(out / "kremlin_passages.jsonl")}
        n = int(argv[argv.index("--round2") + 1])
        _write_round(out, 2, second_round(shared_p, taken, n, random.Random(1)))


if __name__ == "__main__":
    if any(a.startswith("--round") for a in sys.argv):
        _rounds(sys.argv)
    else:
        main(*sys.argv[1:3])
