import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from narratives import InputError
from narratives.features import NarrativeFeatures
from narratives.features._transform import _char_wb_transform, _fast_word_path, _word_transform
from narratives.preprocessing import Preprocessor


@pytest.fixture(scope="module")
def processed(tiny_df):
    return Preprocessor().fit().transform(tiny_df["text"].tolist())


@pytest.mark.parametrize("char", [False, True], ids=["words", "words+chars"])
def test_shapes_and_names(processed, char):
    f = NarrativeFeatures(char_ngrams=char).fit(processed)
    X = f.transform(processed)
    names = f.get_feature_names_out()
    assert X.shape == (len(processed), len(names))
    assert any(n.startswith("cue:") for n in names) and any(n.startswith("actor:") for n in names)
    assert any(n.startswith("char:") for n in names) == char


def test_cue_and_actor_blocks(processed):
    f = NarrativeFeatures(cue_weight=1.0, actor_weight=1.0).fit(processed)
    names = list(f.get_feature_names_out())
    X = f.transform(processed).toarray()
    row = 0  # "Kazakhstan is an artificial state that Lenin drew on a map."
    assert X[row, names.index("cue:artificial_state")] > 0
    assert X[row, names.index("actor:kazakhstan")] > 0
    assert X[row, names.index("actor:ussr")] > 0  # Lenin


def test_zero_weight_removes_block(processed):
    f = NarrativeFeatures(cue_weight=0.0).fit(processed)
    names = list(f.get_feature_names_out())
    X = f.transform(processed).toarray()
    cue_cols = [i for i, n in enumerate(names) if n.startswith("cue:")]
    assert np.all(X[:, cue_cols] == 0)


def test_not_fitted_and_wrong_input(processed):
    with pytest.raises(NotFittedError):
        NarrativeFeatures().transform(processed)
    with pytest.raises(InputError):
        NarrativeFeatures().fit(["raw text is not accepted"])


def test_clone_round_trip():
    f = NarrativeFeatures(ngram_range=(1, 3), char_ngrams=True)
    c = clone(f)
    assert c.get_params() == f.get_params()


CHAR_TEXTS = [
    "Kazakhstan is an artificial state; it owes its existence to Moscow.",
    "a I ok Ab  c\td\n\ne",  # words shorter than the n-gram sizes, mixed whitespace
    "İstanbul ǅ straße ÆØÅ 🇺🇦 emoji…",
    "",
    "   ",
    "repeated repeated repeated words words",
]


@pytest.mark.parametrize("ngram_range", [(3, 5), (2, 4), (1, 1)], ids=["3-5", "2-4", "1-1"])
def test_cached_char_ngrams_equal_sklearn(processed, ngram_range):
    f = NarrativeFeatures(char_ngrams=True, char_ngram_range=ngram_range, min_df=1).fit(processed)
    docs = [p.text.lower() for p in processed] + CHAR_TEXTS
    expected = f.char_.transform(docs)
    for _ in range(2):  # cold, then from the word cache
        got = _char_wb_transform(f.char_, docs)
        assert got.shape == expected.shape
        assert np.array_equal(got.indptr, expected.indptr)
        assert np.array_equal(got.indices, expected.indices)
        assert np.array_equal(got.data, expected.data)


WORD_TEXTS = [
    "",
    "<empty>",
    "a",
    "a a a b",
    "kazakhstan be an artificial state",
    "x\u00a0y\tz\u2003w",
]


@pytest.mark.parametrize(
    "ngram_range", [(1, 2), (1, 1), (2, 3), (1, 4)], ids=["1-2", "1-1", "2-3", "1-4"]
)
def test_word_transform_equals_sklearn(processed, ngram_range):
    f = NarrativeFeatures(ngram_range=ngram_range, min_df=1).fit(processed)
    assert _fast_word_path(f.word_)
    docs = [p.tokens or "<empty>" for p in processed] + WORD_TEXTS
    expected = f.word_.transform(docs)
    got = _word_transform(f.word_, docs)
    assert got.shape == expected.shape
    assert np.array_equal(got.indptr, expected.indptr)
    assert np.array_equal(got.indices, expected.indices)
    assert np.array_equal(got.data, expected.data)
    assert got.dtype == expected.dtype


def test_word_transform_is_bounded_by_document_length(processed):
    """A model file's ngram_range is untrusted: a huge max_n costs no more than the documents'
    own lengths (as in scikit-learn), and the output is still scikit-learn's."""
    import time

    f = NarrativeFeatures(ngram_range=(1, 3), min_df=1).fit(processed)
    docs = [p.tokens or "<empty>" for p in processed][:50] + WORD_TEXTS
    f.word_.ngram_range = (1, 10**9)
    t0 = time.process_time()
    got = _word_transform(f.word_, docs)
    assert time.process_time() - t0 < 5
    expected = f.word_.transform(docs)
    assert np.array_equal(got.indices, expected.indices)
    assert np.array_equal(got.data, expected.data)


@pytest.mark.parametrize("bad", [(0, 2), (3, 2), (1.0, 2), (True, 2), (1,), "12", None, (1, 2, 3)])
def test_lean_vectorizer_refuses_invalid_ngram_range(bad):
    from narratives.features._transform import LeanTfidf, LeanVectorizer

    v = LeanVectorizer.__new__(LeanVectorizer)
    tfidf = LeanTfidf.__new__(LeanTfidf)
    tfidf.__dict__["norm"] = "l2"
    v.__setstate__({"_tfidf": tfidf, "ngram_range": (1, 2), "analyzer": "char_wb",
                    "preprocessor": None, "strip_accents": None, "lowercase": True})  # fmt: skip
    assert v.supported()
    v.__dict__["ngram_range"] = bad
    assert not v.supported()
