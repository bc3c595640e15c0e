import pytest

from narratives.preprocessing import guess_language


def _lang(text: str) -> str:
    return guess_language(text.lower().split(), text)


@pytest.mark.parametrize(
    "text",
    [
        "Post-Soviet Realignment Tracker",
        "NATO forced Ukraine to adopt anti-Russian foreign policy",
        "Germany is a US vassal",
        "Kyiv Rejects Moscow Terms",
        "Zelensky, Macron, Scholz: Summit Recap",
        "12:45",
        "",
    ],
)
def test_short_english_headlines_and_claims_are_english(text):
    assert _lang(text) == "en"


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Россия защищает своих граждан, а Запад снова вводит санкции против нашей страны.", "ru"),
        ("Україна — це Європа, і ми будемо захищати її разом з нашими партнерами.", "uk"),
        (
            "Der Krieg in der Ukraine geht weiter, und die Regierung sagt, dass die Lage ernst ist.",
            "de",
        ),
        (
            "La guerre en Ukraine continue, selon le gouvernement, et la situation reste tendue.",
            "fr",
        ),
    ],
)
def test_other_languages_get_their_iso_code(text, code):
    assert _lang(text) == code


def test_ordinary_english_prose_never_calls_the_identifier(monkeypatch):
    from narratives.preprocessing import _language

    def boom(*a, **k):
        raise AssertionError("identifier called")

    monkeypatch.setattr(_language, "_identify", boom)
    text = "The minister said on Tuesday that the new package of aid would arrive within weeks."
    assert _lang(text) == "en"


# The screen's fast letter counts against the rule spelled out character by character (the
# identifier itself is stubbed: this checks which texts reach it, and with which languages).
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from narratives.preprocessing import _language  # noqa: E402


def _stub(text, among=None):
    return ("cyr" if among else "any", 0.95)


def _by_hand(tokens: list[str], text: str) -> str:
    letters = [c for c in text if c.isalpha()]
    if not letters:
        return "en"
    latin = sum(1 for c in letters if c < "\u0250")
    if latin / len(letters) < 0.6:
        cyr = sum(1 for c in letters if "\u0400" <= c <= "\u04ff")
        return "cyr" if cyr / len(letters) >= 0.5 else "any"
    words = [w for w in tokens if w.isalpha()]
    if len(words) < 8:
        return "en"
    share = sum(w in _language._EN_STOP for w in words) / len(words)
    return "en" if share >= 0.12 else "any"


_ALPHABET = st.sampled_from(
    list("abcXYZ   ,.1²½ⅫéßÆ")
    + list("Москвапривет")
    + list("مرحبا")
    + ["\u2019", "\u00a0", "中", "文"]
)


@settings(max_examples=300, deadline=None)
@given(st.text(_ALPHABET, max_size=80))
def test_fast_screen_equals_the_rule(text):
    tokens = text.lower().split()
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(_language, "_identify", _stub)
        assert guess_language(tokens, text) == _by_hand(tokens, text)
