import pytest

from narratives import make_pipeline


@pytest.fixture(scope="module")
def pipe(tiny_df):
    p = make_pipeline(classifier__threshold_cv=0)
    return p.fit(tiny_df["text"].tolist(), tiny_df["frames"].tolist())


def _relevant(pipe, text):
    return pipe.is_relevant(pipe.named_steps["preprocess"].transform([text])[0])


@pytest.mark.parametrize(
    "text",
    [
        "Kazakhstan is an artificial state.",  # a regional actor
        "Germany is a US vassal.",  # a Western actor and a frame cue
        "Europe supports the revival of fascism.",
        "Russophobia is one of the major tendencies in American political life.",
    ],
)
def test_claims_about_the_west_pass_the_gate(pipe, text):
    assert _relevant(pipe, text)


@pytest.mark.parametrize(
    "text",
    [
        "Germany's economy grew by 0.3% in the second quarter, the statistics office said.",
        "The European Commission proposed new rules on data privacy for cloud providers.",
        "Heatwaves are a hoax invented by the media to sell carbon taxes.",
    ],
)
def test_western_news_without_a_frame_cue_does_not(pipe, text):
    # (A frame cue opens it: cues include common words such as "waste"; the classifier decides.)
    assert not _relevant(pipe, text)


def test_names_in_link_lists_do_not_open_the_gate(pipe):
    text = (
        "Every summer the BBC discovers weather and calls it an emergency. Follow the money.\n\n"
        "Read more: Russia and Ukraine trade blame over dam"
    )
    assert not _relevant(pipe, text)


def test_the_west_route_is_per_passage_not_per_document(tiny_model):
    """A long article that names a Western actor in one paragraph and uses a frame's word in
    another is not opened (climate polemics did that); a passage that is itself a claim about
    the West is."""
    doc = (
        "Every summer the newspapers discover weather and call it an emergency.\n\n"
        "The United States announced new rules for power plants on Tuesday.\n\n"
        "The whole climate panic is fake, a hoax sold to scare our children."
    )
    row = tiny_model.tag([doc], unit="document").iloc[0]
    assert row["flag"] == "off_topic"
    claim = "Germany is a US vassal."
    assert tiny_model.tag([claim], unit="document").iloc[0]["flag"] != "off_topic"
