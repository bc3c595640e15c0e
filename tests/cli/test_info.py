"""``narratives info`` prints the whole model card (issue 15).

Before: it printed the 33-line summary made from the manifest and left out what the model
directory's MODEL_CARD.md adds (held-out metrics, real-text results, known failure modes), and
nothing said which languages the model tags.
"""

from __future__ import annotations

import shutil

import pytest

from _cli import run
from narratives import default_model_path


def test_info_prints_the_whole_default_card(capsys):
    code, stdout, _ = run(capsys, "info")
    assert code == 0
    stored = (default_model_path() / "MODEL_CARD.md").read_text(encoding="utf-8")
    for heading in [ln for ln in stored.splitlines() if ln.startswith("## ")]:
        assert stdout.count(heading + "\n") == 1, heading
    for must in ("Held-out test split", "Real text", "Known failure modes", "frame macro-F1"):
        assert must in stdout
    assert "- languages tagged: en" in stdout
    assert len(stdout.splitlines()) >= len(stored.splitlines())


def test_short_is_the_summary(capsys):
    code, stdout, _ = run(capsys, "info", "--short")
    assert code == 0
    assert "## Labels and thresholds" in stdout and "- languages tagged: en" in stdout
    assert "Known failure modes" not in stdout and "Held-out" not in stdout


@pytest.fixture
def model_copy(tiny_model_dir, tmp_path):
    return shutil.copytree(tiny_model_dir, tmp_path / "model")


def test_sections_are_not_repeated(capsys, model_copy):
    code, stdout, _ = run(capsys, "info", "--model", model_copy)
    assert code == 0 and stdout.count("## Labels and thresholds") == 1
    card = model_copy / "MODEL_CARD.md"
    card.write_text(card.read_text() + "\n## Known failure modes\n\n- tiny: 20 sentences.\n")
    code, stdout, _ = run(capsys, "info", "--model", model_copy)
    assert code == 0 and stdout.count("## Labels and thresholds") == 1
    assert stdout.rstrip().endswith("## Known failure modes\n\n- tiny: 20 sentences.")


@pytest.mark.parametrize(
    "content",
    [b"\xff\xfe binary \x00 junk", b"## A\n" + b"x" * (3 << 20), None],
    ids=["not-utf8", "huge", "missing"],
)
def test_odd_or_missing_card_files(capsys, model_copy, content):
    card = model_copy / "MODEL_CARD.md"
    if content is None:
        card.unlink()
    else:
        card.write_bytes(content)
    code, stdout, _ = run(capsys, "info", "--model", model_copy)
    assert code == 0 and "## Labels and thresholds" in stdout
    assert len(stdout) < (2 << 20)
