"""The ``narratives`` command line: each command parses options and calls one library function.

Commands live in one module per group (``_train``, ``_tag``, ``_evaluate``, ``_inspect``,
``_validate``, ``_hub``); this module registers them in the order ``narratives --help`` lists them and maps
errors to exit codes.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.markup import escape

from .._exceptions import NarrativesError
from .._version import __version__
from ._common import (
    EXIT_INPUT,
    EXIT_INTERNAL,
    EXIT_MODEL,
    EXIT_OK,
    EXIT_REJECTS,
    ModelOpt,
    NarrativesGroup,
    Unit,
    _model,
    app,
    err,
    out,
)
from ._evaluate import evaluate
from ._hub import push
from ._inspect import explain, info
from ._tag import summarize, tag
from ._train import train

__all__ = [  # the names cli/__init__ uses
    "EXIT_INPUT",
    "EXIT_INTERNAL",
    "EXIT_MODEL",
    "EXIT_OK",
    "EXIT_REJECTS",
    "ModelOpt",
    "Unit",
    "_model",
    "app",
    "main",
    "out",
]

for _command in (train, tag, summarize, evaluate, explain, info, push):
    app.command()(_command)


def _show_version(value: bool) -> None:
    if value:
        out.print(f"narratives {__version__}", highlight=False)
        raise typer.Exit()


def _version_option():
    """``--version`` as the installed typer builds it, from a one-option probe app: typer makes
    its own option classes (vendored click in recent versions), so the option is not built by hand.
    It is not passed to the app's callback (``expose_value``): the callback stays in ``_common``."""
    probe = typer.Typer(add_completion=False)

    @probe.callback()
    def _probe(
        version: Annotated[
            bool,
            typer.Option(
                "--version",
                is_eager=True,
                callback=_show_version,
                help="Print the version and exit.",
            ),
        ] = False,
    ) -> None: ...

    (option,) = typer.main.get_command(probe).params
    option.expose_value = False
    return option


class _AppGroup(NarrativesGroup):
    """The app's command group (``_common.NarrativesGroup``) plus ``--version``."""

    def __init__(self, **attrs) -> None:
        super().__init__(**attrs)
        self.params.append(_version_option())


app.info.cls = _AppGroup


def _click_exception_types() -> tuple[type[BaseException], ...]:
    """Click's exception base class, from typer's vendored copy and/or click itself."""
    import importlib

    found = []
    for mod in ("typer._click.exceptions", "click.exceptions"):
        try:
            found.append(importlib.import_module(mod).ClickException)
        except (ImportError, AttributeError):
            continue
    return tuple(found)


def _usage_error_line(exc: BaseException) -> str:
    msg = " ".join(exc.format_message().split())  # type: ignore[attr-defined]
    ctx = getattr(exc, "ctx", None)
    hint = f" (see '{ctx.command_path} --help')" if ctx is not None else ""
    return f"{msg}{hint}"


def main(argv: list[str] | None = None) -> int:
    """Entry point: user errors print one line and exit with their code; so do bugs (exit 70),
    with the path of a log file holding the traceback.

    Exit codes: 0 ok, 1 ok with rejected rows, 2 usage or input error (including unreadable or
    unwritable files), 3 model error, 70 internal error (a bug), 130 interrupted.
    """
    try:
        rv = app(args=argv, standalone_mode=False)
        if isinstance(rv, int):  # click returns typer.Exit codes in non-standalone mode
            if rv == 130:  # typer turns KeyboardInterrupt into Exit(130), silently
                err.print("interrupted", highlight=False)
            return rv
    except NarrativesError as exc:
        err.print(f"[red]error:[/] {escape(_one_line(exc))}", highlight=False)
        return exc.exit_code
    except typer.Exit as exc:
        return exc.exit_code
    except SystemExit as exc:  # typer's --install-completion / --show-completion end this way
        return (
            exc.code if isinstance(exc.code, int) else EXIT_OK if exc.code is None else EXIT_INPUT
        )
    except (KeyboardInterrupt, typer.Abort):
        err.print("interrupted", highlight=False)
        return 130
    except OSError as exc:  # the environment, not a bug: disk full, permission denied, ...
        where = f": {exc.filename}" if getattr(exc, "filename", None) else ""
        err.print(
            f"[red]error:[/] {escape(exc.strerror or type(exc).__name__)}{escape(where)}",
            highlight=False,
        )
        return EXIT_INPUT
    except Exception as exc:
        if isinstance(exc, _click_exception_types()):
            if getattr(exc, "exit_code", 1) == 0:
                return EXIT_OK
            if exc.format_message().strip():  # empty for "no arguments: help was shown"
                err.print(f"[red]error:[/] {escape(_usage_error_line(exc))}", highlight=False)
            return EXIT_INPUT
        return _internal_error(exc)
    return EXIT_OK


def _internal_error(exc: BaseException) -> int:
    """A bug: one line naming the error and a log file holding the traceback; exit 70.

    The log goes to ``$NARRATIVES_LOG_DIR`` (default: the temporary folder). When it cannot be
    written, the traceback goes to stderr instead: it is never lost.
    """
    import os
    import tempfile
    import traceback

    text = "".join(traceback.format_exception(exc))
    folder = os.environ.get("NARRATIVES_LOG_DIR") or tempfile.gettempdir()
    try:
        fd, log_path = tempfile.mkstemp(prefix="narratives-error-", suffix=".log", dir=folder)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(f"narratives {' '.join(sys.argv[1:])}\n\n{text}")
        where = f"the traceback is in {log_path}"
    except OSError:
        sys.stderr.write(text)
        where = "the traceback is above"
    err.print(
        f"[red]error:[/] internal error ({escape(type(exc).__name__)}: "
        f"{escape(_one_line(exc)[:200])}); {escape(where)}; please report it",
        highlight=False,
    )
    return EXIT_INTERNAL


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


if __name__ == "__main__":
    sys.exit(main())
