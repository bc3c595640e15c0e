"""Helpers for the reliability tests: run the real ``narratives`` command in a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def cli_command() -> list[str]:
    """The installed console script when there is one, else ``python -m narratives.cli``."""
    script = Path(sys.executable).with_name("narratives")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "narratives.cli"]


def cli_env(**extra: str) -> dict[str, str]:
    return {**os.environ, "COLUMNS": "200", "NO_COLOR": "1", "PYTHONUNBUFFERED": "1", **extra}


def run_cli(
    *argv, timeout: float = 120, cwd: Path | None = None, **kw
) -> subprocess.CompletedProcess:
    env = kw.pop("env", None) or cli_env()
    return subprocess.run(
        [*cli_command(), *map(str, argv)],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=cwd,
        env=env,
        check=False,
        **kw,
    )


def write_jsonl(path: Path, rows) -> Path:
    with open(path, "w", encoding="utf-8") as fh:
        for r in rows:
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")
    return path
