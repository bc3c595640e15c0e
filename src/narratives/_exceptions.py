"""Named exceptions. User-facing errors carry a one-line message; the CLI prints it without a traceback."""

from __future__ import annotations


class NarrativesError(Exception):
    """Base class for every error raised on purpose by narratives."""

    exit_code: int = 2


class InputError(NarrativesError, ValueError):
    """Bad user input: missing file or column, unreadable format, empty data."""

    exit_code = 2


class TaxonomyError(InputError):
    """A taxonomy file is missing, malformed or inconsistent."""


class ModelError(NarrativesError):
    """A model directory cannot be used."""

    exit_code = 3


class ModelNotFoundError(ModelError, FileNotFoundError):
    """The model directory or one of its files does not exist."""


class ModelVersionError(ModelError):
    """The model was written by an incompatible version of narratives or its dependencies."""


class ModelIntegrityError(ModelError):
    """The model files do not match the hashes in the manifest, or cannot be parsed."""


class UntrustedModelError(ModelError):
    """The serialized pipeline references types that are not on the trusted list."""
