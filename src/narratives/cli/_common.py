"""What every command shares: the typer app, the consoles, exit codes, option types, model loading."""

from __future__ import annotations

import logging
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

app = typer.Typer(
    name="narratives",
    help="Tag text with disinformation narrative frames; train and evaluate your own models.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)

#: Exit codes (documented in README).
EXIT_OK, EXIT_REJECTS, EXIT_INPUT, EXIT_MODEL, EXIT_INTERNAL = 0, 1, 2, 3, 70


class Unit(StrEnum):
    passage = "passage"
    document = "document"


class Engine(StrEnum):
    local = "local"
    dask = "dask"


class InFormat(StrEnum):
    auto = "auto"
    jsonl = "jsonl"
    csv = "csv"
    parquet = "parquet"
    txt = "txt"
    semeval = "semeval"
    labelstudio = "labelstudio"
    prodigy = "prodigy"
    doccano = "doccano"


ModelOpt = Annotated[
    Path | None,
    typer.Option("--model", "-m", help="Model directory (default: the embedded default model)."),
]
FormatOpt = Annotated[
    InFormat, typer.Option("--format", "-f", help="Input format; auto guesses from the path.")
]
TextCol = Annotated[str, typer.Option("--text-column", help="Column holding the text.")]
IdCol = Annotated[
    str | None,
    typer.Option(
        "--id-column", help="Column holding the id (default: 'id' if present, else the row number)."
    ),
]


def _model(path: Path | None):
    from .. import load

    return load(path)


def _setup_logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )


@app.callback()
def _main(
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Log progress to stderr.")
    ] = False,
) -> None:
    _setup_logging(verbose)
