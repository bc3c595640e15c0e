"""Crash safety: an interrupted run never leaves a truncated file under the final name.

Outputs are written under ``OUT.partial`` (a file, or a checkpoint folder) and only the finished
output is renamed into place; model directories are assembled in a hidden temporary folder and
renamed. These tests kill real ``narratives tag`` processes mid-run and make model saving fail
half-way.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import time
from pathlib import Path

import pytest
from _reliability import cli_command, cli_env

import narratives
from narratives.persistence import _persist


@pytest.fixture(scope="module")
def big_input(tmp_path_factory, tiny_df) -> Path:
    """4,000 short documents: several seconds of tagging on the tiny model."""
    rnd = random.Random(0)
    texts = tiny_df["text"].tolist()
    path = tmp_path_factory.mktemp("big") / "big.jsonl"
    with open(path, "w", encoding="utf-8") as fh:
        for i in range(4000):
            fh.write(
                json.dumps({"id": f"d{i}", "text": " ".join(rnd.choice(texts) for _ in range(4))})
                + "\n"
            )
    return path


def _has_written(partial: Path) -> bool:
    """Output rows are on disk: a non-empty ``OUT.partial`` file, or a non-empty part file in an
    ``OUT.partial/`` checkpoint folder."""
    if partial.is_file():
        return partial.stat().st_size > 0
    if partial.is_dir():
        return any(
            p.is_file() and p.stat().st_size > 0 and "sqlite" not in p.name
            for p in partial.rglob("*")
        )
    return False


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _start_and_wait_for_partial(
    big_input, out, model_dir, *extra: str, timeout: float = 90.0
) -> subprocess.Popen:
    proc = subprocess.Popen(
        [
            *cli_command(),
            "tag",
            str(big_input),
            "-o",
            str(out),
            "--model",
            str(model_dir),
            "--chunk-rows",
            "50",
            *extra,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=cli_env(),
        # Ctrl-C as in a terminal: the run starts with SIGINT's default disposition. A test
        # process started in the background by a shell without job control ignores SIGINT, its
        # children inherit that, and Python then installs no KeyboardInterrupt handler (the run
        # finished with exit 0 instead of 130).
        preexec_fn=_default_sigint,
    )
    partial = out.with_name(out.name + ".partial")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if _has_written(partial):
            break
        if proc.poll() is not None:
            pytest.fail(f"narratives tag ended before it was interrupted: {proc.communicate()}")
        time.sleep(0.05)
    else:
        proc.kill()
        pytest.fail("narratives tag never started writing")
    assert proc.poll() is None, (
        "the run finished before it could be interrupted: use a bigger input"
    )
    return proc


@pytest.mark.parametrize("ext", ["jsonl", "parquet"])
def test_sigkill_mid_run_leaves_no_file_under_the_final_name(
    tmp_path, tiny_model_dir, big_input, ext
):
    out = tmp_path / f"tags.{ext}"
    previous = b"output of an earlier run"
    out.write_bytes(previous)
    # --overwrite: the existing output is replaced only when the run finishes
    proc = _start_and_wait_for_partial(big_input, out, tiny_model_dir, "--overwrite")
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    assert out.read_bytes() == previous  # the earlier output is untouched, not truncated
    assert not (tmp_path / f"tags.{ext}.rejects.jsonl").exists()
    assert {p.name for p in tmp_path.iterdir()} == {f"tags.{ext}", f"tags.{ext}.partial"}


def test_ctrl_c_with_overwrite_keeps_the_old_output(tmp_path, tiny_model_dir, big_input):
    out = tmp_path / "tags.csv"
    previous = b"id,note\nx,a spreadsheet the user wrote\n"
    out.write_bytes(previous)
    proc = _start_and_wait_for_partial(big_input, out, tiny_model_dir, "--overwrite")
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert out.read_bytes() == previous
    assert {p.name for p in tmp_path.iterdir()} == {"tags.csv", "tags.csv.partial"}


def test_ctrl_c_exits_130_with_one_line_and_no_final_file(tmp_path, tiny_model_dir, big_input):
    out = tmp_path / "tags.jsonl"
    proc = _start_and_wait_for_partial(big_input, out, tiny_model_dir)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert err.strip() == "interrupted" and "Traceback" not in err
    assert not out.exists()


# ------------------------------------------------------------------ models
def _leftovers(folder: Path, name: str) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(f".{name}."))


def _failing_dump(real_dump):
    def dump(obj, file, **kw):
        real_dump(obj, file, **kw)  # a complete pipeline file is on disk...
        raise OSError(28, "No space left on device")  # ...and then the disk fills up

    return dump


def test_failed_model_save_leaves_no_model_directory(tiny_model, tmp_path, monkeypatch):
    target = tmp_path / "model"
    monkeypatch.setattr(_persist.sio, "dump", _failing_dump(_persist.sio.dump))
    with pytest.raises(OSError, match="No space"):
        tiny_model.save(target)
    assert not target.exists()
    assert _leftovers(tmp_path, "model") == []


def test_failed_manifest_write_leaves_no_model_directory(tiny_model, tmp_path):
    target = tmp_path / "model"
    with pytest.raises(TypeError, match="not JSON serialisable"):
        tiny_model.save(target, note=object())  # the manifest cannot be written
    assert not target.exists() and _leftovers(tmp_path, "model") == []


def test_failed_save_over_an_existing_model_keeps_the_old_one(tiny_model, tmp_path, monkeypatch):
    target = tmp_path / "model"
    tiny_model.save(target)
    before = {p.name: p.read_bytes() for p in target.iterdir()}
    monkeypatch.setattr(_persist.sio, "dump", _failing_dump(_persist.sio.dump))
    with pytest.raises(OSError):
        tiny_model.save(target)
    assert {p.name: p.read_bytes() for p in target.iterdir()} == before
    assert _leftovers(tmp_path, "model") == []
    monkeypatch.undo()
    assert narratives.load(target).taxonomy.name == tiny_model.taxonomy.name


def test_cli_train_failure_leaves_no_model(tmp_path, tiny_df, capsys, monkeypatch):
    """Through the CLI: a failing save is a one-line error and no directory appears."""
    from narratives.cli._app import main

    data = tmp_path / "train.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in tiny_df.to_dict("records")))
    monkeypatch.setattr(_persist.sio, "dump", _failing_dump(_persist.sio.dump))
    code = main(["train", str(data), "-o", str(tmp_path / "m")])
    err = capsys.readouterr().err
    assert code == 2 and err.strip().startswith("error: No space left on device"), err
    assert not (tmp_path / "m").exists() and _leftovers(tmp_path, "m") == []


def test_no_partial_files_after_a_successful_run(tmp_path, tiny_model_dir, tiny_df):
    from narratives.cli._app import main

    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps({"id": "a", "text": tiny_df["text"][0]}) + "\n" + "{bad\n")
    assert (
        main(["tag", str(src), "-o", str(tmp_path / "o.parquet"), "--model", str(tiny_model_dir)])
        == 1
    )
    assert sorted(os.listdir(tmp_path)) == ["in.jsonl", "o.parquet", "o.parquet.rejects.jsonl"]


# ------------------------------------------------------------------ never destroy what is not a model
def test_train_refuses_to_replace_a_folder_that_is_not_a_model(tmp_path, tiny_df, capsys):
    """Saving replaces a model directory as a whole; it must never delete a folder of other files
    (this used to delete them), and it must say so before training."""
    from narratives.cli._app import main

    data = tmp_path / "train.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in tiny_df.to_dict("records")))
    precious = tmp_path / "thesis"
    precious.mkdir()
    (precious / "chapter1.tex").write_text("years of work")
    code = main(["train", str(data), "-o", str(precious)])
    err = capsys.readouterr().err
    assert code == 2 and "not a narratives model" in err and len(err.strip().splitlines()) == 1
    assert sorted(p.name for p in precious.iterdir()) == ["chapter1.tex"]
    code = main(["train", str(data), "-o", str(precious), "--overwrite"])  # not even then
    assert code == 2 and sorted(p.name for p in precious.iterdir()) == ["chapter1.tex"]


def test_train_replaces_an_existing_model_only_with_overwrite(tmp_path, tiny_df, capsys):
    """Like tag and summarize: another run's model is not replaced silently."""
    from narratives.cli._app import main

    data = tmp_path / "train.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in tiny_df.to_dict("records")))
    model = tmp_path / "m"
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["train", str(data), "-o", str(empty)]) == 0  # an empty folder loses nothing
    assert main(["train", str(data), "-o", str(model)]) == 0
    before = {p.name: p.read_bytes() for p in model.iterdir()}
    capsys.readouterr()
    code = main(["train", str(data), "-o", str(model), "--seed", "3"])
    err = capsys.readouterr().err
    assert code == 2 and "--overwrite" in err and len(err.strip().splitlines()) == 1
    assert {p.name: p.read_bytes() for p in model.iterdir()} == before
    assert main(["train", str(data), "-o", str(model), "--seed", "3", "--overwrite"]) == 0
    link = tmp_path / "link"
    link.symlink_to(tmp_path / "nowhere")
    capsys.readouterr()
    code = main(["train", str(data), "-o", str(link), "--overwrite"])  # refused before training
    assert code == 2 and "symbolic link" in capsys.readouterr().err and link.is_symlink()


@pytest.mark.parametrize("kind", ["file", "unwritable"])
def test_model_path_problems_are_reported_before_training(tmp_path, tiny_model, monkeypatch, kind):
    from narratives import InputError
    from narratives.persistence import check_model_path

    if kind == "file":
        target = tmp_path / "model"
        target.write_text("x")
        match = "not a folder"
    else:
        target = tmp_path / "ro" / "sub" / "model"
        (tmp_path / "ro").mkdir()
        monkeypatch.setattr(_persist.tempfile, "TemporaryFile", _raise_eacces)
        match = "not writable"
    with pytest.raises(InputError, match=match):
        check_model_path(target)
    with pytest.raises(InputError, match=match):
        tiny_model.save(target)


def _raise_eacces(*args, **kwargs):
    raise PermissionError(13, "Permission denied")


def test_empty_folder_and_existing_model_can_be_replaced(tmp_path, tiny_model):
    empty = tmp_path / "empty"
    empty.mkdir()
    tiny_model.save(empty)
    tiny_model.save(empty)  # now a model: replaced as a whole
    assert (empty / "manifest.json").is_file()
