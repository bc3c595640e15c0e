"""Validate the model on your own corpus: samples to annotate, design-based error estimates and
corrected prevalence with intervals (``narratives sample``, ``narratives validate``).

:func:`load_units` reads a tag output as sampling units; :func:`draw_sample` draws a
``validate`` (stratified, with inclusion probabilities), ``uncertain`` or ``diverse`` sample;
:func:`estimate_target` is the post-stratified estimator behind corrected prevalence.
"""

from ._estimate import (
    Estimate,
    estimate_target,
    jeffreys,
    mover_ratio,
    mover_sum,
    post_strata,
    wilson,
)
from ._sampling import STRATEGIES, draw_sample, strata
from ._units import Units, load_units, units_from_frame

__all__ = [
    "STRATEGIES",
    "Estimate",
    "Units",
    "draw_sample",
    "estimate_target",
    "jeffreys",
    "load_units",
    "mover_ratio",
    "mover_sum",
    "post_strata",
    "strata",
    "units_from_frame",
    "wilson",
]
