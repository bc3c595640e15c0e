"""Document-level sampling and validation use the document decisions of ``narratives tag``.

A passage row carries its document's decisions (``document_frames``, ``document_stances``: the
length-aware rule of ``tag --unit document``). ``sample --unit document`` must show annotators
those frames, and ``validate`` must correct the prevalence that ``summarize`` publishes, not
"any passage has the frame", which differs for a long document with one weak passage.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from _cli import run
from narratives.engine import summarize
from narratives.validation import load_units, units_from_frame

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "data" / "sample" / "sample_corpus.jsonl"


def _crafted() -> pd.DataFrame:
    """Three documents, frames ``a``/``b``: ``long`` has a passage with ``a`` that the document
    rule declined; ``split`` has ``b`` promoted in one passage and reported in another, decided
    ``reports``; ``short`` is a one-passage document with ``a``."""

    def row(doc, p, frames, stances, scores, dframes, dstances, flag=""):
        return {
            "id": doc,
            "passage": p,
            "start": 10 * p,
            "end": 10 * p + 9,
            "text": f"{doc} passage {p}",
            "frames": frames,
            "stance": "promotes" if "promotes" in stances.values() else "none",
            "stances": stances,
            "scores": scores,
            "document_frames": dframes,
            "document_stances": dstances,
            "flag": flag,
            "outlet": "x",
        }

    low = {"a": 0.1, "b": 0.1}
    rows = [
        row("long", 0, ["a"], {"a": "promotes"}, {"a": 0.7, "b": 0.1}, ["none"], {}),
        *(row("long", p, ["none"], {}, low, ["none"], {}) for p in range(1, 6)),
        row("long", 6, ["none"], {}, {"a": 0.95, "b": 0.0}, ["none"], {}, flag="boilerplate"),
        row("split", 0, ["b"], {"b": "promotes"}, {"a": 0.1, "b": 0.8}, ["b"], {"b": "reports"}),
        row("split", 1, ["b"], {"b": "reports"}, {"a": 0.2, "b": 0.9}, ["b"], {"b": "reports"}),
        row("short", 0, ["a"], {"a": "promotes"}, {"a": 0.9, "b": 0.2}, ["a"], {"a": "promotes"}),
    ]
    return pd.DataFrame(rows)


def test_document_units_follow_the_document_decisions():
    units = units_from_frame(_crafted(), "document", labels=["a", "b"])
    d = units.frame.set_index("id")
    # "long": passage 0 has `a`, the document rule declined it
    assert d.loc["long", "frames"] == [] and d.loc["long", "stance"] == "none"
    assert d.loc["long", "scores"] == {"a": 0.7, "b": 0.1}  # boilerplate left out
    assert d.loc["long", "evidence"] == {}  # evidence for the document's frames only
    assert d.loc["split", "stances"] == {"b": "reports"}
    assert d.loc["split", "stance"] == "reports"
    assert d.loc["split", "evidence"] == {"b": 1}
    assert d.loc["short", "frames"] == ["a"] and d.loc["short", "evidence"] == {"a": 0}
    assert "document_frames" not in units.frame.columns  # no second copy of the frames
    assert units.predicted_matrix().sum(axis=0).tolist() == [1, 1]


def test_passage_file_without_document_decisions_keeps_the_any_passage_rule():
    df = _crafted().drop(columns=["document_frames", "document_stances"])
    d = units_from_frame(df, "document", labels=["a", "b"]).frame.set_index("id")
    assert d.loc["long", "frames"] == ["a"]
    assert d.loc["split", "stances"] == {"b": "promotes"}


def test_passage_units_unchanged():
    units = units_from_frame(_crafted(), "passage", labels=["a", "b"])
    assert len(units.frame) == 9  # the boilerplate passage left out
    assert units.frame["frames"].tolist()[0] == ["a"]
    assert "document_frames" in units.frame.columns  # carried through, as before


@pytest.mark.parametrize("suffix", [".parquet", ".csv", ".jsonl"])
def test_crafted_file_same_document_prevalence_as_summarize(tmp_path, suffix):
    df = _crafted()
    path = tmp_path / f"tags{suffix}"
    if suffix == ".parquet":
        df.to_parquet(path)
    elif suffix == ".jsonl":
        df.to_json(path, orient="records", lines=True)
    else:
        out = df.copy()
        for c in ("frames", "document_frames"):
            out[c] = out[c].map(";".join)
        for c in ("stances", "scores", "document_stances"):
            out[c] = out[c].map(json.dumps)
        out.to_csv(path, index=False)
    units = load_units(path, "document", labels=["a", "b"])
    P = units.predicted_matrix()
    promotes = [
        sum(s.get(f) == "promotes" for s in units.frame["stances"]) / len(P) for f in ("a", "b")
    ]
    table = summarize(path).set_index("frame")
    assert table["total"].iloc[0] == len(P) == 3
    for j, f in enumerate(("a", "b")):
        assert table.loc[f, "all"] == pytest.approx(P[:, j].mean())
        assert table.loc[f].get("promotes", 0.0) == pytest.approx(promotes[j])


@pytest.fixture(scope="module")
def declined(tmp_path_factory):
    """The demo corpus plus one long document: the demo's weakest framed passage followed by
    frame-free passages, so that a passage has a frame the document rule declines."""
    import narratives

    model = narratives.load()
    docs = pd.read_json(CORPUS, lines=True, dtype=False)
    tags = model.tag(docs)
    thr = model.thresholds
    framed = [
        (r.scores[f] - thr[f], r.text)
        for r in tags.itertuples()
        for f in r.frames
        if f != "none" and r.flag == ""
    ]
    weakest = min(framed)[1]
    plain = tags.groupby("id")["frames"].agg(lambda s: all(list(x) == ["none"] for x in s))
    filler = docs.set_index("id").loc[plain[plain].index[:15], "text"].tolist()
    long_doc = {"id": "long-declined", "text": "\n\n".join([weakest, *filler])}
    docs = pd.concat([docs, pd.DataFrame([long_doc])], ignore_index=True)
    docs["outlet"] = docs["outlet"].fillna("x")
    d = tmp_path_factory.mktemp("declined")
    passage = model.tag(docs)
    document = model.tag(docs, unit="document")
    passage.to_parquet(d / "tags.parquet")
    g = passage[passage["id"] == "long-declined"]
    in_passages = {f for fr in g["frames"] for f in fr} - {"none"}
    assert in_passages, "the long document lost its framed passage: rebuild the fixture"
    assert set(g["document_frames"].iloc[0]) == {"none"}, "the document rule took the frame"
    return model, d / "tags.parquet", document


def test_document_units_equal_tag_unit_document(declined):
    model, path, document = declined
    units = load_units(path, "document", labels=model.taxonomy.fine_labels)
    got = units.frame.set_index("id")
    want = document.set_index("id")
    assert set(got.index) <= set(want.index)
    for i, r in got.iterrows():
        frames = [f for f in want.loc[i, "frames"] if f != "none"]
        assert r["frames"] == frames, i
        assert r["stances"] == dict(want.loc[i, "stances"]), i
        assert r["stance"] == want.loc[i, "stance"], i
        assert r["evidence"] == {k: v for k, v in want.loc[i, "evidence"].items() if k in frames}
    # the declined frame scores over its threshold, yet has no evidence: the documented rule
    long = want.loc["long-declined"]
    assert any(long["scores"][f] >= model.thresholds[f] for f in model.taxonomy.fine_labels)
    assert list(long["frames"]) == ["none"] and not long["evidence"]


def test_sample_and_validate_use_the_document_rule(capsys, tmp_path, declined):
    model, path, _document = declined
    tags = pd.read_parquet(path)
    n_docs = tags["id"].nunique()
    code, _, err = run(
        capsys, "sample", path, "--unit", "document", "--n", n_docs, "-o", tmp_path / "s.csv"
    )
    assert code == 0, err
    s = pd.read_csv(tmp_path / "s.csv", dtype=str, keep_default_na=False)
    assert len(s) == n_docs
    decided = tags.groupby("id").first()
    for r in s.itertuples():
        frames = [f for f in decided.loc[r.id, "document_frames"] if f != "none"]
        st = decided.loc[r.id, "document_stances"] or {}
        want = [f"{f}:{st[f]}" if st.get(f) in ("promotes", "reports") else f for f in frames]
        assert r.model_labels.split("; ") == (want or ["none"]), r.id
    assert s.set_index("id").loc["long-declined", "model_labels"] == "none"

    # annotators agree with the model: validate's raw prevalence is summarize's
    s["labels"] = s["model_labels"]
    s.to_csv(tmp_path / "s_annot.csv", index=False)
    code, _, err = run(capsys, "validate", path, tmp_path / "s_annot.csv", "-o", tmp_path / "rep")
    assert code == 0, err
    res = json.loads((tmp_path / "rep" / "validation.json").read_text())
    assert res["summary"]["unit"] == "document" and res["summary"]["units"] == n_docs
    raw = {(r["frame"], r["stance"]): r["raw"] for r in res["prevalence"]}
    table = summarize(path).set_index("frame")
    frames_of = [
        [f for f in fr if f != "none"] for fr in decided.loc[s["id"].unique(), "document_frames"]
    ]
    assert raw[("(any frame)", "any")] == pytest.approx(sum(map(bool, frames_of)) / n_docs)
    for f in model.taxonomy.fine_labels:
        assert raw[(f, "any")] == pytest.approx(table["all"].get(f, 0.0)), f
        promoted = table["promotes"].get(f, 0.0) if "promotes" in table.columns else 0.0
        assert raw[(f, "promotes")] == pytest.approx(promoted), f
