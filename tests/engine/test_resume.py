"""Interrupted runs leave a checkpoint; --resume finishes them exactly once."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest
from _enginetest import make_rows, write_jsonl

from narratives import InputError
from narratives.engine import _checkpoint, _executors, checkpoint_dir, tag_file


class Boom(Exception):
    pass


def interrupt_after(monkeypatch, n: int, exc: type[BaseException] = KeyboardInterrupt) -> None:
    """Make the run fail right after its ``n``-th chunk is committed."""
    real = _checkpoint.Checkpoint.commit
    calls = {"n": 0}

    def commit(self, *a, **kw):
        out = real(self, *a, **kw)
        calls["n"] += 1
        if calls["n"] == n:
            raise exc()
        return out

    monkeypatch.setattr(_checkpoint.Checkpoint, "commit", commit)


def count_tagged_chunks(monkeypatch) -> list[int]:
    seen: list[int] = []
    real = _executors.tag_chunk

    def tag_chunk(model, frame, opts, index, store=None):
        seen.append(index)
        return real(model, frame, opts, index, store)

    monkeypatch.setattr(_executors, "tag_chunk", tag_chunk)
    return seen


def done_chunks(out: Path) -> int:
    conn = sqlite3.connect(checkpoint_dir(out) / "state.sqlite")
    try:
        return conn.execute("SELECT COUNT(*) FROM chunks").fetchone()[0]
    finally:
        conn.close()


@pytest.mark.parametrize("exc", [KeyboardInterrupt, Boom])
def test_resume_after_an_interruption_is_exactly_once(tmp_path, model, corpus, monkeypatch, exc):
    ref = tmp_path / "ref.parquet"
    tag_file(corpus, ref, model, chunk_rows=4)
    out = tmp_path / "out.parquet"
    with monkeypatch.context() as m:
        interrupt_after(m, 6, exc)
        with pytest.raises(exc):
            tag_file(corpus, out, model, chunk_rows=4)
    assert not out.exists() and done_chunks(out) == 6
    tagged = count_tagged_chunks(monkeypatch)
    s = tag_file(corpus, out, model, chunk_rows=4, resume=True)
    assert sorted(tagged) == list(range(6, 15))  # finished chunks are not tagged again
    assert s.resumed_chunks == 6 and s.resumed_rows == 24 and s.input_rows == 60
    got, want = pd.read_parquet(out), pd.read_parquet(ref)
    assert Counter(zip(got["id"], got["passage"], strict=True)) == Counter(
        zip(want["id"], want["passage"], strict=True)
    )
    assert (
        got.drop(columns=["scores"]).astype(str).equals(want.drop(columns=["scores"]).astype(str))
    )
    assert not checkpoint_dir(out).exists()


def test_interrupted_twice_with_workers_then_resumed_serially(tmp_path, model, corpus, monkeypatch):
    ref = tmp_path / "ref.jsonl"
    tag_file(corpus, ref, model, chunk_rows=3)
    out = tmp_path / "out.jsonl"
    for n in (3, 4):
        with monkeypatch.context() as m:
            interrupt_after(m, n)
            with pytest.raises(KeyboardInterrupt):
                tag_file(corpus, out, model, chunk_rows=3, workers=2, resume=True)
    assert done_chunks(out) == 7
    tag_file(corpus, out, model, chunk_rows=3, resume=True)
    assert out.read_text() == ref.read_text()


def test_rejects_survive_a_resume(tmp_path, model, monkeypatch):
    rows = make_rows(20, seed=5)
    lines = [json.dumps(r) for r in rows]
    lines[2] = "{not json"
    lines[15] = json.dumps({"id": "nul", "text": None})
    src = tmp_path / "in.jsonl"
    src.write_text("\n".join(lines) + "\n")
    out = tmp_path / "out.jsonl"
    with monkeypatch.context() as m:
        interrupt_after(m, 2)
        with pytest.raises(KeyboardInterrupt):
            tag_file(src, out, model, chunk_rows=4)
    s = tag_file(src, out, model, chunk_rows=4, resume=True)
    rej = [json.loads(x) for x in (tmp_path / "out.jsonl.rejects.jsonl").read_text().splitlines()]
    assert [r["row"] for r in rej] == [3, 16] and s.rejected == 2 and s.documents == 18
    ids = [json.loads(x)["id"] for x in out.read_text().splitlines()]
    assert set(ids) == {r["id"] for i, r in enumerate(rows) if i not in (2, 15)}


def test_a_checkpoint_needs_resume_or_restart(tmp_path, model, corpus, monkeypatch):
    out = tmp_path / "out.jsonl"
    with monkeypatch.context() as m:
        interrupt_after(m, 2)
        with pytest.raises(KeyboardInterrupt):
            tag_file(corpus, out, model, chunk_rows=5)
    with pytest.raises(InputError, match="--resume"):
        tag_file(corpus, out, model, chunk_rows=5)
    assert done_chunks(out) == 2  # the refusal did not touch it
    tagged = count_tagged_chunks(monkeypatch)
    s = tag_file(corpus, out, model, chunk_rows=5, restart=True)
    assert sorted(tagged) == list(range(12)) and s.resumed_chunks == 0


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda src, kw: src.open("a").write(json.dumps({"id": "new", "text": "Riga."}) + "\n"),
            "input changed",
        ),
        (
            lambda src, kw: kw.update(unit="document"),
            "options changed: unit 'passage' -> 'document'",
        ),
        (lambda src, kw: kw.update(chunk_rows=6), "chunk_rows 5 -> 6"),
        (lambda src, kw: kw.update(max_chars=100), "max_chars"),
    ],
    ids=["input", "unit", "chunk-rows", "max-chars"],
)
def test_resume_is_refused_when_the_run_changed(
    tmp_path, model, corpus, monkeypatch, change, message
):
    out = tmp_path / "out.parquet"
    kw = {"chunk_rows": 5}
    with monkeypatch.context() as m:
        interrupt_after(m, 2)
        with pytest.raises(KeyboardInterrupt):
            tag_file(corpus, out, model, **kw)
    change(corpus, kw)
    with pytest.raises(InputError, match="cannot resume") as err:
        tag_file(corpus, out, model, resume=True, **kw)
    assert message in str(err.value) and "--restart" in str(err.value)


def test_resume_refused_for_another_model(tmp_path, model, tiny_df, corpus, monkeypatch):
    import narratives

    other = narratives.train(tiny_df.iloc[:-1], seed=1, params={"classifier__threshold_cv": 0})
    out = tmp_path / "out.jsonl"
    with monkeypatch.context() as m:
        interrupt_after(m, 1)
        with pytest.raises(KeyboardInterrupt):
            tag_file(corpus, out, model, chunk_rows=10)
    with pytest.raises(InputError, match="the model changed"):
        tag_file(corpus, out, other, chunk_rows=10, resume=True)


def test_resume_without_a_checkpoint_starts_over(tmp_path, model, corpus):
    s = tag_file(corpus, tmp_path / "o.jsonl", model, resume=True)
    assert s.resumed_chunks == 0 and s.documents == 60


def test_failure_before_any_chunk_leaves_nothing(tmp_path, model):
    src = write_jsonl(tmp_path / "in.jsonl", [{"body": "no text column"}])
    with pytest.raises(InputError, match="available: body"):
        tag_file(src, tmp_path / "o.parquet", model)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.jsonl"]


# ------------------------------------------------------------------ the real command, killed
def _cli() -> list[str]:
    script = Path(sys.executable).with_name("narratives")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "narratives.cli"]


def test_sigkill_then_resume_through_the_cli(tmp_path, tiny_model_dir, capsys):
    from narratives.cli._app import main

    src = write_jsonl(tmp_path / "in.jsonl", make_rows(1500, seed=7))
    out = tmp_path / "out.jsonl"
    args = ["tag", str(src), "-o", str(out), "--model", str(tiny_model_dir), "--chunk-rows", "20"]
    proc = subprocess.Popen(
        [*_cli(), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "NO_COLOR": "1"},
    )
    state = checkpoint_dir(out) / "state.sqlite"
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            if state.exists():
                try:
                    if done_chunks(out) >= 3:
                        break
                except sqlite3.Error:
                    pass
            time.sleep(0.05)
        assert proc.poll() is None, "the run ended before it could be killed"
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=30)
    assert not out.exists() and done_chunks(out) >= 3
    assert main(args) == 2 and "--resume" in capsys.readouterr().err
    assert main([*args, "--resume"]) == 0
    assert "resumed:" in capsys.readouterr().out
    ids = Counter(
        json.loads(line)["id"] for line in out.read_text().splitlines() if '"passage": 0,' in line
    )
    assert ids == Counter(f"d{i:04d}" for i in range(1500))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.jsonl", "out.jsonl"]


def test_one_run_per_output_at_a_time(tmp_path, model, corpus):
    from narratives.engine._checkpoint import Checkpoint

    out = tmp_path / "out.jsonl"
    meta = {"input": {}, "model": "m", "options": {"kind": "jsonl"}}
    first = Checkpoint.open(out, meta)
    try:
        with pytest.raises(InputError, match="another narratives tag run is writing"):
            tag_file(corpus, out, model, resume=True)
        with pytest.raises(InputError, match="another narratives tag run"):
            tag_file(corpus, out, model, restart=True)
        assert (checkpoint_dir(out) / "state.sqlite").exists()  # untouched
    finally:
        first.close()
    assert tag_file(corpus, out, model).documents == 60


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(x) for x in path.read_text().split()] if path.exists() else []


@pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="parent-death signal is Linux-only"
)
@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM])
def test_workers_never_outlive_the_main_process(tmp_path, tiny_model_dir, sig):
    src = write_jsonl(tmp_path / "in.jsonl", make_rows(3000, seed=8))
    out = tmp_path / "out.jsonl"
    proc = subprocess.Popen(
        [*_cli(), "tag", str(src), "-o", str(out), "--model", str(tiny_model_dir), "--chunk-rows", "20", "--workers", "2"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None and len(_children(proc.pid)) < 2:
        time.sleep(0.05)
    workers = _children(proc.pid)
    assert len(workers) == 2 and proc.poll() is None
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and any(
        Path(f"/proc/{w}").exists() and "zombie" not in Path(f"/proc/{w}/status").read_text()
        for w in workers
    ):
        time.sleep(0.05)
    assert not [
        w
        for w in workers
        if Path(f"/proc/{w}").exists() and "zombie" not in Path(f"/proc/{w}/status").read_text()
    ]
    if sig == signal.SIGTERM:
        assert proc.returncode == 130 and err.strip() == "interrupted"
    assert not out.exists()


def test_a_failure_while_joining_the_parts_keeps_a_resumable_checkpoint(
    tmp_path, model, corpus, monkeypatch
):
    from narratives.engine import _checkpoint as ck

    out = tmp_path / "out.parquet"

    def full_disk(*a, **kw):
        raise OSError(28, "No space left on device")

    with monkeypatch.context() as m:
        m.setattr(ck, "assemble_parts", full_disk)
        with pytest.raises(OSError, match="No space"):
            tag_file(corpus, out, model, chunk_rows=10)
    assert not out.exists() and done_chunks(out) == 6
    tagged = count_tagged_chunks(monkeypatch)
    s = tag_file(corpus, out, model, chunk_rows=10, resume=True)
    assert tagged == [] and s.resumed_chunks == 6 and len(pd.read_parquet(out)) == s.output_rows


def test_output_cannot_be_the_input(tmp_path, model):
    src = write_jsonl(tmp_path / "in.jsonl", [{"id": "a", "text": "Riga."}])
    with pytest.raises(InputError, match="is the input"):
        tag_file(src, src, model)
    assert src.read_text().startswith('{"id": "a"')


def test_a_resumed_run_names_repeated_ids_as_an_uninterrupted_one(tmp_path, model, monkeypatch):
    """Ids repeat across chunks; with two workers some chunks had claimed their ids but were not
    committed when the run stopped. The resumed run drops those claims and gives every row the
    same unique id as an uninterrupted run (no id twice, none skipped)."""
    rows = make_rows(30, seed=2)
    for i, r in enumerate(rows):
        r["id"] = f"d{i % 4}"
    src = write_jsonl(tmp_path / "in.jsonl", rows)
    ref = tmp_path / "ref.jsonl"
    tag_file(src, ref, model, chunk_rows=2, unit="document")
    out = tmp_path / "out.jsonl"
    for n in (2, 5):
        with monkeypatch.context() as m:
            interrupt_after(m, n)
            with pytest.raises(KeyboardInterrupt):
                tag_file(src, out, model, chunk_rows=2, unit="document", workers=2, resume=True)
    s = tag_file(src, out, model, chunk_rows=2, unit="document", resume=True)
    assert out.read_text() == ref.read_text()
    got = pd.read_json(out, lines=True, dtype=False)
    assert got["id"].is_unique and len(got) == 30 and s.duplicate_ids == 26


# ------------------------------------------------------------------ an existing output: overwrite=True
OLD = b"a file the user wrote"


def test_tag_file_refuses_an_existing_output_before_any_work(tmp_path, model, corpus, monkeypatch):
    out = tmp_path / "out.parquet"
    out.write_bytes(OLD)
    tagged = count_tagged_chunks(monkeypatch)
    with pytest.raises(InputError, match="exists: choose another name, or pass --overwrite"):
        tag_file(corpus, out, model, chunk_rows=10)
    assert out.read_bytes() == OLD and tagged == [] and not checkpoint_dir(out).exists()


def test_tag_file_overwrite_replaces_an_existing_output(tmp_path, model, corpus):
    out = tmp_path / "out.jsonl"
    out.write_bytes(OLD)
    s = tag_file(corpus, out, model, chunk_rows=10, overwrite=True)
    assert len(pd.read_json(out, lines=True)) == s.output_rows > 0


def test_interrupted_overwrite_keeps_the_old_output_and_resume_needs_overwrite(
    tmp_path, model, corpus, monkeypatch
):
    """The old file is replaced only when the run finishes; resuming it needs overwrite again,
    checked before any work (nothing is tagged, the checkpoint is kept)."""
    ref = tmp_path / "ref.parquet"
    tag_file(corpus, ref, model, chunk_rows=4)
    out = tmp_path / "out.parquet"
    out.write_bytes(OLD)
    with monkeypatch.context() as m:
        interrupt_after(m, 6)
        with pytest.raises(KeyboardInterrupt):
            tag_file(corpus, out, model, chunk_rows=4, overwrite=True)
    assert out.read_bytes() == OLD and done_chunks(out) == 6
    tagged = count_tagged_chunks(monkeypatch)
    with pytest.raises(InputError, match="exists: choose another name"):
        tag_file(corpus, out, model, chunk_rows=4, resume=True)
    assert tagged == [] and out.read_bytes() == OLD and done_chunks(out) == 6
    s = tag_file(corpus, out, model, chunk_rows=4, resume=True, overwrite=True)
    assert sorted(tagged) == list(range(6, 15)) and s.resumed_chunks == 6
    assert pd.read_parquet(out).equals(pd.read_parquet(ref))


def test_an_output_that_appears_during_the_run_is_not_replaced(
    tmp_path, model, corpus, monkeypatch
):
    out = tmp_path / "out.jsonl"
    real = _checkpoint.Checkpoint.commit

    def commit(self, *a, **kw):
        if not out.exists():
            out.write_bytes(OLD)  # someone else saves a file under the name meanwhile
        return real(self, *a, **kw)

    with monkeypatch.context() as m:
        m.setattr(_checkpoint.Checkpoint, "commit", commit)
        with pytest.raises(InputError, match="appeared while this run was going"):
            tag_file(corpus, out, model, chunk_rows=10)
    assert out.read_bytes() == OLD and done_chunks(out) == 6
    assert not (tmp_path / "out.jsonl.rejects.jsonl").exists()
    tagged = count_tagged_chunks(monkeypatch)
    s = tag_file(corpus, out, model, chunk_rows=10, resume=True, overwrite=True)
    assert tagged == [] and len(pd.read_json(out, lines=True)) == s.output_rows


def test_assign_ids_with_a_tiny_suffix_cache_names_ids_the_same(tmp_path, monkeypatch):
    """The in-memory suffix shortcut is bounded; forgetting it never changes an id."""
    ids = [f"d{i % 7}" for i in range(60)] + ["d1#3", "d2"]
    meta = {"options": {"kind": "jsonl"}, "input": "x", "model": "m"}

    def run(out):
        ck = _checkpoint.Checkpoint.open(out, meta)
        try:
            return [i for k in range(0, len(ids), 9) for i in ck.assign_ids(k, ids[k : k + 9])[0]]
        finally:
            ck.close()

    full = run(tmp_path / "a.jsonl")
    monkeypatch.setattr(_checkpoint, "SUFFIX_CACHE", 2)
    small = run(tmp_path / "b.jsonl")
    assert small == full
    assert len(set(full)) == len(ids)
