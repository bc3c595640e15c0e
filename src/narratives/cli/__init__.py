"""Command-line interface (thin layer over the library)."""

import logging
import os
import sys

from . import _validate  # noqa: F401  (registers sample, export, validate)
from ._app import EXIT_INPUT, EXIT_INTERNAL, EXIT_MODEL, EXIT_OK, EXIT_REJECTS, app
from ._app import main as _main

__all__ = ["EXIT_INPUT", "EXIT_INTERNAL", "EXIT_MODEL", "EXIT_OK", "EXIT_REJECTS", "app", "main"]


def main() -> None:
    """The ``narratives`` console command.

    Every command has finished its work when :func:`_main` returns (outputs written and moved
    into place, worker processes and clusters shut down), so the process ends right there with
    ``os._exit``: the interpreter's own teardown of a tagging run's heap (model, spaCy
    vocabulary, caches) is a noticeable pause that only frees memory the operating system
    reclaims anyway.
    A bug exits 70 with one line naming the log file that holds its traceback.
    """
    code = _main()
    try:
        sys.stdout.flush()
        sys.stderr.flush()
        logging.shutdown()
    finally:
        os._exit(code)
