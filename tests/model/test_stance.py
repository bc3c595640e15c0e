import numpy as np

from narratives import make_pipeline
from narratives.model._stance import frame_stances, stance_pairs


def test_stance_pairs_take_per_frame_and_per_passage_stances():
    Y = np.array([[1, 1, 0], [0, 1, 0], [0, 0, 0], [1, 0, 1]])
    st = [{"a": "promotes", "b": "reports"}, "promotes", "none", {"a": "reports"}]
    rows, cols, target = stance_pairs(Y, st, ["a", "b", "c"])
    assert list(zip(rows.tolist(), cols.tolist(), target.tolist(), strict=False)) == [
        (0, 0, 1),
        (0, 1, 0),
        (1, 1, 1),
        (3, 0, 0),
    ]  # fmt: skip  (row 3's frame c has no stance: no pair)


def test_frame_stances_tie_stance_to_frames():
    fine = np.array([[1, 1, 0], [0, 0, 0], [0, 1, 0]])
    S = np.array([[0.9, 0.2, 0.9], [0.9, 0.9, 0.9], [0.4, 0.3, 0.8]])
    stances, overall = frame_stances(fine, S, ["a", "b", "c"])
    assert stances == [{"a": "promotes", "b": "reports"}, {}, {"b": "reports"}]
    assert overall == ["promotes", "none", "reports"]


def test_a_passage_can_promote_one_frame_and_report_another(tiny_df):
    """Trained with stance per frame, the head gives frames their own stance."""
    texts = tiny_df["text"].tolist()
    frames = tiny_df["frames"].tolist()
    stance = tiny_df["stance"].tolist()
    pipe = make_pipeline(classifier__threshold_cv=2)
    pipe.fit(texts, frames, stance=stance)
    dec = pipe.decide(texts)
    for k, fr in enumerate(dec.frames):
        framed = [f for f in fr if f != "none"]
        assert set(dec.stances[k]) == set(framed)
        if not framed:
            assert dec.stance[k] == "none"
        else:
            assert dec.stance[k] == (
                "promotes" if "promotes" in dec.stances[k].values() else "reports"
            )
    # per-frame biases exist: the head has one weight per frame after the features
    n_feat = pipe.classifier.n_features_in_
    assert pipe.classifier.stance_estimator_.coef_.shape[1] == n_feat + len(
        pipe.classifier.fine_labels_
    )
