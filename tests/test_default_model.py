"""The embedded default model: evidence for a promoting passage of each family."""

import json
from pathlib import Path

import pytest

import narratives

CASES = [
    (
        "sovereignty",
        "artificial_state",
        "Kazakhstan never had a state before the Soviets; Lenin drew its borders and it owes its existence to Moscow.",
    ),
    (
        "destabilisation",
        "ethnic_grievance",
        "Russian speakers in Latvia are persecuted, their schools closed, treated as second-class citizens by Riga.",
    ),
    (
        "discrediting",
        "nazi_smear",
        "The Kyiv regime is full of neo-Nazis who honour Bandera and march with swastikas.",
    ),
    (
        "russia_role",
        "russia_defends",
        "NATO expansion to our borders left Russia no choice; we act in self-defence against Western aggression.",
    ),
    (
        "intimidation",
        "military_threat",
        "Finland will become a legitimate target; one Sarmat and Helsinki is radioactive ash.",
    ),
]


@pytest.fixture(scope="module")
def model():
    return narratives.load()


@pytest.mark.parametrize(("family", "frame", "text"), CASES, ids=[c[0] for c in CASES])
def test_explain_promoting_passage(model, family, frame, text):
    ex = model.explain(text)
    assert frame in ex["frames"] and family in ex["families"]
    assert ex["stance"] == "promotes"
    lab = next(lab for lab in ex["labels"] if lab["label"] == frame)
    assert lab["score"] >= lab["threshold"]
    assert lab["features"], "no n-gram or cue evidence"
    assert (
        lab["sentences"] and text[lab["sentences"][0]["start"] : lab["sentences"][0]["end"]] in text
    )


def test_off_topic_text_gets_no_frame(model):
    res = model.tag(
        ["The climate is a hoax and the media lie about it, says a senator in Ohio."],
        unit="document",
    )
    assert res.iloc[0]["frames"] == ["none"] and res.iloc[0]["flag"] == "off_topic"


def test_manifest_records_test_metrics(model):
    tm = model.manifest["test_metrics"]
    # The held-out split is drawn over the written corpus (data/real has its own split).
    n_corpus = tm.get("n_train_corpus", tm["n_train"])
    # n_test counts the English held-out passages; with several corpora, every language's count.
    by_lang = tm.get("test_by_language") or {"en": {"n": tm["n_test"]}}
    n_test = sum(v["n"] for v in by_lang.values())
    assert n_test >= 0.2 * (n_test + n_corpus)
    assert tm["test_stance_accuracy_framed"] >= 0.85
    for lang, v in by_lang.items():
        assert v["stance_accuracy_framed"] >= 0.80, lang


def _neutral_actor_topic():
    path = Path(__file__).parent / "data" / "neutral_actor_topic.jsonl"
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]


@pytest.mark.xfail(
    strict=True,
    reason="known failure of the current default model: 3 of these 41 neutral sentences still "
    "cross their frame's threshold (an aid package, a sanctions package, Soviet border history); "
    "see models/FAILURE_MODES.md",
)
def test_country_name_plus_topic_word_is_not_a_frame(model):
    """Neutral sentences made of a frame's actors and topic words (aid, borders, sanctions,
    exercises, war crimes investigations...) stay under that frame's threshold (issue 11)."""
    rows = _neutral_actor_topic()
    tagged = model.tag([r["text"] for r in rows], unit="document")
    over = [
        (r["frame"], r["text"], s[r["frame"]])
        for r, s in zip(rows, tagged["scores"], strict=True)
        if s[r["frame"]] >= model.thresholds[r["frame"]]
    ]
    assert not over, over
