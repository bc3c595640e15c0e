"""Command-line interface (thin layer over the library)."""

import sys

from ._app import EXIT_INPUT, EXIT_INTERNAL, EXIT_MODEL, EXIT_OK, EXIT_REJECTS, app
from ._app import main as _main

__all__ = ["EXIT_INPUT", "EXIT_INTERNAL", "EXIT_MODEL", "EXIT_OK", "EXIT_REJECTS", "app", "main"]


def main() -> None:
    sys.exit(_main())
