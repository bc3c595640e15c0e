"""Issue 13, defects 1 and 2: a run never overwrites or removes a file it did not create.

A run of ``narratives tag IN -o OUT`` writes ``OUT``, ``OUT.rejects.jsonl`` and the checkpoint
folder ``OUT.partial/`` (removed at the end), and removes a stale rejects file of an earlier run.

Before the fix: only ``OUT`` itself was compared with the input (by resolved path, so a hard link
got through); the rejects file was ``OUT-without-extension.rejects.jsonl``, so
``tag r.rejects.jsonl -o r.jsonl`` replaced the input with the rejects (or deleted it on a clean
run), ``-o t.jsonl`` and ``-o t.parquet`` shared ``t.rejects.jsonl`` and a clean run of one deleted
the other's; a folder or file under the name ``OUT.partial`` was emptied or deleted.
"""

from __future__ import annotations

import json
import os

import pytest
from _reliability import write_jsonl

from narratives.cli._app import main

OK = "Kazakhstan is an artificial state that Lenin drew on a map."
ROWS = [{"id": "a", "text": OK}, {"id": "b", "text": "Riga is calm today."}]
BAD = [*ROWS, {"id": "c", "text": None}]  # one reject


def tag(capsys, src, out, model, *extra):
    code = main(["tag", str(src), "-o", str(out), "--model", str(model), *map(str, extra)])
    cap = capsys.readouterr()
    return code, cap.out, cap.err


def one_line_error(err: str) -> str:
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:") and "Traceback" not in err, err
    return lines[0]


@pytest.mark.parametrize("rows", [ROWS, BAD], ids=["clean-run", "run-with-rejects"])
def test_the_issue_repro_no_longer_touches_the_input(capsys, tmp_path, tiny_model_dir, rows):
    """``cp in.jsonl r.rejects.jsonl; tag r.rejects.jsonl -o r.jsonl``: the input survives."""
    src = write_jsonl(tmp_path / "r.rejects.jsonl", rows)
    before = src.read_bytes()
    code, _, err = tag(capsys, src, tmp_path / "r.jsonl", tiny_model_dir)
    assert code == (1 if rows is BAD else 0), err
    assert src.read_bytes() == before
    assert (tmp_path / "r.jsonl.rejects.jsonl").exists() == (rows is BAD)


def _as_rejects_file(tmp_path, src, out):
    (tmp_path / f"{out.name}.rejects.jsonl").write_bytes(src.read_bytes())
    return tmp_path / f"{out.name}.rejects.jsonl"


def _symlink_as_rejects(tmp_path, src, out):
    link = tmp_path / f"{out.name}.rejects.jsonl"
    link.symlink_to(src)
    return src


def _hardlink_as_rejects(tmp_path, src, out):
    os.link(src, tmp_path / f"{out.name}.rejects.jsonl")
    return src


def _hardlink_as_output(tmp_path, src, out):
    os.link(src, out)
    return src


def _symlink_as_output(tmp_path, src, out):
    out.symlink_to(src)
    return src


@pytest.mark.parametrize(
    "make",
    [
        _as_rejects_file,
        _symlink_as_rejects,
        _hardlink_as_rejects,
        _hardlink_as_output,
        _symlink_as_output,
    ],
)
@pytest.mark.parametrize("rows", [ROWS, BAD], ids=["clean-run", "run-with-rejects"])
def test_input_that_is_a_file_the_run_writes_is_refused(
    capsys, tmp_path, tiny_model_dir, make, rows
):
    src = write_jsonl(tmp_path / "in.jsonl", rows)
    out = tmp_path / "r.jsonl"
    victim = make(tmp_path, src, out)
    before = victim.read_bytes()
    code, _, err = tag(capsys, victim, out, tiny_model_dir)
    assert code == 2 and "is the input" in one_line_error(err)
    assert victim.read_bytes() == before


def test_input_folder_that_is_the_checkpoint_folder_is_refused(capsys, tmp_path, tiny_model_dir):
    out = tmp_path / "r.jsonl"
    folder = tmp_path / "r.jsonl.partial"
    folder.mkdir()
    (folder / "a.txt").write_text(OK)
    code, _, err = tag(capsys, folder, out, tiny_model_dir)
    assert code == 2 and "is the input" in one_line_error(err)
    assert (folder / "a.txt").read_text() == OK


def test_input_inside_the_checkpoint_folder_is_refused(capsys, tmp_path, tiny_model_dir):
    out = tmp_path / "r.jsonl"
    (tmp_path / "r.jsonl.partial").mkdir()
    src = write_jsonl(tmp_path / "r.jsonl.partial" / "in.jsonl", ROWS)
    before = src.read_bytes()
    code, _, err = tag(capsys, src, out, tiny_model_dir)
    assert code == 2 and "inside the checkpoint folder" in one_line_error(err)
    assert src.read_bytes() == before


def test_a_foreign_file_named_like_the_checkpoint_is_not_removed(capsys, tmp_path, tiny_model_dir):
    src = write_jsonl(tmp_path / "in.jsonl", ROWS)
    out = tmp_path / "r.jsonl"
    notes = tmp_path / "r.jsonl.partial"
    notes.write_text("my notes")
    code, _, err = tag(capsys, src, out, tiny_model_dir)
    assert code == 2 and "not a narratives checkpoint" in one_line_error(err)
    assert notes.read_text() == "my notes"


# ------------------------------------------------------------------ defect 2: one rejects file per output
def test_outputs_differing_in_extension_have_their_own_rejects(capsys, tmp_path, tiny_model_dir):
    src = write_jsonl(tmp_path / "in.jsonl", BAD)
    clean = write_jsonl(tmp_path / "clean.jsonl", ROWS)
    code, _, _ = tag(capsys, src, tmp_path / "t.jsonl", tiny_model_dir)
    assert code == 1
    rej = tmp_path / "t.jsonl.rejects.jsonl"  # README: OUTPUT.rejects.jsonl
    kept = rej.read_bytes()
    assert [json.loads(x)["id"] for x in kept.splitlines()] == ["c"]
    code, _, _ = tag(capsys, clean, tmp_path / "t.parquet", tiny_model_dir)
    assert code == 0
    assert rej.read_bytes() == kept  # the clean parquet run did not delete the jsonl run's rejects
    assert not (tmp_path / "t.parquet.rejects.jsonl").exists()
    assert not (tmp_path / "t.rejects.jsonl").exists()


def test_a_foreign_file_under_the_rejects_name_is_refused(capsys, tmp_path, tiny_model_dir):
    src = write_jsonl(tmp_path / "in.jsonl", ROWS)
    out = tmp_path / "t.jsonl"
    mine = tmp_path / "t.jsonl.rejects.jsonl"
    mine.write_text("not written by narratives\n")
    code, _, err = tag(capsys, src, out, tiny_model_dir)
    assert code == 2 and "not a narratives rejects file" in one_line_error(err)
    assert mine.read_text() == "not written by narratives\n" and not out.exists()


def test_a_stale_rejects_file_of_the_same_output_is_replaced(capsys, tmp_path, tiny_model_dir):
    out = tmp_path / "t.jsonl"
    assert tag(capsys, write_jsonl(tmp_path / "in.jsonl", BAD), out, tiny_model_dir)[0] == 1
    assert (tmp_path / "t.jsonl.rejects.jsonl").exists()
    assert tag(capsys, write_jsonl(tmp_path / "in2.jsonl", ROWS), out, tiny_model_dir)[0] == 0
    assert not (tmp_path / "t.jsonl.rejects.jsonl").exists()  # written by narratives: removed
