"""Model stage: the two-level classifier and the full pipeline."""

from ._classifier import STANCES, NarrativeClassifier
from ._decision import Decision
from ._pipeline import NarrativePipeline, make_pipeline
from ._train import fit_pipeline

__all__ = [
    "STANCES",
    "Decision",
    "NarrativeClassifier",
    "NarrativePipeline",
    "fit_pipeline",
    "make_pipeline",
]
