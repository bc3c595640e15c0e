"""Versioned, registered building blocks (``narratives.TfidfFeatures.v1``...).

A registered name never changes behaviour: a changed block is registered as ``.v2``.
"""

from __future__ import annotations

import catalogue


class registry:
    architectures = catalogue.create("narratives", "architectures", entry_points=False)


__all__ = ["registry"]
