"""Fixtures for the reliability tests."""

import pytest
from _reliability import run_cli


@pytest.fixture
def run():
    return run_cli
