"""Model directories on the Hugging Face Hub: ``hf://owner/name[@revision]`` and push.

``huggingface_hub`` is an optional extra (``pip install 'narratives[hub]'``), imported only here
and only when a hub model is asked for. A downloaded model is a folder of huggingface_hub's cache
(``HF_HUB_CACHE``, a ``snapshots/<commit>`` folder); it is loaded like any model directory, by
:func:`narratives.persistence.load_pipeline`, so the trusted-type check, the manifest hash and
the pipeline checks apply unchanged. ``HF_HUB_OFFLINE=1`` loads from that cache without the network.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

from .._exceptions import InputError, ModelNotFoundError
from .._version import __version__
from ._files import MANIFEST_FILE, PIPELINE_FILE

__all__ = ["HUB_FILES", "download_model", "is_hub_spec", "parse_hub_spec", "push_model"]

log = logging.getLogger(__name__)

#: The files of a model directory that are pushed and downloaded (nothing else is read).
CARD_FILE = "MODEL_CARD.md"
README_FILE = "README.md"
HUB_FILES = (MANIFEST_FILE, PIPELINE_FILE, CARD_FILE, README_FILE)
INSTALL_HINT = "pip install 'narratives[hub]'"

# "hf://owner/name" or "hf://owner/name@revision"; a pathlib.Path of it has one slash ("hf:/").
_SPEC = re.compile(r"^hf:/{1,2}(?P<repo>[A-Za-z0-9][\w.-]*/[\w.-]+)/?(?:@(?P<revision>\S+))?$")


def is_hub_spec(path: Any) -> bool:
    """Whether ``path`` names a hub model (``hf://...``, also as a ``Path``: ``hf:/...``)."""
    return str(path).startswith("hf:/")


def parse_hub_spec(spec: Any) -> tuple[str, str | None]:
    """``"hf://owner/name@v1"`` -> ``("owner/name", "v1")``."""
    m = _SPEC.match(str(spec))
    if m is None:
        raise InputError(
            f"{spec} is not a hub model name: use hf://owner/name or hf://owner/name@revision"
        )
    return m["repo"], m["revision"]


def _hub() -> Any:
    try:
        import huggingface_hub
    except ImportError:
        raise InputError(
            f"models on the Hugging Face Hub need the huggingface_hub package: {INSTALL_HINT}"
        ) from None
    return huggingface_hub


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text[:300]}" if text else type(exc).__name__


def download_model(spec: Any) -> Path:
    """The local folder of the hub model ``spec`` (downloaded into huggingface_hub's cache, or
    found there when offline). Raises :class:`ModelNotFoundError` when it cannot be had."""
    repo_id, revision = parse_hub_spec(spec)
    hub = _hub()
    try:
        folder = hub.snapshot_download(
            repo_id,
            repo_type="model",
            revision=revision,
            allow_patterns=list(HUB_FILES),
            library_name="narratives",
            library_version=__version__,
        )
    except Exception as exc:  # network, authentication, missing repo or revision, offline cache
        log.debug("snapshot_download(%s) failed", spec, exc_info=True)
        raise ModelNotFoundError(
            f"cannot get the model {spec} from the Hugging Face Hub ({_one_line(exc)})"
        ) from None
    return Path(folder)


def _readme(model_dir: Path, manifest: dict[str, Any], repo_id: str) -> str:
    """The hub's model card: metadata the hub indexes, how to load it, then MODEL_CARD.md."""
    name = manifest.get("name") or repo_id.split("/")[-1]
    card = model_dir / CARD_FILE
    body = card.read_text(encoding="utf-8", errors="replace") if card.is_file() else ""
    return (
        "---\n"
        "library_name: narratives\n"
        "tags:\n- narratives\n- text-classification\n- disinformation\n"
        "---\n\n"
        f"# {name}\n\n"
        "A narratives model directory "
        f"(narratives {manifest.get('library_versions', {}).get('narratives', '?')}).\n\n"
        "```python\nimport narratives\n\n"
        f'model = narratives.load("hf://{repo_id}")\n'
        'model.tag(["Text to tag."])\n```\n\n'
        f"or `narratives tag corpus.jsonl -o out.parquet --model hf://{repo_id}`.\n\n" + body
    )


def push_model(
    model_dir: str | Path,
    repo_id: str,
    *,
    revision: str | None = None,
    private: bool = False,
    commit_message: str | None = None,
) -> str:
    """Upload the model directory ``model_dir`` to the hub repository ``repo_id``; returns the
    commit's URL.

    The model is loaded first, with every check of a local load (a model that would not load is
    not pushed). The repository is created when missing (``private`` then applies); a
    ``revision`` names a branch, created from the default branch when missing. The manifest,
    the pipeline, ``MODEL_CARD.md`` and a ``README.md`` (the hub's card: ``library_name:
    narratives`` and how to load it, then MODEL_CARD.md; the folder's own when it has one) are
    committed. Authentication is huggingface_hub's: ``HF_TOKEN`` or ``hf auth login``.
    """
    model_dir = Path(model_dir)
    if not re.fullmatch(r"[A-Za-z0-9][\w.-]*/[\w.-]+", repo_id or ""):
        raise InputError(f"{repo_id!r} is not a hub repository name: use owner/name")
    from ._persist import load_pipeline  # scikit-learn only when pushing, not to download

    _pipeline, manifest = load_pipeline(model_dir)
    hub = _hub()
    readme = model_dir / README_FILE
    operations = [
        hub.CommitOperationAdd(path_in_repo=name, path_or_fileobj=str(model_dir / name))
        for name in (MANIFEST_FILE, PIPELINE_FILE, CARD_FILE, README_FILE)
        if (model_dir / name).is_file()
    ]
    if not readme.is_file():
        text = _readme(model_dir, manifest, repo_id)
        operations.append(
            hub.CommitOperationAdd(path_in_repo=README_FILE, path_or_fileobj=text.encode("utf-8"))
        )
    api = hub.HfApi(library_name="narratives", library_version=__version__)
    try:
        api.create_repo(repo_id, repo_type="model", private=private, exist_ok=True)
        if revision:
            api.create_branch(repo_id, branch=revision, repo_type="model", exist_ok=True)
        info = api.create_commit(
            repo_id,
            operations=operations,
            commit_message=commit_message
            or f"narratives model {manifest.get('name') or ''}".strip(),
            repo_type="model",
            revision=revision,
        )
    except Exception as exc:  # network, authentication, permissions
        log.debug("pushing %s to %s failed", model_dir, repo_id, exc_info=True)
        raise InputError(f"cannot push {model_dir} to {repo_id} ({_one_line(exc)})") from None
    return str(getattr(info, "commit_url", None) or f"https://huggingface.co/{repo_id}")
