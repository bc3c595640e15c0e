"""narratives tag / summarize through the CLI: progress lines, summary, resume hint, demo."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pandas as pd

from narratives.cli._app import main

ROOT = Path(__file__).resolve().parents[2]


def test_progress_lines_when_not_a_terminal(tmp_path, tiny_model_dir, corpus, capsys):
    out = tmp_path / "o.parquet"
    code = main(
        [
            "tag",
            str(corpus),
            "-o",
            str(out),
            "--model",
            str(tiny_model_dir),
            "--chunk-rows",
            "10",
            "--progress-every",
            "0",
        ]
    )
    cap = capsys.readouterr()
    assert code == 0
    lines = [ln for ln in cap.err.splitlines() if ln.startswith("tagged ")]
    assert len(lines) >= 3, cap.err
    assert (
        re.search(
            r"tagged 60/60 rows \(100\.0%\) \| [\d,]+ rows/s, [\d,]+ words/s \| elapsed \S+ \| ETA 0s",
            lines[-1],
        )
        or "60 rows" in lines[-1]
    )
    assert (
        "input rows 60, tagged 60, rejected 0, duplicate ids 0" in cap.out and "rows/s" in cap.out
    )


def test_no_progress_lines_for_short_runs_by_default(tmp_path, tiny_model_dir, corpus, capsys):
    assert (
        main(
            [
                "tag",
                str(corpus),
                "-o",
                str(tmp_path / "o.jsonl"),
                "--model",
                str(tiny_model_dir),
                "--workers",
                "2",
            ]
        )
        == 0
    )
    cap = capsys.readouterr()
    assert cap.err == "" and "2 workers" in cap.out


def test_ctrl_c_prints_the_resume_hint(tmp_path, tiny_model_dir, corpus, capsys, monkeypatch):
    from narratives.engine import _checkpoint

    real = _checkpoint.Checkpoint.commit

    def commit(self, *a, **kw):
        real(self, *a, **kw)
        raise KeyboardInterrupt

    monkeypatch.setattr(_checkpoint.Checkpoint, "commit", commit)
    out = tmp_path / "o.jsonl"
    code = main(
        ["tag", str(corpus), "-o", str(out), "--model", str(tiny_model_dir), "--chunk-rows", "10"]
    )
    cap = capsys.readouterr()
    assert code == 130 and cap.err.strip() == "interrupted"
    assert "--resume" in cap.out and "o.jsonl.partial" in cap.out


def test_demo_commands(tmp_path, tiny_model_dir, capsys, monkeypatch):
    """What ``make demo`` runs, with the tiny model and a copy of the sample corpus."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "data" / "sample").mkdir(parents=True)
    shutil.copy(ROOT / "data" / "sample" / "sample_corpus.jsonl", tmp_path / "data" / "sample")
    (tmp_path / "demo-output").mkdir()
    m = ["--model", str(tiny_model_dir)]
    assert (
        main(
            [
                "tag",
                "data/sample/sample_corpus.jsonl",
                "-o",
                "demo-output/sample_tags.parquet",
                "--unit",
                "passage",
                *m,
            ]
        )
        == 0
    )
    assert main(["summarize", "demo-output/sample_tags.parquet"]) == 0  # make demo
    assert main(["summarize", "demo-output/sample_tags.parquet", "--by", "frames"]) == 0
    out = capsys.readouterr().out
    assert "share of documents with each label" in out and "promotes" in out
    assert (
        main(
            [
                "summarize",
                "demo-output/sample_tags.parquet",
                "--by",
                "outlet,date:month",
                "-o",
                "t.csv",
            ]
        )
        == 0
    )
    table = pd.read_csv("t.csv")
    assert list(table.columns[:3]) == ["outlet", "date:month", "frame"] and {
        "all",
        "n",
        "total",
    } <= set(table.columns)
    assert (
        main(
            [
                "summarize",
                "demo-output/sample_tags.parquet",
                "--by",
                "countries",
                "--unit",
                "passage",
                "-o",
                "t.md",
            ]
        )
        == 0
    )
    assert Path("t.md").read_text().startswith("| countries | frame | all |")
    assert main(["summarize", "demo-output/sample_tags.parquet", "--by", "nope"]) == 2
    assert "'nope' not found" in capsys.readouterr().err


def test_rich_bar_on_a_terminal(tmp_path, model, corpus):
    import io

    from rich.console import Console

    from narratives.engine import RichProgress, tag_file

    buf = io.StringIO()
    tag_file(
        corpus,
        tmp_path / "o.jsonl",
        model,
        chunk_rows=10,
        progress=RichProgress(Console(file=buf, force_terminal=True, width=120)),
    )
    text = buf.getvalue()
    assert "60/60" in text and "rows/s" in text and "ETA" in text


def test_heap_frozen_while_tagging_and_unfrozen_after(
    tmp_path, tiny_model_dir, corpus, monkeypatch
):
    """The command keeps what exists before tagging out of the garbage collector's passes while
    it tags (gc.freeze), and gives it back afterwards, also when tagging fails."""
    import gc

    import narratives.engine

    seen = []
    real = narratives.engine.tag_file

    def spy(*args, **kwargs):
        seen.append(gc.get_freeze_count())
        return real(*args, **kwargs)

    monkeypatch.setattr(narratives.engine, "tag_file", spy)
    before = gc.get_freeze_count()
    out = tmp_path / "o.jsonl"
    assert main(["tag", str(corpus), "-o", str(out), "--model", str(tiny_model_dir)]) == 0
    assert seen and seen[0] > before
    assert gc.get_freeze_count() == before

    def fail(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(narratives.engine, "tag_file", fail)
    main(["tag", str(corpus), "-o", str(tmp_path / "p.jsonl"), "--model", str(tiny_model_dir)])
    assert gc.get_freeze_count() == before
