"""narratives push (the hub is not reachable here: huggingface_hub's HfApi is replaced by a fake)."""

from __future__ import annotations

import sys

import pytest

from narratives.cli._app import main


def test_push_prints_where_and_how_to_load(monkeypatch, tiny_model_dir, capsys):
    hf = pytest.importorskip("huggingface_hub")
    sent = {}

    class Api:
        def __init__(self, **kw): ...

        def create_repo(self, repo_id, **kw):
            sent["private"] = kw["private"]

        def create_branch(self, repo_id, **kw):
            sent["branch"] = kw["branch"]

        def create_commit(self, repo_id, operations, **kw):
            sent["files"] = sorted(op.path_in_repo for op in operations)
            sent["message"] = kw["commit_message"]

            class Info:
                commit_url = f"https://huggingface.co/{repo_id}/commit/abc"

            return Info()

    monkeypatch.setattr(hf, "HfApi", Api)
    args = ["push", str(tiny_model_dir), "owner/tiny", "--revision", "v2", "--private"]
    assert main([*args, "-m", "tiny model"]) == 0
    out = capsys.readouterr().out
    assert "pushed" in out and "https://huggingface.co/owner/tiny/commit/abc" in out
    assert "--model hf://owner/tiny@v2" in out
    assert sent == {
        "private": True,
        "branch": "v2",
        "files": ["MODEL_CARD.md", "README.md", "manifest.json", "pipeline.skops"],
        "message": "tiny model",
    }


def test_push_without_the_extra(monkeypatch, tiny_model_dir, capsys):
    monkeypatch.setitem(sys.modules, "huggingface_hub", None)
    assert main(["push", str(tiny_model_dir), "owner/tiny"]) == 2
    err = capsys.readouterr().err
    assert "pip install 'narratives[hub]'" in err and "Traceback" not in err


def test_model_option_without_the_extra(monkeypatch, tmp_path, capsys):
    monkeypatch.setitem(sys.modules, "huggingface_hub", None)
    src = tmp_path / "in.jsonl"
    src.write_text('{"text": "x"}\n')
    code = main(["tag", str(src), "-o", str(tmp_path / "o.jsonl"), "--model", "hf://owner/x"])
    err = capsys.readouterr().err
    assert code == 2 and "pip install 'narratives[hub]'" in err
