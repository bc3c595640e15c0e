"""``narratives push``: share a model directory on the Hugging Face Hub.

Loading a shared model needs no command: ``--model hf://owner/name[@revision]`` anywhere a model
is taken (see :func:`narratives.load`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from ._common import is_quiet, out


def push(
    model_dir: Annotated[
        Path, typer.Argument(help="Model directory to share (written by narratives train).")
    ],
    repo_id: Annotated[
        str, typer.Argument(help="Hub repository, owner/name (created if missing).")
    ],
    revision: Annotated[
        str | None,
        typer.Option("--revision", help="Branch to commit to (created if missing; default: main)."),
    ] = None,
    private: Annotated[
        bool, typer.Option("--private", help="Create the repository private.")
    ] = False,
    message: Annotated[str | None, typer.Option("--message", "-m", help="Commit message.")] = None,
) -> None:
    """Upload a model to the Hugging Face Hub; load it with --model hf://owner/name.

    Needs pip install 'narratives[hub]' and a token (HF_TOKEN or hf auth login). The model is
    checked as a load would check it before anything is sent.
    """
    from ..persistence import push_model

    url = push_model(model_dir, repo_id, revision=revision, private=private, commit_message=message)
    if not is_quiet():
        spec = f"hf://{repo_id}" + (f"@{revision}" if revision else "")
        out.print(f"pushed {escape(str(model_dir))} to {escape(url)}", highlight=False)
        out.print(f"load it with --model {escape(spec)}", highlight=False)
