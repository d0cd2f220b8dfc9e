"""A linear model over named features: the form the offline engine's learned weights take.

Features are standardised with the training set's mean and scale, so each weight reads as how
much one typical step of that feature moves the score. The weights are fitted by
`bench/offline_learn.py` on half the tuning articles at a time and written to `weights.py`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class LinearModel:
    features: tuple[str, ...]
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    weights: tuple[float, ...]
    bias: float

    def score(self, values: Sequence[float]) -> float:
        """The model's logit for one row of feature values (in `features` order)."""
        total = self.bias
        for x, m, s, w in zip(values, self.mean, self.scale, self.weights, strict=True):
            total += w * (x - m) / s
        return total

    def probability(self, values: Sequence[float]) -> float:
        z = self.score(values)
        return 1.0 / (1.0 + math.exp(-z)) if z > -500 else 0.0
