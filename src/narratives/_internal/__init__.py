"""Helpers shared by several layers (no imports from the rest of the package but
:mod:`narratives._exceptions`). Private: the public names live in the subpackages that use them."""
