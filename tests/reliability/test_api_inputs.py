"""Issue 13, defect 5 and the Python API weak spot: what ``NarrativeModel.tag`` and
``narratives.load`` accept, and what they do with odd ids.

Rules (documented in ``NarrativeModel.tag``): rows are built on positions, so every row comes from
its own document whatever the ids; duplicate ids are kept; a missing id (None/NaN) in a DataFrame
is an InputError; a ``{id: text}`` dict tags its values under its keys; bytes, None and numbers
are an InputError naming the type; an empty document still gets a passage row flagged ``empty``.

Before the fix: passage texts came from ``dict(zip(ids, texts))``, so with duplicate ids a row got
the last document's text (sliced at its own offsets); a NaN id raised KeyError; ``tag(None)`` and
``tag(123)`` raised TypeError, ``tag(b"...")`` said "text #0 is int", ``tag({...})`` tagged the
keys; ``load(123)`` raised TypeError; an empty document had no passage row.
"""

from __future__ import annotations

import pandas as pd
import pytest

import narratives
from narratives import InputError

A = "Kazakhstan is an artificial state that Lenin drew on a map. Its borders are fake."
B = "Riga is calm today."


def test_duplicate_ids_keep_each_document_s_own_text(tiny_model):
    df = pd.DataFrame({"id": ["a", "a", "b"], "text": [A, B, "Wheat prices rose."]})
    out = tiny_model.tag(df)
    doc = -1
    for rid, passage, start, end, text in zip(
        out["id"], out["passage"], out["start"], out["end"], out["text"], strict=True
    ):
        doc += passage == 0  # rows come in input order, passages numbered from 0 per document
        assert rid == df["id"][doc]
        assert text == df["text"][doc][start:end], (doc, text)
    assert doc == 2


@pytest.mark.parametrize("bad", [float("nan"), None, pd.NA])
def test_missing_ids_are_a_clear_error(tiny_model, bad):
    df = pd.DataFrame({"id": ["a", bad], "text": [A, B]}, dtype=object)
    with pytest.raises(InputError, match="row 1 has no id"):
        tiny_model.tag(df)


def test_ids_that_are_not_hashable_still_work(tiny_model):
    out = tiny_model.tag(pd.DataFrame({"id": [["x"], ["y"]], "text": [A, B]}), unit="document")
    assert out["id"].tolist() == [["x"], ["y"]]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (None, "not NoneType"),
        (123, "not int"),
        (1.5, "not float"),
        (b"Riga is calm.", "decode bytes first"),
        ([A, b"x"], "text #1 (id 1) is bytes"),
        ([A, None], "text #1 (id 1) is NoneType"),
    ],
    ids=["None", "int", "float", "bytes", "bytes-in-list", "None-in-list"],
)
def test_wrong_input_types_are_input_errors(tiny_model, data, message):
    with pytest.raises(InputError, match=message.replace("(", r"\(").replace(")", r"\)")):
        tiny_model.tag(data)


def test_a_dict_tags_its_values_under_its_keys(tiny_model):
    out = tiny_model.tag({"k1": A, "k2": B}, unit="document")
    assert out["id"].tolist() == ["k1", "k2"]
    expected = tiny_model.tag([A, B], unit="document")
    assert out["frames"].tolist() == expected["frames"].tolist()


@pytest.mark.parametrize("empty", ["", "   \n\t ", "<p></p>"])
def test_an_empty_document_gets_a_passage_row_flagged_empty(tiny_model, empty):
    out = tiny_model.tag([A, empty, B])
    assert sorted(set(out["id"])) == [0, 1, 2]
    row = out[out["id"] == 1]
    assert len(row) == 1 and row["flag"].iloc[0] == "empty"
    assert row["frames"].iloc[0] == ["none"] and row["text"].iloc[0] == ""
    assert out["id"].tolist() == sorted(out["id"].tolist())  # in input order
    docs = tiny_model.tag([A, ""], unit="document")
    assert docs["flag"].tolist()[1] == "empty"


def test_empty_row_works_in_every_output_format(tiny_model, tmp_path):
    out = tiny_model.tag(["", A])
    assert out.loc[0, "flag"] == "empty"
    out.to_json(tmp_path / "x.jsonl", orient="records", lines=True)
    out.to_parquet(tmp_path / "x.parquet")
    assert len(pd.read_parquet(tmp_path / "x.parquet")) == len(out)


@pytest.mark.parametrize("bad", [123, 1.5, ["a"]])
def test_load_with_a_non_path_is_an_input_error(bad):
    with pytest.raises(InputError, match="path of a model directory"):
        narratives.load(bad)
