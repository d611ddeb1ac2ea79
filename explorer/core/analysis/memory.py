"""How much memory a run needs, checked before it starts.

A run keeps every activation for display (the input and the output of each convolution
part), plus, while one layer runs, its temporaries (the convolution output before BN and
activation, the unfolded input that CPU convolutions may build, and the zero-padded copy of
the input that an explicit pad makes), plus the weights (the parameters and the numpy copies
shown in the weight view). The estimate is an upper bound
of that, so a 4K image through a wide layer is refused with a clear message instead of
swapping the machine to a halt.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass

from explorer.core.analysis.costs import BYTES_PER_VALUE, LayerCost, PartCost, StackCost
from explorer.core.errors import ResourceError
from explorer.core.text import bytes_text

__all__ = [
    "DEFAULT_LIMIT_MB",
    "ENV_VAR",
    "MemoryEstimate",
    "check_memory",
    "estimate_run_bytes",
    "format_bytes",
    "memory_estimate",
    "memory_limit_bytes",
]

ENV_VAR = "CONV_EXPLORER_MEMORY_LIMIT_MB"
DEFAULT_LIMIT_MB = 2048
_MB = 1024**2
#: A convolution of more multiply-accumulates than this runs in blocks, on an explicitly
#: zero-padded copy of its input (:func:`explorer.core.compute.chunked.chunked_conv2d`: twice
#: its ``CHUNK_MACS``; a test keeps the two equal).
BLOCKED_CONV_MACS = 96_000_000


def memory_limit_bytes() -> int:
    """The most memory a run may need: 2 GiB, or ``$CONV_EXPLORER_MEMORY_LIMIT_MB`` MiB.

    Raises
    ------
    ResourceError
        If the variable is set but is not a positive number.
    """
    raw = os.environ.get(ENV_VAR, "").strip()
    if not raw:
        return DEFAULT_LIMIT_MB * _MB
    try:
        mb = float(raw)
    except ValueError:
        mb = -1.0
    if not (mb > 0 and math.isfinite(mb)):
        raise ResourceError(f"{ENV_VAR} must be a positive number of megabytes, got {raw!r}")
    return int(mb * _MB)


#: Memory as text (``"6.3 GiB"``); the one implementation is :func:`explorer.core.text.bytes_text`.
format_bytes = bytes_text


@dataclass(frozen=True)
class MemoryEstimate:
    """The parts of a run's memory, in bytes.

    Attributes
    ----------
    activations
        The input and every part's output, kept for display.
    temporary
        The most one layer needs on top of that while it runs.
    weights
        Parameters, twice (the module and the numpy copies for display).
    largest
        ``(layer index, part name, (C, H, W))`` of the biggest activation, or ``None``
        for an empty stack.
    temporary_at
        ``(layer index, part name, padded)`` of the part with the biggest temporaries;
        ``padded`` is the ``(C, H, W)`` of the zero-padded copy of its input it makes, or
        ``None`` when it makes none.
    """

    activations: int
    temporary: int
    weights: int
    largest: tuple[int, str, tuple[int, int, int]] | None
    temporary_at: tuple[int, str, tuple[int, int, int] | None] | None = None

    @property
    def total(self) -> int:
        return self.activations + self.temporary + self.weights


def padded_copy(part: PartCost) -> tuple[int, int, int] | None:
    """``(C, H, W)`` of the zero-padded copy of its input that ``part`` makes while it runs,
    or ``None``.

    torch pads inside the convolution without a copy, except where the input is padded
    explicitly: asymmetric padding (a ``ZeroPad2d`` before the convolution), ``"same"``
    padding with an odd span (:mod:`explorer.core.compute.same_padding`), and any padding of
    a convolution run in blocks (more than :data:`BLOCKED_CONV_MACS`). A large dilation
    makes that copy far bigger than the input or the output: ``"same"`` padding of a
    ``2×2`` kernel with dilation 1023 pads 1023 rows and columns.
    """
    c, h, w = part.input_shape
    if part.padded_input:  # its input is a ZeroPad2d's output, made for it
        return (c, h, w)
    t, b, left, r = part.padding
    if (t or b or left or r) and (t != b or left != r or part.macs > BLOCKED_CONV_MACS):
        return (c, h + t + b, w + left + r)
    return None


def _part_temporary(part: PartCost) -> int:
    out = math.prod(part.output_shape) * BYTES_PER_VALUE
    # the conv output and the BN output, before the part's final tensor (an upper bound)
    temp = 2 * out
    padded = padded_copy(part)
    if padded is not None:
        temp += math.prod(padded) * BYTES_PER_VALUE
    c_in = part.input_shape[0]
    kh, kw = part.weight_shape[2], part.weight_shape[3]
    if (kh, kw) != (1, 1) and part.groups < c_in:
        # CPU convolution may unfold the input: (C_in/groups·kh·kw) × H_out·W_out values
        temp += (
            (c_in // part.groups)
            * kh
            * kw
            * part.output_shape[1]
            * part.output_shape[2]
            * (BYTES_PER_VALUE)
        )
    return temp


def memory_estimate(stack_cost: StackCost) -> MemoryEstimate:
    """Break down what running ``stack_cost``'s stack needs (see :class:`MemoryEstimate`)."""
    temporary = 0
    temporary_at: tuple[int, str, tuple[int, int, int] | None] | None = None
    largest: tuple[int, str, tuple[int, int, int]] | None = None
    largest_bytes = -1
    layer: LayerCost
    for layer in stack_cost.layers:
        for part in layer.parts:
            temp = _part_temporary(part)
            if temp > temporary:
                temporary, temporary_at = temp, (layer.index, part.name, padded_copy(part))
            size = math.prod(part.output_shape)
            if size > largest_bytes:
                largest_bytes = size
                largest = (layer.index, part.name, part.output_shape)
    return MemoryEstimate(
        activations=stack_cost.activation_bytes,
        temporary=temporary,
        weights=2 * stack_cost.params * BYTES_PER_VALUE,
        largest=largest,
        temporary_at=temporary_at,
    )


def estimate_run_bytes(stack_cost: StackCost) -> int:
    """Bytes a run of the stack needs at most: activations + largest temporary + weights."""
    return memory_estimate(stack_cost).total


def check_memory(stack_cost: StackCost, limit_bytes: int | None = None) -> MemoryEstimate:
    """Refuse a run that would need more than ``limit_bytes`` (default
    :func:`memory_limit_bytes`).

    Returns
    -------
    MemoryEstimate
        When it fits.

    Raises
    ------
    ResourceError
        Giving the estimate, the biggest activation and the limit.
    """
    limit = memory_limit_bytes() if limit_bytes is None else int(limit_bytes)
    est = memory_estimate(stack_cost)
    if est.total <= limit:
        return est
    detail = f"activations {format_bytes(est.activations)}"
    if est.largest is not None:
        index, part, (c, h, w) = est.largest
        layer = stack_cost.layers[index]
        what = f" {part}" if len(layer.parts) > 1 else ""
        detail += f", largest: layer {index + 1}{what} output {c}×{h}×{w}"
    detail += f"; temporaries {format_bytes(est.temporary)}"
    if est.temporary_at is not None and est.temporary_at[2] is not None:
        index, part, (c, h, w) = est.temporary_at
        what = f" {part}" if len(stack_cost.layers[index].parts) > 1 else ""
        detail += f", largest: layer {index + 1}{what} zero-padded input {c}×{h}×{w}"
    detail += f"; weights {format_bytes(est.weights)}"
    raise ResourceError(
        f"running this stack needs about {format_bytes(est.total)} ({detail}); "
        f"the limit is {format_bytes(limit)} — set {ENV_VAR} to change it"
    )
