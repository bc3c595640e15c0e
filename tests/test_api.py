import pandas as pd
import pytest

import narratives


@pytest.fixture(scope="module")
def default_model():
    return narratives.load()


def test_default_model_tags_dataframe(default_model):
    df = pd.DataFrame({"id": ["x", "y"], "text": [
        "Kazakhstan is an artificial state; it owes its existence to Moscow and Lenin drew its borders.",
        "The weather in Tallinn was mild and sunny on Sunday.",
    ]})  # fmt: skip
    res = default_model.tag(df)
    assert list(res.columns[:6]) == ["id", "passage", "start", "end", "text", "frames"]
    x = res[res["id"] == "x"].iloc[0]
    assert "artificial_state" in x["frames"] and x["stance"] == "promotes"
    y = res[res["id"] == "y"].iloc[0]
    assert y["frames"] == ["none"] and y["stance"] == "none"
    doc = default_model.tag(df, unit="document")
    assert len(doc) == 2 and "evidence" in doc.columns


def test_explain_gives_evidence(default_model):
    text = (
        "Ukraine is an artificial country invented by Lenin. Its borders were a gift from Russia."
    )
    ex = default_model.explain(text)
    lab = next(lab for lab in ex["labels"] if lab["label"] == "artificial_state")
    assert lab["predicted"] and lab["features"] and lab["sentences"]
    assert all(text[c["start"] : c["end"]] == c["phrase"] for c in lab["cues"])
    assert "<mark" in ex._repr_html_()


def test_explain_shows_what_drove_the_stance(default_model):
    ex = default_model.explain(
        "Russian state TV claimed that Kazakhstan is an artificial state, a claim historians reject."
    )
    lab = next(lab for lab in ex["labels"] if lab["label"] == "artificial_state")
    assert lab["stance"] == "reports"
    ev = lab["stance_evidence"]
    names = [n for n, _ in ev["towards_reports"]]
    assert "stance:reports" in names or "claim" in names
    assert all(w < 0 for _, w in ev["towards_reports"]) and all(
        w > 0 for _, w in ev["towards_promotes"]
    )
    assert "stance driven by" in ex._repr_html_()


def test_train_returns_model(tiny_model):
    assert isinstance(tiny_model, narratives.NarrativeModel)
    assert tiny_model.manifest["training_data"]["n_texts"] == 20


def test_taxonomy_roundtrip(tmp_path):
    tax = narratives.Taxonomy.default()
    assert len(tax.fine_labels) == 13 and len(tax.coarse_labels) == 5
    assert narratives.Taxonomy.from_dict(tax.to_dict()).hash == tax.hash
    bad = tmp_path / "bad.yaml"
    bad.write_text("frames: [{id: a}]")
    with pytest.raises(narratives.TaxonomyError):
        narratives.Taxonomy.load(bad)


# ----------------------------------------------- a DataFrame's other columns (issue 15)
def _docs() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "id": ["a", "b", "a"],
            "text": [
                "Kazakhstan is an artificial state that Lenin drew on a map.\n\n"
                "Heavy rain flooded streets in Riga and delayed trams.",
                "",
                "NATO expansion left Russia no choice but to defend itself.",
            ],
            "outlet": ["X", "Y", "Z"],
            "date": pd.to_datetime(["2024-01-02", "2024-02-03", "2024-03-04"]),
            "frames": [["artificial_state"], [], ["russia_defends"]],  # gold labels
            "lang": ["en", "en", "en"],
        },
        index=[10, 11, 12],
    )


@pytest.mark.parametrize("unit", ["passage", "document"])
def test_tag_dataframe_keeps_its_other_columns(tiny_model, unit):
    """Before: model.tag(DataFrame) returned only the output columns; the CLI keeps them."""
    df = _docs()
    res = tiny_model.tag(df, unit=unit)
    assert list(res.columns[-4:]) == ["outlet", "date", "frames_input", "lang_input"]
    assert res["date"].dtype == df["date"].dtype
    by_outlet = {o: g for o, g in res.groupby("outlet")}
    assert set(by_outlet) == {"X", "Y", "Z"}  # duplicate ids keep their own row's values
    assert len(by_outlet["X"]) == (2 if unit == "passage" else 1)
    assert (by_outlet["X"]["id"] == "a").all() and (by_outlet["Z"]["id"] == "a").all()
    assert by_outlet["Y"]["flag"].tolist() == ["empty"]  # an empty document keeps its columns
    assert by_outlet["Z"]["frames_input"].iloc[0] == ["russia_defends"]
    assert by_outlet["Z"]["date"].iloc[0] == pd.Timestamp("2024-03-04")
    assert "frames" in res.columns and "lang" in res.columns  # the output's own columns


def test_tag_dataframe_columns_follow_the_cli_rule(tiny_model):
    from narratives.engine._work import ChunkOptions, tag_frame

    df = _docs().iloc[[0, 2]].reset_index(drop=True)
    cli, _, _ = tag_frame(tiny_model, df.assign(row=[0, 1]), ChunkOptions())
    api = tiny_model.tag(df)
    assert list(api.columns) == list(cli.columns)
    assert api["outlet"].tolist() == cli["outlet"].tolist()


def test_tag_dataframe_text_and_id_columns_are_not_repeated(tiny_model):
    df = pd.DataFrame({"key": [7], "body": ["Riga is calm."], "text": ["a note"], "n": [1]})
    res = tiny_model.tag(df, text_column="body", id_column="key")
    assert res["id"].tolist() == [7] and "body" not in res.columns and "key" not in res.columns
    assert res["text_input"].tolist() == ["a note"] and res["n"].tolist() == [1]
    res = tiny_model.tag(df, text_column="body", id_column="key", with_text=False)
    assert res["text"].tolist() == ["a note"]  # no passage text: the name is free
    assert list(tiny_model.tag(["Riga is calm."]).columns) == list(
        tiny_model.tag(pd.DataFrame({"text": ["Riga is calm."]})).columns
    )
