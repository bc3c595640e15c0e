"""build_nlp's tokenizer remembers more chunks (``TOKENIZER_CACHE``) than spaCy's default: its
tokens must be exactly those of a tokenizer that remembers nothing, on the project's own texts
(English, Russian, Ukrainian), a long document and empty ones, read twice (the second reading is
answered from the cache)."""

from __future__ import annotations

from pathlib import Path

import pytest
import spacy
from spacy.attrs import IDX, ORTH, SPACY

from narratives.io._repo_data import load_corpus
from narratives.preprocessing._spacy import TOKENIZER_CACHE, build_nlp

ROOT = Path(__file__).resolve().parents[2]
N_TEXTS = 1_200


@pytest.fixture(scope="module")
def corpora() -> dict[str, list[str]]:
    df = load_corpus(ROOT, ("en", "ru", "uk"))
    out = {}
    for lang, texts in df.groupby("lang")["text"]:
        texts = texts.tolist()[:N_TEXTS]
        long_doc = "\n\n".join(texts[:400])
        assert len(long_doc) > 50_000
        out[lang] = [*texts, long_doc, "", " ", "\n\n", "\t \n"]
    return out


@pytest.mark.parametrize("lang", ["en", "ru", "uk"])
def test_cached_tokens_equal_tokens_of_an_uncached_tokenizer(corpora, lang):
    texts = corpora[lang]
    tokenizer = build_nlp(f"blank:{lang}", True).tokenizer
    assert tokenizer.max_cache_size >= TOKENIZER_CACHE
    plain = spacy.blank(lang).tokenizer
    plain.max_cache_size = 0  # every chunk through the prefix, suffix, infix and special rules
    for _ in range(2):
        for text in texts:
            doc, ref = tokenizer(text), plain(text)
            assert [t.text for t in doc] == [t.text for t in ref]
            assert (doc.to_array([ORTH, IDX, SPACY]) == ref.to_array([ORTH, IDX, SPACY])).all()
