"""What every command shares: the typer app, the consoles, exit codes, option types, model loading."""

from __future__ import annotations

import logging
import sys
import warnings
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from typer.core import TyperGroup

#: Options of the app (before the command) that are also accepted after it.
GLOBAL_FLAGS = ("-v", "--verbose", "-q", "--quiet")

#: Commands whose product is a file: with --quiet they print nothing but errors. The others
#: (explain, info, summarize) still print what they were asked for.
FILE_COMMANDS = ("train", "tag", "evaluate", "sample", "export", "validate")


def hoist_global_flags(args: list[str], commands) -> list[str]:
    """``args`` with the app's flags (``-v``, ``-q`` ...) that follow the command moved before it,
    where click parses them: ``narratives tag in.jsonl -o out.jsonl -v`` logs like ``narratives -v
    tag ...``. Nothing after ``--`` moves."""
    first = next((k for k, a in enumerate(args) if a in commands), None)
    if first is None:
        return list(args)
    end = args.index("--", first) if "--" in args[first:] else len(args)
    moved = [a for a in args[first + 1 : end] if a in GLOBAL_FLAGS]
    if not moved:
        return list(args)
    rest = [a for a in args[first + 1 : end] if a not in GLOBAL_FLAGS]
    return [*args[:first], *moved, args[first], *rest, *args[end:]]


class NarrativesGroup(TyperGroup):
    """The app's group: ``-v``/``-q`` after the command too, and each run's logging, warnings and
    --quiet console state undone when it ends (tests and notebooks call the app repeatedly)."""

    def parse_args(self, ctx, args: list[str]) -> list[str]:
        return super().parse_args(ctx, hoist_global_flags(args, self.commands))

    def invoke(self, ctx):
        with warnings.catch_warnings():
            if ctx.params.get("quiet"):
                warnings.simplefilter("ignore")
            try:
                return super().invoke(ctx)
            finally:
                out.quiet = _run_state["quiet"] = False
                logging.getLogger("narratives").setLevel(logging.NOTSET)


app = typer.Typer(
    name="narratives",
    help="Tag text with disinformation narrative frames; train and evaluate your own models.",
    cls=NarrativesGroup,
    no_args_is_help=True,
    add_completion=True,
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
    telegram = "telegram"
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


OverwriteOpt = Annotated[bool, typer.Option("--overwrite", help="Replace an existing output file.")]


def guard_new_model(path: Path, overwrite: bool) -> None:
    """Before training: an existing model folder (or any non-empty folder or file) at ``path`` is
    replaced only with ``overwrite``; an empty folder is fine (nothing is lost)."""
    from .._exceptions import InputError
    from ..persistence import check_model_path

    if path.is_symlink():  # saving renames a folder into place: a link would be replaced
        raise InputError(f"{path} is a symbolic link: give the model folder's own path")
    check_model_path(path)  # never a folder that is not a model, even with --overwrite
    taken = path.is_file() or (path.is_dir() and any(path.iterdir()))
    if taken and not overwrite:
        raise InputError(f"{path} exists: choose another name, or pass --overwrite to replace it")


def guard_new_output(path: Path, overwrite: bool, inputs: tuple[Path, ...] = ()) -> None:
    """Before any work: ``path`` can be written, is none of ``inputs``, and is refused when it
    exists unless ``overwrite`` (``tag``, ``summarize``, ``sample`` and ``export`` share it)."""
    from .._exceptions import InputError
    from ..io import check_new_output, check_output_path

    check_output_path(path)
    for i in inputs:
        if path.exists() and i.exists() and path.resolve() == i.resolve():
            raise InputError(f"the output {path} is an input: choose another file")
    check_new_output(path, overwrite)


def _model(path: Path | None):
    from .. import load

    return load(path)


def _setup_logging(verbose: bool, quiet: bool = False) -> None:
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    level = logging.INFO if verbose else logging.ERROR if quiet else logging.NOTSET
    logging.getLogger("narratives").setLevel(level)  # basicConfig acts only once per process


def is_quiet() -> bool:
    """Whether this run was asked for --quiet (no progress, no summaries: errors only)."""
    return _run_state["quiet"]


#: Settings of the run in progress (set by the app's callback, reset when the run ends).
_run_state = {"quiet": False}


@app.callback()
def _main(
    ctx: typer.Context,
    verbose: Annotated[
        bool,
        typer.Option("--verbose", "-v", help="Log progress to stderr (also after the command)."),
    ] = False,
    quiet: Annotated[
        bool,
        typer.Option(
            "--quiet",
            "-q",
            help="No progress and no summaries: only errors (also after the command). "
            "explain, info and summarize still print their answer.",
        ),
    ] = False,
) -> None:
    if verbose and quiet:
        raise typer.BadParameter("--verbose and --quiet cannot be combined", param_hint="'-q'")
    _setup_logging(verbose, quiet)
    _run_state["quiet"] = quiet
    out.quiet = quiet and ctx.invoked_subcommand in FILE_COMMANDS
