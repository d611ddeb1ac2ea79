"""How much memory a fit needs, checked before it builds anything.

A fit (:func:`explorer.core.compute.fit.fit_stack`) needs far more than a run of the same
stack (:mod:`explorer.core.analysis.memory`):

* **the graph** — autograd keeps, for the backward pass, the tensors each operation of the
  trained layers saves: a convolution its input, BatchNorm its input (the convolution's
  output), an activation its input or output, a max pool its indices (int64, two float32
  values' worth). That is up to three tensors of each group's output size where a run keeps
  one, all alive at once; plus the zero-padded copies some convolutions make, the target and
  the trained part's input.
* **the backward pass** — on top of the graph, while one layer's gradients are computed: the
  gradient flowing out, the one flowing in and one element-wise temporary of BatchNorm's or
  an activation's backward (three of the largest activation) and that
  layer's temporaries, as a run counts them (BatchNorm's, the unfolded input a CPU
  convolution may build: torch's slow path, float64, builds one buffer for both gradients).
* **the weights** — the parameters (in the fit's precision), and for each trained one its
  gradient, the optimiser's state (Adam: two tensors; SGD: one momentum buffer), the copy of
  the best weights, and the two snapshots of the weights a window holds as inline numbers
  (a Python float each, :data:`INLINE_VALUE_BYTES`).
* **the frozen layers before the first trained one** run once without a graph: their peak
  (the input, the largest activation in and out, the largest temporary) is not alive at the
  same time as the training's, so the larger of the two counts.

In float64 every tensor takes twice the bytes. :func:`fit_memory_estimate` is an upper bound
of that; ``benchmarks/bench_fit_memory.py`` measures real fits (a subprocess's peak resident
memory) against it for several stacks in both precisions.
"""

from __future__ import annotations

import math
from collections.abc import Collection
from dataclasses import dataclass

from explorer.core.analysis.costs import BYTES_PER_VALUE, StackCost
from explorer.core.analysis.memory import ENV_VAR, format_bytes, memory_estimate, memory_limit_bytes
from explorer.core.errors import ResourceError

__all__ = [
    "GRAPH_COPIES",
    "INLINE_VALUE_BYTES",
    "FitMemoryEstimate",
    "check_fit_memory",
    "fit_memory_estimate",
]

#: Tensors of a group's output size autograd may keep for it: the convolution's output (saved
#: by BatchNorm), BatchNorm's output (saved by the activation), the activation's output (saved
#: by the next convolution); a max pool's output and its int64 indices.
GRAPH_COPIES = 3
#: Bytes of one weight held as an inline value of a scene (a Python float and its pointer).
INLINE_VALUE_BYTES = 32
#: Snapshots of the trained weights alive at once (the one shown, the one being made).
SNAPSHOTS = 2
#: Tensors per trained weight besides the weight: its gradient and the best weights' copy.
_PER_TRAINED = 2
_OPTIMIZER_STATE = {"adam": 2, "sgd": 1}


@dataclass(frozen=True)
class FitMemoryEstimate:
    """The parts of a fit's memory, in bytes (see the module docstring).

    Attributes
    ----------
    graph
        What autograd keeps for the backward pass, the trained part's input and the target.
    backward
        The most the backward pass needs on top of the graph.
    prefix
        The peak of running the frozen layers before the first trained one (0 without any).
    weights
        Parameters, gradients, optimiser state, the best copy and the weight snapshots.
    first
        Index of the first trained layer (``None``: nothing to train).
    float64
        Whether the fit trains in double precision.
    """

    graph: int
    backward: int
    prefix: int
    weights: int
    first: int | None
    float64: bool = False

    @property
    def total(self) -> int:
        return max(self.graph + self.backward, self.prefix) + self.weights


def _trained(cost: StackCost, frozen: Collection[int]) -> list[int]:
    return [c.index for c in cost.layers if c.index not in frozen and c.params > 0]


def fit_memory_estimate(
    cost: StackCost,
    *,
    frozen: Collection[int] = (),
    optimizer: str = "adam",
    float64: bool = False,
) -> FitMemoryEstimate:
    """An upper bound of what fitting ``cost``'s stack needs (layers in ``frozen`` not
    trained, every weight of the others trained), in the fit's precision."""
    scale = 2 if float64 else 1  # every tensor: float64 is twice float32's bytes
    trained = _trained(cost, frozen)
    params = cost.params * BYTES_PER_VALUE * scale
    if not trained:
        return FitMemoryEstimate(0, 0, 0, params, None, float64)
    first = trained[0]
    c, h, w = cost.layers[first].input_shape
    body = StackCost((c, h, w), cost.layers[first:])
    run = memory_estimate(body)
    input_bytes = c * h * w * BYTES_PER_VALUE
    largest = math.prod(run.largest[2]) * BYTES_PER_VALUE if run.largest else input_bytes
    padded = sum(
        math.prod(part.input_shape) * BYTES_PER_VALUE
        for layer in body.layers
        for part in layer.parts
        if part.padded_input
    )
    output = math.prod(cost.output_shape) * BYTES_PER_VALUE
    graph = input_bytes + GRAPH_COPIES * (run.activations - input_bytes) + padded + output
    backward = 3 * largest + run.temporary
    prefix = 0
    if first > 0:
        head = memory_estimate(StackCost(cost.input_shape, cost.layers[:first]))
        head_largest = math.prod(head.largest[2]) * BYTES_PER_VALUE if head.largest else 0
        ci, hi, wi = cost.input_shape
        prefix = ci * hi * wi * BYTES_PER_VALUE + 2 * head_largest + head.temporary
    trained_values = sum(cost.layers[i].params for i in trained)
    copies = _PER_TRAINED + _OPTIMIZER_STATE.get(optimizer, 2)
    weights = (
        params
        + copies * trained_values * BYTES_PER_VALUE * scale
        + SNAPSHOTS * trained_values * INLINE_VALUE_BYTES
    )
    return FitMemoryEstimate(
        graph=graph * scale,
        backward=backward * scale,
        prefix=prefix * scale,
        weights=weights,
        first=first,
        float64=float64,
    )


def check_fit_memory(
    cost: StackCost,
    *,
    frozen: Collection[int] = (),
    optimizer: str = "adam",
    float64: bool = False,
    limit_bytes: int | None = None,
) -> FitMemoryEstimate:
    """Refuse a fit that would need more than ``limit_bytes`` (default
    :func:`explorer.core.analysis.memory.memory_limit_bytes`).

    Returns
    -------
    FitMemoryEstimate
        When it fits.

    Raises
    ------
    ResourceError
        One line: the estimate and its parts, the limit, and what to change.
    """
    limit = memory_limit_bytes() if limit_bytes is None else int(limit_bytes)
    est = fit_memory_estimate(cost, frozen=frozen, optimizer=optimizer, float64=float64)
    if est.total <= limit:
        return est
    precision = " in float64" if float64 else ""
    parts = [
        f"{format_bytes(est.graph)} kept for the backward pass",
        f"{format_bytes(est.backward)} during it",
    ]
    if est.weights * 20 > est.total:  # only what matters (the Fit dock has three lines)
        parts.append(f"{format_bytes(est.weights)} of weights and optimiser state")
    if est.prefix * 20 > est.total:
        parts.append(f"{format_bytes(est.prefix)} for the frozen layers before it")
    advice = "freeze the first layers, use a smaller input"
    if float64:
        advice += ", train in float32"
    raise ResourceError(
        f"fitting this stack{precision} needs about {format_bytes(est.total)} "
        f"({', '.join(parts)}); the limit is {format_bytes(limit)} — {advice} or set {ENV_VAR}"
    )
