"""``narratives explain TEXT``: text or file name (issue 15).

Before: a text of 256+ characters failed with "File name too long" (the argument was handed to
``stat``), and a mistyped file name (``mine.txt``) was explained as if it were the text.
"""

from __future__ import annotations

import pytest

from _cli import run
from narratives.cli._inspect import looks_like_path

LONG = "Kazakhstan is an artificial state that Lenin drew on a map, and Moscow knows it. " * 6


@pytest.mark.parametrize(
    "text",
    [LONG, "x" * 300, "a/" * 3000, LONG + "\n" + LONG, "Riga\x00 is calm."],
    ids=["sentences", "one-word", "slashes", "two-lines", "nul"],
)
def test_long_or_odd_text_is_explained(capsys, tiny_model_dir, text):
    code, stdout, stderr = run(capsys, "explain", text, "--model", tiny_model_dir)
    assert code == 0, stderr
    assert "frames:" in stdout and "too long" not in stderr


def test_a_long_text_is_explained_as_text(capsys, tiny_model_dir):
    code, stdout, _ = run(capsys, "explain", LONG, "--model", tiny_model_dir, "--json")
    assert code == 0 and "artificial_state" in stdout


@pytest.mark.parametrize("name", ["mine.txt", "notes/mine.md", "./mine", "/no/such/file.html"])
def test_a_missing_file_is_one_line_error(capsys, tmp_path, monkeypatch, tiny_model_dir, name):
    monkeypatch.chdir(tmp_path)
    code, stdout, stderr = run(capsys, "explain", name, "--model", tiny_model_dir)
    assert code == 2 and stdout == ""
    lines = [ln for ln in stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: no such file:"), stderr
    assert name.rsplit("/", 1)[-1] in lines[0]


def test_files_are_read(capsys, tmp_path, monkeypatch, tiny_model_dir):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "mine.txt").write_text(LONG, encoding="utf-8")
    (tmp_path / "notes").write_text(LONG, encoding="utf-8")  # no extension
    (tmp_path / "body.dat").write_text(LONG, encoding="utf-8")
    for argv in (["mine.txt"], ["notes"], ["--file", "body.dat"], [str(tmp_path / "mine.txt")]):
        code, stdout, stderr = run(capsys, "explain", *argv, "--model", tiny_model_dir, "--json")
        assert code == 0 and "artificial_state" in stdout, (argv, stderr)


def test_file_option_errors(capsys, tmp_path, tiny_model_dir):
    code, _, stderr = run(capsys, "explain", "--file", tmp_path / "gone.dat", "-m", tiny_model_dir)
    assert code == 2 and "no such file" in stderr
    code, _, stderr = run(capsys, "explain", "--file", tmp_path, "-m", tiny_model_dir)
    assert code == 2 and "is a folder" in stderr
    code, _, stderr = run(capsys, "explain", "Riga is calm.", "--file", tmp_path / "x.txt")
    assert code == 2 and "not both" in stderr
    (tmp_path / "latin1.txt").write_bytes("Chi\xfein\xe3u".encode("latin-1"))
    code, _, stderr = run(capsys, "explain", tmp_path / "latin1.txt", "-m", tiny_model_dir)
    assert code == 2 and "not valid UTF-8" in stderr


@pytest.mark.parametrize(
    ("arg", "is_path"),
    [
        ("mine.txt", True),
        ("My Notes.MD", True),
        ("page.html", True),
        ("./draft", True),
        ("../a/b", True),
        ("~/x", True),
        ("/tmp/x", True),
        ("Ukraine is a fake state invented by Lenin.", False),
        ("NATO and/or the EU", False),
        ("/ is a slash", False),
        ("x" * 300 + ".txt", False),  # no file name is that long
        ("a\nb.txt", False),
        ("", False),
    ],
)
def test_looks_like_path(arg, is_path):
    assert looks_like_path(arg) is is_path
