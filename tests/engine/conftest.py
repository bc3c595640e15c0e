"""Fixtures for the engine tests: the tiny session model (loaded from disk) and small corpora."""

from __future__ import annotations

from pathlib import Path

import pytest
from _enginetest import make_rows, write_jsonl

import narratives


@pytest.fixture(scope="session")
def model(tiny_model_dir) -> narratives.NarrativeModel:
    return narratives.load(tiny_model_dir)


@pytest.fixture
def corpus(tmp_path) -> Path:
    """60 documents of 1-7 sentences, with outlet and date columns."""
    return write_jsonl(tmp_path / "corpus.jsonl", make_rows(60))
