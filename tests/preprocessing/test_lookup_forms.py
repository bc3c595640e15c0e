"""The blank-pipeline fast path (LookupForms) must give exactly what spaCy's components give."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from narratives.preprocessing import Preprocessor
from narratives.preprocessing import _segmenter as pp
from narratives.preprocessing._spacy import LookupForms, build_nlp, token_form

TRICKY = [
    "Kazakhstan is an artificial state. It owes its existence to Moscow!",
    'Wait... what?! They said "no". Then: nothing.\nNew line here\n\nNew paragraph',
    "?!. leading punctuation. ...and trailing",
    "Emoji 🇺🇦🔥 and URLs https://example.org/x?y=1 and numbers 1,000 or 3.5%",
    "ALL CAPS!!! lowercase... MiXeD. don't can't won't Mr. Smith went to D.C. yesterday.",
    "\n\n\nOnly breaks\n\n",
    "one\ntwo\nthree. four\n. five",
    "Кириллица тоже. Mixed scripts: Қазақстан, ქართველი, العربية.",
    "",
    "   ",
    ".",
]


@pytest.fixture(scope="module")
def nlp():
    return build_nlp("blank:en", True)


@pytest.mark.parametrize("text", TRICKY, ids=range(len(TRICKY)))
def test_forms_and_sentences_match_spacy_components(nlp, text):
    fast = LookupForms(nlp, True)
    doc = nlp(text)  # all components: line breaks, sentencizer, lemmatizer
    bare = nlp.make_doc(text)  # tokenizer only
    forms, sents = fast(bare, bare.to_array("IDX").tolist())
    assert forms == [token_form(t, True) for t in doc]
    assert sents == [(s.start, s.end, s.start_char, s.end_char) for s in doc.sents]


def _slow_segment(pre, texts, monkeypatch):
    with monkeypatch.context() as m:
        m.setattr(pp, "_lookup_forms", lambda *a: None)
        return pre.segment(texts)


def test_segment_fast_path_equals_component_path(monkeypatch):
    pre = Preprocessor().fit()
    assert pre.segment(TRICKY) == _slow_segment(pre, TRICKY, monkeypatch)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.text(
        alphabet=st.sampled_from(list("ab Z.!?\n\"'-…,;:")) | st.characters(codec="utf-8"),
        max_size=200,
    )
)
def test_segment_fast_path_equals_component_path_arbitrary_text(monkeypatch, text):
    pre = Preprocessor().fit()
    assert pre.segment([text]) == _slow_segment(pre, [text], monkeypatch)
