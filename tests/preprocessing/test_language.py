from hypothesis import given, settings
from hypothesis import strategies as st

from narratives.preprocessing import guess_language
from narratives.preprocessing._language import _EN_STOP


def _by_hand(tokens: list[str], text: str) -> str:
    """The rule spelled out character by character (the reference for the fast version)."""
    letters = [c for c in text if c.isalpha()]
    if not letters:
        return "en"
    latin = sum(1 for c in letters if c < "\u0250")
    if latin / len(letters) < 0.6:
        cyr = sum(1 for c in letters if "\u0400" <= c <= "\u04ff")
        if cyr / len(letters) >= 0.5:
            return "xx-cyrl"
        arab = sum(1 for c in letters if "\u0600" <= c <= "\u06ff")
        return "xx-arab" if arab / len(letters) >= 0.5 else "xx"
    words = [w for w in tokens if w.isalpha()]
    if len(words) < 8:
        return "en"
    return "en" if sum(w in _EN_STOP for w in words) / len(words) >= 0.12 else "xx-latn"


_ALPHABET = st.sampled_from(
    list("abcXYZ   ,.1²½ⅫéßÆ")
    + list("Москвапривет")
    + list("مرحبا")
    + ["\u2019", "\u00a0", "中", "文"]
)


@settings(max_examples=300, deadline=None)
@given(st.text(_ALPHABET, max_size=80))
def test_fast_letter_counts_equal_the_rule(text):
    tokens = text.lower().split()
    assert guess_language(tokens, text) == _by_hand(tokens, text)


def test_scripts():
    ru = "Москва заявила, что переговоры продолжатся на следующей неделе в Стамбуле."
    assert guess_language(ru.lower().split(), ru) == "xx-cyrl"
    en = "The minister said on Tuesday that the talks would continue next week in Istanbul."
    assert guess_language(en.lower().split(), en) == "en"
