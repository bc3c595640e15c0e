"""The training unit ``auto`` chooses (model._train.auto_unit)."""

from __future__ import annotations

from narratives.model._train import auto_unit


def _texts(n_chars: int, k: int = 5) -> list[str]:
    return [("Word " * (n_chars // 5 + 1))[:n_chars] for _ in range(k)]


def test_texts_longer_than_a_passage_train_as_documents():
    # SemEval Russian: median 1,235 characters, longer than a passage (1,000 by default)
    assert auto_unit(_texts(1235)) == "document"
    assert auto_unit(_texts(3000)) == "document"


def test_passage_sized_texts_train_as_passages():
    assert auto_unit(_texts(200)) == "passage"
    assert auto_unit(_texts(1000)) == "passage"


def test_the_median_decides_and_the_passage_size_follows_the_params():
    assert auto_unit(_texts(200, 3) + _texts(1500, 2)) == "passage"
    assert auto_unit(_texts(200, 2) + _texts(1500, 3)) == "document"
    assert auto_unit(_texts(1235), {"preprocess__max_passage_chars": 2000}) == "passage"
    assert auto_unit(_texts(800), {"preprocess__max_passage_chars": 500}) == "document"
