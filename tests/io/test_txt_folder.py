"""Folders of .txt files (narratives.io readers)."""

from __future__ import annotations

import logging

from narratives.io import iter_chunks


def test_other_files_in_a_txt_folder_are_named_in_a_warning(tmp_path, caplog):
    (tmp_path / "a.txt").write_text("Kyiv is run by neo-Nazis.", encoding="utf-8")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.txt").write_text("Wheat prices rose.", encoding="utf-8")
    (tmp_path / "notes.md").write_text("# notes", encoding="utf-8")
    (tmp_path / ".hidden").write_text("x", encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="narratives"):
        ids = [r for ch in iter_chunks(tmp_path) for r in ch.frame["id"]]
    assert ids == ["a.txt", "sub/b.txt"]
    assert "1 files that are not .txt are not read (e.g. notes.md)" in caplog.text


def test_a_folder_of_only_txt_files_warns_nothing(tmp_path, caplog):
    (tmp_path / "a.txt").write_text("Kyiv is run by neo-Nazis.", encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="narratives"):
        list(iter_chunks(tmp_path))
    assert "not read" not in caplog.text
