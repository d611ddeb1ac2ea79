"""How much memory a walk-through needs, checked before it is computed.

:func:`explorer.core.analysis.walkthrough.build_walk` keeps, for every position of the
region (up to ``MAX_POSITIONS``), each part's window of the input (all input channels ×
``kh × kw`` taps, float64) and the products shown with it, and for every step a vector of
the part's outputs and the step's own Python objects; plus float64 copies of the layer's input and weights. A region of 1,024
positions on a wide layer with a big kernel (512 channels, 11×11) needs about 0.5 GiB; 2,048
channels about 2 GiB. :func:`check_walk_memory` refuses a walk that would not fit in the
memory limit (:func:`explorer.core.analysis.memory.memory_limit_bytes`).
``tests/core/analysis/test_walk_memory.py`` measures real walks (``tracemalloc``) against
:func:`walk_memory_bytes`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from explorer.core.analysis.memory import ENV_VAR, format_bytes, memory_limit_bytes
from explorer.core.analysis.walkthrough_types import MAX_CHANNEL_STEPS
from explorer.core.errors import ResourceError

__all__ = ["STEP_BYTES", "STEP_VECTORS", "check_walk_memory", "walk_memory_bytes"]

#: Output vectors kept per part and position: one per step (at most ``2 × MAX_CHANNEL_STEPS``
#: channel steps, then bias, BatchNorm, activation, output) and the values they show.
STEP_VECTORS = 32
#: Python objects of one step (the step, its text, its tuples, numpy array headers); a part
#: has at most one step per channel shown (:data:`MAX_CHANNEL_STEPS`) and three more (the
#: other channels, the bias or BatchNorm, the activation or output).
STEP_BYTES = 2048
_FLOAT64 = 8


def walk_memory_bytes(
    input_shape: tuple[int, int, int],
    parts: Iterable[tuple[int, int, int, int, int]],
    positions: int,
) -> int:
    """An upper bound of a walk's memory.

    Parameters
    ----------
    input_shape
        The layer's input ``(C, H, W)``.
    parts
        ``(c_out, c_in, kh, kw, weight values)`` of each convolution part, in order
        (``c_in``: every channel the part's window reads).
    positions
        Output positions walked.
    """
    total = math.prod(input_shape)
    per_position = 0
    for c_out, c_in, kh, kw, values in parts:
        total += values
        per_position += _FLOAT64 * (2 * c_in * kh * kw + STEP_VECTORS * c_out)
        per_position += STEP_BYTES * (min(c_in, MAX_CHANNEL_STEPS) + 3)
    return _FLOAT64 * total + positions * per_position


def check_walk_memory(
    input_shape: tuple[int, int, int],
    parts: Iterable[tuple[int, int, int, int, int]],
    positions: int,
    limit_bytes: int | None = None,
) -> int:
    """Refuse a walk that needs more than ``limit_bytes`` (default: the memory limit);
    return its estimate.

    Raises
    ------
    ResourceError
        One line: the estimate, the positions, the limit and what to change.
    """
    limit = memory_limit_bytes() if limit_bytes is None else int(limit_bytes)
    need = walk_memory_bytes(input_shape, parts, positions)
    if need > limit:
        raise ResourceError(
            f"the walk-through of {positions:,} positions on this layer needs about "
            f"{format_bytes(need)}, more than the limit of {format_bytes(limit)} — choose a "
            f"smaller region, or set {ENV_VAR}"
        )
    return need
