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
