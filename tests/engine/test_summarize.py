"""summarize(): prevalence tables from tagged files, checked by hand."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from narratives import InputError
from narratives.engine import summarize, summary_to_markdown

# Three documents from two outlets; document a has two passages.
PASSAGES = [
    {
        "id": "a",
        "passage": 0,
        "frames": ["x"],
        "stance": "promotes",
        "countries": ["ukraine"],
        "outlet": "o1",
        "date": "2024-01-03",
        "flag": "",
    },
    {
        "id": "a",
        "passage": 1,
        "frames": ["y"],
        "stance": "reports",
        "countries": ["ukraine", "russia"],
        "outlet": "o1",
        "date": "2024-01-03",
        "flag": "",
    },
    {
        "id": "b",
        "passage": 0,
        "frames": ["none"],
        "stance": "none",
        "countries": [],
        "outlet": "o1",
        "date": "2024-02-10",
        "flag": "",
    },
    {
        "id": "c",
        "passage": 0,
        "frames": ["x"],
        "stance": "promotes",
        "countries": ["russia"],
        "outlet": "o2",
        "date": "2024-02-11",
        "flag": "",
    },
]


@pytest.fixture(params=["parquet", "jsonl", "csv"])
def tagged(request, tmp_path):
    df = pd.DataFrame(PASSAGES)
    path = tmp_path / f"tags.{request.param}"
    if request.param == "parquet":
        df.to_parquet(path)
    elif request.param == "jsonl":
        path.write_text("".join(json.dumps(r) + "\n" for r in PASSAGES))
    else:
        df.assign(
            frames=df["frames"].map(";".join), countries=df["countries"].map(";".join)
        ).to_csv(path, index=False)
    return path


def test_by_frames_shares_of_documents(tagged):
    t = summarize(tagged, by="frames").set_index("frame")
    assert (
        t.loc["x", "n"] == 2
        and t.loc["x", "total"] == 3
        and t.loc["x", "all"] == pytest.approx(2 / 3)
    )
    assert t.loc["y", "all"] == pytest.approx(1 / 3) and t.loc["y", "reports"] == pytest.approx(
        1 / 3
    )
    assert t.loc["x", "promotes"] == pytest.approx(2 / 3) and "none" not in t.index


def test_by_outlet_and_passages(tagged):
    t = summarize(tagged, by="outlet", unit="passage")
    row = t[(t["outlet"] == "o1") & (t["frame"] == "x")].iloc[0]
    assert (row["n"], row["total"]) == (1, 3)
    t = summarize(tagged, by=["outlet"])
    row = t[(t["outlet"] == "o2") & (t["frame"] == "x")].iloc[0]
    assert (row["n"], row["total"], row["all"]) == (1, 1, 1.0)


def test_by_countries_is_exploded_and_dates_bucketed(tagged):
    t = summarize(tagged, by="countries")
    ua = t[(t["countries"] == "ukraine")].set_index("frame")
    assert ua.loc["x", "total"] == 1 and ua.loc["y", "n"] == 1
    ru = t[(t["countries"] == "russia") & (t["frame"] == "x")].iloc[0]
    assert (ru["n"], ru["total"]) == (2, 2)  # documents a (second passage) and c
    t = summarize(tagged, by="date:month", stance=False)
    feb = t[t["date:month"] == "2024-02"].iloc[0]
    assert (feb["frame"], feb["n"], feb["total"]) == ("x", 1, 2) and list(t.columns) == [
        "date:month",
        "frame",
        "all",
        "n",
        "total",
    ]


def test_markdown(tagged):
    md = summary_to_markdown(summarize(tagged, by="frames"))
    assert md.splitlines()[0] == "| frame | all | promotes | reports | n | total |"
    assert "| x | 66.7% | 66.7% |" in md


def test_errors(tmp_path, tagged):
    with pytest.raises(InputError, match="not found"):
        summarize(tmp_path / "missing.parquet")
    with pytest.raises(InputError, match="'outlet2' not found") as exc:
        summarize(tagged, by="outlet2")
    # every column of the file is named, not only those read for the table
    assert "outlet" in str(exc.value).split("available:")[1]
    with pytest.raises(InputError, match="unknown period"):
        summarize(tagged, by="date:fortnight")
    docs = tmp_path / "docs.parquet"
    pd.DataFrame(PASSAGES).drop(columns=["passage"]).to_parquet(docs)
    with pytest.raises(InputError, match="one row per document"):
        summarize(docs, unit="passage")


@pytest.mark.parametrize("ext", ["parquet", "jsonl", "csv"])
def test_document_prevalence_same_from_passage_and_document_files(tiny_df, corpus, tmp_path, ext):
    """Passage rows carry their document's decisions, so summarize gives the same document
    prevalence (per frame and per frame's stance) from either file of a run (issue 11)."""
    import narratives
    from narratives.engine import tag_file

    df = tiny_df.assign(open_world=True)
    model = narratives.train(
        df,
        seed=0,
        params={"classifier__threshold_cv": 2, "classifier__open_world_fpr": 0.2},
    )
    assert model.pipeline.classifier.negatives_ is not None
    out_p, out_d = tmp_path / f"p.{ext}", tmp_path / f"d.{ext}"
    tag_file(corpus, out_p, model, unit="passage")
    tag_file(corpus, out_d, model, unit="document")
    a = summarize(out_p, unit="document", by="outlet")
    b = summarize(out_d, unit="document", by="outlet")
    assert len(b) and (b["all"] > 0).any()
    pd.testing.assert_frame_equal(a, b)


# ------------------------------------------------------------------ repeated input ids
PROPAGANDA = "Kazakhstan is an artificial state that Lenin drew on a map."
WHEAT = "Wheat prices rose on global markets this week."


@pytest.mark.parametrize(("chunk_rows", "workers"), [(500, 1), (1, 1), (1, 2)])
def test_repeated_ids_stay_separate_documents(model, tmp_path, chunk_rows, workers):
    """Two input rows with the id "a" (a propaganda text and an unrelated one) are two
    documents: the second becomes "a#2", and summarize counts three documents from the passage
    file and from the document file alike, in one chunk or across chunks, with one worker or
    two. Before: "duplicate ids 1", then total=2 (the two "a" documents merged into one, which
    carried the frame of the first)."""
    from _enginetest import write_jsonl

    from narratives.engine import tag_file

    rows = [{"id": "a", "text": PROPAGANDA}, {"id": "a", "text": WHEAT}, {"id": "b", "text": WHEAT}]
    src = write_jsonl(tmp_path / "dup2.jsonl", rows)
    kw = {"chunk_rows": chunk_rows, "workers": workers}
    out_d, out_p = tmp_path / "dup2_d.jsonl", tmp_path / "dup2_p.jsonl"
    s = tag_file(src, out_d, model, unit="document", **kw)
    tag_file(src, out_p, model, unit="passage", **kw)
    assert s.duplicate_ids == 1 and s.documents == 3 and s.output_rows == 3
    docs = pd.read_json(out_d, lines=True)
    assert docs["id"].tolist() == ["a", "a#2", "b"]
    assert docs["id_input"].tolist()[1] == "a" and docs["id_input"].isna().tolist() == [
        True,
        False,
        True,
    ]
    assert pd.read_json(out_p, lines=True)["id"].drop_duplicates().tolist() == ["a", "a#2", "b"]
    a = summarize(out_p, unit="document")
    b = summarize(out_d, unit="document")
    assert set(b["total"]) == {3} and len(b)
    assert b.loc[b["frame"] == "artificial_state", "n"].tolist() == [1]
    pd.testing.assert_frame_equal(a, b)


def test_a_passage_file_that_repeats_ids_is_warned_about(tmp_path, caplog):
    """A tag output of an earlier version (or an edited one) in which two documents share an id:
    summarize counts a passage file's documents by id, and says so instead of merging them
    silently; a file with unique ids gets no warning."""
    rows = [
        {"id": "a", "passage": 0, "frames": ["x"], "stance": "promotes"},
        {"id": "a", "passage": 1, "frames": ["none"], "stance": "none"},
        {"id": "a", "passage": 0, "frames": ["none"], "stance": "none"},  # another document
        {"id": "b", "passage": 0, "frames": ["none"], "stance": "none"},
    ]
    old, new = tmp_path / "old.jsonl", tmp_path / "new.jsonl"
    old.write_text("".join(json.dumps(r) + "\n" for r in rows))
    unique = [{**r, "id": f"d{d}"} for r, d in zip(rows, [0, 0, 1, 2], strict=True)]
    new.write_text("".join(json.dumps(r) + "\n" for r in unique))
    with caplog.at_level("WARNING", logger="narratives"):
        summarize(old, batch_rows=2)
    assert [m for m in caplog.messages if "1 rows start another document under an id" in m]
    caplog.clear()
    with caplog.at_level("WARNING", logger="narratives"):
        summarize(new, batch_rows=2)
    assert not caplog.messages


@pytest.mark.parametrize("batch_rows", [1, 2, 100])
def test_document_rows_with_repeated_ids_stay_separate_in_any_batch(tmp_path, batch_rows):
    """Each row of a document file is a document: two rows under one id are two documents,
    whatever the batch size (they were merged within a batch and not across batches)."""
    rows = [
        {"id": "a", "frames": ["x"], "stance": "promotes"},
        {"id": "a", "frames": ["none"], "stance": "none"},
        {"id": "b", "frames": ["none"], "stance": "none"},
    ]
    path = tmp_path / "docs.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    t = summarize(path, batch_rows=batch_rows)
    assert t[["frame", "n", "total"]].values.tolist() == [["x", 1, 3]]


def test_a_group_without_labels_keeps_its_row_and_total(tagged):
    """Outlet o1 in February has one document (b) and no label: it stays in the table at 0%
    with its denominator, instead of vanishing from a published breakdown."""
    t = summarize(tagged, by="outlet,date:month")
    empty = t[(t["outlet"] == "o1") & (t["date:month"].astype(str) == "2024-02")]
    assert empty[["frame", "n", "total"]].values.tolist() == [["(no label)", 0, 1]]
    assert (empty.drop(columns=["outlet", "date:month", "frame", "n", "total"]) == 0).all().all()
    assert "(no label)" not in set(summarize(tagged)["frame"])  # no groups, no such row


def test_prevalence_of_passage_rows_with_repeated_ids_warns(caplog):
    """model.tag keeps the ids it is given: two documents' passages under one id are counted as
    one document from passage rows, and prevalence says so (as summarize does for files)."""
    from narratives.engine import prevalence

    rows = pd.DataFrame(
        {
            "id": ["a", "a", "b"],
            "passage": [0, 0, 0],
            "frames": [["x"], ["none"], ["none"]],
            "stance": ["promotes", "none", "none"],
        }
    )
    with caplog.at_level("WARNING", logger="narratives"):
        prevalence(rows, unit="document", stance=False)
    assert [m for m in caplog.messages if "1 rows start another document under an id" in m]
    caplog.clear()
    with caplog.at_level("WARNING", logger="narratives"):
        prevalence(rows.assign(id=["a", "a2", "b"]), unit="document", stance=False)
    assert not caplog.messages
