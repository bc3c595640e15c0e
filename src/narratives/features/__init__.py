"""Feature extraction stage."""

from ._features import NarrativeFeatures

__all__ = ["NarrativeFeatures"]
