import pytest
from sklearn.base import clone

from narratives import InputError
from narratives.preprocessing import Preprocessor, classify_line, guess_language


@pytest.fixture(scope="module")
def pre():
    return Preprocessor().fit()


def test_passages_have_offsets_into_original(pre):
    text = "<p>Kazakhstan is an artificial state.</p> It owes its existence to Moscow. Third one. Fourth sentence here."
    seg = pre.segment([text])[0]
    assert [p.kind for p in seg.passages] == ["text", "text"]
    first, second = seg.passages
    assert text[first.start : first.end].startswith("Kazakhstan is an artificial state.")
    assert text[second.start : second.end] == "Fourth sentence here."
    for a, b in first.sentences:
        assert 0 <= a < b <= len(text)


def test_passage_window_and_cap():
    pre = Preprocessor(passage_sentences=2, max_passage_chars=100).fit()
    text = " ".join(f"Sentence number {i} talks about the weather in Riga." for i in range(10))
    seg = pre.segment([text])[0]
    assert all(len(p.sentences) <= 2 for p in seg.passages)
    assert all(p.end - p.start <= 100 for p in seg.passages)
    long_sentence = "word " * 5000
    seg = pre.segment([long_sentence])[0]
    assert len(seg.passages) > 10 and all(p.end - p.start <= 100 for p in seg.passages)


def test_boilerplate_and_headings(pre):
    text = (
        "Here is the enhanced version of your article:\n\n"
        "The Soviet Legacy In Central Asia\n\n"
        "Kazakhstan has changed a lot since 1991. Astana grew fast.\n"
        "Subscribe to our Telegram channel\n"
    )
    seg = pre.segment([text])[0]
    kinds = [p.kind for p in seg.passages]
    assert kinds == ["boilerplate", "text", "boilerplate"]
    # the heading is attached to the text that follows it
    assert text[seg.passages[1].start :].startswith("The Soviet Legacy")
    assert "enhanced" not in seg.document.tokens and "subscribe" not in seg.document.tokens


@pytest.mark.parametrize(
    ("line", "kind"),
    [
        ("Sure! Here's the rewritten article:", "boilerplate"),
        ("Share this article", "boilerplate"),
        ("https://t.me/somechannel #news", "boilerplate"),
        ("RUSSIA WARNS FINLAND", "heading"),
        ("Follow the money, they say.", "text"),
        ("kazakhstan is a fake country lol", "text"),
    ],
    ids=["chatbot", "share", "links", "caps-heading", "follow-sentence", "lowercase-post"],
)
def test_classify_line(line, kind):
    assert classify_line(line) == kind


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("Moscow says the West is to blame for everything that happened this year.", "en"),
        ("Москва заявляет, что во всём виноват Запад и его союзники.", "ru"),
        (
            "Die Regierung in Berlin hat heute neue Sanktionen gegen Russland beschlossen und angekündigt.",
            "de",
        ),
        ("!!! ??? 123", "en"),
    ],
    ids=["english", "russian", "german", "punctuation"],
)
def test_language_flag(pre, text, lang):
    seg = pre.segment([text])[0]
    assert seg.passages[0].processed.lang == lang
    assert seg.passages[0].taggable == (lang == "en")


def test_cues_and_actors(pre):
    seg = pre.segment(
        ["Putin says Ukraine is an artificial state created by Lenin, and NATO is at our borders."]
    )[0]
    doc = seg.document
    assert doc.cues.get("artificial_state", 0) >= 2
    assert doc.actors.get("russia") and doc.actors.get("ukraine") and doc.actors.get("nato")
    assert doc.actors.get("ussr")


def test_truncation_is_reported():
    pre = Preprocessor(max_chars=1000).fit()
    seg = pre.segment(["A sentence about Riga. " * 200])[0]
    assert seg.truncated and seg.n_chars == 1000
    assert seg.passages[-1].end <= 1000


def test_rejects_non_strings(pre):
    with pytest.raises(InputError):
        pre.segment(["ok", None])
    with pytest.raises(InputError):
        pre.transform("a single string")


def test_sklearn_clone_and_params():
    pre = Preprocessor(passage_sentences=5)
    c = clone(pre)
    assert c.get_params()["passage_sentences"] == 5
    assert c.set_params(max_chars=10).max_chars == 10


def test_guess_language_short_latin_is_english():
    assert guess_language(["hello"], "hello") == "en"
