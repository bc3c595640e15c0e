"""Model stage: the two-level classifier and the full pipeline."""

from ._classifier import STANCES, NarrativeClassifier
from ._pipeline import NarrativePipeline, make_pipeline

__all__ = ["STANCES", "NarrativeClassifier", "NarrativePipeline", "make_pipeline"]
