"""Models on the Hugging Face Hub: hf:// specs, loading from huggingface_hub's cache, push.

The hub cannot be reached from the test machines: loading is tested against huggingface_hub's own
cache layout (``models--owner--name/{blobs,refs,snapshots}``) in offline mode, pushing against a
fake ``HfApi`` that records what would be sent.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import ClassVar

import pytest

import narratives
from _modelfiles import rehash
from narratives import InputError, ModelIntegrityError, ModelNotFoundError, UntrustedModelError
from narratives.persistence import parse_hub_spec, push_model

COMMIT = "0123456789abcdef0123456789abcdef01234567"


def test_specs():
    assert parse_hub_spec("hf://owner/name") == ("owner/name", None)
    assert parse_hub_spec("hf://owner/my.model-v2@v1.0") == ("owner/my.model-v2", "v1.0")
    assert parse_hub_spec(Path("hf://owner/name@" + COMMIT)) == ("owner/name", COMMIT)  # hf:/...
    for bad in ("hf://name", "hf://owner/name/extra", "hf://", "hf://owner/na me"):
        with pytest.raises(InputError, match="hf://owner/name"):
            parse_hub_spec(bad)


def test_without_the_extra_a_one_line_install_hint(monkeypatch):
    monkeypatch.setitem(sys.modules, "huggingface_hub", None)  # import fails as if absent
    with pytest.raises(InputError, match=r"pip install 'narratives\[hub\]'") as exc:
        narratives.load("hf://owner/name")
    assert "\n" not in str(exc.value)


# ----------------------------------------------------------------- with huggingface_hub installed
def cache_model(cache: Path, repo_id: str, model_dir: Path, ref: str = "main") -> Path:
    """Lay ``model_dir`` out as huggingface_hub's cache does after a download: content-addressed
    blobs, a snapshot folder of links to them, and the ref naming the snapshot's commit."""
    repo = cache / ("models--" + repo_id.replace("/", "--"))
    snap = repo / "snapshots" / COMMIT
    (repo / "blobs").mkdir(parents=True, exist_ok=True)
    snap.mkdir(parents=True, exist_ok=True)
    for f in model_dir.iterdir():
        digest = hashlib.sha256(f.read_bytes()).hexdigest()
        shutil.copyfile(f, repo / "blobs" / digest)
        (snap / f.name).unlink(missing_ok=True)
        (snap / f.name).symlink_to(Path("..", "..", "blobs", digest))
    (repo / "refs").mkdir(exist_ok=True)
    (repo / "refs" / ref).write_text(COMMIT)
    return snap


@pytest.fixture
def hub(monkeypatch, tmp_path):
    """huggingface_hub offline, its cache in ``tmp_path / "hub"``."""
    pytest.importorskip("huggingface_hub")
    from huggingface_hub import constants

    cache = tmp_path / "hub"
    cache.mkdir()
    monkeypatch.setenv("HF_HUB_CACHE", str(cache))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(cache))
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    return cache


def test_load_from_the_cache(hub, tiny_model_dir, tiny_df):
    snap = cache_model(hub, "owner/tiny", tiny_model_dir, ref="v1")
    cache_model(hub, "owner/tiny", tiny_model_dir)
    model = narratives.load("hf://owner/tiny")
    assert Path(model.path) == snap and model.manifest["files"]
    local = narratives.load(tiny_model_dir)
    texts = tiny_df["text"].tolist()
    assert model.tag(texts).equals(local.tag(texts))
    for spec in ("hf://owner/tiny@v1", f"hf://owner/tiny@{COMMIT}", Path("hf://owner/tiny")):
        assert Path(narratives.load(spec).path) == snap


def test_not_in_the_cache_offline(hub):
    with pytest.raises(ModelNotFoundError, match="cannot get the model hf://owner/missing") as exc:
        narratives.load("hf://owner/missing")
    assert "\n" not in str(exc.value)
    with pytest.raises(ModelNotFoundError):
        narratives.load("hf://owner/missing@nobranch")


def test_the_safe_loader_checks_hub_models(hub, tiny_model_dir, tmp_path):
    import skops.io as sio
    from sklearn.preprocessing import FunctionTransformer

    bad = tmp_path / "bad"
    shutil.copytree(tiny_model_dir, bad)
    sio.dump(FunctionTransformer(func=len), bad / "pipeline.skops")
    cache_model(hub, "owner/tampered", bad)  # the manifest hash no longer matches
    with pytest.raises(ModelIntegrityError, match="manifest hash"):
        narratives.load("hf://owner/tampered")
    rehash(bad)
    cache_model(hub, "owner/untrusted", bad)
    with pytest.raises(UntrustedModelError, match="trusted list"):
        narratives.load("hf://owner/untrusted")


def test_cli_tags_with_a_hub_model_offline(hub, tiny_model_dir, tmp_path):
    """As a user would: HF_HUB_CACHE and HF_HUB_OFFLINE in the environment, --model hf://..."""
    cache_model(hub, "owner/tiny", tiny_model_dir)
    src = tmp_path / "in.jsonl"
    src.write_text('{"id": "a", "text": "Kazakhstan is an artificial state."}\n')
    out = tmp_path / "out.jsonl"
    env = {**os.environ, "HF_HUB_CACHE": str(hub), "HF_HUB_OFFLINE": "1"}
    cmd = [sys.executable, "-m", "narratives.cli", "tag", str(src), "-o", str(out)]
    run = subprocess.run(
        [*cmd, "--model", "hf://owner/tiny"], env=env, capture_output=True, text=True, timeout=300
    )
    assert run.returncode == 0, run.stderr
    assert out.read_text().count("\n") >= 1


# ----------------------------------------------------------------- push, against a fake HfApi
class FakeApi:
    calls: ClassVar[list] = []

    def __init__(self, **kw):
        FakeApi.calls.append(("init", kw))

    def create_repo(self, repo_id, **kw):
        FakeApi.calls.append(("create_repo", repo_id, kw))

    def create_branch(self, repo_id, **kw):
        FakeApi.calls.append(("create_branch", repo_id, kw))

    def create_commit(self, repo_id, operations, **kw):
        files = {}
        for op in operations:
            src = op.path_or_fileobj
            files[op.path_in_repo] = src if isinstance(src, bytes) else Path(src).read_bytes()
        FakeApi.calls.append(("create_commit", repo_id, files, kw))

        class Info:
            commit_url = f"https://huggingface.co/{repo_id}/commit/{COMMIT}"

        return Info()


@pytest.fixture
def fake_api(monkeypatch):
    hf = pytest.importorskip("huggingface_hub")
    FakeApi.calls = []
    monkeypatch.setattr(hf, "HfApi", FakeApi)
    return FakeApi


def test_push_sends_the_model_and_a_card(fake_api, tiny_model_dir, hub, tmp_path):
    url = push_model(tiny_model_dir, "owner/tiny", private=True, commit_message="first")
    assert url.endswith(f"/owner/tiny/commit/{COMMIT}")
    names = [c[0] for c in fake_api.calls]
    assert names == ["init", "create_repo", "create_commit"]
    _, repo, kw = fake_api.calls[1]
    assert repo == "owner/tiny" and kw["private"] is True and kw["exist_ok"] is True
    _, _, files, kw = fake_api.calls[2]
    assert kw["commit_message"] == "first" and kw["revision"] is None
    assert set(files) == {"manifest.json", "pipeline.skops", "MODEL_CARD.md", "README.md"}
    assert files["pipeline.skops"] == (tiny_model_dir / "pipeline.skops").read_bytes()
    readme = files["README.md"].decode()
    assert readme.startswith("---\nlibrary_name: narratives\n")
    assert 'narratives.load("hf://owner/tiny")' in readme
    # what was pushed loads back through the cache, as a download would lay it out
    pushed = tmp_path / "pushed"
    pushed.mkdir()
    for name, data in files.items():
        (pushed / name).write_bytes(data)
    cache_model(hub, "owner/tiny", pushed)
    assert narratives.load("hf://owner/tiny").manifest == narratives.load(tiny_model_dir).manifest


def test_push_to_a_branch(fake_api, tiny_model_dir):
    push_model(tiny_model_dir, "owner/tiny", revision="v2")
    branch = next(c for c in fake_api.calls if c[0] == "create_branch")
    assert branch[1] == "owner/tiny" and branch[2]["branch"] == "v2"
    assert next(c for c in fake_api.calls if c[0] == "create_commit")[3]["revision"] == "v2"


def test_push_checks_before_sending(fake_api, tiny_model_dir, tmp_path):
    with pytest.raises(InputError, match="owner/name"):
        push_model(tiny_model_dir, "no-owner")
    broken = tmp_path / "broken"
    shutil.copytree(tiny_model_dir, broken)
    (broken / "pipeline.skops").write_bytes(b"junk")
    with pytest.raises(ModelIntegrityError):
        push_model(broken, "owner/x")
    with pytest.raises(ModelNotFoundError):
        push_model(tmp_path / "nothing", "owner/x")
    assert fake_api.calls == []  # nothing was sent


def test_push_errors_are_one_line(monkeypatch, tiny_model_dir, fake_api):
    def refuse(self, repo_id, **kw):
        raise PermissionError("401 Unauthorized\nInvalid token")

    monkeypatch.setattr(FakeApi, "create_repo", refuse)
    with pytest.raises(InputError, match=r"cannot push .* to owner/x \(PermissionError: 401") as e:
        push_model(tiny_model_dir, "owner/x")
    assert "\n" not in str(e.value)
