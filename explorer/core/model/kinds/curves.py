"""Activation functions as numpy curves, for drawing what an activation layer does.

Each matches torch's definition (tests compare them with ``torch.nn``):
hardswish ``x·ReLU6(x+3)/6``, hardsigmoid ``ReLU6(x+3)/6``, SiLU ``x·σ(x)``, leaky ReLU
``x`` or ``slope·x``, PReLU ``x`` or ``a·x`` with its learnable ``a`` (torch starts every
channel at 0.25).
"""

from __future__ import annotations

import numpy as np

from explorer.core.model.kinds.base import LayerSpec
from explorer.core.model.kinds.parts import Activation, Conv

__all__ = ["PRELU_INIT", "activation_curve", "curve_of"]

#: torch's initial PReLU slope (``nn.PReLU(init=0.25)``); the app never trains, so it stays.
PRELU_INIT = 0.25


def activation_curve(function: str, x: np.ndarray, slope: float = 0.01) -> np.ndarray:
    """``f(x)`` of activation ``function`` (``slope``: leaky ReLU's or PReLU's ``a``)."""
    x = np.asarray(x, dtype=np.float64)
    relu6 = np.clip(x + 3.0, 0.0, 6.0) / 6.0
    e = np.exp(-np.abs(x))  # never overflows (an extreme axis range warned, at x < -709)
    sigmoid = np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
    return {
        "none": lambda: x,
        "relu": lambda: np.maximum(x, 0.0),
        "relu6": lambda: np.clip(x, 0.0, 6.0),
        "hardswish": lambda: x * relu6,
        "hardsigmoid": lambda: relu6,
        "sigmoid": lambda: sigmoid,
        "silu": lambda: x * sigmoid,
        "leaky_relu": lambda: np.where(x >= 0, x, slope * x),
        "prelu": lambda: np.where(x >= 0, x, slope * x),
    }[function]()


def curve_of(spec: LayerSpec) -> tuple[str, float] | None:
    """``(function, slope)`` of a layer that is only an activation (no convolution),
    else ``None``: what the weight view draws as a curve instead of weights."""
    parts = spec.parts(1)
    if any(isinstance(p, Conv) for p in parts):
        return None
    acts = [p for p in parts if isinstance(p, Activation)]
    if not acts:
        return None
    act = acts[0]
    return act.function, PRELU_INIT if act.function == "prelu" else float(act.slope)
