"""The options of a fit, without torch (the window reads them before torch is loaded).

See :func:`explorer.core.compute.fit.fit_stack`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from explorer.core.compute.fit_targets import FitError

__all__ = ["LOSSES", "OPTIMIZERS", "FitOptions"]

OPTIMIZERS = ("adam", "sgd")
LOSSES = ("mse", "l1")


@dataclass(frozen=True)
class FitOptions:
    """How to fit.

    Attributes
    ----------
    steps
        Optimiser steps.
    lr
        Learning rate.
    optimizer
        ``"adam"`` or ``"sgd"`` (with ``momentum``).
    loss
        ``"mse"`` (mean squared error) or ``"l1"`` (mean absolute error).
    frozen
        Indices of layers that do not train.
    train_bias
        Whether biases train (off: they keep their values).
    seed
        ``None``: start from the layers' current weights. A number: the trained layers start
        from fresh random weights drawn with this seed (as a scene with that seed would).
    float64
        Train in double precision (slower; lands ill-conditioned fits closer).
    """

    steps: int = 300
    lr: float = 0.01
    optimizer: str = "adam"
    momentum: float = 0.9
    loss: str = "mse"
    frozen: frozenset[int] = frozenset()
    train_bias: bool = True
    seed: int | None = None
    float64: bool = False

    def check(self) -> None:
        """Raise :class:`FitError` naming the first option that is out of range."""
        if isinstance(self.steps, bool) or not isinstance(self.steps, int) or self.steps < 1:
            raise FitError(f"steps must be a positive integer, got {self.steps!r}")
        if not (isinstance(self.lr, (int, float)) and math.isfinite(self.lr) and self.lr > 0):
            raise FitError(f"learning rate must be a positive number, got {self.lr!r}")
        if self.optimizer not in OPTIMIZERS:
            raise FitError(
                f"optimizer must be one of {', '.join(OPTIMIZERS)}, got {self.optimizer!r}"
            )
        if self.loss not in LOSSES:
            raise FitError(f"loss must be one of {', '.join(LOSSES)}, got {self.loss!r}")
        if not 0 <= self.momentum < 1:
            raise FitError(f"momentum must be in [0, 1), got {self.momentum!r}")
